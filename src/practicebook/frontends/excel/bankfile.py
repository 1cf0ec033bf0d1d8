"""Import bank file: a bank or processor statement's new lines into the open workbook.

The button reads the file named in Home's *Import bank file* form (a full path, or a
file beside the workbook; desktop Excel asks for one when the cell is blank), plans the
import with ``practicebook.bank.plan_import`` on the workbook as it is on screen, and
appends exactly the rows ``practicebook bank import`` would write to the file: the
BankLines rows, a BankAccounts row when the file brings a new account (or the column
mapping it was read with), and the Assertions rows of the balances the statement
states. Importing the same or an overlapping file again adds nothing. One line says
what was added, already present and conflicting; a file that cannot be read or used
gets one line and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from practicebook import bank
from practicebook.core import entry
from practicebook.errors import MissingDependency
from practicebook.frontends.excel.feedback import result_line
from practicebook.frontends.excel.macros import (
    DATE_FORMAT,
    _excel_value,
    _log,
    _money_format,
    _on_caller,
    read_book,
)
from practicebook.frontends.excel.selected import _cell_name, _form, _refuse, _status
from practicebook.model import ROW, Book
from practicebook.schema import WORKBOOK, home

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

__all__ = ["import_bank_file", "import_bank_file_main"]

TITLE = "Import bank file"
#: The sheets an import writes to, in the order it writes them.
_SHEETS = ("BankAccounts", "BankLines", "Assertions")


def _statement_path(book: xw.Book, text: str) -> Path:
    """The typed path, or a name beside the workbook (quotes Windows adds are dropped)."""
    path = Path(text.strip().strip('"'))
    if path.is_absolute():
        return path
    try:
        return Path(str(book.fullname)).parent / path
    except Exception:  # no folder: Excel on the web
        return path


def import_bank_file(book: xw.Book) -> bank.ImportPlan | None:
    """Import the statement file of Home's *Import bank file* form into the open workbook.

    Returns:
        The import as planned and written, or ``None`` when refused (with a message).
    """
    values = _form(book, home.BANK_FORM)
    typed = values.get("statement_file")
    if typed is None:
        cell = _cell_name(home.BANK_FORM, "statement_file")
        _refuse(book, TITLE, f"Type the statement file's full path in {cell}.", home.BANK_FORM)
        return None
    path = _statement_path(book, str(typed))
    try:
        data = bank.read_statement_file(path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        _refuse(book, TITLE, f"Cannot read {path.name}: {reason}.", home.BANK_FORM)
        return None
    core_book, _ = read_book(book)
    missing = [s for s in _SHEETS if s not in core_book.layouts]
    if missing:
        message = (
            f"The workbook has no {missing[0]} sheet: run practicebook upgrade on it "
            "(with the file closed) first."
        )
        _refuse(book, TITLE, message, home.BANK_FORM)
        return None
    account = values.get("account_id")
    plan = bank.plan_import(
        core_book, data, name=path.name, account=str(account) if account is not None else None
    )
    errors = [i for i in plan.issues if i.is_error]
    if errors:
        _refuse(book, TITLE, f"Not imported: {errors[0].message}", home.BANK_FORM)
        return None
    _write(book, core_book, plan)
    line = (
        f"{path.name} into {plan.account_id}: added {len(plan.rows)}, "
        f"already present {plan.present}, conflicting {len(plan.conflicts)}."
    )
    notes = [i for i in plan.issues if not i.is_error]
    if notes:  # a balance the Assertions sheet states otherwise, say
        line += f" Note: {notes[0].message}" + (
            f" (and {len(notes) - 1} more)" if notes[1:] else ""
        )
    _status(book, home.BANK_FORM, line, ok=True)
    result_line(book, f"Imported {line}")
    return plan


def _write(book: xw.Book, core_book: Book, plan: bank.ImportPlan) -> None:
    """The plan's rows on the live book, and one AuditLog event as the file writer logs."""
    if not (plan.rows or plan.assertions or plan.new_account or plan.mapping):
        return
    if plan.new_account is not None:
        account = {**plan.new_account, "csv_mapping": plan.mapping}
        _append(book, core_book, "BankAccounts", [account])
    elif plan.mapping is not None:
        accounts = core_book.frames["BankAccounts"]
        row = int(accounts.loc[accounts["account_id"] == plan.account_id, ROW].iloc[0])
        column = core_book.layouts["BankAccounts"].column_of["csv_mapping"]
        book.sheets[core_book.layouts["BankAccounts"].sheet].range(
            (row, column)
        ).value = _excel_value(plan.mapping)
    _append(book, core_book, "BankLines", plan.rows)
    _append(book, core_book, "Assertions", plan.assertions)
    summary = (
        f"{len(plan.rows)} lines added, {plan.present} already there, "
        f"{len(plan.conflicts)} conflicting, {len(plan.assertions)} balances; "
        f"{plan.statement.format} file {plan.statement.sha256[:12]}"
    )
    _log(book, "BankLines", plan.account_id, "import", summary)


def _append(book: xw.Book, core_book: Book, sheet_name: str, rows: list[dict[str, object]]) -> None:
    """``rows`` (schema keys to values) below the last record of ``sheet_name``, in one
    block, with the money and date formats of their columns."""
    if not rows:
        return
    layout = core_book.layouts[sheet_name]
    first = entry.next_row(core_book, sheet_name)
    block = [[_excel_value(v) for v in entry.cell_values(sheet_name, row, layout)] for row in rows]
    sheet = book.sheets[layout.sheet]
    sheet.range((first, 1)).value = block
    spec = WORKBOOK.sheet(sheet_name)
    for key, col in layout.column_of.items():
        kind = spec.column(key).kind.value
        cells = sheet.range((first, col), (first + len(rows) - 1, col))
        if kind == "money":
            cells.number_format = _money_format(core_book)
        elif kind == "date":
            cells.number_format = DATE_FORMAT


import_bank_file_main = _on_caller(import_bank_file, "RunPython: Import bank file.")
