"""The policy in force on each session, as one column per policy attribute.

The policy in force is the client's policy, else ``Practice.default_policy_id``, in its
effective period on the session date (both end dates included). Its attributes are
taken per session once, blank or zero where no policy is in force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.core.lookup import codes, in_effect, take
from practicebook.core.policy.notice import seconds
from practicebook.core.policy.status import STATUS_INDEX, status_code
from practicebook.model import Book

__all__ = ["PolicyInForce", "client_rows", "policy_in_force"]


@dataclass
class PolicyInForce:
    """Per-session attributes of the policy in force (blank/zero where none)."""

    pos: np.ndarray
    policy_id: np.ndarray
    threshold: np.ndarray  # notice seconds
    ns_grace: np.ndarray
    after_start: np.ndarray  # status code a cancellation at or after the start gets
    grace_count: np.ndarray
    grace_scope: np.ndarray
    rolling_days: np.ndarray
    exempt_intake: np.ndarray
    reschedule_waiver: np.ndarray
    window_days: np.ndarray
    min_amount: np.ndarray
    cap_amount: np.ndarray
    found: np.ndarray  # a policy is in force


def _first_rows(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.Index]:
    """The first row per key (duplicates are reported by the parser) and its index."""
    unique = frame[~frame[key].duplicated()].reset_index(drop=True)
    return unique, pd.Index(unique[key])


def client_rows(book: Book, client_index: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """The Clients rows (first per ID) and, per code of ``client_index``, its row."""
    clients, index = _first_rows(book.clients, "client_id")
    return clients, codes(client_index, index)


def policy_in_force(
    book: Book, w: pd.DataFrame, day: np.ndarray, client_index: pd.Index
) -> PolicyInForce:
    """The policy in force on each session of ``w`` (``_client`` codes into
    ``client_index``) on its ``day``."""
    clients, row_of = client_rows(book, client_index)
    chosen = pd.Series(
        take(clients["policy_id"].to_numpy(dtype=object), row_of, None), dtype=object
    )
    default = book.settings.default_policy_id
    if default:
        chosen = chosen.where(chosen.notna(), default)
    policies = book.policies
    ids = pd.Index(pd.unique(policies["policy_id"]))
    wanted = take(codes(chosen, ids), w["_client"].to_numpy(dtype=np.int64), -1)
    pos = in_effect(
        [wanted],
        day,
        [codes(policies["policy_id"], ids)],
        [len(ids)],
        policies["effective_from"],
        policies["effective_to"],
    )

    def col(name: str, fill: object, dtype: object = None) -> np.ndarray:
        values = policies[name]
        arr = (
            values.to_numpy(dtype=dtype, na_value=fill)
            if dtype is not None
            else values.to_numpy(dtype=object)
        )
        return take(arr, pos, fill)

    thresholds = np.array([seconds(h) or 0 for h in policies["notice_hours"]], dtype=np.int64)
    return PolicyInForce(
        pos=pos,
        policy_id=col("policy_id", None),
        threshold=take(thresholds, pos, 0),
        # minutes, counts and days fit 32 bits, a status code 8: a million sessions'
        # policy columns stay small
        ns_grace=_int32(col("ns_grace_minutes", 15, np.int64)),
        after_start=take(
            codes(policies["cancel_after_start_is"], STATUS_INDEX), pos, status_code("no_show")
        ).astype(np.int8),
        grace_count=_int32(col("grace_count", 0, np.int64)),
        grace_scope=col("grace_scope", "lifetime"),
        rolling_days=_int32(col("grace_rolling_days", 365, np.int64)),
        exempt_intake=col("exempt_intake", False, bool),
        reschedule_waiver=col("reschedule_waiver", False, bool),
        window_days=_int32(col("reschedule_window_days", 7, np.int64)),
        min_amount=col("min_amount", -1, np.int64),
        cap_amount=col("cap_amount", -1, np.int64),
        found=pos >= 0,
    )


def _int32(values: np.ndarray) -> np.ndarray:
    """Whole numbers held in 32 bits; beyond that range (a grace count of three billion
    means "always") they are held at its ends, which no count of sessions reaches."""
    bounds = np.iinfo(np.int32)
    clipped: np.ndarray = np.clip(values, bounds.min, bounds.max).astype(np.int32)
    return clipped
