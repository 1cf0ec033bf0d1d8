"""Changes to existing rows, outcomes, reviews and closing, as the core judges them; and
the possible-duplicate-session rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from practicebook.core import edits
from practicebook.core.reconcile import reconcile
from tests.support.books import book_from

BOOK = """
## Practice
| key      | value |
| currency | USD   |
## Clients
| client_id | first_name | last_name | policy_ack_date |
| C1        | Ada        | Example   | 2025-01-01      |
| C2        | Bo         | Sample    |                 |
## Clinicians
| clinician_id | display_name |
| T1           | Dr Example   |
## Services
| service_code | description | base_fee | min_minutes | max_minutes | default_minutes |
| 90834        | Therapy     | 150      | 38          | 52          | 45              |
## Sessions
| session_id | client_id | clinician_id | service_code | scheduled_start  | scheduled_minutes | actual_minutes | status    |
| S1         | C1        | T1           | 90834        | 2026-03-02 10:00 | 45                | 45             | attended  |
| S2         | C1        | T1           | 90834        | 2026-03-09 10:00 | 45                |                | scheduled |
| S3         | C2        | T1           | 90834        | 2026-03-10 11:00 | 50                |                | scheduled |
| S4         | C2        | T1           | 90834        | 2026-04-20 11:00 | 50                |                | scheduled |
"""


def book():
    loaded, issues = book_from(BOOK)
    assert not [i for i in issues if i.is_error]
    return loaded


def test_attended_takes_the_scheduled_minutes_and_no_show_none():
    b = book()
    attended = edits.mark_outcome(b, "S3", "attended")
    assert attended.accepted and attended.row == 4  # header on row 1, S3 is the third row
    assert attended.values == {"status": "attended", "actual_minutes": 50}
    typed = edits.mark_outcome(b, "S3", "attended", "47")
    assert typed.values == {"status": "attended", "actual_minutes": 47}
    missed = edits.mark_outcome(b, "S3", "no_show", "47")
    assert missed.values == {"status": "no_show", "actual_minutes": None}


def test_bad_values_and_unknown_rows_are_refused_at_their_cell():
    b = book()
    bad = edits.mark_outcome(b, "S2", "attended", "fifty")
    assert not bad.accepted
    (issue,) = bad.issues
    assert (str(issue.where), issue.code.value) == ("Sessions!G3", "bad-number")
    assert not edits.mark_outcome(b, "S2", "cancelled").accepted  # not an outcome
    unknown = edits.edit_session(b, "S99", {"status": "attended"})
    assert not unknown.accepted and unknown.issues[0].code.value == "unknown-session"
    ghost = edits.edit_session(b, "S2", {"client_id": "C9"})
    assert [i.code.value for i in ghost.issues] == ["unknown-client"]
    assert str(ghost.issues[0].where) == "Sessions!B3"


def test_an_edit_never_renames_the_row():
    edit = edits.edit_client(book(), "C2", {"client_id": "C7", "policy_ack_date": "2026-02-01"})
    assert edit.accepted and edit.values == {"policy_ack_date": dt.date(2026, 2, 1)}


def test_a_new_client_gets_the_next_id_and_needs_a_name():
    b = book()
    row = edits.new_client(b, {"first_name": "Cy", "last_name": "Other"})
    assert (row.row_id, row.accepted) == ("C3", True)
    refused = edits.new_client(b, {"first_name": "Cy"})
    assert [i.code.value for i in refused.issues] == ["missing-value"]


def test_unresolved_sessions_are_the_past_scheduled_ones():
    b = book()
    assert list(edits.unresolved_sessions(b, dt.date(2026, 3, 31))["session_id"]) == ["S2", "S3"]
    assert list(edits.unresolved_sessions(b, dt.date(2026, 3, 10))["session_id"]) == ["S2"]


def test_closing_is_refused_while_sessions_are_unresolved_or_later_than_today():
    b = book()
    refused = edits.close_period(b, dt.date(2026, 3, 31), dt.date(2026, 4, 5))
    assert not refused.accepted
    assert sorted(i.row_id for i in refused.issues) == ["S2", "S3"]
    assert not edits.close_period(b, dt.date(2026, 2, 28), dt.date(2026, 2, 27)).accepted
    ok = edits.close_period(b, dt.date(2026, 2, 28), dt.date(2026, 4, 5))
    assert ok.accepted and ok.previous is None


def test_a_period_already_closed_cannot_be_closed_again():
    text = BOOK.replace(
        "| currency | USD   |", "| currency | USD   |\n| lock_through_date | 2026-02-28 |"
    )
    b, _ = book_from(text)
    again = edits.close_period(b, dt.date(2026, 2, 28), dt.date(2026, 4, 5))
    assert not again.accepted and "already closed through 2026-02-28" in again.issues[0].message


def test_duplicate_sessions_for_the_form():
    b = book()
    same = {
        "client_id": "C1",
        "clinician_id": "T1",
        "service_code": "90834",
        "scheduled_start": dt.datetime(2026, 3, 9, 10, 0),
    }
    assert edits.duplicate_sessions(b, same) == ["S2"]
    assert edits.duplicate_sessions(b, {**same, "clinician_id": ""}) == []
    assert edits.duplicate_sessions(b, {**same, "client_id": "C2"}) == []
    assert edits.duplicate_sessions(b, {**same, "scheduled_start": None}) == []


def test_finding_keys_survive_a_moved_row_and_reviews_are_read_back():
    moved = edits.finding_key("late-arrival", "Sessions", "L17", "S16")
    assert moved == edits.finding_key("late-arrival", "Sessions", "L40", "S16")
    assert edits.finding_key("bad-setting", "Practice", "B4", None) == (
        "bad-setting",
        "Practice",
        "B4",
    )
    text = BOOK + (
        "## Reviews\n| review_id | code | sheet | cell | row_id | reviewed_at | reviewed_by | note |\n"
        "| R1 | late-arrival | Sessions | L17 | S16 | 2026-04-01 09:00 | bk | |\n"
    )
    b, _ = book_from(text)
    assert edits.reviewed_keys(b) == {moved}
    row = edits.review_row(
        b,
        {"code": "bad-setting", "sheet": "Practice", "cell": "B4", "row_id": None},
        "bk",
        dt.datetime(2026, 4, 2, 9, 30, 12),
    )
    assert row.accepted and row.row_id == "R2"
    assert row.values["reviewed_at"] == dt.datetime(2026, 4, 2, 9, 30, 12)


DUPLICATES = """
## Clients
| client_id | first_name | last_name | policy_ack_date |
| C1        | Ada        | Example   | 2025-01-01      |
## Clinicians
| clinician_id | display_name |
| T1           | Dr Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Sessions
| session_id | client_id | clinician_id | service_code | scheduled_start  | status              |
| S9         | C1        | T1           | 90834        | 2026-03-02 10:00 | attended            |
| S2         | C1        | T1           | 90834        | 2026-03-02 10:00 | attended            |
| S3         | C1        | T1           | 90834        | 2026-03-02 10:00 | attended            |
| S4         | C1        |              | 90834        | 2026-03-02 10:00 | attended            |
| S5         | C1        | T1           | 90834        | 2026-03-02 10:00 | clinician_cancelled |
| S6         | C1        | T1           | 90834        | 2026-03-03 10:00 | attended            |
"""


def test_the_core_flags_every_repeat_but_the_lowest_id():
    b, _ = book_from(DUPLICATES)
    rec = reconcile(b, dt.date(2026, 3, 31))
    found = rec.flags[rec.flags["code"] == "possible-duplicate-session"]
    # S2 is the original (lowest ID); S9 and S3 repeat it; S4 has no clinician, S5 was
    # cancelled by the clinician, S6 is another day
    assert sorted(zip(found["row_id"], found["cell"], strict=True)) == [("S3", "E4"), ("S9", "E2")]
    assert set(found["message"]) == {
        "session S9 repeats session S2: same client, clinician, service and start",
        "session S3 repeats session S2: same client, clinician, service and start",
    }
    # the duplicate is still charged: the finding warns, it does not merge
    charges = rec.ledger[rec.ledger["client_id"] == "C1"]["amount"]
    assert sum(Decimal(a) for a in charges) == 5 * Decimal("150.00")  # S9, S2, S3, S4, S6 attended
