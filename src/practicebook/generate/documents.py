"""The details client documents need, added to an invented practice: postal addresses,
the practice's tax ID, NPIs and phone, clinicians' licences, places of service and
telehealth modifiers, diagnoses, and the wording printed on documents.

Drawn from its own random stream (``DETAILS``), so the practice's figures are the same
with or without it. Synthetic only: streets and towns are made-up words, NPIs are
well-formed numbers (their check digit is right) that name nobody.
"""

from __future__ import annotations

import datetime as dt
import random

from practicebook.generate.practice import GeneratedPractice

__all__ = ["add_document_details", "npi"]

STREETS = ("Alder", "Birch", "Cedar", "Dove", "Elm", "Fern", "Gale", "Heron", "Iris", "Juniper")
TOWNS = (("Springfield", "IL", "627"), ("Riverton", "IL", "629"), ("Lakeside", "IL", "600"))
DIAGNOSES = (
    ("F41.1", "Generalized anxiety disorder"),
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F40.10", "Social phobia, unspecified"),
    ("F90.0", "Attention-deficit hyperactivity disorder, predominantly inattentive type"),
)


def npi(rng: random.Random) -> str:
    """A well-formed NPI: nine digits starting 1 or 2, then their Luhn check digit (over
    the prefix 80840)."""
    base = str(rng.choice((1, 2))) + "".join(str(rng.randrange(10)) for _ in range(8))
    total = 0
    for i, ch in enumerate(reversed("80840" + base)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return base + str((10 - total % 10) % 10)


def add_document_details(practice: GeneratedPractice, rng: random.Random) -> None:
    """Fill in the columns and settings documents print (see the module docstring)."""
    rows, settings = practice.rows, practice.settings
    settings.update(
        {
            "region": "IL",
            "postal_code": "62701",
            "phone": "555-0100",
            "email": "office@example.invalid",
            "tax_id": f"{rng.randrange(10, 99)}-{rng.randrange(10**6, 10**7)}",
            "payment_instructions": "Pay by card at the front desk, or by bank transfer to "
            "account 000-1234 quoting your client ID.",
            "statement_footer": "Thank you. Questions about this statement: 555-0100.",
            "place_of_service": "11",
        }
    )
    for clinician in rows["Clinicians"]:
        clinician["npi"] = npi(rng)
        clinician["license_number"] = f"{rng.randrange(100000, 999999)}"
        clinician["license_state"] = "IL"
    for client in rows["Clients"]:
        town, region, zip_prefix = rng.choice(TOWNS)
        client.update(
            {
                "address_line1": f"{rng.randrange(1, 999)} {rng.choice(STREETS)} Street",
                "city": town,
                "region": region,
                "postal_code": f"{zip_prefix}{rng.randrange(10, 99)}",
                "country": "US",
            }
        )
    for session in rows["Sessions"]:
        video = rng.random() < 0.25
        session["place_of_service"] = rng.choice(("10", "02")) if video else "11"
        session["modifiers"] = "95" if video else None
    rows["Diagnoses"] = _diagnoses(rng, rows["Clients"])


def _diagnoses(rng: random.Random, clients: list[dict[str, object]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for client in clients:
        intake = client["intake_date"]
        assert isinstance(intake, dt.date)
        first, second = rng.sample(DIAGNOSES, 2)
        out.append(_dx(client, first, 1, intake))
        if rng.random() < 0.3:
            out.append(_dx(client, second, 2, intake + dt.timedelta(days=rng.randrange(30, 120))))
    return out


def _dx(
    client: dict[str, object], dx: tuple[str, str], rank: int, start: dt.date
) -> dict[str, object]:
    return {
        "client_id": client["client_id"],
        "icd10_code": dx[0],
        "description": dx[1],
        "rank": rank,
        "effective_from": start,
    }
