"""What the commands say: days, provisional figures, one summary line, totals rows,
tables as wide as the terminal, an unknown client, a valid workbook's next step."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from click.testing import CliRunner

import practicebook
from practicebook.core.amounts import money_total
from practicebook.frontends.cli import main
from practicebook.l10n import format_money
from practicebook.model import ROW
from practicebook.money import to_minor
from practicebook.schema import WORKBOOK

EXAMPLE_DAY = "2026-11-30"
SUMMARY = re.compile(r"^\d+ errors?, \d+ warnings?, \d+ notes?$")


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


# --- days -------------------------------------------------------------------------------

DATED = (["reconcile", "__BOOK__"], ["explain", "__BOOK__", "C0001"], ["batch", "__BOOK__"])


@pytest.mark.parametrize("command", DATED, ids=lambda c: c[0])
def test_every_dated_command_shows_the_form_of_a_day(command):
    shown = run(command[0], "--help").output
    assert "--as-of YYYY-MM-DD" in shown


def _commands(group=None, prefix=()):
    """Every command of ``practicebook``, by its words (``("bank", "match")``)."""
    group = group or main
    for name, command in group.commands.items():
        if getattr(command, "commands", None):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_day_option_of_every_command_takes_one_form():
    from practicebook.frontends.cli.options import DAY

    dated = 0
    for words, command in _commands():
        shown = " ".join(run(*words, "--help").output.split())
        for param in command.params:
            if param.type is DAY:
                dated += 1
                assert f"{param.opts[-1]} YYYY-MM-DD" in shown, words
            else:  # an option that says it takes a day reads it as one
                assert "YYYY-MM-DD" not in str(param.metavar or ""), (words, param.opts)
    assert dated >= 10  # reconcile, explain, batch, the documents' periods, bank, export


@pytest.mark.parametrize("command", DATED, ids=lambda c: c[0])
@pytest.mark.parametrize("day", ["2026-02-30", "31/03/2026", "2026-13-01"])
def test_a_bad_day_gets_the_same_message_as_the_api(clean_book, command, day):
    book, _ = practicebook.load(clean_book)
    with pytest.raises(ValueError) as raised:
        practicebook.reconcile(book, as_of=day)
    argv = [str(clean_book) if a == "__BOOK__" else a for a in command]
    result = run(*argv, "--as-of", day)
    assert result.exit_code == 2
    assert str(raised.value) in " ".join(result.output.split())
    assert "does not match the format" not in result.output


def test_the_api_says_what_a_day_looks_like():
    book = practicebook.load_tables([])[0]
    with pytest.raises(ValueError, match=r"^'31/03/2026' is not a day: write it as YYYY-MM-DD"):
        practicebook.reconcile(book, as_of="31/03/2026")
    with pytest.raises(ValueError, match=r"\(February 2026 has 28 days\)"):
        practicebook.reconcile(book, as_of="2026-02-30")
    assert practicebook.reconcile(book, as_of="2024-02-29").as_of.isoformat() == "2024-02-29"


# --- check ------------------------------------------------------------------------------


def test_check_of_valid_data_points_to_reconcile_for_the_findings(clean_book):
    result = run("check", clean_book)
    assert result.exit_code == 0
    assert result.output == (
        f"{clean_book}: the data is valid; run `practicebook reconcile {clean_book}` "
        "for the bookkeeping findings\n"
    )
    assert "no problems" not in result.output


# --- reconcile as text ------------------------------------------------------------------


def _counts(book_path, day) -> Counter:
    book, issues = practicebook.load(book_path)
    rec = practicebook.reconcile(book, as_of=day)
    return Counter([i.severity.value for i in issues] + rec.flags["severity"].tolist())


def test_reconcile_prints_one_summary_line_with_every_finding_counted(damaged_book):
    result = run("reconcile", damaged_book, "--as-of", EXAMPLE_DAY)
    summaries = [line for line in result.output.splitlines() if SUMMARY.match(line)]
    n = _counts(damaged_book, EXAMPLE_DAY)
    assert n["note"] and n["warning"] and n["error"]
    assert summaries == [
        f"{n['error']} errors, {n['warning']} warnings, {n['note']} notes",
    ]
    assert result.output.rstrip().splitlines()[-1] == summaries[0]


def test_reconcile_tables_end_with_a_totals_row(clean_book):
    book, _ = practicebook.load(clean_book)
    rec = practicebook.reconcile(book, as_of=EXAMPLE_DAY)
    shown = run("reconcile", clean_book, "--as-of", EXAMPLE_DAY, env={"COLUMNS": "250"}).output
    totals = [line.split() for line in shown.splitlines() if line.strip().startswith("TOTAL (")]
    assert len(totals) == 2  # Balances, then Aging
    clients = len(rec.balances)

    def money(column):
        return format_money(to_minor(money_total(column, "USD"), "USD"), "USD", "en_US")

    balances = ["charges", "payments", "refunds", "adjustments", "balance", "credit"]
    assert totals[0] == [
        "TOTAL",
        f"({clients}",
        "clients)",
        *(money(rec.balances[c]) for c in balances),
    ]
    buckets = [c for c in rec.aging.columns if c != "client_id"]
    assert totals[1][3:] == [money(rec.aging[c]) for c in buckets]


@pytest.mark.parametrize("width", [80, 100, 160])
def test_reconcile_tables_take_the_terminal_width(clean_book, width):
    book, _ = practicebook.load(clean_book)
    rec = practicebook.reconcile(book, as_of=EXAMPLE_DAY)
    shown = run("reconcile", clean_book, "--as-of", EXAMPLE_DAY, env={"COLUMNS": str(width)})
    lines = shown.output.split("\nSessions!")[0].splitlines()  # the tables, before findings
    assert max(len(line.rstrip()) for line in lines) <= width
    # every amount whole on its client's line, every heading word whole
    rows = {line.split()[0]: line for line in lines if re.match(r"^\s*C\d{4}\s", line)}
    assert len(rows) == len(rec.balances)
    for client, balance, credit in rec.balances[["client_id", "balance", "credit"]].itertuples(
        index=False
    ):
        line = rows[client]  # the first line of that client: the Balances row
        for amount in (balance, credit):
            assert f" {format_money(to_minor(amount, 'USD'), 'USD', 'en_US')}" in f" {line}"
    top = [line.strip() for line in lines].index("Balances")
    rule = next(i for i, line in enumerate(lines) if line.lstrip().startswith("─"))
    headings = " ".join(lines[top + 1 : rule]).split()
    for word in ("client", "charges", "payments", "refunds", "adjustments", "balance", "credit"):
        assert word in headings, (word, headings)
    # a date is never cut either: on a narrow terminal its column is left out, and said so
    dated = "oldest" in headings
    left_out = "left out to fit the terminal: oldest open date" in shown.output
    assert dated != left_out
    assert dated == (width >= 100)


def test_reconcile_text_of_a_workbook_with_errors_is_provisional(damaged_book):
    book, _ = practicebook.load(damaged_book)
    shown = run("reconcile", damaged_book, "--as-of", EXAMPLE_DAY).output
    errors = _counts(damaged_book, EXAMPLE_DAY)["error"]
    rejected = sum(len(f) for f in book.rejected.values())
    assert rejected
    assert (
        f"PROVISIONAL: the workbook has {errors} errors; {rejected} rows are left out of "
        "these figures" in shown
    )
    listed = shown.split("left out of the figures:\n", 1)[1]
    for sheet, frame in book.rejected.items():
        key = WORKBOOK.sheet(sheet).key
        line = next(x for x in listed.splitlines() if x.startswith(f"  {sheet}: "))
        for row in frame[ROW]:
            assert str(book.cell(sheet, key, int(row))) in line, (sheet, row)


def test_reconcile_json_of_a_workbook_with_errors_is_not_complete(damaged_book, clean_book):
    book, _ = practicebook.load(damaged_book)
    data = json.loads(
        run("reconcile", damaged_book, "--as-of", EXAMPLE_DAY, "--format", "json").output
    )
    assert data["complete"] is False
    assert data["errors"] == _counts(damaged_book, EXAMPLE_DAY)["error"] > 0
    expected = {
        sheet: [
            {
                "id": None if _blank(i) else str(i),
                "cell": str(book.cell(sheet, WORKBOOK.sheet(sheet).key, int(r))),
            }
            for i, r in zip(frame[WORKBOOK.sheet(sheet).key], frame[ROW], strict=True)
        ]
        for sheet, frame in book.rejected.items()
    }
    assert data["left_out"] == expected and expected
    clean = json.loads(
        run("reconcile", clean_book, "--as-of", EXAMPLE_DAY, "--format", "json").output
    )
    assert clean["complete"] is True and clean["errors"] == 0 and clean["left_out"] == {}


def _blank(value) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


# --- explain ----------------------------------------------------------------------------


def test_explain_of_an_unknown_client_is_the_api_message_and_exit_2(clean_book):
    book, _ = practicebook.load(clean_book)
    rec = practicebook.reconcile(book, as_of=EXAMPLE_DAY)
    with pytest.raises(practicebook.PracticebookError) as raised:
        rec.explain("C9999")
    result = run("explain", clean_book, "C9999", "--as-of", EXAMPLE_DAY)
    assert result.exit_code == 2
    assert result.output == f"error: {raised.value}\n"
    typed = run("explain", clean_book, "c0001", "--as-of", EXAMPLE_DAY)
    assert typed.exit_code == 2
    assert typed.output == (
        "error: 'c0001' is not a client in this workbook; did you mean C0001?\n"
    )


def test_explain_on_a_workbook_with_errors_says_the_ledger_is_provisional(damaged_book, clean_book):
    book, _ = practicebook.load(damaged_book)
    errors = _counts(damaged_book, EXAMPLE_DAY)["error"]
    rejected = sum(len(f) for f in book.rejected.values())
    shown = run("explain", damaged_book, "C0001", "--as-of", EXAMPLE_DAY).output
    assert shown.splitlines()[-1] == (
        f"PROVISIONAL: the workbook has {errors} errors; {rejected} rows are left out of these "
        f"figures; `practicebook reconcile {damaged_book}` lists them"
    )
    assert "PROVISIONAL" not in run("explain", clean_book, "C0001", "--as-of", EXAMPLE_DAY).output
