"""An append-only audit log whose rows form a SHA-256 hash chain, and the log's head.

Each row stores the hash of the row before it (`prev_hash`) and its own `hash` over its fields
and `prev_hash`. Editing a row breaks its own hash; deleting, inserting or reordering rows breaks
the link of the row after the change. Two things a chain alone cannot show:

* rows removed from the *end*, or the whole log removed, leave a valid (shorter or no)
  chain. So every write also records the log's **head** (its row count and last hash,
  `AuditHead`) outside the log, in a document property; `audit_issues` compares the two;
* anyone can recompute an unkeyed chain after editing a row. With an **audit key**
  (`key`), rows carry `hmac:` + HMAC-SHA-256 instead of a plain hash and the head is
  signed, so only a holder of the key can produce rows (and a head) that verify.

A writer that finds the log not as its head records (cut short, missing, rewritten) logs
that finding as the first of its rows (`log_rows`), so a later write cannot hide it.

Privacy rule: the log lives in the workbook next to clinical data and is copied into backups,
so `summary` must never contain client names or other free text about a person. Callers pass
IDs and field names only, e.g. ``"fee: changed"`` or ``"status, fee"``, never values like names.

This module is pure: it computes rows and checks them; writing them is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Literal

from practicebook.issues import Code

__all__ = [
    "AUDIT_HEAD_PROPERTY",
    "AUDIT_SHEET",
    "GENESIS_HASH",
    "KEYED_PREFIX",
    "AuditEntry",
    "AuditHead",
    "AuditRow",
    "ChainProblem",
    "audit_rows",
    "log_rows",
    "row_hash",
    "texts",
    "verify_chain",
]

Tool = Literal["excel", "jupyter", "cli", "api"]
TOOLS: tuple[str, ...] = ("excel", "jupyter", "cli", "api")
GENESIS_HASH = "0" * 64
#: The sheet practicebook keeps the log in.
AUDIT_SHEET = "AuditLog"
#: The custom document property that holds the log's head (``AuditHead.text``).
AUDIT_HEAD_PROPERTY = "practicebook_audit_head"
#: How a keyed row's hash (and a signed head's signature) begins.
KEYED_PREFIX = "hmac:"
#: What a writer logs when it finds the log not as its head records, and the code each is
#: reported under.
FOUND: dict[str, Code] = {
    "found-log-missing": Code.AUDIT_LOG_MISSING,
    "found-log-truncated": Code.AUDIT_CHAIN_TRUNCATED,
    "found-log-rewritten": Code.AUDIT_CHAIN_BROKEN,
}


@dataclass(frozen=True)
class AuditEntry:
    """One event to log.

    Attributes:
        actor: Who acted (a login or practitioner ID).
        tool: Where the action came from: excel, jupyter, cli or api.
        sheet: The sheet the action concerns.
        row_id: The record's ID (e.g. a session ID), not its row number.
        action: What happened, e.g. ``"append"``, ``"update"``, ``"write_results"``.
        summary: Field names or counts only, never client names (see the module docstring).
        time: When it happened (timezone-aware); default: now.
    """

    actor: str
    tool: Tool
    sheet: str
    row_id: str
    action: str
    summary: str
    time: dt.datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One stored row of the log, in column order."""

    time: str
    actor: str
    tool: str
    sheet: str
    row_id: str
    action: str
    summary: str
    prev_hash: str
    hash: str

    @classmethod
    def columns(cls) -> list[str]:
        """Column titles, in the order the values are stored."""
        return [f.name for f in fields(cls)]

    def values(self) -> list[str]:
        """The row's values in column order."""
        return list(astuple(self))


@dataclass(frozen=True)
class ChainProblem:
    """A located defect: `row` is the 1-based position in the rows given to `verify_chain`."""

    row: int
    problem: str


def _mac(key: bytes, payload: str) -> str:
    return KEYED_PREFIX + hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def row_hash(content: Sequence[str], prev_hash: str, key: bytes | None = None) -> str:
    """SHA-256 (with ``key``: ``hmac:`` + HMAC-SHA-256) over a canonical serialisation of
    a row's fields and the previous hash.

    The serialisation is a compact JSON array of strings, so no field boundary is ambiguous
    ("a|b" + "c" never collides with "a" + "b|c").
    """
    payload = json.dumps([*content, prev_hash], ensure_ascii=False, separators=(",", ":"))
    if key is not None:
        return _mac(key, payload)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _utc_iso(moment: dt.datetime | None) -> str:
    moment = dt.datetime.now(dt.UTC) if moment is None else moment
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def audit_rows(
    previous_last_hash: str | None, entries: Iterable[AuditEntry], *, key: bytes | None = None
) -> list[AuditRow]:
    """Chain new entries onto a log whose last row has hash `previous_last_hash`.

    Args:
        previous_last_hash: `hash` of the log's current last row; None for an empty log.
        entries: The events to append, oldest first.
        key: The audit key; the rows are then keyed (``hmac:…``).

    Returns:
        The rows to append, each linked to the one before.
    """
    prev = previous_last_hash or GENESIS_HASH
    rows = []
    for entry in entries:
        if entry.tool not in TOOLS:
            raise ValueError(f"unknown tool {entry.tool!r}; expected one of {', '.join(TOOLS)}")
        content = [
            _utc_iso(entry.time),
            entry.actor,
            entry.tool,
            entry.sheet,
            entry.row_id,
            entry.action,
            entry.summary,
        ]
        digest = row_hash(content, prev, key)
        time, actor, tool, sheet, row_id, action, summary = content
        rows.append(AuditRow(time, actor, tool, sheet, row_id, action, summary, prev, digest))
        prev = digest
    return rows


# --------------------------------------------------------------------------- the head


_HEAD = re.compile(r"(\d+) ([0-9a-f]{64}|hmac:[0-9a-f]{64})(?: (hmac:[0-9a-f]{64}))?")


@dataclass(frozen=True)
class AuditHead:
    """The log as its last writer left it: row count and last hash, signed when keyed."""

    rows: int
    last_hash: str
    signature: str | None = None

    def text(self) -> str:
        """The property text: ``"<rows> <last hash>[ <signature>]"``."""
        return " ".join(filter(None, [str(self.rows), self.last_hash, self.signature]))

    @classmethod
    def parse(cls, text: str) -> AuditHead | None:
        """The head a property holds; None when the text is not one."""
        match = _HEAD.fullmatch(text.strip())
        if match is None:
            return None
        return cls(int(match.group(1)), match.group(2), match.group(3))

    @classmethod
    def of(cls, rows: int, last_hash: str, key: bytes | None = None) -> AuditHead:
        """The head of a log of ``rows`` rows ending at ``last_hash``; signed with ``key``."""
        bare = cls(rows, last_hash)
        return cls(rows, last_hash, _mac(key, bare.text()) if key is not None else None)

    def signed_by(self, key: bytes) -> bool:
        """True when the head carries a valid signature made with ``key``."""
        expected = AuditHead.of(self.rows, self.last_hash, key).signature
        return self.signature is not None and hmac.compare_digest(self.signature, str(expected))


def texts(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Stored rows as text, trailing blank rows dropped (pre-formatted rows below the log)."""
    values = [["" if v is None else str(v) for v in row] for row in rows]
    while values and not any(v.strip() for v in values[-1]):
        values.pop()
    return values


def _discrepancy(values: list[list[str]] | None, head_text: str | None) -> tuple[str, str] | None:
    """The finding (action, summary) when the stored log is not what its head records."""
    if head_text is None:
        return None
    head = AuditHead.parse(head_text)
    if head is None:
        return "found-log-rewritten", "its head (document property) was unreadable"
    recorded = f"the head recorded {head.rows} rows ending {head.last_hash[-12:]}"
    if values is None:
        return ("found-log-missing", recorded) if head.rows else None
    if len(values) < head.rows:
        return "found-log-truncated", f"{recorded}; {len(values)} were left"
    at = AuditRow.columns().index("hash")
    row = values[head.rows - 1] if head.rows else None
    if row is not None and (len(row) <= at or row[at] != head.last_hash):
        return "found-log-rewritten", f"{recorded}; row {head.rows} is another"
    return None


def log_rows(
    stored: Sequence[Sequence[object]] | None,
    head_text: str | None,
    entries: Sequence[AuditEntry],
    *,
    key: bytes | None = None,
) -> tuple[list[AuditRow], AuditHead]:
    """The rows to append to a log as stored, and the log's head after them.

    Args:
        stored: The log's data rows below its header, as read; None when there is no log.
        head_text: The head the workbook records (``AUDIT_HEAD_PROPERTY``), if any.
        entries: The events to log (at least one).
        key: The audit key, for keyed rows and a signed head.

    When the stored log is not what its head records, a row recording that (actor and
    tool of the first entry) comes first, so the next head cannot hide it.
    """
    values = None if stored is None else texts(stored)
    found = _discrepancy(values, head_text)
    if found is not None:
        first = entries[0]
        entries = [AuditEntry(first.actor, first.tool, AUDIT_SHEET, "", *found), *entries]
    at = AuditRow.columns().index("hash")
    last = values[-1][at] if values and len(values[-1]) > at and values[-1][at] else None
    rows = audit_rows(last, entries, key=key)
    return rows, AuditHead.of(len(values or ()) + len(rows), rows[-1].hash, key)


# --------------------------------------------------------------------------- checking


def verify_chain(
    rows: Sequence[AuditRow | Sequence[str]],
    *,
    expected_last_hash: str | None = None,
    key: bytes | None = None,
) -> list[ChainProblem]:
    """Check a whole log and return every problem found, located by row (empty: intact).

    Args:
        rows: The log as stored, first row first (`AuditRow`s or 9-value sequences).
        expected_last_hash: The last hash recorded elsewhere; detects rows cut off the end.
        key: The audit key. Keyed rows are checked against it, and an unkeyed row after a
            keyed one is a problem; without it, keyed rows are checked for their order only.
    """
    problems = []
    prev = GENESIS_HASH
    keyed_before = False
    for number, row in enumerate(rows, start=1):
        values = [str(v) for v in (row.values() if isinstance(row, AuditRow) else row)]
        if len(values) != len(AuditRow.columns()):
            problems.append(ChainProblem(number, "wrong number of columns"))
            continue
        *content, stored_prev, stored_hash = values
        if stored_prev != prev:
            problems.append(
                ChainProblem(
                    number,
                    "does not follow the row before it (a row was deleted, inserted or moved)",
                )
            )
        problem = _row_problem(content, stored_prev, stored_hash, key, keyed_before)
        if problem:
            problems.append(ChainProblem(number, problem))
        keyed_before |= stored_hash.startswith(KEYED_PREFIX)
        prev = stored_hash
    if expected_last_hash is not None and prev != expected_last_hash:
        problems.append(
            ChainProblem(
                len(rows),
                "the log does not end at the recorded last row (rows were removed from the end)",
            )
        )
    return problems


def _row_problem(
    content: list[str], prev: str, stored: str, key: bytes | None, keyed_before: bool
) -> str | None:
    if stored.startswith(KEYED_PREFIX):
        if key is not None and not hmac.compare_digest(row_hash(content, prev, key), stored):
            return "does not match its keyed hash (edited, or written with another audit key)"
        return None
    if row_hash(content, prev) != stored:
        return "content does not match its hash (edited)"
    if key is not None and keyed_before:
        return "is not signed with the audit key although rows before it are (forged?)"
    return None
