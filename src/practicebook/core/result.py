"""``Reconciliation``: everything derived from a workbook as of one day.

Its frames, its findings as ``Issue`` objects, the explanation of one client's balance
(``explain``), and the JSON shape with its totals (``to_dict``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import SupportsInt

import numpy as np
import pandas as pd

from practicebook.core.columns import blank_as_none
from practicebook.core.explain import Explanation, explained_lines
from practicebook.core.findings import to_issues
from practicebook.core.wording import money_texts
from practicebook.issues import Issue, Severity
from practicebook.money import from_minor

__all__ = ["Reconciliation"]


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Reconciliation:
    """Everything derived from a workbook as of one day.

    Frames (money in ``Int64`` minor units of ``currency``; dates ``datetime64``):

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

    ID and cell columns of ``charges`` and ``ledger`` (``charge_id``, ``entry_id``,
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

    @functools.cached_property
    def issues(self) -> list[Issue]:
        """The findings as ``Issue`` objects, in sheet and row order."""
        return to_issues(self.flags)

    def explain(self, client_id: str) -> Explanation:
        """The client's ledger with running balance, each charge's basis, and where each
        payment and credit went (re-derived for this client alone, step by step)."""
        lines = self.ledger[self.ledger["client_id"] == client_id].reset_index(drop=True)
        out = explained_lines(lines, self.currency).drop(columns=["client_id"])
        return Explanation(client_id, self.as_of, self.currency, self.locale, out)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape documented in the README (``practicebook reconcile --format json``).

        Built a column at a time: amounts become decimal text with the currency's digits
        (``"150.00"``), days ISO text, blanks ``None``.
        """
        cur = self.currency

        def money(v: SupportsInt) -> str:
            return str(from_minor(int(v), cur))

        def amounts(column: pd.Series) -> list[str]:
            texts_: list[str] = money_texts(
                column.to_numpy(dtype=np.int64, na_value=0), cur
            ).tolist()
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
            "totals": self._totals(money),
        }

    def _totals(self, money: Callable[[SupportsInt], str]) -> dict[str, object]:
        b = self.balances
        fees = self.charges.groupby("kind")["amount"].sum()
        found = self.flags["severity"].value_counts()
        counts = {s.value: int(found.get(s.value, 0)) for s in Severity}
        return {
            "clients": len(b),
            "charges": money(b["charges"].sum()),
            "payments": money(b["payments"].sum()),
            "refunds": money(b["refunds"].sum()),
            "adjustments": money(b["adjustments"].sum()),
            "balance": money(b["balance"].sum()),
            "credit": money(b["credit"].sum()),
            "receivable": money(b["balance"].clip(lower=0).sum()),
            "late_cancel_fees": money(fees.get("late_cancel_fee", 0)),
            "no_show_fees": money(fees.get("no_show_fee", 0)),
            "flags": counts,
        }
