"""The session findings: one rule per finding code, listed in ``SESSION_RULES``; the
zero-fee notes come from one builder and a table of what each says.

Each rule is a plain function ``SessionFacts -> list of flag columns`` (one set of
columns per cell it points at, ``practicebook.core.findings.rule_flags``). The rules run
in the order they are listed; ``practicebook.core.findings.combine`` later sorts all
findings by cell. A rule selects its rows with whole-column masks and writes messages
only for the rows it reports.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from practicebook.core.columns import blank_as_none
from practicebook.core.lookup import take
from practicebook.core.policy.facts import Flags, Message, SessionFacts, session_flags
from practicebook.core.policy.fees import ZERO_REASONS
from practicebook.core.policy.occurrences import pattern_reached
from practicebook.core.policy.status import CANCEL_STATUSES, HELD, STATUS_NAMES
from practicebook.core.wording import date_texts, money_texts, ordinals, text
from practicebook.issues import Code, Severity

__all__ = ["SESSION_RULES", "session_findings"]


# --- the session itself ----------------------------------------------------------------


def unresolved_past_session(facts: SessionFacts) -> Flags:
    """A session before the reconciliation date is still marked scheduled."""
    sid, day, locale = facts.session_ids, facts.day, facts.book.settings.locale
    return session_flags(
        facts,
        facts.status.eq("scheduled") & (day < facts.as_of.to_datetime64()),
        Code.UNRESOLVED_PAST_SESSION,
        Severity.WARNING,
        "status",
        lambda j: text(
            "session ", sid[j], " on ", date_texts(day[j], locale), " is still marked scheduled"
        ),
        "Record what happened: attended, cancelled, late_cancelled, no_show…",
    )


#: Statuses that charge nothing and hold no time, so a repeat of one misfiles nothing.
_NEVER_DUPLICATE = ("cancelled", "clinician_cancelled")


def possible_duplicate_session(facts: SessionFacts) -> Flags:
    """A session with the same client, clinician, service and start as another: warned on
    every row but the one with the lowest ID (the original), never merged. Sessions
    cancelled without a fee are left out: they charge nothing twice."""
    w = facts.sessions
    counted = ~facts.status.isin(_NEVER_DUPLICATE)
    # only rows whose client and start repeat can be duplicates; finding those on numbers
    # first leaves a handful of rows to compare in full
    numbers = pd.DataFrame(
        {
            "client": facts.client,
            "start": w["scheduled_start"].to_numpy(dtype="datetime64[ns]").view(np.int64),
        }
    )
    kept = numbers[counted]
    candidates = kept.index[kept.duplicated(keep=False).to_numpy()].to_numpy()
    if candidates.size == 0:
        return []
    ids = np.asarray(facts.session_ids[candidates], dtype=object)
    keys = zip(
        numbers["client"].to_numpy()[candidates].tolist(),
        numbers["start"].to_numpy()[candidates].tolist(),
        blank_as_none(w["clinician_id"].iloc[candidates]).tolist(),
        blank_as_none(w["service_code"].iloc[candidates]).tolist(),
        strict=True,
    )
    same: dict[tuple[object, ...], list[int]] = {}
    for at, key in enumerate(keys):
        same.setdefault(key, []).append(at)
    repeat = np.zeros(len(w), dtype=bool)
    original = np.empty(len(w), dtype=object)
    for group in same.values():
        if len(group) < 2:
            continue
        first, *repeats = sorted(group, key=lambda at: (str(ids[at]), at))
        for at in repeats:
            repeat[candidates[at]] = True
            original[candidates[at]] = ids[first]
    sid = facts.session_ids
    return session_flags(
        facts,
        repeat,
        Code.POSSIBLE_DUPLICATE_SESSION,
        Severity.WARNING,
        "scheduled_start",
        lambda j: text(
            "session ",
            sid[j],
            " repeats session ",
            original[j],
            ": same client, clinician, service and start",
        ),
        "Delete one of the two if the session was entered twice; otherwise correct its start.",
    )


def cpt_duration_mismatch(facts: SessionFacts) -> Flags:
    """Actual (else scheduled) minutes outside the service's min/max minutes."""
    w = facts.sessions
    services = facts.book.services
    spos = w["_service"].to_numpy()
    lo = take(services["min_minutes"].to_numpy(dtype=np.int64, na_value=-1), spos, -1)
    hi = take(services["max_minutes"].to_numpy(dtype=np.int64, na_value=-1), spos, -1)
    actual = w["actual_minutes"].notna().to_numpy()
    minutes = (
        w["actual_minutes"].fillna(w["scheduled_minutes"]).to_numpy(dtype=np.int64, na_value=-1)
    )
    delivered = facts.status.isin(("attended", "non_billable", "scheduled")) & (minutes >= 0)
    outside = delivered & (((lo >= 0) & (minutes < lo)) | ((hi >= 0) & (minutes > hi)))
    sid = facts.session_ids
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

    found: Flags = []
    for column, mask in (("actual_minutes", actual), ("scheduled_minutes", ~actual)):
        found += session_flags(
            facts,
            outside & mask,
            Code.CPT_DURATION_MISMATCH,
            Severity.WARNING,
            column,
            message,
            "Check the minutes or the service code.",
        )
    return found


# --- status and notice -----------------------------------------------------------------


def status_mismatch(facts: SessionFacts) -> Flags:
    """The recorded status differs from the one the times imply."""
    st, computed, pol = facts.status, facts.computed, facts.policy
    by_practice, has_t, notice = facts.by_practice, facts.has_cancel_time, facts.notice
    sid = facts.session_ids

    def implied(j: np.ndarray) -> np.ndarray:
        because: np.ndarray = np.select(
            [by_practice[j], ~has_t[j], notice[j] <= 0],
            [
                "the cancellation came from the practice, so it is",
                "without a cancel time it is",
                "it was cancelled after the start, so its policy counts it as",
            ],
            "the notice makes it",
        ).astype(object)
        return because

    def message(j: np.ndarray) -> np.ndarray:
        return text(
            "session ",
            sid[j],
            " is recorded as ",
            facts.recorded[j],
            " but ",
            implied(j),
            " ",
            take(STATUS_NAMES, computed.codes[j], None),
            np.where(
                has_t[j] & pol.found[j],
                text(
                    " (",
                    facts.notice_hours(j),
                    " h notice, policy ",
                    pol.policy_id[j],
                    " asks ",
                    facts.threshold_hours(j),
                    " h)",
                ),
                "",
            ),
        )

    return session_flags(
        facts,
        (computed.codes != st.codes) & ~st.eq("scheduled"),
        Code.STATUS_MISMATCH,
        Severity.WARNING,
        "status",
        message,
        "The recorded status decides the fee; correct it if the times are right.",
    )


def missing_cancel_time(facts: SessionFacts) -> Flags:
    """A cancellation by the client without the time it was asked for."""
    sid, status = facts.session_ids, facts.recorded
    return session_flags(
        facts,
        facts.status.isin(("cancelled", "late_cancelled"))
        & ~facts.has_cancel_time
        & ~facts.by_practice,
        Code.MISSING_CANCEL_TIME,
        Severity.WARNING,
        "cancel_requested_at",
        lambda j: text("session ", sid[j], " is ", status[j], " but has no cancel time"),
        "Fill in Cancel Requested At so the notice can be checked.",
    )


def notice_near_threshold(facts: SessionFacts) -> Flags:
    """A cancellation ahead of the start within an hour of the policy's notice."""
    pol, notice, sid = facts.policy, facts.notice, facts.session_ids
    near = (
        facts.has_cancel_time
        & (notice > 0)
        & pol.found
        & ~facts.by_practice
        & facts.status.isin(CANCEL_STATUSES)
        & (np.abs(notice - pol.threshold) < 3600)
    )
    return session_flags(
        facts,
        near,
        Code.NOTICE_NEAR_THRESHOLD,
        Severity.WARNING,
        "cancel_requested_at",
        lambda j: text(
            "session ",
            sid[j],
            " was cancelled ",
            facts.notice_hours(j),
            " h ahead, within an hour of the ",
            facts.threshold_hours(j),
            " h notice of policy ",
            pol.policy_id[j],
        ),
        "Borderline: check the cancel time before a fee is charged.",
    )


def late_arrival(facts: SessionFacts) -> Flags:
    """A held session the client came to later than the policy's grace minutes."""
    pol, sid = facts.policy, facts.session_ids
    late = facts.sessions["arrived_minutes_late"].to_numpy(dtype=np.int64, na_value=0)
    return session_flags(
        facts,
        facts.status.isin(HELD) & (late > pol.ns_grace),
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


def no_policy_in_force(facts: SessionFacts) -> Flags:
    """A chargeable session with no cancellation policy in force on its day."""
    sid, day, locale = facts.session_ids, facts.day, facts.book.settings.locale
    return session_flags(
        facts,
        facts.chargeable & ~facts.policy.found,
        Code.NO_POLICY_IN_FORCE,
        Severity.WARNING,
        "status",
        lambda j: text(
            "no cancellation policy is in force for session ",
            sid[j],
            " on ",
            date_texts(day[j], locale),
            "; the fee follows the service settings",
        ),
        "Set default_policy_id on the Practice sheet or a policy on the client.",
    )


# --- zero fees, in the order of ZERO_REASONS ---------------------------------------------

#: Why a session costs nothing, for each zero-fee reason but a waiver: the parts of the
#: text after "no <late-cancel|no-show> fee for session <id>: ", for the rows at ``j``.
_NO_FEE_BECAUSE: dict[Code, Callable[[SessionFacts, np.ndarray], tuple[object, ...]]] = {
    Code.FEE_EXEMPT_CLIENT: lambda facts, j: ("client ", facts.client_ids[j], " is fee-exempt"),
    Code.GRACE_INTAKE: lambda facts, j: (
        "the client's first session, exempt under policy ",
        facts.policy.policy_id[j],
    ),
    Code.RESCHEDULE_WAIVED: lambda facts, j: (
        "rescheduled into an attended session within ",
        facts.policy.window_days[j],
        " days",
    ),
    Code.GRACE_APPLIED: lambda facts, j: (
        ordinals(facts.occurrence[j]),
        " occurrence, policy ",
        facts.policy.policy_id[j],
        " forgives ",
        facts.policy.grace_count[j],
    ),
}


def _zero_fee_rule(code: Code) -> Callable[[SessionFacts], Flags]:
    """The rule noting each chargeable session whose fee is zero for ``code``: at its
    Fee Waived cell for a waiver, else at its Status cell."""
    key = "fee_waived" if code is Code.FEE_WAIVED else "status"

    def zero_fee_note(facts: SessionFacts) -> Flags:
        return session_flags(
            facts,
            facts.reason_code == 1 + ZERO_REASONS.index(code),
            code,
            Severity.NOTE,
            key,
            _zero_fee_message(facts, code),
            "",
        )

    return zero_fee_note


def _zero_fee_message(facts: SessionFacts, code: Code) -> Message:
    """Why the sessions at ``j`` cost nothing, in words."""
    sid = facts.session_ids
    if code is Code.FEE_WAIVED:
        return lambda j: text("the ", facts.fee_kind(j), " fee for session ", sid[j], " is waived")
    because = _NO_FEE_BECAUSE[code]
    return lambda j: text(
        "no ", facts.fee_kind(j), " fee for session ", sid[j], ": ", *because(facts, j)
    )


# --- charges ---------------------------------------------------------------------------


def waiver_without_reason(facts: SessionFacts) -> Flags:
    """A waived fee with no reason recorded."""
    sid = facts.session_ids
    return session_flags(
        facts,
        facts.waived & facts.sessions["waiver_reason"].isna().to_numpy(),
        Code.WAIVER_WITHOUT_REASON,
        Severity.WARNING,
        "waiver_reason",
        lambda j: text(
            "the ", facts.fee_kind(j), " fee for session ", sid[j], " is waived without a reason"
        ),
        "Fill in Waiver Reason (illness, emergency, weather…).",
    )


def policy_not_acknowledged(facts: SessionFacts) -> Flags:
    """A fee charged before the client acknowledged the policy (or who never did)."""
    sid, cid, day, fee, ack = (
        facts.session_ids,
        facts.client_ids,
        facts.day,
        facts.fee,
        facts.ack,
    )
    currency, locale = facts.book.settings.currency, facts.book.settings.locale
    return session_flags(
        facts,
        (fee > 0) & (np.isnat(ack) | (ack > day)),
        Code.POLICY_NOT_ACKNOWLEDGED,
        Severity.WARNING,
        "status",
        lambda j: text(
            "a ",
            facts.fee_kind(j),
            " fee of ",
            money_texts(fee[j], currency, locale),
            " is charged for session ",
            sid[j],
            " but client ",
            cid[j],
            " had not acknowledged the policy by ",
            date_texts(day[j], locale),
        ),
        "Record Policy Ack Date on the Clients sheet, or waive the fee.",
    )


def cancellation_pattern(facts: SessionFacts) -> Flags:
    """The session at which a client reaches the practice's count of late cancellations
    and no-shows within its window of days."""
    settings = facts.book.settings
    sid, cid = facts.session_ids, facts.client_ids
    reached, counts = pattern_reached(
        facts.sessions,
        facts.chargeable,
        facts.day,
        facts.client,
        settings.pattern_count,
        settings.pattern_days,
    )
    return session_flags(
        facts,
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


#: Every session rule by the code it raises, in the order the rules run.
SESSION_RULES: dict[str, Callable[[SessionFacts], Flags]] = {
    Code.UNRESOLVED_PAST_SESSION.value: unresolved_past_session,
    Code.POSSIBLE_DUPLICATE_SESSION.value: possible_duplicate_session,
    Code.CPT_DURATION_MISMATCH.value: cpt_duration_mismatch,
    Code.STATUS_MISMATCH.value: status_mismatch,
    Code.MISSING_CANCEL_TIME.value: missing_cancel_time,
    Code.NOTICE_NEAR_THRESHOLD.value: notice_near_threshold,
    Code.LATE_ARRIVAL.value: late_arrival,
    Code.NO_POLICY_IN_FORCE.value: no_policy_in_force,
    **{code.value: _zero_fee_rule(code) for code in ZERO_REASONS},
    Code.WAIVER_WITHOUT_REASON.value: waiver_without_reason,
    Code.POLICY_NOT_ACKNOWLEDGED.value: policy_not_acknowledged,
    Code.CANCELLATION_PATTERN.value: cancellation_pattern,
}


def session_findings(facts: SessionFacts) -> Flags:
    """Every session finding, one set of columns per rule and cell, in rule order."""
    return [flags for rule in SESSION_RULES.values() for flags in rule(facts)]
