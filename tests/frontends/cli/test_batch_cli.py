"""``practicebook batch`` as a billing service runs it: folders of workbooks in several
currencies, some broken, one that crashes the reader, and the summary in every form."""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from practicebook.batching import summarise_workbook
from practicebook.batching import task as task_module
from practicebook.frontends.cli import main
from practicebook.generate import generate
from tests.support.batch_tasks import crashing_task, reading_changes_the_file
from tests.support.fleet import AS_OF, make_fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    return make_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def currencies(tmp_path_factory) -> Path:
    """Practices in GBP (two, in folders of their own, both named ``practice.xlsx``), USD
    and EUR."""
    root = tmp_path_factory.mktemp("currencies")
    for folder, seed, currency, locale in (
        ("london", 1, "GBP", "en_GB"),
        ("leeds", 3, "GBP", "en_GB"),
        ("boston", 0, "USD", "en_US"),
        ("berlin", 7, "EUR", "de_DE"),
    ):
        practice = generate(60, seed=seed)
        practice.settings.update(currency=currency, locale=locale)
        (root / folder).mkdir()
        practice.write(root / folder / "practice.xlsx")
    return root


def run(*args, env=None):
    return CliRunner().invoke(main, ["batch", *map(str, args)], env=env)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _lines(output: str) -> list[dict[str, str]]:
    header, *rows = [line.split("\t") for line in output.splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_exit_0_when_every_workbook_is_clean(fleet):
    result = run(fleet / "a-clean.xlsx", fleet / "north", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "reconciling" not in result.output and "\x1b[" not in result.output
    rows = _lines(result.output)
    assert [r["file"] for r in rows] == [
        str(fleet / "a-clean.xlsx"),
        str(fleet / "north" / "b-clean.xlsx"),
        "",
    ]
    assert rows[-1]["practice"] == "TOTAL USD (2 workbooks)" and rows[-1]["currency"] == "USD"
    # clean books have 0 errors: a count, not a blank
    assert [(r["errors"], r["sessions"]) for r in rows] == [
        ("0", "120"),
        ("0", "120"),
        ("0", "240"),
    ]


def test_exit_1_for_unreadable_or_errors_and_fail_on_warning(fleet):
    assert run(fleet, "--as-of", AS_OF).exit_code == 1
    assert run(fleet / "d-problems.xlsx", "--as-of", AS_OF).exit_code == 1
    warned = fleet / "c-warning.xlsx"
    assert run(warned, "--as-of", AS_OF).exit_code == 0
    assert run(warned, "--as-of", AS_OF, "--fail-on", "warning").exit_code == 1


def test_exit_2_when_nothing_is_readable_or_usage_is_wrong(fleet, tmp_path):
    assert run(fleet / "e-notzip.xlsx", fleet / "g-bomb.xlsx").exit_code == 2
    assert run(tmp_path / "*.xlsx").exit_code == 2
    assert run(fleet / "north", "--out", tmp_path / "s.txt").exit_code == 2
    assert run(fleet / "north", "--jobs", "0").exit_code == 2
    before = _digest(fleet)
    assert run(fleet / "north", "--out", fleet / "north" / "b-clean.xlsx").exit_code == 2
    assert _digest(fleet) == before
    nowhere = run(fleet / "north", "--out", tmp_path / "absent" / "s.json")
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.output
    assert "Traceback" not in nowhere.output


def test_a_day_that_is_not_a_day_is_named_as_such(fleet):
    result = run(fleet / "north", "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert "'2026-02-30' is not a day (February 2026 has 28 days)" in result.output
    assert "does not match the format" not in result.output
    assert "is not a day: write it as YYYY-MM-DD" in run(fleet / "north", "--as-of", "June").output


def test_journey_billing_service_folder_in_three_currencies(currencies):
    """Every amount names its currency, every total is one currency's, files are told
    apart by their path."""
    result = run(currencies, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    workbooks, totals = rows[:4], rows[4:]
    assert [r["file"] for r in workbooks] == [
        str(currencies / town / "practice.xlsx") for town in ("berlin", "boston", "leeds", "london")
    ]
    assert [r["currency"] for r in workbooks] == ["EUR", "USD", "GBP", "GBP"]
    assert [(r["practice"], r["currency"]) for r in totals] == [
        ("TOTAL EUR (1 workbook)", "EUR"),
        ("TOTAL USD (1 workbook)", "USD"),
        ("TOTAL GBP (2 workbooks)", "GBP"),
    ]
    direct = {
        town: summarise_workbook(str(currencies / town / "practice.xlsx"), AS_OF)
        for town in ("london", "leeds")
    }
    gbp = sum((d["balance"] for d in direct.values()), Decimal(0))
    assert Decimal(totals[2]["balance"]) == gbp
    assert Decimal(workbooks[2]["balance"]) == direct["leeds"]["balance"]


def test_terminal_tables_name_currencies_paths_and_follow_the_width(
    currencies, capsys, monkeypatch
):
    from practicebook.batching import batch
    from practicebook.frontends.cli.batch import _show_table

    result = batch(currencies, as_of=AS_OF)
    result.workbooks.loc[0, "practice"] = "[red]Practice[/red]"
    for width in (250, 100, 80):
        monkeypatch.setenv("COLUMNS", str(width))
        _show_table(result)
        shown = capsys.readouterr().out
        table = shown.split("\nWhy\n")[0]
        assert max(len(line.rstrip()) for line in table.splitlines()) <= width
        assert "TOTAL GBP (2 workbooks)" in shown
        for gbp in result.workbooks.loc[result.workbooks["currency"] == "GBP", "balance"]:
            assert f"{gbp:,}" in shown  # no amount is ever wrapped or cut
    monkeypatch.setenv("COLUMNS", "250")
    _show_table(result)
    shown = capsys.readouterr().out
    assert "[red]Practice[/red]" in shown
    assert str(currencies / "leeds" / "practice.xlsx") in shown
    assert "TOTAL GBP (2 workbooks)" in shown and "TOTAL EUR (1 workbook)" in shown
    gbp = result.totals.set_index("currency").loc["GBP", "balance"]
    assert f"{gbp:,}" in shown


def test_json_output_and_out_file_have_one_shape(fleet, tmp_path):
    out = tmp_path / "summary.json"
    result = run(fleet, "--as-of", AS_OF, "--format", "json", "--out", out)
    doc = json.loads(result.output)
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    assert result.exit_code == doc["exit_code"] == 1 and doc["fail_on"] == "error"
    assert len(doc["workbooks"]) == 8 and len(doc["totals"]) == 1
    clean = next(w for w in doc["workbooks"] if w["file"].endswith("a-clean.xlsx"))
    direct = summarise_workbook(str(fleet / "a-clean.xlsx"), AS_OF)
    assert clean["balance"] == str(direct["balance"])
    assert clean["status"] == "ok" and clean["as_of"] == AS_OF and clean["complete"] is True
    problems = next(w for w in doc["workbooks"] if w["file"].endswith("d-problems.xlsx"))
    assert problems["complete"] is False and problems["errors"] > 0
    assert doc["totals"][0]["balance"] == str(
        sum(Decimal(w["balance"]) for w in doc["workbooks"] if w["balance"] is not None)
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A practice whose name a spreadsheet would run as a formula."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.xlsx"
    practice = generate(60, seed=1)
    practice.settings["practice_name"] = '=HYPERLINK("http://example.invalid","x")'
    practice.write(path)
    return path


def test_csv_out_defuses_formula_text_and_marks_totals(hostile, tmp_path):
    out = tmp_path / "summary.csv"
    assert run(hostile, "--as-of", AS_OF, "--out", out).exit_code == 0
    with out.open(encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    assert [r["row"] for r in rows] == ["workbook", "total"]
    assert rows[0]["practice"] == '\'=HYPERLINK("http://example.invalid","x")'
    assert rows[0]["balance"] == str(summarise_workbook(str(hostile), AS_OF)["balance"])
    assert rows[1]["practice"] == "TOTAL USD (1 workbook)"
    assert rows[1]["balance"] == rows[0]["balance"]


def test_xlsx_out_is_values_and_text_never_formulas(hostile, fleet, tmp_path):
    out = tmp_path / "summary.xlsx"
    run(hostile, fleet / "north", fleet / "e-notzip.xlsx", "--as-of", AS_OF, "--out", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Workbooks", "Totals"]
    sheet = book["Workbooks"]
    header = [c.value for c in sheet[1]]
    practice = sheet.cell(2, header.index("practice") + 1)
    assert practice.data_type == "s" and practice.value.startswith("=HYPERLINK")
    balance = sheet.cell(3, header.index("balance") + 1)
    direct = summarise_workbook(str(fleet / "north" / "b-clean.xlsx"), AS_OF)["balance"]
    assert Decimal(str(balance.value)) == direct and balance.number_format == "#,##0.00"
    assert sheet.cell(4, header.index("status") + 1).value == "unreadable"
    assert sheet.max_row == 4
    totals = book["Totals"]
    head = [c.value for c in totals[1]]
    assert totals.cell(2, head.index("workbooks") + 1).value == 2
    assert totals.max_row == 2


def test_journey_a_workbook_that_crashes_the_reader_does_not_stop_the_run(
    fleet, tmp_path, monkeypatch
):
    """As ``practicebook batch`` over a folder where one file aborts the process reading
    it: the others are summarised, that one is an unreadable row, exit 1."""
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    for name in ("a-clean.xlsx", "abort-me.xlsx", "z-clean.xlsx"):
        (tmp_path / name).write_bytes((fleet / "a-clean.xlsx").read_bytes())
    for jobs in ("1", "2"):
        result = run(tmp_path, "--as-of", AS_OF, "--jobs", jobs, "--format", "json")
        assert result.exit_code == 1, result.output
        doc = json.loads(result.output)
        assert [w["status"] for w in doc["workbooks"]] == ["ok", "unreadable", "ok"]
        assert doc["workbooks"][1]["reason"] == "reading it crashed the worker process (SIGABRT)"
        assert doc["totals"][0]["workbooks"] == 2


def test_journey_write_refused_when_the_file_changed_meanwhile(fleet, tmp_path, monkeypatch):
    monkeypatch.setattr(task_module, "summarise_workbook", reading_changes_the_file)
    book = tmp_path / "practice.xlsx"
    book.write_bytes((fleet / "a-clean.xlsx").read_bytes())
    result = run(book, "--as-of", AS_OF, "--write", "--format", "json")
    assert result.exit_code == 1, result.output
    row = json.loads(result.output)["workbooks"][0]
    assert row["written"] is False and "changed by another program" in row["reason"]


def test_command_write(fleet, tmp_path):
    book = tmp_path / "practice.xlsx"
    book.write_bytes((fleet / "a-clean.xlsx").read_bytes())
    before = book.read_bytes()
    result = run(book, "--as-of", AS_OF, "--write", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["workbooks"][0]["written"] is True
    assert book.read_bytes() != before
