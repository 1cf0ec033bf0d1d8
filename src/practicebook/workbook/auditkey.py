"""The audit key: a secret kept outside the workbook that makes its AuditLog keyed.

With a key, every row practicebook logs carries an HMAC-SHA-256 instead of a plain hash
and the log's head is signed (``practicebook.core.audit``), so only someone holding the
key can write rows, or rewrite the log, in a way that verifies. The key is taken from,
in order: the ``audit_key=`` argument; the ``PRACTICEBOOK_AUDIT_KEY`` environment
variable (the key itself); the file named by ``PRACTICEBOOK_AUDIT_KEY_FILE`` (its content,
surrounding whitespace ignored). Keep it where the workbook and its backups are not: a
password manager, or a file only the practice's accounts can read.
"""

from __future__ import annotations

import os
from pathlib import Path

from practicebook.errors import BadAuditKey

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "MIN_LENGTH", "audit_key"]

ENV_KEY = "PRACTICEBOOK_AUDIT_KEY"
ENV_KEY_FILE = "PRACTICEBOOK_AUDIT_KEY_FILE"
#: Shortest key accepted, in bytes: a shorter one could be guessed.
MIN_LENGTH = 16


def audit_key(given: str | bytes | None = None) -> bytes | None:
    """The audit key to use, or None when none is given or configured.

    Raises:
        BadAuditKey: the key is shorter than ``MIN_LENGTH`` bytes, or its file cannot be read.
    """
    if given is None:
        given = os.environ.get(ENV_KEY) or None
    if given is None and os.environ.get(ENV_KEY_FILE):
        given = _from_file(Path(os.environ[ENV_KEY_FILE]))
    if given is None:
        return None
    key = given.encode("utf-8") if isinstance(given, str) else bytes(given)
    if len(key) < MIN_LENGTH:
        raise BadAuditKey(f"it is {len(key)} bytes long; use at least {MIN_LENGTH}")
    return key


def _from_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadAuditKey(f"its file {path.name} cannot be read ({reason})") from None
