"""Account balances, balance assertions and the reconciliation of a statement period.

An account's balance at the end of a day is its opening balance plus the net of every
line posted from its opening date through that day. A statement period reconciles
when ``opening + Σ explained lines = closing``: every line of the period is matched or
marked not client money, and the balance the statement states is the balance the lines
make. Only then may the period be marked reconciled (and the books closed through it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from itertools import accumulate

from practicebook.core.bank.inputs import Account, BankBook, Line

__all__ = ["Balances", "StatementCheck", "check_statement"]


class Balances:
    """Every account's balance at the end of any day, from its lines."""

    def __init__(self, bank: BankBook) -> None:
        self.accounts = bank.accounts
        by_account: dict[str, list[Line]] = defaultdict(list)
        for line in bank.lines:
            by_account[line.account_id].append(line)
        self.days: dict[str, list[dt.date]] = {}
        self.running: dict[str, list[int]] = {}
        for account_id, lines in by_account.items():
            opening = bank.accounts[account_id].opening_date
            counted = [ln for ln in lines if opening is None or ln.posted >= opening]
            if not counted:
                continue
            counted.sort(key=operator.attrgetter("posted", "line_id"))
            self.days[account_id] = [ln.posted for ln in counted]
            self.running[account_id] = list(accumulate(ln.amount - ln.fee for ln in counted))

    def at(self, account_id: str, day: dt.date) -> int | None:
        """The balance at the end of ``day`` (None before the account's opening date)."""
        account = self.accounts.get(account_id)
        if account is None:
            return 0
        if account.opening_date is not None and day < account.opening_date - dt.timedelta(days=1):
            return None
        days = self.days.get(account_id, [])
        n = bisect.bisect_right(days, day)
        return account.opening + (self.running[account_id][n - 1] if n else 0)

    def first_posted(self, account_id: str) -> dt.date | None:
        """The day of the account's earliest counted line."""
        days = self.days.get(account_id)
        return days[0] if days else None

    def last_posted(self, account_id: str) -> dt.date | None:
        """The day of the account's latest counted line."""
        days = self.days.get(account_id)
        return days[-1] if days else None


@dataclass(frozen=True)
class StatementCheck:
    """An account's statement period, checked.

    Attributes:
        account_id: the account.
        start, end: the period, both days included.
        opening: the balance at the end of the day before ``start``.
        total: the net of every line of the period.
        explained: the net of the period's lines that are matched or not client money.
        closing: the balance the statement states at the end of ``end`` (None: unknown).
        unexplained: the period's lines still to match or mark, by ID.
    """

    account_id: str
    start: dt.date
    end: dt.date
    opening: int
    total: int
    explained: int
    closing: int | None
    unexplained: tuple[str, ...]

    @property
    def difference(self) -> int | None:
        """``closing - (opening + explained)``; 0 when the period reconciles."""
        return None if self.closing is None else self.closing - self.opening - self.explained

    @property
    def balanced(self) -> bool:
        """True when the period can be marked reconciled."""
        return self.difference == 0 and not self.unexplained


def period_start(account: Account, lines: list[Line]) -> dt.date | None:
    """The first day not yet reconciled: the day after ``reconciled_through``, else the
    opening date, else the first line's day."""
    if account.reconciled_through is not None:
        return account.reconciled_through + dt.timedelta(days=1)
    if account.opening_date is not None:
        return account.opening_date
    return min((ln.posted for ln in lines), default=None)


def check_statement(
    bank: BankBook,
    balances: Balances,
    explained: Collection[str],
    account_id: str,
    end: dt.date,
    closing: int | None,
    start: dt.date | None = None,
) -> StatementCheck:
    """Check the period of ``account_id`` ending ``end`` against ``closing`` (default: the
    assertion dated ``end``, when there is one)."""
    account = bank.accounts.get(account_id) or Account(
        account_id, "bank", None, 0, None, None, None, 0
    )
    mine = [ln for ln in bank.lines if ln.account_id == account_id and account.counts(ln.posted)]
    first = start or period_start(account, mine) or end
    period = [ln for ln in mine if first <= ln.posted <= end]
    if closing is None:
        stated = [
            a.expected for a in bank.assertions if a.account_id == account_id and a.date == end
        ]
        closing = stated[-1] if stated else None
    opening = balances.at(account_id, first - dt.timedelta(days=1))
    return StatementCheck(
        account_id,
        first,
        end,
        opening if opening is not None else account.opening,
        sum(ln.net for ln in period),
        sum(ln.net for ln in period if ln.line_id in explained),
        closing,
        tuple(sorted(ln.line_id for ln in period if ln.line_id not in explained)),
    )
