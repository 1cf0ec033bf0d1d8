"""The safe write among other people and other files: shared folders, read-only files,
symbolic and hard links, and editor owner files that carry hostile text.

The two-user tests switch uid in a forked child (``os.setresuid``) rather than running
``setpriv``: the child keeps the interpreter already loaded, so it needs no access to
the Python installation as the other user. They run as root only.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xlsxwriter

from practicebook import errors
from practicebook.errors import WorkbookBusy, WriteFailed
from practicebook.workbook.ooxml import append_rows, read_sheet
from practicebook.workbook.safewrite import BACKUP_DIR, update_workbook

A, B, GROUP = 41001, 41002, 41000  # two people of one practice, and their shared group
LOCK = ".practice.xlsx.practicebook.lock"


def small_book() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Sessions")
    ws.write_row(0, 0, ["id", "note"])
    ws.write_row(1, 0, [0, "n0"])
    ws.add_table(
        0, 0, 1, 1, {"name": "Sessions", "columns": [{"header": "id"}, {"header": "note"}]}
    )
    wb.close()
    return out.getvalue()


def add_row(marker: int) -> Callable[[bytes], bytes]:
    def transform(data: bytes) -> bytes:
        return append_rows(data, "Sessions", [[marker, "added"]])[0]

    return transform


def ids(path: Path) -> list[object]:
    return [r[0] for r in read_sheet(path.read_bytes(), "Sessions")[1:]]


# --- two people, one folder ---------------------------------------------------------

needs_root = pytest.mark.skipif(
    not hasattr(os, "setresuid") or os.geteuid() != 0,
    reason="switching between two users needs root and POSIX setresuid",
)


def as_user(uid: int, groups: list[int], action: Callable[[], object]) -> str | None:
    """Run ``action`` in a forked child as ``uid`` (primary group = own gid, plus
    ``groups``), umask 022; return None on success or the child's error as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the user, act, report
        os.close(read)
        outcome = b""
        try:
            os.setgroups(groups)
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.umask(0o022)
            action()
        except BaseException as exc:
            outcome = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}".encode()
        os.write(write, outcome)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    return outcome.decode() or None


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder of the practice's group that both users can reach (pytest's own tmp
    folders are private to root)."""
    base = Path(tempfile.mkdtemp(prefix="practicebook-shared-", dir="/tmp"))
    os.chmod(base, 0o755)
    folder = base / "practice"
    folder.mkdir()
    os.chown(folder, A, GROUP)
    os.chmod(folder, 0o770)
    warm = base / "warm.xlsx"  # load every lazily imported module before forking
    warm.write_bytes(small_book())
    update_workbook(warm, add_row(1), retry_on_change=True)
    try:
        yield folder
    finally:
        shutil.rmtree(base)


def owned_workbook(folder: Path, mode: int = 0o660) -> Path:
    path = folder / "practice.xlsx"
    path.write_bytes(small_book())
    os.chown(path, A, GROUP)
    os.chmod(path, mode)
    return path


@needs_root
def test_a_colleagues_write_keeps_the_group_and_mode_so_the_owner_still_reads_it(
    shared_folder: Path,
) -> None:
    path = owned_workbook(shared_folder)
    assert (
        as_user(B, [GROUP], lambda: update_workbook(path, add_row(7), retry_on_change=True)) is None
    )
    info = path.stat()
    assert (info.st_gid, stat.S_IMODE(info.st_mode)) == (GROUP, 0o660)
    assert (
        as_user(A, [GROUP], lambda: update_workbook(path, add_row(8), retry_on_change=True)) is None
    )
    assert ids(path) == [0, 7, 8]


@needs_root
def test_two_users_take_turns_in_a_setgid_folder(shared_folder: Path) -> None:
    os.chmod(shared_folder, 0o2770)
    path = owned_workbook(shared_folder)
    for n, user in enumerate([A, B, A, B], start=1):
        failure = as_user(
            user, [GROUP], lambda n=n: update_workbook(path, add_row(n), retry_on_change=True)
        )
        assert failure is None, failure
        assert not (shared_folder / LOCK).exists()  # no lock file is left for the next one
    assert ids(path) == [0, 1, 2, 3, 4]
    backups = shared_folder / BACKUP_DIR
    info = backups.stat()
    assert info.st_gid == GROUP and stat.S_IMODE(info.st_mode) & 0o070 == 0o070
    assert all(p.stat().st_gid == GROUP for p in backups.iterdir())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o660 for p in backups.iterdir())


@needs_root
def test_a_lock_file_left_by_a_colleague_does_not_block(shared_folder: Path) -> None:
    os.chmod(shared_folder, 0o2770)
    path = owned_workbook(shared_folder)
    leftover = shared_folder / LOCK
    leftover.write_bytes(b"")
    os.chown(leftover, B, GROUP)
    os.chmod(leftover, 0o644)  # what an earlier version left behind
    assert (
        as_user(A, [GROUP], lambda: update_workbook(path, add_row(5), retry_on_change=True)) is None
    )
    assert ids(path) == [0, 5] and not leftover.exists()


@needs_root
def test_someone_without_write_permission_cannot_replace_the_file(shared_folder: Path) -> None:
    path = owned_workbook(shared_folder, 0o640)  # the group may read, not write
    before = path.read_bytes()
    failure = as_user(B, [GROUP], lambda: update_workbook(path, add_row(9), retry_on_change=True))
    assert failure is not None and failure.startswith(
        "WorkbookReadOnly: could not write practice.xlsx"
    )
    assert path.read_bytes() == before


def test_root_writing_keeps_the_owner_group_and_mode(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root may give a file to another user")
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    os.chown(path, A, GROUP)
    os.chmod(path, 0o640)
    update_workbook(path, add_row(3), retry_on_change=True)
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (A, GROUP, 0o640)


def test_the_lock_file_is_removed_after_each_write(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    update_workbook(path, add_row(3), retry_on_change=True)
    assert not (tmp_path / LOCK).exists()
    with pytest.raises(WorkbookBusy):  # a refused write removes it too
        (tmp_path / "~$practice.xlsx").write_bytes(b"")
        update_workbook(path, add_row(4), retry_on_change=True)
    assert not (tmp_path / LOCK).exists()


def test_backups_of_a_private_workbook_stay_private(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    os.chmod(path, 0o644)  # what a default umask gives: readable, but not shared for writing
    backup = update_workbook(path, add_row(3), retry_on_change=True).backup
    assert backup is not None
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700


# --- read-only files, links -------------------------------------------------------------


def test_a_read_only_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(errors.WorkbookReadOnly) as info:
        update_workbook(path, add_row(3), retry_on_change=True)
    assert str(info.value) == (
        "could not write practice.xlsx: the file is read-only (allow writing to it, "
        "then run again); the file is unchanged"
    )
    assert isinstance(info.value, WriteFailed)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["practice.xlsx"]


def test_a_symlinked_workbook_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "data" / "practice-2026.xlsx"
    real.parent.mkdir()
    real.write_bytes(small_book())
    os.chmod(real, 0o640)
    desk = tmp_path / "desk"
    desk.mkdir()
    link = desk / "practice.xlsx"
    link.symlink_to(real)
    result = update_workbook(link, add_row(3), retry_on_change=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert ids(real) == [0, 3] and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert result.backup is not None and result.backup.parent == real.parent / BACKUP_DIR
    assert sorted(p.name for p in desk.iterdir()) == ["practice.xlsx"]  # nothing beside the link


def test_an_editor_holding_the_target_blocks_a_write_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.xlsx"
    real.write_bytes(small_book())
    link = tmp_path / "practice.xlsx"
    link.symlink_to(real)
    (tmp_path / "~$real.xlsx").write_bytes(bytes([3]) + b"Bob".ljust(53, b" "))
    with pytest.raises(WorkbookBusy, match="open in Excel by Bob"):
        update_workbook(link, add_row(3), retry_on_change=True)


def test_a_hard_linked_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    other = tmp_path / "copy.xlsx"
    os.link(path, other)
    with pytest.raises(WriteFailed, match="hard links"):
        update_workbook(path, add_row(3), retry_on_change=True)
    assert ids(other) == [0]


@pytest.mark.skipif(not hasattr(os, "setxattr"), reason="extended attributes are Linux-only here")
def test_extended_attributes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    try:
        os.setxattr(path, "user.practice.tag", b"billing")
    except OSError:
        pytest.skip("the file system has no user extended attributes")
    update_workbook(path, add_row(3), retry_on_change=True)
    assert os.getxattr(path, "user.practice.tag") == b"billing"


# --- text from editor owner files --------------------------------------------------------


@pytest.mark.parametrize(
    "lock_name, content",
    [
        ("~$practice.xlsx", bytes([30]) + b"\x1b[2J\x1b[31mMallory\r\nowned\x07".ljust(53, b" ")),
        (".~lock.practice.xlsx#", "U,\x1b]0;pwned\x07Eve\u202e\nx,host,1,2;".encode()),
    ],
)
def test_owner_names_from_lock_files_are_printable(
    tmp_path: Path, lock_name: str, content: bytes
) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    (tmp_path / lock_name).write_bytes(content)
    with pytest.raises(WorkbookBusy) as info:
        update_workbook(path, add_row(1), retry_on_change=True)
    message = str(info.value)
    assert message.isprintable(), repr(message)
    assert info.value.owner is not None and info.value.owner.isprintable()
    assert "Mallory" in message or "Eve" in message


def test_a_very_long_owner_name_is_shortened(tmp_path: Path) -> None:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(small_book())
    (tmp_path / ".~lock.practice.xlsx#").write_bytes(b"U," + b"A" * 500 + b",host,1,2;")
    with pytest.raises(WorkbookBusy) as info:
        update_workbook(path, add_row(1), retry_on_change=True)
    assert info.value.owner is not None and len(info.value.owner) <= 64


def test_a_folder_named_like_a_workbook_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "practice.xlsx"
    folder.mkdir()
    with pytest.raises(WriteFailed, match="not a file"):
        update_workbook(folder, add_row(1), retry_on_change=True)
