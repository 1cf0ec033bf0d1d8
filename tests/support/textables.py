"""Workbook sheets written as text tables, for tests, examples and documentation.

A sheet is a ``## Name`` heading followed by a Markdown-style table; each cell is read
the way Excel reads what a person types: numbers become numbers, ``TRUE``/``FALSE``
booleans, blank cells empty, and everything else text (dates stay text, so they go
through the same strict date reading as typed dates). Prefix a cell with ``'`` to keep
it text (``'00123``), as in Excel. A cell starting with ``=`` is a formula saved without
its result (as files written by scripts are). A first row that is not a header by the
reader's rule (``parse.headers``) gives the sheet the reader would: no header, no cells.

>>> [t.name for t in read_tables('''
... ## Clients
... | client_id | first_name | last_name |
... | C1        | Ada        | Example   |
... ''')]
['Clients']
"""

from __future__ import annotations

import re

import pandas as pd

from practicebook.model import CellErrorValue, FormulaWithoutValue, RawTable
from practicebook.parse.headers import is_header
from practicebook.schema import WORKBOOK

__all__ = ["read_tables", "typed_cell"]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def typed_cell(text: str) -> object:
    """One typed cell as Excel would store it."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("'"):
        return text[1:]
    if text in _EXCEL_ERRORS:
        return CellErrorValue(text)
    if text.startswith("="):
        return FormulaWithoutValue()
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    if _NUMBER.match(text) and not (len(text) > 1 and text.startswith("0") and "." not in text):
        return float(text)
    return text


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_tables(text: str) -> list[RawTable]:
    """Parse ``## Sheet`` headings and their tables into raw tables (header in row 1)."""
    tables: list[RawTable] = []
    name: str | None = None
    rows: list[list[str]] = []

    def flush() -> None:
        if name is None or not rows:
            return
        headers = tuple(rows[0])
        sheet = next((s for s in WORKBOOK.sheets if s.name == name), None)
        if sheet is not None and not is_header(headers, sheet):
            tables.append(RawTable(name, (), pd.DataFrame(), 1, header_found=False))
            return
        body = [r for r in rows[1:] if not all(c and set(c) <= set("-: ") for c in r)]
        data = pd.DataFrame(
            {
                i: pd.Series([typed_cell(r[i]) if i < len(r) else None for r in body], dtype=object)
                for i in range(len(headers))
            }
        )
        tables.append(RawTable(name, headers, data))

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("## "):
            flush()
            name, rows = stripped[3:].strip(), []
        elif stripped.startswith("|"):
            rows.append(_cells(stripped))
        elif not stripped and rows:
            flush()
            name, rows = name, []
            rows = []
    flush()
    return tables
