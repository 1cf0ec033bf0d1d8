"""Books for tests: workbook tables written as text, and where the repository is."""

from __future__ import annotations

from pathlib import Path

from practicebook import api
from practicebook.schema import WORKBOOK
from tests.support.textables import read_tables

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[2]


def book_from(text: str, *, fill_required: bool = True):
    """Parse workbook tables written as text; returns (book, issues).

    Required sheets the text leaves out are added empty (header only), so a test shows
    just the sheets it is about.
    """
    tables = read_tables(text)
    if fill_required:
        present = {t.name for t in tables}
        for sheet in WORKBOOK.sheets:
            if sheet.required and sheet.name not in present:
                tables += read_tables(f"## {sheet.name}\n| {' | '.join(sheet.keys)} |\n")
    return api.load_tables(tables)
