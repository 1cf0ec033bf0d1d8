"""Totals for charts and dashboards, read from a ``Reconciliation``.

Pure: frames in, small frames out, money as exact amounts like the ``Reconciliation``'s
(``practicebook.core.amounts``). The front doors draw these; they never sum the ledger
themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money, minor_units, with_money
from practicebook.core.result import Reconciliation

__all__ = [
    "SUMMARY_COLUMNS",
    "WEEKDAYS",
    "aging_totals",
    "cancellations_by_month",
    "cancellations_by_weekday",
    "charged_by_clinician",
    "collected_by_method",
    "flagged_clients",
    "monthly_money",
    "monthly_summary",
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


def _sum_by(keys: pd.Series, amounts: pd.Series, currency: str) -> pd.Series:
    """Exact sums of ``amounts`` (minor units) per key, largest first, then by key."""
    sums = amounts.groupby(keys.fillna("(none)").astype(str)).sum()
    order = sorted(sums.index, key=lambda k: (-int(sums[k]), k))
    values = np.array([int(sums[k]) for k in order], dtype=np.int64)
    return pd.Series(as_money(values, currency), index=pd.Index(order, dtype=object))


def charged_by_clinician(rec: Reconciliation, sessions: pd.DataFrame) -> pd.Series:
    """What was charged (session and fee lines) per clinician of the session, largest
    first (money); ``sessions`` is the book's Sessions frame (``session_id``,
    ``clinician_id``). Charges of a session with no clinician count under ``(none)``."""
    clinician = sessions.drop_duplicates("session_id").set_index("session_id")["clinician_id"]
    charges = rec.charges
    keys = charges["session_id"].map(clinician)
    return _sum_by(
        pd.Series(keys, index=charges.index),
        pd.Series(minor_units(charges["amount"]), index=charges.index),
        rec.currency,
    )


def collected_by_method(rec: Reconciliation, payments: pd.DataFrame) -> pd.Series:
    """What was collected (payments less refunds) per payment method, largest first
    (money); ``payments`` is the book's Payments frame (``payment_id``, ``method``)."""
    method = payments.drop_duplicates("payment_id").set_index("payment_id")["method"]
    ledger = rec.ledger
    lines = ledger[ledger["kind"].isin(("payment", "refund"))]
    amount = pd.Series(minor_units(lines["amount"]), index=lines.index)
    keys = pd.Series(lines["entry_id"].map(method), index=lines.index)
    return _sum_by(keys, -amount, rec.currency)


#: The columns of ``monthly_summary``, in order.
SUMMARY_COLUMNS = ("group", "key", "charged", "collected", "late_cancelled", "no_show")


def monthly_summary(
    rec: Reconciliation, sessions: pd.DataFrame, payments: pd.DataFrame
) -> pd.DataFrame:
    """The monthly view therapists keep by hand, as one table in three groups.

    ``group`` ``month``: per calendar month, ``charged`` (session and fee lines),
    ``collected`` (payments less refunds), late cancellations and no-shows (as the
    policy computes them); then ``clinician``: charged per clinician of the session;
    then ``method``: collected per payment method. ``key`` names the month
    (``2026-03``), clinician or method; what a group does not measure is blank.
    """
    months = monthly_money(rec).set_index("month")
    counts = cancellations_by_month(rec)
    index = sorted(set(months.index) | set(counts.index))
    counts = counts.reindex(index, fill_value=0)

    def minor(values: pd.Series) -> pd.Series:
        return pd.Series(minor_units(values), index=values.index, dtype="Int64")

    by_month = pd.DataFrame(
        {
            "group": "month",
            "key": pd.Series(index, dtype=object),
            "charged": minor(months["charged"]).reindex(index, fill_value=0).to_numpy(),
            "collected": minor(months["collected"]).reindex(index, fill_value=0).to_numpy(),
            "late_cancelled": counts["late_cancelled"].to_numpy(dtype=np.int64),
            "no_show": counts["no_show"].to_numpy(dtype=np.int64),
        }
    )
    clinicians = charged_by_clinician(rec, sessions)
    methods = collected_by_method(rec, payments)
    by_clinician = pd.DataFrame(
        {"group": "clinician", "key": clinicians.index.to_numpy(), "charged": minor(clinicians)}
    )
    by_method = pd.DataFrame(
        {"group": "method", "key": methods.index.to_numpy(), "collected": minor(methods)}
    )
    parts = [p for p in (by_month, by_clinician, by_method) if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out = out.reindex(columns=list(SUMMARY_COLUMNS))
    out["group"] = out["group"].astype(object)
    out["key"] = out["key"].astype(object)
    for count in ("late_cancelled", "no_show", "charged", "collected"):
        out[count] = out[count].astype("Int64")
    return with_money(out, ("charged", "collected"), rec.currency)
