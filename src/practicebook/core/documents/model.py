"""What a client document is, independently of how it is printed.

A ``Document`` holds typed values only: amounts as exact ``Decimal`` (the lines frame as
exact money columns, ``practicebook.core.amounts``), days as ``date``; ``render`` writes
them in the workbook's locale. The requests (``StatementRequest``…) say which document
to build; every door builds and issues documents from them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import pandas as pd

from practicebook.issues import Issue

__all__ = [
    "Block",
    "Document",
    "DocumentKind",
    "EstimateRequest",
    "Frequency",
    "InvoiceRequest",
    "LineColumn",
    "ReceiptRequest",
    "Request",
    "StatementRequest",
    "SuperbillRequest",
    "Table",
    "Value",
]

DocumentKind = Literal["statement", "receipt", "invoice", "superbill", "estimate"]
#: How often the sessions of a good-faith estimate take place.
Frequency = Literal["weekly", "biweekly", "monthly"]
#: A printed value: text, an exact amount, a day, a period (first and last day), a
#: count, or nothing.
Value = str | Decimal | dt.date | tuple[dt.date, dt.date] | int | None


@dataclass(frozen=True)
class LineColumn:
    """A printed column of a table: its key in the rows, its title, and its kind."""

    key: str
    title: str
    kind: Literal["text", "date", "money", "count"] = "text"

    @property
    def numeric(self) -> bool:
        """Money and counts are right-aligned."""
        return self.kind in ("money", "count")


@dataclass(frozen=True)
class Table:
    """A titled table of typed values (aging, diagnoses, the provider)."""

    title: str
    columns: tuple[LineColumn, ...]
    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True)
class Block:
    """A titled list of labelled values (a summary, the provider, the payment)."""

    title: str
    items: tuple[tuple[str, Value], ...]


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Document:
    """One client document, ready to print.

    Attributes:
        kind: statement, receipt, invoice, superbill or estimate.
        title: the document's name as printed (``Statement``, ``Superbill``…).
        client_id: the client it is for.
        period: the first and last day it covers, when it covers a period.
        as_of: the day the core's figures are taken as of.
        issued_on: the day printed as the document's date.
        currency, locale: how its amounts and days are written.
        minimal: minimal-PHI mode (client by ID, services by their generic wording, no
            diagnosis, no address).
        draft: printed with a DRAFT watermark, never numbered nor recorded.
        issuer: the practice's lines (name, address, phone, email, tax numbers).
        recipient: the client's lines (name and address, or the client ID alone).
        facts: labelled values beside the title (dates, IDs, the period).
        lines: the document's lines (money columns exact, ``core.amounts``).
        columns: which columns of ``lines`` are printed, in order.
        summary: the labelled totals under the lines.
        total: the figure the Documents register records (a statement: its closing
            balance; a receipt: the payment; others: their total).
        sections: further blocks and tables (aging, diagnoses, provider, payment).
        notes: sentences printed at the end (terms, how to pay, tax text, footer).
        signature: the label of a signature line, when the document has one.
        issues: what is missing or doubtful, each at its cell; an error-level one
            means the document cannot be issued (a superbill may still be drafted).
        charge_ids: the charges an invoice or a superbill bills (the register keeps
            them so no charge is billed twice).
        payment_id: the payment a receipt is for.
        number: the document number, once issued.
    """

    kind: DocumentKind
    title: str
    client_id: str
    period: tuple[dt.date, dt.date] | None
    as_of: dt.date
    issued_on: dt.date
    currency: str
    locale: str
    minimal: bool
    issuer: tuple[str, ...]
    recipient: tuple[str, ...]
    facts: tuple[tuple[str, Value], ...]
    lines: pd.DataFrame
    columns: tuple[LineColumn, ...]
    summary: tuple[tuple[str, Value], ...]
    total: Decimal
    sections: tuple[Block | Table, ...] = ()
    notes: tuple[str, ...] = ()
    signature: str | None = None
    issues: tuple[Issue, ...] = ()
    charge_ids: tuple[str, ...] = ()
    payment_id: str | None = None
    draft: bool = False
    number: str | None = None

    @property
    def blocked(self) -> bool:
        """True when an error-level issue keeps the document from being issued."""
        return any(i.is_error for i in self.issues)

    @property
    def totals(self) -> dict[str, Decimal]:
        """The summary's amounts by label (``{"Closing balance": Decimal("130.00")…}``)."""
        return {k: v for k, v in self.summary if isinstance(v, Decimal)}


@dataclass(frozen=True)
class StatementRequest:
    """A statement for ``client_id`` over ``start``–``end``.

    ``mode``: ``activity`` lists every charge, payment, refund and adjustment in the
    period with a running balance; ``open`` lists every item still open at ``end``.
    ``minimal``: ``None`` follows the practice's ``phi_mode``.
    """

    client_id: str
    start: dt.date
    end: dt.date
    mode: Literal["activity", "open"] = "activity"
    minimal: bool | None = None
    kind: Literal["statement"] = field(default="statement", init=False)


@dataclass(frozen=True)
class ReceiptRequest:
    """A receipt for one payment (its allocation as of the day it was received)."""

    payment_id: str
    minimal: bool | None = None
    kind: Literal["receipt"] = field(default="receipt", init=False)


@dataclass(frozen=True)
class InvoiceRequest:
    """An invoice for ``client_id``: the named sessions' charges, or every charge dated
    ``start``–``end`` that is not on another invoice yet."""

    client_id: str
    start: dt.date | None = None
    end: dt.date | None = None
    session_ids: tuple[str, ...] = ()
    minimal: bool | None = None
    kind: Literal["invoice"] = field(default="invoice", init=False)


@dataclass(frozen=True)
class SuperbillRequest:
    """A superbill for ``client_id`` over ``start``–``end`` (never minimal).

    ``paid_only``: only sessions paid in full. ``draft``: print what there is, with a
    DRAFT watermark, whatever is missing; a draft is never numbered nor recorded.
    """

    client_id: str
    start: dt.date
    end: dt.date
    paid_only: bool = False
    draft: bool = False
    kind: Literal["superbill"] = field(default="superbill", init=False)


@dataclass(frozen=True)
class EstimateRequest:
    """A good-faith estimate for ``client_id`` over ``start``–``end``.

    ``services``: ``(service_code, expected sessions)`` pairs; a count of ``None``
    takes the count ``frequency`` gives over the period (``weekly``, ``biweekly`` or
    ``monthly``). ``clinician_id``: whose fees apply (default: the clinician of the
    client's latest session).
    """

    client_id: str
    start: dt.date
    end: dt.date
    services: tuple[tuple[str, int | None], ...]
    frequency: Frequency | None = None
    clinician_id: str | None = None
    minimal: bool | None = None
    kind: Literal["estimate"] = field(default="estimate", init=False)


Request = StatementRequest | ReceiptRequest | InvoiceRequest | SuperbillRequest | EstimateRequest
