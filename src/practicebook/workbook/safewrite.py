"""The protocol for every write to a user's workbook file.

`update_workbook` reads the file, lets a pure `bytes -> bytes` transform produce the new
package, and replaces the file only when nothing can be lost:

1. follow a symbolic link to the real file (everything below happens beside it); refuse
   a read-only file, one this user may not write, and one with hard links;
2. refuse while Excel or LibreOffice has the workbook open (their owner/lock files);
3. hold practicebook's lock (``sharing.WorkbookLock``) for the whole read-modify-write,
   and clean up temp files a killed earlier run left behind;
4. decrypt a password-protected workbook in memory only, and re-encrypt the result;
5. write a 0600 temp file in the same folder, flush and fsync it;
6. verify it: re-read bytes equal what was meant, the zip tests clean, every member the
   transform did not change still has its original raw bytes, plus a caller check;
7. re-hash the file: if someone saved it meanwhile, re-apply (appends) or refuse (results);
8. keep a backup of the previous version, give the temp file the original's owner, group,
   mode and extended attributes, `os.replace` it over the original and fsync the folder;
   then remove the lock file.

Any failure leaves the original byte-identical, removes the temp file and raises a `WriteError`
with a one-line message that names no cell contents.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import io
import os
import stat
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from practicebook.errors import (
    DiskFull,
    PasswordRequired,
    VerifyFailed,
    WorkbookBusy,
    WorkbookChanged,
    WorkbookReadOnly,
    WriteError,
    WriteFailed,
)
from practicebook.workbook import sharing
from practicebook.workbook.crypto import decrypt_workbook, encrypt_workbook, is_encrypted
from practicebook.workbook.sharing import BACKUP_DIR, editor_lock_files

__all__ = [
    "BACKUP_DIR",
    "UpdateResult",
    "editor_lock_files",
    "update_workbook",
]

TEMP_PREFIX = ".practicebook-"

Transform = Callable[[bytes], bytes]
Verify = Callable[[bytes, bytes], None]


@dataclass(frozen=True)
class UpdateResult:
    """What `update_workbook` did.

    Attributes:
        sha256: Hash of the file as now on disk.
        backup: The backup of the previous version, if one was kept.
        attempts: How many read-transform rounds were needed (more than 1 after a retry).
    """

    sha256: str
    backup: Path | None
    attempts: int


# --------------------------------------------------------------------------- the protocol


def update_workbook(
    path: str | os.PathLike[str],
    transform: Transform,
    *,
    retry_on_change: bool,
    password: str | None = None,
    expected_sha256: str | None = None,
    verify: Verify | None = None,
    keep_backups: int = 10,
    max_attempts: int = 5,
    lock_timeout: float = 30.0,
) -> UpdateResult:
    """Apply `transform` to the workbook at `path` and install the result safely.

    Args:
        path: The `.xlsx`/`.xlsm` file.
        transform: Pure function from the current (decrypted) package bytes to the new ones. It
            may run more than once when `retry_on_change` is set.
        retry_on_change: If the file changes while we work (another program saved it),
            re-read and re-apply (right for appends); otherwise refuse with `WorkbookChanged`
            (right for results computed from the version that was read).
        password: Password of an encrypted workbook; the result is encrypted with it again.
        expected_sha256: Hash of the version the caller computed its results from; a
            different file on disk is treated as a change.
        verify: Extra check `verify(old_plain, new_plain)` on the written copy; raise to reject.
        keep_backups: How many previous versions to keep in `.practicebook-backups` (0: none).
        max_attempts: Bound on re-reads when `retry_on_change` is set.
        lock_timeout: Seconds to wait for another practicebook run on the same file.

    Returns:
        An `UpdateResult`.

    Raises:
        WorkbookBusy, WorkbookChanged, WriteFailed (DiskFull, VerifyFailed, WorkbookReadOnly),
        PasswordRequired, WrongPassword; and whatever `transform` raises.
    """
    shown = Path(path).absolute()
    target = Path(os.path.realpath(shown))  # a symbolic link is written through
    like = _writable(shown, target)
    sharing.refuse_if_open(shown, shown, target)
    lock = sharing.WorkbookLock(target, like)
    try:
        lock.acquire(lock_timeout)
    except TimeoutError as exc:
        raise WorkbookBusy(shown, by="another practicebook run") from exc
    except OSError as exc:
        raise _os_failure(shown, exc, "cannot create the lock file") from exc
    try:
        _remove_stale_temps(target)
        return _update_locked(
            (shown, target),
            transform,
            retry_on_change,
            password,
            expected_sha256,
            verify,
            keep_backups,
            max_attempts,
        )
    finally:
        lock.release()


def _writable(shown: Path, target: Path) -> os.stat_result:
    """The file's status, once it is known that replacing it surprises no one."""
    try:
        info = target.stat()
    except FileNotFoundError as exc:
        raise WriteFailed(shown, "the file does not exist") from exc
    except OSError as exc:
        raise _os_failure(shown, exc, "cannot read the file") from exc
    if not stat.S_ISREG(info.st_mode):
        raise WriteFailed(shown, "it is not a file (a folder?)")
    if not info.st_mode & 0o222:
        raise WorkbookReadOnly(shown)
    if not _may_write(target):
        raise WorkbookReadOnly(
            shown, "you have no permission to write the file (ask its owner for write access)"
        )
    if info.st_nlink > 1:
        raise WriteFailed(
            shown,
            f"the file has {info.st_nlink} hard links, and a new version would leave the "
            "others at the old one; make it a file of its own (copy it) first",
        )
    return info


def _may_write(target: Path) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(target, os.W_OK, effective_ids=True)
    return os.access(target, os.W_OK)


def _update_locked(
    where: tuple[Path, Path],
    transform: Transform,
    retry_on_change: bool,
    password: str | None,
    expected_sha256: str | None,
    verify: Verify | None,
    keep_backups: int,
    max_attempts: int,
) -> UpdateResult:
    shown, target = where
    for attempt in range(1, max_attempts + 1):
        sharing.refuse_if_open(shown, shown, target)
        original = _read(shown, target)
        digest = hashlib.sha256(original).hexdigest()
        if expected_sha256 is not None and digest != expected_sha256 and not retry_on_change:
            raise WorkbookChanged(shown)
        key = _password_for(original, password)
        plain = decrypt_workbook(original, key) if key is not None else original
        new_plain = transform(plain)
        on_disk = encrypt_workbook(new_plain, key) if key is not None else new_plain
        temp = _write_temp(shown, target, on_disk)
        try:
            _verify(shown, temp, on_disk, plain, new_plain, key, verify)
            sharing.refuse_if_open(shown, shown, target)
            if hashlib.sha256(_read(shown, target)).hexdigest() != digest:
                if retry_on_change and attempt < max_attempts:
                    continue
                raise WorkbookChanged(shown)
            backup = _backup(shown, target, original, keep_backups)
            _install(shown, target, temp)
        except OSError as exc:  # anything not mapped closer to its cause
            raise _os_failure(shown, exc, "the write failed") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return UpdateResult(hashlib.sha256(on_disk).hexdigest(), backup, attempt)
    raise WorkbookChanged(shown)


def _read(shown: Path, target: Path) -> bytes:
    try:
        return target.read_bytes()
    except FileNotFoundError as exc:
        raise WriteFailed(shown, "the file does not exist") from exc
    except OSError as exc:
        raise _os_failure(shown, exc, "cannot read the file") from exc


def _password_for(original: bytes, password: str | None) -> str | None:
    """The password to decrypt and re-encrypt with, or None for a plain workbook."""
    if not is_encrypted(original):
        return None
    if password is None:
        raise PasswordRequired()
    return password


def _os_failure(path: Path, exc: OSError, what: str) -> WriteFailed:
    if exc.errno == errno.ENOSPC:
        return DiskFull(path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return WriteFailed(path, f"{what}: the folder or file is read-only")
    return WriteFailed(path, f"{what}: {os.strerror(exc.errno) if exc.errno else exc}")


def _temp_prefix(path: Path) -> str:
    return f"{TEMP_PREFIX}{path.name}-"


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed run on this workbook left (they hold confidential data).

    Called while holding the workbook's lock, and temp names carry the workbook's name, so a
    write in progress on another workbook in the same folder is never touched.
    """
    for stale in path.parent.glob(glob.escape(_temp_prefix(path)) + "*.tmp.*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _write_durably(fd: int, data: bytes) -> None:
    """Write ``data`` to the open descriptor ``fd``, reach the disk, close it."""
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _write_temp(shown: Path, path: Path, data: bytes) -> Path:
    """Write `data` to a temp file beside `path`, flushed and fsynced.

    `mkstemp` creates it 0600, as the workbook's data is confidential; the name ends in the
    workbook's own suffix because spreadsheet readers choose their parser by extension.
    """
    try:
        fd, name = tempfile.mkstemp(
            prefix=_temp_prefix(path), suffix=".tmp" + path.suffix, dir=path.parent
        )
    except OSError as exc:
        raise _os_failure(shown, exc, "cannot create a temporary file") from exc
    temp = Path(name)
    try:
        _write_durably(fd, data)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _os_failure(shown, exc, "cannot write the temporary file") from exc
    return temp


def _verify(
    path: Path,
    temp: Path,
    on_disk: bytes,
    plain: bytes,
    new_plain: bytes,
    key: str | None,
    verify: Verify | None,
) -> None:
    """Re-open the temp file and prove it is the complete, intended, readable package."""
    written = temp.read_bytes()
    if written != on_disk:
        raise VerifyFailed(path, "the temporary file does not read back as written")
    written_plain = decrypt_workbook(written, key) if key is not None else written
    if written_plain != new_plain:
        raise VerifyFailed(path, "the encrypted copy does not decrypt to the new workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(written_plain)) as z:
            if z.testzip() is not None:
                raise VerifyFailed(path, "a zip member is damaged")
    except zipfile.BadZipFile as exc:
        raise VerifyFailed(path, "the result is not a readable zip") from exc
    lost = _unchanged_members_altered(plain, written_plain)
    if lost:
        raise VerifyFailed(path, f"{len(lost)} untouched part(s) were re-encoded")
    if verify is not None:
        try:
            verify(plain, written_plain)
        except WriteError:
            raise
        except Exception as exc:
            raise VerifyFailed(path, f"{type(exc).__name__} in the caller's check") from exc


def _unchanged_members_altered(before: bytes, after: bytes) -> list[str]:
    """Members whose content is unchanged but whose stored (compressed) bytes differ.

    The writer copies untouched members as raw bytes, so any such member means a part was
    recompressed or damaged somewhere on the way.
    """
    old, new = _raw_index(before), _raw_index(after)
    return [
        name
        for name, (crc, size, raw) in old.items()
        if name in new and new[name][:2] == (crc, size) and new[name][2] != raw
    ]


def _raw_index(data: bytes) -> dict[str, tuple[int, int, bytes]]:
    index = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_len + extra_len
            index[info.filename] = (
                info.CRC,
                info.file_size,
                data[start : start + info.compress_size],
            )
    return index


def _backup(shown: Path, target: Path, original: bytes, keep: int) -> Path | None:
    """Keep the previous version beside the real file (see ``sharing.keep_backup``).

    Backups hold the same confidential data as the workbook itself.
    """
    if keep <= 0:
        return None
    try:
        return sharing.keep_backup(target, original, target.stat(), keep)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise WriteFailed(
                shown,
                f"cannot keep a backup: {BACKUP_DIR} is not writable for you (it may belong to "
                "a colleague; make it group-writable)",
            ) from exc
        raise _os_failure(shown, exc, "cannot keep a backup") from exc


def _install(shown: Path, target: Path, temp: Path) -> None:
    """Atomically put `temp` in place of `target`, then make the rename durable.

    The temp file was private while being written; the installed file gets the original's
    owner, group, permissions and extended attributes back where this user may set them,
    so a practice sharing the folder with a group keeps its access.
    """
    try:
        sharing.inherit(temp, target.stat(), target)
        os.replace(temp, target)
    except OSError as exc:
        if os.name == "nt" and exc.errno in (errno.EACCES, errno.EPERM):
            raise WorkbookBusy(shown, by="another program") from exc  # Excel holds the file
        raise _os_failure(shown, exc, "cannot replace the file") from exc
    # The new version is in place now; a folder that cannot be fsynced (some network file
    # systems) must not turn that success into an error claiming the file is unchanged.
    with contextlib.suppress(OSError):
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
