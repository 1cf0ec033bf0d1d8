"""The façade every front door calls: load a workbook, check it, create a new one.

Only ``load`` and ``new_workbook`` touch the disk (through ``reader`` and ``template``);
everything else is the pure core.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO

from practicebook import checks
from practicebook.audit import AUDIT_SHEET, chain_issues
from practicebook.issues import Issue, sort_issues
from practicebook.model import Book, RawTable
from practicebook.parse import parse
from practicebook.schema import normalize_header

__all__ = ["check", "load", "load_tables", "new_workbook"]


def load_tables(tables: Iterable[RawTable], *, schema_version: int | None = None
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


def load(path: str | Path, *, password: str | None = None) -> tuple[Book, list[Issue]]:
    """Read and check a workbook file.

    Raises:
        UnreadableWorkbook: the file cannot be read as a workbook (one-line reason).
    """
    from practicebook.reader import read_workbook  # live-workbook callers never need it

    workbook, tables = read_workbook(path, password=password)
    return load_tables(tables, schema_version=workbook.schema_version)


def check(path: str | Path, *, password: str | None = None) -> list[Issue]:
    """Every issue in a workbook file, in sheet and row order."""
    return load(path, password=password)[1]


def new_workbook(target: str | Path | IO[bytes], *, currency: str = "USD",
                 locale: str = "en_US", timezone: str = "America/New_York",
                 practice_name: str = "", macros: bool | None = None) -> None:
    """Write an empty standard workbook with the given practice settings.

    Args:
        macros: write the macro-enabled workbook (Home sheet with buttons, entry forms
            and formula balances; see ``practicebook.excel``). Default: when ``target``
            is a path ending in ``.xlsm``.
    """
    from practicebook.template import write_workbook

    if macros is None:
        macros = isinstance(target, (str, Path)) and str(target).lower().endswith(".xlsm")
    vba_project = None
    if macros:
        from practicebook.excel_template import vba_project as shipped

        vba_project = shipped()
    write_workbook(target, settings={"currency": currency, "locale": locale,
                                     "timezone": timezone, "practice_name": practice_name},
                   vba_project=vba_project)
