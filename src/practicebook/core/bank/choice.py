"""A person's choice for one line: the payments it is, the payout it is, not client
money, or back to unmatched.

A tie is never guessed by the matcher; a person settles it, and the choice is stored on
the line (rule ``chosen``) and kept by every later run while it still adds up. Choosing
payments for a line releases them from any other line an earlier run stored them on; a
reconciled line is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from practicebook.core.bank.inputs import Line
from practicebook.core.bank.result import BankMatch
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money

__all__ = ["Choice", "choose"]

_CLEARED = {
    "status": "unmatched",
    "matched_payment_ids": None,
    "matched_line_ids": None,
    "match_rule": None,
}


@dataclass(frozen=True)
class Choice:
    """The BankLines cells a choice writes (by Excel row), or why it is refused."""

    line_id: str
    cells: dict[int, dict[str, object]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    summary: str = ""

    @property
    def accepted(self) -> bool:
        return not any(i.is_error for i in self.issues)


class _Chooser:
    def __init__(self, result: BankMatch, line_id: str) -> None:
        self.result = result
        self.lines = {ln.line_id: ln for ln in result.bank.lines}
        self.payments = {p.payment_id: p for p in result.bank.payments}
        self.line_id = line_id
        self.cells: dict[int, dict[str, object]] = {}
        self.issues: list[Issue] = []

    def refuse(
        self,
        message: str,
        hint: str,
        where: CellRef | None = None,
        code: Code = Code.AMBIGUOUS_MATCH,
    ) -> None:
        self.issues.append(
            Issue(code, Severity.ERROR, message, where or CellRef("BankLines"), hint, self.line_id)
        )

    def money(self, minor: int) -> str:
        return format_money(minor, self.result.currency, self.result.locale)

    def changeable(self, line: Line) -> bool:
        if line.status == "reconciled":
            self.refuse(
                f"line {line.line_id} is in a reconciled statement period",
                "A reconciled period is not reopened; record a correction in the open period.",
                self.result.cell("BankLines", "status", line.row),
            )
            return False
        return True

    def release(self, line: Line) -> None:
        """Clear a stored match of ``line`` (and of its transfer's other line)."""
        if line.status == "matched" and self.changeable(line):
            self.cells[line.row] = dict(_CLEARED)
            for other_id in line.lines:
                other = self.lines.get(other_id)
                if other is not None and other.status == "matched" and self.changeable(other):
                    self.cells[other.row] = dict(_CLEARED)

    def holders(self, payment_ids: Sequence[str]) -> list[Line]:
        wanted = set(payment_ids)
        return [
            ln
            for ln in self.lines.values()
            if ln.line_id != self.line_id and wanted & set(ln.payments)
        ]

    def set(
        self, line: Line, status: str, payments: Sequence[str] = (), lines: Sequence[str] = ()
    ) -> None:
        self.cells[line.row] = {
            "status": status,
            "matched_payment_ids": ",".join(payments) or None,
            "matched_line_ids": ",".join(lines) or None,
            "match_rule": "chosen" if status != "unmatched" else None,
        }

    def payments_for(self, line: Line, ids: Sequence[str]) -> None:
        unknown = [p for p in ids if p not in self.payments]
        if unknown:
            self.refuse(
                f"no payment {', '.join(unknown)} received on or before "
                f"{self.result.as_of.isoformat()}",
                "Check the payment IDs on the Payments sheet.",
                code=Code.UNKNOWN_PAYMENT,
            )
            return
        chosen = [self.payments[p] for p in ids]
        gross = sum(p.amount for p in chosen)
        net = gross - sum(p.fee or 0 for p in chosen)
        if line.amount != gross and not (line.fee == 0 and line.net == net):
            self.refuse(
                f"payments {', '.join(ids)} add up to {self.money(gross)}; line {line.line_id} "
                f"is {self.money(line.amount)}",
                "Choose the payments that add up to the line, or record the missing one.",
                self.result.cell("BankLines", "amount", line.row),
            )
            return
        for holder in self.holders(ids):
            self.release(holder)
        self.set(line, "matched", sorted(ids))

    def transfer(self, line: Line, other_id: str) -> None:
        other = self.lines.get(other_id)
        if other is None:
            self.refuse(f"there is no line {other_id}", "Check the line ID on the BankLines sheet.")
            return
        if other.net != -line.net:
            self.refuse(
                f"line {other_id} moves {self.money(other.net)}; line {line.line_id} moves "
                f"{self.money(line.net)}: a payout and its deposit are equal and opposite",
                "Choose the deposit of exactly the payout's amount.",
                self.result.cell("BankLines", "amount", line.row),
            )
            return
        if self.changeable(other):
            self.release(other)
            self.set(line, "matched", lines=[other_id])
            self.set(other, "matched", lines=[line.line_id])


def choose(
    result: BankMatch,
    line_id: str,
    payments: Sequence[str] = (),
    line: str | None = None,
    *,
    not_client_money: bool = False,
    unmatch: bool = False,
) -> Choice:
    """The cells that record a choice for ``line_id`` (exactly one of ``payments``,
    ``line``, ``not_client_money`` or ``unmatch``), or the issues refusing it."""
    c = _Chooser(result, line_id)
    target = c.lines.get(line_id)
    given = sum((bool(payments), line is not None, not_client_money, unmatch))
    if target is None:
        c.refuse(f"there is no line {line_id}", "Check the line ID on the BankLines sheet.")
    elif given != 1:
        c.refuse(
            "choose one of: payments, a payout's line, not client money, or unmatched",
            "e.g. practicebook bank choose BOOK LINE_ID P0012 P0013",
        )
    elif c.changeable(target):
        c.release(target)
        if payments:
            c.payments_for(target, list(dict.fromkeys(payments)))
        elif line is not None:
            c.transfer(target, line)
        else:
            c.set(target, "not_client_money" if not_client_money else "unmatched")
    what = (
        f"payments {', '.join(payments)}"
        if payments
        else f"line {line}"
        if line
        else "not client money"
        if not_client_money
        else "unmatched"
    )
    return Choice(line_id, c.cells if not c.issues else {}, c.issues, f"{line_id}: {what}")
