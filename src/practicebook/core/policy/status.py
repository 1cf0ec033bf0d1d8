"""Session statuses as small integer codes, and the groups of them the policy speaks of.

A status column is held as positions in ``schema.STATUSES`` (``StatusColumn``), so
membership tests compare small integers instead of strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.lookup import any_of
from practicebook.schema import STATUSES

__all__ = [
    "CANCEL_STATUSES",
    "CHARGEABLE",
    "HELD",
    "STATUS_INDEX",
    "STATUS_NAMES",
    "StatusColumn",
    "status_code",
]

CHARGEABLE = ("late_cancelled", "no_show")
CANCEL_STATUSES = ("cancelled", "late_cancelled", "no_show", "clinician_cancelled")
HELD = ("attended", "non_billable")

STATUS_INDEX = pd.Index(STATUSES, dtype=object)
STATUS_NAMES = np.array(STATUSES, dtype=object)


def status_code(name: str) -> int:
    """The code of a status name."""
    return STATUSES.index(name)


class StatusColumn:
    """A status column as codes into ``schema.STATUSES``: membership tests then compare
    small integers instead of strings."""

    def __init__(self, status_codes: np.ndarray) -> None:
        self.codes = status_codes

    def isin(self, names: tuple[str, ...]) -> np.ndarray:
        return any_of(self.codes, [STATUSES.index(n) for n in names])

    def eq(self, name: str) -> np.ndarray:
        equal: np.ndarray = self.codes == STATUSES.index(name)
        return equal
