"""What a write finds and leaves beside a workbook, in a folder people may share.

* Editor owner files: Excel's ``~$NAME`` and LibreOffice's ``.~lock.NAME#``, and the
  owner name they record, made printable (it is text from a file, shown in messages).
* ``WorkbookLock``: practicebook's own lock file, ``.NAME.practicebook.lock``, held for a
  whole read-modify-write. On POSIX it is an ``flock`` on a file opened read-only (so a
  lock file another user created never blocks), created with the workbook's group
  access and removed while still held, so no lock file outlives a write; a waiter that
  wakes on a removed file retries on the new one. Elsewhere, ``filelock``.
* Backups: ``.practicebook-backups/`` beside the workbook. Private (0700, files 0600)
  unless the workbook is group-writable; then the folder takes the containing folder's
  group, is group-writable and setgid, and its files are 0660 in the workbook's group,
  so every colleague who may write the workbook can keep and prune backups.
* ``inherit``: the new version gets the original's owner and group where the user may
  set them (root; or the group, for a member of it), its mode (without group access
  when its group could not be kept) and its extended attributes (POSIX ACLs included).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import glob
import os
import stat
import time
from pathlib import Path

from practicebook.errors import WorkbookBusy

__all__ = [
    "BACKUP_DIR",
    "WorkbookLock",
    "editor_lock_files",
    "inherit",
    "keep_backup",
    "lock_owner",
    "printable",
    "refuse_if_open",
]

BACKUP_DIR = ".practicebook-backups"
_OWNER_LIMIT = 64


# --------------------------------------------------------------------------- editor locks


def editor_lock_files(path: Path) -> list[Path]:
    """Owner/lock files Excel or LibreOffice keep beside a workbook they have open.

    Office writes `~$NAME`; for long names it drops the first one or two characters of NAME.
    LibreOffice writes `.~lock.NAME#`.
    """
    name = path.name
    candidates = [f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~lock.{name}#"]
    return [path.with_name(c) for c in dict.fromkeys(candidates) if path.with_name(c).exists()]


def printable(text: str, limit: int = _OWNER_LIMIT) -> str | None:
    """``text`` safe to print: control, format (bidi) and separator characters become
    spaces, runs of spaces one, at most ``limit`` characters; None when nothing is left."""
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned or None


def lock_owner(lock: Path) -> str | None:
    """The user name recorded in an owner file, printable, when it can be read."""
    try:
        raw = lock.read_bytes()[:512]
    except OSError:
        return None
    if lock.name.startswith(".~lock."):  # LibreOffice: "U,name,host,time,profile"
        fields = raw.decode("utf-8", "replace").split(",")
        return printable(fields[1]) if len(fields) > 1 else None
    if raw:  # Office: a length byte, then the name padded to 54 bytes
        return printable(raw[1 : 1 + raw[0]].decode("latin-1", "replace"))
    return None


def refuse_if_open(shown: Path, *places: Path) -> None:
    """Raise ``WorkbookBusy`` when an editor has the workbook open under any of ``places``
    (the path given and, for a symbolic link, its target)."""
    for place in dict.fromkeys(places):
        locks = editor_lock_files(place)
        if locks:
            by = "LibreOffice" if locks[0].name.startswith(".~lock.") else "Excel"
            raise WorkbookBusy(shown, lock_owner(locks[0]), by=by)


# --------------------------------------------------------------------------- shared access


def _group_shared(like: os.stat_result) -> bool:
    return bool(like.st_mode & stat.S_IWGRP)


def _write_bits(like: os.stat_result) -> int:
    """Owner read/write, plus group and others where they may write the workbook."""
    bits = 0o600
    if like.st_mode & stat.S_IWGRP:
        bits |= 0o060
    if like.st_mode & stat.S_IWOTH:
        bits |= 0o006
    return bits


def _set_group(fd_or_path: int | Path, gid: int) -> None:
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(fd_or_path, -1, gid)


def inherit(temp: Path, like: os.stat_result, source: Path) -> None:
    """Give ``temp`` the owner, group, mode and extended attributes of ``source`` (whose
    status is ``like``) as far as this user may."""
    mode = stat.S_IMODE(like.st_mode)
    if not _take_ownership(temp, like):
        mode &= ~0o070  # a group we could not keep must not get the original's group access
    os.chmod(temp, mode)
    _copy_xattrs(source, temp)


def _take_ownership(temp: Path, like: os.stat_result) -> bool:
    """Owner and group of ``like`` onto ``temp`` where permitted; True when the group is kept."""
    if not hasattr(os, "chown"):
        return True
    with contextlib.suppress(PermissionError):
        os.chown(temp, like.st_uid, like.st_gid)
        return True
    with contextlib.suppress(PermissionError):
        os.chown(temp, -1, like.st_gid)
        return True
    return os.stat(temp).st_gid == like.st_gid


def _copy_xattrs(source: Path, target: Path) -> None:
    if not hasattr(os, "listxattr"):
        return
    with contextlib.suppress(OSError):
        for name in os.listxattr(source):
            with contextlib.suppress(OSError):
                os.setxattr(target, name, os.getxattr(source, name))


# --------------------------------------------------------------------------- the lock


class WorkbookLock:
    """practicebook's lock on one workbook, held across a whole read-modify-write."""

    def __init__(self, target: Path, like: os.stat_result) -> None:
        self.path = target.with_name(f".{target.name}.practicebook.lock")
        self._like = like
        self._fd: int | None = None
        self._fallback: object = None

    def acquire(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds; raise ``TimeoutError`` when still held."""
        try:
            import fcntl
        except ImportError:  # Windows: filelock removes its file on release there
            self._acquire_filelock(timeout)
            return
        deadline = time.monotonic() + timeout
        while True:
            fd = self._open()
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                else:
                    if self._still_linked(fd):
                        self._fd = fd
                        return
                    os.close(fd)  # removed by the run before us: take the new one
                    continue
            if time.monotonic() >= deadline:
                raise TimeoutError(str(self.path))
            time.sleep(0.05)

    def _open(self) -> int | None:
        """The lock file, created with the workbook's write access and the folder's group;
        None when it cannot be opened now (another user's, being removed)."""
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                fd = os.open(self.path, flags)
            except (FileNotFoundError, PermissionError):
                return None
        else:
            _set_group(fd, self.path.parent.stat().st_gid)
            with contextlib.suppress(OSError):
                os.fchmod(fd, _write_bits(self._like))
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, "the lock file is not a regular file")
        return fd

    def _still_linked(self, fd: int) -> bool:
        try:
            return os.path.samestat(os.fstat(fd), os.lstat(self.path))
        except FileNotFoundError:
            return False

    def _acquire_filelock(self, timeout: float) -> None:
        import filelock

        lock = filelock.FileLock(str(self.path))
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout as exc:
            raise TimeoutError(str(self.path)) from exc
        self._fallback = lock

    def release(self) -> None:
        """Remove the lock file while still holding it, then let go."""
        if self._fallback is not None:
            self._fallback.release()  # type: ignore[attr-defined]
            self._fallback = None
            return
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._still_linked(fd):
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- backups


def _backup_folder(target: Path, like: os.stat_result) -> Path:
    folder = target.parent / BACKUP_DIR
    shared = _group_shared(like)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    else:
        _set_group(folder, target.parent.stat().st_gid)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ENOTDIR, f"{BACKUP_DIR} is not a folder")
    if os.name == "posix" and info.st_uid == os.geteuid():
        wanted = 0o700 | (stat.S_IMODE(info.st_mode) & 0o2070)  # never open it to others
        if shared:
            wanted |= 0o2070
        if wanted != stat.S_IMODE(info.st_mode):
            os.chmod(folder, wanted)
    return folder


def keep_backup(target: Path, original: bytes, like: os.stat_result, keep: int) -> Path:
    """Write ``original`` as a new backup of ``target`` and prune all but the newest ``keep``.

    Raises:
        OSError: the backup could not be written (nothing is left half-written).
    """
    folder = _backup_folder(target, like)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = folder / f"{target.name}.{stamp}.bak"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(backup, flags, 0o600)
    try:
        if os.name == "posix" and _group_shared(like):
            _set_group(fd, like.st_gid)
            os.fchmod(fd, 0o660)
        with os.fdopen(fd, "wb") as out:
            out.write(original)
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        backup.unlink(missing_ok=True)
        raise
    for old in sorted(folder.glob(glob.escape(target.name) + ".*.bak"))[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return backup
