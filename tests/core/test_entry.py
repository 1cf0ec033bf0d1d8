"""New rows and cancellation stamps: typed and checked by the core, never raising."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from practicebook import api
from practicebook.core import entry
from practicebook.issues import Code
from practicebook.model import RawTable
from tests.support.textables import read_tables

PRACTICE = """
## Practice
| key               | value            |
| currency          | USD              |
| timezone          | America/New_York |
| default_policy_id | POL1             |

## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
| C2        | Bo         | Example   |

## Services
| service_code | description  | base_fee |
| 90837        | Psychotherapy | 150      |

## Policies
| policy_id | notice_hours | grace_count | exempt_intake |
| POL1      | 24           | 0           | FALSE         |

## PolicyTiers
| policy_id | applies_to  | charge_type | charge_value |
| POL1      | late_cancel | percent     | 50           |

## Sessions
| session_id | client_id | service_code | scheduled_start  | status    | cancel_requested_at |
| S0000600   | C1        | 90837        | 2026-03-02 10:00 | attended  |                     |
| S0000601   | C1        | 90837        | 2026-03-09 10:00 | scheduled |                     |
| S0000602   | C2        | 90837        | 2026-03-09 11:00 | scheduled |                     |

## Payments
| payment_id | received_date | client_id | method | amount |
| P11        | 2026-03-02    | C1        | cash   | 150    |
| P12        | 2026-03-03    | C2        | cash   | 20     |
"""


def with_cancel_columns(tables: list[RawTable]) -> list[RawTable]:
    """Add blank Cancelled by (G) and Cancel channel (H) columns to the Sessions table."""
    out = []
    for table in tables:
        if table.name == "Sessions":
            data = table.data.copy()
            n = len(table.headers)
            data[n], data[n + 1] = None, None
            table = dataclasses.replace(
                table, headers=(*table.headers, "cancelled_by", "cancel_channel"), data=data
            )
        out.append(table)
    return out


@pytest.fixture(scope="module")
def book():
    book, issues = api.load_tables(with_cancel_columns(read_tables(PRACTICE)))
    assert not issues
    return book


def codes_at(row: entry.NewRow | entry.Stamp) -> set[tuple[str, str]]:
    return {(str(i.where), i.code.value) for i in row.issues}


# --- next IDs -----------------------------------------------------------------------


def test_next_id_follows_the_sheets_pattern(book):
    assert entry.next_id(book, "Sessions") == "S0000603"
    assert entry.next_id(book, "Payments") == "P13"


def test_next_id_on_an_empty_sheet_starts_a_fresh_pattern(book):
    assert entry.next_id(book, "Adjustments") == "A0001"


def test_next_id_skips_ids_already_taken_and_follows_the_last_rows_prefix():
    text = PRACTICE.replace("| P12        |", "| X9         |")
    text += "| P14 | 2026-03-04 | C1 | | 5 |\n"
    book, _ = api.load_tables(with_cancel_columns(read_tables(text)))
    assert entry.next_id(book, "Payments") == "P15"


# --- new rows -----------------------------------------------------------------------


def test_new_payment_is_typed_with_defaults_and_the_next_id(book):
    row = entry.new_payment(
        book,
        {"client_id": "C2", "received_date": "2026-03-10", "amount": "1,200.50", "method": "card"},
    )
    assert row.accepted and row.issues == []
    assert row.sheet == "Payments" and row.row_id == "P13"
    assert row.values["payment_id"] == "P13"
    assert row.values["received_date"] == dt.date(2026, 3, 10)
    assert row.values["amount"] == Decimal("1200.50")
    assert row.values["kind"] == "payment"  # the schema default
    assert row.values["memo"] is None


def test_new_session_keeps_a_given_id_and_reads_times(book):
    row = entry.new_session(
        book,
        {
            "session_id": "S0000700",
            "client_id": "C1",
            "service_code": "90837",
            "status": "Scheduled",
            "scheduled_start": dt.datetime(2026, 4, 1, 9, 30),
        },
    )
    assert row.accepted, row.issues
    assert row.row_id == "S0000700"
    assert row.values["status"] == "scheduled"
    assert row.values["scheduled_start"] == dt.datetime(2026, 4, 1, 9, 30)
    assert row.values["fee_waived"] is False


def test_an_aware_time_is_stored_as_practice_wall_clock_time(book):
    start = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)
    row = entry.new_session(
        book,
        {
            "client_id": "C1",
            "service_code": "90837",
            "status": "scheduled",
            "scheduled_start": start,
        },
    )
    assert row.values["scheduled_start"] == dt.datetime(2026, 4, 1, 9, 30)


def test_bad_payment_is_refused_with_each_issue_on_the_new_row(book):
    row = entry.new_payment(
        book,
        {"client_id": "C9", "received_date": "2026-13-02", "amount": "-5", "method": "bitcoin"},
    )
    assert not row.accepted
    assert codes_at(row) == {
        ("Payments!B4", "bad-date"),
        ("Payments!C4", "unknown-client"),
        ("Payments!D4", "bad-choice"),
        ("Payments!E4", "out-of-range"),
    }
    assert row.values["client_id"] == "C9"  # as given, since the row did not parse


def test_a_duplicate_id_is_refused_on_the_new_row(book):
    row = entry.new_session(
        book,
        {
            "session_id": "S0000600",
            "client_id": "C1",
            "service_code": "90837",
            "status": "scheduled",
            "scheduled_start": "2026-04-01 09:30",
        },
    )
    assert codes_at(row) == {("Sessions!A5", "duplicate-id")}
    assert not row.accepted


def test_missing_required_values_and_unknown_keys_are_issues(book):
    row = entry.new_adjustment(book, {"client_id": "C1", "amount": "-10", "colour": "red"})
    assert not row.accepted
    assert codes_at(row) == {
        ("Adjustments!A2", "unknown-column"),
        ("Adjustments!B2", "missing-value"),
        ("Adjustments!E2", "missing-value"),
    }
    assert row.row_id == "A0001"


def test_issues_elsewhere_in_the_book_do_not_refuse_a_good_row():
    text = PRACTICE.replace("| P12        | 2026-03-03    | C2 ", "| P12 | 2026-03-03 | C7 ")
    book, issues = api.load_tables(read_tables(text))
    assert any(i.code is Code.UNKNOWN_CLIENT for i in issues)
    row = entry.new_payment(book, {"client_id": "C1", "received_date": "2026-03-10", "amount": 10})
    assert row.accepted and row.issues == []


def test_a_value_for_a_column_the_sheet_lacks_is_refused(book):
    row = entry.new_payment(
        book,
        {"client_id": "C1", "received_date": "2026-03-10", "amount": 10, "reference": "chk 1001"},
    )
    assert codes_at(row) == {("Payments!A4", "missing-column")}
    assert not row.accepted


def test_cell_values_place_values_by_the_sheets_layout(book):
    layout = dataclasses.replace(book.layouts["Payments"], column_of={"payment_id": 2, "amount": 4})
    assert entry.cell_values("Payments", {"payment_id": "P1", "amount": Decimal(5)}, layout) == [
        None,
        "P1",
        None,
        Decimal(5),
    ]


# --- cancellation stamps ------------------------------------------------------------


def test_a_late_cancellation_is_priced_by_the_policy_tier(book):
    # 12 hours before a 24-hour policy: late; tier 50% of the 150.00 base fee = 75.00
    stamp = entry.cancellation_stamp(
        book, "S0000601", dt.datetime(2026, 3, 8, 22, 0), by="client", channel="email"
    )
    assert stamp.accepted, stamp.issues
    assert stamp.row == 3
    assert stamp.values == {
        "cancel_requested_at": dt.datetime(2026, 3, 8, 22, 0),
        "cancelled_by": "client",
        "cancel_channel": "email",
        "status": "late_cancelled",
    }
    assert stamp.notice_hours == Decimal(12)
    assert stamp.fee == Decimal("75.00")
    assert "50%" in stamp.basis and "150.00" in stamp.basis
    assert "1st occurrence" in stamp.basis


def test_a_timely_cancellation_costs_nothing(book):
    stamp = entry.cancellation_stamp(book, "S0000601", "2026-03-08 09:00")
    assert stamp.values["status"] == "cancelled"
    assert stamp.notice_hours == Decimal(25)
    assert stamp.fee == Decimal("0.00")
    assert "no fee" in stamp.basis


def test_a_clinician_cancellation_is_never_charged(book):
    stamp = entry.cancellation_stamp(
        book, "S0000602", dt.datetime(2026, 3, 9, 10, 0), by="clinician", channel="phone"
    )
    assert stamp.values["status"] == "clinician_cancelled"
    assert stamp.fee == Decimal("0.00")


def test_requested_at_defaults_to_now_in_the_practice_time_zone(book):
    before = dt.datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None, microsecond=0)
    stamp = entry.cancellation_stamp(book, "S0000602")
    after = dt.datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None)
    assert before <= stamp.values["cancel_requested_at"] <= after


def test_stamp_problems_are_issues_not_exceptions(book):
    unknown = entry.cancellation_stamp(book, "S404")
    assert codes_at(unknown) == {("Sessions", "unknown-session")} and not unknown.accepted
    held = entry.cancellation_stamp(book, "S0000600", "2026-03-01 10:00")
    assert codes_at(held) == {("Sessions!E2", "bad-choice")}
    bare = dataclasses.replace(
        book,
        layouts={
            **book.layouts,
            "Sessions": dataclasses.replace(
                book.layouts["Sessions"], column_of={"session_id": 1, "status": 2}
            ),
        },
    )
    assert ("Sessions!A3", "missing-column") in codes_at(
        entry.cancellation_stamp(bare, "S0000601", "2026-03-08 09:00")
    )
    bad = entry.cancellation_stamp(book, "S0000601", "soon", by="alien", channel="pigeon")
    assert codes_at(bad) == {
        ("Sessions!F3", "bad-date"),
        ("Sessions!G3", "bad-choice"),
        ("Sessions!H3", "bad-choice"),
    }
    assert bad.fee == Decimal(0) and bad.notice_hours is None
