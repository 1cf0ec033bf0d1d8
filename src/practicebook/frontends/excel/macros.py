"""The Excel front door: xlwings entry points for the Home sheet's buttons, and UDFs.

Each macro is a function over an ``xw.Book`` (``reconcile(book)``…). It reads the live
book's used ranges into the raw tables the file reader produces (``livebook``), runs
them through ``api.load_tables`` and the core, and writes results back through xlwings
with only what the VBA and Office.js clients replay: values, number formats, colours,
new sheets, selecting a cell, an alert. Never autofit, fonts or save.

Three ways in, all thin:

* desktop RunPython: the ``*_main()`` functions, called by ``PracticeBook.bas``, work
  on ``xw.Book.caller()``;
* xlwings Lite: ``lite/main.py`` (beside this module) wraps the same functions in ``@script``;
* UDFs: ``PB_BALANCE``, ``PB_SESSION_FEE``, ``PB_FLAGS`` (Windows desktop).

xlwings is the ``excel`` extra; importing this module without it raises
``MissingDependency`` with the install hint.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from practicebook import api, money
from practicebook.core import entry
from practicebook.core.audit import (
    AUDIT_HEAD_PROPERTY,
    AUDIT_SHEET,
    AuditEntry,
    AuditRow,
    log_rows,
    texts,
)
from practicebook.core.reconcile import reconcile as reconcile_book
from practicebook.core.result import Reconciliation
from practicebook.errors import MissingDependency
from practicebook.frontends.excel import MACRO_NAMES, livebook
from practicebook.frontends.excel.feedback import guarded, progress, result_line
from practicebook.issues import CellRef, Issue, sort_issues
from practicebook.l10n import format_date
from practicebook.model import Book, RawTable
from practicebook.render.cells import SheetSpec
from practicebook.render.sheets import result_sheets
from practicebook.schema import CLIENTS, WORKBOOK, home, normalize_header
from practicebook.workbook.auditkey import audit_key

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

__all__ = list(MACRO_NAMES)

HEADER_COLOR = "#D9E1F2"
ERROR_COLOR = "#FFC7CE"
OK_COLOR = "#C6EFCE"
DATE_FORMAT = "yyyy-mm-dd"
EXPLAIN_SHEET = "Explain"

# --- reading ------------------------------------------------------------------------


def _tables(book: xw.Book) -> list[RawTable]:
    """Every input sheet of the live book, and its AuditLog, as raw tables."""
    tables = []
    for sheet in book.sheets:
        is_audit = normalize_header(sheet.name) == normalize_header(AUDIT_SHEET)
        if livebook.input_sheet(sheet.name) is None and not is_audit:
            continue
        used = sheet.used_range
        values = used.options(ndim=2).value
        table = (
            livebook.audit_table(sheet.name, values)
            if is_audit
            else livebook.raw_table(sheet.name, values, used.row, used.column)
        )
        if table is not None:
            tables.append(table)
    return tables


def read_book(book: xw.Book) -> tuple[Book, list[Issue]]:
    """Parse and check a live workbook exactly as ``practicebook.load`` does a file.

    Every button reads the book through here, so Home's formula table is extended here
    too when Clients outgrew it: the table follows Clients whichever button is pressed.
    """
    tables = _tables(book)
    core_book, issues = api.load_tables(tables)
    _fit_home(book, tables, core_book)
    return core_book, issues


def _fit_home(book: xw.Book, tables: list[RawTable], core_book: Book) -> int:
    clients = next((len(t.data) for t in tables if livebook.input_sheet(t.name) is CLIENTS), 0)
    digits = money.digits(core_book.settings.currency)
    return fit_home_table(book, clients, digits, _money_format(core_book))


# --- writing ------------------------------------------------------------------------


def _sheet(book: xw.Book, name: str) -> xw.Sheet:
    """The sheet called ``name``, emptied (values, formats, colours), or a new last one."""
    if name in [s.name for s in book.sheets]:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])


def _money_format(book: Book) -> str:
    from practicebook.render.sheets import excel_money_format

    return excel_money_format(book.settings.currency, book.settings.locale)


def _write_grid(sheet: xw.Sheet, grid: livebook.Grid, money_format: str, top: int = 1) -> None:
    """Header (coloured) and rows from row ``top``, money and date columns formatted."""
    width = len(grid.header)
    sheet.range((top, 1)).value = grid.values
    sheet.range((top, 1)).resize(1, width).color = HEADER_COLOR
    if not grid.rows:
        return
    for j in grid.money:
        sheet.range((top + 1, j + 1)).resize(len(grid.rows), 1).number_format = money_format
    for j in grid.dates:
        sheet.range((top + 1, j + 1)).resize(len(grid.rows), 1).number_format = DATE_FORMAT


def _write_spec(book: xw.Book, spec: SheetSpec) -> xw.Sheet:
    """A derived sheet laid out as the file writer lays it out (``render.sheets.result_sheets``):
    title lines, then the header (coloured), rows, a number format per column; error flags
    marked."""
    sheet = _sheet(book, spec.name)
    width = len(spec.header)
    top = spec.header_row
    if spec.title:
        sheet.range((1, 1)).value = [[livebook.text_cell(line)] for line in spec.title]
    rows = [livebook.cell_row(row, width) for row in spec.rows]
    sheet.range((top, 1)).value = [list(spec.header), *rows]
    sheet.range((top, 1)).resize(1, width).color = HEADER_COLOR
    if not rows:
        return sheet
    for j, number_format in enumerate(spec.number_formats):
        if number_format:
            sheet.range((top + 1, j + 1)).resize(len(rows), 1).number_format = number_format
    if "Severity" in spec.header:
        at = list(spec.header).index("Severity")
        for i, row in enumerate(rows):
            if row[at] == "error":
                sheet.range((top + 1 + i, 1)).color = ERROR_COLOR
    return sheet


def _select(book: xw.Book, where: CellRef) -> None:
    sheet = book.sheets[where.sheet]
    sheet.activate()
    sheet.range((max(where.row, 1), max(where.col, 1))).select()


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (Lite in the browser, some services)
        return "unknown"


def _log(book: xw.Book, sheet: str, row_id: str, action: str, summary: str) -> None:
    """Append one event to the hash-chained AuditLog sheet (created when missing), as the
    file writer does (keyed with the audit key when one is configured), and keep the log's
    head where the engine reaches the document properties (desktop Excel on Windows).
    Elsewhere the head stays as the last file write left it: the rows logged here are
    covered by it from the next write through the CLI, Python or the dashboard. The cells
    are formatted as text first so Excel keeps them as typed."""
    name = next(
        (s.name for s in book.sheets if normalize_header(s.name) == normalize_header(AUDIT_SHEET)),
        None,
    )
    event = AuditEntry(_actor(), "excel", sheet, row_id, action, summary)
    properties = _document_properties(book)
    head = properties.get(AUDIT_HEAD_PROPERTY) if properties is not None else None
    if name is None:
        log = book.sheets.add(AUDIT_SHEET, after=book.sheets[len(book.sheets) - 1])
        stored, top = None, 1
    else:
        log = book.sheets[name]
        used = log.used_range
        stored = texts(used.options(ndim=2).value[1:])  # without pre-formatted blank rows
        top = used.row + 1 + len(stored)
    logged, new_head = log_rows(stored, head, [event], key=audit_key())
    rows = [r.values() for r in logged]
    if name is None:
        rows.insert(0, AuditRow.columns())
    block = log.range((top, 1)).resize(len(rows), len(rows[0]))
    block.number_format = "@"
    block.value = [list(r) for r in rows]
    if properties is not None:
        properties.set(AUDIT_HEAD_PROPERTY, new_head.text())


class _DocumentProperties:
    """The workbook's custom document properties through Excel's object model."""

    def __init__(self, com: Any) -> None:
        self._com = com

    def get(self, name: str) -> str | None:
        try:
            return str(self._com.Item(name).Value)
        except Exception:  # no such property
            return None

    def set(self, name: str, value: str) -> None:
        try:
            self._com.Item(name).Value = value
        except Exception:  # not there yet: add it as text (msoPropertyTypeString)
            self._com.Add(name, False, 4, value)


def _document_properties(book: xw.Book) -> _DocumentProperties | None:
    """The custom document properties where the engine reaches them: desktop Excel on
    Windows. None for the remote engine (xlwings Server, the VBA client's replay),
    xlwings Lite and Excel on the Mac, whose replayed actions carry no properties."""
    if sys.platform != "win32" or book.app.engine.name != "excel":
        return None
    try:
        return _DocumentProperties(book.api.CustomDocumentProperties)
    except Exception:
        return None


# --- the macros ---------------------------------------------------------------------


def reconcile(book: xw.Book, as_of: dt.date | str | None = None) -> Reconciliation:
    """Reconcile the live book and write the derived sheets (``RESULT_SHEETS``: Balances,
    Aging, Flags, Ledger, CancellationLog, Summary).

    The sheets hold what ``practicebook reconcile --write`` puts in a file; problems
    found while reading are listed on Flags with the reconciliation's own. Home's
    formula table is extended when Clients outgrew it, as by every button. Balances is
    activated at the end and Home's result cell says what was done.
    """
    progress(book, "reading the workbook")
    tables = _tables(book)
    core_book, issues = api.load_tables(tables)
    progress(book, "reconciling")
    result = reconcile_book(core_book, as_of)
    specs = result_sheets(result, core_book, issues)
    for spec in specs:
        progress(book, f"writing {spec.name}")
        _write_spec(book, spec)
    _log(
        book,
        "results",
        f"as of {result.as_of.isoformat()}",
        "write_results",
        ", ".join(f"{s.name} {len(s.rows)} rows" for s in specs),
    )
    _fit_home(book, tables, core_book)
    errors = sum(1 for i in [*issues, *result.issues] if i.is_error)
    day = format_date(result.as_of, result.locale)
    result_line(
        book,
        f"Reconciled as of {day}: {len(result.balances)} clients; "
        f"{errors} error{'s' if errors != 1 else ''} on Flags.",
    )
    _select(book, CellRef("Balances", 1, 1))
    return result


def fit_home_table(book: xw.Book, clients: int, digits: int, money_format: str) -> int:
    """Extend Home's formula table to ``clients`` rows and spare ones when Clients outgrew
    it (formulas and money formats; the ≈ highlight stays on the rows the template
    wrote, the "What the formula leaves out" column says it on every row). Returns the
    rows added."""
    if home.HOME not in _names(book):
        return 0
    sheet = book.sheets[home.HOME]
    have = sheet.used_range.last_cell.row - home.BALANCE_HEADER_ROW
    if clients <= have:
        return 0
    first = home.BALANCE_HEADER_ROW + have + 1
    last = home.BALANCE_HEADER_ROW + clients + home.SPARE_ROWS
    sheet.range((first, 1)).value = [
        list(home.balance_formulas(r, digits)) for r in range(first, last + 1)
    ]
    for col in (2, 3, 4, 5, 6, 8):
        sheet.range((first, col), (last, col)).number_format = money_format
    sheet.range(home.OVERFLOW_CELL).value = home.overflow_formula(last - home.BALANCE_HEADER_ROW)
    return last - first + 1


def check_workbook(book: xw.Book) -> list[Issue]:
    """List every problem on Flags and select the first offending cell.

    Returns:
        The issues, in sheet and row order (reading and checking, then the core's).
    """
    core_book, issues = read_book(book)
    result = reconcile_book(core_book)
    flags = next(s for s in result_sheets(result, core_book, issues) if s.name == "Flags")
    _write_spec(book, flags)
    found = sort_issues([*issues, *result.issues])
    located = [i for i in found if i.where.row and i.where.sheet in _names(book)]
    _select(book, located[0].where if located else CellRef("Flags", 1, 1))
    return found


def _names(book: xw.Book) -> list[str]:
    return [s.name for s in book.sheets]


def _form_values(book: xw.Book, form: home.Form) -> dict[str, object]:
    first, last, column = form.value_range
    cells = book.sheets[home.HOME].range((first, column), (last, column))
    return livebook.form_values(form.fields, cells.options(ndim=2).value)


def _append_row(book: xw.Book, core_book: Book, form: home.Form, new: entry.NewRow) -> None:
    layout = core_book.layouts[form.sheet]
    row = entry.next_row(core_book, form.sheet)
    cells = entry.cell_values(form.sheet, new.values, layout)
    target = book.sheets[form.sheet]
    target.range((row, 1)).value = [[_excel_value(v) for v in cells]]
    spec = WORKBOOK.sheet(form.sheet)
    for key, col in layout.column_of.items():
        kind = spec.column(key).kind.value
        if kind == "money":
            target.range((row, col)).number_format = _money_format(core_book)
        elif kind in ("date", "datetime"):
            target.range((row, col)).number_format = (
                DATE_FORMAT if kind == "date" else DATE_FORMAT + " hh:mm"
            )


def _excel_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return livebook.text_cell(value)
    return value


def _add_from_form(book: xw.Book, sheet_name: str) -> entry.NewRow:
    """Validate the Home form of ``sheet_name``; append it when accepted."""
    form = home.FORMS[sheet_name]
    core_book, _ = read_book(book)
    values = _form_values(book, form)
    new = entry.new_row(core_book, sheet_name, values)
    status = book.sheets[home.HOME].range(form.status_cell)
    if new.accepted:
        row = entry.next_row(core_book, sheet_name)
        _append_row(book, core_book, form, new)
        first, last, column = form.value_range
        cells = book.sheets[home.HOME].range((first, column), (last, column))
        cells.value = [[home.FORM_DEFAULTS.get((sheet_name, k))] for k in form.fields]
        filled = ", ".join(k for k, v in new.values.items() if v is not None)
        _log(book, sheet_name, new.row_id, "append", f"fields: {filled}")
        status.value = livebook.text_cell(f"added {new.row_id} on {sheet_name} row {row}")
        status.color = OK_COLOR
    else:
        errors = [i for i in new.issues if i.is_error]
        status.value = livebook.text_cell(f"not added: {errors[0].message}")
        status.color = ERROR_COLOR
    return new


def add_session(book: xw.Book) -> entry.NewRow:
    """Add the Home sheet's New session form as the next Sessions row, if valid.

    The row is checked by ``practicebook.core.entry`` first; the outcome (the new ID, or the
    first problem) is written under the form and the form is reset when the row went in.
    """
    return _add_from_form(book, "Sessions")


def record_payment(book: xw.Book) -> entry.NewRow:
    """Add the Home sheet's New payment form as the next Payments row, if valid."""
    return _add_from_form(book, "Payments")


# --- RunPython entry points (PracticeBook.bas) -------------------------------------


def _on_caller(macro: Callable[[xw.Book], object], doc: str) -> Callable[[], None]:
    """A RunPython entry point: ``macro`` on the workbook whose VBA called it; a Python
    error becomes one short message (``feedback.guarded``)."""
    title = next((m.caption for m in home.MACROS if m.entry == f"{macro.__name__}_main"), "")

    def run() -> None:
        guarded(macro, xw.Book.caller(), title or macro.__name__)

    run.__name__ = run.__qualname__ = f"{macro.__name__}_main"
    run.__doc__ = doc
    return run


reconcile_main = _on_caller(reconcile, "RunPython: Reconcile on the calling workbook.")
add_session_main = _on_caller(add_session, "RunPython: Add session on the calling workbook.")
record_payment_main = _on_caller(
    record_payment, "RunPython: Record payment on the calling workbook."
)
check_workbook_main = _on_caller(
    check_workbook, "RunPython: Check workbook on the calling workbook."
)
