"""``practicebook reconcile``: balances, aging and findings of one workbook as of a day.

Text for people (tables that follow the terminal's width, each with a totals row; every
finding once; one summary line) or the JSON of ``docs/json.md``. Figures from a workbook
with error-level issues are provisional, and both forms say so and list the rows that
were kept out of them.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from practicebook.frontends.cli.options import (
    as_of_option,
    book_argument,
    format_option,
    password_option,
)
from practicebook.frontends.cli.reading import EXIT_CLEAN, EXIT_ISSUES, Loaded, load, one_line

if TYPE_CHECKING:
    from practicebook.core.result import Reconciliation
    from practicebook.issues import Issue
    from practicebook.workbook.writer import ResultsWritten

__all__ = ["left_out", "provisional", "reconcile_command"]

FLAG_KEYS = ("code", "severity", "sheet", "cell", "row_id", "client_id", "message")


@click.command("reconcile")
@book_argument
@as_of_option()
@format_option
@click.option(
    "--write",
    is_flag=True,
    help="Also write Balances, Aging, Flags, Ledger, CancellationLog and Summary into BOOK "
    "(only if it is still the version that was reconciled; a backup is kept).",
)
@password_option()
def reconcile_command(
    book: Path, as_of: dt.date | None, fmt: str, write: bool, password: str | None
) -> None:
    """Balances, aging, findings and the cancellation log of BOOK.xlsx as of a day."""
    from practicebook.core.reconcile import reconcile

    loaded = load(book, password)
    rec = reconcile(loaded.book, as_of)
    written = None
    if write:
        from practicebook.workbook.writer import write_results

        with one_line():
            written = write_results(
                book,
                rec,
                password=loaded.password,
                tool="cli",
                source_sha256=loaded.sha256,
            )
    issues = [*loaded.issues, *rec.issues]
    if fmt == "json":
        click.echo(_json(loaded, rec, written))
    else:
        _print(loaded, rec, issues)
        if written is not None:
            _report_written(book, written)
    errors = any(i.is_error for i in issues)
    sys.exit(EXIT_ISSUES if errors else EXIT_CLEAN)


def left_out(loaded: Loaded) -> dict[str, list[dict[str, object]]]:
    """The rows kept out of the figures (a required value missing or unreadable), per
    sheet: each row's ID (None when the ID itself is missing) and the cell of its ID."""
    from practicebook.model import ROW
    from practicebook.schema import WORKBOOK

    out: dict[str, list[dict[str, object]]] = {}
    for sheet_name, frame in loaded.book.rejected.items():
        key = WORKBOOK.sheet(sheet_name).key
        ids = frame[key].tolist() if key in frame.columns else [None] * len(frame)
        out[sheet_name] = [
            {
                "id": None if _blank(row_id) else str(row_id),
                "cell": str(loaded.book.cell(sheet_name, key, int(row))),
            }
            for row_id, row in zip(ids, frame[ROW].tolist(), strict=True)
        ]
    return out


def _blank(value: object) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


# --- JSON -------------------------------------------------------------------------------


def _json(loaded: Loaded, rec: Reconciliation, written: ResultsWritten | None) -> str:
    from practicebook.issues import Severity
    from practicebook.render.json import json_text

    checks = loaded.issues
    payload: dict[str, Any] = rec.to_dict()
    payload["flags"] = [{k: i.to_dict()[k] for k in FLAG_KEYS} for i in checks] + payload["flags"]
    found = Counter(i.severity.value for i in checks)
    found.update(rec.flags["severity"].value_counts().to_dict())
    payload["totals"]["flags"] = {s.value: int(found[s.value]) for s in Severity}
    errors = int(found[Severity.ERROR.value])
    payload["complete"] = not errors
    payload["errors"] = errors
    payload["left_out"] = left_out(loaded)
    if written is not None:
        payload["written"] = {
            "sheets": written.rows,
            "backup": None if written.backup is None else str(written.backup),
        }
    return json_text(payload)


# --- text -------------------------------------------------------------------------------


def _print(loaded: Loaded, rec: Reconciliation, issues: list[Issue]) -> None:
    from rich.markup import escape

    from practicebook.frontends.cli.show import console, money_table
    from practicebook.issues import Severity, sort_issues
    from practicebook.l10n import format_date
    from practicebook.render.text import render_issue, summary_line

    out = console()
    day = format_date(rec.as_of, rec.locale)
    out.print(f"[bold]{escape(loaded.path.name)}[/bold] as of {day}, amounts in {rec.currency}")
    errors = sum(i.is_error for i in issues)
    if errors:
        why = provisional(errors, left_out(loaded), "fix them (listed below) and run again")
        out.print(f"[bold]PROVISIONAL[/bold]: {escape(why)}")
    money = ["charges", "payments", "refunds", "adjustments", "balance", "credit"]
    buckets = [c for c in rec.aging.columns if c != "client_id"]
    for title, frame, amounts in (
        ("Balances", rec.balances[["client_id", *money, "oldest_open_date"]], money),
        ("Aging", rec.aging, buckets),
    ):
        out.print()
        table = money_table(
            title, frame, amounts, rec.currency, rec.locale, "clients", width=out.width
        )
        out.print(table, crop=False)
    out.print()
    loud = [i for i in sort_issues(issues) if i.severity is not Severity.NOTE]
    if loud:
        click.echo("\n\n".join(render_issue(i) for i in loud))
        click.echo()
    notes = Counter(i.code.value for i in issues if i.severity is Severity.NOTE)
    if notes:
        listed = ", ".join(f"{n} {code}" for code, n in sorted(notes.items()))
        click.echo(f"notes: {listed} (all of them: --format json)")
    if errors:
        click.echo(_left_out_lines(left_out(loaded)))
    click.echo(summary_line(issues))


def provisional(errors: int, rows: dict[str, list[dict[str, object]]], fix: str) -> str:
    """``the workbook has 12 errors; 4 rows are left out of these figures; <fix>``."""
    count = sum(len(r) for r in rows.values())
    text = f"the workbook has {errors} error{'s' if errors != 1 else ''}"
    if count:
        text += f"; {count} row{'s are' if count != 1 else ' is'} left out of these figures"
    return f"{text}; {fix}"


def _left_out_lines(rows: dict[str, list[dict[str, object]]]) -> str:
    if not rows:
        return "left out of the figures: no rows, but the errors above can still make them wrong"
    lines = ["left out of the figures:"]
    for sheet, entries in rows.items():
        listed = ", ".join(
            f"{e['id']} ({e['cell']})" if e["id"] else f"{e['cell']} (no ID)" for e in entries
        )
        lines.append(f"  {sheet}: {listed}")
    return "\n".join(lines)


def _report_written(book: Path, written: ResultsWritten) -> None:
    """Say which sheets were written, how many rows each, and where the backup went."""
    from practicebook.core.audit import AUDIT_SHEET
    from practicebook.l10n import format_date

    rec = written.reconciliation
    click.echo(f"wrote {book} as of {format_date(rec.as_of, rec.locale)}:")
    for name, count in written.rows.items():
        click.echo(f"  {name}: {count} row{'s' if count != 1 else ''}")
    click.echo(f"  {AUDIT_SHEET}: 1 row appended")
    if written.backup is not None:
        click.echo(f"previous version kept in {written.backup}")
