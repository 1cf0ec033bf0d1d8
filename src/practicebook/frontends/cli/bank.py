"""``practicebook bank …`` and ``practicebook export``: money in the bank from the
command line, a translation of ``practicebook.bank``.

A bookkeeper's month: ``bank import`` each statement file (again is harmless), ``bank
match`` (records the matches), ``bank status`` (what is left: findings at their cells),
``bank explain`` a line, ``bank choose`` where the matcher would not guess, ``bank
reconcile --close`` the month, then ``export`` the journal for the accountant.

Exit codes as everywhere: 0 done and clean, 1 error-level findings or a refused choice,
2 a file that cannot be used (a statement that is not one, a damaged workbook).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from practicebook.frontends.cli.options import (
    DAY,
    as_of_option,
    book_argument,
    format_option,
    password_option,
)
from practicebook.frontends.cli.reading import EXIT_CLEAN, EXIT_ISSUES, fail, load, one_line

if TYPE_CHECKING:
    from practicebook.core.bank import BankMatch
    from practicebook.issues import Issue

__all__ = ["COMMANDS", "EXPORT_FORMATS", "bank_command", "export_command"]

T = TypeVar("T")

_STATEMENT_FORMATS = ["auto", "csv", "ofx", "camt", "stripe", "square", "paypal"]
#: The accounting export's formats (``practicebook.bank.EXPORT_FORMATS``, without
#: importing it before a command runs).
EXPORT_FORMATS = ["hledger", "beancount", "qbo", "xero", "csv"]


@click.group("bank")
def bank_command() -> None:
    """Bank and processor statements: import, match, explain, choose, reconcile.

    Lines are imported once (importing a file again adds nothing), matched to the
    recorded payments net of processor fees, and every deposit is explained or flagged.
    """


def _issues_text(issues: list[Issue]) -> None:
    from practicebook.issues import sort_issues
    from practicebook.render.text import render_issue, summary_line

    if issues:
        click.echo("\n\n".join(render_issue(i) for i in sort_issues(issues)))
        click.echo()
    click.echo(summary_line(issues))


@bank_command.command("import")
@book_argument
@click.argument("statement", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--account", default=None, help="The account the lines go to (added when new).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_STATEMENT_FORMATS),
    default="auto",
    show_default=True,
    help="The statement's format (auto recognises it).",
)
@click.option(
    "--mapping",
    default=None,
    metavar="FIELD=COLUMN;…",
    help="A bank CSV's columns, e.g. 'date=Posting Date; amount=Amount' (saved on the account).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be added; write nothing.")
@password_option()
def import_command(
    book: Path,
    statement: Path,
    account: str | None,
    fmt: str,
    mapping: str | None,
    dry_run: bool,
    password: str | None,
) -> None:
    """Import the new lines of STATEMENT (CSV, OFX/QFX, CAMT.053, Stripe, Square, PayPal)."""
    from practicebook import bank

    with one_line():
        data = bank.read_statement_file(statement)
    with one_line():
        report = bank.import_statement(
            book,
            data,
            name=statement.name,
            account=account,
            fmt=fmt,
            mapping=mapping,
            dry_run=dry_run,
            password=password,
            tool="cli",
        )
    plan = report.plan
    if plan.statement.unreadable:
        first = next(i for i in plan.issues if i.is_error)
        fail(f"{statement}: {first.message}")
    errors = [i for i in plan.issues if i.is_error]
    if errors:
        click.echo(f"nothing imported from {statement.name}:")
        _issues_text(plan.issues)
        sys.exit(EXIT_ISSUES)
    verb = "would add" if dry_run else "added"
    click.echo(
        f"{statement.name} ({plan.statement.format}) into {plan.account_id}: {verb} "
        f"{len(plan.rows)} lines, {plan.present} already there, {len(plan.conflicts)} conflicting"
    )
    for conflict in plan.conflicts:
        where = f" (line {conflict.line_id})" if conflict.line_id else ""
        click.echo(f"  not added: row {conflict.row} of the file: {conflict.why}{where}")
    if plan.new_account:
        click.echo(f"  new account {plan.account_id} ({plan.new_account['kind']}) on BankAccounts")
    if plan.assertions:
        click.echo(f"  {len(plan.assertions)} statement balance(s) recorded on Assertions")
    if plan.mapping:
        click.echo(f"  column mapping saved on {plan.account_id}: {plan.mapping}")
    for note in (i for i in plan.issues if not i.is_error):
        click.echo(f"  note: {note.message}")
    if report.backup is not None:
        click.echo(f"previous version kept in {report.backup}")


def _match_options(func: Any) -> Any:
    func = click.option(
        "--days",
        type=click.IntRange(0, 60),
        default=5,
        show_default=True,
        help="A payment and its line may be this many days apart.",
    )(func)
    func = click.option(
        "--undeposited-after",
        "undeposited",
        type=click.IntRange(1, 365),
        default=10,
        show_default=True,
        help="Report a payment not in the bank after this many days.",
    )(func)
    return func


@bank_command.command("match")
@book_argument
@as_of_option("Match")
@_match_options
@click.option("--dry-run", is_flag=True, help="Show the matches; write nothing.")
@format_option
@password_option()
def match_command(
    book: Path,
    as_of: dt.date | None,
    days: int,
    undeposited: int,
    dry_run: bool,
    fmt: str,
    password: str | None,
) -> None:
    """Match the lines of BOOK to its payments and record the matches in BOOK."""
    from practicebook import bank
    from practicebook.core.bank import MatchOptions

    options = MatchOptions(days=days, undeposited_days=undeposited)
    loaded = load(book, password)
    if dry_run:
        result, changed = (
            bank.match(loaded.book, as_of, days=days, undeposited_days=undeposited),
            None,
        )
    else:
        with one_line():
            stored = bank.store_matches(
                book, as_of=as_of, options=options, password=loaded.password, tool="cli"
            )
        result, changed = stored.matching, stored
    if fmt == "json":
        click.echo(_status_json(result, changed))
    else:
        _status_text(book, result)
        if changed is not None:
            click.echo(f"recorded: {changed.lines} lines, {changed.payments} payments updated")
            if changed.backup is not None:
                click.echo(f"previous version kept in {changed.backup}")
    sys.exit(EXIT_ISSUES if any(i.is_error for i in result.issues) else EXIT_CLEAN)


@bank_command.command("status")
@book_argument
@as_of_option("Report")
@_match_options
@format_option
@password_option()
def status_command(
    book: Path, as_of: dt.date | None, days: int, undeposited: int, fmt: str, password: str | None
) -> None:
    """Each account's balance and what is left to explain; the bank's findings."""
    from practicebook import bank

    loaded = load(book, password)
    result = bank.match(loaded.book, as_of, days=days, undeposited_days=undeposited)
    if fmt == "json":
        click.echo(_status_json(result, None))
    else:
        _status_text(book, result)
    sys.exit(EXIT_ISSUES if any(i.is_error for i in result.issues) else EXIT_CLEAN)


def _status_text(book: Path, result: BankMatch) -> None:
    import pandas as pd
    from rich.markup import escape

    from practicebook.frontends.cli.show import console, money_table
    from practicebook.l10n import format_date

    def day(value: Any) -> str:
        return "" if pd.isna(value) else format_date(value.date(), result.locale)

    out = console()
    out.print(
        f"[bold]{escape(book.name)}[/bold] bank as of "
        f"{format_date(result.as_of, result.locale)}, amounts in {result.currency}"
    )
    accounts = result.accounts.copy()
    for column in ("last_posted", "last_assertion", "reconciled_through"):
        accounts[column] = accounts[column].map(day).astype(object)
    accounts["processor"] = accounts["processor"].fillna("")
    table = money_table(
        "Accounts", accounts, ["balance"], result.currency, result.locale, "accounts"
    )
    out.print(table, crop=False)
    lines = result.lines
    left = lines[lines["status"] == "unmatched"]
    click.echo(
        f"lines: {len(lines)}, matched {int((lines['status'] != 'unmatched').sum())}, "
        f"left to explain {len(left)} ({int(left['tied'].sum())} tied)"
    )
    _issues_text(result.issues)


def _status_json(result: BankMatch, stored: object) -> str:
    from practicebook.render.json import json_text

    def rows(frame: Any) -> list[dict[str, object]]:
        out = frame.copy()
        for column in out.columns:
            if str(out[column].dtype).startswith("datetime"):
                out[column] = out[column].dt.strftime("%Y-%m-%d")
            elif "decimal" in str(out[column].dtype):
                out[column] = out[column].astype(str)
        return [{k: (None if v != v else v) for k, v in r.items()} for r in out.to_dict("records")]

    payload: dict[str, object] = {
        "as_of": result.as_of.isoformat(),
        "currency": result.currency,
        "accounts": rows(result.accounts),
        "lines": rows(result.lines),
        "flags": [i.to_dict() for i in result.issues],
    }
    if stored is not None:
        payload["recorded"] = {"lines": stored.lines, "payments": stored.payments}  # type: ignore[attr-defined]
    return json_text(payload)


@bank_command.command("explain")
@book_argument
@click.argument("line_id")
@as_of_option("Explain")
@password_option()
def explain_command(book: Path, line_id: str, as_of: dt.date | None, password: str | None) -> None:
    """Why LINE_ID is matched (the rule, and every row it joined), or why not."""
    from practicebook import bank

    loaded = load(book, password)
    result = bank.match(loaded.book, as_of)
    try:
        click.echo(str(result.explain(line_id)))
    except KeyError:
        fail(
            f"there is no line {line_id!r} on the BankLines sheet "
            f"(as of {result.as_of.isoformat()})"
        )


@bank_command.command("choose")
@book_argument
@click.argument("line_id")
@click.argument("payment_ids", nargs=-1)
@click.option("--line", "other", default=None, help="The payout (or deposit) line it is.")
@click.option("--not-client-money", is_flag=True, help="The line is not client money.")
@click.option("--unmatch", is_flag=True, help="Back to unmatched.")
@password_option()
def choose_command(
    book: Path,
    line_id: str,
    payment_ids: tuple[str, ...],
    other: str | None,
    not_client_money: bool,
    unmatch: bool,
    password: str | None,
) -> None:
    """Record what LINE_ID is: PAYMENT_IDS, a payout (--line), or not client money."""
    from practicebook import bank

    choice = _attempt(
        lambda: bank.choose(
            book,
            line_id,
            payments=payment_ids,
            line=other,
            not_client_money=not_client_money,
            unmatch=unmatch,
            password=password,
            tool="cli",
        ),
        f"nothing was written for line {line_id}:",
    )
    click.echo(f"recorded {choice.summary}")


def _attempt(call: Callable[[], T], refused_heading: str) -> T:
    """``call()``; a refused row is listed (exit 1), any other failure is one line (exit 2)."""
    from practicebook.errors import RowRefused

    try:
        with one_line_unless_refused():
            return call()
    except RowRefused as refused:
        click.echo(refused_heading)
        _issues_text(refused.issues)
        sys.exit(EXIT_ISSUES)


@contextlib.contextmanager
def one_line_unless_refused() -> Iterator[None]:
    """``one_line`` for every failure but a refused row, which goes to the caller."""
    from practicebook.errors import RowRefused

    try:
        yield
    except RowRefused:
        raise
    except Exception as exc:
        with one_line():
            raise exc


@bank_command.command("reconcile")
@book_argument
@click.option("--account", required=True, help="The account whose statement it is.")
@click.option("--through", type=DAY, required=True, help="The statement's last day, YYYY-MM-DD.")
@click.option(
    "--balance",
    default=None,
    metavar="AMOUNT",
    help="The statement's ending balance, e.g. 1234.56 (default: Assertions).",
)
@click.option("--close", is_flag=True, help="Also close the books through that day.")
@password_option()
def reconcile_command(
    book: Path,
    account: str,
    through: dt.date,
    balance: str | None,
    close: bool,
    password: str | None,
) -> None:
    """Mark a balanced statement period reconciled (and with --close, close the books)."""
    from practicebook import bank

    done = _attempt(
        lambda: bank.reconcile_statement(
            book, account, through, balance=balance, close=close, password=password, tool="cli"
        ),
        f"{account} is not reconciled through {through.isoformat()}:",
    )
    check = done.check
    click.echo(
        f"{account} reconciled from {check.start.isoformat()} through {check.end.isoformat()}: "
        f"{len(done.lines)} lines, difference 0"
    )
    if done.closed:
        click.echo(f"books closed through {through.isoformat()} (lock_through_date)")
    if done.backup is not None:
        click.echo(f"previous version kept in {done.backup}")


@click.command("export")
@book_argument
@click.option("--to", "to", type=click.Choice(EXPORT_FORMATS), required=True, help="The format.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write.",
)
@click.option(
    "--from",
    "start",
    type=DAY,
    default=None,
    help="First day, YYYY-MM-DD (earlier: balances brought forward).",
)
@click.option(
    "--until", "end", type=DAY, default=None, help="Last day, YYYY-MM-DD (default: today)."
)
@click.option(
    "--per",
    type=click.Choice(["day", "deposit"]),
    default="day",
    show_default=True,
    help="Statement lines summed per day, or one transaction each.",
)
@click.option("--with-client-ids", is_flag=True, help="Receivables per client ID (never names).")
@password_option()
def export_command(
    book: Path,
    to: str,
    out: Path,
    start: dt.date | None,
    end: dt.date | None,
    per: str,
    with_client_ids: bool,
    password: str | None,
) -> None:
    """Write BOOK's journal for the accountant: no client names, diagnoses or memos."""
    from practicebook import bank

    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        fail(f"cannot write {out}: the folder {out.parent} does not exist")
    loaded = load(book, password)
    with one_line():
        try:
            done, paths = bank.write_export(
                loaded.book, to, out, start=start, end=end, per=per, with_client_ids=with_client_ids
            )
        except ValueError as exc:
            fail(str(exc))
    journal = done.journal
    click.echo(
        f"wrote {', '.join(str(p) for p in paths)}: {len(journal.transactions)} transactions "
        f"through {journal.end.isoformat()} ({to})"
    )


#: The commands this module adds to ``practicebook``.
COMMANDS = (bank_command, export_command)
