"""The ``practicebook`` command: a thin click adapter over ``practicebook.api``.

Exit codes: 0 clean, 1 when any error-level issue was found, 2 for an unusable file or
a usage error. Exceptions are mapped to messages in one place (``_errors``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from practicebook import api
from practicebook import __version__
from practicebook.batchcli import batch_command
from practicebook.formatting import issues_to_json, render_issues
from practicebook.issues import PracticebookError, UnreadableWorkbook, has_errors
from practicebook.money import is_currency, known_locale

EXIT_CLEAN, EXIT_ISSUES, EXIT_UNUSABLE = 0, 1, 2

password_option = click.option(
    "--password", envvar="PRACTICEBOOK_PASSWORD", default=None,
    help="Password of a protected workbook (or set PRACTICEBOOK_PASSWORD).")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output for people (text) or programs (json).")


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
@click.option("--timezone", default="America/New_York", show_default=True,
              help="IANA time zone of session times.")
@click.option("--name", "practice_name", default="", help="Practice name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(book: Path, currency: str, locale: str, timezone: str, practice_name: str,
        force: bool) -> None:
    """Write a new, empty standard workbook BOOK.xlsx."""
    if book.exists() and not force:
        raise click.UsageError(f"{book} already exists; use --force to overwrite it")
    if book.suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError("the workbook name must end in .xlsx")
    currency = currency.upper()
    if not is_currency(currency):
        raise click.BadParameter(f"{currency!r} is not an ISO 4217 code", param_hint="--currency")
    if not known_locale(locale):
        raise click.BadParameter(f"{locale!r} is not a known locale", param_hint="--locale")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{timezone!r} is not an IANA time zone",
                                 param_hint="--timezone") from None
    with _errors():
        api.new_workbook(book, currency=currency, locale=locale.replace("-", "_"),
                         timezone=timezone, practice_name=practice_name)
    click.echo(f"wrote {book}")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@password_option
def check(book: Path, fmt: str, password: str | None) -> None:
    """List every problem in BOOK.xlsx, each at its cell, with how to fix it."""
    with _errors():
        issues = api.check(book, password=password)
    if fmt == "json":
        click.echo(issues_to_json(issues, file=str(book)))
    elif issues:
        click.echo(render_issues(issues))
    else:
        click.echo(f"{book}: no problems found")
    sys.exit(EXIT_ISSUES if has_errors(issues) else EXIT_CLEAN)


main.add_command(batch_command)
