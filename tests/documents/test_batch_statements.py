"""A month's statements across many practices: ``practicebook batch DIR --statements
2026-03 --out DIR``, each workbook in its own worker process, a row each saying how many
statements were issued or why none was."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pandas as pd
import pytest
from click.testing import CliRunner

import practicebook
from practicebook import documents
from practicebook.batching import batch
from practicebook.batching import task as task_module
from practicebook.frontends.cli import main
from practicebook.l10n import format_money
from practicebook.money import to_minor
from tests.documents.helpers import pdf_lines, write_practice
from tests.documents.test_upgrade import version_1_book
from tests.support.batch_tasks import crashing_task


@pytest.fixture
def practices(tmp_path):
    """Two complete practices in subfolders, a version 1 workbook (no Documents sheet)
    and a file that is no workbook."""
    root = tmp_path / "practices"
    for name in ("north", "south"):
        (root / name).mkdir(parents=True)
        write_practice(root / name / "practice.xlsx")
    version_1_book(root / "old.xlsx")
    (root / "broken.xlsx").write_bytes(b"not a workbook")
    return root


def _with_an_error(path):
    """The practice with a payment of an unknown client (an error: figures provisional)."""
    from tests.documents.helpers import TABLES

    text = TABLES.replace(
        "| P3         | 2026-03-25    | C1        |", "| P3         | 2026-03-25    | C404      |"
    )
    return write_practice(path, text)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_journey_a_bookkeeper_runs_march_statements_for_every_practice(practices, tmp_path):
    _with_an_error(practices / "provisional.xlsx")
    out = tmp_path / "statements"
    done = run("batch", practices, "--statements", "2026-03", "--out", out, "--format", "json")
    assert done.exit_code == 1, done.output  # some workbooks issued none
    rows = {row["file"].split("practices/")[1]: row for row in json.loads(done.output)["workbooks"]}
    for name in ("north", "south"):
        row = rows[f"{name}/practice.xlsx"]
        assert (row["statements"], row["statements_skipped"]) == (2, 0)
        assert "statements" not in (row["reason"] or "")  # only the practice's own findings
        folder = out / name / "practice"
        assert row["statements_folder"] == str(folder)
        assert sorted(p.name for p in folder.iterdir()) == [
            "ST-00001_statement_C1_2026-03.pdf",
            "ST-00002_statement_C2_2026-03.pdf",
        ]
        book, _ = practicebook.load(practices / name / "practice.xlsx")
        rec = practicebook.reconcile(book, "2026-03-31")
        closing = rec.balances.set_index("client_id")["balance"]
        for number, client in (("ST-00001", "C1"), ("ST-00002", "C2")):
            lines = pdf_lines(next(folder.glob(f"{number}_*")).read_bytes())
            shown = format_money(to_minor(closing[client], "USD"), "USD", "en_US")
            assert lines[lines.index("Closing balance") + 1] == shown
        register = documents.register(book)
        assert list(register["document_number"]) == ["ST-00001", "ST-00002"]
    assert closing["C1"] == Decimal("175.00")  # the hand-worked figure (tests.documents.helpers)
    old = rows["old.xlsx"]
    assert old["statements"] is None and old["status"] == "issues"
    assert "no Documents sheet" in old["reason"] and "practicebook upgrade" in old["reason"]
    assert rows["broken.xlsx"]["status"] == "unreadable"
    provisional = rows["provisional.xlsx"]
    assert provisional["statements"] is None
    assert "statements not issued: its figures are provisional" in provisional["reason"]
    assert not (out / "old").exists() and not (out / "provisional").exists()
    totals = json.loads(done.output)["totals"]
    assert [(t["currency"], t["statements"]) for t in totals] == [("USD", 4)]


def test_a_second_run_issues_nothing_twice(practices, tmp_path):
    out = tmp_path / "statements"
    north = practices / "north"
    first = batch(north, statements="2026-03", statements_out=out)
    assert list(first.workbooks["statements"]) == [2]
    again = batch(north, statements="2026-03", statements_out=out)
    row = again.workbooks.iloc[0]
    assert (row["statements"], row["statements_skipped"]) == (0, 2)
    assert len(list((out / "practice").iterdir())) == 2  # a single workbook: its own folder
    documents.void(north / "practice.xlsx", "ST-00001", reason="address")
    third = batch(north, statements="2026-03", statements_out=out)
    assert (third.workbooks["statements"][0], third.workbooks["statements_skipped"][0]) == (1, 1)
    assert (out / "practice" / "ST-00003_statement_C1_2026-03.pdf").exists()


def test_without_out_each_practice_keeps_its_statements_beside_it(practices):
    result = batch(practices / "north", statements="2026-03")
    assert result.workbooks["statements"][0] == 2
    assert len(list((practices / "north" / "documents").glob("ST-*.pdf"))) == 2


def test_a_crash_in_one_workbook_leaves_the_others_issued(practices, tmp_path, monkeypatch):
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    shutil.copyfile(practices / "north" / "practice.xlsx", practices / "abort-me.xlsx")
    out = tmp_path / "statements"
    result = batch(
        [practices / "abort-me.xlsx", practices / "south" / "practice.xlsx"],
        statements="2026-03",
        statements_out=out,
    )
    rows = result.workbooks.set_index("file")
    crashed = rows.loc[str(practices / "abort-me.xlsx")]
    assert crashed["status"] == "unreadable" and "SIGABRT" in crashed["reason"]
    assert rows.loc[str(practices / "south" / "practice.xlsx"), "statements"] == 2
    assert len(list((out / "south" / "practice").glob("ST-*.pdf"))) == 2


def test_mistakes_in_the_command_get_one_line(practices, tmp_path):
    bad_month = run("batch", practices, "--statements", "March")
    assert bad_month.exit_code == 2 and "YYYY-MM" in bad_month.output
    a_file = tmp_path / "summary.json"
    a_file.write_text("{}")
    not_a_folder = run("batch", practices, "--statements", "2026-03", "--out", a_file)
    assert not_a_folder.exit_code == 2 and "give a folder" in not_a_folder.output
    with pytest.raises(ValueError, match="YYYY-MM"):
        batch(practices, statements="2026-13")
    plain = run("batch", practices / "north", "--out", tmp_path / "summary.txt")
    assert plain.exit_code == 2 and ".xlsx, .csv or .json" in plain.output


def test_the_table_shows_how_many_were_issued(practices, tmp_path):
    done = run("batch", practices / "north", "--statements", "2026-03", "--out", tmp_path / "o")
    header, row, *_ = done.output.splitlines()
    columns = header.split("\t")
    assert columns[-2:] == ["statements", "reason"]
    assert row.split("\t")[columns.index("statements")] == "2"
    assert done.exit_code == 0


def test_a_month_that_is_not_over_issues_nothing(practices):
    import datetime as dt

    this_month = dt.date.today().strftime("%Y-%m")
    result = batch(practices / "north", statements=this_month)
    row = result.workbooks.iloc[0]
    assert row["statements"] is pd.NA or pd.isna(row["statements"])
    assert f"statements not issued: {this_month} is not over yet" in row["reason"]
    assert not (practices / "north" / "documents").exists()
