from __future__ import annotations

import datetime as dt

import pytest

from practicebook.core.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditRow,
    ChainProblem,
    audit_rows,
    verify_chain,
)

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _log(n: int = 5) -> list[AuditRow]:
    entries = [
        AuditEntry(
            "therapist-1",
            "cli",
            "Sessions",
            f"S{i}",
            "append",
            "fee, date",
            T0 + dt.timedelta(minutes=i),
        )
        for i in range(n)
    ]
    return audit_rows(None, entries)


def test_rows_link_and_use_utc_iso_times() -> None:
    rows = _log(3)
    assert rows[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert rows[0].time == "2024-05-01T12:00:00.000000Z"
    local = dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    (row,) = audit_rows(None, [AuditEntry("a", "api", "S", "1", "x", "y", local)])
    assert row.time == "2024-05-01T12:00:00.000000Z"


def test_intact_chain_verifies_also_as_plain_values() -> None:
    rows = _log()
    assert verify_chain(rows) == []
    assert verify_chain([r.values() for r in rows], expected_last_hash=rows[-1].hash) == []


def test_appending_continues_an_existing_chain() -> None:
    first = _log(2)
    entry = AuditEntry("a", "excel", "Payments", "P1", "append", "amount")
    more = audit_rows(first[-1].hash, [entry])
    assert verify_chain(first + more) == []


def test_edited_field_is_located() -> None:
    rows = [r.values() for r in _log()]
    rows[2][6] = "fee, date, status"
    assert verify_chain(rows) == [ChainProblem(3, "content does not match its hash (edited)")]


def test_deleted_row_is_located() -> None:
    rows = _log()
    problems = verify_chain(rows[:2] + rows[3:])
    assert [p.row for p in problems] == [3]
    assert "deleted" in problems[0].problem


def test_swapped_rows_are_detected() -> None:
    rows = _log()
    rows[1], rows[2] = rows[2], rows[1]
    assert [p.row for p in verify_chain(rows)] == [2, 3, 4]


def test_inserted_row_is_detected() -> None:
    rows = _log()
    forged = audit_rows(rows[1].hash, [AuditEntry("x", "cli", "Sessions", "S9", "append", "fee")])
    assert [p.row for p in verify_chain(rows[:2] + forged + rows[2:])] == [4]


def test_truncated_end_needs_the_recorded_last_hash() -> None:
    rows = _log()
    assert verify_chain(rows[:-1]) == []
    assert [p.row for p in verify_chain(rows[:-1], expected_last_hash=rows[-1].hash)] == [4]


def test_rejects_naive_times_and_unknown_tools() -> None:
    with pytest.raises(ValueError, match="timezone"):
        audit_rows(None, [AuditEntry("a", "cli", "S", "1", "x", "y", dt.datetime(2024, 1, 1))])
    with pytest.raises(ValueError, match="tool"):
        audit_rows(None, [AuditEntry("a", "email", "S", "1", "x", "y", T0)])  # type: ignore[arg-type]
