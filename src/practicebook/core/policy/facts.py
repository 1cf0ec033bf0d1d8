"""What the session rules read, and how a rule turns a mask of sessions into findings.

``SessionFacts`` gathers the columns the policy engine has worked out for every assessed
session; ``session_flags`` writes one rule's findings for the sessions it selects, at a
cell of the Sessions sheet, with messages built only for those rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from practicebook.core.findings import rule_flags
from practicebook.core.policy.in_force import PolicyInForce
from practicebook.core.policy.status import StatusColumn
from practicebook.core.wording import hours_texts
from practicebook.issues import Code, Severity
from practicebook.model import ROW, Book

__all__ = ["Flags", "Message", "SessionFacts", "session_flags"]

#: The findings of one rule: a set of flag columns per cell it points at.
Flags = list[dict[str, np.ndarray]]
#: The messages of a rule for the rows at the given positions.
Message = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare
class SessionFacts:
    """What the session rules read: a value per assessed session (rows aligned with
    ``sessions``), and the book and date they come from."""

    book: Book
    sessions: pd.DataFrame
    as_of: pd.Timestamp
    policy: PolicyInForce
    day: np.ndarray  # the session's day
    client: np.ndarray  # client code
    status: StatusColumn  # as recorded
    computed: StatusColumn  # as the times imply
    by_practice: np.ndarray  # cancelled by the clinician or the practice
    has_cancel_time: np.ndarray
    notice: np.ndarray  # seconds, 0 without a cancel time
    chargeable: np.ndarray  # a late cancellation or no-show the client may owe for
    waived: np.ndarray
    ack: np.ndarray  # the day the client acknowledged the policy, NaT if never
    reason_code: np.ndarray  # 1 + position in ZERO_REASONS, 0 for none
    occurrence: np.ndarray  # 0 where the session does not count
    fee: np.ndarray  # minor units, 0 where none

    @cached_property
    def session_ids(self) -> pd.api.extensions.ExtensionArray:
        """The session IDs as they are held: read for a few rows at a time."""
        return self.sessions["session_id"].array

    @cached_property
    def client_ids(self) -> np.ndarray:
        ids: np.ndarray = self.sessions["client_id"].to_numpy(dtype=object)
        return ids

    @cached_property
    def recorded(self) -> np.ndarray:
        """The recorded status as text."""
        names: np.ndarray = self.sessions["status"].to_numpy(dtype=object)
        return names

    @cached_property
    def excel_rows(self) -> np.ndarray:
        rows: np.ndarray = self.sessions[ROW].to_numpy()
        return rows

    @cached_property
    def late_cancelled(self) -> np.ndarray:
        return self.status.eq("late_cancelled")

    def fee_kind(self, j: np.ndarray) -> np.ndarray:
        """``late-cancel`` or ``no-show``, for the rows at ``j``."""
        kind: np.ndarray = np.where(self.late_cancelled[j], "late-cancel", "no-show").astype(object)
        return kind

    def notice_hours(self, j: np.ndarray) -> np.ndarray:
        return hours_texts(self.notice[j], self.book.settings.locale)

    def threshold_hours(self, j: np.ndarray) -> np.ndarray:
        return hours_texts(self.policy.threshold[j], self.book.settings.locale)


def session_flags(
    facts: SessionFacts,
    mask: np.ndarray,
    code: Code,
    severity: Severity,
    key: str,
    message: Message,
    hint: str,
) -> Flags:
    """The findings of ``code`` on the sessions in ``mask``, at their ``key`` cell."""
    j = np.flatnonzero(mask)
    if not j.size:
        return []
    return [
        rule_flags(
            code,
            severity,
            facts.book.cell("Sessions", key, 0),
            facts.excel_rows[j],
            facts.session_ids[j],
            facts.client_ids[j],
            message(j),
            hint,
        )
    ]
