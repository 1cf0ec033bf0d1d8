"""From raw tables to a checked ``Book``: parse, the named checks, the audit chain.

Every medium (a file, a live Excel workbook, test tables) ends here, so a workbook is
judged by the same rules whichever door it came through. Pure: no file I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from practicebook.core.audit import AUDIT_SHEET, chain_issues
from practicebook.issues import Issue, sort_issues
from practicebook.model import Book, RawTable
from practicebook.parse import checks
from practicebook.parse.book import parse
from practicebook.schema import normalize_header

__all__ = ["load_tables"]


def load_tables(
    tables: Iterable[RawTable], *, schema_version: int | None = None
) -> tuple[Book, list[Issue]]:
    """Parse raw tables from any medium and run the named checks.

    A table named ``AuditLog`` is not an input sheet: its hash chain is verified and any
    break is reported (``audit-chain-broken``).

    Returns:
        The ``Book`` and every issue found, in sheet and row order.
    """
    tables = list(tables)
    book, issues = parse(tables, schema_version=schema_version)
    for table in tables:
        if normalize_header(table.name) == normalize_header(AUDIT_SHEET):
            rows = table.data.astype(object).where(table.data.notna(), None).to_numpy().tolist()
            issues += chain_issues(rows, sheet=table.name, header_row=table.header_row)
    return book, sort_issues(issues + checks.run(book))
