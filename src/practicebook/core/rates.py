"""The Services row in effect for each session, and each session's rate and its source.

A session's rate is the first of ``fee_override``, the client's rate for the service, the
client's rate for any service, the clinician's rate for the service, the clinician's rate
for any service, the service's base fee — each taken from the row whose effective period
contains the session date. Attended sessions are charged their rate (``ledger``); late
cancellations and no-shows get a separate ``LATECXL`` / ``NOSHOW`` line priced by
``practicebook.core.policy``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.lookup import Keys, codes, in_effect, take
from practicebook.model import Book

__all__ = ["priced_sessions", "session_rates"]


def priced_sessions(
    book: Book, w: pd.DataFrame, clients: pd.Index
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The sessions with their day (``_day``), Services row in effect (``_service``, -1
    for none) and rate (``_rate``); the days again, and where each rate came from.
    ``clients`` is the index ``w["_client"]`` points into."""
    day = w["scheduled_start"].dt.normalize().to_numpy(dtype="datetime64[ns]")
    service = Keys.of(w["service_code"])
    service_pos = _service_positions(book, service, day)
    w = w.assign(_service=service_pos, _day=day)
    rate, source = session_rates(book, w, day, service_pos, service, clients)
    w["_rate"] = rate
    return w, day, source


def _service_positions(book: Book, service: Keys, day: np.ndarray) -> np.ndarray:
    """Position of each session's Services row in effect on its day (-1 for none)."""
    services = book.services
    index = pd.Index(pd.unique(services["service_code"]))
    return in_effect(
        [service.positions(index)],
        day,
        [codes(services["service_code"], index)],
        [len(index)],
        services["effective_from"],
        services["effective_to"],
    )


def _rate_positions(
    book: Book, who: Keys, service: Keys, day: np.ndarray, scope: str, with_service: bool
) -> np.ndarray:
    """Position of the Rates row for the session's client or clinician (-1 for none)."""
    rates = book.rates
    chosen = (
        (rates["scope"] == scope) & (rates["service_code"].notna() == with_service)
    ).to_numpy()
    if not chosen.any():
        return np.full(len(day), -1, dtype=np.int64)
    people = pd.Index(pd.unique(rates["scope_id"][chosen]))
    right_who = np.where(chosen, codes(rates["scope_id"], people), -1)
    left, right, sizes = [who.positions(people)], [right_who], [len(people)]
    if with_service:
        svc = pd.Index(pd.unique(rates["service_code"][chosen]))
        left.append(service.positions(svc))
        right.append(codes(rates["service_code"], svc))
        sizes.append(len(svc))
    return in_effect(left, day, right, sizes, rates["effective_from"], rates["effective_to"])


def session_rates(
    book: Book,
    w: pd.DataFrame,
    day: np.ndarray,
    service_pos: np.ndarray,
    service: Keys,
    clients: pd.Index,
) -> tuple[np.ndarray, np.ndarray]:
    """Each session's rate in minor units and where it came from (one line of text).
    ``clients`` is the index ``w["_client"]`` points into."""
    rates, services = book.rates, book.services
    fees = rates["fee"].to_numpy(dtype=np.int64, na_value=0)
    rate_ids = rates["rate_id"].to_numpy(dtype=object)
    base = take(services["base_fee"].to_numpy(dtype=np.int64, na_value=0), service_pos, 0)
    rate = base.copy()
    source = take(
        ("base fee of " + services["service_code"]).to_numpy(dtype=object),
        service_pos,
        "no fee: unknown service",
    )
    people = {
        "client": Keys(w["_client"].to_numpy(dtype=np.int64), clients),
        "clinician": Keys.of(w["clinician_id"]),
    }
    steps = [("clinician", False), ("clinician", True), ("client", False), ("client", True)]
    for scope, with_service in steps:  # lowest precedence first, so later steps win
        pos = _rate_positions(book, people[scope], service, day, scope, with_service)
        found = pos >= 0
        rate[found] = fees[pos[found]]
        source[found] = f"{scope} rate " + rate_ids[pos[found]]
    override = w["fee_override"].to_numpy(dtype=np.int64, na_value=-1)
    rate = np.where(override >= 0, override, rate)
    source[override >= 0] = "fee override"
    return rate, source
