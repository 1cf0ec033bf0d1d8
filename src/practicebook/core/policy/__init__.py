"""The cancellation-policy engine: notice, status, occurrences, grace, tiers, fees, flags.

``assess`` classifies every session and prices its late cancellation or no-show.

Rules (see also docs/rules.md):

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

Modules, each using only those listed before it: ``status`` (status codes),
``notice`` (local times, notice), ``in_force`` (the policy in force), ``classify``
(computed status, session order, first sessions, reschedules), ``occurrences`` (grace
scopes, the cancellation pattern), ``basis`` (the one-line explanations), ``fees``
(tiers, service settings, amounts, minimum and cap), ``rules`` (the session findings,
``SESSION_RULES``) and ``assessment`` (``assess``).

May import: ``practicebook.core.lookup``, ``.wording`` and ``.findings``,
``practicebook.model``, ``practicebook.schema`` and the base modules; numpy and pandas.
"""

from __future__ import annotations

from practicebook.core.policy.assessment import Assessment, assess
from practicebook.core.policy.fees import FEE_CODES
from practicebook.core.policy.notice import localize, notice_seconds
from practicebook.core.policy.status import CANCEL_STATUSES, StatusColumn

__all__ = [
    "CANCEL_STATUSES",
    "FEE_CODES",
    "Assessment",
    "StatusColumn",
    "assess",
    "localize",
    "notice_seconds",
]
