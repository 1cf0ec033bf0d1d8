"""What-if: the workbook's history under changed policy settings, compared with the
current policy per client, per session and per finding code.

Two modes:

* ``replay`` (the default) answers "what if we had required 48 hours?": every client
  cancellation with a cancel time (recorded ``cancelled`` or ``late_cancelled``) gets
  the status the policy gives its times, as if the policy had been applied when the
  cancellation came in: the current policy for *before*, the changed one for *after*.
  A cancellation 30 hours ahead is ``cancelled`` under a 24-hour policy and
  ``late_cancelled`` under a 48-hour one, and the reverse. Sessions without a cancel
  time, held sessions, no-shows and cancellations by the clinician or the practice keep
  their recorded status. Fees follow the statuses.
* ``recorded`` holds every recorded status fixed: the recorded status decides the fee,
  so only fee rules take effect (grace, tiers, intake); a changed notice period then
  changes findings (``status-mismatch``), never a fee.

Where the recorded statuses already differ from what the current policy gives, a replay's
*before* differs from the books; ``Simulation.totals["fees_recorded"]`` keeps the books'
figure beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import numpy as np
import pandas as pd

from practicebook.core import policy
from practicebook.core.amounts import as_money, minor_units, money_total
from practicebook.core.columns import near_id
from practicebook.core.inputs import rows_as_of
from practicebook.core.policy.fees import band_text
from practicebook.core.rates import priced_sessions
from practicebook.core.reconcile import as_of_day, reconcile
from practicebook.core.result import Reconciliation
from practicebook.model import ROW, Book
from practicebook.money import MoneyTextError, parse_number_text
from practicebook.parse.rows import MAX_PERCENT
from practicebook.parse.values import MAX_NUMBER

__all__ = [
    "MODES",
    "POLICY_CHANGES",
    "Simulation",
    "changed_tiers",
    "policy_settings",
    "simulate",
    "typed_changes",
]

Mode = Literal["replay", "recorded"]
#: The modes of ``simulate``: statuses recomputed under each policy, or held as recorded.
MODES: tuple[Mode, ...] = ("replay", "recorded")
#: Recorded statuses a replay recomputes from the times (client cancellations).
_REPLAYED = ("cancelled", "late_cancelled")
#: Statuses a replay may give them (never a cancellation by the clinician).
_REPLAY_TO = ("cancelled", "late_cancelled", "no_show")


#: The largest value of each number ``simulate`` can change: what a cell of the workbook
#: may hold (a percent fee is at most the session's rate).
_MOST: dict[str, Decimal] = {
    "notice_hours": MAX_NUMBER,
    "grace_count": MAX_NUMBER,
    "tier_percent": Decimal(MAX_PERCENT),
}


def _refusal(key: str, number: Decimal) -> str | None:
    """Why ``number`` cannot be the new value of ``key`` (None when it can)."""
    if not number.is_finite():
        return "is not a number"
    if key == "grace_count" and number != number.to_integral_value():
        return "is not a whole number"
    if number < 0:
        return "must not be negative"
    if number > _MOST[key]:
        return f"must be at most {_MOST[key]:,}"
    return None


def _number(key: str) -> Callable[[Any], object]:
    """The reader of a number setting: a ``Decimal`` (a whole ``int`` for counts)."""

    def read(value: Any) -> object:
        try:
            number = Decimal("NaN" if isinstance(value, bool) else str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        why = _refusal(key, number)
        if why is not None:
            raise ValueError(f"{value!r} {why}")
        return int(number) if key == "grace_count" else number

    return read


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    words = {"true": True, "yes": True, "false": False, "no": False}
    if str(value).strip().casefold() in words:
        return words[str(value).strip().casefold()]
    raise ValueError(f"{value!r} is not yes or no")


#: Policy settings ``simulate`` can change, and how a value is read (``ValueError`` when
#: it cannot be).
POLICY_CHANGES: dict[str, Callable[[Any], object]] = {
    "notice_hours": _number("notice_hours"),
    "grace_count": _number("grace_count"),
    "exempt_intake": _yes_no,
    "tier_percent": _number("tier_percent"),
}


def typed_changes(
    typed: Mapping[str, str], locale: str
) -> tuple[dict[str, object], dict[str, str]]:
    """Policy changes as a person typed them (``notice_hours``, ``grace_count``,
    ``tier_percent``), read as numbers in the workbook's ``locale`` (``12,5`` in
    ``de_DE``); blank text changes nothing. Returns the changes for ``simulate`` and, for
    each text that is not a usable value, why.

    >>> typed_changes({"notice_hours": "48", "tier_percent": "12,5", "grace_count": ""}, "de_DE")
    ({'notice_hours': Decimal('48'), 'tier_percent': Decimal('12.5')}, {})
    >>> typed_changes({"grace_count": "1,5", "notice_hours": "-1"}, "de_DE")[1]
    {'grace_count': "'1,5' is not a whole number", 'notice_hours': "'-1' must not be negative"}
    """
    changes: dict[str, object] = {}
    problems: dict[str, str] = {}
    for key, text in typed.items():
        if key not in POLICY_CHANGES or key == "exempt_intake":
            raise ValueError(
                f"cannot type {key!r}; choose from notice_hours, grace_count, tier_percent"
            )
        text = text.strip()
        if not text:
            continue
        try:
            number = parse_number_text(text, locale)
        except MoneyTextError as exc:
            problems[key] = exc.reason if exc.ambiguous else f"{text!r} is not a number"
            continue
        why = _refusal(key, number)
        if why is None:
            changes[key] = POLICY_CHANGES[key](number)
        else:
            problems[key] = f"{text!r} {why}"
    return changes, problems


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Simulation:
    """The workbook's history under changed policy settings, compared with the current
    policy (``mode``: ``replay`` or ``recorded``, see the module).

    Money is exact amounts like the ``Reconciliation``'s (late-cancel and no-show fees).

    * ``per_client``: ``client_id``, ``fees_before``, ``fees_after``, ``fees_change``,
      ``sessions_changed`` (sessions whose status changes), ``charged_before``,
      ``charged_after`` (sessions with a fee), ``newly_charged`` (no fee before, a fee
      after), ``flags_before``, ``flags_after``; every client, in ID order.
    * ``sessions``: each session whose status or fee changes, with ``session_id``,
      ``client_id``, ``date``, ``notice_hours``, ``policy_id``, ``status_before``,
      ``status_after``, ``fee_before``, ``fee_after``, ``fee_change``, ``basis`` (why
      the fee after is what it is) and ``source`` (its cell).
    * ``flags``: ``code``, ``before``, ``after``, ``change``.
    * ``totals``: ``fees_recorded`` (the books as they stand), ``fees_before``,
      ``fees_after``, ``fees_change`` (``Decimal`` with the currency's digits),
      ``sessions_changed``, ``sessions_repriced``, ``clients_charged_before``,
      ``clients_charged_after``, ``clients_newly_charged``, ``clients_no_longer_charged``,
      ``flags_before``, ``flags_after``.
    * ``before``, ``after``: the two reconciliations compared; ``recorded``: the books'.
    """

    changes: Mapping[str, object]
    mode: Mode
    per_client: pd.DataFrame
    sessions: pd.DataFrame
    flags: pd.DataFrame
    totals: dict[str, Decimal | int]
    before: Reconciliation = dataclasses.field(repr=False)
    after: Reconciliation = dataclasses.field(repr=False)
    recorded: Reconciliation = dataclasses.field(repr=False)


def simulate(
    book: Book,
    policy_changes: Mapping[str, object],
    *,
    mode: Mode = "replay",
    policy_id: str | None = None,
    as_of: dt.date | str | None = None,
) -> Simulation:
    """Replay the book under changed policy settings and compare with the current policy.

    Args:
        book: the parsed workbook.
        policy_changes: any of ``notice_hours``, ``grace_count``, ``exempt_intake`` and
            ``tier_percent`` (the percentage of every percent tier: ``changed_tiers``
            lists them), e.g. ``{"notice_hours": 48}``.
        mode: ``replay`` (statuses follow each policy) or ``recorded`` (statuses as
            recorded); see the module.
        policy_id: change only this policy (default: every policy).
        as_of: as for ``reconcile``.

    Raises:
        ValueError: an unknown setting, mode or policy, or a value that cannot be read.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, not {mode!r}")
    day = as_of_day(as_of, book.settings.timezone)
    changed = _with_policy(book, policy_changes, policy_id)
    recorded = reconcile(book, day)
    if mode == "recorded":
        before, after = recorded, reconcile(changed, day)
    else:
        current = _replayed(book, day)
        before = recorded if current is book else reconcile(current, day)
        after = reconcile(_replayed(changed, day), day)
    sessions = _session_changes(before, after)
    per_client = _per_client(before, after, sessions)
    totals = _totals(before, after, recorded, per_client, sessions)
    return Simulation(
        dict(policy_changes),
        mode,
        per_client,
        sessions,
        _flag_changes(before, after),
        totals,
        before,
        after,
        recorded,
    )


# --- the policy and what can change in it -----------------------------------------------


def policy_settings(book: Book, policy_id: str | None = None) -> pd.DataFrame:
    """The current values of the settings ``simulate`` can change, one row per policy
    (or only ``policy_id``'s): ``policy_id``, ``notice_hours``, ``grace_count``,
    ``exempt_intake``; ``changed_tiers`` has the tiers ``tier_percent`` sets."""
    policies = book.policies
    if policy_id is not None:
        policies = policies[policies["policy_id"] == policy_id]
    keys = ["policy_id", "notice_hours", "grace_count", "exempt_intake"]
    return policies[keys].reset_index(drop=True)


def changed_tiers(book: Book, policy_id: str | None = None) -> pd.DataFrame:
    """The PolicyTiers rows ``tier_percent`` sets: every ``percent`` tier (of
    ``policy_id`` only, when given). Columns: ``policy_id``, ``applies_to``, ``band`` (the
    notice band as the fee basis names it, ``12–24 h``), ``percent`` (now) and ``row``
    (its row on the PolicyTiers sheet)."""
    tiers = book.policy_tiers
    chosen = tiers[_percent_tiers(tiers, policy_id)]
    return pd.DataFrame(
        {
            "policy_id": chosen["policy_id"].to_numpy(dtype=object),
            "applies_to": chosen["applies_to"].to_numpy(dtype=object),
            "band": [
                band_text(lo, hi, book.settings.locale)
                for lo, hi in zip(
                    chosen["min_notice_hours"], chosen["max_notice_hours"], strict=True
                )
            ],
            "percent": chosen["charge_value"].to_numpy(dtype=object),
            "row": chosen[ROW].to_numpy(dtype=np.int64),
        }
    )


def _percent_tiers(tiers: pd.DataFrame, policy_id: str | None) -> np.ndarray:
    chosen: np.ndarray = (tiers["charge_type"] == "percent").to_numpy(dtype=bool)
    if policy_id is not None:
        chosen = chosen & (tiers["policy_id"] == policy_id).to_numpy(dtype=bool)
    return chosen


def _with_policy(book: Book, changes: Mapping[str, object], policy_id: str | None) -> Book:
    unknown = set(changes) - set(POLICY_CHANGES)
    if unknown:
        raise ValueError(f"cannot simulate {sorted(unknown)}; choose from {sorted(POLICY_CHANGES)}")
    policies, tiers = book.policies.copy(), book.policy_tiers.copy()
    if policy_id is not None and not (policies["policy_id"] == policy_id).any():
        near = near_id(policy_id, policies["policy_id"])
        hint = f"; did you mean {near}?" if near else ""
        raise ValueError(f"{policy_id!r} is not a policy on the Policies sheet{hint}")
    mine = (policies["policy_id"] == policy_id) if policy_id else policies["policy_id"].notna()
    for key, value in changes.items():
        read = POLICY_CHANGES[key](value)
        if key == "tier_percent":
            tiers.loc[_percent_tiers(tiers, policy_id), "charge_value"] = read
        else:
            policies.loc[mine, key] = read
    frames = {**book.frames, "Policies": policies, "PolicyTiers": tiers}
    return dataclasses.replace(book, frames=frames)


# --- replaying the statuses ------------------------------------------------------------


def _replayed(book: Book, day: dt.date) -> Book:
    """``book`` with each client cancellation's status as its policy gives it from the
    times (``book`` itself when no status changes)."""
    sessions = book.sessions
    given = _policy_status(book, day).reindex(sessions[ROW].to_numpy()).to_numpy(dtype=object)
    recorded = sessions["status"].to_numpy(dtype=object)
    replay = (
        np.isin(recorded, _REPLAYED)
        & sessions["cancel_requested_at"].notna().to_numpy()
        & np.isin(given, _REPLAY_TO)
    )
    status = np.where(replay, given, recorded)
    if not (status != recorded).any():
        return book
    replayed = sessions.assign(status=pd.array(status, dtype=sessions["status"].dtype))
    return dataclasses.replace(book, frames={**book.frames, "Sessions": replayed})


def _policy_status(book: Book, day: dt.date) -> pd.Series:
    """The status the policy gives each session dated by ``day``, by its sheet row."""
    (w, _, _), clients = rows_as_of(book, day)
    w, _, _ = priced_sessions(book, w, clients)
    found = policy.assess(book, w, pd.Timestamp(day), clients).frame["computed_status"]
    return pd.Series(found.to_numpy(dtype=object), index=w[ROW].to_numpy())


# --- comparing ---------------------------------------------------------------------------


def _session_changes(before: Reconciliation, after: Reconciliation) -> pd.DataFrame:
    """The sessions whose status or fee differs between the two cancellation logs."""
    b = before.cancellations.set_index("source")
    a = after.cancellations.set_index("source")
    both = a.index.union(b.index, sort=False)
    b, a = b.reindex(both), a.reindex(both)
    fee_b, fee_a = minor_units(b["fee"].array), minor_units(a["fee"].array)
    status_b = b["recorded_status"].to_numpy(dtype=object)
    status_a = a["recorded_status"].to_numpy(dtype=object)
    moved = np.flatnonzero((status_b != status_a) | (fee_b != fee_a))
    in_after = a["session_id"].notna().to_numpy()[moved]

    def fact(key: str) -> np.ndarray:  # after's, or before's where after has none
        values: np.ndarray = np.where(
            in_after, a[key].to_numpy(dtype=object)[moved], b[key].to_numpy(dtype=object)[moved]
        )
        return values

    cur = after.currency
    out = pd.DataFrame(
        {
            "session_id": fact("session_id"),
            "client_id": fact("client_id"),
            "date": pd.to_datetime(fact("date")),
            "notice_hours": fact("notice_hours"),
            "policy_id": fact("policy_id"),
            "status_before": status_b[moved],
            "status_after": status_a[moved],
            "fee_before": as_money(fee_b[moved], cur),
            "fee_after": as_money(fee_a[moved], cur),
            "fee_change": as_money(fee_a[moved] - fee_b[moved], cur),
            "basis": fact("basis"),
            "source": both.to_numpy(dtype=object)[moved],
        }
    )
    return out.sort_values(["client_id", "date", "session_id"], kind="stable").reset_index(
        drop=True
    )


def _fees_by_client(rec: Reconciliation) -> pd.DataFrame:
    """Per client (every client, ID order): fees in minor units, sessions charged,
    findings."""
    log = rec.cancellations
    fee = pd.Series(minor_units(log["fee"]), index=log.index)
    clients = log["client_id"]
    per = pd.DataFrame(
        {"fees": fee.groupby(clients).sum(), "charged": (fee > 0).groupby(clients).sum()}
    )
    flags = rec.flags.groupby("client_id").size().rename("flags")
    ids = rec.balances["client_id"].astype(object)
    return per.join(flags, how="outer").reindex(ids).fillna(0).astype("int64")


def _per_client(
    before: Reconciliation, after: Reconciliation, sessions: pd.DataFrame
) -> pd.DataFrame:
    b, a = _fees_by_client(before), _fees_by_client(after)
    cur = after.currency
    fees_b, fees_a = b["fees"].to_numpy(), a["fees"].to_numpy()
    moved = sessions[sessions["status_before"] != sessions["status_after"]]
    changed = moved.groupby("client_id").size().reindex(b.index, fill_value=0)
    return pd.DataFrame(
        {
            "client_id": b.index.astype(str),
            "fees_before": as_money(fees_b, cur),
            "fees_after": as_money(fees_a, cur),
            "fees_change": as_money(fees_a - fees_b, cur),
            "sessions_changed": changed.to_numpy(dtype=np.int64),
            "charged_before": b["charged"].to_numpy(),
            "charged_after": a["charged"].to_numpy(),
            "newly_charged": (fees_b == 0) & (fees_a > 0),
            "flags_before": b["flags"].to_numpy(),
            "flags_after": a["flags"].to_numpy(),
        }
    )


def _flag_changes(before: Reconciliation, after: Reconciliation) -> pd.DataFrame:
    codes_before = before.flags["code"].value_counts()
    codes_after = after.flags["code"].value_counts()
    flags = pd.concat([codes_before.rename("before"), codes_after.rename("after")], axis=1)
    flags = flags.fillna(0).astype("int64").sort_index().rename_axis("code").reset_index()
    flags["change"] = flags["after"] - flags["before"]
    return flags


def _totals(
    before: Reconciliation,
    after: Reconciliation,
    recorded: Reconciliation,
    per: pd.DataFrame,
    sessions: pd.DataFrame,
) -> dict[str, Decimal | int]:
    cur = after.currency
    fees_b, fees_a = minor_units(per["fees_before"]), minor_units(per["fees_after"])
    return {
        "fees_recorded": money_total(recorded.cancellations["fee"], cur),
        "fees_before": money_total(per["fees_before"], cur),
        "fees_after": money_total(per["fees_after"], cur),
        "fees_change": money_total(per["fees_change"], cur),
        "sessions_changed": int((sessions["status_before"] != sessions["status_after"]).sum()),
        "sessions_repriced": int((minor_units(sessions["fee_change"]) != 0).sum()),
        "clients_charged_before": int((fees_b > 0).sum()),
        "clients_charged_after": int((fees_a > 0).sum()),
        "clients_newly_charged": int(per["newly_charged"].sum()),
        "clients_no_longer_charged": int(((fees_b > 0) & (fees_a == 0)).sum()),
        "flags_before": len(before.flags),
        "flags_after": len(after.flags),
    }
