"""The bank sheets and the payments as plain records, as of a day.

Matching works on a few thousand records at a time with Python's own containers, which
is where its rules read most plainly; this module turns the ``Book``'s frames into those
records once: accounts (an account named by lines but missing from BankAccounts is a
bank account with no opening balance), lines posted on or before the day, payments
received on or before it, and assertions dated on or before it. Money stays integer
minor units.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import pandas as pd

from practicebook.model import ROW, Book

__all__ = [
    "DEPOSIT_METHODS",
    "PROCESSOR_METHODS",
    "Account",
    "Assertion",
    "BankBook",
    "Line",
    "Payment",
    "bank_book",
    "split_ids",
]

#: Methods whose money reaches the bank through a card processor's payouts.
PROCESSOR_METHODS = frozenset({"card", "hsa_fsa", "paypal"})
#: Methods paid in at the bank by the practice, several at a time.
DEPOSIT_METHODS = frozenset({"cash", "check"})
#: Line statuses that say the line is explained (matched, or not client money).
EXPLAINED = frozenset({"matched", "not_client_money", "reconciled"})


def split_ids(text: object) -> tuple[str, ...]:
    """IDs written in one cell, separated by commas, semicolons or spaces."""
    if not isinstance(text, str):
        return ()
    return tuple(dict.fromkeys(p for p in text.replace(";", ",").replace(" ", ",").split(",") if p))


@dataclass(frozen=True)
class Account:
    """A bank account or a processor's clearing balance (``row`` 0: not on the sheet)."""

    account_id: str
    kind: str
    processor: str | None
    opening: int
    opening_date: dt.date | None
    payout_account: str | None
    reconciled_through: dt.date | None
    row: int
    currency: str | None = None

    @property
    def is_processor(self) -> bool:
        return self.kind == "processor"

    def counts(self, day: dt.date) -> bool:
        """True when a line posted on ``day`` counts in the balance."""
        return self.opening_date is None or day >= self.opening_date


@dataclass(frozen=True)
class Line:
    """A statement line as the workbook holds it (``payments``/``lines``: stored matches)."""

    line_id: str
    account_id: str
    posted: dt.date
    amount: int
    fee: int
    type: str | None
    external_id: str | None
    reference: tuple[str, ...]
    payout_id: str | None
    status: str
    payments: tuple[str, ...]
    lines: tuple[str, ...]
    rule: str | None
    row: int
    description: str

    @property
    def net(self) -> int:
        """What the line moves its account's balance by."""
        return self.amount - self.fee


@dataclass(frozen=True)
class Payment:
    """A payment (``amount`` > 0) or a refund (``amount`` < 0) as money moves."""

    payment_id: str
    client_id: str
    method: str | None
    processor: str | None
    reference: tuple[str, ...]
    amount: int
    fee: int | None
    payout_id: str | None
    received: dt.date
    deposit_date: dt.date | None
    row: int

    @property
    def refund(self) -> bool:
        return self.amount < 0

    @property
    def via_processor(self) -> bool:
        """True when the money reaches the bank through a processor's payouts."""
        return self.processor is not None or self.method in PROCESSOR_METHODS


@dataclass(frozen=True)
class Assertion:
    """A balance a statement states for the end of a day."""

    account_id: str
    date: dt.date
    expected: int
    source: str | None
    row: int


@dataclass(frozen=True)
class BankBook:
    """Everything matching reads, as of ``as_of``."""

    as_of: dt.date
    currency: str
    locale: str
    accounts: dict[str, Account]
    lines: list[Line]
    payments: list[Payment]
    assertions: list[Assertion]
    lines_after: int  # lines posted after the day, left out

    def account(self, line: Line) -> Account:
        return self.accounts[line.account_id]


def _column(values: pd.Series) -> list[object]:
    """A frame column as Python values, blanks (and blank text) as None, days as
    ``date``s."""
    present = values.notna().to_numpy(dtype=bool, copy=True)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out: list[object] = list(values.dt.date.to_numpy(dtype=object))
    else:
        out = values.astype(object).tolist()
        if pd.api.types.is_string_dtype(values.dtype):
            present &= (values.fillna("").str.strip() != "").to_numpy(dtype=bool)
    if present.all():
        return out
    return [v if ok else None for v, ok in zip(out, present.tolist(), strict=True)]


def _records(frame: pd.DataFrame) -> Iterator[dict[str, object]]:
    columns = list(frame.columns)
    values = [_column(frame[c]) for c in columns]
    for row in zip(*values, strict=True):
        yield dict(zip(columns, row, strict=True))


def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _day(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _text(value: object) -> str | None:
    return None if value is None else str(value).strip()


def _int(value: object, default: int = 0) -> int:
    """A whole-number cell (minor units, a row number); ``default`` when blank."""
    return default if value is None else int(cast("int", value))


def bank_book(book: Book, as_of: dt.date) -> BankBook:
    """The bank records of ``book`` as of the end of ``as_of``."""
    accounts = {
        str(r["account_id"]): Account(
            str(r["account_id"]),
            str(r["kind"] or "bank"),
            _text(r["processor"]),
            _int(r["opening_balance"]),
            _day(r["opening_date"]),
            _text(r["payout_account"]) if "payout_account" in r else None,
            _day(r.get("reconciled_through")),
            _int(r[ROW]),
            _text(r["currency"]),
        )
        for r in _records(book.frames["BankAccounts"])
    }
    lines, after = [], 0
    for r in _records(book.frames["BankLines"]):
        posted = _day(r["posted_date"])
        if posted is None:
            continue
        if posted > as_of:
            after += 1
            continue
        account = str(r["account_id"])
        if account not in accounts:
            accounts[account] = Account(account, "bank", None, 0, None, None, None, 0)
        lines.append(_line(r, account, posted))
    found = (_payment(r) for r in _records(book.frames["Payments"]))
    payments = [p for p in found if p is not None and p.received <= as_of]
    assertions = [
        Assertion(
            str(r["account_id"]),
            day,
            _int(r["expected_balance"]),
            _text(r["source"]),
            _int(r[ROW]),
        )
        for r in _records(book.frames["Assertions"])
        if (day := _day(r["date"])) is not None and day <= as_of
    ]
    settings = book.settings
    return BankBook(
        as_of, settings.currency, settings.locale, accounts, lines, payments, assertions, after
    )


def _line(r: dict[str, object], account: str, posted: dt.date) -> Line:
    return Line(
        str(r["line_id"]),
        account,
        posted,
        _int(r["amount"]),
        _int(r["fee"]),
        _text(r.get("type")),
        _text(r["external_id"]),
        split_ids(r.get("reference")),
        _text(r["payout_id"]),
        str(r["status"] or "unmatched"),
        split_ids(r["matched_payment_ids"]),
        split_ids(r["matched_line_ids"]),
        _text(r["match_rule"]),
        _int(r[ROW]),
        str(r["description"] or ""),
    )


def _payment(r: dict[str, object]) -> Payment | None:
    received = _day(r["received_date"])
    if received is None or r["amount"] is None:
        return None
    amount = _int(r["amount"])
    return Payment(
        str(r["payment_id"]),
        str(r["client_id"]),
        _text(r["method"]),
        _text(r.get("processor")),
        split_ids(r["reference"]),
        -amount if r["kind"] == "refund" else amount,
        None if r.get("processor_fee") is None else _int(r["processor_fee"]),
        _text(r.get("payout_id")),
        received,
        _day(r.get("deposit_date")),
        _int(r[ROW]),
    )
