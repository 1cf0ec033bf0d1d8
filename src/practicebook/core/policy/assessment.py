"""``assess``: every session classified, priced and checked, as one ``Assessment``.

The steps live in the sibling modules; this one only runs them in order: the policy in
force, notice and the computed status, the zero-fee reasons and occurrence numbers, the
fees of the sessions charged, their basis texts, and the session findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.core.lookup import any_of, take
from practicebook.core.lookup import frame as object_frame
from practicebook.core.policy.basis import fill_zero_fee_basis
from practicebook.core.policy.classify import (
    computed_status,
    first_session,
    rescheduled_into_attended,
)
from practicebook.core.policy.facts import SessionFacts
from practicebook.core.policy.fees import FEE_CODES, ZERO_REASONS, price
from practicebook.core.policy.in_force import PolicyInForce, client_rows, policy_in_force
from practicebook.core.policy.notice import notice_seconds
from practicebook.core.policy.occurrences import occurrences
from practicebook.core.policy.rules import session_findings
from practicebook.core.policy.status import CANCEL_STATUSES, CHARGEABLE, StatusColumn
from practicebook.model import Book
from practicebook.schema import SESSIONS, STATUSES

__all__ = ["Assessment", "assess"]

_BY_PRACTICE = ("clinician", "practice")
_CANCELLED_BY = SESSIONS.column("cancelled_by").choices


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


@dataclass(frozen=True, eq=False)
class _Counted:
    """Why each chargeable session costs nothing, if it does, and its occurrence."""

    reason_code: np.ndarray  # 1 + position in ZERO_REASONS, 0 for none
    counted: np.ndarray  # the session counts as an occurrence
    k: np.ndarray  # occurrence number, 0 where not counted
    since: np.ndarray  # first day of the grace scope (NaT for lifetime)


def assess(book: Book, w: pd.DataFrame, as_of: pd.Timestamp, client_index: pd.Index) -> Assessment:
    """Classify every session and price its late cancellation or no-show.

    Args:
        book: the parsed workbook (policies, tiers, clients, services, settings).
        w: the Sessions rows dated on or before ``as_of`` (index ``0..n-1``) with extra
            columns: ``_client`` (position in ``client_index``), ``_rate`` (the session
            rate in minor units), ``_service`` (position of the Services row in
            effect, ``-1`` for none), ``_day`` (the session's day: ``scheduled_start`` at
            midnight), and ``_status`` and ``_cancelled_by`` (positions of the values among
            the schema's choices, ``-1`` for blank).
        as_of: the reconciliation date.
        client_index: every client ID, once.
    """
    day = w["_day"].to_numpy(dtype="datetime64[ns]")
    client = w["_client"].to_numpy(dtype=np.int64)
    pol = policy_in_force(book, w, day, client_index)
    has_t = w["cancel_requested_at"].notna().to_numpy()
    notice = notice_seconds(w["scheduled_start"], w["cancel_requested_at"], book.settings.timezone)
    by_practice = any_of(
        w["_cancelled_by"].to_numpy(), [_CANCELLED_BY.index(who) for who in _BY_PRACTICE]
    )
    st = StatusColumn(w["_status"].to_numpy())
    computed = computed_status(w, st, pol, notice, by_practice)
    exempt, ack = _client_terms(book, client_index, client)

    chargeable = st.isin(CHARGEABLE) & ~by_practice
    waived = w["fee_waived"].to_numpy(dtype=bool) & chargeable
    zero = _zero_fee_reasons(w, pol, day, client, chargeable, exempt, waived)
    fee, basis = _fees(book, w, pol, chargeable & (zero.reason_code == 0), notice, has_t, zero)

    frame = _frame(pol, st, computed, has_t, notice, chargeable, zero, fee, basis)
    fill_zero_fee_basis(
        frame, w, pol, st, by_practice, has_t, notice, zero.k, zero.since, book.settings.locale
    )
    facts = SessionFacts(
        book=book,
        sessions=w,
        as_of=as_of,
        policy=pol,
        day=day,
        client=client,
        status=st,
        computed=computed,
        by_practice=by_practice,
        has_cancel_time=has_t,
        notice=notice,
        chargeable=chargeable,
        waived=waived,
        ack=ack,
        reason_code=zero.reason_code,
        occurrence=zero.k,
        fee=fee,
    )
    return Assessment(frame, session_findings(facts))


def _client_terms(
    book: Book, client_index: pd.Index, client: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per session: the client is fee-exempt, and the day they acknowledged the policy
    (NaT if never)."""
    clients, row_of = client_rows(book, client_index)
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
    return exempt, ack


def _zero_fee_reasons(
    w: pd.DataFrame,
    pol: PolicyInForce,
    day: np.ndarray,
    client: np.ndarray,
    chargeable: np.ndarray,
    exempt: np.ndarray,
    waived: np.ndarray,
) -> _Counted:
    """The first zero-fee reason of each chargeable session (in the order of
    ``ZERO_REASONS``), counting occurrences on the way."""
    intake = chargeable & pol.exempt_intake & first_session(w)
    moved = chargeable & rescheduled_into_attended(w, pol, day)
    counted = chargeable & pol.found & ~exempt & ~intake & ~moved
    k, since = occurrences(w, counted, day, client, pol)
    grace = counted & (k <= pol.grace_count)
    reasons = [chargeable & exempt, waived, intake, moved, grace]
    # 1 + position in ZERO_REASONS, 0 for none: compared as small integers later
    reason_code = np.select(reasons, range(1, len(ZERO_REASONS) + 1), 0).astype(np.int8)
    return _Counted(reason_code, counted, k, since)


def _fees(
    book: Book,
    w: pd.DataFrame,
    pol: PolicyInForce,
    priced: np.ndarray,
    notice: np.ndarray,
    has_t: np.ndarray,
    zero: _Counted,
) -> tuple[np.ndarray, np.ndarray]:
    """Fee (0 where none) and basis (blank where none) of every session; only the
    ``priced`` ones are worked out."""
    status = w["status"].to_numpy(dtype=object)
    fee = np.zeros(len(w), dtype=np.int64)
    basis = np.full(len(w), None, dtype=object)
    rows = np.flatnonzero(priced)
    fee[rows], basis[rows] = price(
        book, w, rows, pol, status, notice, has_t, zero.k, zero.since, book.settings.currency
    )
    return fee, basis


def _frame(
    pol: PolicyInForce,
    st: StatusColumn,
    computed: StatusColumn,
    has_t: np.ndarray,
    notice: np.ndarray,
    chargeable: np.ndarray,
    zero: _Counted,
    fee: np.ndarray,
    basis: np.ndarray,
) -> pd.DataFrame:
    """The ``Assessment.frame`` (its zero-fee bases still blank)."""
    # text columns with a few values are categorical: one byte per session, not a
    # pointer, which matters at a million sessions
    fee_codes = [FEE_CODES["late_cancelled"], FEE_CODES["no_show"]]  # categories 0, 1
    fee_code = np.where(chargeable, np.where(st.eq("late_cancelled"), 0, 1), -1)
    frame = object_frame(
        {
            "policy_id": pol.policy_id,
            "notice_seconds": pd.arrays.IntegerArray(np.where(has_t, notice, 0), ~has_t),
            "computed_status": pd.Categorical.from_codes(computed.codes, STATUSES),
            "occurrence": pd.arrays.IntegerArray(zero.k, ~zero.counted),
            "fee": pd.arrays.IntegerArray(fee, ~chargeable),
            "fee_code": pd.Categorical.from_codes(fee_code, fee_codes),
            "reason": pd.Categorical.from_codes(
                zero.reason_code.astype(np.int64) - 1, [c.value for c in ZERO_REASONS]
            ),
            "basis": basis,
        }
    )
    frame["logged"] = st.isin(CANCEL_STATUSES) | computed.isin(CANCEL_STATUSES)
    return frame
