"""The invented practice itself: clinicians, services and policies, clients, sessions,
payments and adjustments over a year, and the planted problems.

Synthetic only: names come from short lists of made-up words; the same seed gives the
same practice.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from practicebook.schema import STATUSES

__all__ = ["GeneratedPractice", "PlantedProblem", "generate", "write_example"]

FIRST = (
    "Ari",
    "Bex",
    "Cal",
    "Dani",
    "Eli",
    "Fen",
    "Gus",
    "Hal",
    "Ivo",
    "Jae",
    "Kit",
    "Lio",
    "Mae",
    "Noa",
    "Oli",
    "Pim",
    "Quin",
    "Rae",
    "Sol",
    "Tam",
    "Uma",
    "Vic",
    "Wren",
    "Yara",
)
LAST = (
    "Ambervale",
    "Brookhart",
    "Cindermoor",
    "Dunwick",
    "Elmsworth",
    "Farrowby",
    "Glenhollow",
    "Harrowgate",
    "Ivybridge",
    "Juniper",
    "Kestrelton",
    "Larkspur",
    "Mossbank",
    "Nettlefield",
    "Oakhurst",
    "Pebbleton",
    "Quarrystone",
    "Rushmere",
)
SERVICES = (  # code, description, min, max, default minutes, fee
    ("90791", "Psychiatric diagnostic evaluation", None, None, 60, "200.00"),
    ("90832", "Psychotherapy, 30 minutes", 16, 37, 30, "100.00"),
    ("90834", "Psychotherapy, 45 minutes", 38, 52, 45, "150.00"),
    ("90837", "Psychotherapy, 60 minutes", 53, None, 60, "190.00"),
    ("90846", "Family psychotherapy without the client", 26, None, 50, "160.00"),
    ("90847", "Family psychotherapy with the client", 26, None, 50, "170.00"),
)
METHODS = ("card", "card", "card", "e_transfer", "check", "cash", "zelle", "hsa_fsa")


#: Further data a generated practice gets, by name, in order: each a function that fills
#: rows or columns of the practice from its own random stream (documents' details, bank
#: statements…).
DETAILS: list[tuple[str, Callable[[GeneratedPractice, random.Random], None]]] = []


@dataclass(frozen=True)
class PlantedProblem:
    """A deliberate data problem: the sheet, Excel row, column key and expected code."""

    sheet: str
    row: int
    key: str
    code: str


@dataclass
class GeneratedPractice:
    """Rows per sheet (ready for ``write_workbook``), settings and planted problems."""

    rows: dict[str, list[dict[str, object]]]
    settings: dict[str, object]
    problems: list[PlantedProblem] = field(default_factory=list)

    def write(self, target: str | Path | IO[bytes]) -> None:
        """Write the practice as a standard workbook."""
        from practicebook.workbook.template import write_workbook

        write_workbook(target, self.rows, settings=self.settings)


def generate(
    sessions: int = 600,
    *,
    seed: int = 20260101,
    start: dt.date = dt.date(2026, 1, 5),
    problems: bool = False,
    currency: str = "USD",
    locale: str = "en_US",
    timezone: str = "America/New_York",
) -> GeneratedPractice:
    """Invent a practice with about ``sessions`` sessions over the year from ``start``."""
    rng = random.Random(seed)
    n_clients = max(8, sessions // 100)
    n_clinicians = max(2, min(12, n_clients // 40 + 2))
    settings: dict[str, object] = {
        "practice_name": "Riverbend Counselling (example)",
        "currency": currency,
        "locale": locale,
        "timezone": timezone,
        "payment_terms_days": 0,
        "default_policy_id": "POL-STD",
        "address_line1": "1 Example Lane",
        "city": "Springfield",
        "country": "US",
    }
    rows: dict[str, list[dict[str, object]]] = {
        "Clinicians": [
            {
                "clinician_id": f"T{i:02d}",
                "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "credentials": rng.choice(("LCSW", "PhD", "LMFT", "LPC")),
            }
            for i in range(1, n_clinicians + 1)
        ],
        "Services": _services(),
        "Policies": [
            {
                "policy_id": "POL-STD",
                "name": "Standard 24 hours",
                "notice_hours": 24,
                "ns_grace_minutes": 15,
                "grace_count": 1,
                "grace_scope": "rolling_days",
                "grace_rolling_days": 365,
                "exempt_intake": True,
                "cap_amount": Decimal("200.00"),
            },
            {
                "policy_id": "POL-48",
                "name": "Couples 48 hours",
                "notice_hours": 48,
                "ns_grace_minutes": 15,
                "grace_count": 0,
                "grace_scope": "lifetime",
            },
        ],
        "PolicyTiers": [
            {
                "policy_id": "POL-STD",
                "applies_to": "late_cancel",
                "min_notice_hours": 12,
                "max_notice_hours": 24,
                "charge_type": "percent",
                "charge_value": 50,
            },
            {
                "policy_id": "POL-STD",
                "applies_to": "late_cancel",
                "max_notice_hours": 12,
                "charge_type": "full",
            },
            {"policy_id": "POL-STD", "applies_to": "no_show", "charge_type": "full"},
            {
                "policy_id": "POL-48",
                "applies_to": "late_cancel",
                "charge_type": "percent",
                "charge_value": 50,
            },
            {"policy_id": "POL-48", "applies_to": "no_show", "charge_type": "full"},
        ],
    }
    clients = _clients(rng, n_clients, start)
    rows["Clients"] = clients
    rows["Rates"] = _rates(rng, clients, rows["Clinicians"])
    rows["Sessions"] = _sessions(rng, sessions, clients, rows["Clinicians"], start)
    rows["Payments"] = _payments(rng, rows["Sessions"], clients)
    rows["Adjustments"] = _adjustments(rng, clients, start)
    practice = GeneratedPractice(rows, settings)
    for name, add in DETAILS:
        # each addition draws from its own stream, so adding one changes no other figure
        add(practice, random.Random(f"{seed}:{name}"))
    if problems:
        _plant_problems(practice)
    return practice


def _services() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for code, desc, lo, hi, minutes, fee in SERVICES:
        row: dict[str, object] = {
            "service_code": code,
            "description": desc,
            "client_description": "Counselling",
            "min_minutes": lo,
            "max_minutes": hi,
            "default_minutes": minutes,
            "base_fee": Decimal(fee),
            "superbill_eligible": True,
        }
        if code == "90834":  # the fee went up at the start of July: two periods
            out.append({**row, "base_fee": Decimal("140.00"), "effective_to": dt.date(2026, 6, 30)})
            row["effective_from"] = dt.date(2026, 7, 1)
        out.append(row)
    return out


def _clients(rng: random.Random, n: int, start: dt.date) -> list[dict[str, object]]:
    clients = []
    for i in range(1, n + 1):
        intake = start + dt.timedelta(days=rng.randrange(0, 120))
        billing = rng.choices(("self_pay", "sliding", "insurance"), (7, 2, 1))[0]
        exempt = rng.random() < 0.03
        clients.append(
            {
                "client_id": f"C{i:04d}",
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "email": f"client{i}@example.invalid",
                "dob": dt.date(
                    1960 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                "billing_type": billing,
                "policy_id": "POL-48" if rng.random() < 0.1 else None,
                "fee_exempt": exempt,
                "fee_exempt_reason": "contract" if exempt else None,
                "policy_ack_date": intake if rng.random() < 0.92 else None,
                "intake_date": intake,
                "status": "active",
            }
        )
    return clients


def _rates(
    rng: random.Random, clients: list[dict[str, object]], clinicians: list[dict[str, object]]
) -> list[dict[str, object]]:
    rates: list[dict[str, object]] = []
    for client in clients:
        if client["billing_type"] == "sliding":
            rates.append(
                {
                    "rate_id": f"R{len(rates) + 1:04d}",
                    "scope": "client",
                    "scope_id": client["client_id"],
                    "fee": Decimal(rng.choice(("80.00", "95.00", "110.00"))),
                    "reason": "sliding scale",
                }
            )
    rates.append(
        {
            "rate_id": f"R{len(rates) + 1:04d}",
            "scope": "clinician",
            "scope_id": clinicians[0]["clinician_id"],
            "service_code": "90837",
            "fee": Decimal("210.00"),
            "reason": "senior clinician",
        }
    )
    return rates


def _sessions(
    rng: random.Random,
    total: int,
    clients: list[dict[str, object]],
    clinicians: list[dict[str, object]],
    start: dt.date,
) -> list[dict[str, object]]:
    sessions: list[dict[str, object]] = []
    per_client = max(1, total // len(clients))
    extra = total - per_client * len(clients)
    for idx, client in enumerate(clients):
        count = per_client + (1 if idx < extra else 0)
        clinician = rng.choice(clinicians)["clinician_id"]
        intake = client["intake_date"]
        assert isinstance(intake, dt.date)
        weekday_hour = (rng.randrange(5), rng.choice((9, 10, 11, 13, 14, 15, 16, 17)))
        day = intake + dt.timedelta(days=(weekday_hour[0] - intake.weekday()) % 7)
        step = max(1, min(7, 330 // max(count, 1)))
        for k in range(count):
            when = dt.datetime.combine(day, dt.time(weekday_hour[1]))
            day += dt.timedelta(days=step if step < 7 else rng.choice((7, 7, 7, 14)))
            code = (
                "90791"
                if k == 0
                else rng.choices(("90834", "90837", "90832", "90847"), (6, 2, 1, 1))[0]
            )
            sessions.append(_session(rng, len(sessions) + 1, client, clinician, code, when))
    return sessions


def _session(
    rng: random.Random,
    n: int,
    client: Mapping[str, object],
    clinician: object,
    code: str,
    when: dt.datetime,
) -> dict[str, object]:
    minutes = {"90791": 60, "90832": 30, "90834": 45, "90837": 60, "90847": 50}[code]
    row: dict[str, object] = {
        "session_id": f"S{n:07d}",
        "client_id": client["client_id"],
        "clinician_id": clinician,
        "service_code": code,
        "scheduled_start": when,
        "scheduled_minutes": minutes,
    }
    if when > dt.datetime(2026, 11, 25):
        row["status"] = "scheduled"
        return row
    # every status but scheduled (the first), weighted in the schema's order
    status = rng.choices(STATUSES[1:], (85, 6, 3, 2.5, 2, 0.5))[0]
    row["status"] = status
    if status == "attended":
        row["actual_minutes"] = minutes + rng.choice((0, 0, 0, 2, -2, 5))
        if rng.random() < 0.03:
            row["arrived_minutes_late"] = rng.choice((5, 10, 20))
    elif status in ("cancelled", "late_cancelled", "clinician_cancelled"):
        hours = rng.uniform(26, 120) if status != "late_cancelled" else rng.uniform(1, 23)
        row["cancel_requested_at"] = (when - dt.timedelta(hours=hours)).replace(
            second=0, microsecond=0
        )
        row["cancelled_by"] = "clinician" if status == "clinician_cancelled" else "client"
        row["cancel_channel"] = rng.choice(("phone", "voicemail", "email", "text", "portal"))
    if status in ("late_cancelled", "no_show") and rng.random() < 0.1:
        row["fee_waived"] = True
        row["waiver_reason"] = rng.choice(("illness", "emergency", "weather"))
    return row


def _payments(
    rng: random.Random, sessions: list[dict[str, object]], clients: list[dict[str, object]]
) -> list[dict[str, object]]:
    payments: list[dict[str, object]] = []
    by_client: dict[object, list[dict[str, object]]] = {}
    for s in sessions:
        if s["status"] in ("attended", "late_cancelled", "no_show"):
            by_client.setdefault(s["client_id"], []).append(s)
    fee = {code: Decimal(f) for code, *_, f in SERVICES}
    for client in clients:
        billable = by_client.get(client["client_id"], [])
        i = 0
        while i < len(billable):
            batch = billable[i : i + rng.choice((1, 1, 1, 2, 4))]
            i += len(batch)
            last = batch[-1]["scheduled_start"]
            assert isinstance(last, dt.datetime)
            paid_on = last.date() + dt.timedelta(days=rng.choice((0, 0, 1, 3, 10, 30)))
            if paid_on > dt.date(2026, 11, 20) or rng.random() < 0.04:
                continue  # still owed
            amount = sum((fee[str(s["service_code"])] for s in batch), Decimal(0))
            if rng.random() < 0.08:
                amount = (amount * Decimal(rng.choice(("0.5", "0.75", "1.1")))).quantize(
                    Decimal("0.01")
                )
            method = rng.choice(METHODS)
            payments.append(
                {
                    "payment_id": f"P{len(payments) + 1:07d}",
                    "received_date": paid_on,
                    "client_id": client["client_id"],
                    "kind": "payment",
                    "method": method,
                    "reference": f"TX{rng.randrange(10**8):08d}" if method == "card" else None,
                    "amount": amount,
                    "applies_to_session_id": batch[0]["session_id"] if len(batch) == 1 else None,
                }
            )
    for p in rng.sample(payments, k=min(len(payments), max(1, len(payments) // 200))):
        refund_date = p["received_date"]
        assert isinstance(refund_date, dt.date)
        payments.append(
            {
                "payment_id": f"P{len(payments) + 1:07d}",
                "received_date": refund_date + dt.timedelta(days=7),
                "client_id": p["client_id"],
                "kind": "refund",
                "method": p["method"],
                "amount": Decimal("20.00"),
                "refund_of_payment_id": p["payment_id"],
            }
        )
    return payments


def _adjustments(
    rng: random.Random, clients: list[dict[str, object]], start: dt.date
) -> list[dict[str, object]]:
    adjustments: list[dict[str, object]] = []
    for client in rng.sample(clients, k=max(1, len(clients) // 20)):
        adjustments.append(
            {
                "adjustment_id": f"A{len(adjustments) + 1:06d}",
                "date": start + dt.timedelta(days=rng.randrange(60, 300)),
                "client_id": client["client_id"],
                "type": rng.choice(("courtesy_discount", "write_off")),
                "amount": -Decimal(rng.choice(("10.00", "25.00", "50.00"))),
                "reason": "goodwill",
                "approved_by": "T01",
            }
        )
    return adjustments


def _plant_problems(practice: GeneratedPractice) -> None:
    """Damage a few rows on purpose and record where; Excel row = list index + 2."""
    rows = practice.rows
    found = practice.problems

    def plant(sheet: str, index: int, key: str, value: object, code: str) -> None:
        rows[sheet][index][key] = value
        found.append(PlantedProblem(sheet, index + 2, key, code))

    sessions, payments, clients = rows["Sessions"], rows["Payments"], rows["Clients"]
    plant("Sessions", 3, "client_id", "C9999", "unknown-client")
    plant("Sessions", 5, "scheduled_start", "31/02/2026 10:00", "bad-date")
    plant("Sessions", 7, "status", "maybe", "bad-choice")
    plant("Sessions", 9, "session_id", sessions[2]["session_id"], "duplicate-id")
    plant("Sessions", 11, "service_code", "99999", "unknown-service")
    plant("Sessions", 13, "fee_override", "a lot", "bad-money")
    plant("Payments", 1, "amount", "12,34.5", "ambiguous-money")
    plant("Payments", 2, "client_id", None, "missing-value")
    plant("Payments", 4, "method", "bitcoin", "bad-choice")
    plant("Clients", 1, "fee_exempt", "perhaps", "bad-bool")
    plant("Clients", 2, "policy_id", "POL-NONE", "unknown-policy")
    if len(payments) > 6:
        plant("Payments", 6, "amount", Decimal("-15.00"), "out-of-range")
    assert clients


def write_example(
    target: str | Path | IO[bytes], sessions: int = 600, **kwargs: object
) -> GeneratedPractice:
    """Generate a practice and write it as a workbook; return what was generated."""
    practice = generate(sessions, **kwargs)  # type: ignore[arg-type]
    practice.write(target)
    return practice
