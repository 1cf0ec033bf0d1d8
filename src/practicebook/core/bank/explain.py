"""Why a statement line is matched, or not: the rule, and every row it joined.

``explain_line`` says which rule made the match and lists the rows on both sides with
their cells, dates and amounts: a deposit's payments (and their total), a payout's
processor lines and the payments behind each, a transfer's other line. An unmatched
line says what was looked for, and a tie lists the candidates. Client IDs and cells
only: no description or name is ever shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from practicebook.core.bank.inputs import BankBook, Line, Payment
from practicebook.core.bank.match import Matching, MatchOptions
from practicebook.issues import CellRef
from practicebook.l10n import format_money

__all__ = ["LineExplanation", "explain_line"]

_RULES = {
    "reference": "the payment's reference is the line's ID at the processor",
    "amount-date": "the same amount, within the date window",
    "payout": "the processor's payout and the bank deposit of the same amount",
    "payout-group": "the card payments recorded with one payout ID, less their fees",
    "deposit": "the only set of cash and cheque payments received before it that adds up",
    "chosen": "chosen by a person",
    "not client money": "marked not client money",
    "reconciled": "in a reconciled statement period",
}
_HOW = {
    "one candidate": "the only candidate on both sides",
    "nearest date": "the nearest date on both sides",
    "best overall": "the one assignment matching the most with the nearest dates",
    "one set adds up": "one set adds up",
    "everything since the last deposit": "every cash and cheque payment since the last deposit",
}


@dataclass(frozen=True)
class LineExplanation:
    """A line's match, as lines of text (``str()``) and as data."""

    line_id: str
    status: str
    rule: str | None
    headline: str
    rows: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join([self.headline, *self.rows])


def explain_line(
    bank: BankBook,
    matching: Matching,
    options: MatchOptions,
    line_id: str,
    cell: Callable[[str, str | None, int], CellRef],
) -> LineExplanation:
    """The explanation of line ``line_id``.

    Raises:
        KeyError: no line has that ID (as of the matching's day).
    """
    lines = {ln.line_id: ln for ln in bank.lines}
    payments = {p.payment_id: p for p in bank.payments}
    line = lines[line_id]

    def money(minor: int) -> str:
        return format_money(minor, bank.currency, bank.locale)

    def show_line(ln: Line, indent: str = "  ") -> str:
        fee = f", fee {money(ln.fee)}" if ln.fee else ""
        what = (
            f"payout {ln.payout_id}"
            if ln.type == "payout" and ln.payout_id
            else f"line {ln.line_id}"
        )
        if what != f"line {ln.line_id}":
            what += f" (line {ln.line_id})"
        return (
            f"{indent}{what}: {money(ln.amount)}{fee} in {ln.account_id} on "
            f"{ln.posted.isoformat()} ({cell('BankLines', 'line_id', ln.row)})"
        )

    def show_payment(p: Payment, indent: str = "  ") -> str:
        what = "refund" if p.refund else "payment"
        return (
            f"{indent}{what} {p.payment_id}: {money(abs(p.amount))} from client {p.client_id}, "
            f"received {p.received.isoformat()}, {p.method or 'no method'} "
            f"({cell('Payments', 'payment_id', p.row)})"
        )

    match = matching.matches.get(line_id)
    headline = show_line(line, "")
    rows: list[str] = []
    if match is None:
        rows += _unmatched(line, matching, options, payments, lines, show_payment, show_line)
        return LineExplanation(line_id, "unmatched", None, headline, rows)
    rows.append(f"matched: {_rule_text(match.rule)}")
    for payment_id in match.payments:
        if payment_id in payments:
            rows.append(show_payment(payments[payment_id]))
    if len(match.payments) > 1:
        total = sum(payments[p].amount for p in match.payments if p in payments)
        rows.append(f"  total {money(total)}")
    for other_id in match.lines:
        other = lines.get(other_id)
        if other is None:
            continue
        rows.append(show_line(other))
        rows += _payout_parts(other, bank, matching, payments, show_line, show_payment)
    status = line.status if line.status in ("reconciled", "not_client_money") else "matched"
    return LineExplanation(line_id, status, match.rule, headline, rows)


def _rule_text(rule: str) -> str:
    name, _, how = rule.partition(" (")
    how = how.rstrip(")")
    text = f"{name}: {_RULES.get(name, name)}"
    return f"{text} ({_HOW.get(how, how)})" if how else text


def _payout_parts(
    payout: Line,
    bank: BankBook,
    matching: Matching,
    payments: dict[str, Payment],
    show_line: Callable[[Line, str], str],
    show_payment: Callable[[Payment, str], str],
) -> list[str]:
    """The processor lines a payout was made of, and the payment behind each."""
    if payout.type != "payout" or not payout.payout_id:
        return []
    parts = [
        ln
        for ln in bank.lines
        if ln.account_id == payout.account_id
        and ln.payout_id == payout.payout_id
        and ln.line_id != payout.line_id
    ]
    rows = [f"    made of {len(parts)} processor lines:"] if parts else []
    for part in sorted(parts, key=lambda ln: (ln.posted, ln.line_id)):
        rows.append(show_line(part, "    "))
        match = matching.matches.get(part.line_id)
        for p in match.payments if match else ():
            if p in payments:
                rows.append(show_payment(payments[p], "      "))
        if match is None and part.type in (None, "payment", "refund"):
            rows.append("      no recorded payment matches it")
    return rows


def _unmatched(
    line: Line,
    matching: Matching,
    options: MatchOptions,
    payments: dict[str, Payment],
    lines: dict[str, Line],
    show_payment: Callable[[Payment, str], str],
    show_line: Callable[[Line, str], str],
) -> list[str]:
    for tie in matching.ambiguous:
        if line.line_id in (*tie.lines, *tie.other_lines):
            rows = [f"not matched: a tie ({tie.why}); the candidates:"]
            rows += [show_payment(payments[p], "  ") for p in tie.payments if p in payments]
            rows += [show_line(lines[o], "  ") for o in tie.other_lines if o in lines]
            rows += [
                show_line(lines[o], "  ") for o in tie.lines if o != line.line_id and o in lines
            ]
            rows.append("choose with: practicebook bank choose BOOK LINE_ID PAYMENT_IDS")
            return rows
    return [
        f"not matched: no recorded payment or payout of the same amount within "
        f"{options.days} days, no payout group and no set of cash and cheques adds up to it"
    ]
