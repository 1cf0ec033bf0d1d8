"""The accounting export: hledger and beancount accept every journal, the balances in it
are the core's (computed by hledger, an independent engine), every spreadsheet format
balances journal by journal, Xero files stay within 300 lines, and no value of a personal
column reaches any export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from practicebook import bank
from practicebook.core.amounts import minor_units
from practicebook.core.reconcile import reconcile
from practicebook.schema import WORKBOOK
from tests.bank.support import appended, generated, parsed, with_statements

END = dt.date(2026, 11, 30)
FORMATS = ["hledger", "beancount", "qbo", "xero", "csv"]
BEAN_CHECK = Path(sys.executable).with_name("bean-check")


@pytest.fixture(scope="module")
def year():
    practice, book, statements = generated()
    return practice, with_statements(book, statements.files)


def run(
    argv: list[str], text: str, tmp_path: Path, suffix: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"export{suffix}"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([*argv, str(path)], capture_output=True, text=True, timeout=120)


def hledger_balances(text: str, tmp_path: Path, end: dt.date) -> dict[str, Decimal]:
    path = tmp_path / "balances.journal"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [
            "hledger",
            "-f",
            str(path),
            "balance",
            "--flat",
            "-e",
            (end + dt.timedelta(days=1)).isoformat(),
            "-O",
            "csv",
            "--no-total",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
    return {
        account: Decimal(amount.split()[0].replace(",", "")) for account, amount in rows if amount
    }


needs_hledger = pytest.mark.skipif(
    shutil.which("hledger") is None, reason="hledger is not installed"
)
needs_beancount = pytest.mark.skipif(not BEAN_CHECK.exists(), reason="beancount is not installed")


@needs_hledger
@pytest.mark.parametrize("per", ["day", "deposit"])
@pytest.mark.parametrize("ids", [False, True], ids=["no-ids", "client-ids"])
@pytest.mark.parametrize("start", [None, dt.date(2026, 6, 1)], ids=["all", "from-june"])
def test_hledger_accepts_every_journal_and_its_balances_are_the_cores(
    year, tmp_path, per, ids, start
):
    _, book = year
    done = bank.export_journal(book, "hledger", start=start, end=END, per=per, with_client_ids=ids)
    checked = run(["hledger", "check", "-f"], done.files[0].text, tmp_path, ".journal")
    assert checked.returncode == 0, checked.stderr
    got = hledger_balances(done.files[0].text, tmp_path, END)
    rec = reconcile(book, END)
    result = bank.match(book, END)
    receivables = sum(v for k, v in got.items() if k.startswith("Assets:Receivables:Clients"))
    assert receivables == rec.balances["balance"].sum()
    if ids:
        core = dict(zip(rec.balances["client_id"], rec.balances["balance"], strict=True))
        for client, balance in core.items():
            assert got.get(f"Assets:Receivables:Clients:{client}", Decimal(0)) == balance
    for account in ("CHK", "STRIPE"):
        kind = "Bank" if account == "CHK" else "Clearing"
        expected = Decimal(result.balances.at(account, END)).scaleb(-2)
        assert got.get(f"Assets:{kind}:{account}", Decimal(0)) == expected
    payments = result.payments
    waiting = payments[payments["line_id"].isna()]
    assert got.get("Assets:Undeposited Funds", Decimal(0)) == Decimal(
        int(minor_units(waiting["amount"]).sum())
    ).scaleb(-2)
    fees = sum(ln.fee for ln in result.bank.lines)
    assert got["Expenses:Processor Fees"] == Decimal(fees).scaleb(-2)


@needs_beancount
@pytest.mark.parametrize("per", ["day", "deposit"])
@pytest.mark.parametrize("ids", [False, True], ids=["no-ids", "client-ids"])
def test_bean_check_accepts_every_journal(year, tmp_path, per, ids):
    _, book = year
    start = dt.date(2026, 4, 1) if per == "day" else None
    done = bank.export_journal(
        book, "beancount", start=start, end=END, per=per, with_client_ids=ids
    )
    checked = run([str(BEAN_CHECK)], done.files[0].text, tmp_path, ".beancount")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # every statement account's balance is asserted at the end of each day it moves
    result = bank.match(book, END)
    text = done.files[0].text
    last = max(ln.posted for ln in result.bank.lines if ln.account_id == "CHK")
    closing = Decimal(result.balances.at("CHK", last)).scaleb(-2)
    assert f"{last + dt.timedelta(days=1)} balance Assets:Bank:CHK  {closing} USD" in text


def journals(rows: list[dict[str, str]], key: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r[key]] += Decimal(r.get("Debits") or r.get("debit") or 0) - Decimal(
            r.get("Credits") or r.get("credit") or 0
        )
    return totals


def test_quickbooks_journals_balance_and_name_a_customer_on_receivables(year):
    _, book = year
    done = bank.export_journal(book, "qbo", end=END)
    rows = list(csv.DictReader(io.StringIO(done.files[0].text)))
    assert list(rows[0]) == [
        "Journal No.",
        "Journal Date",
        "Account Name",
        "Debits",
        "Credits",
        "Description",
        "Name",
    ]
    assert set(journals(rows, "Journal No.").values()) == {Decimal(0)}
    assert {r["Name"] for r in rows if r["Account Name"] == "Assets:Receivables:Clients"} == {
        "Clients"
    }
    assert all(r["Journal Date"][2] == "/" for r in rows)  # en_US: month first


def test_xero_files_hold_at_most_300_lines_and_never_split_a_journal(year):
    _, book = year
    done = bank.export_journal(book, "xero", end=END, per="deposit")
    assert len(done.files) > 1
    seen: set[str] = set()
    for f in done.files:
        rows = list(csv.DictReader(io.StringIO(f.text)))
        assert 0 < len(rows) <= 300
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows:
            totals[r["*Narration"]] += Decimal(r["*Amount"])
        assert set(totals.values()) == {Decimal(0)}
        assert not seen & set(totals)
        seen |= set(totals)
    assert [f.part for f in done.files] == list(range(1, len(done.files) + 1))


def test_plain_csv_and_spreadsheet_cells_are_never_formulas(year):
    _, book = year
    book = appended(
        book,
        "ExportAccounts",
        [{"role": "processor_fees", "account": '=HYPERLINK("x")', "code": "@404"}],
    )
    done = bank.export_journal(book, "csv", end=END)
    rows = list(csv.DictReader(io.StringIO(done.files[0].text)))
    fees = [r for r in rows if "HYPERLINK" in r["account"]]
    assert fees and all(
        r["account"].startswith("'=") and r["account_code"] == "'@404" for r in fees
    )
    assert set(journals(rows, "journal").values()) == {Decimal(0)}


def test_account_names_come_from_the_settings_table(year, tmp_path):
    _, book = year
    book = appended(
        book,
        "ExportAccounts",
        [
            {"role": "account:CHK", "account": "Assets:Chase Checking"},
            {"role": "income", "account": "Revenue:Therapy sessions"},
        ],
    )
    text = bank.export_journal(book, "hledger", end=END).files[0].text
    assert "Assets:Chase Checking" in text and "Revenue:Therapy sessions" in text
    assert "Assets:Bank:CHK" not in text
    bean = bank.export_journal(book, "beancount", end=END).files[0].text
    assert "Assets:Chase-Checking" in bean and "Income:Revenue:Therapy-sessions" in bean


# --- confidentiality -------------------------------------------------------------------------

MARK = "Qzv"


def marked_practice():
    """A practice whose every personal column, and every name a statement carries, holds a
    marker; returns it with its statements (markers in descriptions and customer names)."""
    from practicebook.generate import generate
    from practicebook.generate.bank import statements

    practice = generate(600)
    for sheet in WORKBOOK.sheets:
        personal = [c.key for c in sheet.columns if c.phi]
        for n, row in enumerate(practice.rows.get(sheet.name, [])):
            for key in personal:
                if key in row or sheet.name in ("Clients", "Sessions", "Payments"):
                    if sheet.column(key).kind.value == "text":
                        row[key] = f"{MARK}{key}{n}"
    files = statements(practice).files
    marked = {}
    for name, data in files.items():
        text = data.decode()
        if name.startswith("chk"):
            text = text.replace("FROM ", f"FROM {MARK}NAME ")
        else:
            lines = text.splitlines()
            head = lines[0].split(",")
            at = head.index("customer_name")
            body = []
            for line in lines[1:]:
                cells = line.split(",")
                cells[at] = f"{MARK}CUSTOMER"
                body.append(",".join(cells))
            text = "\n".join([lines[0], *body]) + "\n"
        marked[name] = text.encode()
    return practice, marked


def test_no_personal_value_reaches_the_workbook_lines_or_any_export():
    practice, files = marked_practice()
    book = parsed(practice)
    assert MARK in book.frames["Clients"]["first_name"].iat[0]
    with_lines = with_statements(book, files)
    descriptions = " ".join(with_lines.frames["BankLines"]["description"].dropna())
    assert "ZELLE FROM ***" in descriptions and MARK not in descriptions
    result = bank.match(with_lines, END)
    said = " ".join(
        [i.message + i.hint for i in result.issues]
        + [str(result.explain(x)) for x in result.lines["line_id"]]
    )
    assert MARK not in said
    clients = set(with_lines.frames["Clients"]["client_id"])
    for fmt in FORMATS:
        for ids in (False, True):
            for per in ("day", "deposit"):
                done = bank.export_journal(with_lines, fmt, end=END, per=per, with_client_ids=ids)
                text = "".join(f.text for f in done.files)
                assert MARK not in text, (fmt, ids, per)
                shown = {c for c in clients if re.search(rf"\b{c}\b", text)}
                assert bool(shown) == ids, (fmt, ids)


def test_a_journal_longer_than_xero_takes_is_imported_as_balanced_parts():
    import random

    from practicebook.render.journal import Journal, Posting, Transaction
    from practicebook.render.journal.accounts import AccountNames
    from practicebook.render.journal.formats import render_xero

    rng = random.Random(7)
    clients = [Posting(f"client:C{n:04d}", rng.randrange(-5000, 90000)) for n in range(700)]
    postings = [*clients, Posting("opening_balances", -sum(p.amount for p in clients))]
    day = dt.date(2026, 6, 1)
    journal = Journal("USD", day, day, [Transaction(day, "Balances brought forward", postings)])
    files = render_xero(journal, AccountNames({}, {}, {}), "MDY")
    rows = [r for f in files for r in csv.DictReader(io.StringIO(f))]
    assert all(0 < len(list(csv.DictReader(io.StringIO(f)))) <= 300 for f in files)
    by_part: dict[str, Decimal] = defaultdict(Decimal)
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        by_part[r["*Narration"]] += Decimal(r["*Amount"])
        by_account[r["Description"]] += Decimal(r["*Amount"])
    assert len(by_part) == 3 and set(by_part.values()) == {Decimal(0)}
    assert all(n.endswith(f"part {i} of 3") for i, n in enumerate(sorted(by_part), 1))
    split = [r for r in rows if r["*AccountCode"] == "Equity:Journal Split"]
    assert len(split) == 3 and sum(Decimal(r["*Amount"]) for r in split) == 0
    for p in clients:  # every client's line is there once, with its amount
        assert by_account[p.role.partition(":")[2]] == Decimal(p.amount).scaleb(-2)
