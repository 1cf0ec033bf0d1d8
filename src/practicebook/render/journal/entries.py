"""The accounting export's transactions, built from the reconciliation and the bank.

Two streams meet in one set of balanced transactions:

* **the books** (the reconciliation's charges and ledger): sessions and fees charged
  (receivables against income by service category, and cancellation fees), payments
  received (undeposited funds against receivables), refunds, and adjustments by type;
  summed per day, so no client shows (per client sub-account only with client IDs);
* **the statements** (each counted bank or processor line): the account moves by the
  line's net, the processor's fee is an expense, and the rest is what the line was
  matched to: payments (undeposited funds), the other side of a payout (transfers in
  transit), not client money, or, when nothing explains it, suspense.

So a payment sits in undeposited funds until a statement line takes it out, and each
statement account carries exactly its statement's lines: its balance in the export is
the balance the statements make, asserted after every posting day.

Money is integer minor units; a posting's amount is + debit, - credit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from practicebook.core.amounts import minor_units
from practicebook.core.bank import BankMatch
from practicebook.core.bank.inputs import Line
from practicebook.core.result import Reconciliation
from practicebook.model import Book

__all__ = ["Journal", "Posting", "Transaction", "build_journal"]

_CHARGE_ROLE = {"late_cancel_fee": "cancellation_fees", "no_show_fee": "cancellation_fees"}
_NARRATION = {
    "session": "Sessions charged",
    "late_cancel_fee": "Cancellation fees charged",
    "no_show_fee": "Cancellation fees charged",
    "payment": "Payments received",
    "refund": "Refunds paid",
}


@dataclass(frozen=True)
class Posting:
    """One leg of a transaction: a role (``accounts.AccountNames``) and its amount."""

    role: str
    amount: int
    balance: int | None = None  # the statement account's balance after this posting


@dataclass
class Transaction:
    """A balanced transaction; ``code`` is an ID from the books (line, payout)."""

    date: dt.date
    narration: str
    postings: list[Posting]
    code: str | None = None
    order: int = 0

    @property
    def balanced(self) -> bool:
        return sum(p.amount for p in self.postings) == 0


@dataclass
class Journal:
    """The export's transactions in date order, and each role's closing balance."""

    currency: str
    start: dt.date | None
    end: dt.date
    transactions: list[Transaction] = field(default_factory=list)
    closing: dict[str, int] = field(default_factory=dict)

    def roles(self) -> list[str]:
        """Every role a posting names, in first-use order."""
        return list(dict.fromkeys(p.role for t in self.transactions for p in t.postings))


def _summed(postings: Iterable[Posting]) -> list[Posting]:
    total: dict[str, int] = defaultdict(int)
    for p in postings:
        total[p.role] += p.amount
    return [Posting(role, amount) for role, amount in total.items() if amount]


def _categories(book: Book) -> dict[str, str]:
    services = book.frames["Services"]
    out: dict[str, str] = {}
    for code, category in zip(
        services["service_code"].tolist(), services["category"].tolist(), strict=True
    ):
        if isinstance(category, str) and category.strip() and isinstance(code, str):
            out.setdefault(code, " ".join(category.split()))
    return out


def _book_entries(book: Book, rec: Reconciliation, per_client: bool) -> list[Transaction]:
    """Charges, payments, refunds and adjustments, summed per day and kind."""
    categories = _categories(book)

    def receivable(client: str) -> str:
        return f"client:{client}" if per_client else "receivables"

    days: dict[tuple[dt.date, str], list[Posting]] = defaultdict(list)
    charges = rec.charges
    amounts = minor_units(charges["amount"])
    for day, kind, code, client, amount in zip(
        charges["date"].dt.date.tolist(),
        charges["kind"].tolist(),
        charges["code"].tolist(),
        charges["client_id"].tolist(),
        amounts.tolist(),
        strict=True,
    ):
        role = _CHARGE_ROLE.get(kind) or (
            f"income:{categories[code]}" if code in categories else "income"
        )
        days[(day, _NARRATION.get(kind, "Charges"))] += [
            Posting(receivable(client), amount),
            Posting(role, -amount),
        ]
    adjustment_type = dict(
        zip(
            book.adjustments["adjustment_id"].tolist(),
            book.adjustments["type"].tolist(),
            strict=True,
        )
    )
    ledger = rec.ledger
    moved = ~ledger["kind"].isin([*_CHARGE_ROLE, "session"]).to_numpy()
    amounts = minor_units(ledger["amount"])[moved]
    ledger = ledger[moved]
    for day, kind, entry, client, amount in zip(
        ledger["date"].dt.date.tolist(),
        ledger["kind"].tolist(),
        ledger["entry_id"].tolist(),
        ledger["client_id"].tolist(),
        amounts.tolist(),
        strict=True,
    ):
        if kind in ("payment", "refund"):
            counter, narration = "undeposited", _NARRATION[kind]
        else:
            counter, narration = (
                f"adjustment:{adjustment_type.get(entry, 'correction')}",
                "Adjustments",
            )
        days[(day, narration)] += [Posting(receivable(client), amount), Posting(counter, -amount)]
    return [
        Transaction(day, narration, _summed(postings))
        for (day, narration), postings in sorted(days.items())
    ]


def _line_postings(line: Line, bank: BankMatch) -> list[Posting]:
    """A statement line's postings: its account by the net, the fee, and the rest to what
    explains it."""
    match = bank.matching.matches.get(line.line_id)
    postings = [Posting(f"account:{line.account_id}", line.net)]
    if match is not None and match.rule.startswith("payout-group"):
        payments = {p.payment_id: p for p in bank.bank.payments}
        members = [payments[p] for p in match.payments if p in payments]
        postings.append(Posting("processor_fees", sum(p.fee or 0 for p in members)))
        postings.append(Posting("undeposited", -sum(p.amount for p in members)))
        return [p for p in postings if p.amount or p.role.startswith("account:")]
    postings.append(Posting("processor_fees", line.fee))
    if match is None and line.status != "reconciled":
        counter = "suspense"
    elif match is None or not (match.payments or match.lines):
        counter = "not_client_money"
    elif match.lines:
        counter = "in_transit"
    else:
        counter = "undeposited"
    postings.append(Posting(counter, -line.amount))
    return [p for p in postings if p.amount or p.role.startswith("account:")]


def _statement_entries(bank: BankMatch, per: str) -> list[Transaction]:
    lines = sorted(
        (ln for ln in bank.bank.lines if bank.bank.account(ln).counts(ln.posted)),
        key=lambda ln: (ln.posted, ln.account_id, ln.line_id),
    )
    out: list[Transaction] = []
    for account in sorted(bank.bank.accounts.values(), key=lambda a: a.account_id):
        if account.opening:
            day = account.opening_date or min(
                (ln.posted for ln in lines if ln.account_id == account.account_id),
                default=bank.as_of,
            )
            out.append(
                Transaction(
                    day,
                    f"Opening balance {account.account_id}",
                    [
                        Posting(f"account:{account.account_id}", account.opening),
                        Posting("opening_balances", -account.opening),
                    ],
                    order=-1,
                )
            )
    if per == "deposit":
        for line in lines:
            narration = _line_narration(line, bank)
            out.append(
                Transaction(
                    line.posted,
                    narration,
                    _line_postings(line, bank),
                    line.external_id or line.line_id,
                    1,
                )
            )
        return out
    groups: dict[tuple[dt.date, str], list[Posting]] = defaultdict(list)
    for line in lines:
        groups[(line.posted, line.account_id)] += _line_postings(line, bank)
    for (day, account_id), postings in sorted(groups.items()):
        out.append(Transaction(day, f"{account_id} statement lines", _summed(postings), order=1))
    return out


def _line_narration(line: Line, bank: BankMatch) -> str:
    match = bank.matching.matches.get(line.line_id)
    if line.type == "payout":
        return f"{line.account_id} payout {line.payout_id or ''}".strip()
    if match is not None and match.lines:
        return f"{line.account_id} payout received"
    if line.type in ("payment", "refund", "fee", "adjustment"):
        return f"{line.account_id} {line.type}"
    return f"{line.account_id} deposit" if line.amount > 0 else f"{line.account_id} withdrawal"


def build_journal(
    book: Book,
    rec: Reconciliation,
    bank: BankMatch,
    *,
    start: dt.date | None = None,
    per: str = "day",
    per_client: bool = False,
) -> Journal:
    """The export's transactions from ``start`` (everything before it as one opening
    balance) through the day both results are as of."""
    if rec.as_of != bank.as_of:
        raise ValueError("the reconciliation and the bank must be as of the same day")
    every = _book_entries(book, rec, per_client) + _statement_entries(bank, per)
    every.sort(key=lambda t: (t.date, t.order, t.narration, t.code or ""))
    journal = Journal(rec.currency, start, rec.as_of)
    before: list[Posting] = []
    for t in every:
        if start is not None and t.date < start:
            before += t.postings
        else:
            journal.transactions.append(t)
    if start is not None and before:
        brought = Transaction(start, "Balances brought forward", _summed(before), order=-2)
        journal.transactions.insert(0, brought)
    _assert_balances(journal)
    return journal


def _assert_balances(journal: Journal) -> None:
    """Every role's closing balance; each statement account's balance after its postings."""
    running: dict[str, int] = defaultdict(int)
    for t in journal.transactions:
        marked = []
        for p in t.postings:
            running[p.role] += p.amount
            mark = running[p.role] if p.role.startswith("account:") else None
            marked.append(Posting(p.role, p.amount, mark))
        t.postings = marked
    journal.closing = {role: amount for role, amount in running.items()}
