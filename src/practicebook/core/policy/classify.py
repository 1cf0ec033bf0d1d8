"""Classifying sessions: the status the times imply, session order, each client's
first session, and reschedules into attended sessions.

The **recorded** status decides the fee; the status computed here only raises
``status-mismatch``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.lookup import first_positions, sort_order, take
from practicebook.core.policy.in_force import PolicyInForce
from practicebook.core.policy.status import HELD, StatusColumn, status_code

__all__ = [
    "computed_status",
    "first_session",
    "in_session_order",
    "rescheduled_into_attended",
]

_EARLIEST_S = np.iinfo(np.int64).min // 1_000_000_000  # the earliest datetime64[ns], in s


def computed_status(
    w: pd.DataFrame,
    st: StatusColumn,
    pol: PolicyInForce,
    notice: np.ndarray,
    by_practice: np.ndarray,
) -> StatusColumn:
    """The status rules in order; the first matching rule wins."""
    has_t = w["cancel_requested_at"].notna().to_numpy()
    after = has_t & (notice <= 0)
    rules: list[tuple[np.ndarray, np.ndarray | int]] = [
        (by_practice, status_code("clinician_cancelled")),
        (st.isin((*HELD, "scheduled")), st.codes),
        (~has_t & st.eq("no_show"), status_code("no_show")),
        (~has_t | ~pol.found, st.codes),
        (after, pol.after_start),
        (notice >= pol.threshold, status_code("cancelled")),
    ]
    return StatusColumn(
        np.select([m for m, _ in rules], [v for _, v in rules], status_code("late_cancelled"))
    )


def in_session_order(w: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by client, start, then session id."""
    # whole seconds since the earliest datetime64[ns] (non-negative, so small keys sorted
    # in one pass; starts within the same second are then ordered by id)
    start = (
        w["scheduled_start"].to_numpy(dtype="datetime64[ns]").view(np.int64) // 1_000_000_000
        - _EARLIEST_S
    )
    client = w["_client"].to_numpy(dtype=np.int64)
    sid = w["session_id"].array  # read for a few rows at a time
    ordered: np.ndarray = rows[sort_order([client[rows], start[rows]], sid[rows])]
    return ordered


def first_session(w: pd.DataFrame) -> np.ndarray:
    """True for each client's earliest session of any status (tie: lowest id)."""
    out = np.zeros(len(w), dtype=bool)
    if len(w) == 0:
        return out
    client = w["_client"].to_numpy(dtype=np.int64)
    start = w["scheduled_start"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    earliest = np.full(int(client.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, client, start)
    # only the sessions at their client's earliest start need ordering (ties: by id)
    ordered = in_session_order(w, np.flatnonzero(start == earliest[client]))
    who = client[ordered]
    out[ordered[np.r_[True, who[1:] != who[:-1]]]] = True
    return out


def rescheduled_into_attended(w: pd.DataFrame, pol: PolicyInForce, day: np.ndarray) -> np.ndarray:
    """Moved to a session that was attended within the policy's window."""
    out = np.zeros(len(w), dtype=bool)
    moved = np.flatnonzero(w["rescheduled_to_session_id"].notna().to_numpy() & pol.found)
    if moved.size == 0:
        return out
    target = first_positions(w["rescheduled_to_session_id"].iloc[moved], w["session_id"])
    attended = take(w["status"].to_numpy(dtype=object), target, None) == "attended"
    gap = (take(day, target, np.datetime64("NaT")) - day[moved]).astype("timedelta64[D]")
    gap_days = np.where(target >= 0, gap.astype(np.int64), -1)
    out[moved] = (
        pol.reschedule_waiver[moved]
        & attended
        & (gap_days >= 0)
        & (gap_days <= pol.window_days[moved])
    )
    return out
