"""Writing the bank to the workbook: through the safe writer, audited, refusing what would
be wrong, and writing nothing when there is nothing to write."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

import practicebook
from practicebook import bank
from practicebook.errors import RowRefused, WriteFailed
from practicebook.generate import generate
from practicebook.generate.bank import statements

MARCH = dt.date(2026, 3, 31)


@pytest.fixture
def book(tmp_path):
    practice = generate(120, seed=5)
    path = tmp_path / "book.xlsx"
    practice.write(path)
    return path, statements(practice, seed=5)


def test_a_workbook_without_the_bank_sheets_is_refused_with_one_line(book, tmp_path):
    path, made = book
    wb = openpyxl.load_workbook(path)
    del wb["BankLines"]
    old = tmp_path / "old.xlsx"
    wb.save(old)
    with pytest.raises(WriteFailed) as refused:
        bank.import_statement(old, made.files["chk-2026-03.csv"], name="march.csv", account="CHK")
    assert "run practicebook upgrade" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_storing_matches_twice_writes_once(book):
    path, made = book
    for name in ("chk-2026-05.csv", "stripe-2026-05.csv"):
        bank.import_statement(path, made.files[name], name=name)
    first = bank.store_matches(path, as_of="2026-05-31")
    assert first.lines > 0 and first.backup is not None
    before = path.read_bytes()
    second = bank.store_matches(path, as_of="2026-05-31")
    assert (second.lines, second.payments, second.backup) == (0, 0, None)
    assert path.read_bytes() == before
    loaded, _ = practicebook.load(path)
    lines = loaded.frames["BankLines"]
    assert (lines["status"] == "matched").sum() == first.lines
    payments = loaded.payments
    assert payments["deposit_date"].notna().sum() == first.payments


def test_a_period_that_does_not_balance_is_not_reconciled(book):
    path, made = book
    bank.import_statement(path, made.files["chk-2026-03.csv"], name="march.csv", account="CHK")
    before = path.read_bytes()
    with pytest.raises(RowRefused) as refused:
        bank.reconcile_statement(path, "CHK", MARCH, balance="1.00")
    codes = {i.code.value for i in refused.value.issues}
    assert codes & {"assertion-failed", "unrecorded-receipt"}
    assert path.read_bytes() == before


def test_a_reconciled_line_is_never_changed(book):
    path, made = book
    bank.import_statement(path, made.files["chk-2026-01.csv"], name="jan.csv", account="CHK")
    loaded, _ = practicebook.load(path)
    lines = loaded.frames["BankLines"]
    for line_id in lines["line_id"]:
        bank.choose(path, line_id, not_client_money=True)
    done = bank.reconcile_statement(path, "CHK", dt.date(2026, 1, 31))
    assert done.check.difference == 0 and not done.closed
    with pytest.raises(RowRefused) as refused:
        bank.choose(path, lines["line_id"].iat[0], unmatch=True)
    assert "reconciled statement period" in refused.value.issues[0].message
    loaded, _ = practicebook.load(path)
    accounts = loaded.frames["BankAccounts"].set_index("account_id")
    assert accounts.loc["CHK", "reconciled_through"].date() == dt.date(2026, 1, 31)


def test_journey_an_older_workbook_is_upgraded_then_takes_its_statements(tmp_path):
    from practicebook.workbook.upgrade import upgrade
    from tests.documents.test_upgrade import version_1_book

    path = version_1_book(tmp_path / "old.xlsx")  # no bank sheets, no Payments bank columns
    statement = b"Date,Description,Amount\n03/04/2026,E-TRANSFER FROM ADA EXAMPLE,100.00\n"
    with pytest.raises(WriteFailed) as refused:
        bank.import_statement(path, statement, name="march.csv", account="CHK")
    assert "run practicebook upgrade" in str(refused.value)
    done = upgrade(path)
    assert {"BankAccounts", "BankLines", "Assertions"} <= set(done.sheets)
    assert done.columns["Payments"] == ["processor", "processor_fee", "payout_id", "deposit_date"]
    report = bank.import_statement(path, statement, name="march.csv", account="CHK")
    assert report.written and report.added == ["CHK-00001"]
    stored = bank.store_matches(path, as_of="2026-03-31")
    assert (stored.lines, stored.payments) == (1, 1)
    loaded, issues = practicebook.load(path)
    assert not [i for i in issues if i.is_error]
    line = loaded.frames["BankLines"].iloc[0]
    assert (line["description"], line["matched_payment_ids"]) == ("E-TRANSFER FROM ***", "P1")
    assert loaded.payments["deposit_date"].iat[0].date() == dt.date(2026, 3, 4)
