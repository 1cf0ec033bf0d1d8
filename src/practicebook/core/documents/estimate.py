"""Good-faith estimates (US No Surprises Act): the services a self-pay client can expect
over a period, how often, and at what fee.

Each fee is the one the core would charge: the first of the client's rate, the
clinician's rate and the service's base fee in effect on the estimate's first day
(``practicebook.core.rates``). The register keeps each estimate's period and total, so
the ``gfe-variance`` finding can compare them with what is billed
(``register.register_findings``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money
from practicebook.core.documents.context import Context, present
from practicebook.core.documents.model import Document, EstimateRequest, LineColumn, Value
from practicebook.core.documents.superbill import diagnoses_on
from practicebook.core.rates import priced_sessions
from practicebook.errors import UnknownClient
from practicebook.money import from_minor

__all__ = ["GFE_NOTICE", "estimate", "expected_sessions"]

_COLUMNS = (
    LineColumn("service_code", "Code"),
    LineColumn("description", "Service"),
    LineColumn("sessions", "Sessions", "count"),
    LineColumn("fee", "Fee per session", "money"),
    LineColumn("total", "Estimated cost", "money"),
)

#: The notice a good-faith estimate carries, in plain words.
GFE_NOTICE = (
    "This Good Faith Estimate shows the costs of the services that are reasonably expected "
    "for your care, based on what is known on the day it was made. It is not a contract: "
    "you are not required to get these services from this provider.",
    "If you are billed at least $400 more than this estimate, you may dispute the bill. "
    "Start a dispute within 120 days of the date on the bill (cms.gov/nosurprises, "
    "1-800-985-3059). Keep a copy of this estimate.",
)


def expected_sessions(start: dt.date, end: dt.date, frequency: str) -> int:
    """Sessions from ``start`` to ``end`` (both included) at ``frequency``.

    >>> expected_sessions(dt.date(2026, 1, 5), dt.date(2026, 3, 29), "weekly")
    12
    >>> expected_sessions(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "monthly")
    12
    """
    span = (end - start).days
    if frequency == "weekly":
        return span // 7 + 1
    if frequency == "biweekly":
        return span // 14 + 1
    if frequency == "monthly":
        months = (end.year - start.year) * 12 + end.month - start.month
        return months + (1 if end.day >= start.day else 0)
    raise ValueError(f"unknown frequency {frequency!r}: weekly, biweekly or monthly")


def estimate(
    ctx: Context, request: EstimateRequest, issued_on: dt.date, currency: str, locale: str
) -> Document:
    """The good-faith estimate ``request`` asks for.

    Raises:
        UnknownClient: the client is not on the Clients sheet.
        LookupError: a service has no fee on the first day, or the clinician is unknown.
        ValueError: no service, a count without a frequency, or an empty period.
    """
    client_id = request.client_id
    if ctx.client(client_id) is None:
        raise UnknownClient(client_id)
    if request.end < request.start:
        raise ValueError(f"the period ends ({request.end}) before it starts ({request.start})")
    if not request.services:
        raise ValueError("an estimate needs at least one service")
    clinician = request.clinician_id or _latest_clinician(ctx, client_id)
    if clinician is not None and ctx.clinician(clinician) is None:
        raise LookupError(f"{clinician!r} is not on the Clinicians sheet")
    codes = [code for code, _ in request.services]
    counts = []
    for code, count in request.services:
        if count is None:
            if request.frequency is None:
                raise ValueError(f"say how many sessions of {code}, or how often they are")
            count = expected_sessions(request.start, request.end, request.frequency)
        counts.append(int(count))
    fees = _fees(ctx, client_id, clinician, codes, request.start)
    minimal = ctx.minimal(request.minimal)
    number = np.array(counts, dtype=np.int64)
    totals = fees * number
    lines = pd.DataFrame(
        {
            "service_code": codes,
            "description": [ctx.service_text(c, minimal) for c in codes],
            "sessions": number,
            "fee": as_money(fees, currency),
            "total": as_money(totals, currency),
        }
    )
    facts: list[tuple[str, Value]] = [
        ("Estimate date", issued_on),
        ("Period", (request.start, request.end)),
        ("Client", client_id),
    ]
    if clinician is not None:
        row = ctx.clinician(clinician) or {}
        name = present(row.get("display_name")) or clinician
        credentials = present(row.get("credentials"))
        facts.append(("Provider", f"{name}, {credentials}" if credentials else name))
    if not minimal:
        dx = diagnoses_on(ctx, client_id, request.start)
        if dx:
            facts.append(("Diagnoses", ", ".join(code for code, _ in dx)))
    total = int(totals.sum())
    return Document(
        kind="estimate",
        title="Good Faith Estimate",
        client_id=client_id,
        period=(request.start, request.end),
        as_of=request.start,
        issued_on=issued_on,
        currency=currency,
        locale=locale,
        minimal=minimal,
        issuer=ctx.issuer,
        recipient=ctx.recipient(client_id, minimal),
        facts=tuple(facts),
        lines=lines,
        columns=_COLUMNS,
        summary=(("Estimated total", from_minor(total, currency)),),
        total=from_minor(total, currency),
        notes=(*GFE_NOTICE, *ctx.tax_lines),
    )


def _latest_clinician(ctx: Context, client_id: str) -> str | None:
    sessions = ctx.book.sessions
    mine = sessions[(sessions["client_id"] == client_id) & sessions["clinician_id"].notna()]
    if mine.empty:
        return None
    latest = mine.sort_values("scheduled_start", kind="stable").iloc[-1]
    return str(latest["clinician_id"])


def _fees(
    ctx: Context, client_id: str, clinician: str | None, codes: list[str], day: dt.date
) -> np.ndarray:
    """Each service's fee for the client on ``day``, by the core's rate precedence."""
    n = len(codes)
    sessions = pd.DataFrame(
        {
            "scheduled_start": pd.to_datetime([day] * n),
            "service_code": pd.array(codes, dtype="str"),
            "_client": np.zeros(n, dtype=np.int64),
            "clinician_id": pd.array([clinician] * n, dtype="str"),
            "fee_override": pd.array([None] * n, dtype="Int64"),
        }
    )
    priced, _, _ = priced_sessions(ctx.book, sessions, pd.Index([client_id]))
    unknown = priced["_service"].to_numpy() < 0
    if unknown.any():
        code = codes[int(np.flatnonzero(unknown)[0])]
        raise LookupError(f"service {code!r} has no Services row in effect on {day}")
    fees: np.ndarray = priced["_rate"].to_numpy(dtype=np.int64)
    return fees
