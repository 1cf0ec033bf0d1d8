"""The bank's findings, each at the cell to look at.

* ``undeposited-payment`` — a payment (or a processor's payout) not in the bank
  ``undeposited_days`` after it, once the statements of the account it should reach run
  past that day (a month not imported yet is not reported);
* ``unrecorded-receipt`` — money in with no recorded payment (a Zelle or e-transfer taken
  outside the books);
* ``fee-mismatch`` — a recorded processor fee the processor did not charge, and a deposit
  that falls just short of (or over) the payout it should be;
* ``ambiguous-match`` — a tie the matcher would not guess, for a person to choose;
* ``assertion-failed`` — a stated balance the lines do not make (expected, actual and
  the difference);
* ``stale-reconciliation`` — an account with lines more than ``STALE_DAYS`` after its
  latest assertion or reconciled statement.

Messages name IDs, dates and amounts only; descriptions are never quoted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from practicebook.core.bank.inputs import BankBook, Line, Payment
from practicebook.core.bank.match import Matching, MatchOptions
from practicebook.core.bank.statement import Balances
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money

__all__ = ["STALE_DAYS", "bank_issues"]

#: Days of lines an account may have beyond its latest assertion or reconciliation.
STALE_DAYS = 7
#: A deposit within this share of a payout's amount (and in its window) is its mismatch.
NEAR = 0.05

Cell = Callable[[str, str | None, int], CellRef]


class _Findings:
    def __init__(self, bank: BankBook, matching: Matching, options: MatchOptions, cell: Cell):
        self.bank, self.matching, self.options, self.cell = bank, matching, options, cell
        self.issues: list[Issue] = []
        self.held_lines, self.held_payments = matching.ambiguous_ids()
        self.balances = Balances(bank)

    def money(self, minor: int) -> str:
        return format_money(minor, self.bank.currency, self.bank.locale)

    def add(
        self,
        code: Code,
        severity: Severity,
        where: CellRef,
        message: str,
        hint: str,
        row_id: str | None,
        client_id: str | None = None,
    ) -> None:
        self.issues.append(Issue(code, severity, message, where, hint, row_id, client_id))

    def line_cell(self, line: Line, key: str = "amount") -> CellRef:
        return self.cell("BankLines", key, line.row)

    # --- undeposited --------------------------------------------------------------------

    def reach(self) -> dict[str, dt.date]:
        """How far each kind of route's statements run: ``bank``, and each processor lane."""
        reach: dict[str, dt.date] = {}
        for account in self.bank.accounts.values():
            last = self.balances.last_posted(account.account_id)
            if last is None:
                continue
            lane = (
                f"proc:{account.processor or account.account_id}"
                if account.is_processor
                else "bank"
            )
            reach[lane] = max(reach.get(lane, last), last)
        return reach

    def undeposited(self) -> None:
        reach = self.reach()
        late = dt.timedelta(days=self.options.undeposited_days)
        processors = {k for k in reach if k.startswith("proc:")}
        for p in self.bank.payments:
            if p.payment_id in self.matching.payment_line or p.payment_id in self.held_payments:
                continue
            lanes = _lanes(p, processors)
            if lanes is None or (p.refund and p.method == "cash"):
                continue  # a card payment no statement read shows; cash paid from the till
            due = p.received + late
            if due > self.bank.as_of or not any(reach.get(k, dt.date.min) >= due for k in lanes):
                continue
            self._undeposited_payment(p)
        for line in self.bank.lines:
            if (
                line.type == "payout"
                and line.line_id not in self.matching.matches
                and line.line_id not in self.held_lines
            ):
                due = line.posted + dt.timedelta(days=self.options.days)
                if reach.get("bank", dt.date.min) >= due and self.bank.account(line).is_processor:
                    self.add(
                        Code.UNDEPOSITED_PAYMENT,
                        Severity.WARNING,
                        self.line_cell(line),
                        f"payout {line.payout_id or line.line_id} of {self.money(-line.net)} left "
                        f"{line.account_id} on {line.posted.isoformat()} and is not in the bank",
                        "Import the bank statement that shows it, or check the processor's payout "
                        "account.",
                        line.line_id,
                    )

    def _undeposited_payment(self, p: Payment) -> None:
        if p.refund:
            message = (
                f"refund {p.payment_id} of {self.money(-p.amount)} paid "
                f"{p.received.isoformat()} has not left the bank"
            )
        else:
            message = (
                f"payment {p.payment_id} of {self.money(p.amount)} received "
                f"{p.received.isoformat()} is not in the bank after "
                f"{self.options.undeposited_days} days"
            )
        self.add(
            Code.UNDEPOSITED_PAYMENT,
            Severity.WARNING,
            self.cell("Payments", "deposit_date", p.row),
            message,
            "Deposit it, or check its amount, date and method against the statement; "
            "practicebook bank explain shows what each line matched.",
            p.payment_id,
            p.client_id,
        )

    # --- unrecorded and ambiguous -------------------------------------------------------

    def unrecorded(self) -> None:
        for line in self.bank.lines:
            if (
                line.amount <= 0
                or line.line_id in self.matching.matches
                or line.line_id in self.held_lines
            ):
                continue
            if line.type not in (None, "payment"):
                continue
            self.add(
                Code.UNRECORDED_RECEIPT,
                Severity.WARNING,
                self.line_cell(line),
                f"{self.money(line.amount)} came into {line.account_id} on "
                f"{line.posted.isoformat()} (line {line.line_id}) and no recorded payment "
                "matches it",
                "Record the payment it is (a Zelle or e-transfer taken outside the books?), or "
                "mark the line not client money: practicebook bank choose BOOK "
                f"{line.line_id} --not-client-money.",
                line.line_id,
            )

    def ambiguous(self) -> None:
        lines = {ln.line_id: ln for ln in self.bank.lines}
        for tie in self.matching.ambiguous:
            candidates = [*tie.payments, *tie.other_lines]
            shown = ", ".join(candidates[:6]) + (" …" if len(candidates) > 6 else "")
            for line_id in tie.lines:
                line = lines[line_id]
                self.add(
                    Code.AMBIGUOUS_MATCH,
                    Severity.WARNING,
                    self.line_cell(line),
                    f"line {line_id} ({self.money(line.net)} on {line.posted.isoformat()}) could "
                    f"be {shown}: {tie.why}",
                    f"Choose: practicebook bank choose BOOK {line_id} <payment IDs>; the "
                    "choice is kept.",
                    line_id,
                )

    # --- fees -------------------------------------------------------------------------

    def fees(self) -> None:
        lines = {ln.line_id: ln for ln in self.bank.lines}
        paid_to = self.matching.payment_line
        for p in self.bank.payments:
            if p.fee is None:
                continue
            line = lines.get(paid_to.get(p.payment_id, ""))
            if line is None or not self.bank.account(line).is_processor:
                continue
            match = self.matching.matches[line.line_id]
            if len(match.payments) == 1 and p.fee != line.fee:
                self.add(
                    Code.FEE_MISMATCH,
                    Severity.WARNING,
                    self.cell("Payments", "processor_fee", p.row),
                    f"payment {p.payment_id} records a processor fee of {self.money(p.fee)}; "
                    f"{line.account_id} charged {self.money(line.fee)} (line {line.line_id})",
                    "Correct the recorded fee, or ask the processor about the difference.",
                    p.payment_id,
                    p.client_id,
                )
        self._short_deposits(lines)

    def _short_deposits(self, lines: dict[str, Line]) -> None:
        """A payout with no deposit of its amount, and one deposit close to it."""
        processors = {a.account_id for a in self.bank.accounts.values() if a.is_processor}
        matched = self.matching.matches
        deposits = [
            ln
            for ln in self.bank.lines
            if ln.amount > 0
            and ln.account_id not in processors
            and ln.line_id not in matched
            and ln.line_id not in self.held_lines
        ]
        for payout in lines.values():
            if payout.type != "payout" or payout.line_id in matched:
                continue
            expected = -payout.net
            near = [
                d
                for d in deposits
                if 0 <= (d.posted - payout.posted).days <= self.options.days
                and d.amount != expected
                and abs(d.amount - expected) <= NEAR * abs(expected)
            ]
            if len(near) != 1:
                continue
            (deposit,) = near
            self.add(
                Code.FEE_MISMATCH,
                Severity.WARNING,
                self.line_cell(deposit),
                f"deposit {deposit.line_id} of {self.money(deposit.amount)} on "
                f"{deposit.posted.isoformat()} differs by {self.money(deposit.amount - expected)} "
                f"from payout {payout.payout_id or payout.line_id} ({self.money(expected)})",
                "Ask the processor what it took; if the deposit is that payout, choose it: "
                f"practicebook bank choose BOOK {deposit.line_id} --line {payout.line_id}.",
                deposit.line_id,
            )

    # --- balances -----------------------------------------------------------------------

    def assertions(self) -> None:
        for a in self.bank.assertions:
            actual = self.balances.at(a.account_id, a.date)
            if actual is None or actual == a.expected:
                continue
            known = a.account_id in self.bank.accounts
            detail = "" if known else f" ({a.account_id} has no lines and is not on BankAccounts)"
            self.add(
                Code.ASSERTION_FAILED,
                Severity.ERROR,
                self.cell("Assertions", "expected_balance", a.row),
                f"{a.account_id} at the end of {a.date.isoformat()}: expected "
                f"{self.money(a.expected)}, the lines make {self.money(actual)}, difference "
                f"{self.money(a.expected - actual)}{detail}",
                "Import the missing statement lines, correct the opening balance, or correct "
                "the expected balance.",
                a.account_id,
            )

    def stale(self) -> None:
        """Lines more than ``STALE_DAYS`` after the account's latest known balance: an
        assertion, a reconciled statement, or its opening balance (an account with none
        counts from its first line)."""
        checked: dict[str, dt.date] = defaultdict(lambda: dt.date.min)
        for a in self.bank.assertions:
            checked[a.account_id] = max(checked[a.account_id], a.date)
        first = self.balances.first_posted
        for account in self.bank.accounts.values():
            last = self.balances.last_posted(account.account_id)
            if last is None:
                continue
            asserted = max(checked[account.account_id], account.reconciled_through or dt.date.min)
            known = max(asserted, account.opening_date or first(account.account_id) or last)
            if last <= known + dt.timedelta(days=STALE_DAYS):
                continue
            since = (
                f"its balance was last asserted or reconciled on {asserted.isoformat()}"
                if asserted != dt.date.min
                else "its balance was never asserted or reconciled"
            )
            self.add(
                Code.STALE_RECONCILIATION,
                Severity.WARNING,
                self._account_cell(account.account_id, account.row),
                f"{account.account_id} has lines through {last.isoformat()}; {since}",
                "Add the statement's ending balance to Assertions, or reconcile the statement: "
                f"practicebook bank reconcile BOOK --account {account.account_id} --through DAY.",
                account.account_id,
            )

    def _account_cell(self, account_id: str, row: int) -> CellRef:
        """The account's row on BankAccounts, else its latest line (an account the sheet
        does not list)."""
        if row:
            return self.cell("BankAccounts", "reconciled_through", row)
        mine = [ln for ln in self.bank.lines if ln.account_id == account_id]
        return self.line_cell(max(mine, key=lambda ln: (ln.posted, ln.line_id)))


def _lanes(p: Payment, processors: set[str]) -> set[str] | None:
    """The routes whose statements would show ``p`` (None: none that practicebook reads)."""
    if not p.via_processor:
        return {"bank"}
    if p.processor:
        wanted = {f"proc:{p.processor}"} & processors
    elif p.method == "paypal":
        wanted = {"proc:paypal"} & processors
    else:
        wanted = {k for k in processors if k != "proc:paypal"}
    if wanted:
        return wanted
    return {"bank"} if p.payout_id else None


def bank_issues(
    bank: BankBook, matching: Matching, options: MatchOptions, cell: Cell
) -> list[Issue]:
    """Every bank finding (see the module docstring)."""
    found = _Findings(bank, matching, options, cell)
    found.undeposited()
    found.unrecorded()
    found.ambiguous()
    found.fees()
    found.assertions()
    found.stale()
    return found.issues
