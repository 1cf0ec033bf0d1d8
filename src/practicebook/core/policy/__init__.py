"""The cancellation-policy engine: notice, status, occurrences, grace, tiers, fees, findings.

``assess`` classifies every session and prices its late cancellation or no-show; the
rules are documented in ``engine``.
"""

from __future__ import annotations

from practicebook.core.policy.engine import (
    CANCEL_STATUSES,
    FEE_CODES,
    Assessment,
    StatusColumn,
    assess,
    localize,
    notice_seconds,
)

__all__ = [
    "CANCEL_STATUSES",
    "FEE_CODES",
    "Assessment",
    "StatusColumn",
    "assess",
    "localize",
    "notice_seconds",
]
