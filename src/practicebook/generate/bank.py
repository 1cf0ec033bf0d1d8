"""Bank and processor statements consistent with an invented practice.

``add_bank_details`` (a ``DETAILS`` step, its own random stream) gives the practice a
checking account and a Stripe account, and records Stripe as the processor of its card
payments with the fee Stripe's price list says (2.9% + 0.30): the practice's figures do
not change. ``statements`` then writes the files a bookkeeper would download, a month
at a time, from the practice's rows and a random stream of their own:

* Stripe's itemized payout reconciliation report: each card payment and refund, paid
  out two days later, net of fees; one payment was charged the international rate (a
  **fee discrepancy** against the recorded fee);
* the bank's CSV export (no line IDs, running balance): e-transfers and Zelle payments
  one by one, the week's **cash and cheques as one deposit**, Stripe's **payouts net of
  fees**, cheque refunds, the bank's monthly fee, a **Zelle payment never recorded**,
  and **two genuine same-day deposits of the same amount**;
* February's statement **downloaded again** a month later, overlapping March.

Every name in a description is one of the generator's made-up words (the import masks
them); ``BankStatements.planted`` says where each planted case is, for tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from practicebook.generate.practice import FIRST, LAST, GeneratedPractice

__all__ = ["BankStatements", "add_bank_details", "statements", "stripe_fee"]

OPENING = Decimal("5000.00")
START = dt.date(2026, 1, 1)
CARD = ("card", "hsa_fsa")
DIRECT = {"e_transfer": "E-TRANSFER FROM", "zelle": "ZELLE FROM"}
CENT = Decimal("0.01")


def stripe_fee(amount: Decimal, rate: str = "0.029") -> Decimal:
    """Stripe's fee on a card payment: a rate of the amount plus 0.30, to the cent."""
    return (amount * Decimal(rate) + Decimal("0.30")).quantize(CENT, ROUND_HALF_UP)


def add_bank_details(practice: GeneratedPractice, rng: random.Random) -> None:
    """The accounts, and Stripe with its listed fee on every card payment."""
    practice.rows["BankAccounts"] = [
        {
            "account_id": "CHK",
            "name": "Practice checking",
            "kind": "bank",
            "opening_balance": OPENING,
            "opening_date": START,
        },
        {
            "account_id": "STRIPE",
            "name": "Stripe balance",
            "kind": "processor",
            "processor": "stripe",
            "opening_balance": Decimal("0.00"),
            "opening_date": START,
            "payout_account": "CHK",
        },
    ]
    for payment in practice.rows["Payments"]:
        if payment.get("method") in CARD:
            payment["processor"] = "stripe"
            if payment.get("kind", "payment") == "payment" and isinstance(
                payment["amount"], Decimal
            ):
                payment["processor_fee"] = stripe_fee(payment["amount"])
    _ = rng  # the accounts are fixed; the stream is kept for what may be added later


@dataclass
class BankStatements:
    """Statement files by name, and where the planted cases are.

    Attributes:
        files: file name -> bytes, in the order a bookkeeper would import them.
        planted: ``zelle`` (the unrecorded Zelle's day and amount), ``fee`` (the payment
            Stripe charged more, and that fee), ``same_day`` (the two payments deposited
            the same day for the same amount), ``redownload`` (the overlapping file).
    """

    files: dict[str, bytes] = field(default_factory=dict)
    planted: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Pay:
    """A payment row as the statements see it."""

    payment_id: str
    client_id: str
    day: dt.date
    amount: Decimal
    method: str | None
    refund: bool
    reference: str | None

    @classmethod
    def of(cls, row: dict[str, object]) -> _Pay | None:
        day, amount = row.get("received_date"), row.get("amount")
        if not isinstance(day, dt.date) or not isinstance(amount, Decimal) or amount <= 0:
            return None  # a planted problem: the statements know nothing of it
        method, reference = row.get("method"), row.get("reference")
        return cls(
            str(row["payment_id"]),
            str(row["client_id"]),
            day,
            amount,
            method if isinstance(method, str) else None,
            row.get("kind") == "refund",
            reference if isinstance(reference, str) else None,
        )


@dataclass
class _Charge:
    """A Stripe balance transaction."""

    txn: str
    created: str
    gross: Decimal
    fee: Decimal
    category: str
    charge_id: str
    payout_day: dt.date
    customer_name: str  # a column the import must never read
    payout_id: str = ""


@dataclass
class _Line:
    day: dt.date
    amount: Decimal
    text: str


def _business(day: dt.date, days: int) -> dt.date:
    """``days`` business days after ``day``."""
    while days:
        day += dt.timedelta(days=1)
        days -= day.weekday() < 5
    return day


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _next_friday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(4 - day.weekday()) % 7)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST).upper()} {rng.choice(LAST).upper()}"


def _token(rng: random.Random) -> str:
    """A processor-style ID body: ten letters and digits."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(10))


def statements(
    practice: GeneratedPractice, *, seed: int = 20260101, months: int = 11
) -> BankStatements:
    """The statement files of the practice's first ``months`` months of 2026."""
    rng = random.Random(f"{seed}:bank-statements")
    payments = [p for p in map(_Pay.of, practice.rows["Payments"]) if p is not None]
    out = BankStatements()
    end = _month_end(dt.date(2026, months, 1))
    charges, payouts, fee_case = _stripe(rng, payments, end)
    bank = _bank(rng, payments, payouts, end, out)
    out.planted["fee"] = fee_case
    for month in range(1, months + 1):
        first = dt.date(2026, month, 1)
        last = _month_end(first)
        paid_out = [c for c in charges if first <= c.payout_day <= last]
        out.files[f"stripe-2026-{month:02d}.csv"] = _stripe_csv(paid_out)
        out.files[f"chk-2026-{month:02d}.csv"] = _bank_csv(bank, first, last)
        if month == 3:  # February again, downloaded mid-March
            name = "chk-2026-02-to-03-10.csv"
            out.files[name] = _bank_csv(bank, dt.date(2026, 2, 1), dt.date(2026, 3, 10))
            out.planted["redownload"] = name
    return out


def _stripe(
    rng: random.Random, payments: list[_Pay], end: dt.date
) -> tuple[list[_Charge], dict[dt.date, Decimal], tuple[str, Decimal] | None]:
    """Stripe's balance transactions, the payouts by day, and the fee discrepancy."""
    cards = [p for p in payments if p.method in CARD]
    odd = rng.choice([p for p in cards if not p.refund]) if cards else None
    charges: list[_Charge] = []
    for n, p in enumerate(cards, 1):
        fee = (
            Decimal("0.00") if p.refund else stripe_fee(p.amount, "0.039" if p is odd else "0.029")
        )
        payout_day = _business(p.day, 2)
        if payout_day > end:
            continue
        charges.append(
            _Charge(
                f"txn_{_token(rng)}{n:05d}",
                f"{p.day} {rng.randrange(9, 18):02d}:{rng.randrange(60):02d}:00",
                -p.amount if p.refund else p.amount,
                fee,
                "refund" if p.refund else "charge",
                p.reference or f"ch_{_token(rng)}",
                payout_day,
                _name(rng),
            )
        )
    payouts: dict[dt.date, Decimal] = defaultdict(Decimal)
    ids: dict[dt.date, str] = {}
    for c in charges:
        c.payout_id = ids.setdefault(c.payout_day, f"po_{_token(rng)}{c.payout_day:%m%d}")
        payouts[c.payout_day] += c.gross - c.fee
    fee_case = (odd.payment_id, stripe_fee(odd.amount, "0.039")) if odd is not None else None
    return charges, dict(payouts), fee_case


def _stripe_csv(charges: list[_Charge]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "balance_transaction_id",
            "created_utc",
            "currency",
            "gross",
            "fee",
            "net",
            "reporting_category",
            "charge_id",
            "customer_name",
            "automatic_payout_id",
            "automatic_payout_effective_at_utc",
        ]
    )
    for c in charges:
        writer.writerow(
            [
                c.txn,
                c.created,
                "usd",
                c.gross,
                c.fee,
                c.gross - c.fee,
                c.category,
                c.charge_id,
                c.customer_name,
                c.payout_id,
                f"{c.payout_day} 00:00:00",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _bank(
    rng: random.Random,
    payments: list[_Pay],
    payouts: dict[dt.date, Decimal],
    end: dt.date,
    out: BankStatements,
) -> list[_Line]:
    lines: list[_Line] = []
    week: dict[dt.date, Decimal] = defaultdict(Decimal)
    direct = []
    for p in payments:
        if p.method in CARD:
            continue
        if p.refund:
            lines += _refund(rng, p)
        elif p.method in ("cash", "check"):
            week[_next_friday(p.day)] += p.amount
        elif p.method in DIRECT:
            direct.append(p)
        else:  # other methods arrive as a plain deposit
            lines.append(_Line(_business(p.day, 1), p.amount, "DEPOSIT"))
    lines += [_Line(day, total, "BRANCH DEPOSIT") for day, total in week.items()]
    lines += [
        _Line(_business(day, rng.choice((0, 1))), net, f"STRIPE TRANSFER ST-{_token(rng)}")
        for day, net in payouts.items()
    ]
    lines += _direct(rng, direct, out)
    zelle_day = dt.date(2026, 3, 12)
    lines.append(_Line(zelle_day, Decimal("180.00"), f"ZELLE FROM {_name(rng)}"))
    out.planted["zelle"] = (zelle_day, Decimal("180.00"))
    month = START
    while month <= end:
        last = _month_end(month)
        lines.append(_Line(last, Decimal("-15.00"), "MONTHLY SERVICE FEE"))
        month = last + dt.timedelta(days=1)
    kept = (ln for ln in lines if ln.day <= end)
    return sorted(kept, key=lambda ln: (ln.day, ln.amount, ln.text))


def _refund(rng: random.Random, p: _Pay) -> list[_Line]:
    """A refund as the bank shows it: a cheque cashed, a transfer out; none for cash
    paid back from the till."""
    if p.method == "cash":
        return []
    if p.method in DIRECT:
        text = f"{DIRECT[p.method].replace('FROM', 'TO')} {_name(rng)}"
    else:
        text = f"CHECK {rng.randrange(1000, 1999)}"
    return [_Line(_business(p.day, 2), -p.amount, text)]


def _direct(rng: random.Random, direct: list[_Pay], out: BankStatements) -> list[_Line]:
    """E-transfers and Zelle payments one by one; a pair of the same amount lands the same
    day, with the same description."""
    pair = _same_day_pair(direct)
    lines = []
    for p in direct:
        text = f"{DIRECT[str(p.method)]} {_name(rng)}"
        posted = _business(p.day, rng.choice((0, 0, 1)))
        if pair and p in pair:
            posted = max(q.day for q in pair) + dt.timedelta(days=1)
            text = f"{DIRECT[str(p.method)].split()[0]} DEPOSIT"
        lines.append(_Line(posted, p.amount, text))
    if pair:
        out.planted["same_day"] = tuple(q.payment_id for q in pair)
    return lines


def _same_day_pair(direct: list[_Pay]) -> tuple[_Pay, _Pay] | None:
    """Two payments of one amount, paid the same way by different clients, received as
    close together as any (the same day when there is such a pair)."""
    by_amount: dict[tuple[Decimal, str | None], list[_Pay]] = defaultdict(list)
    for p in direct:
        by_amount[(p.amount, p.method)].append(p)
    best: tuple[int, _Pay, _Pay] | None = None
    for group in by_amount.values():
        group.sort(key=lambda p: (p.day, p.payment_id))
        for a, b in itertools.pairwise(group):
            gap = (b.day - a.day).days
            if a.client_id != b.client_id and gap <= 2 and (best is None or gap < best[0]):
                best = (gap, a, b)
    return (best[1], best[2]) if best else None


def _bank_csv(lines: list[_Line], first: dt.date, last: dt.date) -> bytes:
    """The bank's CSV of ``first``..``last``: date, description, amount, running balance."""
    balance = OPENING + sum((ln.amount for ln in lines if ln.day < first), Decimal(0))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Date", "Description", "Amount", "Balance"])
    for line in lines:
        if first <= line.day <= last:
            balance += line.amount
            writer.writerow(
                [f"{line.day:%m/%d/%Y}", line.text, f"{line.amount:,.2f}", f"{balance:,.2f}"]
            )
    return buffer.getvalue().encode("utf-8")
