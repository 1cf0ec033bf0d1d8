"""The cancellation log: every session recorded or computed as a cancellation, with the
notice given in hours, the policy and occurrence that applied, and the fee and its basis
(as ``practicebook.core.policy`` assessed them)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from practicebook.core import policy
from practicebook.core.columns import blank_as_none, cell_refs
from practicebook.core.lookup import frame as object_frame
from practicebook.core.wording import hundredths, hundredths_texts
from practicebook.model import ROW, Book

__all__ = ["cancellation_log"]


def cancellation_log(
    book: Book, w: pd.DataFrame, assessment: policy.Assessment, day: np.ndarray
) -> pd.DataFrame:
    """The cancellation log: every session recorded or computed as a cancellation."""
    a = assessment.frame
    rows = np.flatnonzero(a["logged"].to_numpy())
    status = w["status"].to_numpy(dtype=object)
    notice = a["notice_seconds"].iloc[rows]
    return object_frame(
        {
            "session_id": w["session_id"].iloc[rows].to_numpy(dtype=object),
            "client_id": w["client_id"].iloc[rows].to_numpy(dtype=object),
            "date": day[rows],
            "recorded_status": status[rows],
            "computed_status": a["computed_status"].iloc[rows].to_numpy(dtype=object),
            "notice_hours": _notice_hours(notice),
            "policy_id": a["policy_id"].iloc[rows].to_numpy(dtype=object),
            "occurrence": a["occurrence"].iloc[rows].reset_index(drop=True),
            "fee": a["fee"].iloc[rows].fillna(0).reset_index(drop=True),
            "fee_code": blank_as_none(a["fee_code"].iloc[rows]),
            "basis": a["basis"].iloc[rows].to_numpy(dtype=object),
            "source": cell_refs(book, "Sessions", "session_id", w[ROW].to_numpy()[rows]),
        }
    )


def _notice_hours(seconds: pd.Series) -> np.ndarray:
    """Notice as ``Decimal`` hours (``None`` without a cancel time), one ``Decimal`` per
    distinct value."""
    found, distinct = pd.factorize(hundredths(seconds.to_numpy(dtype=np.int64, na_value=0)))
    hours = np.array([Decimal(h) for h in hundredths_texts(distinct)], dtype=object)
    # numpy's stubs read ``where(c, None, y)`` as the one-argument form
    return np.where(seconds.isna().to_numpy(), None, hours[found])  # type: ignore[return-value]
