"""A small practice whose figures are worked out by hand, as text tables and as a file.

Client C1, as of 2026-03-31 (payment terms 0 days, policy: full fee for a late cancel
or a no-show):

====== ====================== ======== ========= ====================================
date   entry                   amount   balance   allocation (oldest debit first)
====== ====================== ======== ========= ====================================
02-23  S1 90791 attended        +200      200
02-23  P1 card, for S1          -200        0     S1 200 (aimed at it)
03-02  S2 90834 attended        +150      150
03-05  P2 card                  -100       50     S2 100
03-09  S3-LATECXL               +150      200
03-16  S4-NOSHOW                +150      350
03-20  A1 courtesy discount      -25      325     S2 25
03-23  S5 90834 video (02, 95)  +150      475
03-25  P3 cash                  -300      175     S2 25, S3-LATECXL 150, S4-NOSHOW 125
====== ====================== ======== ========= ====================================

March: opening 0, charges 600, payments -400, adjustments -25, closing 175; open at
the end: S4-NOSHOW 25 and S5 150, both 1–30 days past due. S6 (April) is outside.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from practicebook.schema import WORKBOOK
from practicebook.workbook.template import write_workbook
from tests.support.books import book_from
from tests.support.textables import read_tables

SETTINGS = {
    "practice_name": "Northside Therapy",
    "currency": "USD",
    "locale": "en_US",
    "timezone": "America/Chicago",
    "default_policy_id": "POL",
    "address_line1": "1 Example Lane",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "phone": "555-0100",
    "tax_id": "12-3456789",
    "place_of_service": "11",
    "payment_instructions": "Pay at the front desk.",
}

TABLES = """
## Clinicians
| clinician_id | display_name  | credentials | license_number | npi        | license_state |
| T1           | Robin Example | LCSW        | 123456         | 1234567893 | IL            |

## Clients
| client_id | first_name | last_name | dob        | address_line1 | city        | region | postal_code | country |
| C1        | Ada        | Example   | 1990-01-01 | 5 Elm Street  | Springfield | IL     | 62704       | US      |
| C2        | Bo         | Sample    |            |               |             |        |             |         |

## Services
| service_code | description               | client_description | base_fee | superbill_eligible |
| 90791        | Diagnostic evaluation     | Counselling        | 200      | TRUE               |
| 90834        | Psychotherapy, 45 minutes | Counselling        | 150      | TRUE               |

## Rates
| rate_id | scope  | scope_id | fee |
| R1      | client | C2       | 120 |

## Policies
| policy_id | notice_hours |
| POL       | 24           |

## PolicyTiers
| policy_id | applies_to  | charge_type |
| POL       | late_cancel | full        |
| POL       | no_show     | full        |

## Sessions
| session_id | client_id | clinician_id | service_code | scheduled_start  | status         | cancel_requested_at | cancelled_by | place_of_service | modifiers |
| S1         | C1        | T1           | 90791        | 2026-02-23 10:00 | attended       |                     |              |                  |           |
| S2         | C1        | T1           | 90834        | 2026-03-02 10:00 | attended       |                     |              |                  |           |
| S3         | C1        | T1           | 90834        | 2026-03-09 10:00 | late_cancelled | 2026-03-09 08:00    | client       |                  |           |
| S4         | C1        | T1           | 90834        | 2026-03-16 10:00 | no_show        |                     |              |                  |           |
| S5         | C1        | T1           | 90834        | 2026-03-23 10:00 | attended       |                     |              | 02               | 95        |
| S6         | C1        | T1           | 90834        | 2026-04-06 10:00 | attended       |                     |              |                  |           |
| S7         | C2        | T1           | 90834        | 2026-03-04 10:00 | attended       |                     |              |                  |           |

## Payments
| payment_id | received_date | client_id | method | reference | amount | applies_to_session_id |
| P1         | 2026-02-23    | C1        | card   | TX1       | 200    | S1                    |
| P2         | 2026-03-05    | C1        | card   | TX2       | 100    |                       |
| P3         | 2026-03-25    | C1        | cash   |           | 300    |                       |

## Adjustments
| adjustment_id | date       | client_id | type              | amount |
| A1            | 2026-03-20 | C1        | courtesy_discount | -25    |

## Diagnoses
| client_id | icd10_code | description                   | rank | effective_from |
| C1        | F41.1      | Generalized anxiety disorder  | 1    | 2026-02-23     |
| C1        | F32.1      | Major depressive disorder     | 2    | 2026-03-10     |
"""


def practice_text() -> str:
    """The tables above plus the Practice sheet."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in SETTINGS.items())
    return f"## Practice\n| key | value |\n{rows}\n" + TABLES


def small_book():
    """The practice parsed from text: (book, issues)."""
    return book_from(practice_text())


def write_practice(path: Path, text: str | None = None, **settings: object) -> Path:
    """The practice (or ``text``'s tables) as a workbook file, settings overridden."""
    rows: dict[str, list[dict[str, object]]] = {}
    for table in read_tables(text or TABLES):
        sheet = WORKBOOK.sheet(table.name)
        keys = [sheet.match(h).key for h in table.headers]  # type: ignore[union-attr]
        rows[table.name] = [
            {k: _cell(v) for k, v in zip(keys, values, strict=True) if v is not None}
            for values in table.data.itertuples(index=False)
        ]
    write_workbook(path, rows, settings={**SETTINGS, **settings})
    return path


def _cell(value: object) -> object:
    if isinstance(value, float):
        return Decimal(str(value)).normalize() if not value.is_integer() else int(value)
    return value


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as pypdf extracts it (independent of ReportLab)."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_lines(data: bytes) -> list[str]:
    """The extracted text's lines, stripped, blanks dropped."""
    return [line.strip() for line in pdf_text(data).splitlines() if line.strip()]
