"""Books with bank statements for the bank's tests, built in memory.

``generated`` writes a generated practice to bytes and parses it, as a file would be;
``with_statements`` imports statement files into a ``Book`` the way the writer does
(the same ``prepare_import`` plans), appending the planned rows to the frames instead of
to a file, so a year of statements costs milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from practicebook.core.bank import prepare_import
from practicebook.core.bank.imports import with_import, with_rows
from practicebook.core.load import load_tables
from practicebook.generate import GeneratedPractice, generate
from practicebook.generate.bank import BankStatements, statements
from practicebook.model import Book
from practicebook.workbook.reader import read_workbook


def parsed(practice: GeneratedPractice) -> Book:
    """The practice as a workbook file would be read."""
    buffer = io.BytesIO()
    practice.write(buffer)
    workbook, tables = read_workbook("practice.xlsx", buffer.getvalue())
    book, issues = load_tables(tables, schema_version=workbook.schema_version)
    assert not [i for i in issues if i.is_error], issues[:3]
    return book


def generated(
    sessions: int = 600, seed: int = 20260101
) -> tuple[GeneratedPractice, Book, BankStatements]:
    practice = generate(sessions, seed=seed)
    return practice, parsed(practice), statements(practice, seed=seed)


def appended(book: Book, sheet: str, rows: Iterable[Mapping[str, object]]) -> Book:
    """``book`` with ``rows`` added to ``sheet`` (as the writer would add them)."""
    return with_rows(book, sheet, [dict(r) for r in rows])


def with_statements(book: Book, files: Mapping[str, bytes], **kwargs: object) -> Book:
    """``book`` with each file imported in order (as ``practicebook bank import`` does)."""
    for name, data in files.items():
        plan = prepare_import(book, data, name, **kwargs)  # type: ignore[arg-type]
        assert plan.ok, [i.message for i in plan.issues]
        book = with_import(book, plan)
    return book
