"""Counting a client's late cancellations and no-shows: occurrence numbers in the grace
scope of the policy, and the practice's cancellation pattern.

Both sort the counted sessions once by client and start, then count with binary
searches over one ``int64`` key per session (client, then day: ``lookup.day_key``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.lookup import day_key, day_numbers
from practicebook.core.policy.classify import in_session_order
from practicebook.core.policy.in_force import PolicyInForce

__all__ = ["occurrences", "pattern_reached"]


def occurrences(
    w: pd.DataFrame, counted: np.ndarray, day: np.ndarray, client: np.ndarray, pol: PolicyInForce
) -> tuple[np.ndarray, np.ndarray]:
    """Occurrence number of each counted session in its policy's grace scope, and the
    first day of that scope (NaT for lifetime). Numbered from 1 in session order."""
    n = len(w)
    k = np.zeros(n, dtype=np.int64)
    since = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    idx = np.flatnonzero(counted)
    if idx.size == 0:
        return k, since
    i = in_session_order(w, idx)
    c = client[i]
    dnum = day_numbers(day[i])
    rank = np.arange(len(i))
    key = day_key(c, dnum)
    group_start = np.searchsorted(key, day_key(c, 0), side="left")
    lifetime = rank - group_start + 1
    years = day[i].astype("datetime64[Y]")
    year_start = years.astype("datetime64[D]")
    ystart_num = day_numbers(year_start)
    calendar = rank - np.searchsorted(key, day_key(c, ystart_num), side="left") + 1
    window = pol.rolling_days[i]
    first_in_window = dnum - window + 1
    rolling = (
        rank - np.searchsorted(key, day_key(c, np.maximum(first_in_window, 0)), side="left") + 1
    )
    scope = pol.grace_scope[i]
    k[i] = np.select(
        [scope == "calendar_year", scope == "rolling_days"], [calendar, rolling], lifetime
    )
    window_start = day[i] - (window - 1).astype("timedelta64[D]")
    since[i] = np.select(
        [scope == "calendar_year", scope == "rolling_days"],
        [year_start.astype("datetime64[ns]"), window_start],
        np.datetime64("NaT", "ns"),
    )
    return k, since


def pattern_reached(
    w: pd.DataFrame, events: np.ndarray, day: np.ndarray, client: np.ndarray, count: int, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sessions at which a client reaches ``count`` events within ``days`` days (the
    count at each event includes itself and events less than ``days`` days before)."""
    reached = np.zeros(len(w), dtype=bool)
    in_window = np.zeros(len(w), dtype=np.int64)
    idx = np.flatnonzero(events)
    if idx.size == 0 or count <= 0:
        return reached, in_window
    i = in_session_order(w, idx)
    c = client[i]
    dnum = day_numbers(day[i])
    key = day_key(c, dnum)
    rank = np.arange(len(i))
    lower = np.searchsorted(key, day_key(c, np.maximum(dnum - days + 1, 0)), "left")
    counts = rank - lower + 1
    same_client = np.r_[False, c[1:] == c[:-1]]
    before = np.r_[0, counts[:-1]]
    hit = (counts >= count) & ~(same_client & (before >= count))
    reached[i] = hit
    in_window[i] = counts
    return reached, in_window
