"""Closing the books through the real writers records what was closed: afterwards only
what was entered or changed in the closed period is flagged, whichever way it was closed
(the month-end close, or a bank statement reconciled with ``close``). Rows are added and
changed by hand with the part editor, as Excel would, not through the writers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

import practicebook
from practicebook import bank
from practicebook.core import closing, entry
from practicebook.core.reconcile import reconcile
from practicebook.generate import generate
from practicebook.generate.bank import statements
from practicebook.issues import Severity
from practicebook.model import ROW
from practicebook.workbook import edits, ooxml
from tests.support.books import ROOT

MARCH = dt.date(2026, 3, 31)

#: The example practice closed through March 2026, as the first version that recorded
#: closes wrote it: a close recorded then must verify with today's code.
RECORDED_V1 = (
    "closed rows v1 through 2026-03-31; "
    "Payments rows=198 last=199 closed=6 "
    "sha256=c79767abbdd32bdc29679c3536462db7705364a8588f1a6ef449c2c77554c964 "
    "groups=1a89e5b48007c41db4b6f6398340ebb502353cbf3a436021f4d8f7ba68ec53b32bab69fa82c682fbee0fa03e79ab00b0e093ab897af7ab69fa53b32b58753f3a138e52f05c22f2b317e365811756191a9dc92b66e33ac9dd1cb1e33ac9dd1cb1; "
    "Adjustments rows=1 last=2 closed=0 "
    "sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "
    "groups=01ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba4701ba47; "
    "Sessions rows=600 last=601 closed=23 "
    "sha256=5493f3eb674cb67f68a22a7245c8cc7deff7c25e5bcf6a966d240da7f21b91b8 "
    "groups=4451de9b2378132fc75496115fc25bd12a042e95b5110c9b96d36cc6cb2248c23eec806b3fb8261be3786bbf477a5780ac3511c847a688bc288ec8b35e401b7bd099abecd4b7fb736bbf477a57805d56134f9ea1bc98e9f0b6b250fdbbbfe0ef"
)


@pytest.fixture(autouse=True)
def _no_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY_FILE", raising=False)


def locked(path: Path, as_of: dt.date):
    """The locked-period findings of the workbook at ``path``, as a user would see them."""
    book, issues = practicebook.load(path)
    assert not [i for i in issues if i.code.value.startswith("audit-")]
    found = issues + reconcile(book, as_of).issues
    return book, [i for i in found if i.code.value == "locked-period"]


def add_payment_by_hand(path: Path, book, values: dict[str, object]) -> int:
    """Append a Payments row with the part editor (no validation, no audit): its row."""
    layout = book.layouts["Payments"]
    cells = entry.cell_values("Payments", values, layout)
    data, rows = ooxml.append_rows(
        path.read_bytes(), layout.sheet, [cells], header_row=layout.header_row
    )
    path.write_bytes(data)
    return rows[0]


def set_by_hand(path: Path, book, sheet: str, row: int, key: str, value: object) -> None:
    cell = (row, book.layouts[sheet].column_of[key])
    path.write_bytes(ooxml.set_cells(path.read_bytes(), book.layouts[sheet].sheet, {cell: value}))


def date_cell(book, row: int) -> str:
    return str(book.cell("Payments", "received_date", row))


def test_journey_closing_march_then_a_payment_typed_into_march(tmp_path):
    path = tmp_path / "practice.xlsx"
    shutil.copy(ROOT / "examples" / "example-practice.xlsx", path)
    before, findings = locked(path, dt.date(2026, 4, 10))
    assert before.settings.lock_through_date is None and findings == []
    march = before.payments[before.payments["received_date"] <= "2026-03-31"]
    assert len(march) > 0

    edits.close_period(path, MARCH, as_of=dt.date(2026, 4, 10), actor="bk")
    book, findings = locked(path, dt.date(2026, 4, 10))
    assert book.settings.lock_through_date == MARCH
    assert findings == []  # every row there at the close is simply closed

    row = add_payment_by_hand(
        path,
        book,
        {
            "payment_id": "P-LATE",
            "received_date": dt.date(2026, 3, 20),
            "client_id": str(march["client_id"].iat[0]),
            "amount": 40,
            "method": "cash",
        },
    )
    book, findings = locked(path, dt.date(2026, 4, 10))
    assert [(str(i.where), i.severity, i.row_id) for i in findings] == [
        (date_cell(book, row), Severity.ERROR, "P-LATE")
    ]

    # a closed row's amount changed by hand: the sheet's one finding, at that row
    changed = march.iloc[len(march) // 2]
    set_by_hand(path, book, "Payments", int(changed[ROW]), "amount", 1234)
    book, findings = locked(path, dt.date(2026, 4, 10))
    assert len(findings) == 2
    sheet_finding = next(i for i in findings if i.row_id != "P-LATE")
    assert sheet_finding.message.startswith("Payments: rows of the closed period changed since")
    assert str(sheet_finding.where) == date_cell(book, int(changed[ROW]))
    assert sheet_finding.row_id == str(changed["payment_id"])


def test_closing_through_the_bank_records_the_close_too(tmp_path):
    practice = generate(120, seed=5)
    path = tmp_path / "book.xlsx"
    practice.write(path)
    made = statements(practice, seed=5)
    bank.import_statement(path, made.files["chk-2026-01.csv"], name="jan.csv", account="CHK")
    loaded, _ = practicebook.load(path)
    for line_id in loaded.frames["BankLines"]["line_id"]:
        bank.choose(path, line_id, not_client_money=True)
    january = dt.date(2026, 1, 31)
    done = bank.reconcile_statement(path, "CHK", january, close=True)
    assert done.closed

    book, findings = locked(path, dt.date(2026, 2, 15))
    assert book.settings.lock_through_date == january
    assert findings == []
    client = str(book.clients["client_id"].iat[0])
    values = {"received_date": dt.date(2026, 1, 9), "client_id": client, "amount": 25}
    row = add_payment_by_hand(path, book, {"payment_id": "P-HAND", **values, "method": "cash"})
    book, findings = locked(path, dt.date(2026, 2, 15))
    assert [(str(i.where), i.row_id) for i in findings] == [(date_cell(book, row), "P-HAND")]


def test_a_close_typed_by_hand_is_one_note_not_a_flood(tmp_path):
    path = tmp_path / "practice.xlsx"
    shutil.copy(ROOT / "examples" / "example-practice.xlsx", path)
    book, _ = practicebook.load(path)
    practice = book.frame("Practice")
    (row,) = practice.loc[practice["key"] == "lock_through_date", ROW].tolist()
    set_by_hand(path, book, "Practice", int(row), "value", "2026-03-31")
    book, findings = locked(path, dt.date(2026, 4, 10))
    assert book.settings.lock_through_date == MARCH
    assert [(str(i.where), i.severity) for i in findings] == [
        (str(book.cell("Practice", "value", int(row))), Severity.NOTE)
    ]


def test_a_close_recorded_by_the_first_version_still_verifies():
    """The digests are of canonical texts; computing them faster must not change them."""
    book, _ = practicebook.load(ROOT / "examples" / "example-practice.xlsx")
    assert closing.snapshot(book, MARCH).text() == RECORDED_V1
    settings = dataclasses.replace(book.settings, lock_through_date=MARCH)
    closed = dataclasses.replace(
        book, settings=settings, closes=(("2026-04-02T09:00:00Z", RECORDED_V1),)
    )
    assert closing.closed_period_issues(closed) == []
