"""``Reconciliation``: everything derived from a workbook as of one day.

Its frames, its findings as ``Issue`` objects, the explanation of one client's balance
(``explain``), and the JSON shape with its totals (``to_dict``). ``from_core`` is where
the core's integer minor units become the exact amounts callers see, once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.core.amounts import minor_units, money_total, with_money
from practicebook.core.columns import blank_as_none, near_id
from practicebook.core.explain import Explanation, explained_lines
from practicebook.core.findings import to_issues
from practicebook.core.wording import money_texts
from practicebook.errors import UnknownClient
from practicebook.issues import Issue, Severity

__all__ = ["MONEY_COLUMNS", "Reconciliation"]

#: The money columns of each frame (``aging``: every column but ``client_id``).
MONEY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "charges": ("amount",),
    "ledger": ("amount", "open"),
    "balances": ("charges", "payments", "refunds", "adjustments", "balance", "credit"),
    "cancellations": ("fee",),
}


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Reconciliation:
    """Everything derived from a workbook as of one day.

    Frames (dates ``datetime64``; money as exact amounts in ``currency``: pandas'
    Arrow-backed ``decimal128(19, digits)`` with the currency's digits, so ``770.00``
    prints as ``770.00``, a column sums to an exact ``Decimal`` and a value compares equal
    to ``Decimal("770.00")``; ``practicebook.core.amounts.minor_units`` gives the integer
    minor units back):

    * ``charges`` — session fee lines and separate ``LATECXL``/``NOSHOW`` lines, with
      ``superbill_eligible`` (never for fee lines), ``basis`` and ``source`` cell.
    * ``ledger`` — every charge, payment, refund and adjustment, signed, in date order,
      with ``open`` (unpaid part of a debit, unallocated part of a credit).
    * ``balances`` — per client: charges, payments, refunds, adjustments, balance,
      credit, last_payment_date, oldest_open_date.
    * ``aging`` — per client: open debits by days past due, credit, total (= balance).
    * ``flags`` — one row per finding (code, severity, sheet, cell, row_id, client_id,
      message, hint, row, col) in sheet and row order; ``issues`` has them as ``Issue``.
    * ``cancellations`` — every session recorded or computed as cancelled,
      late_cancelled, no_show or clinician_cancelled, with notice, policy, occurrence,
      fee and basis.

    The money columns are ``MONEY_COLUMNS`` (``aging``: every bucket, ``credit`` and
    ``total``). ID and cell columns of ``charges`` and ``ledger`` (``charge_id``, ``entry_id``,
    ``session_id``, ``target``, ``source``) are pandas ``str`` columns, blank as ``NaN``
    (test with ``pd.isna``); other text columns hold Python strings.
    """

    as_of: dt.date
    currency: str
    locale: str
    charges: pd.DataFrame
    ledger: pd.DataFrame
    balances: pd.DataFrame
    aging: pd.DataFrame
    flags: pd.DataFrame
    cancellations: pd.DataFrame

    @classmethod
    def from_core(
        cls,
        *,
        as_of: dt.date,
        currency: str,
        locale: str,
        charges: pd.DataFrame,
        ledger: pd.DataFrame,
        balances: pd.DataFrame,
        aging: pd.DataFrame,
        flags: pd.DataFrame,
        cancellations: pd.DataFrame,
    ) -> Reconciliation:
        """The result of the core's frames, whose money is integer minor units: each money
        column becomes an exact amount here (a reinterpretation of memory, no arithmetic)."""
        frames = {"charges": charges, "ledger": ledger, "balances": balances}
        money = {k: with_money(f, MONEY_COLUMNS[k], currency) for k, f in frames.items()}
        buckets = [c for c in aging.columns if c != "client_id"]
        return cls(
            as_of=as_of,
            currency=currency,
            locale=locale,
            **money,
            aging=with_money(aging, buckets, currency),
            flags=flags,
            cancellations=with_money(cancellations, MONEY_COLUMNS["cancellations"], currency),
        )

    @functools.cached_property
    def issues(self) -> list[Issue]:
        """The findings as ``Issue`` objects, in sheet and row order."""
        return to_issues(self.flags)

    def explain(self, client_id: str) -> Explanation:
        """The client's ledger with running balance, each charge's basis, and where each
        payment and credit went (re-derived for this client alone, step by step).

        Every client in ``balances`` can be explained: those on the Clients sheet (with
        no lines when nothing is dated by the as-of day) and IDs that rows name without
        a Clients row (flagged ``unknown-client``).

        Raises:
            UnknownClient: ``client_id`` is none of them (its message names a client whose
                ID differs only in case or spaces: ``did you mean C0001``).
        """
        clients = self.balances["client_id"]
        if not (clients == client_id).any():
            raise UnknownClient(client_id, near_id(client_id, clients))
        lines = self.ledger[self.ledger["client_id"] == client_id].reset_index(drop=True)
        out = explained_lines(lines, self.currency, self.locale).drop(columns=["client_id"])
        return Explanation(client_id, self.as_of, self.currency, self.locale, out)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape documented in the README (``practicebook reconcile --format json``).

        Built a column at a time: amounts become decimal text with the currency's digits
        (``"150.00"``), days ISO text, blanks ``None``.
        """
        cur = self.currency

        def amounts(column: pd.Series) -> list[str]:
            texts_: list[str] = money_texts(minor_units(column), cur).tolist()
            return texts_

        def days(column: pd.Series) -> list[str | None]:
            values = column.to_numpy(dtype="datetime64[ns]")
            text_ = np.datetime_as_string(values, unit="D").astype(object)
            # numpy's stubs read ``where(c, None, y)`` as the one-argument form
            iso: list[str | None]
            iso = np.where(np.isnat(values), None, text_).tolist()  # type: ignore[attr-defined]
            return iso

        def texts(column: pd.Series) -> list[object]:
            values: list[object] = blank_as_none(column).tolist()
            return values

        def records(columns: Mapping[str, Sequence[object]]) -> list[dict[str, object]]:
            keys = list(columns)
            return [
                dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)
            ]

        b = self.balances
        balances = records(
            {
                "client_id": texts(b["client_id"]),
                **{
                    k: amounts(b[k])
                    for k in ("charges", "payments", "refunds", "adjustments", "balance", "credit")
                },
                "last_payment_date": days(b["last_payment_date"]),
                "oldest_open_date": days(b["oldest_open_date"]),
            }
        )
        aging = records(
            {k: texts(v) if k == "client_id" else amounts(v) for k, v in self.aging.items()}
        )
        keys = ["code", "severity", "sheet", "cell", "row_id", "client_id", "message"]
        flags = records({k: texts(self.flags[k]) for k in keys})
        log = self.cancellations
        notice = log["notice_hours"].to_numpy(dtype=object)
        occurrence = log["occurrence"]
        cancellations = records(
            {
                "session_id": texts(log["session_id"]),
                "client_id": texts(log["client_id"]),
                "date": days(log["date"]),
                "recorded_status": texts(log["recorded_status"]),
                "computed_status": texts(log["computed_status"]),
                "notice_hours": [None if h is None else str(h) for h in notice],
                "policy_id": texts(log["policy_id"]),
                "occurrence": np.where(  # type: ignore[attr-defined]
                    occurrence.isna().to_numpy(),
                    None,
                    occurrence.to_numpy(dtype=np.int64, na_value=0).astype(object),
                ).tolist(),
                "fee": amounts(log["fee"]),
                "basis": texts(log["basis"]),
            }
        )
        return {
            "as_of": self.as_of.isoformat(),
            "currency": cur,
            "balances": balances,
            "aging": aging,
            "flags": flags,
            "cancellations": cancellations,
            "totals": self._totals(),
        }

    def _totals(self) -> dict[str, object]:
        b, cur = self.balances, self.currency

        def total(values: pd.Series) -> str:
            return str(money_total(values, cur))

        kind = self.charges["kind"]
        fee = self.charges["amount"]
        receivable = money_texts(np.array([minor_units(b["balance"]).clip(min=0).sum()]), cur)
        found = self.flags["severity"].value_counts()
        counts = {s.value: int(found.get(s.value, 0)) for s in Severity}
        return {
            "clients": len(b),
            **{
                k: total(b[k])
                for k in ("charges", "payments", "refunds", "adjustments", "balance", "credit")
            },
            "receivable": str(receivable[0]),
            "late_cancel_fees": total(fee[(kind == "late_cancel_fee").to_numpy()]),
            "no_show_fees": total(fee[(kind == "no_show_fee").to_numpy()]),
            "flags": counts,
        }
