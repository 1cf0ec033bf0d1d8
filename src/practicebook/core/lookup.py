"""Vectorised look-ups shared by the fee and policy engines.

The core works on integer codes rather than ID strings: every ID column is turned into
positions in one small index once (``codes``), so joins, sorts and group-bys run on
``int64`` arrays. ``in_effect`` finds, for each session, the row of a dated table
(Services, Rates, Policies) whose effective period contains the session date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Keys",
    "any_of",
    "arrow",
    "codes",
    "day_key",
    "day_numbers",
    "first_positions",
    "frame",
    "in_effect",
    "sort_order",
    "take",
    "text_column",
]

_EARLIEST = np.datetime64("1678-01-01", "ns")
_LATEST = np.datetime64("2261-12-31", "ns")


def codes(values: pd.Series | np.ndarray, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (``-1`` for a blank or unknown value).

    Python-string columns are looked up as they are: handed over bare, pandas would
    first copy them into an Arrow string array.
    """
    if values.dtype == object:
        values = pd.Index(values, dtype=object)
    found: np.ndarray = index.get_indexer(values)
    return found


def any_of(values: np.ndarray, wanted: list[int]) -> np.ndarray:
    """``np.isin`` for a few small codes, as comparisons (``np.isin`` sorts or builds a
    table first, twenty times slower for a handful of values)."""
    out = np.zeros(len(values), dtype=bool)
    for code in wanted:
        out |= values == code
    return out


@dataclass(frozen=True)
class Keys:
    """An ID column factorised once: a code per row and the distinct values.

    Looking a long column up in another table then costs one hash look-up per distinct
    value and an integer ``take`` per row.
    """

    codes: np.ndarray
    uniques: pd.Index

    @classmethod
    def of(cls, values: pd.Series) -> Keys:
        """Factorise ``values`` (blank values get code ``-1``)."""
        found, uniques = pd.factorize(values)
        return cls(
            found.astype(np.int64), pd.Index(np.asarray(uniques, dtype=object), dtype=object)
        )

    def positions(self, index: pd.Index) -> np.ndarray:
        """Each row's position in ``index`` (unique values), ``-1`` when absent or blank."""
        return take(index.get_indexer(self.uniques).astype(np.int64), self.codes, -1)


def sort_order(
    numeric: list[np.ndarray], ids: np.ndarray | pd.api.extensions.ExtensionArray
) -> np.ndarray:
    """Positions sorting rows by the ``numeric`` keys (first key first), ties by ``ids``
    (an array of Python strings or a ``str`` array).

    Text is compared only inside runs of equal numeric keys, which are few: sorting a
    million ID strings would cost more than everything else.
    """
    order = _numeric_order(numeric)
    if len(order) < 2:
        return order
    same = np.ones(len(order) - 1, dtype=bool)
    for key in numeric:
        ranked = key[order]
        same &= ranked[1:] == ranked[:-1]
    if not same.any():
        return order
    tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
    run = np.cumsum(np.r_[True, ~same])[tied]
    tied_ids = np.asarray(ids[order[tied]], dtype=object)  # Python strings for these only
    order[tied] = order[tied][np.lexsort((tied_ids, run))]
    return order


def arrow(values: object) -> pa.Array | pa.ChunkedArray:
    """The Arrow array under a text column (``large_string``)."""
    if isinstance(values, pd.Series):
        values = values.array
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def text_column(values: object) -> pd.api.extensions.ExtensionArray:
    """Arrow text as a pandas ``str`` array (no copy)."""
    return pd.array(values, dtype="str")


def first_positions(values: object, keys: object) -> np.ndarray:
    """For each value, the position of its first occurrence in ``keys`` (``-1`` when blank
    or absent): one Arrow hash join, with no Python string per row."""
    found = pc.index_in(arrow(values), value_set=arrow(keys), skip_nulls=True)
    positions: np.ndarray = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return positions


def _numeric_order(keys: list[np.ndarray]) -> np.ndarray:
    """A stable sort by several integer keys: small non-negative keys are packed into one
    ``int64`` and sorted once, which is about twice as fast as ``np.lexsort``."""
    if all(len(k) and k.dtype.kind in "iu" for k in keys):
        lows = [int(k.min()) for k in keys]
        bits = [int(k.max()).bit_length() for k in keys]
        if min(lows) >= 0 and sum(bits) <= 62:
            packed = np.zeros(len(keys[0]), dtype=np.int64)
            for key, width in zip(keys, bits, strict=True):
                packed = (packed << width) | key.astype(np.int64)
            return np.argsort(packed, kind="stable")
    return np.lexsort(keys[::-1])


def day_numbers(days: np.ndarray) -> np.ndarray:
    """Whole days since 1678-01-01, the first whole year ``datetime64[ns]`` holds: small
    sort keys, non-negative for every day from then on."""
    elapsed = days.astype("datetime64[D]") - _EARLIEST.astype("datetime64[D]")
    numbers: np.ndarray = elapsed.astype(np.int64)
    return numbers


_DAY_BITS = 18  # 2^18 days is more than the 584 years a datetime64[ns] spans


def day_key(group: np.ndarray, days: np.ndarray | int) -> np.ndarray:
    """One sortable ``int64`` per row of a small non-negative group code and a day number
    (``day_numbers``): code first, then day.

    Keys of one code sit between ``day_key(code, 0)`` and the next code's, so a sorted
    column of them is searched for "this client from that day on". Every day a
    ``datetime64[ns]`` holds from 1678 on takes a number below ``2**18``.

    >>> int(day_key(np.array([2]), 5)[0]) == 2 * 2**18 + 5
    True
    """
    keys: np.ndarray = (group.astype(np.int64, copy=False) << _DAY_BITS) + days
    return keys


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame over freshly built columns, taken as they are.

    Text columns stay Python strings (no Arrow conversion per build), and nothing is
    copied: pandas would otherwise copy every column once for the Series and once more
    to merge same-typed columns, which costs more than building them. Callers hand over
    arrays they do not change afterwards.
    """
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object, copy=False)
            if isinstance(v, np.ndarray) and v.dtype.kind in "OU"
            else v
            for k, v in columns.items()
        },
        copy=False,
    )


def _combine(keys: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """One ``int64`` key out of several small non-negative codes (``-1`` if any is)."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    missing = np.zeros(len(keys[0]), dtype=bool)
    for key, size in zip(keys, sizes, strict=True):
        combined = combined * (size + 1) + key.astype(np.int64)
        missing |= key < 0
    combined[missing] = -1
    return combined


def in_effect(
    left: list[np.ndarray],
    days: np.ndarray,
    right: list[np.ndarray],
    sizes: list[int],
    starts: pd.Series,
    ends: pd.Series,
) -> np.ndarray:
    """For each left row, the position of the right row in effect on its day, or ``-1``.

    ``left`` and ``right`` are matching lists of code arrays (``-1`` never matches);
    ``sizes`` the number of distinct codes of each. A right row is in effect from
    ``starts`` to ``ends`` inclusive, blank meaning unbounded. Overlapping periods are
    reported by the checks; should they occur, the latest start wins, then the first row.
    """
    n = len(days)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(starts) == 0:
        return out
    lkey = _combine(left, sizes)
    rkey = _combine(right, sizes)
    rfrom = starts.to_numpy(dtype="datetime64[ns]", na_value=_EARLIEST)
    rto = ends.to_numpy(dtype="datetime64[ns]", na_value=_LATEST)
    usable = np.flatnonzero(rkey >= 0)
    if usable.size == 0:
        return out
    # right rows by key, then start; equal starts keep the first row last, so the search
    # below lands on it
    usable = usable[np.lexsort((-usable, rfrom[usable].view(np.int64), rkey[usable]))]
    key, first_day, last_day = rkey[usable], rfrom[usable], rto[usable]
    same_key = key[1:] == key[:-1]
    if (same_key & (first_day[1:] <= last_day[:-1])).any():
        return _in_effect_overlapping(lkey, days, rkey, rfrom, rto, out)
    # without overlaps, the row in effect is the key's last one starting on or before
    # the day, if it has not ended by then
    starts_at = day_key(key, day_numbers(first_day))
    at = np.searchsorted(starts_at, day_key(lkey, day_numbers(days)), side="right") - 1
    hit = (lkey >= 0) & (at >= 0) & ~np.isnat(days)
    at = np.where(hit, at, 0)
    hit &= (key[at] == lkey) & (days <= last_day[at])
    out[hit] = usable[at[hit]]
    return out


def _in_effect_overlapping(
    lkey: np.ndarray,
    days: np.ndarray,
    rkey: np.ndarray,
    rfrom: np.ndarray,
    rto: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """``in_effect`` when some key has overlapping periods: every candidate pair."""
    usable = np.flatnonzero(rkey >= 0)
    right_frame = pd.DataFrame({"key": rkey[usable], "pos": usable})
    left_frame = pd.DataFrame({"key": lkey, "left": np.arange(len(lkey))})
    merged = left_frame[lkey >= 0].merge(right_frame, on="key", how="inner")
    if merged.empty:
        return out
    lpos = merged["left"].to_numpy()
    rpos = merged["pos"].to_numpy()
    day = days[lpos]
    ok = (rfrom[rpos] <= day) & (day <= rto[rpos])
    lpos, rpos = lpos[ok], rpos[ok]
    order = np.lexsort((rpos, -rfrom[rpos].astype(np.int64), lpos))
    lpos, rpos = lpos[order], rpos[order]
    first = np.ones(len(lpos), dtype=bool)
    first[1:] = lpos[1:] != lpos[:-1]
    out[lpos[first]] = rpos[first]
    return out


def take(values: np.ndarray, pos: np.ndarray, fill: object) -> np.ndarray:
    """``values[pos]`` with ``fill`` where ``pos`` is ``-1`` (``fill`` sits at index -1)."""
    taken: np.ndarray = np.append(values, np.asarray([fill], dtype=values.dtype))[pos]
    return taken
