"""``practicebook batch``: the click adapter over ``practicebook.batch``.

On a terminal: a progress bar (files done, rate, time left) on stderr and a summary
table. Otherwise, or with ``--format json``: no progress, and tab-separated lines or one
JSON document on stdout. Exit codes: 0 all clean, 1 some workbook unreadable or with
findings at the ``--fail-on`` level, 2 usage error or nothing readable.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from practicebook.batch import Summary, batch, expand_paths, is_total, to_records, write_summary
from practicebook.errors import PracticebookError
from practicebook.frontends.cli.options import format_option, password_option

EXIT_CLEAN, EXIT_ISSUES, EXIT_UNUSABLE = 0, 1, 2
OUT_SUFFIXES = (".xlsx", ".csv", ".json")
#: The columns shown on screen (every column goes to ``--out``).
SHOWN = (
    "file",
    "practice",
    "status",
    "clients",
    "sessions",
    "balance",
    "ar_total",
    "credit",
    "errors",
    "warnings",
    "reason",
)


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from None


def _out(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in OUT_SUFFIXES:
        raise click.BadParameter("the summary file must end in .xlsx, .csv or .json")
    return value


def exit_code(frame: pd.DataFrame, fail_on: str) -> int:
    """0 all clean, 1 any workbook unreadable, with findings at ``fail_on`` or above, or
    whose results could not be written; 2 when no workbook could be read at all."""
    rows = frame[~is_total(frame)]
    if (rows["status"] == "unreadable").all():
        return EXIT_UNUSABLE
    failing = rows["errors"].fillna(0) > 0
    if fail_on == "warning":
        failing |= rows["warnings"].fillna(0) > 0
    if "written" in rows.columns:
        failing |= rows["written"].eq(False)
    if failing.any() or (rows["status"] == "unreadable").any():
        return EXIT_ISSUES
    return EXIT_CLEAN


class _Rate(ProgressColumn):
    """Workbooks finished per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} files/s")


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[Summary], None] | None]:
    """A transient progress bar on stderr when ``show``; yields the per-file callback."""
    if not show:
        yield None
        return
    columns = (
        TextColumn("reconciling"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("batch", total=total)
        yield lambda _summary: progress.advance(task)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)


def _show_table(frame: pd.DataFrame) -> None:
    table = Table(title="practicebook batch")
    numeric = {"clients", "sessions", "balance", "ar_total", "credit", "errors", "warnings"}
    for column in SHOWN:
        table.add_column(column, justify="right" if column in numeric else "left")
    style = {"ok": "green", "issues": "yellow", "unreadable": "red"}
    totals = is_total(frame)
    for part, bold in ((frame[~totals], False), (frame[totals], True)):
        for row in part.to_dict("records"):
            cells = [
                Text(Path(row[c]).name if c == "file" and row[c] else _cell(row[c])) for c in SHOWN
            ]  # Text: names from workbooks are never rich markup
            table.add_row(*cells, style="bold" if bold else style.get(row["status"], ""))
        table.add_section()
    Console(highlight=False).print(table)


def _show_lines(frame: pd.DataFrame) -> None:
    click.echo("\t".join(SHOWN))
    for row in frame.itertuples(index=False):
        values = row._asdict()
        click.echo("\t".join(_cell(values[c]).replace("\t", " ") for c in SHOWN))


def _show_json(frame: pd.DataFrame, fail_on: str, code: int) -> None:
    totals = is_total(frame)
    click.echo(
        json.dumps(
            {
                "workbooks": to_records(frame[~totals]),
                "totals": to_records(frame[totals]),
                "fail_on": fail_on,
                "exit_code": code,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


@click.command("batch")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--as-of",
    callback=_as_of,
    metavar="YYYY-MM-DD",
    help="Reconcile every workbook as of this day (default: today).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_out,
    help="Also write the whole summary to a new .xlsx, .csv or .json file.",
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
    "--write",
    is_flag=True,
    help="Also write each workbook's results (Balances, Aging, Flags, Ledger, "
    "CancellationLog) into it, safely and with a backup.",
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
    as_of: str | None,
    out: Path | None,
    jobs: int,
    scheduler: str | None,
    write: bool,
    fail_on: str,
    fmt: str,
    password: str | None,
) -> None:
    """Reconcile every workbook in PATHS (files, folders, globs) and summarise each.

    Inputs are only read, never changed, unless --write. A workbook that cannot be read is reported
    with its reason and the run goes on.
    """
    files = expand_paths(paths)
    if not files:
        raise click.UsageError("no workbooks (.xlsx or .xlsm) found in " + " ".join(paths))
    if out is not None and out.resolve() in {f.resolve() for f in files}:
        raise click.UsageError(f"--out {out} is one of the workbooks; inputs are never overwritten")
    try:
        with _progress(len(files), fmt == "text" and sys.stderr.isatty()) as advance:
            frame = batch(
                files,
                as_of=as_of,
                jobs=jobs,
                scheduler=scheduler,
                write=write,
                password=password,
                on_result=advance,
            )
        if out is not None:
            write_summary(frame, out)
    except PracticebookError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    code = exit_code(frame, fail_on)
    if fmt == "json":
        _show_json(frame, fail_on, code)
    elif sys.stdout.isatty():
        _show_table(frame)
    else:
        _show_lines(frame)
    sys.exit(code)
