"""An append-only audit log whose rows form a SHA-256 hash chain.

Each row stores the hash of the row before it (`prev_hash`) and its own `hash` over its fields
and `prev_hash`. Editing a row breaks its own hash; deleting, inserting or reordering rows breaks
the link of the row after the change. Removing rows from the *end* leaves a valid shorter chain,
so callers keep the last hash somewhere else too (e.g. in the workbook's settings) and pass it to
`verify_chain` as `expected_last_hash`.

Privacy rule: the log lives in the workbook next to clinical data and is copied into backups,
so `summary` must never contain client names or other free text about a person. Callers pass
IDs and field names only, e.g. ``"fee: changed"`` or ``"status, fee"``, never values like names.

This module is pure: it computes rows and checks them; writing them is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Literal

from practicebook.issues import CellRef, Code, Issue, Severity

__all__ = [
    "AUDIT_SHEET",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditRow",
    "ChainProblem",
    "audit_rows",
    "chain_issues",
    "row_hash",
    "verify_chain",
]

Tool = Literal["excel", "jupyter", "cli", "api"]
TOOLS: tuple[str, ...] = ("excel", "jupyter", "cli", "api")
GENESIS_HASH = "0" * 64
#: The sheet practicebook keeps the log in.
AUDIT_SHEET = "AuditLog"


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


def row_hash(content: Sequence[str], prev_hash: str) -> str:
    """SHA-256 over a canonical serialisation of a row's fields and the previous hash.

    The serialisation is a compact JSON array of strings, so no field boundary is ambiguous
    ("a|b" + "c" never collides with "a" + "b|c").
    """
    payload = json.dumps([*content, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _utc_iso(moment: dt.datetime | None) -> str:
    moment = dt.datetime.now(dt.UTC) if moment is None else moment
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def audit_rows(previous_last_hash: str | None, entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """Chain new entries onto a log whose last row has hash `previous_last_hash`.

    Args:
        previous_last_hash: `hash` of the log's current last row; None for an empty log.
        entries: The events to append, oldest first.

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
        digest = row_hash(content, prev)
        time, actor, tool, sheet, row_id, action, summary = content
        rows.append(AuditRow(time, actor, tool, sheet, row_id, action, summary, prev, digest))
        prev = digest
    return rows


def verify_chain(
    rows: Sequence[AuditRow | Sequence[str]], *, expected_last_hash: str | None = None
) -> list[ChainProblem]:
    """Check a whole log and return every problem found, located by row (empty: intact).

    Args:
        rows: The log as stored, first row first (`AuditRow`s or 9-value sequences).
        expected_last_hash: The last hash recorded elsewhere; detects rows cut off the end.
    """
    problems = []
    prev = GENESIS_HASH
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
        if row_hash(content, stored_prev) != stored_hash:
            problems.append(ChainProblem(number, "content does not match its hash (edited)"))
        prev = stored_hash
    if expected_last_hash is not None and prev != expected_last_hash:
        problems.append(
            ChainProblem(
                len(rows),
                "the log does not end at the recorded last row (rows were removed from the end)",
            )
        )
    return problems


def chain_issues(
    rows: Sequence[Sequence[object]], *, sheet: str = "AuditLog", header_row: int = 1
) -> list[Issue]:
    """`verify_chain` over a stored AuditLog sheet, as located findings.

    Args:
        rows: The sheet's data rows below its header, cells as read (blank cells None).
        sheet: The sheet's name, for the cell references.
        header_row: Excel row number of the header.
    """
    values = [["" if v is None else str(v) for v in row] for row in rows]
    issues = []
    for problem in verify_chain(values):
        row = values[problem.row - 1]
        issues.append(
            Issue(
                Code.AUDIT_CHAIN_BROKEN,
                Severity.ERROR,
                f"audit log row {problem.row} {problem.problem}",
                CellRef(sheet, header_row + problem.row, 1),
                "The audit log must only grow by practicebook's writes; restore the workbook "
                "from a backup in .practicebook-backups/ or find out who changed the log.",
                row_id=row[4] if len(row) > 4 and row[4] else None,
            )
        )
    return issues
