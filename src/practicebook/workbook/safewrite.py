"""The protocol for every write to a user's workbook file.

`update_workbook` reads the file, lets a pure `bytes -> bytes` transform produce the new
package, and replaces the file only when nothing can be lost:

1. refuse while Excel or LibreOffice has the workbook open (their owner/lock files);
2. hold an advisory cross-process lock (a sidecar `filelock`) for the whole read-modify-write,
   and clean up temp files a killed earlier run left behind;
3. decrypt a password-protected workbook in memory only, and re-encrypt the result;
4. write a 0600 temp file in the same folder, flush and fsync it;
5. verify it: re-read bytes equal what was meant, the zip tests clean, every member the
   transform did not change still has its original raw bytes, plus a caller check;
6. re-hash the file: if someone saved it meanwhile, re-apply (appends) or refuse (results);
7. keep a backup of the previous version, `os.replace` the temp file over the original and
   fsync the folder.

Any failure leaves the original byte-identical, removes the temp file and raises a `WriteError`
with a one-line message that names no cell contents.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
    WriteError,
    WriteFailed,
)
from practicebook.workbook.crypto import decrypt_workbook, encrypt_workbook, is_encrypted

# filelock is imported where it is used: reading a workbook never pays for loading it.

__all__ = [
    "BACKUP_DIR",
    "UpdateResult",
    "editor_lock_files",
    "update_workbook",
]

BACKUP_DIR = ".practicebook-backups"
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


# --------------------------------------------------------------------------- editor locks


def editor_lock_files(path: Path) -> list[Path]:
    """Owner/lock files Excel or LibreOffice keep beside a workbook they have open.

    Office writes `~$NAME`; for long names it drops the first one or two characters of NAME.
    LibreOffice writes `.~lock.NAME#`.
    """
    name = path.name
    candidates = [f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~lock.{name}#"]
    return [path.with_name(c) for c in dict.fromkeys(candidates) if path.with_name(c).exists()]


def _lock_owner(lock: Path) -> str | None:
    """The user name recorded in an owner file, when it can be read."""
    try:
        raw = lock.read_bytes()[:200]
    except OSError:
        return None
    if lock.name.startswith(".~lock."):  # LibreOffice: "U,name,host,time,profile"
        fields = raw.decode("utf-8", "replace").split(",")
        return (fields[1].strip() or None) if len(fields) > 1 else None
    if raw:  # Office: a length byte, then the name padded to 54 bytes
        length = raw[0]
        name = raw[1 : 1 + length].decode("latin-1", "replace").strip()
        return name or None
    return None


def _refuse_if_open(path: Path) -> None:
    locks = editor_lock_files(path)
    if locks:
        by = "LibreOffice" if locks[0].name.startswith(".~lock.") else "Excel"
        raise WorkbookBusy(path, _lock_owner(locks[0]), by=by)


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
        WorkbookBusy, WorkbookChanged, WriteFailed (DiskFull, VerifyFailed), PasswordRequired,
        WrongPassword.
    """
    import filelock

    path = Path(path).absolute()
    lock = filelock.FileLock(str(path.with_name(f".{path.name}.practicebook.lock")))
    try:
        lock.acquire(timeout=lock_timeout)
    except filelock.Timeout as exc:
        raise WorkbookBusy(path, by="another practicebook run") from exc
    except OSError as exc:
        raise _os_failure(path, exc, "cannot create the lock file") from exc
    try:
        _remove_stale_temps(path)
        return _update_locked(
            path,
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


def _update_locked(
    path: Path,
    transform: Transform,
    retry_on_change: bool,
    password: str | None,
    expected_sha256: str | None,
    verify: Verify | None,
    keep_backups: int,
    max_attempts: int,
) -> UpdateResult:
    for attempt in range(1, max_attempts + 1):
        _refuse_if_open(path)
        original = _read(path)
        digest = hashlib.sha256(original).hexdigest()
        if expected_sha256 is not None and digest != expected_sha256 and not retry_on_change:
            raise WorkbookChanged(path)
        key = _password_for(original, password)
        plain = decrypt_workbook(original, key) if key is not None else original
        new_plain = transform(plain)
        on_disk = encrypt_workbook(new_plain, key) if key is not None else new_plain
        temp = _write_temp(path, on_disk)
        try:
            _verify(path, temp, on_disk, plain, new_plain, key, verify)
            _refuse_if_open(path)
            if hashlib.sha256(_read(path)).hexdigest() != digest:
                if retry_on_change and attempt < max_attempts:
                    continue
                raise WorkbookChanged(path)
            backup = _backup(path, original, keep_backups)
            _install(path, temp)
        except OSError as exc:  # anything not mapped closer to its cause
            raise _os_failure(path, exc, "the write failed") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return UpdateResult(hashlib.sha256(on_disk).hexdigest(), backup, attempt)
    raise WorkbookChanged(path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise WriteFailed(path, "the file does not exist") from exc
    except OSError as exc:
        raise _os_failure(path, exc, "cannot read the file") from exc


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


def _write_temp(path: Path, data: bytes) -> Path:
    """Write `data` to a temp file beside `path`, flushed and fsynced.

    `mkstemp` creates it 0600, as the workbook's data is confidential; the name ends in the
    workbook's own suffix because spreadsheet readers choose their parser by extension.
    """
    try:
        fd, name = tempfile.mkstemp(
            prefix=_temp_prefix(path), suffix=".tmp" + path.suffix, dir=path.parent
        )
    except OSError as exc:
        raise _os_failure(path, exc, "cannot create a temporary file") from exc
    temp = Path(name)
    try:
        _write_durably(fd, data)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _os_failure(path, exc, "cannot write the temporary file") from exc
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


def _backup(path: Path, original: bytes, keep: int) -> Path | None:
    """Keep the previous version (0600, in a 0700 folder), pruning all but the newest `keep`.

    Backups hold the same confidential data as the workbook itself.
    """
    if keep <= 0:
        return None
    folder = path.parent / BACKUP_DIR
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{path.name}.{stamp}.bak"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        _write_durably(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), original)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise _os_failure(path, exc, "cannot keep a backup") from exc
    for old in sorted(folder.glob(glob.escape(path.name) + ".*.bak"))[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def _install(path: Path, temp: Path) -> None:
    """Atomically put `temp` in place of `path`, then make the rename durable.

    The temp file was private while being written; the installed file gets the original's
    permissions back, so a practice sharing the folder with a group keeps its access.
    """
    try:
        os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except OSError as exc:
        if os.name == "nt" and exc.errno in (errno.EACCES, errno.EPERM):
            raise WorkbookBusy(path, by="another program") from exc  # Excel holds the file
        raise _os_failure(path, exc, "cannot replace the file") from exc
    # The new version is in place now; a folder that cannot be fsynced (some network file
    # systems) must not turn that success into an error claiming the file is unchanged.
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
