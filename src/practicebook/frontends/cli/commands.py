"""The ``practicebook`` command: a thin click adapter over the public API.

Exit codes: 0 clean, 1 when any error-level issue was found, 2 for an unusable file or
a usage error (``reading``). Each command imports its work when it runs, so
``practicebook --help`` loads click and nothing else, and ``check`` never loads the
reconciliation, the writer or the table renderer.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from practicebook.frontends.cli.bank import COMMANDS as BANK_COMMANDS
from practicebook.frontends.cli.batch import batch_command
from practicebook.frontends.cli.documents import COMMANDS as DOCUMENT_COMMANDS
from practicebook.frontends.cli.excel import excel_command
from practicebook.frontends.cli.options import (
    as_of_option,
    book_argument,
    format_option,
    password_option,
)
from practicebook.frontends.cli.reading import EXIT_CLEAN, EXIT_ISSUES, fail, load, one_line
from practicebook.frontends.cli.reconcile import reconcile_command

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="practicebook", prog_name="practicebook")
def main() -> None:
    """Bookkeeping for small therapy practices over one standard workbook.

    Days are written YYYY-MM-DD. Exit codes: 0 clean, 1 error-level findings (or, for
    batch, a workbook that could not be read or written), 2 a file that cannot be used
    or a usage error.
    """


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--currency", default="USD", show_default=True, metavar="CODE", help="ISO 4217 currency code."
)
@click.option(
    "--locale", default="en_US", show_default=True, metavar="LOCALE", help="Locale, e.g. en_CA."
)
@click.option(
    "--timezone",
    default="America/New_York",
    show_default=True,
    metavar="ZONE",
    help="IANA time zone of session times.",
)
@click.option("--name", "practice_name", default="", help="Practice name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Carry the data and settings of this workbook into BOOK (its values only).",
)
def new(
    book: Path,
    currency: str,
    locale: str,
    timezone: str,
    practice_name: str,
    force: bool,
    source: Path | None,
) -> None:
    """Write a new, empty standard workbook BOOK.xlsx (BOOK.xlsm: with the macro buttons).

    With --from OLD.xlsx the new workbook holds OLD's input sheets, copied by value and
    checked, and its Practice settings (the currency and locale options are then not
    used); what could not be carried is listed, each at its cell (exit code 1).
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from practicebook.money import is_currency, known_locale

    if book.exists() and not force:
        raise click.UsageError(f"{book} already exists; use --force to overwrite it")
    if book.suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError("the workbook name must end in .xlsx or .xlsm")
    if source is not None:
        _new_from(book, source)
        return
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
    folder = book.parent
    if not folder.is_dir():
        fail(f"cannot write {book}: the folder {folder} does not exist")
    from practicebook import api

    try:
        api.new_workbook(
            book,
            currency=currency,
            locale=locale.replace("-", "_"),
            timezone=timezone,
            practice_name=practice_name,
        )
    except Exception as exc:
        refusal = _refusal(exc)  # XlsxWriter wraps the system's refusal in its own type
        if refusal is None:
            raise
        fail(f"cannot write {book}: {refusal.strerror or type(refusal).__name__}")
    click.echo(f"wrote {book}")


def _new_from(book: Path, source: Path) -> None:
    """``new BOOK --from SOURCE``: SOURCE's data in a new standard workbook, and a report."""
    from practicebook.api import SHIPPED_VBA_PROJECT
    from practicebook.workbook.carry import carry
    from practicebook.workbook.ooxml.read import sheet_names
    from practicebook.workbook.template import write_workbook

    if source.resolve() == book.resolve():
        raise click.UsageError("--from must name another workbook than BOOK")
    loaded = load(source, None)
    with one_line():
        names = sheet_names(loaded.raw)
    carried = carry(loaded.book, loaded.issues, names)
    macros = book.suffix.lower() == ".xlsm"
    try:
        write_workbook(
            book,
            carried.rows,
            settings=carried.settings,
            vba_project=SHIPPED_VBA_PROJECT.read_bytes() if macros else None,
        )
    except OSError as exc:
        fail(f"cannot write {book}: {exc.strerror or type(exc).__name__}")
    counts = ", ".join(f"{name} {n}" for name, n in carried.counts.items()) or "no rows"
    click.echo(f"wrote {book} from {source.name}: {counts}")
    for line in carried.left_out:
        click.echo(f"not carried: {line}")
    sys.exit(EXIT_ISSUES if carried.left_out else EXIT_CLEAN)


def _refusal(exc: BaseException) -> OSError | None:
    """The operating system's refusal behind ``exc``, if that is what it is."""
    for candidate in (exc, exc.__cause__, exc.__context__, *getattr(exc, "args", ())):
        if isinstance(candidate, OSError):
            return candidate
    return None


@main.command()
@book_argument
@format_option
@password_option()
def check(book: Path, fmt: str, password: str | None) -> None:
    """List every problem in the data of BOOK.xlsx, each at its cell, with how to fix it.

    The bookkeeping findings (fees, payments, aging) come from reconcile.
    """
    issues = load(book, password).issues
    from practicebook.issues import has_errors

    if fmt == "json":
        from practicebook.render.json import issues_to_json

        click.echo(issues_to_json(issues, file=str(book)))
    elif issues:
        from practicebook.render.text import render_issues

        click.echo(render_issues(issues))
    else:
        click.echo(
            f"{book}: the data is valid; run `practicebook reconcile {book}` "
            "for the bookkeeping findings"
        )
    sys.exit(EXIT_ISSUES if has_errors(issues) else EXIT_CLEAN)


@main.command()
@book_argument
@click.argument("client_id")
@as_of_option("Explain")
@password_option()
def explain(book: Path, client_id: str, as_of: dt.date | None, password: str | None) -> None:
    """The ledger of CLIENT_ID line by line: basis, allocation, running balance, row."""
    from practicebook.core.reconcile import reconcile

    loaded = load(book, password)
    rec = reconcile(loaded.book, as_of)
    with one_line():  # an unknown client: the API's message, exit 2
        explanation = rec.explain(client_id)
    click.echo(str(explanation))
    errors = sum(i.is_error for i in [*loaded.issues, *rec.issues])
    if errors:
        from practicebook.frontends.cli.reconcile import left_out, provisional

        fix = f"`practicebook reconcile {book}` lists them"
        click.echo(f"PROVISIONAL: {provisional(errors, left_out(loaded), fix)}")


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

    with one_line():
        argv, env = voila_command(book, port=port, open_browser=not no_browser)
    click.echo(f"serving {book} on http://127.0.0.1:{port or 8866}/ (Ctrl-C stops)")
    with one_line():
        code = subprocess.call(argv, env=env)
    sys.exit(code)


main.add_command(reconcile_command)
main.add_command(batch_command)
main.add_command(excel_command)
for _command in DOCUMENT_COMMANDS:  # statement, receipt, invoice, superbill…
    main.add_command(_command)
for _command in BANK_COMMANDS:  # bank …, export
    main.add_command(_command)
