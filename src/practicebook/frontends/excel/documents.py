"""Statement, Superbill, Invoice, Good-faith estimate and Receipt buttons (a client
document from the live workbook), and Match deposits (where each payment's money is).

Each acts where it is pressed: Statement, Superbill, Invoice and the estimate on Home's
Client form or on the selected row of Clients (Statement and Invoice on Sessions too),
for the period in the Client form's From and To cells (both blank: last calendar month;
for an estimate, a year from today); Invoice on a Sessions row bills that session alone;
Receipt acts on the selected row of Payments. The document is built by
``practicebook.documents`` from the workbook as it is on screen, numbered one past the
highest number the Documents sheet or the AuditLog holds in its series, saved as a PDF
in ``documents/`` beside the workbook (never over an existing file), recorded as a
Documents row and logged on the AuditLog, as ``practicebook statement`` does for a file.
A document with an error-level issue (a superbill's missing diagnosis, say) is refused
with its first problem, and nothing is written. Excel on the web has no folder beside
the workbook: there the buttons say so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

from practicebook import bank, documents
from practicebook.core.audit import AUDIT_SHEET
from practicebook.core.documents import Frequency, next_numbers
from practicebook.errors import MissingDependency
from practicebook.frontends.excel import livebook
from practicebook.frontends.excel.feedback import result_line
from practicebook.frontends.excel.macros import (
    _excel_value,
    _log,
    _money_format,
    _names,
    _on_caller,
    _select,
    _sheet,
    _write_grid,
    read_book,
)
from practicebook.frontends.excel.selected import _form, _pressed, _refuse
from practicebook.issues import CellRef, column_letter
from practicebook.l10n import format_date
from practicebook.model import Book
from practicebook.schema import WORKBOOK, home, normalize_header
from practicebook.workbook.documents import documents_folder, file_name

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

__all__ = [
    "DEPOSITS_SHEET",
    "chosen_period",
    "estimate",
    "estimate_main",
    "invoice",
    "invoice_main",
    "match_deposits",
    "match_deposits_main",
    "receipt",
    "receipt_main",
    "statement",
    "statement_main",
    "superbill",
    "superbill_main",
]


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month before ``today``'s.

    >>> last_month(dt.date(2026, 1, 15))
    (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    """
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])


def _now(book: Book) -> dt.datetime:
    zone = ZoneInfo(book.settings.timezone)
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def _folder(book: xw.Book) -> Path | None:
    """``documents/`` beside the workbook, when the workbook is a file in a folder."""
    try:
        full = Path(str(book.fullname))
    except Exception:
        return None
    if not full.is_absolute() or not full.parent.is_dir():
        return None
    return documents_folder(full)


def _row_id(book: xw.Book, sheets: tuple[str, ...], key: str) -> tuple[str, str | None]:
    """Where the button was pressed and the ID of ``key`` there: Home's Client form
    (client IDs only) or the selected row of one of ``sheets``."""
    sheet, row = _pressed(book)
    if sheet == home.HOME and key == "client_id":
        return sheet, livebook.id_text(_form(book, home.CLIENT_FORM).get("client_id"))
    if not row or livebook.input_sheet(sheet) not in [WORKBOOK.sheet(s) for s in sheets]:
        return sheet, None
    used = book.sheets[sheet].used_range
    grid = used.options(ndim=2).value
    wanted = normalize_header(key)
    for i, cells in enumerate(grid[:5]):
        for j, value in enumerate(cells):
            if isinstance(value, str) and normalize_header(value) == wanted:
                index = row - used.row
                if i < index < len(grid):
                    return sheet, livebook.id_text(grid[index][j])
    return sheet, None


def _issued(book: xw.Book, core_book: Book) -> set[str]:
    """Every number the Documents sheet holds or the AuditLog says was issued or voided."""
    numbers = {str(n) for n in core_book.frame("Documents")["document_number"].dropna()}
    name = next((n for n in _names(book) if n.casefold() == AUDIT_SHEET.casefold()), None)
    if name is not None:
        for row in book.sheets[name].used_range.options(ndim=2).value[1:]:
            if len(row) > 5 and row[3] == "Documents" and row[5] in ("issue", "void") and row[4]:
                numbers.add(str(row[4]))
    return numbers


def _issue(
    book: xw.Book,
    title: str,
    build: documents.Document,
    core_book: Book,
    form: home.Form | None = None,
) -> Path | None:
    """Number, save, record and log one document; ``None`` (with a message, under
    ``form`` too when pressed on Home) if refused."""
    folder = _folder(book)
    if folder is None:
        _refuse(
            book,
            title,
            f"{title} needs Excel on a computer: the PDF is saved beside the workbook.",
            form,
        )
        return None
    errors = [i for i in build.issues if i.is_error]
    if errors:
        _refuse(book, title, f"Not issued: {errors[0].where}: {errors[0].message}", form)
        return None
    if "Documents" not in core_book.layouts:
        _refuse(book, title, "Not issued: the workbook has no Documents sheet.", form)
        return None
    prefix = core_book.settings.info.get("document_prefix")
    number = next_numbers(_issued(book, core_book), build.kind, str(prefix) if prefix else None)[0]
    doc = replace(build, number=number)
    pdf = documents.to_pdf(doc, book=core_book)
    digest = hashlib.sha256(pdf).hexdigest()
    target = folder / file_name(number, doc)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("xb") as out:  # never over an existing file
            out.write(pdf)
    except FileExistsError:
        _refuse(book, title, f"Not issued: {target.name} already exists in {folder.name}/.", form)
        return None
    _record(book, core_book, doc, digest, target.name)
    result_line(book, f"{title} {number} saved as {folder.name}/{target.name}")
    book.app.alert(f"{title} {number}: {folder.name}/{target.name}", title)
    return target


def _record(
    book: xw.Book, core_book: Book, doc: documents.Document, digest: str, name: str
) -> None:
    """The Documents row (as ``practicebook.documents.issue`` writes it) and the log."""
    first, last = doc.period if doc.period is not None else (None, None)
    values = {
        "document_number": doc.number,
        "type": doc.kind,
        "client_id": doc.client_id,
        "period_start": first,
        "period_end": last,
        "issued_at": _now(core_book),
        "total": doc.total,
        "sha256": digest,
        "file_name": name,
        "payment_id": doc.payment_id,
        "charge_ids": ",".join(doc.charge_ids) or None,
        "minimal": doc.minimal,
    }
    layout = core_book.layouts["Documents"]
    width = max(layout.column_of.values())
    line: list[object] = [None] * width
    for key, col in layout.column_of.items():
        line[col - 1] = _excel_value(values.get(key))
    sheet = book.sheets[layout.sheet]
    row = layout.header_row + 1 + len(core_book.all_rows("Documents"))
    sheet.range((row, 1)).value = [line]
    summary = f"{doc.kind} for {doc.client_id}, total {doc.total}, sha256 {digest[:16]}"
    _log(book, "Documents", str(doc.number), "issue", summary)


def statement(book: xw.Book) -> Path | None:
    """Issue the statement of the client where the button was pressed, for the period
    in Home's Client form (blank: last calendar month)."""
    return _client_document(book, "Statement")


def superbill(book: xw.Book) -> Path | None:
    """Issue the superbill of the client where the button was pressed, for the period
    in Home's Client form (blank: last calendar month)."""
    return _client_document(book, "Superbill")


def _home_cell(key: str) -> str:
    row, col = home.CLIENT_FORM.value_cell(key)
    return f"{home.HOME}!{column_letter(col)}{row}"


def chosen_period(
    values: dict[str, object],
    today: dt.date,
    blank: Callable[[dt.date], tuple[dt.date, dt.date]] = last_month,
    blank_name: str = "last month",
) -> tuple[dt.date, dt.date] | str:
    """The documents' period from Home's Client form: its From and To days, or
    ``blank(today)`` (by default last calendar month) when both are blank; a message
    naming the cell when they are not a period.

    >>> chosen_period({}, dt.date(2026, 4, 9))
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    >>> chosen_period({"period_start": "2026-02-01", "period_end": 46112.0}, dt.date(2026, 4, 9))
    (datetime.date(2026, 2, 1), datetime.date(2026, 3, 31))
    """
    days: dict[str, dt.date | None] = {}
    for key in ("period_start", "period_end"):
        try:
            days[key] = livebook.as_day(values.get(key))
        except ValueError:
            return f"{_home_cell(key)} is not a day: type a date such as 2026-03-01."
    first, last = days["period_start"], days["period_end"]
    if first is None and last is None:
        return blank(today)
    if first is None or last is None:
        empty = _home_cell("period_start" if first is None else "period_end")
        return f"Type both days of the period, or neither ({blank_name}): {empty} is blank."
    if first > last:
        return (
            f"The period ends before it starts: {_home_cell('period_end')} is before "
            f"{_home_cell('period_start')}."
        )
    return first, last


#: The builder of each document a client's period gives.
_BUILDERS: dict[str, Callable[..., documents.Document]] = {
    "Statement": documents.statement,
    "Superbill": documents.superbill,
    "Invoice": documents.invoice,
}


def _client_target(
    book: xw.Book, title: str, sheets: tuple[str, ...]
) -> tuple[Book, str, home.Form | None] | None:
    """The live workbook, the client where the button was pressed (Home's Client form, or
    the selected row of ``sheets``) and the form to answer under; ``None``, with a
    message, when there is no such client."""
    sheet, client_id = _row_id(book, sheets, "client_id")
    form = home.CLIENT_FORM if sheet == home.HOME else None
    if client_id is None:
        cell = _home_cell("client_id")
        _refuse(book, title, f"Type a Client ID in {cell}, or select a client's row first.", form)
        return None
    core_book, _ = read_book(book)
    if client_id not in {str(c) for c in core_book.clients["client_id"]}:
        _refuse(book, title, f"Client {client_id} is not on the Clients sheet.", form)
        return None
    return core_book, client_id, form


def _client_document(book: xw.Book, title: str) -> Path | None:
    target = _client_target(book, title, ("Clients", "Sessions"))
    if target is None:
        return None
    core_book, client_id, form = target
    period = chosen_period(_form(book, home.CLIENT_FORM), _now(core_book).date())
    if isinstance(period, str):
        _refuse(book, title, f"Not issued: {period}", form)
        return None
    first, last = period
    make = _BUILDERS[title]
    try:
        doc = make(core_book, client_id, start=first, end=last)
    except (LookupError, ValueError) as exc:  # nothing to bill in the month, say
        _refuse(book, title, f"Not issued: {exc}", form)
        return None
    return _issue(book, title, doc, core_book, form)


def invoice(book: xw.Book) -> Path | None:
    """Issue an invoice where the button was pressed: on a Sessions row, for that
    session's charges; on Home's Client form or a Clients row, for the client's charges
    in the form's period (blank: last calendar month) that no live invoice holds yet.
    A charge is never on two live invoices: asked again, it is refused with the number
    of the invoice that has it."""
    _, session_id = _row_id(book, ("Sessions",), "session_id")
    if session_id is None:
        return _client_document(book, "Invoice")
    _, client_id = _row_id(book, ("Sessions",), "client_id")
    core_book, _ = read_book(book)
    if session_id not in {str(s) for s in core_book.sessions["session_id"]}:
        _refuse(book, "Invoice", f"Session {session_id} is not on the Sessions sheet.")
        return None
    try:
        doc = documents.invoice(core_book, client_id or "", sessions=[session_id])
    except (LookupError, ValueError) as exc:
        _refuse(book, "Invoice", f"Not issued: {exc}")
        return None
    return _issue(book, "Invoice", doc, core_book)


def _a_year(today: dt.date) -> tuple[dt.date, dt.date]:
    return today, documents.a_year_from(today)


def estimate(book: xw.Book) -> Path | None:
    """Issue the good-faith estimate of the client where the button was pressed: the
    services and frequency of Home's estimate form over the Client form's period (blank:
    a year from today), priced as ``practicebook estimate`` prices them."""
    title = "Good-faith estimate"
    target = _client_target(book, title, ("Clients",))
    if target is None:
        return None
    core_book, client_id, _ = target
    today = _now(core_book).date()
    values = _form(book, home.CLIENT_FORM)
    period = chosen_period(values, today, _a_year, "a year from today")
    wanted = _form(book, home.ESTIMATE_FORM)
    frequency = str(wanted.get("estimate_frequency") or "").strip().lower() or None
    try:
        services = documents.estimate_services(str(wanted.get("estimate_services") or ""))
    except ValueError as exc:
        period = f"{_estimate_cell('estimate_services')}: {exc}"
    if frequency is not None and frequency not in get_args(Frequency):
        period = (
            f"{_estimate_cell('estimate_frequency')}: {frequency[:20]!r} is no frequency: "
            f"type {', '.join(get_args(Frequency)[:-1])} or {get_args(Frequency)[-1]}"
        )
    if isinstance(period, str):
        _refuse(book, title, f"Not issued: {period}", home.ESTIMATE_FORM)
        return None
    first, last = period
    try:
        doc = documents.estimate(
            core_book, client_id, services=services, start=first, end=last, frequency=frequency
        )
    except (LookupError, ValueError) as exc:  # an unknown service code, say
        _refuse(book, title, f"Not issued: {exc}", home.ESTIMATE_FORM)
        return None
    return _issue(book, title, doc, core_book, home.ESTIMATE_FORM)


def _estimate_cell(key: str) -> str:
    row, col = home.ESTIMATE_FORM.value_cell(key)
    return f"{home.HOME}!{column_letter(col)}{row}"


def receipt(book: xw.Book) -> Path | None:
    """Issue the receipt of the payment on the selected Payments row."""
    _, payment_id = _row_id(book, ("Payments",), "payment_id")
    if payment_id is None:
        _refuse(book, "Receipt", "Select a payment's row on the Payments sheet first.")
        return None
    core_book, _ = read_book(book)
    if payment_id not in {str(p) for p in core_book.payments["payment_id"]}:
        _refuse(book, "Receipt", f"Payment {payment_id} is not on the Payments sheet.")
        return None
    try:
        doc = documents.receipt(core_book, payment_id)
    except (LookupError, ValueError) as exc:
        _refuse(book, "Receipt", f"Not issued: {exc}")
        return None
    return _issue(book, "Receipt", doc, core_book)


statement_main = _on_caller(statement, "RunPython: Statement where it was pressed.")
superbill_main = _on_caller(superbill, "RunPython: Superbill where it was pressed.")
invoice_main = _on_caller(invoice, "RunPython: Invoice where it was pressed.")
estimate_main = _on_caller(estimate, "RunPython: Good-faith estimate where it was pressed.")
receipt_main = _on_caller(receipt, "RunPython: Receipt where it was pressed.")


# --- money in the bank ----------------------------------------------------------------

DEPOSITS_SHEET = "Deposits"


def match_deposits(book: xw.Book, as_of: dt.date | str | None = None) -> int:
    """Write the Deposits sheet: where each payment's money is (in the bank on which day,
    at the processor, tied, not found), then every bank line with what it matched and by
    which rule, from ``practicebook.bank.match`` on the live workbook. Nothing is stored
    on BankLines (``practicebook bank match --store`` does that on the file).

    Returns:
        How many payments are not found in the bank yet.
    """
    core_book, _ = read_book(book)
    result = bank.match(core_book, as_of)
    payments, lines = result.payments, result.lines
    out = _sheet(book, DEPOSITS_SHEET)
    day = format_date(result.as_of, result.locale)
    missing = int((payments["state"] == "not found").sum())
    out.range((1, 1)).value = livebook.text_cell(
        f"Deposits as of {day} ({result.currency}): {len(payments)} payments, "
        f"{missing} not found in the bank; {len(lines)} bank lines"
    )
    money_format = _money_format(core_book)
    grid = livebook.frame_grid(payments, result.currency, ("amount",))
    _write_grid(out, grid, money_format, top=3)
    below = 3 + len(grid.rows) + 2
    grid = livebook.frame_grid(lines, result.currency, ("amount", "fee", "net"))
    _write_grid(out, grid, money_format, top=below)
    result_line(book, f"Deposits as of {day}: {missing} of {len(payments)} payments not found.")
    _select(book, CellRef(DEPOSITS_SHEET, 1, 1))
    return missing


match_deposits_main = _on_caller(match_deposits, "RunPython: Match deposits.")
