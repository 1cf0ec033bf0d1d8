"""A close records what it closed; the locked-period rule flags only what changed after.

Books are tables written as text; a close is simulated by taking the snapshot of one book
(``closing.snapshot``) and giving it, as the AuditLog close event it would be, to a book
read later. Expected findings are written out by hand from the tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicebook.core import closing, edits, entry
from practicebook.core.reconcile import reconcile
from practicebook.issues import Severity
from tests.support.books import book_from

LOCK = dt.date(2026, 1, 31)
CLOSED_AT = "2026-02-03T09:00:00.000000Z"

PRACTICE = """
## Practice
| key               | value      |
| lock_through_date | 2026-01-31 |
## Clients
| client_id | first_name | last_name | policy_ack_date |
| C1        | Ada        | Example   | 2025-01-01      |
## Services
| service_code | description | base_fee | min_minutes | max_minutes |
| 90834        | Therapy     | 150      | 38          | 52          |
"""
SESSIONS = """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-12 10:00 | attended |
| S2         | C1        | 90834        | 2026-02-09 10:00 | attended |
"""
PAYMENTS = """
## Payments
| payment_id | received_date | client_id | amount | method | memo          |
| P1         | 2026-01-12    | C1        | 100    | card   | first visit   |
| P2         | 2026-01-20    | C1        | 50     | cash   |               |
| P3         | 2026-02-09    | C1        | 150    | card   |               |
"""


def book(payments: str = PAYMENTS, sessions: str = SESSIONS):
    made, _ = book_from(PRACTICE + sessions + payments)
    return made


def closed_as(now, then, through: dt.date = LOCK):
    """``now`` as read after ``then`` was closed through ``through``."""
    text = closing.snapshot(then, through).text()
    event = (CLOSED_AT, f"books closed through {through.isoformat()} (before: never); {text}")
    return dataclasses.replace(now, closes=(event,))


def found(now, then=None, through: dt.date = LOCK):
    return closing.closed_period_issues(closed_as(now, then or now, through))


def cells(issues) -> list[tuple[str, str]]:
    return [(str(i.where), i.severity.value) for i in issues]


def test_nothing_changed_since_the_close_finds_nothing():
    assert found(book()) == []


def test_a_row_entered_after_the_close_is_flagged_at_its_date_cell():
    later = (
        PAYMENTS + "| P4 | 2026-01-25 | C1 | 30 | card | |\n| P5 | 2026-02-10 | C1 | 5 | card | |\n"
    )
    issues = found(book(later), then=book())
    # P4 (row 5) is dated in January; P5 is in the open period
    assert cells(issues) == [("Payments!B5", "error")]
    assert issues[0].row_id == "P4" and issues[0].client_id == "C1"
    assert "entered after the close" in issues[0].message
    assert "Feb 3, 2026" in issues[0].message  # the day of the close


def test_a_changed_amount_is_one_finding_naming_the_sheet_at_the_changed_row():
    changed = PAYMENTS.replace(
        "| P2         | 2026-01-20    | C1        | 50 ", "| P2 | 2026-01-20 | C1 | 55 "
    )
    assert changed != PAYMENTS
    issues = found(book(changed), then=book())
    assert cells(issues) == [("Payments!B3", "error")]
    message = issues[0].message
    assert message.startswith("Payments: rows of the closed period changed since it was closed on")
    assert "corrections belong in the open period" in message and "payment P2" in message


def test_a_removed_row_is_one_sheet_finding_with_the_counts():
    removed = PAYMENTS.replace(
        "| P2         | 2026-01-20    | C1        | 50     | cash   |               |\n", ""
    )
    assert removed != PAYMENTS
    (issue,) = found(book(removed), then=book())
    assert (str(issue.where), issue.severity) == ("Payments", Severity.ERROR)
    assert "2 rows were dated in it at the close, 1 are now" in issue.message


def test_a_row_moved_into_the_closed_period_changes_it():
    moved = PAYMENTS.replace("2026-02-09    | C1        | 150", "2026-01-30    | C1        | 150")
    assert moved != PAYMENTS
    (issue,) = found(book(moved), then=book())
    assert str(issue.where) == "Payments!B4" and issue.row_id == "P3"


def test_a_session_whose_status_changed_after_the_close_is_found():
    changed = SESSIONS.replace("2026-01-12 10:00 | attended", "2026-01-12 10:00 | no_show ")
    assert changed != SESSIONS
    issues = found(book(sessions=changed), then=book())
    assert [(str(i.where), i.row_id) for i in issues] == [("Sessions!D2", "S1")]


def test_the_same_values_written_differently_or_sorted_or_a_memo_change_are_no_change():
    other = """
## Payments
| payment_id | received_date | client_id | amount | method | memo        |
| P2         | 2026-01-20    | C1        | 50.00  | cash   | paid twice? |
| P1         | 2026-01-12    | C1        | 100.0  | card   |             |
| P3         | 2026-02-09    | C1        | 150    | card   |             |
"""
    assert found(book(other), then=book()) == []


def test_changes_in_the_open_period_are_not_findings():
    later = PAYMENTS.replace("2026-02-09    | C1        | 150", "2026-02-09    | C1        | 175")
    assert later != PAYMENTS
    assert found(book(later), then=book()) == []


def test_without_a_recorded_close_there_is_one_note_at_the_setting():
    rec = reconcile(book(), dt.date(2026, 3, 1))
    locked = [i for i in rec.issues if i.code.value == "locked-period"]
    assert cells(locked) == [("Practice!B2", "note")]
    assert "the close was not recorded" in locked[0].message
    assert "practicebook.close_period" in locked[0].hint


def test_a_close_recorded_for_another_day_is_not_this_close():
    (issue,) = found(book(), through=dt.date(2025, 12, 31))
    assert issue.severity is Severity.NOTE and str(issue.where) == "Practice!B2"


def test_without_a_lock_there_is_nothing_to_say():
    made, _ = book_from(PRACTICE.replace("| lock_through_date | 2026-01-31 |\n", "") + PAYMENTS)
    assert made.settings.lock_through_date is None
    assert closing.closed_period_issues(made) == []


def test_one_changed_row_among_many_is_pinpointed():
    rows = "".join(
        f"| P{n} | 2026-01-{1 + n % 28:02d} | C1 | {n} | card | |\n" for n in range(1, 401)
    )
    header = "## Payments\n| payment_id | received_date | client_id | amount | method | memo |\n"
    then = book(header + rows)
    now = book(
        header
        + rows.replace("| P237 | 2026-01-14 | C1 | 237 |", "| P237 | 2026-01-14 | C1 | 238 |")
    )
    (issue,) = found(now, then=then)
    assert issue.row_id == "P237" and str(issue.where) == "Payments!B238"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 99_999), min_size=1, max_size=40), st.data())
def test_property_any_one_changed_amount_is_found_at_its_row(cents, data):
    def table(amounts):
        rows = "".join(
            f"| P{n} | 2026-01-{1 + n % 28:02d} | C1 | {a / 100:.2f} | card | |\n"
            for n, a in enumerate(amounts, 1)
        )
        return (
            "## Payments\n| payment_id | received_date | client_id | amount | method | memo |\n"
            + rows
        )

    j = data.draw(st.integers(0, len(cents) - 1))
    changed = [*cents[:j], cents[j] + data.draw(st.integers(1, 500)), *cents[j + 1 :]]
    then = book(table(cents))
    assert found(then) == []
    (issue,) = found(book(table(changed)), then=then)
    # P1..P40 differ in the 16 bits the groups use, so one change is always singled out
    assert (issue.row_id, str(issue.where)) == (f"P{j + 1}", f"Payments!B{j + 2}")


def test_the_snapshot_is_ids_counts_and_digests_and_reads_back():
    snap = closing.snapshot(book(), LOCK)
    text = snap.text()
    assert "Ada" not in text and "first visit" not in text and "Example" not in text
    assert re.fullmatch(r"[A-Za-z0-9 =;:\-]+", text)
    assert len(text) < 1100
    assert closing.Snapshot.parse("books closed through 2026-01-31; " + text) == snap
    payments = next(s for s in snap.sheets if s.sheet == "Payments")
    assert (payments.rows, payments.last, payments.closed) == (3, 4, 2)
    assert closing.Snapshot.parse(text.replace("sha256=", "sha256=x")) is None
    assert closing.Snapshot.parse("books closed through 2026-01-31") is None


def test_the_close_events_are_read_from_an_auditlog_table():
    headers = ["time", "actor", "tool", "sheet", "row_id", "action", "summary"]
    rows = [
        [CLOSED_AT, "bk", "api", "Payments", "P1", "append", "fields: amount"],
        [CLOSED_AT, "bk", "api", "Practice", "lock_through_date", "close", "x"],
    ]
    assert closing.close_events(headers, rows) == [(CLOSED_AT, "x")]
    assert closing.close_events(headers[:3], rows) == []


# --- writers refuse rows dated in the closed period -----------------------------------


def test_a_new_payment_in_the_closed_period_is_refused_and_one_after_it_accepted():
    b = book()
    refused = entry.new_payment(
        b, {"client_id": "C1", "received_date": "2026-01-31", "amount": "10", "method": "cash"}
    )
    assert not refused.accepted
    assert [(i.code.value, str(i.where)) for i in refused.issues] == [
        ("locked-period", "Payments!B5")
    ]
    accepted = entry.new_payment(
        b, {"client_id": "C1", "received_date": "2026-02-01", "amount": "10", "method": "cash"}
    )
    assert accepted.accepted


def test_a_closed_session_cannot_be_edited_moved_or_cancelled():
    b = book()
    edit = edits.edit_session(b, "S1", {"status": "no_show"})
    assert [(i.code.value, str(i.where)) for i in edit.issues] == [("locked-period", "Sessions!D2")]
    moved = edits.edit_session(b, "S2", {"scheduled_start": "2026-01-30 10:00"})
    assert [(i.code.value, str(i.where)) for i in moved.issues] == [
        ("locked-period", "Sessions!D3")
    ]
    assert edits.edit_session(b, "S2", {"status": "no_show"}).accepted
    stamp = entry.cancellation_stamp(b, "S1", "2026-01-11 09:00", "client", "phone")
    assert "locked-period" in {i.code.value for i in stamp.issues}


@pytest.mark.parametrize("sheet", ["Adjustments"])
def test_a_new_adjustment_in_the_closed_period_is_refused(sheet):
    row = entry.new_row(
        book(),
        sheet,
        {"client_id": "C1", "date": "2026-01-05", "type": "correction", "amount": "5"},
    )
    assert "locked-period" in {i.code.value for i in row.issues} and not row.accepted


#: What closing ``_with_separators()`` through LOCK recorded before the digests were hashed
#: from Arrow's buffers: a workbook closed then must verify the same after an upgrade.
RECORDED_EARLIER = (
    "closed rows v1 through 2026-01-31; "
    "Payments rows=3 last=4 closed=2 sha256=53f3768f82de0d387afaa00d4f4fe3f116870ab0b7090"
    "2968f021873e9801376 groups=bcbd59d2e34ff2000678f03ed2e34fbcbd59f2000678f03e78f03ef20"
    "006f2000678f03ed2e34fbcbd5978f03ef2000678f03ef20006bcbd59d2e34fbcbd59d2e34fbcbd59d2e"
    "34ff2000678f03ed2e34fbcbd5978f03ef20006d2e34fbcbd59; "
    "Adjustments rows=0 last=0 closed=0 sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e464"
    "9b934ca495991b7852b855 groups=01ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba47"
    "01ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba47"
    "01ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba47; "
    "Sessions rows=2 last=3 closed=1 sha256=f6121a3ff89e03ffd4813a6db16b08436442b7a2cf506"
    "02f07868a38816181bb groups=75b68c57b70d57b70d75b68c75b68c57b70d75b68c57b70d57b70d75b"
    "68c75b68c57b70d57b70d75b68c75b68c57b70d75b68c57b70d75b68c57b70d57b70d75b68c57b70d75b"
    "68c57b70d75b68c75b68c57b70d75b68c57b70d75b68c57b70d"
)


def _with_separators(**p1: str):
    """The book with P1's reference holding the escape character and both separators (and
    any other ``p1`` texts), P2's a plain one."""
    made = book()
    payments = made.frames["Payments"].copy()
    for key, text in {"reference": "a\\b\x1fc\nd", **p1}.items():
        texts = payments[key].astype(object)
        texts[payments["payment_id"] == "P1"] = text
        texts[payments["payment_id"] == "P2"] = "r2" if key == "reference" else texts.iloc[1]
        payments[key] = texts.astype(made.frames["Payments"][key].dtype)
    return dataclasses.replace(made, frames={**made.frames, "Payments": payments})


def test_a_close_recorded_by_an_earlier_version_still_verifies():
    now = _with_separators()
    assert closing.snapshot(now, LOCK).text() == RECORDED_EARLIER
    event = (CLOSED_AT, f"books closed through 2026-01-31 (before: never); {RECORDED_EARLIER}")
    assert closing.closed_period_issues(dataclasses.replace(now, closes=(event,))) == []


def test_a_separator_inside_a_value_cannot_pass_for_the_next_column():
    then = _with_separators(method="card\x1fx", reference="y")
    now = _with_separators(method="card", reference="x\x1fy")  # the same text joined
    assert [(i.row_id, str(i.where)) for i in found(now, then=then)] == [("P1", "Payments!B2")]
    assert found(_with_separators(method="card\x1fx", reference="y"), then=then) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="ab\x1f\n\\é", max_size=6), max_size=12),
    st.integers(0, 3),
    st.text(alphabet="ab_\x1f", max_size=8),
)
def test_property_the_whole_digest_is_of_the_keys_and_sorted_rows_joined_by_newlines(
    texts, skip, keys
):
    rows = pa.array(["x"] * skip + texts, type=pa.string())[skip:]  # a slice, too
    digest, _, ordered = closing._whole((keys, rows))
    expected = "\n".join([keys, *sorted(texts, key=lambda t: t.encode())])
    assert digest == hashlib.sha256(expected.encode()).hexdigest()
    assert ordered.to_pylist() == sorted(texts, key=lambda t: t.encode())
