"""Reconciling a statement period and closing the books through it.

A period reconciles when every line of it is explained and ``opening + Σ lines`` is the
closing balance the statement states (``statement.StatementCheck``). Reconciling marks
the period's lines ``reconciled`` with the matches that explained them (so a later run
never reopens them), records the closing balance as an assertion and the account's
``reconciled_through``. Closing sets ``lock_through_date`` — only once every account
with lines in the books is reconciled through that day, and never backwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from practicebook.core.bank import match
from practicebook.core.bank.result import BankMatch
from practicebook.core.bank.statement import StatementCheck
from practicebook.core.reconcile import as_of_day
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money
from practicebook.model import Book
from practicebook.money import MoneyTextError, from_minor, parse_money_text, to_minor

__all__ = ["ReconcilePlan", "plan_reconcile"]


@dataclass
class ReconcilePlan:
    """The cells reconciling writes, or why it is refused."""

    check: StatementCheck
    lines: dict[int, dict[str, object]] = field(default_factory=dict)
    accounts: dict[int, dict[str, object]] = field(default_factory=dict)
    new_accounts: list[dict[str, object]] = field(default_factory=list)
    assertions: list[dict[str, object]] = field(default_factory=list)
    lock: dt.date | None = None
    issues: list[Issue] = field(default_factory=list)
    line_ids: set[str] = field(default_factory=set)
    summary: str = ""

    @property
    def accepted(self) -> bool:
        return not any(i.is_error for i in self.issues)


def _closing(book: Book, balance: str | int | None, issues: list[Issue]) -> int | None:
    if balance is None or isinstance(balance, int):
        return balance
    settings = book.settings
    try:
        return to_minor(
            parse_money_text(balance, settings.locale, settings.currency), settings.currency
        )
    except MoneyTextError as exc:
        issues.append(
            Issue(
                Code.BAD_MONEY,
                Severity.ERROR,
                f"the closing balance: {exc.reason}",
                CellRef("BankAccounts"),
                "Write the statement's ending balance as it is printed, e.g. 5,291.30.",
            )
        )
        return None


def plan_reconcile(
    book: Book, account: str, through: dt.date, balance: str | int | None, *, close: bool = False
) -> ReconcilePlan:
    """What reconciling ``account`` through ``through`` writes (see the module)."""
    today = as_of_day(None, book.settings.timezone)
    result = match(book, max(through, today))
    issues: list[Issue] = []
    closing = _closing(book, balance, issues)
    check = result.statement(account, through, closing)
    plan = ReconcilePlan(check, issues=issues)
    if plan.accepted:
        _refusals(result, check, plan)
    if plan.accepted:
        _mark(result, check, plan)
        if close:
            _close(book, result, account, through, plan)
    money = result.currency
    plan.summary = (
        f"{check.start.isoformat()} to {through.isoformat()}: {len(plan.line_ids)} lines, closing "
        f"{from_minor(check.closing or 0, money)} {money}"
    )
    return plan


def _refusals(result: BankMatch, check: StatementCheck, plan: ReconcilePlan) -> None:

    def money(minor: int) -> str:
        return format_money(minor, result.currency, result.locale)

    where = CellRef("BankAccounts")
    hint = "Match or mark each line (practicebook bank status lists them), then reconcile again."
    if check.closing is None:
        plan.issues.append(
            Issue(
                Code.ASSERTION_FAILED,
                Severity.ERROR,
                f"no closing balance for {check.account_id} at the end of {check.end.isoformat()}",
                where,
                "Give the statement's ending balance, or add it to the Assertions sheet.",
                check.account_id,
            )
        )
        return
    if check.unexplained:
        shown = ", ".join(check.unexplained[:8]) + (" …" if len(check.unexplained) > 8 else "")
        plan.issues.append(
            Issue(
                Code.UNRECORDED_RECEIPT,
                Severity.ERROR,
                f"{len(check.unexplained)} lines of {check.account_id} from "
                f"{check.start.isoformat()} to {check.end.isoformat()} are not explained: {shown}",
                where,
                hint,
                check.account_id,
            )
        )
    if check.difference:
        plan.issues.append(
            Issue(
                Code.ASSERTION_FAILED,
                Severity.ERROR,
                f"{check.account_id} at the end of {check.end.isoformat()}: the statement says "
                f"{money(check.closing)}, opening {money(check.opening)} plus the explained lines "
                f"make {money(check.opening + check.explained)}, "
                f"difference {money(check.difference)}",
                where,
                hint,
                check.account_id,
            )
        )


def _mark(result: BankMatch, check: StatementCheck, plan: ReconcilePlan) -> None:
    bank = result.bank
    for line in bank.lines:
        if line.account_id != check.account_id or not check.start <= line.posted <= check.end:
            continue
        plan.line_ids.add(line.line_id)
        found = result.matching.matches.get(line.line_id)
        cells: dict[str, object] = {"status": "reconciled"}
        if found is not None and line.status != "reconciled":
            cells |= {
                "matched_payment_ids": ",".join(found.payments) or None,
                "matched_line_ids": ",".join(found.lines) or None,
                "match_rule": found.rule,
            }
            for other_id in found.lines:
                _freeze_partner(result, other_id, line.line_id, plan)
        plan.lines[line.row] = cells
    account = bank.accounts.get(check.account_id)
    if account is not None and account.row:
        plan.accounts[account.row] = {"reconciled_through": check.end}
    else:
        plan.new_accounts.append(
            {"account_id": check.account_id, "kind": "bank", "reconciled_through": check.end}
        )
    stated = any(a.account_id == check.account_id and a.date == check.end for a in bank.assertions)
    if not stated and check.closing is not None:
        plan.assertions.append(
            {
                "account_id": check.account_id,
                "date": check.end,
                "expected_balance": from_minor(check.closing, result.currency),
                "source": "reconciled statement",
            }
        )


def _freeze_partner(result: BankMatch, other_id: str, line_id: str, plan: ReconcilePlan) -> None:
    """Store the other line of a transfer as matched, so no later run gives it away."""
    other = next((ln for ln in result.bank.lines if ln.line_id == other_id), None)
    if other is not None and other.status == "unmatched" and other.row not in plan.lines:
        rule = result.matching.matches[other_id].rule
        plan.lines[other.row] = {
            "status": "matched",
            "matched_line_ids": line_id,
            "match_rule": rule,
        }


def _close(
    book: Book, result: BankMatch, account: str, through: dt.date, plan: ReconcilePlan
) -> None:
    behind = []
    for other in result.bank.accounts.values():
        reached = through if other.account_id == account else other.reconciled_through
        has_lines = any(
            ln.account_id == other.account_id and ln.posted <= through for ln in result.bank.lines
        )
        if has_lines and (reached is None or reached < through):
            since = "never" if reached is None else f"through {reached.isoformat()}"
            behind.append(f"{other.account_id} ({since})")
    if behind:
        plan.issues.append(
            Issue(
                Code.STALE_RECONCILIATION,
                Severity.ERROR,
                f"the books cannot close through {through.isoformat()}: not reconciled that far: "
                + ", ".join(behind),
                CellRef("BankAccounts"),
                "Reconcile each account's statement through that day first.",
            )
        )
        return
    lock = book.settings.lock_through_date
    plan.lock = through if lock is None or lock < through else None
