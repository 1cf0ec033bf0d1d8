"""The cancellation-policy engine: notice, status, occurrences, grace, tiers, fees, flags.

Rules (domain research §c, C-2 and C-3, with the settled details of issue 3):

* The policy in force is the client's policy, else ``Practice.default_policy_id``, in
  its effective period on the session date (both end dates included).
* Notice is the elapsed time between ``cancel_requested_at`` and ``scheduled_start``.
  Both are local wall-clock times in the practice time zone, so they are placed on the
  UTC time line before subtracting: a cancellation 24 wall-clock hours ahead across the
  spring-forward night has 23 hours of notice. Exactly at the threshold is on time.
* The **recorded** status decides the fee; the status the times imply only raises
  ``status-mismatch``. Cancellations by the clinician or the practice are never charged
  and never counted.
* A late cancellation or no-show costs nothing, with a flag, when the client is
  fee-exempt, the fee is waived, it is the client's first session under an
  intake-exempt policy, it was rescheduled into an attended session within the policy
  window, or its occurrence number is within ``grace_count`` (the first of these wins).
  Otherwise the first matching ``PolicyTiers`` row sets the fee, else the service's
  late-cancel/no-show setting, else the full rate; then ``[min_amount, cap_amount]``.

Everything is computed on whole columns; Python loops run only over the rows a finding
or a basis text is written for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from practicebook.core.findings import rule_flags
from practicebook.core.lookup import any_of, codes, first_positions, in_effect, sort_order, take
from practicebook.core.lookup import frame as object_frame
from practicebook.core.wording import hours_text, hours_texts, money_texts, ordinals, text
from practicebook.issues import Code, Severity
from practicebook.model import ROW, Book
from practicebook.money import from_minor, to_minor
from practicebook.schema import SESSIONS, STATUSES

__all__ = [
    "CANCEL_STATUSES",
    "FEE_CODES",
    "Assessment",
    "StatusColumn",
    "assess",
    "localize",
    "notice_seconds",
]

#: Non-CPT codes of the fee lines; never superbill-eligible.
FEE_CODES = {"late_cancelled": "LATECXL", "no_show": "NOSHOW"}
CHARGEABLE = ("late_cancelled", "no_show")
CANCEL_STATUSES = ("cancelled", "late_cancelled", "no_show", "clinician_cancelled")
_BY_PRACTICE = ("clinician", "practice")
_CANCELLED_BY = SESSIONS.column("cancelled_by").choices
_HELD = ("attended", "non_billable")
#: Zero-fee reasons, in the order the first applicable one is reported.
ZERO_REASONS = (
    Code.FEE_EXEMPT_CLIENT,
    Code.FEE_WAIVED,
    Code.GRACE_INTAKE,
    Code.RESCHEDULE_WAIVED,
    Code.GRACE_APPLIED,
)
_DAY_BITS = 18  # days since 1900 fit in 18 bits; client codes go above them
_EARLIEST_S = np.iinfo(np.int64).min // 1_000_000_000  # the earliest datetime64[ns], in s


# --- time ---------------------------------------------------------------------------


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


def _seconds(hours: object) -> int | None:
    """Decimal hours as whole seconds (half-up), ``None`` when blank."""
    if hours is None or (isinstance(hours, float) and np.isnan(hours)) or hours is pd.NA:
        return None
    return int((Decimal(hours) * 3600).to_integral_value(ROUND_HALF_UP))


def _day_numbers(days: np.ndarray) -> np.ndarray:
    """Days since 1900-01-01 as small non-negative integers."""
    return (days.astype("datetime64[D]") - np.datetime64("1900-01-01", "D")).astype(np.int64)


_STATUS_INDEX = pd.Index(STATUSES, dtype=object)
_STATUS_NAMES = np.array(STATUSES, dtype=object)


def _code(name: str) -> int:
    return STATUSES.index(name)


class StatusColumn:
    """A status column as codes into ``schema.STATUSES``: membership tests then compare
    small integers instead of strings."""

    def __init__(self, status_codes: np.ndarray) -> None:
        self.codes = status_codes

    def isin(self, names: tuple[str, ...]) -> np.ndarray:
        return any_of(self.codes, [STATUSES.index(n) for n in names])

    def eq(self, name: str) -> np.ndarray:
        return self.codes == STATUSES.index(name)


# --- the result ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Assessment:
    """What the policy engine found for each session (rows aligned with the input).

    ``frame`` columns: ``policy_id``, ``notice_seconds`` (``Int64``, blank without a
    cancel time), ``computed_status``, ``occurrence`` (``Int64``, blank when the session
    does not count), ``fee`` (``Int64`` minor units, blank unless the recorded status
    is late_cancelled or no_show), ``fee_code`` (``LATECXL``/``NOSHOW``), ``reason``
    (the zero-fee flag code) and ``basis`` (the one-line explanation, for every
    cancellation-type row) and ``logged`` (the session belongs in the cancellation log:
    recorded or computed as a cancellation of some kind). ``flags`` holds the findings,
    the columns of one rule each (``practicebook.core.findings.combine`` puts them in order).
    """

    frame: pd.DataFrame
    flags: list[dict[str, np.ndarray]]


@dataclass
class _Policy:
    """Per-session attributes of the policy in force (blank/zero where none)."""

    pos: np.ndarray
    policy_id: np.ndarray
    threshold: np.ndarray  # notice seconds
    ns_grace: np.ndarray
    after_start: np.ndarray  # status code a cancellation at or after the start gets
    grace_count: np.ndarray
    grace_scope: np.ndarray
    rolling_days: np.ndarray
    exempt_intake: np.ndarray
    reschedule_waiver: np.ndarray
    window_days: np.ndarray
    min_amount: np.ndarray
    cap_amount: np.ndarray
    found: np.ndarray  # a policy is in force


def _first_rows(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.Index]:
    """The first row per key (duplicates are reported by the parser) and its index."""
    unique = frame[~frame[key].duplicated()].reset_index(drop=True)
    return unique, pd.Index(unique[key])


def _client_rows(book: Book, client_index: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """The Clients rows (first per ID) and, per code of ``client_index``, its row."""
    clients, index = _first_rows(book.clients, "client_id")
    return clients, codes(client_index, index)


def _policy_in_force(
    book: Book, w: pd.DataFrame, day: np.ndarray, client_index: pd.Index
) -> _Policy:
    clients, row_of = _client_rows(book, client_index)
    chosen = pd.Series(
        take(clients["policy_id"].to_numpy(dtype=object), row_of, None), dtype=object
    )
    default = book.settings.default_policy_id
    if default:
        chosen = chosen.where(chosen.notna(), default)
    policies = book.policies
    ids = pd.Index(pd.unique(policies["policy_id"]))
    wanted = take(codes(chosen, ids), w["_client"].to_numpy(dtype=np.int64), -1)
    pos = in_effect(
        [wanted],
        day,
        [codes(policies["policy_id"], ids)],
        [len(ids)],
        policies["effective_from"],
        policies["effective_to"],
    )

    def col(name: str, fill: object, dtype: object = None) -> np.ndarray:
        values = policies[name]
        arr = (
            values.to_numpy(dtype=dtype, na_value=fill)
            if dtype is not None
            else values.to_numpy(dtype=object)
        )
        return take(arr, pos, fill)

    thresholds = np.array([_seconds(h) or 0 for h in policies["notice_hours"]], dtype=np.int64)
    return _Policy(
        pos=pos,
        policy_id=col("policy_id", None),
        threshold=take(thresholds, pos, 0),
        # minutes, counts and days fit 32 bits, a status code 8: a million sessions'
        # policy columns stay small
        ns_grace=_int32(col("ns_grace_minutes", 15, np.int64)),
        after_start=take(
            codes(policies["cancel_after_start_is"], _STATUS_INDEX), pos, _code("no_show")
        ).astype(np.int8),
        grace_count=_int32(col("grace_count", 0, np.int64)),
        grace_scope=col("grace_scope", "lifetime"),
        rolling_days=_int32(col("grace_rolling_days", 365, np.int64)),
        exempt_intake=col("exempt_intake", False, bool),
        reschedule_waiver=col("reschedule_waiver", False, bool),
        window_days=_int32(col("reschedule_window_days", 7, np.int64)),
        min_amount=col("min_amount", -1, np.int64),
        cap_amount=col("cap_amount", -1, np.int64),
        found=pos >= 0,
    )


def _int32(values: np.ndarray) -> np.ndarray:
    """Whole numbers held in 32 bits; beyond that range (a grace count of three billion
    means "always") they are held at its ends, which no count of sessions reaches."""
    bounds = np.iinfo(np.int32)
    return np.clip(values, bounds.min, bounds.max).astype(np.int32)


# --- classification -----------------------------------------------------------------


def _computed_status(
    w: pd.DataFrame, st: StatusColumn, pol: _Policy, notice: np.ndarray, by_practice: np.ndarray
) -> StatusColumn:
    """C-2 in order; the first matching rule wins."""
    has_t = w["cancel_requested_at"].notna().to_numpy()
    after = has_t & (notice <= 0)
    rules = [
        (by_practice, _code("clinician_cancelled")),
        (st.isin((*_HELD, "scheduled")), st.codes),
        (~has_t & st.eq("no_show"), _code("no_show")),
        (~has_t | ~pol.found, st.codes),
        (after, pol.after_start),
        (notice >= pol.threshold, _code("cancelled")),
    ]
    return StatusColumn(
        np.select([m for m, _ in rules], [v for _, v in rules], _code("late_cancelled"))
    )


def _in_session_order(w: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by client, start, then session id."""
    # whole seconds since the earliest datetime64[ns] (non-negative, so small keys sorted
    # in one pass; starts within the same second are then ordered by id)
    start = (
        w["scheduled_start"].to_numpy(dtype="datetime64[ns]").view(np.int64) // 1_000_000_000
        - _EARLIEST_S
    )
    client = w["_client"].to_numpy(dtype=np.int64)
    sid = w["session_id"].array  # read for a few rows at a time
    return rows[sort_order([client[rows], start[rows]], sid[rows])]


def _first_session(w: pd.DataFrame) -> np.ndarray:
    """True for each client's earliest session of any status (tie: lowest id)."""
    out = np.zeros(len(w), dtype=bool)
    if len(w) == 0:
        return out
    client = w["_client"].to_numpy(dtype=np.int64)
    start = w["scheduled_start"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    earliest = np.full(int(client.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, client, start)
    # only the sessions at their client's earliest start need ordering (ties: by id)
    ordered = _in_session_order(w, np.flatnonzero(start == earliest[client]))
    who = client[ordered]
    out[ordered[np.r_[True, who[1:] != who[:-1]]]] = True
    return out


def _rescheduled_into_attended(w: pd.DataFrame, pol: _Policy, day: np.ndarray) -> np.ndarray:
    """C-2.7: moved to a session that was attended within the policy's window."""
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


# --- occurrences --------------------------------------------------------------------


def _occurrences(
    w: pd.DataFrame, counted: np.ndarray, day: np.ndarray, client: np.ndarray, pol: _Policy
) -> tuple[np.ndarray, np.ndarray]:
    """Occurrence number of each counted session in its policy's grace scope, and the
    first day of that scope (NaT for lifetime). Numbered from 1 in session order."""
    n = len(w)
    k = np.zeros(n, dtype=np.int64)
    since = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    idx = np.flatnonzero(counted)
    if idx.size == 0:
        return k, since
    i = _in_session_order(w, idx)
    c = client[i]
    dnum = _day_numbers(day[i])
    rank = np.arange(len(i))
    key = (c << _DAY_BITS) + dnum
    group_start = np.searchsorted(key, c << _DAY_BITS, side="left")
    lifetime = rank - group_start + 1
    years = day[i].astype("datetime64[Y]")
    year_start = years.astype("datetime64[D]")
    ystart_num = _day_numbers(year_start)
    calendar = rank - np.searchsorted(key, (c << _DAY_BITS) + ystart_num, side="left") + 1
    window = pol.rolling_days[i]
    first_in_window = dnum - window + 1
    rolling = (
        rank
        - np.searchsorted(key, (c << _DAY_BITS) + np.maximum(first_in_window, 0), side="left")
        + 1
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


def _pattern_reached(
    w: pd.DataFrame, events: np.ndarray, day: np.ndarray, client: np.ndarray, count: int, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sessions at which a client reaches ``count`` events within ``days`` days (the
    count at each event includes itself and events less than ``days`` days before)."""
    reached = np.zeros(len(w), dtype=bool)
    in_window = np.zeros(len(w), dtype=np.int64)
    idx = np.flatnonzero(events)
    if idx.size == 0 or count <= 0:
        return reached, in_window
    i = _in_session_order(w, idx)
    c = client[i]
    dnum = _day_numbers(day[i])
    key = (c << _DAY_BITS) + dnum
    rank = np.arange(len(i))
    lower = np.searchsorted(key, (c << _DAY_BITS) + np.maximum(dnum - days + 1, 0), "left")
    counts = rank - lower + 1
    same_client = np.r_[False, c[1:] == c[:-1]]
    before = np.r_[0, counts[:-1]]
    hit = (counts >= count) & ~(same_client & (before >= count))
    reached[i] = hit
    in_window[i] = counts
    return reached, in_window


# --- fees ---------------------------------------------------------------------------


@dataclass
class _Rule:
    """The fee rule chosen for each charged session."""

    charge_type: np.ndarray  # none / percent / flat / full
    value: np.ndarray  # Decimal or None
    source: np.ndarray  # text for the basis


def _tier_rules(
    book: Book,
    rows: np.ndarray,
    pol: _Policy,
    status: np.ndarray,
    notice: np.ndarray,
    has_t: np.ndarray,
    k: np.ndarray,
) -> np.ndarray:
    """Position of the first PolicyTiers row matching each of ``rows`` (-1 for none).

    A policy has a handful of tiers, so each tier is tried on every row in turn, first
    tier first; a row keeps the first tier that matches it.
    """
    tiers = book.policy_tiers
    out = np.full(len(rows), -1, dtype=np.int64)
    if tiers.empty or rows.size == 0:
        return out
    ids = pd.Index(pd.unique(tiers["policy_id"]))
    policy = codes(pd.Series(pol.policy_id[rows], dtype=object), ids)
    late = status[rows] == "late_cancelled"
    band = np.where(has_t[rows] & (notice[rows] > 0), notice[rows], 0)
    occ = k[rows]
    tier_policy = codes(tiers["policy_id"], ids)
    applies = tiers["applies_to"].to_numpy(dtype=object)
    lo = [_seconds(h) or 0 for h in tiers["min_notice_hours"]]
    hi = [_seconds(h) for h in tiers["max_notice_hours"]]
    occ_from = tiers["occurrence_from"].to_numpy(dtype=np.int64, na_value=1)
    occ_to = tiers["occurrence_to"].to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).max)
    for t in range(len(tiers)):
        if tier_policy[t] < 0 or applies[t] not in ("late_cancel", "no_show"):
            continue
        hit = (
            (out < 0)
            & (policy == tier_policy[t])
            & (late if applies[t] == "late_cancel" else ~late)
            & (band >= lo[t])
            & (occ >= occ_from[t])
            & (occ <= occ_to[t])
        )
        if hi[t] is not None:
            hit &= band < hi[t]
        out[hit] = t
    return out


def _band_text(lo: object, hi: object) -> str:
    lo_s, hi_s = _seconds(lo) or 0, _seconds(hi)
    if hi_s is None:
        return "any notice" if lo_s == 0 else f"≥ {hours_text(lo_s)} h"
    return f"{hours_text(lo_s)}–{hours_text(hi_s)} h"


def _choose_rules(
    book: Book, w: pd.DataFrame, rows: np.ndarray, tier: np.ndarray, status: np.ndarray
) -> _Rule:
    """The tier's rule, else the service's lc/ns setting, else the full rate."""
    n = len(rows)
    charge_type = np.full(n, "full", dtype=object)
    value = np.full(n, None, dtype=object)
    source = np.full(n, "no tier or service fee set", dtype=object)
    services = book.services
    spos = w["_service"].to_numpy()[rows]
    late = status[rows] == "late_cancelled"
    code = w["service_code"].to_numpy(dtype=object)[rows]
    for prefix, mask, label in (("lc", late, "late-cancel"), ("ns", ~late, "no-show")):
        s_type = take(
            services[f"{prefix}_fee_type"].to_numpy(dtype=object, na_value=None), spos, None
        )
        s_value = take(services[f"{prefix}_fee_value"].to_numpy(dtype=object), spos, None)
        use = mask & (tier < 0) & pd.notna(s_type)
        charge_type[use] = s_type[use]
        value[use] = s_value[use]
        source[use] = text("service ", code[use], f" {label} fee")
    has_tier = tier >= 0
    if has_tier.any():
        tiers = book.policy_tiers
        t = tier[has_tier]
        charge_type[has_tier] = tiers["charge_type"].to_numpy(dtype=object)[t]
        value[has_tier] = tiers["charge_value"].to_numpy(dtype=object)[t]
        lo = tiers["min_notice_hours"].to_numpy(dtype=object)
        hi = tiers["max_notice_hours"].to_numpy(dtype=object)
        band = np.array(
            [f"tier {_band_text(a, b)}" for a, b in zip(lo, hi, strict=True)], dtype=object
        )
        source[has_tier] = band[t]
    return _Rule(charge_type, value, source)


def _rule_groups(rule: _Rule, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A group number per row for each distinct (charge type, value, rate), and the first
    row of each group: fees and their wording are worked out once per group."""
    if len(rate) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(rate), dtype=np.int64)
    for values in (rule.charge_type, rule.value, rate):
        key, distinct = pd.factorize(values)  # -1 for a blank value
        combined = combined * (len(distinct) + 1) + key + 1
    _, first, group = np.unique(combined, return_index=True, return_inverse=True)
    return group.reshape(-1), first


def _amounts(
    rule: _Rule, rate: np.ndarray, group: np.ndarray, first: np.ndarray, currency: str
) -> np.ndarray:
    """Fee per row in minor units, computed exactly once per group (``_rule_groups``)."""
    amounts = np.array(
        [
            _amount(str(rule.charge_type[row]), rule.value[row], int(rate[row]), currency)
            for row in first
        ],
        dtype=np.int64,
    )
    return amounts[group]


def _amount(charge_type: str, value: object, rate: int, currency: str) -> int:
    if charge_type == "none":
        return 0
    if charge_type == "full":
        return rate
    number = Decimal(value) if value is not None and not pd.isna(value) else Decimal(0)
    if charge_type == "flat":
        return to_minor(number, currency)
    exact = Decimal(rate) * number / 100
    return int(exact.to_integral_value(ROUND_HALF_UP))


def _rule_text(charge_type: str, value: object, rate: int, currency: str) -> str:
    if charge_type == "none":
        return "no fee"
    if charge_type == "full":
        return f"full rate {from_minor(rate, currency)}"
    number = Decimal(value) if value is not None and not pd.isna(value) else Decimal(0)
    if charge_type == "flat":
        return f"flat {from_minor(int(_amount('flat', number, rate, currency)), currency)}"
    return f"{format(number.normalize(), 'f')}% of {from_minor(rate, currency)}"


# --- the engine ---------------------------------------------------------------------


def assess(book: Book, w: pd.DataFrame, as_of: pd.Timestamp, client_index: pd.Index) -> Assessment:
    """Classify every session and price its late cancellation or no-show.

    Args:
        book: the parsed workbook (policies, tiers, clients, services, settings).
        w: the Sessions rows dated on or before ``as_of`` (index ``0..n-1``) with extra
            columns: ``_client`` (position in ``client_index``), ``_rate`` (the session
            rate in minor units, C-1), ``_service`` (position of the Services row in
            effect, ``-1`` for none), ``_day`` (the session's day: ``scheduled_start`` at
            midnight), and ``_status`` and ``_cancelled_by`` (positions of the values among
            the schema's choices, ``-1`` for blank).
        as_of: the reconciliation date.
        client_index: every client ID, once.
    """
    settings = book.settings
    currency = settings.currency
    day = w["_day"].to_numpy(dtype="datetime64[ns]")
    client = w["_client"].to_numpy(dtype=np.int64)
    status = w["status"].to_numpy(dtype=object)
    pol = _policy_in_force(book, w, day, client_index)
    has_t = w["cancel_requested_at"].notna().to_numpy()
    notice = notice_seconds(w["scheduled_start"], w["cancel_requested_at"], settings.timezone)
    by_practice = any_of(
        w["_cancelled_by"].to_numpy(), [_CANCELLED_BY.index(who) for who in _BY_PRACTICE]
    )
    st = StatusColumn(w["_status"].to_numpy())
    computed = _computed_status(w, st, pol, notice, by_practice)

    clients, row_of = _client_rows(book, client_index)
    exempt = take(take(clients["fee_exempt"].to_numpy(dtype=bool), row_of, False), client, False)
    ack = take(
        take(
            clients["policy_ack_date"].to_numpy(dtype="datetime64[ns]"),
            row_of,
            np.datetime64("NaT"),
        ),
        client,
        np.datetime64("NaT"),
    )

    chargeable = st.isin(CHARGEABLE) & ~by_practice
    waived = w["fee_waived"].to_numpy(dtype=bool) & chargeable
    intake = chargeable & pol.exempt_intake & _first_session(w)
    moved = chargeable & _rescheduled_into_attended(w, pol, day)
    counted = chargeable & pol.found & ~exempt & ~intake & ~moved
    k, since = _occurrences(w, counted, day, client, pol)
    grace = counted & (k <= pol.grace_count)
    reasons = [chargeable & exempt, waived, intake, moved, grace]
    # 1 + position in ZERO_REASONS, 0 for none: compared as small integers below
    reason_code = np.select(reasons, range(1, len(ZERO_REASONS) + 1), 0).astype(np.int8)
    priced = chargeable & (reason_code == 0)

    fee = np.zeros(len(w), dtype=np.int64)
    basis = np.full(len(w), None, dtype=object)
    rows = np.flatnonzero(priced)
    fee[rows], basis[rows] = _price(book, w, rows, pol, status, notice, has_t, k, since, currency)

    # text columns with a few values are categorical: one byte per session, not a
    # pointer, which matters at a million sessions
    fee_codes = [FEE_CODES["late_cancelled"], FEE_CODES["no_show"]]  # categories 0, 1
    fee_code = np.where(chargeable, np.where(st.eq("late_cancelled"), 0, 1), -1)
    frame = object_frame(
        {
            "policy_id": pol.policy_id,
            "notice_seconds": pd.arrays.IntegerArray(np.where(has_t, notice, 0), ~has_t),
            "computed_status": pd.Categorical.from_codes(computed.codes, STATUSES),
            "occurrence": pd.arrays.IntegerArray(k, ~counted),
            "fee": pd.arrays.IntegerArray(fee, ~chargeable),
            "fee_code": pd.Categorical.from_codes(fee_code, fee_codes),
            "reason": pd.Categorical.from_codes(
                reason_code.astype(np.int64) - 1, [c.value for c in ZERO_REASONS]
            ),
            "basis": basis,
        }
    )
    frame["logged"] = st.isin(CANCEL_STATUSES) | computed.isin(CANCEL_STATUSES)
    _fill_other_basis(frame, w, pol, st, by_practice, has_t, notice, k, since)
    flags = _issues(
        book,
        w,
        frame,
        pol,
        day,
        client,
        as_of,
        st,
        computed,
        by_practice,
        has_t,
        notice,
        chargeable,
        waived,
        exempt,
        ack,
        reason_code,
    )
    return Assessment(frame, flags)


def _price(
    book: Book,
    w: pd.DataFrame,
    rows: np.ndarray,
    pol: _Policy,
    status: np.ndarray,
    notice: np.ndarray,
    has_t: np.ndarray,
    k: np.ndarray,
    since: np.ndarray,
    currency: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Fee and basis of the late cancellations and no-shows in ``rows`` that are charged:
    the rule (tier, service setting, full rate), then the policy's minimum and cap."""
    rate = w["_rate"].to_numpy(dtype=np.int64)[rows]
    tier = _tier_rules(book, rows, pol, status, notice, has_t, k)
    rule = _choose_rules(book, w, rows, tier, status)
    group, first = _rule_groups(rule, rate)
    raw = _amounts(rule, rate, group, first, currency)
    low, cap = pol.min_amount[rows], pol.cap_amount[rows]
    charges = rule.charge_type != "none"
    raised = charges & (low >= 0) & (raw < low)
    capped = charges & (cap >= 0) & (np.where(raised, low, raw) > cap)
    fee = np.where(capped, cap, np.where(raised, low, raw))
    heads = np.array(
        [
            _rule_text(str(rule.charge_type[j]), rule.value[j], int(rate[j]), currency)
            for j in first
        ],
        dtype=object,
    )[group]
    return fee, _priced_basis(
        heads,
        rule.source,
        k[rows],
        since[rows],
        pol.found[rows],
        raised,
        capped,
        low,
        cap,
        currency,
    )


def _priced_basis(
    heads: np.ndarray,
    source: np.ndarray,
    k: np.ndarray,
    since: np.ndarray,
    found: np.ndarray,
    raised: np.ndarray,
    capped: np.ndarray,
    low: np.ndarray,
    cap: np.ndarray,
    currency: str,
) -> np.ndarray:
    """``50% of 150.00 (tier 24–48 h, 2nd occurrence since 2026-01-01)``."""
    if len(heads) == 0:
        return np.empty(0, dtype=object)
    where = np.where(
        found,
        text(ordinals(k), " occurrence", np.where(np.isnat(since), "", text(" since ", since))),
        "no cancellation policy in force",
    )
    basis = text(heads, " (", source, ", ", where, ")")
    for mask, words, limit in (
        (raised, ", raised to the minimum ", low),
        (capped, ", capped at ", cap),
    ):
        if mask.any():
            basis[mask] = text(basis[mask], words, money_texts(limit[mask], currency))
    return basis


def _fill_other_basis(
    frame: pd.DataFrame,
    w: pd.DataFrame,
    pol: _Policy,
    st: StatusColumn,
    by_practice: np.ndarray,
    has_t: np.ndarray,
    notice: np.ndarray,
    k: np.ndarray,
    since: np.ndarray,
) -> None:
    """Why a cancellation-type session costs nothing, in one line (priced rows already
    have their basis; every chargeable row left has a zero-fee reason)."""
    j = np.flatnonzero(frame["logged"].to_numpy() & frame["basis"].isna().to_numpy())
    if j.size == 0:
        return
    reason = frame["reason"].iloc[j].to_numpy(dtype=object)
    texts = text("no fee: recorded as ", w["status"].to_numpy(dtype=object)[j])
    rules = [  # later rules win where several apply, so the most specific goes last
        (
            st.eq("cancelled")[j] & has_t[j] & pol.found[j],
            lambda i: text(
                "no fee: cancelled with ",
                hours_texts(notice[i]),
                " h notice (policy ",
                pol.policy_id[i],
                " asks ",
                hours_texts(pol.threshold[i]),
                " h)",
            ),
        ),
        (
            st.eq("clinician_cancelled")[j],
            lambda i: "no fee: recorded as cancelled by the clinician",
        ),
        (
            reason == Code.GRACE_APPLIED.value,
            lambda i: text(
                "no fee: grace for the ",
                ordinals(k[i]),
                " occurrence",
                np.where(np.isnat(since[i]), "", text(" since ", since[i])),
                " (policy ",
                pol.policy_id[i],
                " forgives ",
                pol.grace_count[i],
                ")",
            ),
        ),
        (
            reason == Code.RESCHEDULE_WAIVED.value,
            lambda i: text(
                "no fee: rescheduled to ",
                w["rescheduled_to_session_id"].iloc[i].to_numpy(dtype=object),
                " within ",
                pol.window_days[i],
                " days",
            ),
        ),
        (
            reason == Code.GRACE_INTAKE.value,
            lambda i: text("no fee: first session, intake exempt under ", pol.policy_id[i]),
        ),
        (reason == Code.FEE_WAIVED.value, lambda i: "no fee: waived"),
        (reason == Code.FEE_EXEMPT_CLIENT.value, lambda i: "no fee: the client is fee-exempt"),
        (
            by_practice[j],
            lambda i: text(
                "no fee: cancelled by the ", w["cancelled_by"].to_numpy(dtype=object)[i]
            ),
        ),
    ]
    for mask, message in rules:
        if mask.any():
            texts[mask] = message(j[mask])
    frame.loc[j, "basis"] = pd.Series(texts, index=j, dtype=object)


# --- findings -----------------------------------------------------------------------


def _issues(
    book: Book,
    w: pd.DataFrame,
    frame: pd.DataFrame,
    pol: _Policy,
    day: np.ndarray,
    client: np.ndarray,
    as_of: pd.Timestamp,
    st: StatusColumn,
    computed: StatusColumn,
    by_practice: np.ndarray,
    has_t: np.ndarray,
    notice: np.ndarray,
    chargeable: np.ndarray,
    waived: np.ndarray,
    exempt: np.ndarray,
    ack: np.ndarray,
    reason_code: np.ndarray,
) -> list[dict[str, np.ndarray]]:
    """Every session finding, one set of columns per rule, messages built column-wise."""
    settings = book.settings
    status = w["status"].to_numpy(dtype=object)
    sid = w["session_id"].array  # read for a few rows at a time
    cid = w["client_id"].to_numpy(dtype=object)
    rows = w[ROW].to_numpy()
    late_cancelled = st.eq("late_cancelled")

    def kind(j: np.ndarray) -> np.ndarray:
        return np.where(late_cancelled[j], "late-cancel", "no-show").astype(object)

    found: list[dict[str, np.ndarray]] = []

    def add(mask: np.ndarray, code: Code, severity: Severity, key: str, message, hint: str) -> None:
        j = np.flatnonzero(mask)
        if j.size:
            found.append(
                rule_flags(
                    code,
                    severity,
                    book.cell("Sessions", key, 0),
                    rows[j],
                    sid[j],
                    cid[j],
                    message(j),
                    hint,
                )
            )

    def hours(j: np.ndarray) -> np.ndarray:
        return hours_texts(notice[j])

    def threshold(j: np.ndarray) -> np.ndarray:
        return hours_texts(pol.threshold[j])

    add(
        st.eq("scheduled") & (day < as_of.to_datetime64()),
        Code.UNRESOLVED_PAST_SESSION,
        Severity.WARNING,
        "status",
        lambda j: text("session ", sid[j], " on ", day[j], " is still marked scheduled"),
        "Record what happened: attended, cancelled, late_cancelled, no_show…",
    )
    _duration_issues(book, w, st, add)

    def implied(j: np.ndarray) -> np.ndarray:
        return np.select(
            [by_practice[j], ~has_t[j], notice[j] <= 0],
            [
                "the cancellation came from the practice, so it is",
                "without a cancel time it is",
                "it was cancelled after the start, so its policy counts it as",
            ],
            "the notice makes it",
        ).astype(object)

    mismatch = (computed.codes != st.codes) & ~st.eq("scheduled")

    def computed_names(j: np.ndarray) -> np.ndarray:
        return take(_STATUS_NAMES, computed.codes[j], None)

    add(
        mismatch,
        Code.STATUS_MISMATCH,
        Severity.WARNING,
        "status",
        lambda j: text(
            "session ",
            sid[j],
            " is recorded as ",
            status[j],
            " but ",
            implied(j),
            " ",
            computed_names(j),
            np.where(
                has_t[j] & pol.found[j],
                text(
                    " (",
                    hours(j),
                    " h notice, policy ",
                    pol.policy_id[j],
                    " asks ",
                    threshold(j),
                    " h)",
                ),
                "",
            ),
        ),
        "The recorded status decides the fee; correct it if the times are right.",
    )
    add(
        st.isin(("cancelled", "late_cancelled")) & ~has_t & ~by_practice,
        Code.MISSING_CANCEL_TIME,
        Severity.WARNING,
        "cancel_requested_at",
        lambda j: text("session ", sid[j], " is ", status[j], " but has no cancel time"),
        "Fill in Cancel Requested At so the notice can be checked.",
    )
    near = (
        has_t
        & (notice > 0)
        & pol.found
        & ~by_practice
        & st.isin(CANCEL_STATUSES)
        & (np.abs(notice - pol.threshold) < 3600)
    )
    add(
        near,
        Code.NOTICE_NEAR_THRESHOLD,
        Severity.WARNING,
        "cancel_requested_at",
        lambda j: text(
            "session ",
            sid[j],
            " was cancelled ",
            hours(j),
            " h ahead, within an hour of the ",
            threshold(j),
            " h notice of policy ",
            pol.policy_id[j],
        ),
        "Borderline: check the cancel time before a fee is charged.",
    )
    late = w["arrived_minutes_late"].to_numpy(dtype=np.int64, na_value=0)
    add(
        st.isin(_HELD) & (late > pol.ns_grace),
        Code.LATE_ARRIVAL,
        Severity.NOTE,
        "arrived_minutes_late",
        lambda j: text(
            "the client arrived ",
            late[j],
            " minutes late to session ",
            sid[j],
            " (grace ",
            pol.ns_grace[j],
            " minutes)",
        ),
        "The full session fee still applies.",
    )
    add(
        chargeable & ~pol.found,
        Code.NO_POLICY_IN_FORCE,
        Severity.WARNING,
        "status",
        lambda j: text(
            "no cancellation policy is in force for session ",
            sid[j],
            " on ",
            day[j],
            "; the fee follows the service settings",
        ),
        "Set default_policy_id on the Practice sheet or a policy on the client.",
    )
    k = frame["occurrence"].to_numpy(dtype=np.int64, na_value=0)
    zero_text = {
        Code.FEE_EXEMPT_CLIENT: lambda j: text(
            "no ", kind(j), " fee for session ", sid[j], ": client ", cid[j], " is fee-exempt"
        ),
        Code.FEE_WAIVED: lambda j: text("the ", kind(j), " fee for session ", sid[j], " is waived"),
        Code.GRACE_INTAKE: lambda j: text(
            "no ",
            kind(j),
            " fee for session ",
            sid[j],
            ": the client's first session, exempt under policy ",
            pol.policy_id[j],
        ),
        Code.RESCHEDULE_WAIVED: lambda j: text(
            "no ",
            kind(j),
            " fee for session ",
            sid[j],
            ": rescheduled into an attended session within ",
            pol.window_days[j],
            " days",
        ),
        Code.GRACE_APPLIED: lambda j: text(
            "no ",
            kind(j),
            " fee for session ",
            sid[j],
            ": ",
            ordinals(k[j]),
            " occurrence, policy ",
            pol.policy_id[j],
            " forgives ",
            pol.grace_count[j],
        ),
    }
    for code, message in zero_text.items():
        add(
            reason_code == 1 + ZERO_REASONS.index(code),
            code,
            Severity.NOTE,
            "fee_waived" if code is Code.FEE_WAIVED else "status",
            message,
            "",
        )
    add(
        waived & w["waiver_reason"].isna().to_numpy(),
        Code.WAIVER_WITHOUT_REASON,
        Severity.WARNING,
        "waiver_reason",
        lambda j: text("the ", kind(j), " fee for session ", sid[j], " is waived without a reason"),
        "Fill in Waiver Reason (illness, emergency, weather…).",
    )
    fee = frame["fee"].to_numpy(dtype=np.int64, na_value=0)
    add(
        (fee > 0) & (np.isnat(ack) | (ack > day)),
        Code.POLICY_NOT_ACKNOWLEDGED,
        Severity.WARNING,
        "status",
        lambda j: text(
            "a ",
            kind(j),
            " fee of ",
            money_texts(fee[j], settings.currency),
            " is charged for session ",
            sid[j],
            " but client ",
            cid[j],
            " had not acknowledged the policy by ",
            day[j],
        ),
        "Record Policy Ack Date on the Clients sheet, or waive the fee.",
    )
    reached, counts = _pattern_reached(
        w, chargeable, day, client, settings.pattern_count, settings.pattern_days
    )
    add(
        reached,
        Code.CANCELLATION_PATTERN,
        Severity.WARNING,
        "status",
        lambda j: text(
            "client ",
            cid[j],
            " has ",
            counts[j],
            f" late cancellations or no-shows within {settings.pattern_days} days (session ",
            sid[j],
            ")",
        ),
        "Consider talking with the client about attendance.",
    )
    return found


def _duration_issues(book: Book, w: pd.DataFrame, st: StatusColumn, add) -> None:
    """Actual (else scheduled) minutes outside the service's min/max minutes."""
    services = book.services
    spos = w["_service"].to_numpy()
    lo = take(services["min_minutes"].to_numpy(dtype=np.int64, na_value=-1), spos, -1)
    hi = take(services["max_minutes"].to_numpy(dtype=np.int64, na_value=-1), spos, -1)
    actual = w["actual_minutes"].notna().to_numpy()
    minutes = (
        w["actual_minutes"].fillna(w["scheduled_minutes"]).to_numpy(dtype=np.int64, na_value=-1)
    )
    delivered = st.isin(("attended", "non_billable", "scheduled")) & (minutes >= 0)
    outside = delivered & (((lo >= 0) & (minutes < lo)) | ((hi >= 0) & (minutes > hi)))
    sid = w["session_id"].array  # read for a few rows at a time
    code = w["service_code"].to_numpy(dtype=object)

    def message(j: np.ndarray) -> np.ndarray:
        span = np.select(
            [(lo[j] >= 0) & (hi[j] >= 0), lo[j] >= 0],
            [text(lo[j], "–", hi[j]), text("at least ", lo[j])],
            text("at most ", hi[j]),
        )
        return text(
            "session ",
            sid[j],
            " lasted ",
            minutes[j],
            " minutes; ",
            code[j],
            " is for ",
            span,
            " minutes",
        )

    for column, mask in (("actual_minutes", actual), ("scheduled_minutes", ~actual)):
        add(
            outside & mask,
            Code.CPT_DURATION_MISMATCH,
            Severity.WARNING,
            column,
            message,
            "Check the minutes or the service code.",
        )
