"""The basis: one line per cancellation-type session saying how its fee came about.

A charged session reads ``50% of 150.00 (tier 24–48 h, 2nd occurrence since
2026-01-01)``; one that costs nothing says why (``no fee: waived``, ``no fee: cancelled
with 30 h notice (policy P1 asks 24 h)``...). Texts are built a whole column at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from practicebook.core.policy.in_force import PolicyInForce
from practicebook.core.policy.status import StatusColumn
from practicebook.core.wording import hours_texts, money_texts, ordinals, text
from practicebook.issues import Code

__all__ = ["fill_zero_fee_basis", "priced_basis"]


def priced_basis(
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


def fill_zero_fee_basis(
    frame: pd.DataFrame,
    w: pd.DataFrame,
    pol: PolicyInForce,
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
    rules: list[tuple[np.ndarray, Callable[[np.ndarray], object]]] = [
        # later rules win where several apply, so the most specific goes last
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
