"""Matching statement lines to recorded payments, and payouts to bank deposits.

The passes, in order; each sees only what the ones before left unmatched, and no line
or payment is ever matched twice:

1. **stored** — what a person chose (``chosen``), marked (``not_client_money``) or
   reconciled, and what an earlier run stored, is kept while it still ties (the amounts
   still add up, every row it names still exists).
2. **reference** — a payment whose reference is a line's ID or processor reference,
   with the same amount, one to one.
3. **processor transactions** — a processor's payment and refund lines to card
   payments of the same amount (``assign``: exact amount, ±``days``, never a tie).
4. **bank lines** — bank lines to payments not paid through a processor and to the
   processors' payout lines (a payout arrives within ``days`` after it leaves).
5. **payout groups** — card payments whose recorded payout ID is the same, when no
   processor statement holds them: the group's amounts less their recorded fees to one
   bank deposit.
   Before them, a deposit of cash and cheques takes **everything since the last
   deposit** (every cash and cheque payment received after the account's previous such
   deposit, when they add up to it exactly: the usual deposit of the week's takings).
6. **deposits** — a deposit of cash and cheques still unexplained: to the one set of the
   latest payments received on or before it (within ``deposit_days``) that adds up to it
   exactly; several such sets are a tie, reported.

Pure: a ``BankBook`` in, a ``Matching`` out.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from practicebook.core.bank.assign import Node, assign
from practicebook.core.bank.inputs import (
    DEPOSIT_METHODS,
    BankBook,
    Line,
    Payment,
)
from practicebook.core.bank.subsets import exact_subsets

__all__ = ["Ambiguity", "Match", "MatchOptions", "Matching", "match_lines"]

_PAYABLE = frozenset({None, "payment", "refund"})


@dataclass(frozen=True)
class MatchOptions:
    """How far matching looks.

    Attributes:
        days: a payment and its line may be this many days apart (either way); a payout
            arrives at the bank up to this many days after it leaves the processor.
        deposit_days: a deposit of cash and cheques takes payments received up to this
            many days before it.
        undeposited_days: a payment not in the bank this many days after it was received
            is reported (once the statements reach that far).
        subset_limit: the most candidate payments a deposit's search weighs (the latest).
    """

    days: int = 5
    deposit_days: int = 31
    undeposited_days: int = 10
    subset_limit: int = 16


class Match(NamedTuple):
    """What one line was matched to, and by which rule (a named tuple: a year makes tens
    of thousands)."""

    line_id: str
    payments: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    rule: str = ""
    stored: bool = False


@dataclass(frozen=True)
class Ambiguity:
    """Lines and the candidates they tie between; a person chooses."""

    lines: tuple[str, ...]
    payments: tuple[str, ...]
    other_lines: tuple[str, ...]
    why: str


@dataclass
class Matching:
    """Every match (by line ID; a transfer is recorded on both of its lines), the payment
    each matched payment went to, and the ties left for a person."""

    matches: dict[str, Match] = field(default_factory=dict)
    payment_line: dict[str, str] = field(default_factory=dict)
    ambiguous: list[Ambiguity] = field(default_factory=list)

    def ambiguous_ids(self) -> tuple[set[str], set[str]]:
        """The lines and the payments held in a tie."""
        lines = {i for a in self.ambiguous for i in (*a.lines, *a.other_lines)}
        return lines, {p for a in self.ambiguous for p in a.payments}


class _Matcher:
    def __init__(self, bank: BankBook, options: MatchOptions) -> None:
        self.bank, self.options = bank, options
        self.out = Matching()
        self.lines = {ln.line_id: ln for ln in bank.lines}
        self.payments = {p.payment_id: p for p in bank.payments}
        self.held_lines: set[str] = set()
        self.held_payments: set[str] = set()
        self.processors = {a.account_id for a in bank.accounts.values() if a.is_processor}
        # each pass looks at one side: lines of bank or processor accounts, payments that
        # reach the bank through a processor or not
        self.bank_side = [ln for ln in bank.lines if ln.account_id not in self.processors]
        self.processor_side = [ln for ln in bank.lines if ln.account_id in self.processors]
        self.via_processor = [p for p in bank.payments if p.via_processor]
        self.direct = [p for p in bank.payments if not p.via_processor]

    # --- bookkeeping ------------------------------------------------------------------

    def free_lines(self, lines: list[Line] | None = None) -> list[Line]:
        """The lines (default: all) not matched and not held in a tie."""
        matched, held = self.out.matches, self.held_lines
        pool = self.bank.lines if lines is None else lines
        return [ln for ln in pool if ln.line_id not in matched and ln.line_id not in held]

    def free_payments(self, payments: list[Payment] | None = None) -> list[Payment]:
        """The payments (default: all) not matched and not held in a tie."""
        matched, held = self.out.payment_line, self.held_payments
        pool = self.bank.payments if payments is None else payments
        return [p for p in pool if p.payment_id not in matched and p.payment_id not in held]

    def record(self, line: Line, payments: Iterable[str], rule: str, stored: bool = False) -> None:
        ids = tuple(payments)
        self.out.matches[line.line_id] = Match(line.line_id, ids, (), rule, stored)
        for p in ids:
            self.out.payment_line[p] = line.line_id

    def transfer(self, a: Line, b: Line, rule: str, stored: bool = False) -> None:
        self.out.matches[a.line_id] = Match(a.line_id, (), (b.line_id,), rule, stored)
        self.out.matches[b.line_id] = Match(b.line_id, (), (a.line_id,), rule, stored)

    def hold(
        self, lines: Iterable[str], payments: Iterable[str], others: Iterable[str], why: str
    ) -> None:
        ambiguity = Ambiguity(
            tuple(sorted(lines)), tuple(sorted(payments)), tuple(sorted(others)), why
        )
        self.out.ambiguous.append(ambiguity)
        self.held_lines |= {*ambiguity.lines, *ambiguity.other_lines}
        self.held_payments |= set(ambiguity.payments)

    # --- 1. stored ----------------------------------------------------------------------

    def stored(self) -> None:
        for line in sorted(self.bank.lines, key=lambda ln: ln.line_id):
            if line.line_id in self.out.matches:
                continue
            if line.status == "not_client_money":
                self.out.matches[line.line_id] = Match(
                    line.line_id, (), (), "not client money", True
                )
            elif line.status == "reconciled" and not (line.payments or line.lines):
                self.out.matches[line.line_id] = Match(line.line_id, (), (), "reconciled", True)
            elif line.status in ("matched", "reconciled"):
                self._stored_match(line)

    def _stored_match(self, line: Line) -> None:
        rule = line.rule or "stored"
        keep = line.status == "reconciled"  # a reconciled period is not reopened
        if line.lines:
            other = self.lines.get(line.lines[0])
            ties = other is not None and other.net == -line.net
            if other is not None and other.line_id not in self.out.matches and (ties or keep):
                self.transfer(line, other, rule, stored=True)
            return
        found = [self.payments[p] for p in line.payments if p in self.payments]
        free = [p for p in found if p.payment_id not in self.out.payment_line]
        if len(free) == len(line.payments) and (keep or _ties(line, free, rule)):
            self.record(line, line.payments, rule, stored=True)
        elif keep:
            self.record(line, [p.payment_id for p in free], rule, stored=True)

    # --- 2. reference -----------------------------------------------------------------

    def by_reference(self) -> None:
        quoting = [p for p in self.free_payments() if p.reference]
        quoted = {t for p in quoting for t in p.reference}
        tokens: dict[str, list[Line]] = defaultdict(list)  # lines by the quoted IDs they hold
        for line in self.free_lines():
            if line.external_id in quoted:
                tokens[line.external_id].append(line)
            for token in line.reference:  # IDs of one cell, each once
                if token in quoted and token != line.external_id:
                    tokens[token].append(line)
        wanted: dict[str, list[Payment]] = defaultdict(list)
        for p in quoting:
            hits = {
                ln.line_id: ln
                for t in p.reference
                for ln in tokens.get(t, ())
                if ln.amount == p.amount
            }
            if len(hits) == 1:
                (line,) = hits.values()
                wanted[line.line_id].append(p)
        for line_id, payments in sorted(wanted.items()):
            if len(payments) == 1:
                self.record(self.lines[line_id], [payments[0].payment_id], "reference")

    # --- 3. and 4. one to one ---------------------------------------------------------

    def processor_transactions(self) -> None:
        lanes = self._processor_lanes()
        lines = [
            Node(
                ln.line_id,
                ln.posted.toordinal(),
                ln.amount,
                frozenset({lanes[ln.account_id]}),
                _same(ln),
            )
            for ln in self.free_lines(self.processor_side)
            if ln.type in _PAYABLE and ln.amount
        ]
        every = frozenset(lanes.values())
        sources = []
        for p in self.free_payments(self.via_processor):
            wanted = _payment_lanes(p, every)
            if wanted:
                sources.append(self._source(p.payment_id, p.received, p.amount, wanted))
        self._assigned(lines, sources, "amount-date")

    def bank_lines(self) -> None:
        lines = [
            Node(
                ln.line_id,
                ln.posted.toordinal(),
                ln.amount,
                _lanes(("*", ln.account_id), line_channels(ln.description)),
                _same(ln),
            )
            for ln in self.free_lines(self.bank_side)
            if ln.amount
        ]
        sources = [
            self._source(p.payment_id, p.received, p.amount, _lanes(("*",), payment_channels(p)))
            for p in self.free_payments(self.direct)
            if not (p.refund and p.method == "cash")  # from the till
        ]
        for payout in self.free_lines(self.processor_side):
            if payout.type == "payout":
                to = self.bank.account(payout).payout_account or "*"
                days = (-1, self.options.days)
                lanes = _lanes((to,), ("electronic",))
                sources.append(
                    Node(payout.line_id, payout.posted.toordinal(), -payout.net, lanes, window=days)
                )
        self._assigned(lines, sources, "amount-date")

    def _source(self, ident: str, day: dt.date, amount: int, lanes: frozenset[str]) -> Node:
        """A payment as a source: payments of one amount, received the same day and the
        same way, are interchangeable (the bank cannot tell them apart)."""
        d = self.options.days
        return Node(ident, day.toordinal(), amount, lanes, "payment", window=(-d, d))

    def _processor_lanes(self) -> dict[str, str]:
        return {
            a.account_id: f"proc:{a.processor or a.account_id}"
            for a in self.bank.accounts.values()
            if a.is_processor
        }

    def _assigned(self, lines: list[Node], sources: list[Node], rule: str) -> None:
        done = assign(lines, sources)
        for line_id, source, how in done.pairs:
            line = self.lines[line_id]
            if source in self.lines:
                self.transfer(line, self.lines[source], f"payout ({how})")
            else:
                self.record(line, [source], f"{rule} ({how})")
        for group_lines, group_sources in done.ambiguous:
            payments = [s for s in group_sources if s in self.payments]
            others = [s for s in group_sources if s in self.lines]
            self.hold(group_lines, payments, others, "same amount, dates as close")

    # --- 5. payout groups ---------------------------------------------------------------

    def payout_groups(self) -> None:
        every = frozenset(self._processor_lanes().values())
        groups: dict[str, list[Payment]] = defaultdict(list)
        for p in self.free_payments(self.via_processor):
            if p.payout_id and not _payment_lanes(p, every):
                groups[p.payout_id].append(p)
        sources = []
        for payout, members in sorted(groups.items()):
            net = sum(p.amount - (p.fee or 0) for p in members)
            last = max(p.received for p in members)
            sources.append(
                Node(
                    f"payout:{payout}",
                    last.toordinal(),
                    net,
                    frozenset({"bank"}),
                    window=(0, self.options.days),
                )
            )
        lines = [
            Node(ln.line_id, ln.posted.toordinal(), ln.amount, frozenset({"bank"}), _same(ln))
            for ln in self.free_lines(self.bank_side)
            if ln.amount > 0 and "paper" not in line_channels(ln.description)
        ]
        done = assign(lines, sources)
        for line_id, source, how in done.pairs:
            members = groups[source.removeprefix("payout:")]
            self.record(
                self.lines[line_id], sorted(p.payment_id for p in members), f"payout-group ({how})"
            )
        for group_lines, group_sources in done.ambiguous:
            ids = [p.payment_id for s in group_sources for p in groups[s.removeprefix("payout:")]]
            self.hold(group_lines, ids, (), "payout groups of the same amount, dates as close")

    # --- 6. deposits -------------------------------------------------------------------

    def _paper_deposits(self) -> list[tuple[Line, dt.date | None, list[Payment]]]:
        """Each unmatched deposit of cash and cheques in date order, the day of its
        account's deposit before it, and the free cash and cheque payments received up to
        ``deposit_days`` before it."""
        cash = sorted(
            (p for p in self.free_payments() if p.method in DEPOSIT_METHODS and p.amount > 0),
            key=lambda p: (p.received, p.payment_id),
        )
        days = [p.received for p in cash]
        previous: dict[str, dt.date] = {}
        out = []
        for line in self._paper:
            since = previous.get(line.account_id)
            previous[line.account_id] = line.posted
            if line.line_id in self.out.matches or line.line_id in self.held_lines:
                continue
            earliest = line.posted - dt.timedelta(days=self.options.deposit_days)
            lo, hi = bisect.bisect_left(days, earliest), bisect.bisect_right(days, line.posted)
            out.append((line, since, cash[lo:hi]))
        return out

    @functools.cached_property
    def _paper(self) -> list[Line]:
        """Every deposit of cash and cheques (matched or not), in date order."""
        return sorted(
            (
                ln
                for ln in self.bank_side
                if ln.amount > 0 and "paper" in line_channels(ln.description)
            ),
            key=lambda ln: (ln.posted, ln.line_id),
        )

    def _unclaimed(self, payments: list[Payment]) -> list[Payment]:
        matched, held = self.out.payment_line, self.held_payments
        return [p for p in payments if p.payment_id not in matched and p.payment_id not in held]

    def deposits_since_last(self) -> None:
        """A deposit of everything received since the account's previous deposit."""
        for line, since, window in self._paper_deposits():
            batch = [p for p in self._unclaimed(window) if since is None or p.received > since]
            if batch and sum(p.amount for p in batch) == line.amount:
                ids = sorted(p.payment_id for p in batch)
                self.record(line, ids, "deposit (everything since the last deposit)")

    def deposit_sets(self) -> None:
        """A deposit to the one set of the latest payments that adds up to it."""
        for line, _, window in self._paper_deposits():
            free = self._unclaimed(window)
            candidates = list(reversed(free))[: self.options.subset_limit]
            found = exact_subsets([p.amount for p in candidates], line.amount, limit=2)
            if len(found) == 1:
                chosen = sorted(candidates[i].payment_id for i in found[0])
                self.record(line, chosen, "deposit (one set adds up)")
            elif len(found) > 1:
                ids = sorted({candidates[i].payment_id for subset in found for i in subset})
                self.hold([line.line_id], ids, (), "several sets of cash and cheques add up to it")


#: Words of a bank line's (masked) description that say how the money came: cash and
#: cheques paid in ("paper"), a named way of paying, or some electronic transfer.
_PAPER = frozenset({"CHEQUE", "CHECK", "CHQ", "CASH", "BRANCH", "ATM", "MOBILE"})
_NAMED = {
    "ZELLE": "zelle",
    "E-TRANSFER": "e_transfer",
    "ETRANSFER": "e_transfer",
    "INTERAC": "e_transfer",
    "ACH": "ach",
    "EFT": "ach",
    "VENMO": "venmo",
}
_ELECTRONIC = frozenset(
    {
        "TRANSFER",
        "XFER",
        "WIRE",
        "DIRECT",
        "PAYPAL",
        "STRIPE",
        "SQUARE",
        "SQ",
        "SEPA",
        "BACS",
        "CHAPS",
        "GIRO",
        "PAYOUT",
        "PAYOUTS",
    }
)
#: The ways a payment's money can reach the bank, by its method.
_BY_METHOD = {
    "cash": ("paper",),
    "check": ("paper",),
    "e_transfer": ("electronic", "e_transfer"),
    "zelle": ("electronic", "zelle"),
    "ach": ("electronic", "ach"),
    "venmo": ("electronic", "venmo"),
    "paypal": ("electronic",),
}
_ANY = ("paper", "electronic", "e_transfer", "zelle", "ach", "venmo")


def line_channels(description: str) -> tuple[str, ...]:
    """How a bank line's money came, from the words of its description: ``paper`` (cash
    and cheques paid in), a named way (``zelle``, ``e_transfer``, ``ach``, ``venmo``), some
    ``electronic`` transfer, or any of them when it does not say.

    >>> line_channels("MOBILE DEPOSIT"), line_channels("ZELLE FROM ***"), line_channels("")
    (('paper',), ('zelle',), ('paper', 'electronic', 'e_transfer', 'zelle', 'ach', 'venmo'))
    """
    return _channels(description)


@functools.lru_cache(maxsize=4096)  # masked descriptions repeat: read each once
def _channels(description: str) -> tuple[str, ...]:
    words = set(description.upper().replace("/", " ").split())
    if words & _PAPER:
        return ("paper",)
    named = sorted({_NAMED[w] for w in words if w in _NAMED})
    if len(named) == 1:
        return (named[0],)
    if named or words & _ELECTRONIC:
        return ("electronic",)
    if "DEPOSIT" in words:
        return ("paper",)
    return _ANY


def payment_channels(p: Payment) -> tuple[str, ...]:
    """How a payment's money reaches the bank, by its method (any way when it has none)."""
    return _BY_METHOD.get(p.method or "", _ANY)


@functools.lru_cache(maxsize=1024)  # a few accounts and ways of paying: made once each
def _lanes(accounts: tuple[str, ...], channels: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"{a}|{c}" for a in accounts for c in channels)


def _same(line: Line) -> tuple[str, str | None, str]:
    """What makes lines interchangeable besides day and amount."""
    return (line.account_id, line.type, line.description)


def _payment_lanes(p: Payment, every: frozenset[str]) -> frozenset[str]:
    if p.processor:
        return frozenset({f"proc:{p.processor}"}) & every or frozenset()
    if p.method == "paypal":
        return frozenset({"proc:paypal"}) & every
    return frozenset(lane for lane in every if lane != "proc:paypal")


def _ties(line: Line, payments: list[Payment], rule: str) -> bool:
    """True when a stored match of ``line`` to ``payments`` still adds up."""
    if not payments:
        return False
    gross = sum(p.amount for p in payments)
    if rule.startswith("payout-group"):
        return line.net == gross - sum(p.fee or 0 for p in payments)
    return line.amount == gross


def match_lines(bank: BankBook, options: MatchOptions | None = None) -> Matching:
    """Every line matched by the rules above, and the ties left for a person."""
    m = _Matcher(bank, options or MatchOptions())
    m.stored()
    m.by_reference()
    m.processor_transactions()
    m.deposits_since_last()
    m.bank_lines()
    m.payout_groups()
    m.deposit_sets()
    return m.out
