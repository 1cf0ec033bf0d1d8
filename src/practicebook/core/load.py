"""From raw tables to a checked ``Book``: parse, the named checks, the audit log.

Every medium (a file, a live Excel workbook, test tables) ends here, so a workbook is
judged by the same rules whichever door it came through. Pure: no file I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from practicebook.core.audit import AUDIT_SHEET
from practicebook.core.auditcheck import audit_issues
from practicebook.core.closing import close_events
from practicebook.issues import Issue, sort_issues
from practicebook.model import Book, RawTable
from practicebook.parse import checks
from practicebook.parse.book import parse
from practicebook.schema import normalize_header

__all__ = ["load_tables"]


def load_tables(
    tables: Iterable[RawTable],
    *,
    schema_version: int | None = None,
    audit_head: str | None = None,
    audit_key: bytes | None = None,
) -> tuple[Book, list[Issue]]:
    """Parse raw tables from any medium and run the named checks.

    A table named ``AuditLog`` is not an input sheet: its hash chain is verified and any
    break is reported (``audit-chain-broken``).

    Args:
        tables: The sheets as read.
        schema_version: The version the workbook declares, if any.
        audit_head: The audit log's head as the workbook records it (the custom document
            property ``practicebook_audit_head``); a log cut short or missing is reported
            against it (``audit-chain-truncated``, ``audit-log-missing``).
        audit_key: The audit key, when keyed rows and the head's signature are to be
            verified (``practicebook.core.audit``).

    Returns:
        The ``Book`` and every issue found, in sheet and row order.
    """
    tables = list(tables)
    book, issues = parse(tables, schema_version=schema_version)
    logs = [t for t in tables if normalize_header(t.name) == normalize_header(AUDIT_SHEET)]
    closes: list[tuple[str, str]] = []
    for table in logs:
        rows = table.data.astype(object).where(table.data.notna(), None).to_numpy().tolist()
        issues += audit_issues(
            rows, sheet=table.name, header_row=table.header_row, head=audit_head, key=audit_key
        )
        closes += close_events(table.headers, rows)
    if closes:
        book = dataclasses.replace(book, closes=tuple(closes))
    if not logs:
        issues += audit_issues(None, head=audit_head, key=audit_key)
    return book, sort_issues(issues + checks.run(book))
