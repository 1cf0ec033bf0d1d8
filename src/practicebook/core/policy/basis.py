"""The basis: one line per cancellation-type session saying how its fee came about.

A charged session reads ``50% of $150.00 (tier 24–48 h, 2nd occurrence since Jan 1,
2026)``; one that costs nothing says why (``no fee: waived``, ``no fee: cancelled with
30 h notice (policy P1 asks 24 h)``...). Where the recorded status and the times
disagree, it says that the recorded status decided and points to ``status-mismatch``.
Amounts, dates and hours are written in the workbook's locale; texts are built a whole
column at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from practicebook.core.policy.in_force import PolicyInForce
from practicebook.core.policy.status import StatusColumn
from practicebook.core.wording import date_texts, hours_texts, money_texts, ordinals, text
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
    locale: str,
) -> np.ndarray:
    """``50% of $150.00 (tier 24–48 h, 2nd occurrence since Jan 1, 2026)``."""
    if len(heads) == 0:
        return np.empty(0, dtype=object)
    where = np.where(
        found,
        text(ordinals(k), " occurrence", _since(since, locale)),
        "no cancellation policy in force",
    )
    basis = text(heads, " (", source, ", ", where, ")")
    for mask, words, limit in (
        (raised, ", raised to the minimum ", low),
        (capped, ", capped at ", cap),
    ):
        if mask.any():
            basis[mask] = text(basis[mask], words, money_texts(limit[mask], currency, locale))
    return basis


def _since(since: np.ndarray, locale: str) -> np.ndarray:
    """`` since Jan 1, 2026`` where the grace scope starts on a day, else blank."""
    return np.where(np.isnat(since), "", text(" since ", date_texts(since, locale)))


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
    locale: str,
) -> None:
    """Why a cancellation-type session costs nothing, in one line (priced rows already
    have their basis; every chargeable row left has a zero-fee reason)."""
    j = np.flatnonzero(frame["logged"].to_numpy() & frame["basis"].isna().to_numpy())
    if j.size == 0:
        return
    reason = frame["reason"].iloc[j].to_numpy(dtype=object)
    computed_all = frame["computed_status"].to_numpy(dtype=object)
    computed = computed_all[j]
    cancelled = st.eq("cancelled")[j] & has_t[j] & pol.found[j]
    texts = text("no fee: recorded as ", w["status"].to_numpy(dtype=object)[j])

    def hours(values: np.ndarray) -> np.ndarray:
        return hours_texts(values, locale)

    rules: list[tuple[np.ndarray, Callable[[np.ndarray], object]]] = [
        # later rules win where several apply, so the most specific goes last
        (
            cancelled & (computed == "cancelled"),
            lambda i: text(
                "no fee: cancelled with ",
                hours(notice[i]),
                " h notice (policy ",
                pol.policy_id[i],
                " asks ",
                hours(pol.threshold[i]),
                " h)",
            ),
        ),
        (
            cancelled & (computed != "cancelled"),
            lambda i: text(
                "no fee: recorded as cancelled, and the recorded status decides the fee; ",
                _times(notice[i], pol.threshold[i], pol.policy_id[i], locale),
                " suggest ",
                _status_words(computed_all[i]),
                " (see status-mismatch)",
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
                _since(since[i], locale),
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


def _times(
    notice: np.ndarray, threshold: np.ndarray, policy_id: np.ndarray, locale: str
) -> np.ndarray:
    """What the times say: ``the times (14 h notice; policy P1 asks 24 h)``, or ``the
    times (requested 2 h after the start)``."""
    ahead = notice > 0
    return text(
        "the times (",
        np.where(
            ahead,
            text(
                hours_texts(notice, locale),
                " h notice; policy ",
                policy_id,
                " asks ",
                hours_texts(threshold, locale),
                " h",
            ),
            text("requested ", hours_texts(-notice, locale), " h after the start"),
        ),
        ")",
    )


_STATUS_WORDS = {
    "late_cancelled": "a late cancellation",
    "no_show": "a no-show",
    "clinician_cancelled": "a cancellation by the clinician",
}


def _status_words(computed: np.ndarray) -> np.ndarray:
    """A computed status as words (``a late cancellation``)."""
    return np.array([_STATUS_WORDS.get(str(c), str(c)) for c in computed], dtype=object)
