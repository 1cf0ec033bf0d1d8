"""``practicebook batch``: the click adapter over ``practicebook.batch``.

On a terminal: a progress bar (files done, rate, time left) on stderr and two tables,
workbooks then totals per currency, as wide as the terminal. Otherwise, or with
``--format json``: no progress, and tab-separated lines or one JSON document on stdout.
Exit codes: 0 all clean, 1 some workbook unreadable, with findings at the ``--fail-on``
level or whose results were not written, 2 usage error or nothing readable.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from practicebook.frontends.cli.bank import EXPORT_FORMATS
from practicebook.frontends.cli.options import DAY, format_option, password_option
from practicebook.frontends.cli.reading import EXIT_CLEAN, EXIT_ISSUES, EXIT_UNUSABLE, one_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from practicebook.batching import BatchResult, Summary

__all__ = ["batch_command", "exit_code"]

OUT_SUFFIXES = (".xlsx", ".csv", ".json")
#: The columns printed (every column goes to ``--out`` and ``--format json``).
SHOWN = (
    "file",
    "practice",
    "status",
    "currency",
    "clients",
    "sessions",
    "balance",
    "ar_total",
    "credit",
    "errors",
    "warnings",
    "reason",
)
#: The columns of the workbooks table on a terminal (the reasons follow it).
TABLE_SHOWN = SHOWN[:-1]
#: The columns of the totals table on a terminal.
TOTALS_SHOWN = (
    "practice",
    "currency",
    "clients",
    "sessions",
    "balance",
    "ar_total",
    "credit",
    "errors",
    "warnings",
)
#: Columns shown after the figures when the run has them (``--statements``, ``--export``).
EXTRA_SHOWN = ("statements", "journal")
_AMOUNTS = ("balance", "ar_total", "credit")
#: Columns a narrow terminal drops, first to last.
_OPTIONAL = ("practice", "sessions", "clients", "warnings")
_NUMBERS = {"clients", "sessions", *_AMOUNTS, "errors", "warnings", "statements"}


def _out(value: Path | None, folder: bool) -> None:
    """``--out``: a summary file, or with ``folder`` (``--statements``, ``--export``) a
    folder."""
    if value is None:
        return
    if folder:
        if value.exists() and not value.is_dir():
            raise click.BadParameter(f"{value} is a file; give a folder", param_hint="--out")
    elif value.suffix.lower() not in OUT_SUFFIXES:
        raise click.BadParameter(
            "the summary file must end in .xlsx, .csv or .json", param_hint="--out"
        )


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from practicebook.documents import month

        try:
            month(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _extra(result: BatchResult) -> tuple[str, ...]:
    """The run's extra columns that are shown (``statements`` after ``--statements``)."""
    return tuple(c for c in EXTRA_SHOWN if c in result.workbooks.columns)


def exit_code(result: BatchResult, fail_on: str) -> int:
    """0 all clean; 1 any workbook unreadable, with findings at ``fail_on`` or above, or
    whose results could not be written; 2 when no workbook could be read at all."""
    rows = result.workbooks
    unreadable = rows["status"] == "unreadable"
    if unreadable.all():
        return EXIT_UNUSABLE
    failing = rows["errors"].fillna(0) > 0
    if fail_on == "warning":
        failing |= rows["warnings"].fillna(0) > 0
    if "written" in rows.columns:
        failing |= rows["written"].eq(False).fillna(False)
    if "statements" in rows.columns:  # statements asked for, none issued
        failing |= rows["statements"].isna()
    if "journal" in rows.columns:  # a journal asked for, none written
        failing |= rows["journal"].isna()
    return EXIT_ISSUES if bool(failing.any() or unreadable.any()) else EXIT_CLEAN


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[Summary], None] | None]:
    """A transient progress bar on stderr when ``show``; yields the per-file callback."""
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from practicebook.frontends.cli.show import console

    class Rate(ProgressColumn):
        """Workbooks finished per second."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} files/s")

    columns = (
        TextColumn("reconciling"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=True) as progress:
        task = progress.add_task("batch", total=total)
        yield lambda _summary: progress.advance(task)


def _rows(result: BatchResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Workbook rows and totals rows as shown: amounts as text with their currency's
    digits, each totals row named ``TOTAL <currency> (n workbooks)``."""
    from practicebook.batching.output import total_label

    document = result.to_dict()
    totals = [
        {**row, "file": "", "practice": total_label(row), "status": "", "reason": ""}
        for row in document["totals"]
    ]
    return document["workbooks"], totals


def _shown(row: dict[str, Any], column: str) -> str:
    """A cell as shown: amounts grouped (``1,234.50``, exact), blanks empty."""
    value = row.get(column)
    if value is None:
        return ""
    if column in _AMOUNTS:
        from decimal import Decimal

        return f"{Decimal(str(value)):,}"
    return str(value)


def _table(title: str, rows: list[dict[str, Any]], shown: Sequence[str]) -> Table:
    """A table of ``rows``: figures and codes never wrap, file and practice fold."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    style = {"ok": "green", "issues": "yellow", "unreadable": "red"}
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in shown:
        table.add_column(
            column.replace("_", " "),
            justify="right" if column in _NUMBERS else "left",
            no_wrap=column not in ("file", "practice", "journal"),
            overflow="fold",
        )
    for row in rows:  # Text: names from workbooks are never rich markup
        cells = [Text(_shown(row, column)) for column in shown]
        table.add_row(*cells, style=style.get(row["status"], "bold"))
    return table


def _fitted(
    console: Console, title: str, rows: list[dict[str, Any]], shown: Sequence[str]
) -> Table:
    """The table with as many columns as the terminal's width holds: the practice name,
    then the session and client counts and the warnings, go first."""
    columns = list(shown)
    table = _table(title, rows, columns)
    for optional in _OPTIONAL:
        if table.__rich_measure__(console, console.options).maximum <= console.width:
            break
        if optional in columns and optional != columns[0]:
            columns.remove(optional)
            table = _table(title, rows, columns)
    return table


def _show_table(result: BatchResult) -> None:
    """Two tables, workbooks and totals by currency, then each workbook's reason on a
    line of its own (a reason is a sentence: in a column it would squeeze the figures)."""
    from rich.text import Text

    from practicebook.frontends.cli.show import console

    workbooks, totals = _rows(result)
    out = console()
    out.print(_fitted(out, "Workbooks", workbooks, TABLE_SHOWN + _extra(result)), crop=False)
    out.print(_fitted(out, "Totals by currency", totals, TOTALS_SHOWN), crop=False)
    reasons = [(row["file"], row["reason"]) for row in workbooks if row.get("reason")]
    if reasons:
        out.print("Why", style="bold")
        for file, reason in reasons:
            out.print(Text(f"  {file}: {reason}"))


def _show_lines(result: BatchResult) -> None:
    """Tab-separated lines: the header, the workbooks, the totals; a count of 0 is ``0``,
    a blank (an unreadable workbook's figures) is empty, and no cell holds a tab or a
    line break."""
    workbooks, totals = _rows(result)
    shown = (*SHOWN[:-1], *_extra(result), SHOWN[-1])
    click.echo("\t".join(shown))
    for row in [*workbooks, *totals]:
        cells = ("" if row.get(c) is None else " ".join(str(row[c]).split()) for c in shown)
        click.echo("\t".join(cells))


@click.command("batch")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--as-of",
    type=DAY,
    help="Reconcile every workbook as of this day (default: today in each practice's time zone).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Also write the whole result to a new .xlsx, .csv or .json file; with "
    "--statements, the folder for the statements (a subfolder per workbook); with --export, "
    "the folder for the journals.",
)
@click.option(
    "--statements",
    metavar="YYYY-MM",
    callback=_month,
    help="Also issue that month's statements from each workbook whose figures are complete, "
    "to every client with activity or a balance who has none for it yet (default folder: "
    "documents/ beside each workbook).",
)
@click.option(
    "--export",
    type=click.Choice(EXPORT_FORMATS),
    help="Also write each workbook's journal for the accountant (no client names) into the "
    "--out folder, through the run's day, from each workbook whose figures are complete.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (or local Dask workers).",
)
@click.option(
    "--scheduler",
    metavar="dask|tcp://HOST:PORT",
    help="Run on Dask: a local cluster, or an existing scheduler whose workers "
    "can read the same paths.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop a workbook that takes longer and report it as unreadable (default: no limit).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Also write each workbook's results (Balances, Aging, Flags, Ledger, "
    "CancellationLog, Summary) into it, only if it is still the version reconciled; a backup "
    "is kept.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Exit 1 when a workbook has findings at this level.",
)
@format_option
@password_option("protected workbooks")
def batch_command(
    paths: tuple[str, ...],
    as_of: dt.date | None,
    out: Path | None,
    statements: str | None,
    export: str | None,
    jobs: int,
    scheduler: str | None,
    timeout: float | None,
    write: bool,
    fail_on: str,
    fmt: str,
    password: str | None,
) -> None:
    """Reconcile every workbook in PATHS (files, folders, globs) and summarise each.

    Inputs are only read, never changed, unless --write or --statements (which records
    the statements it issues in each workbook's Documents sheet). A workbook that cannot
    be read, or that crashes the reader, is reported with its reason and the run goes on.
    """
    from practicebook.batching import batch, expand_paths, write_summary

    into_folder = statements is not None or export is not None
    _out(out, folder=into_folder)
    folder, out = (out, None) if into_folder else (None, out)
    if export is not None and folder is None:
        raise click.UsageError("--export needs --out FOLDER, where the journals are written")
    files = expand_paths(paths)
    if not files:
        raise click.UsageError("no workbooks (.xlsx or .xlsm) found in " + " ".join(paths))
    if out is not None and out.resolve() in {f.resolve() for f in files}:
        raise click.UsageError(f"--out {out} is one of the workbooks; inputs are never overwritten")
    if out is not None and not out.parent.is_dir():
        raise click.UsageError(f"--out {out}: the folder {out.parent} does not exist")
    with one_line():
        with _progress(len(files), fmt == "text" and sys.stderr.isatty()) as advance:
            result = batch(
                files,
                as_of=as_of,
                jobs=jobs,
                scheduler=scheduler,
                write=write,
                password=password,
                timeout=timeout,
                on_result=advance,
                statements=statements,
                statements_out=folder,
                export=export,
                export_out=folder if export is not None else None,
            )
        code = exit_code(result, fail_on)
        meta = {"fail_on": fail_on, "exit_code": code}
        if out is not None:
            write_summary(result, out, meta)
    if fmt == "json":
        from practicebook.render.json import json_text

        click.echo(json_text({**result.to_dict(), **meta}))
    elif sys.stdout.isatty():
        _show_table(result)
    else:
        _show_lines(result)
    sys.exit(code)
