"""Changes to existing rows written to a real file: only the cells changed, each audited,
all or nothing, re-read through the core."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import practicebook
from practicebook.core import edits as core_edits
from practicebook.core.reconcile import reconcile
from practicebook.errors import RowRefused
from practicebook.generate import generate
from practicebook.model import ROW
from practicebook.workbook import edits, ooxml

AS_OF = dt.date(2026, 12, 4)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("gen") / "practice.xlsx"
    generate(300, problems=True).write(path)
    return path.read_bytes()


@pytest.fixture
def book(tmp_path: Path, generated: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY_FILE", raising=False)
    path = tmp_path / "practice.xlsx"
    path.write_bytes(generated)
    return path


def audit(path: Path) -> list[list[str]]:
    return [[str(v) for v in r] for r in ooxml.read_sheet(path.read_bytes(), "AuditLog")[1:]]


def load(path: Path):
    loaded, issues = practicebook.load(path)
    assert not [i for i in issues if i.code.value.startswith("audit-")]
    return loaded


def test_outcomes_change_only_their_cells_and_are_audited(book):
    before = load(book)
    open_ = core_edits.unresolved_sessions(before, AS_OF)
    assert len(open_) >= 3
    chosen = list(open_["session_id"][:3])
    edits.mark_outcomes(
        book,
        [
            (chosen[0], "attended", "41"),
            (chosen[1], "no_show", None),
            (chosen[2], "attended", None),
        ],
        actor="bk",
    )
    after = load(book)
    s = after.sessions.set_index("session_id")
    scheduled = int(open_.set_index("session_id").loc[chosen[2], "scheduled_minutes"])
    assert (s.loc[chosen[0], "status"], s.loc[chosen[0], "actual_minutes"]) == ("attended", 41)
    assert s.loc[chosen[1], "status"] == "no_show"
    assert pd.isna(s.loc[chosen[1], "actual_minutes"])
    assert int(s.loc[chosen[2], "actual_minutes"]) == scheduled
    others = before.sessions[~before.sessions["session_id"].isin(chosen)].reset_index(drop=True)
    kept = after.sessions[~after.sessions["session_id"].isin(chosen)].reset_index(drop=True)
    assert others.equals(kept)
    events = [r for r in audit(book) if r[5] == "outcome"]
    assert [(e[1], e[3], e[4]) for e in events] == [("bk", "Sessions", sid) for sid in chosen]
    assert all(e[6] == "fields: status, actual_minutes" for e in events)
    # the core sees them resolved: no unresolved-past-session finding for them any more
    flags = reconcile(after, AS_OF).flags
    unresolved = set(flags.loc[flags["code"] == "unresolved-past-session", "row_id"])
    assert not unresolved & set(chosen)


def test_a_batch_with_one_bad_outcome_writes_nothing(book):
    first = core_edits.unresolved_sessions(load(book), AS_OF)["session_id"].iloc[0]
    data = book.read_bytes()
    with pytest.raises(RowRefused) as refused:
        edits.mark_outcomes(book, [(first, "attended", None), ("S9999999", "attended", None)])
    assert [i.code.value for i in refused.value.issues] == ["unknown-session"]
    assert book.read_bytes() == data


def test_a_client_is_added_then_edited(book):
    done = edits.add_client(book, {"first_name": "Ada", "last_name": "Example"}, actor="bk")
    edit = edits.update_client(book, done.row_id, {"policy_ack_date": "2026-11-02"}, actor="bk")
    assert edit.values == {"policy_ack_date": dt.date(2026, 11, 2)}
    c = load(book).clients.set_index("client_id").loc[done.row_id]
    assert (c["first_name"], c["last_name"], c["policy_ack_date"].date()) == (
        "Ada",
        "Example",
        dt.date(2026, 11, 2),
    )
    actions = [(r[3], r[4], r[5]) for r in audit(book)[-2:]]
    assert actions == [("Clients", done.row_id, "append"), ("Clients", done.row_id, "edit")]
    assert "Ada" not in "".join(audit(book)[-2][6])  # fields, never the personal values


def test_a_formula_typed_as_a_name_is_stored_as_text(book):
    done = edits.add_client(book, {"first_name": "=1+1", "last_name": "Example"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.read_bytes()))["Clients"]
    cell = sheet.cell(done.row, 2)
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_a_review_mark_adds_the_reviews_sheet_when_missing(book, tmp_path):
    wb = openpyxl.load_workbook(book)
    del wb["Reviews"]
    older = tmp_path / "older.xlsx"
    wb.save(older)
    finding = reconcile(load(older), AS_OF).flags.iloc[0].to_dict()
    done = edits.add_review(older, finding, note="checked with the clinician", actor="bk")
    reviews = load(older).frame("Reviews")
    assert list(
        reviews[["review_id", "code", "sheet", "cell", "row_id", "reviewed_by"]].iloc[0]
    ) == [
        done.row_id,
        finding["code"],
        finding["sheet"],
        finding["cell"],
        finding["row_id"],
        "bk",
    ]
    assert core_edits.finding_key(
        finding["code"], finding["sheet"], finding["cell"], finding["row_id"]
    ) in core_edits.reviewed_keys(load(older))


def test_closing_sets_the_lock_and_is_audited(book):
    b = load(book)
    assert b.settings.lock_through_date is None
    with pytest.raises(RowRefused):  # sessions on or before it are still scheduled
        edits.close_period(book, dt.date(2026, 11, 30), as_of=AS_OF)
    first_open = core_edits.unresolved_sessions(b, AS_OF)["scheduled_start"].min()
    through = (first_open - dt.timedelta(days=1)).date()
    closing = edits.close_period(book, through, as_of=AS_OF, actor="bk")
    assert closing.previous is None
    assert load(book).settings.lock_through_date == through
    last = audit(book)[-1]
    assert (last[1], last[3], last[4], last[5]) == ("bk", "Practice", "lock_through_date", "close")
    assert through.isoformat() in last[6]
    rows = load(book).frame("Practice")
    assert (rows["key"] == "lock_through_date").sum() == 1
    assert int(rows.loc[rows["key"] == "lock_through_date", ROW].iloc[0]) > 1


def test_text_excel_cannot_hold_is_refused_at_its_cell(book):
    data = book.read_bytes()
    with pytest.raises(RowRefused) as refused:
        edits.add_client(book, {"first_name": "x" * 40_000, "last_name": "Example"})
    (issue,) = refused.value.issues
    assert (issue.code.value, issue.where.sheet, issue.where.col) == ("out-of-range", "Clients", 2)
    assert "40,000 characters" in issue.message and "xxxx" not in issue.message
    assert book.read_bytes() == data
