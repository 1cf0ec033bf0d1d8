"""What ``check`` reports about a workbook's audit log: its chain, its head, its findings.

The rules of the log are in ``core.audit``; here they become located ``Issue``s:
``audit-chain-broken`` for an edited, moved, forged or re-hashed row (and a head that does
not match or is not signed with the audit key), ``audit-chain-truncated`` for rows cut off
the end, ``audit-log-missing`` for a log the workbook records but no longer has. Rows a
writer logged on finding such damage are reported as warnings where they stand.
"""

from __future__ import annotations

from collections.abc import Sequence

from practicebook.core.audit import (
    AUDIT_SHEET,
    FOUND,
    KEYED_PREFIX,
    AuditHead,
    texts,
    verify_chain,
)
from practicebook.issues import CellRef, Code, Issue, Severity

__all__ = ["audit_issues", "chain_issues"]


def _shown(text: str, limit: int = 120) -> str:
    """Text from the log, safe in a message: no control, format or unassigned characters
    (they become U+FFFD, white space a space), at most ``limit`` characters."""
    out = "".join(
        c if c.isprintable() else (" " if c.isspace() else "\ufffd") for c in text[: limit + 1]
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


_RESTORE = "restore the workbook from a backup in .practicebook-backups/ or find out who changed it"


def chain_issues(
    rows: Sequence[Sequence[object]],
    *,
    sheet: str = AUDIT_SHEET,
    header_row: int = 1,
    key: bytes | None = None,
) -> list[Issue]:
    """`verify_chain` over a stored AuditLog sheet, as located findings.

    Args:
        rows: The sheet's data rows below its header, cells as read (blank cells None).
        sheet: The sheet's name, for the cell references.
        header_row: Excel row number of the header.
        key: The audit key, when given (see `verify_chain`).
    """
    values = texts(rows)
    issues = []
    for problem in verify_chain(values, key=key):
        row = values[problem.row - 1]
        issues.append(
            Issue(
                Code.AUDIT_CHAIN_BROKEN,
                Severity.ERROR,
                f"audit log row {problem.row} {problem.problem}",
                CellRef(sheet, header_row + problem.row, 1),
                f"The audit log must only grow by practicebook's writes; {_RESTORE}.",
                row_id=_shown(row[4], 40) if len(row) > 4 and row[4] else None,
            )
        )
    return issues


def audit_issues(
    rows: Sequence[Sequence[object]] | None,
    *,
    sheet: str = AUDIT_SHEET,
    header_row: int = 1,
    head: str | None = None,
    key: bytes | None = None,
) -> list[Issue]:
    """Everything wrong with a workbook's audit log: its chain, its head, its findings.

    Args:
        rows: The AuditLog's data rows below its header; None when the workbook has none.
        sheet, header_row: Where the log is, for the cell references.
        head: The head the workbook records (``AUDIT_HEAD_PROPERTY``), if any.
        key: The audit key, when given: keyed rows and the head's signature are checked.
    """
    values = None if rows is None else texts(rows)
    issues = (
        [] if values is None else chain_issues(values, sheet=sheet, header_row=header_row, key=key)
    )
    issues += _head_issues(values, head, sheet, header_row, key)
    for number, row in enumerate(values or (), start=1):
        if len(row) > 5 and row[5] in FOUND:
            issues.append(_found_issue(row, CellRef(sheet, header_row + number, 1)))
    return issues


def _issue(code: Code, message: str, where: CellRef, severity: Severity = Severity.ERROR) -> Issue:
    return Issue(
        code, severity, message, where, f"Only practicebook should change the log; {_RESTORE}."
    )


def _head_issues(
    values: list[list[str]] | None,
    head_text: str | None,
    sheet: str,
    header_row: int,
    key: bytes | None,
) -> list[Issue]:
    if head_text is None:
        return []
    head = AuditHead.parse(head_text)
    whole = CellRef(sheet)
    if head is None:
        return [
            _issue(Code.AUDIT_CHAIN_BROKEN, "the audit log's recorded head is unreadable", whole)
        ]
    count = len(values or ())
    if values is None and head.rows:
        message = (
            f"the AuditLog sheet is missing or empty, but the workbook records a log of "
            f"{head.rows} rows"
        )
        return [_issue(Code.AUDIT_LOG_MISSING, message, CellRef(AUDIT_SHEET))]
    found: list[Issue] = []
    if count < head.rows:
        message = (
            f"the audit log has {count} rows, but the workbook records {head.rows}: "
            f"{head.rows - count} rows were removed from its end"
        )
        found.append(
            _issue(Code.AUDIT_CHAIN_TRUNCATED, message, CellRef(sheet, header_row + count + 1, 1))
        )
    elif head.rows and values and values[head.rows - 1][-1:] != [head.last_hash]:
        message = (
            f"audit log row {head.rows} is not the row the workbook records as its last (rewritten)"
        )
        found.append(
            _issue(Code.AUDIT_CHAIN_BROKEN, message, CellRef(sheet, header_row + head.rows, 1))
        )
    if key is not None:
        found += _signature_issues(values or [], head, key, whole)
    return found


def _signature_issues(
    values: list[list[str]], head: AuditHead, key: bytes, where: CellRef
) -> list[Issue]:
    if head.signature is not None:
        if head.signed_by(key):
            return []
        return [
            _issue(
                Code.AUDIT_CHAIN_BROKEN,
                "the audit log's head is not signed with this audit key",
                where,
            )
        ]
    if any(row[-1:] and row[-1].startswith(KEYED_PREFIX) for row in values):
        return [
            _issue(
                Code.AUDIT_CHAIN_BROKEN, "the audit log is keyed but its head is not signed", where
            )
        ]
    message = (
        "no row of the audit log is signed with the audit key: it shows the order of events, "
        "not that holders of the key logged them"
    )
    return [_issue(Code.AUDIT_CHAIN_BROKEN, message, where, Severity.WARNING)] if values else []


def _found_issue(row: list[str], where: CellRef) -> Issue:
    what = {
        "found-log-missing": "missing",
        "found-log-truncated": "cut short",
        "found-log-rewritten": "rewritten",
    }[row[5]]
    return Issue(
        FOUND[row[5]],
        Severity.WARNING,
        f"practicebook found the audit log {what} when it wrote at {_shown(row[0], 40)} "
        f"({_shown(row[6])})",
        where,
        "The rows logged before then are lost or were replaced; a backup in "
        ".practicebook-backups/ from before that time still has them.",
    )
