"""The bank as of a day: every line matched or flagged, balances, findings, and what
matching would store.

``BankMatch`` is what ``practicebook.bank.match`` returns: frames for people and
programs (money as exact decimals, ``practicebook.core.amounts``), the findings, a
line's explanation, a statement period's check, and the cells that record the matches
in the workbook (``updates``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money
from practicebook.core.bank.explain import LineExplanation, explain_line
from practicebook.core.bank.inputs import EXPLAINED, BankBook, Line, Payment
from practicebook.core.bank.match import Matching, MatchOptions
from practicebook.core.bank.statement import Balances, StatementCheck, check_statement
from practicebook.issues import CellRef, Issue
from practicebook.money import from_minor

__all__ = ["BankMatch", "Updates"]


@dataclass(frozen=True)
class Updates:
    """Cells to write so the workbook records the matching: per BankLines and Payments
    row (by Excel row), schema keys to values."""

    lines: dict[int, dict[str, object]] = field(default_factory=dict)
    payments: dict[int, dict[str, object]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.lines or self.payments)


@dataclass(frozen=True)
class BankMatch:
    """Every bank line matched or flagged, as of ``as_of``.

    Attributes:
        as_of: the day (lines and payments after it are left out).
        currency, locale: the workbook's.
        options: the windows matching used.
        issues: the bank findings, each at its cell.
    """

    as_of: dt.date
    currency: str
    locale: str
    options: MatchOptions
    issues: list[Issue]
    bank: BankBook = field(repr=False)
    matching: Matching = field(repr=False)
    cell: Callable[[str, str | None, int], CellRef] = field(repr=False)

    @cached_property
    def balances(self) -> Balances:
        """Each account's balance at the end of any day."""
        return Balances(self.bank)

    def explained(self) -> set[str]:
        """The lines that are matched, not client money, or reconciled."""
        return set(self.matching.matches) | {
            ln.line_id for ln in self.bank.lines if ln.status in EXPLAINED - {"matched"}
        }

    def status_of(self, line: Line) -> str:
        """``reconciled``, ``not_client_money``, ``matched`` or ``unmatched``."""
        if line.status in ("reconciled", "not_client_money"):
            return line.status
        return "matched" if line.line_id in self.matching.matches else "unmatched"

    # --- frames -------------------------------------------------------------------------

    def _money(self, values: list[int]) -> pd.arrays.ArrowExtensionArray:
        return as_money(np.asarray(values, dtype=np.int64), self.currency)

    @cached_property
    def lines(self) -> pd.DataFrame:
        """One row per line: its status, what it matched and by which rule."""
        rows = sorted(self.bank.lines, key=lambda ln: (ln.account_id, ln.posted, ln.line_id))
        held, _ = self.matching.ambiguous_ids()
        matches = self.matching.matches
        return pd.DataFrame(
            {
                "line_id": [ln.line_id for ln in rows],
                "account_id": [ln.account_id for ln in rows],
                "posted_date": pd.to_datetime([ln.posted for ln in rows]),
                "type": [ln.type for ln in rows],
                "amount": self._money([ln.amount for ln in rows]),
                "fee": self._money([ln.fee for ln in rows]),
                "net": self._money([ln.net for ln in rows]),
                "status": [self.status_of(ln) for ln in rows],
                "tied": [ln.line_id in held for ln in rows],
                "payments": [
                    ",".join(matches[ln.line_id].payments) if ln.line_id in matches else ""
                    for ln in rows
                ],
                "lines": [
                    ",".join(matches[ln.line_id].lines) if ln.line_id in matches else ""
                    for ln in rows
                ],
                "rule": [matches[ln.line_id].rule if ln.line_id in matches else "" for ln in rows],
            }
        )

    @cached_property
    def deposits(self) -> dict[str, tuple[dt.date | None, Line]]:
        """Each matched payment's line, and the day its money reached a bank account
        (None while it is still at the processor)."""
        lines = {ln.line_id: ln for ln in self.bank.lines}
        payouts = {
            (ln.account_id, ln.payout_id): ln for ln in self.bank.lines if ln.type == "payout"
        }
        out: dict[str, tuple[dt.date | None, Line]] = {}
        for payment_id, line_id in self.matching.payment_line.items():
            line = lines[line_id]
            day: dt.date | None = line.posted
            if self.bank.account(line).is_processor:
                payout = payouts.get((line.account_id, line.payout_id))
                match = self.matching.matches.get(payout.line_id) if payout else None
                arrived = lines.get(match.lines[0]) if match and match.lines else None
                day = arrived.posted if arrived is not None else None
            out[payment_id] = (day, line)
        return out

    @cached_property
    def payments(self) -> pd.DataFrame:
        """One row per payment and refund: where its money is (``state``): ``in the
        bank`` (its deposit day in ``deposit_date``), ``at the processor`` (not paid out
        yet), ``tied`` (in a tie a person settles), ``paid out in cash`` (a cash refund,
        paid from the till: no statement shows it) or ``not found``."""
        _, held = self.matching.ambiguous_ids()
        rows = sorted(self.bank.payments, key=lambda p: (p.received, p.payment_id))
        return pd.DataFrame(
            {
                "payment_id": [p.payment_id for p in rows],
                "client_id": [p.client_id for p in rows],
                "received_date": pd.to_datetime([p.received for p in rows]),
                "method": [p.method for p in rows],
                "amount": self._money([p.amount for p in rows]),
                "line_id": [self.matching.payment_line.get(p.payment_id) for p in rows],
                "deposit_date": pd.to_datetime([self._deposit_day(p) for p in rows]),
                "state": [self._state(p, held) for p in rows],
            }
        )

    def _deposit_day(self, p: Payment) -> dt.date | None:
        found = self.deposits.get(p.payment_id)
        return found[0] if found else None

    def _state(self, p: Payment, held: set[str]) -> str:
        if p.payment_id in self.deposits:
            return "in the bank" if self.deposits[p.payment_id][0] else "at the processor"
        if p.payment_id in held:
            return "tied"
        return "paid out in cash" if p.refund and p.method == "cash" else "not found"

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """One row per account: balance, lines, what is left to explain, last checks."""
        explained = self.explained()
        rows = sorted(self.bank.accounts.values(), key=lambda a: a.account_id)
        last_assert: dict[str, dt.date] = {}
        for a in self.bank.assertions:
            last_assert[a.account_id] = max(last_assert.get(a.account_id, a.date), a.date)
        mine = {
            a.account_id: [ln for ln in self.bank.lines if ln.account_id == a.account_id]
            for a in rows
        }
        return pd.DataFrame(
            {
                "account_id": [a.account_id for a in rows],
                "kind": [a.kind for a in rows],
                "processor": [a.processor for a in rows],
                "balance": self._money(
                    [self.balances.at(a.account_id, self.as_of) or 0 for a in rows]
                ),
                "lines": [len(mine[a.account_id]) for a in rows],
                "unexplained": [
                    sum(ln.line_id not in explained for ln in mine[a.account_id]) for a in rows
                ],
                "last_posted": pd.to_datetime(
                    [self.balances.last_posted(a.account_id) for a in rows]
                ),
                "last_assertion": pd.to_datetime([last_assert.get(a.account_id) for a in rows]),
                "reconciled_through": pd.to_datetime([a.reconciled_through for a in rows]),
            }
        )

    # --- questions ----------------------------------------------------------------------

    def explain(self, line_id: str) -> LineExplanation:
        """Why line ``line_id`` is matched (the rule and every row it joined), or not.

        Raises:
            KeyError: no line has that ID (as of this day).
        """
        return explain_line(self.bank, self.matching, self.options, line_id, self.cell)

    def statement(
        self,
        account_id: str,
        end: dt.date,
        closing: int | None = None,
        start: dt.date | None = None,
    ) -> StatementCheck:
        """The statement period of ``account_id`` through ``end``, checked against the
        closing balance (minor units; default: the assertion dated ``end``)."""
        return check_statement(
            self.bank, self.balances, self.explained(), account_id, end, closing, start
        )

    # --- what to store ------------------------------------------------------------------

    def updates(self) -> Updates:
        """The cells that record this matching: each line's status, matches and rule,
        and each matched payment's blank deposit date, payout, fee and processor."""
        lines: dict[int, dict[str, object]] = {}
        for line in self.bank.lines:
            change = self._line_change(line)
            if change:
                lines[line.row] = change
        payments: dict[int, dict[str, object]] = {}
        for p in self.bank.payments:
            change = self._payment_change(p)
            if change:
                payments[p.row] = change
        return Updates(lines, payments)

    def _line_change(self, line: Line) -> dict[str, object]:
        if line.status in ("reconciled", "not_client_money"):
            return {}
        match = self.matching.matches.get(line.line_id)
        want = (
            ("matched", match.payments, match.lines, match.rule)
            if match
            else ("unmatched", (), (), None)
        )
        have = (line.status, line.payments, line.lines, line.rule)
        if want == have:
            return {}
        status, payments, others, rule = want
        return {
            "status": status,
            "matched_payment_ids": ",".join(payments) or None,
            "matched_line_ids": ",".join(others) or None,
            "match_rule": rule,
        }

    def _payment_change(self, p: Payment) -> dict[str, object]:
        found = self.deposits.get(p.payment_id)
        if found is None:
            return {}
        day, line = found
        change: dict[str, object] = {}
        if p.deposit_date is None and day is not None:
            change["deposit_date"] = day
        account = self.bank.account(line)
        if account.is_processor:
            if p.payout_id is None and line.payout_id:
                change["payout_id"] = line.payout_id
            alone = len(self.matching.matches[line.line_id].payments) == 1
            if p.fee is None and alone and p.amount > 0 and line.fee >= 0:
                change["processor_fee"] = from_minor(line.fee, self.currency)
            if p.processor is None and account.processor:
                change["processor"] = account.processor
        return change
