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
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
#: The columns read from each sheet.
_ACCOUNT_KEYS = (
    "account_id",
    "kind",
    "processor",
    "opening_balance",
    "opening_date",
    "payout_account",
    "reconciled_through",
    "currency",
)
_ASSERTION_KEYS = ("account_id", "date", "expected_balance", "source")
#: Line statuses that say the line is explained (matched, or not client money).
EXPLAINED = frozenset({"matched", "not_client_money", "reconciled"})


def split_ids(text: object) -> tuple[str, ...]:
    """IDs written in one cell, separated by commas, semicolons or spaces."""
    if not isinstance(text, str):
        return ()
    if "," not in text and " " not in text and ";" not in text:  # one ID: most cells
        return (text,) if text else ()
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


class Line(NamedTuple):
    """A statement line as the workbook holds it (``payments``/``lines``: stored matches).

    Lines and payments are named tuples: a year's tens of thousands are built on every
    match, and a tuple is built several times faster than a frozen dataclass."""

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


class Payment(NamedTuple):
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
    if isinstance(values.array, pd.arrays.ArrowStringArray):  # text: Arrow does it in bulk
        text = pa.array(values, from_pandas=True)
        blank = pc.equal(pc.utf8_trim_whitespace(text), "")
        return cast("list[object]", pc.if_else(blank, pa.scalar(None, text.type), text).to_pylist())
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # days, no zone
        return cast("list[object]", values.to_numpy("datetime64[D]").astype(object).tolist())
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


def _records(frame: pd.DataFrame, keys: tuple[str, ...]) -> Iterator[dict[str, object]]:
    """The rows of ``frame`` as dicts of the columns ``keys`` (and the row number)."""
    columns = [c for c in (*keys, ROW) if c in frame.columns]
    values = [_column(frame[c]) for c in columns]
    for row in zip(*values, strict=True):
        yield dict(zip(columns, row, strict=True))


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
        for r in _records(book.frames["BankAccounts"], _ACCOUNT_KEYS)
    }
    lines, after = [], 0
    for line in _lines(book.frames["BankLines"]):
        if line.posted > as_of:
            after += 1
            continue
        if line.account_id not in accounts:
            accounts[line.account_id] = Account(
                line.account_id, "bank", None, 0, None, None, None, 0
            )
        lines.append(line)
    payments = [p for p in _payments(book.frames["Payments"]) if p.received <= as_of]
    assertions = [
        Assertion(
            str(r["account_id"]),
            day,
            _int(r["expected_balance"]),
            _text(r["source"]),
            _int(r[ROW]),
        )
        for r in _records(book.frames["Assertions"], _ASSERTION_KEYS)
        if (day := _day(r["date"])) is not None and day <= as_of
    ]
    settings = book.settings
    return BankBook(
        as_of, settings.currency, settings.locale, accounts, lines, payments, assertions, after
    )


def _text_column(
    values: pd.Series, *, strip: bool = False, blank: str | None = None
) -> list[str | None]:
    """A text column's values: blank text as ``blank`` (default None), stripped when
    ``strip``; Arrow does it in bulk."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        text = pa.array(values, from_pandas=True)
        trimmed = pc.utf8_trim_whitespace(text)
        kept = pc.if_else(
            pc.equal(trimmed, ""), pa.scalar(None, text.type), trimmed if strip else text
        )
        return cast("list[str | None]", pc.fill_null(kept, blank).to_pylist())
    out: list[str | None] = []
    for v in _column(values):  # other cells, one by one
        if blank is not None:
            v = v or blank
        out.append(None if v is None else str(v).strip() if strip else str(v))
    return out


def _named(values: pd.Series) -> list[str]:
    """An ID column's values (required, so never blank; one would read ``None``)."""
    out = _text_column(values)
    return cast("list[str]", out) if None not in out else [str(v) for v in out]


def _ints(values: list[object]) -> list[int | None]:
    return [None if v is None else int(v) for v in cast("list[int | None]", values)]


def _ids(values: list[object]) -> list[tuple[str, ...]]:
    return [() if v is None else split_ids(v) for v in values]


_R = TypeVar("_R", Line, Payment)


def _records_of(kind: type[_R], *columns: list[Any]) -> list[_R]:
    """Records made straight from their columns, one value of each per record
    (``tuple.__new__``: the columns are checked against the fields once, not per record
    as ``_make`` would)."""
    fields = kind._fields
    if len(columns) != len(fields):
        raise TypeError(f"{kind.__name__} has {len(fields)} fields, not {len(columns)}")
    return list(map(functools.partial(tuple.__new__, kind), zip(*columns, strict=True)))


def _lines(frame: pd.DataFrame) -> list[Line]:
    """Every line with a posted day, column by column (a year holds tens of thousands)."""
    frame = frame[frame["posted_date"].notna()]
    made = _records_of(
        Line,
        _named(frame["line_id"]),
        _named(frame["account_id"]),
        _column(frame["posted_date"]),
        _whole(frame["amount"]),
        _whole(frame["fee"]),
        _text_column(frame["type"], strip=True),
        _text_column(frame["external_id"], strip=True),
        _ids(_column(frame["reference"])),
        _text_column(frame["payout_id"], strip=True),
        _text_column(frame["status"], blank="unmatched"),
        _ids(_column(frame["matched_payment_ids"])),
        _ids(_column(frame["matched_line_ids"])),
        _text_column(frame["match_rule"], strip=True),
        _whole(frame[ROW]),
        _text_column(frame["description"], blank=""),
    )
    return [ln for ln in made if isinstance(ln.posted, dt.date)]


def _whole(values: pd.Series) -> list[int]:
    """A whole-number column as ints, a blank as 0."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return cast("list[int]", values.fillna(0).astype("int64").tolist())
    return [v or 0 for v in _ints(_column(values))]


def _payments(frame: pd.DataFrame) -> list[Payment]:
    """Every payment with a day and an amount, column by column (refunds negative)."""
    frame = frame[frame["received_date"].notna()]
    refund = (frame["kind"] == "refund").fillna(False).tolist()
    amounts = _ints(_column(frame["amount"]))
    made = _records_of(
        Payment,
        _named(frame["payment_id"]),
        _named(frame["client_id"]),
        _text_column(frame["method"], strip=True),
        _text_column(frame["processor"], strip=True),
        _ids(_column(frame["reference"])),
        [None if a is None else -a if r else a for a, r in zip(amounts, refund, strict=True)],
        _ints(_column(frame["processor_fee"])),
        _text_column(frame["payout_id"], strip=True),
        _column(frame["received_date"]),
        [d if isinstance(d, dt.date) else None for d in _column(frame["deposit_date"])],
        _whole(frame[ROW]),
    )
    return [p for p in made if isinstance(p.received, dt.date) and p.amount is not None]
