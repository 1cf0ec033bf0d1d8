"""``practicebook statement | receipt | invoice | superbill | estimate | void | documents |
upgrade``: client documents from the command line.

Each issuing command prints the file and its number. Exit codes: 0 issued, 1 when the
document cannot be issued for located reasons (a superbill's missing fields, a charge
already invoiced), 2 for an unreadable workbook or a request that names nothing usable.
A translation only: the work is ``practicebook.documents``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from practicebook.frontends.cli.options import DAY, book_argument, format_option, password_option
from practicebook.frontends.cli.reading import EXIT_ISSUES, fail, load, one_line

if TYPE_CHECKING:
    from practicebook.core.documents import Frequency, Request
    from practicebook.frontends.cli.reading import Loaded
    from practicebook.workbook.documents import Issued

__all__ = ["COMMANDS"]

_client = click.option("--client", "client_id", required=True, help="Client ID, e.g. C0001.")
_month = click.option(
    "--month", "month", default=None, metavar="YYYY-MM", help="The month, YYYY-MM."
)
_from = click.option("--from", "start", type=DAY, default=None, help="First day, YYYY-MM-DD.")
_to = click.option("--to", "end", type=DAY, default=None, help="Last day, YYYY-MM-DD.")
_out = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the PDF (default: documents/ beside the workbook).",
)
_minimal = click.option(
    "--minimal",
    is_flag=True,
    default=None,
    help="Minimal-PHI mode: client by ID, services by their generic wording, no address.",
)


#: Why a superbill has no minimal-PHI mode.
_NOT_MINIMAL = (
    "a superbill cannot be minimal: the insurer needs the client's name, date of birth, "
    "address and diagnoses (a statement, receipt or invoice can be --minimal)"
)


def _period(
    month: str | None, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    from practicebook.documents import month as month_of

    if month is not None:
        if start is not None or end is not None:
            raise click.UsageError("give --month, or --from and --to, not both")
        try:
            return month_of(month)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from None
    if start is None or end is None:
        raise click.UsageError("give --month YYYY-MM, or both --from and --to")
    if end < start:
        raise click.UsageError(f"--to ({end}) is before --from ({start})")
    return start, end


@contextmanager
def _refusals() -> Iterator[None]:
    """A document that cannot be issued: its located issues and exit 1; a request that
    names nothing usable: one line and exit 2."""
    from practicebook.errors import RowRefused
    from practicebook.render.text import render_issues

    with one_line():  # the rest of practicebook's errors: one line, exit 2
        try:
            yield
        except RowRefused as exc:
            click.echo(render_issues(exc.issues))
            click.echo("nothing was issued", err=True)
            sys.exit(EXIT_ISSUES)
        except (LookupError, ValueError) as exc:
            fail(str(exc.args[0]) if exc.args else str(exc))


def _warn_about_book(loaded: Loaded) -> None:
    errors = sum(i.is_error for i in loaded.issues)
    if errors:
        click.echo(
            f"warning: {loaded.path.name} has {errors} error{'s' if errors != 1 else ''} "
            "(practicebook check): rows that could not be read are left out of every figure",
            err=True,
        )


def _issue(loaded: Loaded, requests: Sequence[Request], out: Path | None, **kw: Any) -> None:
    from practicebook.documents import issue_many
    from practicebook.render.text import render_issues

    _warn_about_book(loaded)
    with _refusals():
        done = issue_many(
            loaded.path, requests, out=out, password=loaded.password, tool="cli", **kw
        )
    _report(done)
    notes = [i for d in done for i in d.document.issues]
    if notes:
        click.echo(render_issues(notes))


def _report(done: Sequence[Issued]) -> None:
    for item in done:
        click.echo(f"issued {item.number}: {item.path}")


@click.command()
@book_argument
@click.option("--client", "client_id", default=None, help="Client ID, e.g. C0001.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every client with activity or a balance who has no statement for the period yet.",
)
@_month
@_from
@_to
@click.option("--open-items", is_flag=True, help="List what is still open, not the activity.")
@_out
@_minimal
@password_option()
def statement(
    book: Path,
    client_id: str | None,
    every: bool,
    month: str | None,
    start: dt.date | None,
    end: dt.date | None,
    open_items: bool,
    out: Path | None,
    minimal: bool | None,
    password: str | None,
) -> None:
    """Issue a statement: opening balance, the period's activity, closing balance, aging.

    Use --client C0001, or --all for every client with activity in the period or a
    balance at its end who has no statement for that period yet (void one to issue it
    again).
    """
    from practicebook.core.documents import StatementRequest
    from practicebook.documents import issued_statements, statement_clients

    if every == (client_id is not None):
        raise click.UsageError("give --client C0001, or --all")
    first, last = _period(month, start, end)
    loaded = load(book, password)
    clients = statement_clients(loaded.book, (first, last)) if every else [str(client_id)]
    if every:
        done = issued_statements(loaded.book, (first, last))
        if done & set(clients):
            n = len(done & set(clients))
            click.echo(
                f"{n} client{'s have' if n != 1 else ' has'} a statement for this period "
                "already (void it to issue another)"
            )
        clients = [c for c in clients if c not in done]
    mode = "open" if open_items else "activity"
    requests = [StatementRequest(c, first, last, mode, minimal) for c in clients]  # type: ignore[arg-type]
    if not requests:
        click.echo(f"no statement to issue from {first} to {last}")
        return
    if not every:
        _issue(loaded, requests, out)
        return
    with click.progressbar(length=len(requests), label="statements", file=sys.stderr) as bar:
        _issue(loaded, requests, out, progress=_advance(bar))


def _advance(bar: Any) -> Callable[[int, int], None]:
    def step(done: int, total: int) -> None:
        bar.update(1)

    return step


@click.command()
@book_argument
@click.option("--payment", "payment_id", required=True, help="Payment ID, e.g. P0000123.")
@_out
@_minimal
@password_option()
def receipt(
    book: Path, payment_id: str, out: Path | None, minimal: bool | None, password: str | None
) -> None:
    """Issue a receipt for a payment: what it paid, session by session, and the balance
    after it."""
    from practicebook.core.documents import ReceiptRequest

    _issue(load(book, password), [ReceiptRequest(payment_id, minimal)], out)


@click.command()
@book_argument
@_client
@click.option("--session", "sessions", multiple=True, help="A session to bill (repeatable).")
@_month
@_from
@_to
@_out
@_minimal
@password_option()
def invoice(
    book: Path,
    client_id: str,
    sessions: tuple[str, ...],
    month: str | None,
    start: dt.date | None,
    end: dt.date | None,
    out: Path | None,
    minimal: bool | None,
    password: str | None,
) -> None:
    """Issue an invoice for sessions (--session S…) or a period's charges not yet invoiced.

    A charge is on one live invoice at a time: to correct an invoice, void it
    (practicebook void) and issue a new one.
    """
    from practicebook.core.documents import InvoiceRequest

    if sessions and (month or start or end):
        raise click.UsageError("give --session, or a period, not both")
    first, last = (None, None) if sessions else _period(month, start, end)
    request = InvoiceRequest(client_id, first, last, sessions, minimal)
    _issue(load(book, password), [request], out)


@click.command()
@book_argument
@_client
@_month
@_from
@_to
@click.option("--paid-only", is_flag=True, help="Only sessions paid in full.")
@click.option("--draft", is_flag=True, help="Write a DRAFT whatever is missing (not numbered).")
@_out
@click.option(
    "--minimal",
    is_flag=True,
    help="Not available: a superbill needs the client's name, date of birth, address and "
    "diagnoses.",
)
@password_option()
def superbill(
    book: Path,
    client_id: str,
    month: str | None,
    start: dt.date | None,
    end: dt.date | None,
    paid_only: bool,
    draft: bool,
    out: Path | None,
    minimal: bool,
    password: str | None,
) -> None:
    """Issue a superbill for out-of-network reimbursement (never with late-cancel or
    no-show fees). Every missing field is listed at its cell and nothing is issued,
    unless --draft. A superbill always carries the client's details: it has no minimal
    mode.
    """
    from practicebook.core.documents import SuperbillRequest

    if minimal:
        fail(_NOT_MINIMAL)
    first, last = _period(month, start, end)
    request = SuperbillRequest(client_id, first, last, paid_only, draft)
    loaded = load(book, password)
    if loaded.book.settings.phi_mode == "minimal":
        click.echo(f"note: phi_mode is minimal, but {_NOT_MINIMAL}", err=True)
    if not draft:
        _issue(loaded, [request], out)
        return
    from practicebook.documents import draft as write_draft
    from practicebook.render.text import render_issues

    with _refusals():
        path, doc = write_draft(loaded.path, request, out=out, password=loaded.password)
    click.echo(f"wrote draft (not issued): {path}")
    if doc.issues:
        click.echo(render_issues(doc.issues))


@click.command()
@book_argument
@_client
@_from
@_to
@click.option(
    "--service",
    "services",
    multiple=True,
    required=True,
    metavar="CODE[=COUNT]",
    help="A service and how many sessions of it (repeatable): 90791=1, or 90834 with --frequency.",
)
@click.option(
    "--frequency",
    type=click.Choice(["weekly", "biweekly", "monthly"]),
    default=None,
    help="How often the services without a count take place.",
)
@click.option("--clinician", "clinician_id", default=None, help="Whose fees (default: latest).")
@_out
@_minimal
@password_option()
def estimate(
    book: Path,
    client_id: str,
    start: dt.date | None,
    end: dt.date | None,
    services: tuple[str, ...],
    frequency: str | None,
    clinician_id: str | None,
    out: Path | None,
    minimal: bool | None,
    password: str | None,
) -> None:
    """Issue a good-faith estimate (US No Surprises Act) for a self-pay client.

    The period defaults to a year from today. Later, `practicebook documents` flags
    billed charges $400 or more above it (gfe-variance).
    """
    from practicebook.core.documents import EstimateRequest
    from practicebook.documents import a_year_from

    loaded = load(book, password)
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo(loaded.book.settings.timezone)).date()
    first = start or today
    last = end or a_year_from(first)
    wanted = [_service(text) for text in services]
    request = EstimateRequest(
        client_id,
        first,
        last,
        tuple(wanted),
        cast("Frequency", frequency),
        clinician_id,
        minimal,
    )
    _issue(loaded, [request], out)


def _service(text: str) -> tuple[str, int | None]:
    code, sep, count = text.partition("=")
    if not code.strip() or (sep and not count.strip().isdigit()):
        raise click.BadParameter(f"{text!r}: write CODE or CODE=COUNT", param_hint="--service")
    return code.strip(), int(count) if sep else None


@click.command()
@book_argument
@click.argument("number")
@click.option("--reason", default=None, help="Why (kept in the register).")
@password_option()
def void(book: Path, number: str, reason: str | None, password: str | None) -> None:
    """Void issued document NUMBER: it stays in the register and on disk, marked void;
    its charges may be billed again."""
    from practicebook.documents import void as void_document

    loaded = load(book, password)
    with _refusals():
        done = void_document(
            loaded.path, number, reason=reason, password=loaded.password, tool="cli"
        )
    click.echo(f"voided {done.voids} ({done.number})")


@click.command()
@book_argument
@format_option
@click.option("--as-of", "as_of", type=DAY, default=None, help="Findings as of this day.")
@password_option()
def documents(book: Path, fmt: str, as_of: dt.date | None, password: str | None) -> None:
    """List the documents issued from BOOK, and the register's findings (a charge billed
    twice, a good-faith estimate exceeded)."""
    from practicebook.documents import findings, register, register_records

    loaded = load(book, password)
    table = register(loaded.book)
    issues = findings(loaded.book, as_of)
    if fmt == "json":
        from practicebook.render.json import issues_to_json

        click.echo(issues_to_json(issues, file=str(book), documents=register_records(table)))
    else:
        click.echo(_register_text(loaded, table))
        if issues:
            from practicebook.render.text import render_issues

            click.echo(render_issues(issues))
    from practicebook.issues import has_errors

    sys.exit(EXIT_ISSUES if has_errors(issues) else 0)


def _register_text(loaded: Loaded, table: Any) -> str:
    from practicebook.l10n import format_money
    from practicebook.money import to_minor

    if table.empty:
        return f"{loaded.path.name}: no document issued yet"
    cur, locale = loaded.book.settings.currency, loaded.book.settings.locale
    lines = []
    for row in table.to_dict("records"):
        total = row["total"]
        money = (
            ""
            if total is None or total != total
            else format_money(to_minor(total, cur), cur, locale)
        )
        voided = row["voided_by"]
        state = f"void ({voided})" if isinstance(voided, str) else ""
        what = f"voids {row['voids']}" if row["type"] == "void" else str(row["file_name"] or "")
        issued = str(row["issued_at"])[:16]
        lines.append(
            f"{row['document_number']:<12} {row['type']:<9} {row['client_id'] or '':<8} "
            f"{issued:<16} {money:>12}  {what} {state}".rstrip()
        )
    return "\n".join(lines)


@click.command()
@book_argument
@password_option()
def upgrade(book: Path, password: str | None) -> None:
    """Add the columns, sheets and settings rows of the current schema that BOOK lacks.

    Nothing else changes: no cell is moved or rewritten. The change is audited.
    """
    from practicebook.documents import upgrade as upgrade_book

    loaded = load(book, password)
    with one_line():
        done = upgrade_book(loaded.path, password=loaded.password, tool="cli")
    if not done.written:
        click.echo(f"{book.name} is up to date (schema {done.version})")
        return
    for sheet, keys in done.columns.items():
        click.echo(f"added to {sheet}: {', '.join(keys)}")
    if done.sheets:
        click.echo(f"added sheets: {', '.join(done.sheets)}")
    if done.settings:
        click.echo(f"added Practice settings: {', '.join(done.settings)}")
    for sheet, why in done.skipped.items():
        click.echo(f"left {sheet} alone: {why}", err=True)
    click.echo(f"{book.name} now records schema {done.version}")


#: The commands this module adds to ``practicebook``.
COMMANDS = (statement, receipt, invoice, superbill, estimate, void, documents, upgrade)
