"""The AuditLog on file: its head in the document properties, what a check finds when the
log is cut short, cleared, deleted or rewritten, and the keyed mode."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest

from practicebook import api
from practicebook.core.audit import (
    AUDIT_HEAD_PROPERTY,
    GENESIS_HASH,
    KEYED_PREFIX,
    AuditHead,
    AuditRow,
    row_hash,
)
from practicebook.errors import BadAuditKey, SheetConflict
from practicebook.generate import generate
from practicebook.issues import Severity
from practicebook.render.cells import SheetSpec
from practicebook.workbook import ooxml, writer

AS_OF = dt.date(2026, 6, 30)
PAYMENT = {"client_id": "C0002", "received_date": "2026-03-02", "amount": "15.25", "method": "card"}
KEY = "correct horse battery staple"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("gen") / "practice.xlsx"
    generate(40).write(path)
    return path.read_bytes()


@pytest.fixture
def book(tmp_path: Path, generated: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY_FILE", raising=False)
    path = tmp_path / "practice.xlsx"
    path.write_bytes(generated)
    return path


def logged(path: Path, writes: int = 3) -> Path:
    for _ in range(writes - 1):
        writer.add_payment(path, PAYMENT)
    writer.write_results(path, as_of=AS_OF)
    return path


def log_rows(path: Path) -> list[list[str]]:
    return [[str(v) for v in r] for r in ooxml.read_sheet(path.read_bytes(), "AuditLog")[1:]]


def head(path: Path) -> str:
    return ooxml.custom_properties(path.read_bytes())[AUDIT_HEAD_PROPERTY]


def set_log(path: Path, rows: list[list[str]]) -> None:
    """Replace the AuditLog's rows, as someone editing the sheet would (the head stays)."""
    spec = SheetSpec("AuditLog", AuditRow.columns(), rows)
    path.write_bytes(ooxml.write_sheets(path.read_bytes(), [spec]))


def rehashed(rows: list[list[str]]) -> list[list[str]]:
    prev, out = GENESIS_HASH, []
    for row in rows:
        digest = row_hash(row[:7], prev)
        out.append([*row[:7], prev, digest])
        prev = digest
    return out


def audit_findings(path: Path, **kwargs: object) -> list[tuple[str, str, str]]:
    return [
        (i.code.value, i.severity.value, str(i.where))
        for i in api.check(path, **kwargs)  # type: ignore[arg-type]
        if i.code.value.startswith("audit-")
    ]


def test_every_write_records_the_logs_head(book: Path) -> None:
    logged(book)
    rows = log_rows(book)
    assert len(rows) == 3
    assert head(book) == f"3 {rows[-1][-1]}"
    assert audit_findings(book) == []


def test_rows_cut_off_the_end_are_found(book: Path) -> None:
    logged(book)
    set_log(book, log_rows(book)[:1])
    assert audit_findings(book) == [("audit-chain-truncated", "error", "AuditLog!A3")]


def test_a_cleared_log_is_found(book: Path) -> None:
    logged(book)
    set_log(book, [])
    assert audit_findings(book) == [("audit-chain-truncated", "error", "AuditLog!A2")]


def test_a_deleted_log_sheet_is_found(book: Path) -> None:
    logged(book)
    data = book.read_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = re.sub(rb'<sheet name="AuditLog"[^>]*/>', b"", content)
            target.writestr(info, content)
    book.write_bytes(out.getvalue())
    assert audit_findings(book) == [("audit-log-missing", "error", "AuditLog")]


def test_a_rehashed_edit_is_found(book: Path) -> None:
    logged(book)
    rows = log_rows(book)
    rows[0][6] = "fields: payment_id"  # the edit, then every hash recomputed
    set_log(book, rehashed(rows))
    assert audit_findings(book) == [("audit-chain-broken", "error", "AuditLog!A4")]


def test_a_later_write_does_not_hide_a_cut(book: Path) -> None:
    logged(book)
    set_log(book, log_rows(book)[:1])
    writer.add_payment(book, PAYMENT, actor="frontdesk")
    rows = log_rows(book)
    assert [r[5] for r in rows] == ["append", "found-log-truncated", "append"]
    assert rows[1][1] == "frontdesk" and "recorded 3 rows" in rows[1][6]
    assert audit_findings(book) == [("audit-chain-truncated", "warning", "AuditLog!A3")]


def test_keyed_mode_from_the_environment(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRACTICEBOOK_AUDIT_KEY", KEY)
    logged(book)
    rows = log_rows(book)
    assert all(r[-1].startswith(KEYED_PREFIX) for r in rows)
    recorded = AuditHead.parse(head(book))
    assert recorded is not None and recorded.signed_by(KEY.encode())
    assert audit_findings(book) == []
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY")
    assert audit_findings(book) == []  # without the key the order still checks
    assert audit_findings(book, audit_key=KEY) == []


def test_keyed_mode_finds_what_a_forger_without_the_key_rewrote(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv("PRACTICEBOOK_AUDIT_KEY_FILE", str(key_file))
    logged(book)
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY_FILE")
    rows = log_rows(book)
    rows[1][6] = "fields: none"
    forged = rehashed(rows)  # every row re-hashed without the key, the head to match
    set_log(book, forged)
    book.write_bytes(
        ooxml.set_custom_properties(book.read_bytes(), {AUDIT_HEAD_PROPERTY: f"3 {forged[-1][-1]}"})
    )
    assert audit_findings(book) == []  # an unkeyed chain proves nothing about who wrote it
    found = audit_findings(book, audit_key=KEY)
    assert ("audit-chain-broken", "warning", "AuditLog") in found


def test_a_short_key_is_refused_before_anything_is_written(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = book.read_bytes()
    with pytest.raises(BadAuditKey, match="at least 16"):
        writer.add_payment(book, PAYMENT, audit_key="secret")
    monkeypatch.setenv("PRACTICEBOOK_AUDIT_KEY_FILE", str(book.parent / "missing.key"))
    with pytest.raises(BadAuditKey, match=r"missing\.key cannot be read"):
        api.check(book)
    assert book.read_bytes() == before


def test_a_row_written_without_the_key_after_keyed_ones_is_found(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.add_payment(book, PAYMENT, audit_key=KEY)
    writer.add_payment(book, PAYMENT)  # a colleague without the key configured
    found = audit_findings(book, audit_key=KEY)
    assert ("audit-chain-broken", "error", "AuditLog!A3") in found
    assert all(s != Severity.NOTE.value for _, s, _ in found)


def test_a_sheet_of_ones_own_called_auditlog_is_not_written_into(book: Path) -> None:
    mine = SheetSpec("AuditLog", ["Date", "Who checked the books"], [["2026-01-31", "owner"]])
    book.write_bytes(ooxml.write_sheets(book.read_bytes(), [mine]))
    before = book.read_bytes()
    with pytest.raises(SheetConflict, match="'AuditLog'"):
        writer.add_payment(book, PAYMENT)
    assert book.read_bytes() == before


def test_an_empty_auditlog_sheet_gets_the_log_from_its_first_row(book: Path) -> None:
    empty = SheetSpec("AuditLog", ["x"], [], filter=None)
    data = ooxml.write_sheets(book.read_bytes(), [empty])
    book.write_bytes(ooxml.set_cells(data, "AuditLog", {(1, 1): None}))
    writer.add_payment(book, PAYMENT)
    stored = ooxml.read_sheet(book.read_bytes(), "AuditLog")
    assert stored[0] == AuditRow.columns() and stored[1][5] == "append"
    assert audit_findings(book) == []
