"""Client documents: statements, receipts, invoices, superbills and good-faith estimates.

Build a document without writing anything (its lines as a frame, its totals, the PDF
bytes), or issue it: numbered, written beside the workbook, recorded in the Documents
sheet through the safe writer::

    from practicebook import documents

    book, issues = practicebook.load("practice.xlsx")
    doc = documents.statement(book, "C0001", month="2026-03")
    doc.lines, doc.totals          # exact amounts, the same figures as explain()
    pdf = documents.to_pdf(doc)    # bytes; the same document gives the same bytes

    done = documents.issue("practice.xlsx", documents.StatementRequest(
        "C0001", *documents.month("2026-03")))
    done.number, done.path         # ST-00001, documents/ST-00001_statement_C0001_2026-03.pdf

Every door calls these: the CLI (``practicebook statement`` …), and the entry points
the Excel actions, the dashboard and batch use — ``issue`` / ``issue_many`` with a
request, ``draft`` for a superbill draft, ``statement_clients`` for a month's
statement run (``issued_statements``: who has one already), ``register`` for the list
of issued documents, ``findings`` for the register's findings (a charge billed twice, a
good-faith estimate exceeded).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from typing import cast
from zoneinfo import ZoneInfo

import pandas as pd

from practicebook.core.amounts import with_money
from practicebook.core.documents import (
    Builder,
    Document,
    EstimateRequest,
    Frequency,
    InvoiceRequest,
    ReceiptRequest,
    Request,
    StatementRequest,
    SuperbillRequest,
    register_findings,
)
from practicebook.core.documents import statement_clients as _statement_clients
from practicebook.core.documents.register import voided_numbers
from practicebook.core.reconcile import reconcile
from practicebook.issues import Issue
from practicebook.model import ROW, Book
from practicebook.render.pdf import to_pdf as _to_pdf
from practicebook.workbook.documents import (
    Issued,
    Voided,
    documents_folder,
    draft,
    issue,
    issue_many,
    paper_of,
    void,
)
from practicebook.workbook.upgrade import Upgraded, upgrade

__all__ = [
    "Builder",
    "Document",
    "EstimateRequest",
    "InvoiceRequest",
    "Issued",
    "ReceiptRequest",
    "Request",
    "StatementRequest",
    "SuperbillRequest",
    "Upgraded",
    "Voided",
    "a_year_from",
    "documents_folder",
    "draft",
    "estimate",
    "estimate_services",
    "findings",
    "invoice",
    "issue",
    "issue_many",
    "issued_statements",
    "month",
    "receipt",
    "register",
    "register_records",
    "statement",
    "statement_clients",
    "superbill",
    "to_pdf",
    "upgrade",
    "void",
]


def month(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a month written ``YYYY-MM``.

    >>> month("2026-02")
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))

    Raises:
        ValueError: the text is not a month in that form.
    """
    shape = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if shape is None or not 1 <= int(shape.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-03")
    year, number = int(shape.group(1)), int(shape.group(2))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _today(book: Book) -> dt.date:
    return dt.datetime.now(ZoneInfo(book.settings.timezone)).date()


def _period(
    period: str | None, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    if period is not None:
        return month(period)
    if start is None or end is None:
        raise ValueError("give a month (YYYY-MM), or both the first and the last day")
    return start, end


def statement(
    book: Book,
    client_id: str,
    *,
    month: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    mode: str = "activity",
    minimal: bool | None = None,
    issued_on: dt.date | None = None,
) -> Document:
    """A client's statement for a month or a period (``mode``: ``activity`` or ``open``;
    ``minimal``: ``None`` follows the practice's ``phi_mode``)."""
    first, last = _period(month, start, end)
    request = StatementRequest(client_id, first, last, mode, minimal)  # type: ignore[arg-type]
    return Builder(book).build(request, issued_on=issued_on or _today(book))


def receipt(
    book: Book, payment_id: str, *, minimal: bool | None = None, issued_on: dt.date | None = None
) -> Document:
    """The receipt for a payment: what it paid, session by session, and the balance after."""
    request = ReceiptRequest(payment_id, minimal)
    return Builder(book).build(request, issued_on=issued_on or _today(book))


def invoice(
    book: Book,
    client_id: str,
    *,
    sessions: Iterable[str] = (),
    month: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    minimal: bool | None = None,
    issued_on: dt.date | None = None,
    as_of: dt.date | None = None,
) -> Document:
    """An invoice for the named sessions, or for a month's or a period's charges not yet
    on another invoice."""
    named = tuple(sessions)
    first, last = (None, None) if named else _period(month, start, end)
    request = InvoiceRequest(client_id, first, last, named, minimal)
    return Builder(book).build(request, issued_on=issued_on or _today(book), as_of=as_of)


def superbill(
    book: Book,
    client_id: str,
    *,
    month: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    paid_only: bool = False,
    draft: bool = False,
    issued_on: dt.date | None = None,
    as_of: dt.date | None = None,
    minimal: bool = False,
) -> Document:
    """A superbill for a month or a period; its ``issues`` name every missing field.

    A superbill has no minimal-PHI mode (whatever the practice's ``phi_mode``): the
    insurer needs the client's name, date of birth, address and diagnoses.

    Raises:
        ValueError: ``minimal=True``.
    """
    if minimal:
        raise ValueError(
            "a superbill cannot be minimal: the insurer needs the client's name, date of "
            "birth, address and diagnoses"
        )
    first, last = _period(month, start, end)
    request = SuperbillRequest(client_id, first, last, paid_only, draft)
    return Builder(book).build(request, issued_on=issued_on or _today(book), as_of=as_of)


def estimate(
    book: Book,
    client_id: str,
    *,
    services: Iterable[tuple[str, int | None]],
    start: dt.date,
    end: dt.date,
    frequency: str | None = None,
    clinician_id: str | None = None,
    minimal: bool | None = None,
    issued_on: dt.date | None = None,
) -> Document:
    """A good-faith estimate: ``services`` as ``(code, expected sessions)`` pairs, a
    count of ``None`` taken from ``frequency`` (weekly, biweekly, monthly)."""
    request = EstimateRequest(
        client_id,
        start,
        end,
        tuple(services),
        cast("Frequency", frequency),
        clinician_id,
        minimal,
    )
    return Builder(book).build(request, issued_on=issued_on or _today(book))


def estimate_services(text: str) -> tuple[tuple[str, int | None], ...]:
    """The services of an estimate as typed: ``CODE`` or ``CODE=COUNT``, comma-separated.

    >>> estimate_services("90791=1, 90834")
    (('90791', 1), ('90834', None))

    Raises:
        ValueError: nothing typed, or a part that is neither.
    """
    wanted: list[tuple[str, int | None]] = []
    for part in (p.strip() for p in text.split(",")):
        code, sep, count = (s.strip() for s in part.partition("="))
        if not part:
            continue
        if not code or (sep and not count.isdigit()):
            raise ValueError(f"{part[:40]!r}: write CODE or CODE=COUNT, e.g. 90791=1, 90834")
        wanted.append((code, int(count) if sep else None))
    if not wanted:
        raise ValueError("Name the services expected, e.g. 90791=1, 90834")
    return tuple(wanted)


def a_year_from(first: dt.date) -> dt.date:
    """The last day of the year that starts on ``first`` (an estimate's default period).

    >>> a_year_from(dt.date(2026, 7, 1)), a_year_from(dt.date(2028, 2, 29))
    (datetime.date(2027, 6, 30), datetime.date(2029, 2, 28))
    """
    try:
        following = first.replace(year=first.year + 1)
    except ValueError:  # 29 February: the next year starts on 1 March
        following = dt.date(first.year + 1, 3, 1)
    return following - dt.timedelta(days=1)


def to_pdf(document: Document, *, paper: str | None = None, book: Book | None = None) -> bytes:
    """The document as PDF bytes (``paper``: ``a4`` or ``letter``; default: the book's
    ``paper_size`` setting when ``book`` is given, else the locale's usual paper)."""
    return _to_pdf(document, paper=paper or (paper_of(book) if book is not None else None))


def statement_clients(
    book: Book, period: str | tuple[dt.date, dt.date], *, skip_issued: bool = False
) -> list[str]:
    """The clients a statement run for a month (``YYYY-MM``) or a period goes to: those
    with activity in it or a balance or credit at its end. ``skip_issued``: leave out
    those who have a live statement for exactly this period (``issued_statements``), so
    a run can be repeated without sending anyone a second one."""
    first, last = month(period) if isinstance(period, str) else period
    clients = _statement_clients(reconcile(book, last), first, last)
    if skip_issued:
        done = issued_statements(book, (first, last))
        clients = [c for c in clients if c not in done]
    return clients


def issued_statements(book: Book, period: str | tuple[dt.date, dt.date]) -> set[str]:
    """The clients with a live (not voided) statement for exactly this month or period."""
    first, last = month(period) if isinstance(period, str) else period
    docs = register(book)
    live = docs[(docs["type"] == "statement") & docs["voided_by"].isna()]
    same = (pd.to_datetime(live["period_start"]) == pd.Timestamp(first)) & (
        pd.to_datetime(live["period_end"]) == pd.Timestamp(last)
    )
    return {str(c) for c in live.loc[same.to_numpy(dtype=bool), "client_id"].dropna()}


def register(book: Book) -> pd.DataFrame:
    """The Documents register, totals as exact amounts, with ``voided_by`` (the void that
    cancels each document)."""
    docs = with_money(
        book.frame("Documents").drop(columns=[ROW]), ["total"], book.settings.currency
    )
    voids = docs[docs["type"] == "void"]
    by = dict(zip(voids["voids"], voids["document_number"], strict=True))
    voided = voided_numbers(book)
    return docs.assign(
        voided_by=[by.get(n) if n in voided else None for n in docs["document_number"]]
    )


def register_records(table: pd.DataFrame) -> list[dict[str, object]]:
    """The register (``register(book)``) as JSON-ready records: days and times ISO
    text, totals exact decimal text, ``charge_ids`` a list, blanks ``None``."""

    def day(value: object, time: bool = False) -> str | None:
        if value is None or pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
        iso: str = stamp.isoformat() if time else stamp.date().isoformat()
        return iso

    def text(value: object) -> object:
        return None if value is None or pd.isna(value) else value

    out = []
    for row in table.to_dict("records"):
        ids = text(row["charge_ids"])
        out.append(
            {
                "document_number": row["document_number"],
                "type": row["type"],
                "client_id": text(row["client_id"]),
                "period_start": day(row["period_start"]),
                "period_end": day(row["period_end"]),
                "issued_at": day(row["issued_at"], time=True),
                "total": None if text(row["total"]) is None else str(row["total"]),
                "sha256": text(row["sha256"]),
                "file_name": text(row["file_name"]),
                "payment_id": text(row["payment_id"]),
                "charge_ids": [c.strip() for c in str(ids).split(",")] if ids else [],
                "minimal": bool(row["minimal"]),
                "voids": text(row["voids"]),
                "voided_by": text(row["voided_by"]),
            }
        )
    return out


def findings(book: Book, as_of: dt.date | str | None = None) -> list[Issue]:
    """The register's findings as of a day: a charge on two live invoices or superbills
    (``invoice-charge-twice``, ``superbill-session-twice``), billed charges at least
    $400 above a good-faith estimate (``gfe-variance``)."""
    rec = reconcile(book, as_of)
    return register_findings(book, rec.charges)
