"""Totals for charts and dashboards, read from a ``Reconciliation``.

Pure: frames in, small frames out, money as exact amounts like the ``Reconciliation``'s
(``practicebook.core.amounts``). The front doors draw these; they never sum the ledger
themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money, minor_units
from practicebook.core.result import Reconciliation

__all__ = [
    "WEEKDAYS",
    "aging_totals",
    "cancellations_by_month",
    "cancellations_by_weekday",
    "flagged_clients",
    "monthly_money",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CHARGE_KINDS = ("session", "late_cancel_fee", "no_show_fee")
_COUNTED = ("late_cancelled", "no_show")


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m")


def monthly_money(rec: Reconciliation) -> pd.DataFrame:
    """Per calendar month: ``charged`` (session and fee lines) and ``collected``
    (payments less refunds), both money, months in order.

    Columns: ``month`` (``2026-03``), ``charged``, ``collected``.
    """
    ledger = rec.ledger
    amount = pd.Series(minor_units(ledger["amount"]), index=ledger.index)
    kind = ledger["kind"]
    month = _month(ledger["date"])
    charged = amount.where(kind.isin(_CHARGE_KINDS), 0).groupby(month).sum()
    collected = (
        (-amount.where(kind == "payment", 0) - amount.where(kind == "refund", 0))
        .groupby(month)
        .sum()
    )
    out = pd.DataFrame({"charged": charged, "collected": collected}).sort_index()
    out = out.rename_axis("month").reset_index()
    return out.assign(
        charged=as_money(out["charged"].to_numpy(dtype=np.int64), rec.currency),
        collected=as_money(out["collected"].to_numpy(dtype=np.int64), rec.currency),
    )


def _counts(labels: pd.Series, status: pd.Series, order: list[str] | None) -> pd.DataFrame:
    table = pd.crosstab(labels, status).reindex(columns=list(_COUNTED), fill_value=0)
    if order is not None:
        table = table.reindex(order, fill_value=0)
    return table.astype("int64")


def _counted(rec: Reconciliation) -> pd.DataFrame:
    log = rec.cancellations
    return log[log["computed_status"].isin(_COUNTED)]


def cancellations_by_month(rec: Reconciliation) -> pd.DataFrame:
    """Late cancellations and no-shows (as the policy computes them) per month.

    Index ``month``; columns ``late_cancelled`` and ``no_show``.
    """
    log = _counted(rec)
    return _counts(
        _month(pd.Series(log["date"])).rename("month"), log["computed_status"], None
    ).sort_index()


def cancellations_by_weekday(rec: Reconciliation) -> pd.DataFrame:
    """Late cancellations and no-shows per weekday of the session, Monday first.

    Index ``weekday`` (``Mon`` … ``Sun``); columns ``late_cancelled`` and ``no_show``.
    """
    log = _counted(rec)
    names = pd.Series(log["date"]).dt.day_of_week.map(dict(enumerate(WEEKDAYS)))
    return _counts(names.rename("weekday"), log["computed_status"], list(WEEKDAYS))


def aging_totals(rec: Reconciliation) -> pd.Series:
    """Open receivables per aging bucket over all clients (money), bucket order."""
    labels = [c for c in rec.aging.columns if c not in ("client_id", "credit", "total")]
    sums = [int(minor_units(rec.aging[label]).sum()) for label in labels]
    return pd.Series(as_money(np.array(sums, dtype=np.int64), rec.currency), index=labels)


def flagged_clients(rec: Reconciliation) -> set[str]:
    """Clients with at least one finding (any severity)."""
    return set(rec.flags["client_id"].dropna().astype(str))
