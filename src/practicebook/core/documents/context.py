"""What every document draws from the workbook: the practice, the client, the words for
each ledger line, and the cell of every field a document needs.

``Context`` looks the book up once (a month's statements for a whole practice share
one), so each document is a handful of dictionary look-ups. Nothing here quotes a
personal value in an issue: a missing or doubtful field is named by its column and cell.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from practicebook.core.amounts import minor_units
from practicebook.core.documents.model import LineColumn, Table, Value
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import ROW, Book
from practicebook.schema import WORKBOOK, normalize_header

if TYPE_CHECKING:
    from practicebook.core.result import Reconciliation

_T = TypeVar("_T")

__all__ = [
    "MISSING_DESCRIPTION",
    "Context",
    "as_date",
    "blank",
    "charge_codes",
    "days",
    "present",
]

#: What a service is called on a minimal-PHI document when its generic wording is blank.
MISSING_DESCRIPTION = "Professional services"

_METHODS = {
    "card": "card",
    "ach": "bank transfer (ACH)",
    "e_transfer": "e-transfer",
    "hsa_fsa": "HSA/FSA card",
    "insurance": "insurance",
}
_ADJUSTMENTS = {
    "write_off": "Write-off",
    "courtesy_discount": "Courtesy discount",
    "fee_waiver": "Fee waived",
    "balance_forward": "Balance brought forward",
    "correction": "Correction",
    "credit_memo": "Credit note",
}
_FEES = {"late_cancel_fee": "Late cancellation fee", "no_show_fee": "Missed appointment fee"}


def blank(value: object) -> bool:
    """True for a missing value: ``None``, NaN, NaT, ``pd.NA`` or empty text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def present(value: object) -> str | None:
    """A value as trimmed text, ``None`` when blank (``11.0`` read from a number cell
    is ``11``)."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Context:
    """The facts of one book every document shares, looked up once.

    Args:
        book: the parsed workbook.
    """

    def __init__(self, book: Book) -> None:
        self.book = book
        self.settings = book.settings
        self._cache: dict[tuple[dt.date, str], tuple[Reconciliation, object]] = {}

    # --- the practice ---------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A Practice setting as text (``None`` when blank)."""
        if key in self.settings.info:
            return present(self.settings.info[key])
        return present(getattr(self.settings, key, None))

    @cached_property
    def _setting_rows(self) -> dict[str, int]:
        practice = self.book.frame("Practice")
        return {
            normalize_header(str(k)): int(r)
            for k, r in zip(practice["key"], practice[ROW], strict=True)
            if not blank(k)
        }

    def setting_cell(self, key: str) -> CellRef:
        """The value cell of a Practice setting (the sheet when it has no row)."""
        row = self._setting_rows.get(normalize_header(key))
        return self.book.cell("Practice", "value", row) if row else CellRef("Practice")

    def missing_setting(self, code: Code, key: str, what: str, severity: Severity) -> Issue:
        """The issue of a Practice setting a document needs but the sheet leaves blank."""
        where = self.setting_cell(key)
        hint = (
            f"Fill in the value of {key} on the Practice sheet."
            if where.row
            else f"Add a row with key {key} and its value to the Practice sheet."
        )
        return Issue(code, severity, f"the practice's {what} ({key}) is blank", where, hint)

    @cached_property
    def issuer(self) -> tuple[str, ...]:
        """The practice's name, postal address, phone and email, one line each."""
        s = self.setting
        city = " ".join(p for p in (s("city"), s("region"), s("postal_code")) if p)
        lines = [
            self.settings.practice_name or "",
            s("address_line1"),
            s("address_line2"),
            city,
            s("country"),
            " · ".join(p for p in (s("phone"), s("email")) if p),
        ]
        return tuple(line for line in lines if line)

    @cached_property
    def tax_lines(self) -> tuple[str, ...]:
        """The practice's tax registration text, as the practice wrote it."""
        text = self.setting("tax_registration")
        return (text,) if text else ()

    def notes(self, *, terms: bool = True, footer: bool = False) -> tuple[str, ...]:
        """The closing sentences: payment terms, how to pay, tax text, the footer."""
        out: list[str] = []
        if terms:
            n = self.settings.payment_terms_days
            out.append(
                "Payment is due on the day of each session."
                if n == 0
                else f"Payment is due within {n} day{'s' if n != 1 else ''} of each session."
            )
        instructions = self.setting("payment_instructions")
        if instructions and terms:
            out.append(instructions)
        out += self.tax_lines
        closing = self.setting("statement_footer")
        if footer and closing:
            out.append(closing)
        return tuple(out)

    def minimal(self, requested: bool | None) -> bool:
        """Minimal-PHI mode: as requested, else as the practice's ``phi_mode`` says."""
        return self.settings.phi_mode == "minimal" if requested is None else requested

    # --- clients, clinicians, services ------------------------------------------------

    @cached_property
    def _clients(self) -> dict[str, dict[str, object]]:
        return _records(self.book.clients, "client_id")

    def client(self, client_id: str) -> Mapping[str, object] | None:
        """The client's row as ``key -> value`` (with ``_row``), or ``None``."""
        return self._clients.get(client_id)

    @cached_property
    def _clinicians(self) -> dict[str, dict[str, object]]:
        return _records(self.book.clinicians, "clinician_id")

    def clinician(self, clinician_id: str) -> Mapping[str, object] | None:
        """The clinician's row as ``key -> value`` (with ``_row``), or ``None``."""
        return self._clinicians.get(clinician_id)

    def has_column(self, sheet: str, key: str) -> bool:
        """True when the workbook's sheet has the column (version 1 books lack some)."""
        layout = self.book.layouts.get(sheet)
        return layout is not None and key in layout.column_of

    def field_issue(
        self,
        code: Code,
        sheet: str,
        key: str,
        row: int,
        message: str,
        *,
        row_id: str | None = None,
        client_id: str | None = None,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
    ) -> Issue:
        """The issue of a field a document needs, at its cell; when the sheet lacks the
        column, the hint says how to add it."""
        where = self.book.cell(sheet, key, row)
        header = WORKBOOK.sheet(sheet).column(key).header
        if self.has_column(sheet, key):
            hint = hint or f"Fill in {header} on the {sheet} sheet, row {row}."
        else:
            hint = (
                f"The {sheet} sheet has no {header!r} column: run `practicebook upgrade` "
                "on the workbook to add it, then fill it in."
            )
        return Issue(code, severity, message, where, hint, row_id=row_id, client_id=client_id)

    @cached_property
    def _clinician_of_session(self) -> dict[str, str]:
        s = self.book.sessions
        return {
            str(sid): str(c)
            for sid, c in zip(s["session_id"], s["clinician_id"], strict=True)
            if not blank(c)
        }

    def practitioners(self, session_ids: Iterable[object]) -> Table | None:
        """The practitioners of these sessions who have a registration number (name,
        credentials, registering body and number), which insurers in Canada and the UK
        ask to see on receipts and invoices; ``None`` when none of them has one."""
        rows: dict[str, tuple[Value, ...]] = {}
        for sid in session_ids:
            clinician_id = self._clinician_of_session.get(str(sid))
            c = self.clinician(clinician_id) if clinician_id else None
            number = present(c.get("registration_number")) if c else None
            if c is None or number is None or clinician_id in rows:
                continue
            body = present(c.get("registration_body"))
            rows[str(clinician_id)] = (
                present(c.get("display_name")) or str(clinician_id),
                present(c.get("credentials")) or "",
                f"{body} {number}" if body else number,
            )
        if not rows:
            return None
        columns = (
            LineColumn("name", "Practitioner"),
            LineColumn("credentials", "Credentials"),
            LineColumn("registration", "Registration"),
        )
        return Table("Provider", columns, tuple(rows.values()))

    def recipient(self, client_id: str, minimal: bool, *, dob: bool = False) -> tuple[str, ...]:
        """The client's lines: the ID alone when minimal, else name and address."""
        if minimal:
            return (f"Client {client_id}",)
        row = self.client(client_id) or {}
        name = " ".join(
            p for p in (present(row.get("first_name")), present(row.get("last_name"))) if p
        )
        city = " ".join(
            p for p in (present(row.get(k)) for k in ("city", "region", "postal_code")) if p
        )
        lines = [
            name or f"Client {client_id}",
            present(row.get("address_line1")),
            present(row.get("address_line2")),
            city,
            present(row.get("country")),
        ]
        return tuple(line for line in lines if line)

    @cached_property
    def _services(self) -> dict[str, tuple[str, str | None]]:
        """Each service code's description and generic wording (its latest row)."""
        services = self.book.services
        out: dict[str, tuple[str, str | None]] = {}
        for code, desc, generic in zip(
            services["service_code"],
            services["description"],
            services["client_description"],
            strict=True,
        ):
            out[str(code)] = (present(desc) or str(code), present(generic))
        return out

    def service_text(self, code: str, minimal: bool) -> str:
        """A service as a client reads it: ``Psychotherapy, 45 minutes (90834)``, or its
        generic wording in minimal-PHI mode."""
        desc, generic = self._services.get(code, (code, None))
        if minimal:
            return generic or MISSING_DESCRIPTION
        return desc if desc == code else f"{desc} ({code})"

    # --- ledger lines ------------------------------------------------------------------

    @cached_property
    def _payments(self) -> dict[str, tuple[str | None, str | None]]:
        p = self.book.payments
        return {
            str(i): (present(m), present(r))
            for i, m, r in zip(p["payment_id"], p["method"], p["reference"], strict=True)
        }

    def payment_method(self, payment_id: str) -> tuple[str | None, str | None]:
        """How a payment was made, in words (``card``, ``bank transfer (ACH)``…), and its
        reference; ``None`` for what the Payments sheet leaves blank."""
        method, reference = self._payments.get(payment_id, (None, None))
        return (_METHODS.get(method, method.replace("_", " ")) if method else None), reference

    @cached_property
    def _adjustments(self) -> dict[str, str | None]:
        a = self.book.adjustments
        return {str(i): present(t) for i, t in zip(a["adjustment_id"], a["type"], strict=True)}

    def describe(
        self, entry_ids: np.ndarray, kinds: np.ndarray, codes: Mapping[str, str], minimal: bool
    ) -> list[str]:
        """The words for each ledger line (its entry ID and kind) on a document.

        ``codes``: the service code of each charge line, by charge ID. Never a memo,
        a reason or a diagnosis.
        """
        out: list[str] = []
        for entry, kind in zip(entry_ids.tolist(), kinds.tolist(), strict=True):
            entry = str(entry)
            if kind == "session":
                out.append(self.service_text(codes.get(entry, ""), minimal))
            elif kind in _FEES:
                out.append(_FEES[kind])
            elif kind in ("payment", "refund"):
                method, reference = self.payment_method(entry)
                words = "Payment" if kind == "payment" else "Refund"
                if method:
                    words += f", {method}"
                if reference:
                    words += f", ref. {reference}"
                out.append(words)
            else:
                kind_of = self._adjustments.get(entry)
                out.append(_ADJUSTMENTS.get(kind_of or "", "Adjustment"))
        return out

    def charge_codes(self, rec: Reconciliation) -> Mapping[str, str]:
        """The service code of each of ``rec``'s charge lines (looked up once per day)."""
        return self._per_day(rec, "codes", lambda: charge_codes(rec.charges))

    def aging_rows(self, rec: Reconciliation) -> Mapping[str, tuple[int, ...]]:
        """Each client's aging buckets, credit and total in minor units."""

        def rows() -> dict[str, tuple[int, ...]]:
            aging = rec.aging
            columns = [minor_units(aging[c]) for c in aging.columns if c != "client_id"]
            matrix = np.column_stack(columns) if columns else np.empty((len(aging), 0))
            ids = aging["client_id"].to_numpy(dtype=object)
            return {str(c): tuple(int(v) for v in row) for c, row in zip(ids, matrix, strict=True)}

        return self._per_day(rec, "aging", rows)

    def _per_day(self, rec: Reconciliation, what: str, make: Callable[[], _T]) -> _T:
        key = (rec.as_of, what)
        held = self._cache.get(key)
        if held is None or held[0] is not rec:
            held = self._cache[key] = (rec, make())
        return held[1]  # type: ignore[return-value]


def _records(frame: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    """Each row as ``column -> value`` by its ID (the first row of an ID given twice)."""
    rows: list[dict[str, object]] = frame.to_dict("records")
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        out.setdefault(str(row[key]), row)
    return out


def charge_codes(charges: pd.DataFrame) -> dict[str, str]:
    """The service code of every charge line, by charge ID."""
    return {
        str(c): str(k)
        for c, k in zip(
            charges["charge_id"].to_numpy(dtype=object),
            charges["code"].to_numpy(dtype=object),
            strict=True,
        )
    }


def days(values: pd.Series) -> np.ndarray:
    """A date column as ``datetime64[D]`` (NaT for blanks)."""
    out: np.ndarray = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return out


def as_date(value: object) -> dt.date:
    """A day from a ``datetime64``, ``Timestamp`` or ``date``."""
    day: dt.date = pd.Timestamp(value).date()
    return day
