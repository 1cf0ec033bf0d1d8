from __future__ import annotations

import datetime as dt

import pytest

from practicebook.core.audit import (
    GENESIS_HASH,
    KEYED_PREFIX,
    AuditEntry,
    AuditHead,
    AuditRow,
    ChainProblem,
    audit_rows,
    log_rows,
    row_hash,
    verify_chain,
)
from practicebook.core.auditcheck import audit_issues
from practicebook.issues import Code, Severity

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


# --- the head: what the chain alone cannot show -------------------------------------

KEY = b"k" * 32


def _values(rows: list[AuditRow]) -> list[list[str]]:
    return [r.values() for r in rows]


def _codes(issues) -> list[tuple[str, str, str]]:
    return [(i.code.value, i.severity.value, str(i.where)) for i in issues]


def _rehashed(rows: list[list[str]], key: bytes | None = None) -> list[list[str]]:
    """The log with every hash recomputed, as anyone who edits it can do."""
    prev, out = GENESIS_HASH, []
    for row in rows:
        content = row[:7]
        digest = row_hash(content, prev, key)
        out.append([*content, prev, digest])
        prev = digest
    return out


def test_the_head_records_count_and_last_hash_and_reads_back() -> None:
    rows = _log(3)
    head = AuditHead.of(3, rows[-1].hash)
    assert head.text() == f"3 {rows[-1].hash}"
    assert AuditHead.parse(head.text()) == head
    signed = AuditHead.of(3, rows[-1].hash, KEY)
    assert AuditHead.parse(signed.text()) == signed and signed.signed_by(KEY)
    assert not signed.signed_by(b"x" * 32)
    assert AuditHead.parse("three rows") is None and AuditHead.parse("3 abc") is None


def test_an_intact_log_matches_its_head() -> None:
    rows = _log(4)
    assert audit_issues(_values(rows), head=AuditHead.of(4, rows[-1].hash).text()) == []


def test_rows_cut_off_the_end_are_reported_where_they_are_missing() -> None:
    rows = _log(5)
    head = AuditHead.of(5, rows[-1].hash).text()
    assert audit_issues(_values(rows[:3])) == []  # the chain alone cannot tell
    assert _codes(audit_issues(_values(rows[:3]), head=head)) == [
        ("audit-chain-truncated", "error", "AuditLog!A5")
    ]
    (issue,) = audit_issues([], head=head)  # every row cleared, the header left
    assert (issue.code, str(issue.where)) == (Code.AUDIT_CHAIN_TRUNCATED, "AuditLog!A2")
    assert "5 rows were removed" in issue.message


def test_a_deleted_log_is_reported_against_its_head() -> None:
    rows = _log(2)
    assert _codes(audit_issues(None, head=AuditHead.of(2, rows[-1].hash).text())) == [
        ("audit-log-missing", "error", "AuditLog")
    ]
    assert audit_issues(None) == []  # a workbook practicebook never wrote to


def test_a_rehashed_edit_passes_the_chain_but_not_the_head() -> None:
    rows = _values(_log(4))
    head = AuditHead.of(4, rows[-1][-1]).text()
    rows[1][6] = "fields: amount"  # edited, then every hash recomputed
    forged = _rehashed(rows)
    assert verify_chain(forged) == []
    assert _codes(audit_issues(forged, head=head)) == [
        ("audit-chain-broken", "error", "AuditLog!A5")
    ]


def test_keyed_rows_verify_only_with_their_key() -> None:
    entries = [AuditEntry("t", "cli", "Sessions", f"S{i}", "append", "fee", T0) for i in range(3)]
    rows = audit_rows(None, entries, key=KEY)
    assert all(r.hash.startswith(KEYED_PREFIX) for r in rows)
    assert verify_chain(rows, key=KEY) == []
    assert verify_chain(rows) == []  # without the key: their order only
    assert [p.row for p in verify_chain(rows, key=b"o" * 32)] == [1, 2, 3]


def test_a_rehashed_edit_of_a_keyed_log_is_found_with_the_key() -> None:
    entries = [
        AuditEntry("t", "cli", "Payments", f"P{i}", "append", "amount", T0) for i in range(3)
    ]
    rows = audit_rows(None, entries, key=KEY)
    head = AuditHead.of(3, rows[-1].hash, KEY).text()
    edited = _values(rows)
    edited[1][6] = "fields: none"
    forged = [edited[0], *_rehashed_from(edited, 1)]
    forged_head = AuditHead.of(3, forged[-1][-1]).text()  # the forger cannot sign it
    assert audit_issues(forged, head=forged_head) == []  # without the key nothing shows
    found = audit_issues(forged, head=forged_head, key=KEY)
    assert {(i.code, str(i.where)) for i in found} >= {
        (Code.AUDIT_CHAIN_BROKEN, "AuditLog!A3"),
        (Code.AUDIT_CHAIN_BROKEN, "AuditLog"),
    }
    assert audit_issues(_values(rows), head=head, key=KEY) == []


def _rehashed_from(rows: list[list[str]], start: int) -> list[list[str]]:
    prev, out = rows[start - 1][-1], []
    for row in rows[start:]:
        digest = row_hash(row[:7], prev)
        out.append([*row[:7], prev, digest])
        prev = digest
    return out


def test_a_key_without_any_keyed_row_is_a_warning() -> None:
    rows = _log(2)
    (issue,) = audit_issues(_values(rows), head=AuditHead.of(2, rows[-1].hash).text(), key=KEY)
    assert (issue.code, issue.severity) == (Code.AUDIT_CHAIN_BROKEN, Severity.WARNING)


def test_an_unreadable_head_is_reported() -> None:
    assert _codes(audit_issues(_values(_log(1)), head="12 rows")) == [
        ("audit-chain-broken", "error", "AuditLog")
    ]


def test_a_writer_logs_what_it_found_before_its_own_rows() -> None:
    rows = _log(4)
    head = AuditHead.of(4, rows[-1].hash).text()
    entry = AuditEntry("owner", "cli", "Payments", "P9", "append", "amount", T0)
    new, new_head = log_rows(_values(rows[:2]), head, [entry])
    assert [r.action for r in new] == ["found-log-truncated", "append"]
    assert new[0].actor == "owner" and new[0].sheet == "AuditLog"
    assert "recorded 4 rows" in new[0].summary and "2 were left" in new[0].summary
    assert new[0].prev_hash == rows[1].hash
    assert (new_head.rows, new_head.last_hash) == (4, new[-1].hash)
    stored = _values(rows[:2]) + _values(new)
    assert _codes(audit_issues(stored, head=new_head.text())) == [
        ("audit-chain-truncated", "warning", "AuditLog!A4")
    ]
    missing, _ = log_rows(None, head, [entry])
    assert [r.action for r in missing] == ["found-log-missing", "append"]
    intact, _ = log_rows(_values(rows), head, [entry])
    assert [r.action for r in intact] == ["append"]


def test_pre_formatted_blank_rows_below_the_log_do_not_count() -> None:
    rows = _values(_log(2))
    head = AuditHead.of(2, rows[-1][-1]).text()
    assert audit_issues([*rows, [None] * 9, [""] * 9], head=head) == []


def test_text_from_the_log_reaches_messages_printable() -> None:
    rows = _values(_log(1))
    hostile = AuditEntry(
        "x", "cli", "AuditLog", "", "found-log-truncated", "\x1b]0;pwn\x07 gone", T0
    )
    stored = rows + _values(audit_rows(rows[-1][-1], [hostile]))
    stored[0][4] = "\x1b[31mS0\u202e"  # an edited row ID: the chain breaks there
    issues = audit_issues(stored)
    assert {i.code for i in issues} == {Code.AUDIT_CHAIN_BROKEN, Code.AUDIT_CHAIN_TRUNCATED}
    for issue in issues:
        assert issue.message.isprintable() and (issue.row_id or "").isprintable()


def test_a_log_grown_past_its_head_is_fine() -> None:
    """Rows the Excel door logged where it cannot update the head (the Mac, Lite)."""
    rows = _values(_log(4))
    head = AuditHead.of(2, rows[1][-1]).text()
    assert audit_issues(rows, head=head) == []
    entry = AuditEntry("owner", "cli", "Payments", "P9", "append", "amount", T0)
    new, new_head = log_rows(rows, head, [entry])
    assert [r.action for r in new] == ["append"] and new_head.rows == 5
