"""Each client's balance, credit and dates, and the aging of open debits.

``balance = charges + adjustments - payments + refunds``. Each open debit ages from its
date plus ``payment_terms_days`` into the practice's buckets; credit has its own column;
buckets minus credit equal the balance (``aging-mismatch`` otherwise, see ``controls``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.allocation import sum_by
from practicebook.core.ledger import kind_is

__all__ = ["aging_labels", "client_aging", "client_balances"]


def client_balances(
    ledger: pd.DataFrame, open_debit: np.ndarray, unallocated: np.ndarray, client_index: pd.Index
) -> pd.DataFrame:
    """Per client: the balance identity's parts, credit, and two dates people ask for."""
    n = len(client_index)
    client = ledger["_client"].to_numpy()
    amount = ledger["amount"].to_numpy(dtype=np.int64)

    def total(kinds: tuple[str, ...], sign: int = 1) -> np.ndarray:
        return sum_by(client, np.where(kind_is(ledger, *kinds), sign * amount, 0), n)

    charges = total(("session", "late_cancel_fee", "no_show_fee"))
    payments = total(("payment",), -1)
    refunds = total(("refund",))
    adjustments = total(("adjustment", "credit_adjustment"))
    dates = ledger["date"].to_numpy(dtype="datetime64[ns]")
    # the ledger is in client and date order: a client's last payment is the last of
    # its payment lines, the oldest open debit the first of its open lines
    paid_on = _per_client(client, dates, kind_is(ledger, "payment"), n, last=True)
    open_since = _per_client(client, dates, open_debit > 0, n, last=False)
    return pd.DataFrame(
        {
            "client_id": client_index.astype(str),
            "charges": pd.array(charges, dtype="Int64"),
            "payments": pd.array(payments, dtype="Int64"),
            "refunds": pd.array(refunds, dtype="Int64"),
            "adjustments": pd.array(adjustments, dtype="Int64"),
            "balance": pd.array(charges + adjustments - payments + refunds, dtype="Int64"),
            "credit": pd.array(sum_by(client, unallocated, n), dtype="Int64"),
            "last_payment_date": paid_on,
            "oldest_open_date": open_since,
        }
    )


def _per_client(
    client: np.ndarray, dates: np.ndarray, chosen: np.ndarray, n: int, last: bool
) -> np.ndarray:
    """The first or last chosen date of each client (NaT for none), for rows sorted by
    client and date."""
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    rows = np.flatnonzero(chosen)
    if rows.size:
        who = client[rows]
        edge = np.r_[who[1:] != who[:-1], True] if last else np.r_[True, who[1:] != who[:-1]]
        out[who[edge]] = dates[rows[edge]]
    return out


def aging_labels(bounds: tuple[int, ...]) -> list[str]:
    """Bucket names for the practice's bucket limits.

    >>> aging_labels((30, 60, 90, 120))
    ['current', '1-30', '31-60', '61-90', '91-120', '120+']
    """
    labels, low = ["current"], 1
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f"{bounds[-1]}+"]


def client_aging(
    ledger: pd.DataFrame,
    open_debit: np.ndarray,
    credit: np.ndarray,
    as_of: pd.Timestamp,
    terms_days: int,
    bounds: tuple[int, ...],
    client_index: pd.Index,
) -> pd.DataFrame:
    """Open debits by days past due (date + payment terms), credit in its own column."""
    labels = aging_labels(bounds)
    due = ledger["date"].to_numpy(dtype="datetime64[ns]") + np.timedelta64(terms_days, "D")
    late = (as_of.to_datetime64() - due).astype("timedelta64[D]").astype(np.int64)
    bucket = np.where(late <= 0, 0, 1 + np.searchsorted(np.asarray(bounds), late, "left"))
    matrix = np.zeros((len(client_index), len(labels)), dtype=np.int64)
    np.add.at(matrix, (ledger["_client"].to_numpy(), bucket), open_debit)
    aging = pd.DataFrame({"client_id": client_index.astype(str)})
    for j, label in enumerate(labels):
        aging[label] = pd.array(matrix[:, j], dtype="Int64")
    aging["credit"] = pd.array(credit, dtype="Int64")
    aging["total"] = pd.array(matrix.sum(axis=1) - credit, dtype="Int64")
    return aging
