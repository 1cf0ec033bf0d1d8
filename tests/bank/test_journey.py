"""A bookkeeper's month at the command line: import March's bank and Stripe files (and
February's again, overlapping), match, see what is left, record the Zelle payment nobody
entered, mark the bank's fees, reconcile both accounts, close the month, and hand the
accountant a journal hledger accepts — every figure compared with the core's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import practicebook
from practicebook import bank
from practicebook.frontends.cli import main
from practicebook.generate import generate
from practicebook.generate.bank import statements
from practicebook.generate.practice import LAST
from practicebook.l10n import format_money
from practicebook.workbook import ooxml

MARCH = dt.date(2026, 3, 31)


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    practice = generate(600)
    practice.write(folder / "book.xlsx")
    made = statements(practice)
    for name, data in made.files.items():
        (folder / name).write_bytes(data)
    return folder, made


def status(book: Path) -> dict:
    done = run("bank", "status", book, "--as-of", MARCH, "--format", "json")
    return json.loads(done.output)


def test_journey_a_bookkeeper_closes_march(office):
    folder, made = office
    book = folder / "book.xlsx"
    for name in ("chk-2026-01.csv", "chk-2026-02.csv", "chk-2026-03.csv"):
        done = run("bank", "import", book, folder / name, "--account", "CHK")
        assert done.exit_code == 0, done.output
        assert "conflicting" in done.output and "0 conflicting" in done.output
    for name in ("stripe-2026-01.csv", "stripe-2026-02.csv", "stripe-2026-03.csv"):
        assert run("bank", "import", book, folder / name).exit_code == 0
    # February downloaded again mid-March: every line of it is already there
    overlapping = folder / made.planted["redownload"]
    again = run("bank", "import", book, overlapping, "--account", "CHK")
    lines = overlapping.read_text().count("\n") - 1
    assert f"added 0 lines, {lines} already there, 0 conflicting" in again.output

    # the statement descriptions are kept masked: no name from a statement is in the workbook
    package = book.read_bytes()
    stored = " ".join(str(c) for row in ooxml.read_sheet(package, "BankLines") for c in row if c)
    assert "ZELLE FROM ***" in stored and not any(name.upper() in stored for name in LAST)

    matched = run("bank", "match", book, "--as-of", MARCH)
    assert "unrecorded-receipt" in matched.output and "recorded:" in matched.output
    report = status(book)
    loaded, _ = practicebook.load(book)
    core = bank.match(loaded, MARCH)
    chk = next(a for a in report["accounts"] if a["account_id"] == "CHK")
    assert Decimal(chk["balance"]) == Decimal(core.balances.at("CHK", MARCH)).scaleb(-2)
    day, amount = made.planted["zelle"]
    (zelle,) = [f for f in report["flags"] if f["code"] == "unrecorded-receipt"]
    assert (
        day.isoformat() in zelle["message"]
        and format_money(18000, "USD", "en_US") in zelle["message"]
    )

    # the bookkeeper records the Zelle payment nobody entered, and matches again
    practicebook.add_payment(
        book,
        {
            "client_id": "C0002",
            "amount": str(amount),
            "method": "zelle",
            "received_date": day.isoformat(),
        },
    )
    run("bank", "match", book, "--as-of", MARCH)
    report = status(book)
    assert not [f for f in report["flags"] if f["code"] == "unrecorded-receipt"]
    explained = run("bank", "explain", book, zelle["row_id"])
    assert "matched: amount-date" in explained.output and "zelle" in explained.output

    # the bank's own fees are not client money; a refused choice writes nothing
    fees = [ln["line_id"] for ln in report["lines"] if ln["status"] == "unmatched"]
    assert fees and all(ln["amount"] == "-15.00" for ln in report["lines"] if ln["line_id"] in fees)
    refused = run("bank", "choose", book, fees[0], "P0000001")
    assert refused.exit_code == 1 and "nothing was written" in refused.output
    for line_id in fees:
        assert run("bank", "choose", book, line_id, "--not-client-money").exit_code == 0

    # reconcile both accounts through March and close the month
    early = run("bank", "reconcile", book, "--account", "CHK", "--through", MARCH, "--close")
    assert early.exit_code == 1 and "STRIPE (never)" in early.output
    assert (
        run(
            "bank", "reconcile", book, "--account", "STRIPE", "--through", MARCH, "--balance", "0"
        ).exit_code
        == 0
    )
    closed = run("bank", "reconcile", book, "--account", "CHK", "--through", MARCH, "--close")
    assert closed.exit_code == 0, closed.output
    assert "difference 0" in closed.output and "books closed through 2026-03-31" in closed.output
    loaded, issues = practicebook.load(book)
    assert loaded.settings.lock_through_date == MARCH
    assert not [i for i in issues if i.is_error]
    log = ooxml.read_sheet(book.read_bytes(), "AuditLog")
    action = log[0].index("action")
    actions = {r[action] for r in log[1:]}
    assert {"import", "match", "choose", "reconcile", "close"} <= actions

    # the journal for the accountant
    out = folder / "march.journal"
    done = run(
        "export", book, "--to", "hledger", "--from", "2026-03-01", "--until", MARCH, "--out", out
    )
    assert done.exit_code == 0 and out.exists()
    if shutil.which("hledger"):
        checked = subprocess.run(
            ["hledger", "check", "-f", str(out)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        balances = subprocess.run(
            [
                "hledger",
                "-f",
                str(out),
                "balance",
                "--flat",
                "-O",
                "csv",
                "--no-total",
                "Receivables",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (row,) = list(csv.reader(io.StringIO(balances)))[1:]
        rec = practicebook.reconcile(loaded, MARCH)
        assert Decimal(row[1].split()[0]) == rec.balances["balance"].sum()
    assert "C0001" not in out.read_text()


def test_journey_what_is_not_a_statement_is_one_line_and_exit_2(office, tmp_path):
    folder, _ = office
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x00\x00binary")
    done = CliRunner().invoke(
        main, ["bank", "import", str(folder / "book.xlsx"), str(pdf), "--account", "CHK"]
    )
    assert done.exit_code == 2
    assert done.output.count("\n") == 1 and done.output.startswith("error: ")
    assert "Traceback" not in done.output


def test_journey_explain_an_unknown_line_is_one_line_and_exit_2(office):
    folder, _ = office
    done = CliRunner().invoke(main, ["bank", "explain", str(folder / "book.xlsx"), "NOPE-1"])
    assert done.exit_code == 2 and "there is no line 'NOPE-1'" in done.output


def test_journey_a_dry_run_writes_nothing(office):
    folder, _ = office
    book = folder / "book.xlsx"
    before = book.read_bytes()
    done = run("bank", "import", book, folder / "chk-2026-06.csv", "--account", "CHK", "--dry-run")
    assert "would add" in done.output and book.read_bytes() == before
