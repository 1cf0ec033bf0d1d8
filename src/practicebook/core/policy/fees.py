"""Pricing a late cancellation or no-show that is charged.

The first matching ``PolicyTiers`` row sets the fee, else the service's late-cancel or
no-show setting, else the full rate; then the policy's ``[min_amount, cap_amount]``.
Fees and their wording are worked out once per distinct (rule, value, rate), not per
session.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from babel.numbers import format_decimal

from practicebook.core.lookup import codes, take
from practicebook.core.policy.basis import priced_basis
from practicebook.core.policy.in_force import PolicyInForce
from practicebook.core.policy.notice import Hours, seconds
from practicebook.core.wording import hours_texts, money_texts, text
from practicebook.issues import Code
from practicebook.model import Book
from practicebook.money import to_minor

__all__ = ["FEE_CODES", "ZERO_REASONS", "band_text", "price"]

#: Non-CPT codes of the fee lines; never superbill-eligible.
FEE_CODES = {"late_cancelled": "LATECXL", "no_show": "NOSHOW"}
#: Zero-fee reasons, in the order the first applicable one is reported.
ZERO_REASONS = (
    Code.FEE_EXEMPT_CLIENT,
    Code.FEE_WAIVED,
    Code.GRACE_INTAKE,
    Code.RESCHEDULE_WAIVED,
    Code.GRACE_APPLIED,
)


@dataclass
class _Rule:
    """The fee rule chosen for each charged session."""

    charge_type: np.ndarray  # none / percent / flat / full
    value: np.ndarray  # Decimal or None
    source: np.ndarray  # text for the basis


def price(
    book: Book,
    w: pd.DataFrame,
    rows: np.ndarray,
    pol: PolicyInForce,
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
    late = status[rows] == "late_cancelled"
    occ = k[rows]
    band = np.where(has_t[rows] & (notice[rows] > 0), notice[rows], 0)
    tier = _tier_rules(book.policy_tiers, pol.policy_id[rows], late, band, occ)
    rule = _choose_rules(book, w, rows, tier, late)
    group, first = _rule_groups(rule, rate)
    locale = book.settings.locale
    raw = _amounts(rule, rate, group, first, currency)
    low, cap = pol.min_amount[rows], pol.cap_amount[rows]
    charges = rule.charge_type != "none"
    raised = charges & (low >= 0) & (raw < low)
    capped = charges & (cap >= 0) & (np.where(raised, low, raw) > cap)
    fee = np.where(capped, cap, np.where(raised, low, raw))
    heads = np.array(
        [
            _rule_text(str(rule.charge_type[j]), rule.value[j], int(rate[j]), currency, locale)
            for j in first
        ],
        dtype=object,
    )[group]
    return fee, priced_basis(
        heads,
        rule.source,
        occ,
        since[rows],
        pol.found[rows],
        raised,
        capped,
        low,
        cap,
        currency,
        locale,
    )


def _tier_rules(
    tiers: pd.DataFrame, policy_id: np.ndarray, late: np.ndarray, band: np.ndarray, occ: np.ndarray
) -> np.ndarray:
    """Position of the first ``tiers`` row matching each charged session (-1 for none), by
    its policy, whether it is a late cancellation, its notice (seconds ahead of the start,
    0 for none) and its occurrence number.

    A policy has a handful of tiers, so each tier is tried on every row in turn, first
    tier first; a row keeps the first tier that matches it.
    """
    out = np.full(len(late), -1, dtype=np.int64)
    if tiers.empty or late.size == 0:
        return out
    ids = pd.Index(pd.unique(tiers["policy_id"]))
    policy = codes(pd.Series(policy_id, dtype=object), ids)
    tier_policy = codes(tiers["policy_id"], ids)
    applies = tiers["applies_to"].to_numpy(dtype=object)
    lo = [seconds(h) or 0 for h in tiers["min_notice_hours"]]
    hi = [seconds(h) for h in tiers["max_notice_hours"]]
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


def band_text(lo: Hours, hi: Hours, locale: str | None = None) -> str:
    """A tier's notice band for people (``12–24 h``, ``≥ 48 h``, ``any notice``)."""
    lo_s, hi_s = seconds(lo) or 0, seconds(hi)
    if hi_s is None:
        return "any notice" if lo_s == 0 else f"≥ {hours_texts(np.array([lo_s]), locale)[0]} h"
    low, high = hours_texts(np.array([lo_s, hi_s]), locale)
    return f"{low}–{high} h"


def _choose_rules(
    book: Book, w: pd.DataFrame, rows: np.ndarray, tier: np.ndarray, late: np.ndarray
) -> _Rule:
    """The tier's rule, else the service's lc/ns setting, else the full rate."""
    n = len(rows)
    charge_type = np.full(n, "full", dtype=object)
    value = np.full(n, None, dtype=object)
    source = np.full(n, "no tier or service fee set", dtype=object)
    services = book.services
    spos = w["_service"].to_numpy()[rows]
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
            [f"tier {band_text(a, b, book.settings.locale)}" for a, b in zip(lo, hi, strict=True)],
            dtype=object,
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
    per_row: np.ndarray = amounts[group]
    return per_row


def _amount(charge_type: str, value: Decimal | None, rate: int, currency: str) -> int:
    if charge_type == "none":
        return 0
    if charge_type == "full":
        return rate
    number = Decimal(value) if value is not None and not pd.isna(value) else Decimal(0)
    if charge_type == "flat":
        return to_minor(number, currency)
    exact = Decimal(rate) * number / 100
    return int(exact.to_integral_value(ROUND_HALF_UP))


def _rule_text(
    charge_type: str, value: Decimal | None, rate: int, currency: str, locale: str
) -> str:
    """The rule for people, amounts and numbers in ``locale`` (``50% of $150.00``)."""

    def money(minor: int) -> str:
        return str(money_texts(np.array([minor]), currency, locale)[0])

    if charge_type == "none":
        return "no fee"
    if charge_type == "full":
        return f"full rate {money(rate)}"
    number = Decimal(value) if value is not None and not pd.isna(value) else Decimal(0)
    if charge_type == "flat":
        return f"flat {money(_amount('flat', number, rate, currency))}"
    percent = format_decimal(number.normalize(), locale=locale, decimal_quantization=False)
    return f"{percent}% of {money(rate)}"
