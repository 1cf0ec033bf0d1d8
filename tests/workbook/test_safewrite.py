"""The safe write protocol: editor locks, lost updates, failures, backups, encryption."""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
from pathlib import Path

import filelock
import pytest
import xlsxwriter

from practicebook.errors import (
    DiskFull,
    PasswordRequired,
    VerifyFailed,
    WorkbookBusy,
    WorkbookChanged,
    WriteFailed,
    WrongPassword,
)
from practicebook.render.cells import SheetSpec
from practicebook.workbook import safewrite
from practicebook.workbook.crypto import decrypt_workbook, encrypt_workbook, is_encrypted
from practicebook.workbook.ooxml import append_rows, changed_members, read_sheet, write_sheets
from practicebook.workbook.safewrite import editor_lock_files, update_workbook


def small_book(rows: int = 3) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Sessions")
    ws.write_row(0, 0, ["id", "note"])
    for i in range(rows):
        ws.write_row(i + 1, 0, [i, f"n{i}"])
    ws.add_table(
        0, 0, rows, 1, {"name": "Sessions", "columns": [{"header": "id"}, {"header": "note"}]}
    )
    wb.close()
    return out.getvalue()


def add_row(marker: object):
    def transform(data: bytes) -> bytes:
        return append_rows(data, "Sessions", [[marker, "added"]])[0]

    return transform


RESULTS = SheetSpec("Results", ["client", "balance"], [["C1", 10]])


def write_results(data: bytes) -> bytes:
    return write_sheets(data, [RESULTS])


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp." in p.name)


def test_update_replaces_file_and_keeps_a_private_backup(book: Path) -> None:
    before = book.read_bytes()
    changed: list[set[str]] = []
    result = update_workbook(
        book,
        write_results,
        retry_on_change=False,
        verify=lambda old, new: changed.append(changed_members(old, new)),
    )
    assert changed == [
        {
            "[Content_Types].xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet2.xml",
            "xl/worksheets/_rels/sheet2.xml.rels",
            "xl/tables/table2.xml",
            "xl/styles.xml",
        }
    ]
    assert read_sheet(book.read_bytes(), "Results") == [["client", "balance"], ["C1", 10]]
    assert result.attempts == 1 and result.backup is not None
    assert result.backup.read_bytes() == before
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.backup.parent.stat().st_mode) == 0o700
    assert leftovers(book.parent) == []


def test_installed_file_keeps_the_original_permissions(book: Path) -> None:
    os.chmod(book, 0o640)
    update_workbook(book, write_results, retry_on_change=False)
    assert stat.S_IMODE(book.stat().st_mode) == 0o640


def test_backups_are_bounded(book: Path) -> None:
    for i in range(5):
        update_workbook(book, add_row(100 + i), retry_on_change=True, keep_backups=3)
    backups = sorted((book.parent / safewrite.BACKUP_DIR).iterdir())
    assert len(backups) == 3
    ids = [r[0] for r in read_sheet(backups[-1].read_bytes(), "Sessions")[1:]]
    assert ids == [0, 1, 2, 100, 101, 102, 103]


def test_temp_file_is_private_and_named_for_excel(book: Path) -> None:
    seen = []

    def verify(old: bytes, new: bytes) -> None:
        seen.extend(
            (p.name, stat.S_IMODE(p.stat().st_mode))
            for p in book.parent.iterdir()
            if ".tmp." in p.name
        )

    update_workbook(book, write_results, retry_on_change=False, verify=verify)
    ((name, mode),) = seen
    assert name.startswith(".practicebook-practice.xlsx-") and name.endswith(".tmp.xlsx")
    assert mode == 0o600


def test_stale_temp_files_are_removed_at_next_write(book: Path) -> None:
    stale = book.parent / ".practicebook-practice.xlsx-dead.tmp.xlsx"
    stale.write_bytes(b"confidential")
    other = book.parent / ".practicebook-other.xlsx-busy.tmp.xlsx"
    other.write_bytes(b"another workbook mid-write")
    update_workbook(book, write_results, retry_on_change=False)
    assert not stale.exists() and other.exists()


@pytest.mark.parametrize(
    "lock_name, content, owner, program",
    [
        ("~$practice.xlsx", bytes([8]) + b"Jane Doe".ljust(53, b" "), "Jane Doe", "Excel"),
        ("~$actice.xlsx", bytes([3]) + b"Bob".ljust(53, b" "), "Bob", "Excel"),
        (
            ".~lock.practice.xlsx#",
            b"U,Ana Lima,host,26.11.2026 10:00,file:///x;",
            "Ana Lima",
            "LibreOffice",
        ),
    ],
)
def test_refuses_while_open_in_an_editor(
    book: Path, lock_name: str, content: bytes, owner: str, program: str
) -> None:
    (book.parent / lock_name).write_bytes(content)
    before = book.read_bytes()
    with pytest.raises(WorkbookBusy) as info:
        update_workbook(book, write_results, retry_on_change=False)
    expected = f"practice.xlsx is open in {program} by {owner}; close it and try again"
    assert str(info.value) == expected
    assert editor_lock_files(book) == [book.parent / lock_name]
    assert book.read_bytes() == before


def test_result_write_refuses_when_file_changed_during_transform(book: Path) -> None:
    external = append_rows(book.read_bytes(), "Sessions", [[999, "typed in Excel"]])[0]

    def transform(data: bytes) -> bytes:
        book.write_bytes(external)  # someone saves while we compute
        return write_results(data)

    with pytest.raises(WorkbookChanged, match="changed by another program"):
        update_workbook(book, transform, retry_on_change=False)
    assert book.read_bytes() == external
    assert leftovers(book.parent) == []


def test_append_is_reapplied_when_file_changed(book: Path) -> None:
    external = append_rows(book.read_bytes(), "Sessions", [[999, "typed in Excel"]])[0]
    calls = []

    def transform(data: bytes) -> bytes:
        if not calls:
            book.write_bytes(external)
        calls.append(1)
        return add_row(7)(data)

    result = update_workbook(book, transform, retry_on_change=True)
    assert result.attempts == 2
    assert [r[0] for r in read_sheet(book.read_bytes(), "Sessions")[1:]] == [0, 1, 2, 999, 7]


def test_expected_hash_guards_results_computed_from_an_older_version(book: Path) -> None:
    with pytest.raises(WorkbookChanged):
        update_workbook(book, write_results, retry_on_change=False, expected_sha256="0" * 64)


def test_failing_replace_leaves_original(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = book.read_bytes()

    def broken(src: str, dst: str) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(safewrite.os, "replace", broken)
    with pytest.raises(WriteFailed, match="cannot replace the file: Input/output error"):
        update_workbook(book, write_results, retry_on_change=False)
    assert book.read_bytes() == before and leftovers(book.parent) == []


def test_disk_full_while_writing_temp(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = book.read_bytes()
    real_fdopen = os.fdopen

    class FullDisk(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self.inner = real_fdopen(fd, "wb")

        def write(self, data: object) -> int:
            self.inner.write(b"PK\x03\x04partial")
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self.inner.close()

    monkeypatch.setattr(safewrite.os, "fdopen", lambda fd, mode: FullDisk(fd))
    with pytest.raises(DiskFull, match="the disk is full; the file is unchanged"):
        update_workbook(book, write_results, retry_on_change=False)
    assert book.read_bytes() == before and leftovers(book.parent) == []


def test_read_only_folder(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = book.read_bytes()

    def denied(**kwargs: object) -> None:
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(safewrite.tempfile, "mkstemp", denied)
    with pytest.raises(WriteFailed, match="read-only"):
        update_workbook(book, write_results, retry_on_change=False)
    assert book.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder_for_real(book: Path) -> None:
    update_workbook(book, write_results, retry_on_change=False)  # creates the lock sidecar
    before = book.read_bytes()
    os.chmod(book.parent, 0o500)
    try:
        with pytest.raises(WriteFailed, match="read-only"):
            update_workbook(book, write_results, retry_on_change=False)
    finally:
        os.chmod(book.parent, 0o700)
    assert book.read_bytes() == before


def test_verify_failure_keeps_original(book: Path) -> None:
    before = book.read_bytes()

    def verify(old: bytes, new: bytes) -> None:
        raise AssertionError("Results sheet lost a row: C1")

    with pytest.raises(VerifyFailed) as info:
        update_workbook(book, write_results, retry_on_change=False, verify=verify)
    assert "C1" not in str(info.value)  # no cell contents in messages
    assert book.read_bytes() == before and leftovers(book.parent) == []


def test_recompressed_untouched_parts_are_rejected(book: Path) -> None:
    def recompress(data: bytes) -> bytes:
        out = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(data)) as src,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
        ):
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info))
        return out.getvalue()

    with pytest.raises(VerifyFailed, match="re-encoded"):
        update_workbook(book, recompress, retry_on_change=False)


def test_not_a_workbook_result_is_rejected(book: Path) -> None:
    with pytest.raises(VerifyFailed, match="not a readable zip"):
        update_workbook(book, lambda data: data[: len(data) // 2], retry_on_change=False)


def test_encrypted_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(encrypt_workbook(small_book(), "s3cret"))
    assert is_encrypted(path.read_bytes()) and not is_encrypted(small_book())

    def no_plaintext_on_disk(old: bytes, new: bytes) -> None:
        for p in tmp_path.iterdir():
            if p.is_file() and p.suffix == ".xlsx":
                assert is_encrypted(p.read_bytes()), p.name

    update_workbook(
        path, add_row(42), retry_on_change=True, password="s3cret", verify=no_plaintext_on_disk
    )
    data = path.read_bytes()
    assert is_encrypted(data)
    ids = [r[0] for r in read_sheet(decrypt_workbook(data, "s3cret"), "Sessions")[1:]]
    assert ids == [0, 1, 2, 42]


def test_wrong_or_missing_password(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(encrypt_workbook(small_book(), "s3cret"))
    before = path.read_bytes()
    with pytest.raises(WrongPassword, match="password does not open"):
        update_workbook(path, add_row(1), retry_on_change=True, password="guess")
    with pytest.raises(PasswordRequired):
        update_workbook(path, add_row(1), retry_on_change=True)
    with pytest.raises(WrongPassword):
        decrypt_workbook(before, "guess")
    assert path.read_bytes() == before


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WriteFailed, match="does not exist"):
        update_workbook(tmp_path / "none.xlsx", write_results, retry_on_change=False)


def test_waits_for_and_then_refuses_a_concurrent_practicebook_run(book: Path) -> None:
    with filelock.FileLock(str(book.with_name(".practice.xlsx.practicebook.lock"))):
        with pytest.raises(WorkbookBusy, match="open in another practicebook run"):
            update_workbook(book, write_results, retry_on_change=False, lock_timeout=0.1)
