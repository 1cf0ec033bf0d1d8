"""What-if: the same sessions replayed under changed policy settings, before and after
compared per client and per finding code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from practicebook.core.reconcile import as_of_day, reconcile
from practicebook.core.result import Reconciliation
from practicebook.model import Book

__all__ = ["POLICY_CHANGES", "Simulation", "simulate"]

#: Policy settings ``simulate`` can change, and how a value is read.
POLICY_CHANGES: dict[str, Callable[[Any], object]] = {
    "notice_hours": lambda v: Decimal(str(v)),
    "grace_count": int,
    "exempt_intake": bool,
    "tier_percent": lambda v: Decimal(str(v)),
}


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Simulation:
    """The same sessions replayed under changed policy settings.

    ``per_client`` columns: ``client_id``, ``fees_before``, ``fees_after``,
    ``fees_change`` (late-cancel/no-show fees, minor units), ``charged_before``,
    ``charged_after`` (sessions with a fee), ``flags_before``, ``flags_after``.
    ``flags``: ``code``, ``before``, ``after``, ``change``. ``totals``: the same sums
    over all clients, plus how many clients are charged at all.
    """

    changes: Mapping[str, object]
    per_client: pd.DataFrame
    flags: pd.DataFrame
    totals: dict[str, int]
    before: Reconciliation = dataclasses.field(repr=False)
    after: Reconciliation = dataclasses.field(repr=False)


def _with_policy(book: Book, changes: Mapping[str, object], policy_id: str | None) -> Book:
    unknown = set(changes) - set(POLICY_CHANGES)
    if unknown:
        raise ValueError(f"cannot simulate {sorted(unknown)}; choose from {sorted(POLICY_CHANGES)}")
    policies, tiers = book.policies.copy(), book.policy_tiers.copy()
    mine = (policies["policy_id"] == policy_id) if policy_id else policies["policy_id"].notna()
    for key, value in changes.items():
        read = POLICY_CHANGES[key](value)
        if key == "tier_percent":
            chosen = tiers["charge_type"] == "percent"
            if policy_id:
                chosen &= tiers["policy_id"] == policy_id
            tiers.loc[chosen, "charge_value"] = read
        else:
            policies.loc[mine, key] = read
    frames = {**book.frames, "Policies": policies, "PolicyTiers": tiers}
    return dataclasses.replace(book, frames=frames)


def _fees_by_client(rec: Reconciliation) -> pd.DataFrame:
    log = rec.cancellations
    fee = log["fee"].astype("int64")
    per = pd.DataFrame(
        {
            "fees": fee.groupby(log["client_id"]).sum(),
            "charged": (fee > 0).groupby(log["client_id"]).sum(),
        }
    )
    flags = rec.flags.groupby("client_id").size().rename("flags")
    ids = rec.balances["client_id"]
    return per.join(flags, how="outer").reindex(ids).fillna(0).astype("int64")


def simulate(
    book: Book,
    policy_changes: Mapping[str, object],
    *,
    policy_id: str | None = None,
    as_of: dt.date | str | None = None,
) -> Simulation:
    """Replay the book under changed policy settings and compare.

    Args:
        book: the parsed workbook.
        policy_changes: any of ``notice_hours``, ``grace_count``, ``exempt_intake`` and
            ``tier_percent`` (the value of every percent tier), e.g. ``{"notice_hours":
            48}``.
        policy_id: change only this policy (default: every policy).
        as_of: as for ``reconcile``.
    """
    day = as_of_day(as_of, book.settings.timezone)
    before = reconcile(book, day)
    after = reconcile(_with_policy(book, policy_changes, policy_id), day)
    b, a = _fees_by_client(before), _fees_by_client(after)
    per_client = pd.DataFrame(
        {
            "client_id": b.index.astype(str),
            "fees_before": pd.array(b["fees"], dtype="Int64"),
            "fees_after": pd.array(a["fees"], dtype="Int64"),
            "fees_change": pd.array(a["fees"] - b["fees"], dtype="Int64"),
            "charged_before": b["charged"].to_numpy(),
            "charged_after": a["charged"].to_numpy(),
            "flags_before": b["flags"].to_numpy(),
            "flags_after": a["flags"].to_numpy(),
        }
    )
    codes_before = before.flags["code"].value_counts()
    codes_after = after.flags["code"].value_counts()
    flags = pd.concat([codes_before.rename("before"), codes_after.rename("after")], axis=1)
    flags = flags.fillna(0).astype("int64").sort_index().rename_axis("code").reset_index()
    flags["change"] = flags["after"] - flags["before"]
    totals = {
        "fees_before": int(b["fees"].sum()),
        "fees_after": int(a["fees"].sum()),
        "fees_change": int(a["fees"].sum() - b["fees"].sum()),
        "clients_charged_before": int((b["fees"] > 0).sum()),
        "clients_charged_after": int((a["fees"] > 0).sum()),
        "flags_before": len(before.flags),
        "flags_after": len(after.flags),
    }
    return Simulation(dict(policy_changes), per_client, flags, totals, before, after)
