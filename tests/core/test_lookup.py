"""The core's column helpers against plain one-value readings of the same rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from practicebook.core.lookup import day_key, day_numbers, in_effect, sort_order
from practicebook.core.wording import hours_text, hours_texts, money_texts
from practicebook.money import from_minor

DAY0 = np.datetime64("2025-01-01", "D")


def brute(keys, days, rkeys, starts, ends):
    """Latest start wins, then the first row; blank ends are open."""
    out = []
    for key, day in zip(keys, days, strict=True):
        best = -1
        for j, (rk, s, e) in enumerate(zip(rkeys, starts, ends, strict=True)):
            if rk != key or key < 0 or (s is not None and day < s) or (e is not None and day > e):
                continue
            if best < 0 or _start(starts[best]) < _start(s):
                best = j
        out.append(best)
    return out


def _start(day):
    return -1 if day is None else day


period = st.tuples(
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(0, 40)),
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(period, max_size=6),
    left=st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 45)), max_size=25),
)
def test_in_effect_matches_brute_force(rows, left):
    rkeys = [k for k, _, _ in rows]
    starts = [s for _, s, _ in rows]
    ends = [e for _, _, e in rows]
    keys = np.array([k for k, _ in left], dtype=np.int64)
    days = np.array([DAY0 + d for _, d in left], dtype="datetime64[ns]")

    def dates(values):
        return pd.Series([None if v is None else DAY0 + v for v in values], dtype="datetime64[ns]")

    got = in_effect(
        [keys], days, [np.array(rkeys, dtype=np.int64)], [4], dates(starts), dates(ends)
    )
    want = brute(keys.tolist(), [d for _, d in left], rkeys, starts, ends)
    assert got.tolist() == want


def test_in_effect_without_overlap_takes_the_covering_period():
    starts = pd.Series(pd.to_datetime(["2025-01-01", "2025-07-01", "2025-01-01"]))
    ends = pd.Series(pd.to_datetime(["2025-06-30", None, "2025-03-31"]))
    days = pd.to_datetime(
        ["2025-06-30", "2025-07-01", "2024-12-31", "2025-04-01", "2025-02-01"]
    ).to_numpy()
    keys = np.array([0, 0, 0, 1, 1])
    got = in_effect([keys], days, [np.array([0, 0, 1])], [2], starts, ends)
    assert got.tolist() == [0, 1, -1, -1, 2]


def test_day_keys_sort_by_group_then_day_for_every_day_from_1678():
    days = np.array(
        ["1678-01-01", "1900-03-01", "2199-12-31", "2262-04-11"], dtype="datetime64[ns]"
    )
    numbers = day_numbers(days)
    groups = np.repeat([3, 2, 1, 0], 4)
    keys = day_key(groups, np.tile(numbers, 4))
    want = sorted(range(len(keys)), key=lambda j: (groups[j], numbers[j % 4]))
    assert np.argsort(keys, kind="stable").tolist() == want
    assert (day_key(groups, 0) <= keys).all()
    assert (keys < day_key(groups + 1, 0)).all()


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-3, 40), st.integers(0, 2**40), st.sampled_from(["b", "a", "c"])),
        max_size=30,
    ),
    small=st.booleans(),
)
def test_sort_order_is_a_stable_sort_by_keys_then_text(rows, small):
    first = np.array([r[0] if not small else abs(r[0]) for r in rows], dtype=np.int64)
    second = np.array([r[1] if not small else r[1] % 7 for r in rows], dtype=np.int64)
    ids = np.array([r[2] for r in rows], dtype=object)
    want = sorted(range(len(rows)), key=lambda j: (first[j], second[j], ids[j]))
    assert sort_order([first, second], ids).tolist() == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(10**7), 10**7), max_size=40))
def test_column_texts_match_the_one_value_forms(values):
    """The column forms of hours and money text agree with the Decimal-based ones."""
    seconds = np.array(values, dtype=np.int64)
    assert hours_texts(seconds).tolist() == [hours_text(v) for v in values]
    for currency in ("USD", "JPY", "BHD"):
        assert money_texts(seconds, currency).tolist() == [
            str(from_minor(v, currency)) for v in values
        ]
