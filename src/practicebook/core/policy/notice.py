"""Time for the notice rules: local wall-clock times as UTC instants, notice in seconds,
decimal hours as seconds.

Both the session start and the cancel time are local wall-clock times in the practice
time zone; they are placed on the UTC time line before subtracting, so a cancellation
24 wall-clock hours ahead across the spring-forward night has 23 hours of notice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

__all__ = ["Hours", "localize", "notice_seconds", "seconds"]


def localize(moments: pd.Series, timezone: str) -> pd.Series:
    """Naive local times as UTC instants.

    A wall-clock time that happens twice (the fall-back hour) is read as the first,
    daylight-time one; a time that never happens (the spring-forward hour) is moved
    forward to the first real instant, as a clock on the wall would show it.
    """
    aware = moments.dt.tz_localize(
        timezone, ambiguous=np.ones(len(moments), dtype=bool), nonexistent="shift_forward"
    )
    return aware.dt.tz_convert("UTC")


def notice_seconds(start: pd.Series, cancel: pd.Series, timezone: str) -> np.ndarray:
    """Elapsed seconds from the cancellation to the start (negative after the start).

    Rows without a cancel time get 0; callers mask them.
    """
    out = np.zeros(len(start), dtype=np.int64)
    known = cancel.notna().to_numpy()
    if known.any():
        s = localize(start[known], timezone).to_numpy(dtype="datetime64[ns]")
        c = localize(cancel[known], timezone).to_numpy(dtype="datetime64[ns]")
        out[known] = (s - c).astype("timedelta64[s]").astype(np.int64)
    return out


#: A value of an hours column: an exact decimal, or blank (``None``, NaN or ``pd.NA``).
Hours = Decimal | float | None


def seconds(hours: Hours) -> int | None:
    """Decimal hours as whole seconds (half-up), ``None`` when blank."""
    if hours is None or (isinstance(hours, float) and np.isnan(hours)) or hours is pd.NA:
        return None
    return int((Decimal(hours) * 3600).to_integral_value(ROUND_HALF_UP))
