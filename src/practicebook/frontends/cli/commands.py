"""The ``practicebook`` command: a thin click adapter over ``practicebook.api``.

Exit codes: 0 clean, 1 when any error-level issue was found, 2 for an unusable file or
a usage error. Exceptions are mapped to messages in one place (``_errors``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from practicebook import __version__, api
from practicebook.core.audit import AUDIT_SHEET
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.errors import PracticebookError, UnreadableWorkbook
from practicebook.frontends.cli.batch import batch_command
from practicebook.frontends.cli.options import format_option, password_option
from practicebook.issues import Issue, Severity, has_errors
from practicebook.l10n import format_date
from practicebook.money import is_currency, known_locale
from practicebook.render.json import issues_to_json, json_text
from practicebook.render.text import money_columns, render_issues, summary_line
from practicebook.workbook.crypto import is_encrypted

if TYPE_CHECKING:
    from practicebook.workbook.writer import ResultsWritten

EXIT_CLEAN, EXIT_ISSUES, EXIT_UNUSABLE = 0, 1, 2


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn practicebook's exceptions into one-line messages and exit code 2."""
    try:
        yield
    except UnreadableWorkbook as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except PracticebookError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="practicebook")
def main() -> None:
    """Bookkeeping for small therapy practices over one standard workbook."""


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 currency code.")
@click.option("--locale", default="en_US", show_default=True, help="Locale, e.g. en_CA.")
@click.option(
    "--timezone",
    default="America/New_York",
    show_default=True,
    help="IANA time zone of session times.",
)
@click.option("--name", "practice_name", default="", help="Practice name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(
    book: Path, currency: str, locale: str, timezone: str, practice_name: str, force: bool
) -> None:
    """Write a new, empty standard workbook BOOK.xlsx (BOOK.xlsm: with the macro buttons)."""
    if book.exists() and not force:
        raise click.UsageError(f"{book} already exists; use --force to overwrite it")
    if book.suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError("the workbook name must end in .xlsx or .xlsm")
    currency = currency.upper()
    if not is_currency(currency):
        raise click.BadParameter(f"{currency!r} is not an ISO 4217 code", param_hint="--currency")
    if not known_locale(locale):
        raise click.BadParameter(f"{locale!r} is not a known locale", param_hint="--locale")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{timezone!r} is not an IANA time zone", param_hint="--timezone"
        ) from None
    with _errors():
        api.new_workbook(
            book,
            currency=currency,
            locale=locale.replace("-", "_"),
            timezone=timezone,
            practice_name=practice_name,
        )
    click.echo(f"wrote {book}")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@password_option()
def check(book: Path, fmt: str, password: str | None) -> None:
    """List every problem in BOOK.xlsx, each at its cell, with how to fix it."""
    password = _password(book, password)
    with _errors():
        issues = api.check(book, password=password)
    if fmt == "json":
        click.echo(issues_to_json(issues, file=str(book)))
    elif issues:
        click.echo(render_issues(issues))
    else:
        click.echo(f"{book}: no problems found")
    sys.exit(EXIT_ISSUES if has_errors(issues) else EXIT_CLEAN)


def _interactive() -> bool:
    """True when a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _password(book: Path, password: str | None) -> str | None:
    """The given password, or one asked for when the workbook is encrypted and stdin is a
    terminal (never echoed); otherwise None, and reading reports the missing password."""
    if password is not None or not _interactive():
        return password
    try:
        data = book.read_bytes()
    except OSError:
        return None  # reading the workbook reports why
    if not is_encrypted(data):
        return None
    return click.prompt(f"Password for {book.name}", hide_input=True)


as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Reconcile as of this day, YYYY-MM-DD (default: today in the practice time zone).",
)
FLAG_KEYS = ("code", "severity", "sheet", "cell", "row_id", "client_id", "message")


def _reconciled(
    book_path: Path, as_of: dt.datetime | None, password: str | None
) -> tuple[Reconciliation, list[Issue]]:
    """Load and reconcile; the load issues come back beside the reconciliation."""
    password = _password(book_path, password)
    with _errors():
        book, issues = api.load(book_path, password=password)
    return reconcile(book, as_of.date() if as_of else None), issues


@main.command(name="reconcile")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@as_of_option
@format_option
@click.option(
    "--write",
    is_flag=True,
    help="Also write Balances, Aging, Flags, Ledger and CancellationLog into BOOK.",
)
@password_option()
def reconcile_command(
    book: Path, as_of: dt.datetime | None, fmt: str, write: bool, password: str | None
) -> None:
    """Balances, aging, flags and the cancellation log of BOOK.xlsx as of a day."""
    written = None
    if write:
        password = _password(book, password)
        with _errors():
            from practicebook.workbook import writer

            written = writer.write_results(
                book, as_of=as_of.date() if as_of else None, password=password, tool="cli"
            )
        rec, checks = written.reconciliation, written.issues
    else:
        rec, checks = _reconciled(book, as_of, password)
    if fmt == "json":
        payload = rec.to_dict()
        payload["flags"] = [{k: i.to_dict()[k] for k in FLAG_KEYS} for i in checks] + payload[
            "flags"
        ]  # type: ignore[operator]
        found = Counter(i.severity.value for i in checks)
        found.update(rec.flags["severity"].value_counts().to_dict())
        payload["totals"]["flags"] = {  # type: ignore[index]
            s.value: int(found[s.value]) for s in Severity
        }
        if written is not None:
            payload["written"] = {
                "sheets": written.rows,
                "backup": None if written.backup is None else str(written.backup),
            }
        click.echo(json_text(payload))
        errors = bool(found[Severity.ERROR.value])
    else:
        issues = [*checks, *rec.issues]
        _print_reconciliation(rec, issues, book)
        if written is not None:
            _report_written(book, written)
        errors = has_errors(issues)
    sys.exit(EXIT_ISSUES if errors else EXIT_CLEAN)


def _report_written(book: Path, written: ResultsWritten) -> None:
    """Say which sheets were written, how many rows each, and where the backup went."""
    click.echo(f"wrote {book} as of {written.reconciliation.as_of.isoformat()}:")
    for name, count in written.rows.items():
        click.echo(f"  {name}: {count} row{'s' if count != 1 else ''}")
    click.echo(f"  {AUDIT_SHEET}: 1 row appended")
    if written.backup is not None:
        click.echo(f"previous version kept in {written.backup}")


def _print_reconciliation(rec: Reconciliation, issues: list[Issue], book: Path) -> None:
    console = Console(highlight=False, width=120)
    locale = rec.locale
    console.print(f"[bold]{escape(book.name)}[/bold] as of {format_date(rec.as_of, locale)}")
    money = ["charges", "payments", "refunds", "adjustments", "balance", "credit"]
    shown = rec.balances[["client_id", *money, "oldest_open_date"]]
    console.print(_table("Balances", shown, money, rec))
    buckets = [c for c in rec.aging.columns if c != "client_id"]
    console.print(_table("Aging", rec.aging, buckets, rec))
    loud = [i for i in issues if i.severity is not Severity.NOTE]
    if loud:
        click.echo(render_issues(loud))
    notes = Counter(i.code.value for i in issues if i.severity is Severity.NOTE)
    if notes:
        listed = ", ".join(f"{n} {code}" for code, n in sorted(notes.items()))
        click.echo(f"notes: {listed} (all of them: --format json)")
    click.echo(summary_line(issues))


def _table(title: str, frame: pd.DataFrame, money: list[str], rec: Reconciliation) -> Table:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(column.replace("_", " "), justify="right" if column in money else "left")
    for row in money_columns(frame, money, rec.currency, rec.locale):
        table.add_row(*(Text(str(cell)) for cell in row))  # workbook text, never markup
    return table


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("client_id")
@as_of_option
@password_option()
def explain(book: Path, client_id: str, as_of: dt.datetime | None, password: str | None) -> None:
    """The ledger of CLIENT_ID line by line: basis, allocation, running balance, row."""
    rec, _ = _reconciled(book, as_of, password)
    if client_id not in set(rec.balances["client_id"]):
        raise click.BadParameter(
            f"{client_id!r} is not a client in {book.name}", param_hint="CLIENT_ID"
        )
    click.echo(str(rec.explain(client_id)))


@main.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port on 127.0.0.1 (default: Voila's, 8866).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
def app(book: Path, port: int | None, no_browser: bool) -> None:
    """Serve the dashboard for BOOK.xlsx as a web page on this computer only (Voila)."""
    import subprocess

    from practicebook.frontends.jupyter.launch import voila_command

    with _errors():
        argv, env = voila_command(book, port=port, open_browser=not no_browser)
    click.echo(f"serving {book} on http://127.0.0.1:{port or 8866}/ (Ctrl-C stops)")
    sys.exit(subprocess.call(argv, env=env))


main.add_command(batch_command)
