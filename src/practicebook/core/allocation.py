"""Allocation: which debits each credit pays, on whole columns and step by step.

A credit that names a session (``applies_to_session_id``, or an adjustment's
``session_id``) goes to that session's charge first; everything else goes to the oldest
open debit (tie: lowest id), including debits dated after the credit. What is left is
the client's credit.

``allocate`` does this for every client at once; ``allocation_steps`` places one
client's credits one at a time, for the explanation of a balance. Both give the same
open amounts, and the tests hold them to it. The grouped sums they rest on
(``sum_by``, ``cumsum_by``) are exact integer sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.ledger import kind_is

__all__ = ["allocate", "allocation_steps", "cumsum_by", "sum_by"]


def allocate(ledger: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Open amount of each debit and unallocated amount of each credit (minor units).

    Targeted credits are placed on their session's charge first, in credit order; the
    rest of every credit is then pooled per client and spread over the remaining debits
    oldest first. Pooling gives the same open amounts as placing each credit in turn,
    because every credit goes to the oldest open debit whatever its date.
    """
    amount = ledger["amount"].to_numpy(dtype=np.int64)
    client = ledger["_client"].to_numpy()
    debit = amount > 0
    remaining_debit = np.where(debit, amount, 0)
    remaining_credit = np.where(debit, 0, -amount)
    _place_targeted(ledger, remaining_debit, remaining_credit)
    n_clients = int(client.max()) + 1 if len(client) else 0
    pool = sum_by(client, remaining_credit, n_clients)
    debit_cum = cumsum_by(client, remaining_debit)
    before = debit_cum - remaining_debit
    paid = np.clip(pool[client] - before, 0, remaining_debit)
    open_debit = remaining_debit - paid
    used = sum_by(client, paid, n_clients)
    left = pool - used  # credit nobody's debit could take, per client
    credit_cum = cumsum_by(client, remaining_credit)
    unallocated = np.clip(credit_cum - (pool - left)[client], 0, remaining_credit)
    return open_debit, unallocated


def _place_targeted(
    ledger: pd.DataFrame, remaining_debit: np.ndarray, remaining_credit: np.ndarray
) -> None:
    target = ledger["_target"].to_numpy()
    targeted = np.flatnonzero(target >= 0)
    if targeted.size == 0:
        return
    # the first charge line (in ledger order) of each session
    charge_rows = np.flatnonzero(kind_is(ledger, "session", "late_cancel_fee", "no_show_fee"))
    charged, first = np.unique(ledger["_session"].to_numpy()[charge_rows], return_index=True)
    charged, first = charged[charged >= 0], first[charged >= 0]  # lines without a session
    charge_of = np.full(
        max(int(target.max()), int(charged.max(initial=-1))) + 1, -1, dtype=np.int64
    )
    charge_of[charged] = charge_rows[first]
    hit = charge_of[target[targeted]]
    client = ledger["_client"].to_numpy()
    ok = hit >= 0
    ok[ok] = client[hit[ok]] == client[targeted[ok]]
    credits, debits = targeted[ok], hit[ok]
    if credits.size == 0:
        return
    order = np.lexsort((credits, debits))  # credits are in ledger order already
    credits, debits = credits[order], debits[order]
    wanted = remaining_credit[credits]
    cum = cumsum_by(debits, wanted)
    placed = np.clip(remaining_debit[debits] - (cum - wanted), 0, wanted)
    remaining_credit[credits] -= placed
    np.subtract.at(remaining_debit, debits, placed)


def cumsum_by(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of ``values`` within runs of equal ``group`` (sorted input)."""
    total = np.cumsum(values)
    if len(values) == 0:
        return total
    starts = np.r_[True, group[1:] != group[:-1]]
    running: np.ndarray = total - _carry(starts, total - values)
    return running


def _carry(starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Offsets at each run start carried forward to the rest of the run."""
    idx = np.where(starts, np.arange(len(starts)), 0)
    np.maximum.accumulate(idx, out=idx)
    return offsets[idx]


def sum_by(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums per group code (``np.bincount`` would go through floats)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, group, values)
    return out


def allocation_steps(lines: pd.DataFrame) -> dict[int, list[tuple[str | None, int]]]:
    """Where each credit of one client went, placing credits one at a time.

    Targeted amounts first (credit order), then each credit's rest to the oldest open
    debit. This is the step-by-step form of ``allocate``; both give the same open
    amounts, and the tests hold them to it.
    """
    amount = lines["amount"].to_numpy(dtype=np.int64)
    open_ = {j: int(a) for j, a in enumerate(amount) if a > 0}
    left = {j: int(-a) for j, a in enumerate(amount) if a <= 0}
    ids = lines["entry_id"].to_numpy(dtype=object)
    kinds = lines["kind"].to_numpy(dtype=object)
    sessions = lines["session_id"].to_numpy(dtype=object)
    charge_of: dict[object, int] = {}
    for j in open_:
        if kinds[j] in ("session", "late_cancel_fee", "no_show_fee"):
            charge_of.setdefault(sessions[j], j)
    placed: dict[int, list[tuple[str | None, int]]] = {j: [] for j in left}
    targets = lines["target"].to_numpy(dtype=object)
    for j in left:
        d = charge_of.get(targets[j]) if not pd.isna(targets[j]) else None
        if d is not None and open_[d] and left[j]:
            take_ = min(open_[d], left[j])
            open_[d] -= take_
            left[j] -= take_
            placed[j].append((str(ids[d]), take_))
    for j in left:
        for d in open_:
            if not left[j]:
                break
            take_ = min(open_[d], left[j])
            if take_:
                open_[d] -= take_
                left[j] -= take_
                placed[j].append((str(ids[d]), take_))
        if left[j]:
            placed[j].append((None, left[j]))
    return {j: parts for j, parts in placed.items() if parts}
