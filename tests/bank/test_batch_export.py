"""``practicebook batch DIR --export FORMAT --out DIR``: a journal per practice in the
folder, each row saying what was written or why not, and a workbook that crashes its
worker or has provisional figures never stops the others."""

from __future__ import annotations

import csv
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
from practicebook.batching import task as task_module
from practicebook.batching.journals import journal_path
from practicebook.frontends.cli import main
from practicebook.generate import generate
from practicebook.generate.bank import statements
from tests.support.batch_tasks import crashing_task

AS_OF = "2026-03-31"


def run(*args: object):
    return CliRunner().invoke(main, ["batch", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    """A billing service's folder: a practice with three months of statements imported,
    one in a subfolder without any, and one with planted problems."""
    root = tmp_path_factory.mktemp("clients")
    (root / "north").mkdir()
    practice = generate(120, seed=1)
    practice.write(root / "practice.xlsx")
    made = statements(practice, seed=1)
    for name in ("chk-2026-01.csv", "chk-2026-02.csv", "chk-2026-03.csv", "stripe-2026-03.csv"):
        bank.import_statement(root / "practice.xlsx", made.files[name], name=name)
    generate(120, seed=3).write(root / "north" / "practice.xlsx")
    generate(120, seed=5, problems=True).write(root / "problems.xlsx")
    return root


def hledger_balance(path: Path, account: str) -> Decimal:
    done = subprocess.run(
        ["hledger", "-f", str(path), "balance", "--flat", "-O", "csv", "--no-total", account],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
    return sum((Decimal(r[1].split()[0].replace(",", "")) for r in rows if r[1]), Decimal(0))


def test_journey_a_billing_service_exports_every_practices_journal(office, tmp_path, monkeypatch):
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    folder = tmp_path / "clients"
    shutil.copytree(office, folder)
    (folder / "abort-me.xlsx").write_bytes((office / "practice.xlsx").read_bytes())
    out = tmp_path / "journals"
    done = run(folder, "--as-of", AS_OF, "--export", "hledger", "--out", out, "--format", "json")
    assert done.exit_code == 1, done.output  # one unreadable, one with provisional figures
    rows = {
        Path(w["file"]).relative_to(folder).as_posix(): w
        for w in json.loads(done.output)["workbooks"]
    }
    assert rows["abort-me.xlsx"]["status"] == "unreadable"
    assert "crashed the worker process" in rows["abort-me.xlsx"]["reason"]
    problems = rows["problems.xlsx"]
    assert problems["journal"] is None
    assert "journal not written: its figures are provisional" in problems["reason"]
    written = {
        name: Path(rows[name]["journal"]) for name in ("practice.xlsx", "north/practice.xlsx")
    }
    assert written == {
        "practice.xlsx": out / "practice.journal",
        "north/practice.xlsx": out / "north" / "practice.journal",
    }
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "north/practice.journal",
        "practice.journal",
    ]
    if shutil.which("hledger") is None:
        pytest.skip("hledger is not installed")
    for name, journal in written.items():
        checked = subprocess.run(["hledger", "check", "-f", str(journal)], capture_output=True)
        assert checked.returncode == 0, checked.stderr
        book, _ = practicebook.load(folder / name)
        rec = practicebook.reconcile(book, AS_OF)
        assert hledger_balance(journal, "Receivables") == rec.balances["balance"].sum()
        matched = bank.match(book, AS_OF)
        chk = Decimal(matched.balances.at("CHK", matched.as_of) or 0).scaleb(-2)
        assert hledger_balance(journal, "Assets:Bank:CHK") == chk
    text = written["practice.xlsx"].read_text()
    assert "CHK statement lines" in text and "C0001" not in text
    assert "CHK statement lines" not in written["north/practice.xlsx"].read_text()  # none imported


def test_a_second_run_replaces_each_journal_and_a_failed_write_is_that_rows_reason(
    office, tmp_path
):
    out = tmp_path / "journals"
    first = run(office / "practice.xlsx", "--as-of", AS_OF, "--export", "csv", "--out", out)
    assert first.exit_code == 0, first.output
    target = out / "practice.csv"
    before = target.read_bytes()
    again = run(office / "practice.xlsx", "--as-of", AS_OF, "--export", "csv", "--out", out)
    assert again.exit_code == 0 and target.read_bytes() == before
    blocked = tmp_path / "blocked"
    (blocked / "practice.journal").mkdir(parents=True)  # a folder where the file would go
    done = run(
        office / "practice.xlsx", office / "north", "--as-of", AS_OF,
        "--export", "hledger", "--out", blocked, "--format", "json",
    )  # fmt: skip
    assert done.exit_code == 1
    first_row, second_row = json.loads(done.output)["workbooks"]
    assert first_row["journal"] is None and "journal not written" in first_row["reason"]
    assert second_row["journal"] == str(blocked / "north" / "practice.journal")


def test_export_needs_an_out_folder_and_a_known_format(office):
    no_out = run(office, "--export", "hledger")
    assert no_out.exit_code == 2 and "--export needs --out FOLDER" in no_out.output
    unknown = run(office, "--export", "ledger", "--out", office / "x")
    assert unknown.exit_code == 2


def test_a_journal_is_named_after_its_workbook_below_the_shared_folder(tmp_path):
    (tmp_path / "north").mkdir()
    for name in ("north/practice.xlsx", "north/practice.xlsm", "other.xlsx"):
        (tmp_path / name).write_bytes(b"")
    base = str(tmp_path)
    assert journal_path(str(tmp_path / "other.xlsx"), "beancount", "/out", base) == Path(
        "/out/other.beancount"
    )
    # a twin of another suffix beside it: the whole file name, so neither replaces the other
    assert journal_path(str(tmp_path / "north/practice.xlsm"), "hledger", "/out", base) == Path(
        "/out/north/practice.xlsm.journal"
    )
    assert journal_path(str(tmp_path / "north/practice.xlsx"), "xero", "/out", base) == Path(
        "/out/north/practice.xlsx.csv"
    )
