# ruff: noqa: E402  (xlwings' licence variable is set before xlwings is imported)
"""Journeys: client documents and deposits from the workbook's buttons.

As in ``test_excel_journeys``: the active sheet and selection as Excel has them, the
figures compared with ``practicebook.documents`` and ``practicebook.bank``. A workbook
"on a computer" is a copy in a folder, named by its full path as desktop Excel names it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook import api
from practicebook.frontends import excel
from practicebook.schema import home
from tests.frontends.excel.test_excel import run, sheet_index, values_at
from tests.frontends.excel.test_excel_journeys import HOME, apply_to_file, status, typed, writes
from tests.support.excel_payload import payload

# --- client documents -----------------------------------------------------------------


def run_in_folder(path: Path, folder: Path, macro, **where):
    """Run ``macro`` on a copy of the workbook that lives in ``folder`` (desktop Excel)."""
    copy_ = folder / path.name
    shutil.copy(path, copy_)
    data = payload(copy_, **where)
    data["book"]["name"] = str(copy_)
    book = xw.Book(json=data)
    try:
        return macro(book), book.json()["actions"]
    finally:
        book.close()


def documents_row(actions, book_path: Path) -> list[object]:
    position = sheet_index(book_path, "Documents")
    return next(
        a["values"][0]
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == position
    )


def test_journey_statement_on_a_clients_row_saves_and_records_it(book_path, tmp_path):
    from practicebook import documents
    from practicebook.frontends.excel.documents import last_month

    book, _ = api.load(book_path)
    first, last = last_month(dt.date.today())
    expected = documents.statement(book, "C0003", start=first, end=last)
    path, actions = run_in_folder(
        book_path, tmp_path, excel.statement, active="Clients", selection="B4"
    )
    assert path == tmp_path / "documents" / f"ST-00001_statement_C0003_{first:%Y-%m}.pdf"
    assert path.read_bytes().startswith(b"%PDF")
    row = documents_row(actions, book_path)
    layout = book.layouts["Documents"]
    at = {key: row[col - 1] for key, col in layout.column_of.items()}
    assert at["document_number"] == "ST-00001" and at["type"] == "statement"
    assert at["client_id"] == "C0003" and at["file_name"] == path.name
    assert Decimal(str(at["total"])) == expected.total
    assert at["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert writes(actions, HOME)[home.RESULT_CELL] == (
        f"Statement ST-00001 saved as documents/{path.name}"
    )


def test_journey_receipt_on_a_payments_row(book_path, tmp_path):
    from practicebook import documents

    book, _ = api.load(book_path)
    payment = book.payments.iloc[0]
    path, actions = run_in_folder(
        book_path,
        tmp_path,
        excel.receipt,
        active="Payments",
        selection=f"C{int(payment['_row'])}",
    )
    from practicebook.core.documents import next_numbers
    from practicebook.workbook.documents import file_name

    expected = documents.receipt(book, str(payment["payment_id"]))
    number = next_numbers([], "receipt", None)[0]
    assert path == tmp_path / "documents" / file_name(number, expected)
    assert path.read_bytes().startswith(b"%PDF")
    row = documents_row(actions, book_path)
    at = {key: row[col - 1] for key, col in book.layouts["Documents"].column_of.items()}
    assert at["payment_id"] == payment["payment_id"]
    assert Decimal(str(at["total"])) == expected.total


def test_journey_receipt_needs_a_payments_row(book_path, tmp_path):
    path, actions = run_in_folder(
        book_path, tmp_path, excel.receipt, active="Clients", selection="A3"
    )
    assert path is None and not (tmp_path / "documents").exists()
    assert [a["args"][0] for a in actions if a["func"] == "alert"] == [
        "Select a payment's row on the Payments sheet first."
    ]


def test_journey_superbill_from_home_says_why_it_cannot_be_issued(book_path, tmp_path):
    """The practice's sessions end before last month: nothing to bill, and it says so."""
    from practicebook import documents
    from practicebook.frontends.excel.documents import last_month

    book, _ = api.load(book_path)
    first, last = last_month(dt.date.today())
    with pytest.raises(LookupError) as refused:
        documents.superbill(book, "C0002", start=first, end=last)
    edits = typed(home.CLIENT_FORM, {"client_id": "C0002"})
    path, actions = run_in_folder(
        book_path, tmp_path, excel.superbill, active="Home", selection="H14", edits=edits
    )
    assert path is None and not (tmp_path / "documents").exists()
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert == f"Not issued: {refused.value}"
    assert status(actions, home.CLIENT_FORM) == alert


def test_journey_documents_in_excel_on_the_web_say_they_need_a_folder(book_path):
    result, actions = run(book_path, excel.statement, active="Clients", selection="A3")
    assert result is None
    assert next(a for a in actions if a["func"] == "alert")["args"][0] == (
        "Statement needs Excel on a computer: the PDF is saved beside the workbook."
    )


def test_journey_a_second_statement_takes_the_next_number(book_path, tmp_path):
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    path, actions = run_in_folder(
        book_path, first_dir, excel.statement, active="Clients", selection="A3"
    )
    assert path.name.startswith("ST-00001_")
    recorded = apply_to_file(book_path, actions, "Documents", tmp_path / "recorded.xlsm")
    assert api.load(recorded)[0].frame("Documents")["document_number"].tolist() == ["ST-00001"]
    again, _ = run_in_folder(
        recorded, second_dir, excel.statement, active="Clients", selection="A4"
    )
    assert again.name.startswith("ST-00002_statement_C0003_")


def test_journey_match_deposits_writes_where_each_payment_is(book_path):
    from practicebook import bank

    book, _ = api.load(book_path)
    expected = bank.match(book, "2026-12-31")
    missing, actions = run(
        book_path, excel.match_deposits, "2026-12-31", active="Home", selection="A1"
    )
    added = next(a for a in actions if a["func"] == "addSheet" and a["args"][1] == "Deposits")
    table = values_at(actions, added["args"][0], 2)
    assert table[0] == list(expected.payments.columns)
    state = table[0].index("state")
    assert [r[state] for r in table[1:]] == list(expected.payments["state"])
    assert missing == sum(s == "not found" for s in expected.payments["state"])
    assert writes(actions, HOME)[home.RESULT_CELL].startswith("Deposits as of Dec 31, 2026: ")


def test_journey_statement_for_the_period_typed_on_home(book_path, tmp_path):
    """Client and period typed in Home's Client form: the PDF is the one
    ``practicebook.documents`` makes for that client and period, byte for byte."""
    from dataclasses import replace

    from practicebook import documents

    book, _ = api.load(book_path)
    first, last = dt.date(2026, 5, 1), dt.date(2026, 5, 31)
    expected = documents.statement(book, "C0003", start=first, end=last)
    assert len(expected.lines) > 0  # the month has activity: a real comparison
    edits = typed(
        home.CLIENT_FORM,
        {
            "client_id": "C0003",
            "period_start": dt.datetime(2026, 5, 1),
            "period_end": "2026-05-31",
        },
    )
    path, actions = run_in_folder(
        book_path, tmp_path, excel.statement, active="Home", selection="H14", edits=edits
    )
    assert path == tmp_path / "documents" / "ST-00001_statement_C0003_2026-05.pdf"
    assert path.read_bytes() == documents.to_pdf(replace(expected, number="ST-00001"), book=book)
    row = documents_row(actions, book_path)
    at = {key: row[col - 1] for key, col in book.layouts["Documents"].column_of.items()}
    assert str(at["period_start"]).startswith("2026-05-01")
    assert str(at["period_end"]).startswith("2026-05-31")
    assert Decimal(str(at["total"])) == expected.total


@pytest.mark.parametrize(
    ("period", "why"),
    [
        (
            {"period_start": "2026-03-01"},
            "Type both days of the period, or neither (last month): Home!H16 is blank.",
        ),
        (
            {"period_start": "2026-03-31", "period_end": "2026-03-01"},
            "The period ends before it starts: Home!H16 is before Home!H15.",
        ),
        (
            {"period_start": "March", "period_end": "2026-03-31"},
            "Home!H15 is not a day: type a date such as 2026-03-01.",
        ),
    ],
)
def test_journey_a_period_that_is_not_one_issues_nothing(book_path, tmp_path, period, why):
    edits = typed(home.CLIENT_FORM, {"client_id": "C0003", **period})
    path, actions = run_in_folder(
        book_path, tmp_path, excel.statement, active="Home", selection="H14", edits=edits
    )
    assert path is None and not (tmp_path / "documents").exists()
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert == f"Not issued: {why}"
    assert status(actions, home.CLIENT_FORM) == alert


def test_journey_invoice_on_a_sessions_row_then_never_twice(book_path, tmp_path):
    """Invoice pressed on an attended session's row: that session's invoice, the same
    PDF as ``practicebook.documents`` makes; pressed again on the same row once the
    Documents row is in the book, it is refused naming the invoice."""
    from dataclasses import replace

    from practicebook import documents

    book, _ = api.load(book_path)
    attended = book.sessions[book.sessions["status"] == "attended"].iloc[0]
    session_id, client_id = str(attended["session_id"]), str(attended["client_id"])
    expected = documents.invoice(book, client_id, sessions=[session_id])
    assert expected.total > 0
    where = {"active": "Sessions", "selection": f"D{int(attended['_row'])}"}
    path, actions = run_in_folder(book_path, tmp_path, excel.invoice, **where)
    assert path is not None and path.name.startswith("INV-00001_invoice_" + client_id)
    assert path.read_bytes() == documents.to_pdf(replace(expected, number="INV-00001"), book=book)
    row = documents_row(actions, book_path)
    at = {key: row[col - 1] for key, col in book.layouts["Documents"].column_of.items()}
    assert at["type"] == "invoice" and Decimal(str(at["total"])) == expected.total

    issued = apply_to_file(tmp_path / book_path.name, actions, "Documents", tmp_path / "i.xlsm")
    again = tmp_path / "again"
    again.mkdir()
    path, actions = run_in_folder(issued, again, excel.invoice, **where)
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert path is None and alert.startswith("Not issued: ") and "INV-00001" in alert


def test_journey_invoice_for_a_clients_period_from_home(book_path, tmp_path):
    from dataclasses import replace

    from practicebook import documents

    book, _ = api.load(book_path)
    expected = documents.invoice(book, "C0003", start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))
    assert len(expected.charge_ids) > 1
    edits = typed(
        home.CLIENT_FORM,
        {"client_id": "C0003", "period_start": "2026-05-01", "period_end": "2026-05-31"},
    )
    path, _ = run_in_folder(
        book_path, tmp_path, excel.invoice, active="Home", selection="H14", edits=edits
    )
    assert path is not None
    assert path.read_bytes() == documents.to_pdf(replace(expected, number="INV-00001"), book=book)


def test_journey_good_faith_estimate_from_home(book_path, tmp_path):
    """Client, services and frequency typed on Home, the period left blank: a year from
    today, the same PDF as ``practicebook.documents.estimate`` makes."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from practicebook import documents
    from practicebook.core.documents import next_numbers

    book, _ = api.load(book_path)
    today = dt.datetime.now(ZoneInfo(book.settings.timezone)).date()
    services = [("90791", 1), ("90834", None)]
    expected = documents.estimate(
        book,
        "C0003",
        services=services,
        start=today,
        end=documents.a_year_from(today),
        frequency="biweekly",
    )
    assert expected.total > 0
    edits = {
        **typed(home.CLIENT_FORM, {"client_id": "C0003"}),
        **typed(
            home.ESTIMATE_FORM,
            {"estimate_services": "90791=1, 90834", "estimate_frequency": "Biweekly"},
        ),
    }
    path, actions = run_in_folder(
        book_path, tmp_path, excel.estimate, active="Home", selection="N11", edits=edits
    )
    number = next_numbers([], "estimate", None)[0]
    assert path is not None and path.name.startswith(f"{number}_estimate_C0003")
    assert path.read_bytes() == documents.to_pdf(replace(expected, number=number), book=book)
    row = documents_row(actions, book_path)
    at = {key: row[col - 1] for key, col in book.layouts["Documents"].column_of.items()}
    assert at["type"] == "estimate" and Decimal(str(at["total"])) == expected.total


@pytest.mark.parametrize(
    ("typed_in", "why"),
    [
        ({"estimate_services": ""}, "Home!N11: Name the services expected"),
        ({"estimate_services": "90834=often"}, "Home!N11: '90834=often': write CODE"),
        (
            {"estimate_services": "90834", "estimate_frequency": "daily"},
            "Home!N12: 'daily' is no frequency",
        ),
    ],
)
def test_journey_an_estimate_says_what_to_type(book_path, tmp_path, typed_in, why):
    edits = {
        **typed(home.CLIENT_FORM, {"client_id": "C0003"}),
        **typed(home.ESTIMATE_FORM, typed_in),
    }
    path, actions = run_in_folder(
        book_path, tmp_path, excel.estimate, active="Home", selection="N11", edits=edits
    )
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert path is None and alert.startswith(f"Not issued: {why}")
    assert status(actions, home.ESTIMATE_FORM) == alert
