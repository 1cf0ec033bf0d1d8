# ruff: noqa: E402  (xlwings' licence variable is set before xlwings is imported)
"""Journeys: Import bank file from Home, on a workbook that lives in a folder.

The rows the button appends to the open workbook are compared with what
``practicebook.bank.import_statement`` writes to a copy of the same file; pressing it
again adds nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook import api, bank
from practicebook.frontends import excel
from practicebook.generate.bank import statements
from practicebook.issues import column_letter
from practicebook.model import ROW
from practicebook.schema import home
from tests.frontends.excel.test_excel_documents import run_in_folder
from tests.frontends.excel.test_excel_journeys import HOME, apply_to_file, status, typed, writes

STATEMENT = "chk-2026-03.csv"
WRITTEN = ("BankAccounts", "BankLines", "Assertions")


@pytest.fixture(scope="module")
def files(practice):
    return statements(practice).files


def pressed(book: Path, folder: Path, edits: dict) -> tuple[object, list]:
    return run_in_folder(
        book, folder, excel.import_bank_file, active="Home", selection="N6", edits=edits
    )


def after(book: Path, actions: list, out: Path) -> Path:
    """The workbook with the button's writes made, as Excel would hold them."""
    for sheet in WRITTEN:
        book = apply_to_file(book, actions, sheet, out)
    return book


def records(path: Path, sheet: str) -> list[dict]:
    book, _ = api.load(path)
    frame = book.frames[sheet].drop(columns=[ROW])
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_journey_import_bank_file_adds_what_the_cli_adds_and_nothing_twice(
    book_path, files, tmp_path
):
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / STATEMENT).write_bytes(files[STATEMENT])
    edits = typed(home.BANK_FORM, {"statement_file": STATEMENT, "account_id": "CHK"})
    plan, actions = pressed(book_path, folder, edits)
    assert plan is not None and len(plan.rows) == 9 and plan.present == 0
    line = f"{STATEMENT} into CHK: added 9, already present 0, conflicting 0."
    assert status(actions, home.BANK_FORM) == line
    assert writes(actions, HOME)[home.RESULT_CELL] == f"Imported {line}"

    by_cli = tmp_path / "cli.xlsm"
    shutil.copy(book_path, by_cli)
    report = bank.import_statement(by_cli, folder / STATEMENT, account="CHK")
    assert report.written and len(report.added) == 9
    by_button = after(folder / book_path.name, actions, tmp_path / "button.xlsm")
    for sheet in WRITTEN:
        assert records(by_button, sheet) == records(by_cli, sheet), sheet
    lines = records(by_button, "BankLines")
    assert [r["line_id"] for r in lines] == [f"CHK-{n:05d}" for n in range(1, 10)]

    again, actions = pressed(by_button, folder, edits)
    assert again is not None and again.rows == [] and again.present == 9
    assert status(actions, home.BANK_FORM) == (
        f"{STATEMENT} into CHK: added 0, already present 9, conflicting 0."
    )
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] != HOME]


def test_journey_import_bank_file_says_what_is_missing_and_writes_nothing(
    book_path, files, tmp_path
):
    folder = tmp_path / "office"
    folder.mkdir()
    row, col = home.BANK_FORM.value_cell("statement_file")
    cell = f"Home!{column_letter(col)}{row}"
    _, actions = pressed(book_path, folder, {})
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert == f"Type the statement file's full path in {cell}."

    _, actions = pressed(book_path, folder, typed(home.BANK_FORM, {"statement_file": "gone.csv"}))
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert == "Cannot read gone.csv: No such file or directory."

    (folder / "statement.ofx").write_bytes(b"OFXHEADER:100\n<OFX><BANKTRANLIST>\x00\xff")
    edits = typed(home.BANK_FORM, {"statement_file": str(folder / "statement.ofx")})
    plan, actions = pressed(book_path, folder, edits)
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert plan is None and alert.startswith("Not imported: ")
    assert status(actions, home.BANK_FORM) == alert
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] != HOME]


def test_journey_import_bank_file_names_a_balance_it_did_not_add(book_path, files, tmp_path):
    """Assertions already holds another balance for the statement's closing day: the lines
    go in, the balance does not, and the line under the form says why."""
    import openpyxl

    book, _ = api.load(book_path)
    stated = bank.plan_import(book, files[STATEMENT], name=STATEMENT, account="CHK").assertions
    day = stated[0]["date"]
    wb = openpyxl.load_workbook(book_path, keep_vba=True)
    layout = book.layouts["Assertions"]
    cells = {"account_id": "CHK", "date": day, "expected_balance": 1.00, "source": "typed"}
    row = layout.header_row + 1
    for key, value in cells.items():
        wb[layout.sheet].cell(row, layout.column_of[key]).value = value
    asserted = tmp_path / "asserted.xlsm"
    wb.save(asserted)
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / STATEMENT).write_bytes(files[STATEMENT])
    edits = typed(home.BANK_FORM, {"statement_file": STATEMENT, "account_id": "CHK"})
    plan, actions = pressed(asserted, folder, edits)
    assert plan is not None and len(plan.rows) == 9 and plan.assertions == []
    assert status(actions, home.BANK_FORM) == (
        f"{STATEMENT} into CHK: added 9, already present 0, conflicting 0. Note: the "
        f"statement states another balance for CHK at the end of {day.isoformat()} than "
        "the Assertions sheet; it was not added"
    )


def test_journey_import_bank_file_into_a_new_account(book_path, files, tmp_path):
    """An account the workbook does not have yet: its BankAccounts row goes in first, as
    ``practicebook bank import --account`` adds it to a file."""
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / STATEMENT).write_bytes(files[STATEMENT])
    edits = typed(home.BANK_FORM, {"statement_file": str(folder / STATEMENT), "account_id": "SAV"})
    plan, actions = pressed(book_path, folder, edits)
    assert plan is not None and plan.new_account is not None and len(plan.rows) == 9
    by_cli = tmp_path / "cli.xlsm"
    shutil.copy(book_path, by_cli)
    bank.import_statement(by_cli, folder / STATEMENT, account="SAV")
    by_button = after(folder / book_path.name, actions, tmp_path / "button.xlsm")
    for sheet in WRITTEN:
        assert records(by_button, sheet) == records(by_cli, sheet), sheet
    assert [r["account_id"] for r in records(by_button, "BankAccounts")][-1] == "SAV"
