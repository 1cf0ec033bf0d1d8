"""What a spreadsheet cell and sheet can hold, and the sheets practicebook writes.

Excel's own rules, in one place for every writer (the file writer, the Excel door):
sheet names, row and column limits, text length, characters XML cannot carry, and the
leading characters that make a spreadsheet read text as a formula. ``SheetSpec``
describes a derived sheet independently of how it is written.

May import: the standard library and ``practicebook`` base modules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "FORMULA_TRIGGERS",
    "MAX_COLS",
    "MAX_ROWS",
    "MAX_TEXT",
    "CellValue",
    "SheetSpec",
    "check_sheet_name",
    "clean_text",
    "needs_quote_prefix",
]

CellValue = None | str | int | float | Decimal | bool | dt.date | dt.datetime

MAX_TEXT = 32_767
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
#: First characters that make a spreadsheet read typed text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_INVALID_SHEET_CHARS = set("[]:*?/\\")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Return `text` without the characters XML 1.0 cannot carry (see the module docstring)."""
    return _ILLEGAL_XML.sub("", text)


def needs_quote_prefix(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula if a user re-entered it."""
    return text.startswith(FORMULA_TRIGGERS)


def check_sheet_name(name: str) -> None:
    """Raise ``ValueError`` unless Excel accepts ``name`` as a sheet name."""
    if not 1 <= len(name) <= 31 or _INVALID_SHEET_CHARS & set(name) or name.startswith("'"):
        raise ValueError("invalid sheet name (1-31 characters, none of []:*?/\\, no leading ')")
    if name.endswith("'") or name != clean_text(name) or name.casefold() == "history":
        raise ValueError("invalid sheet name (trailing ', control characters, or 'History')")


@dataclass(frozen=True)
class SheetSpec:
    """A sheet practicebook owns and writes wholesale.

    Attributes:
        name: Sheet name (1-31 characters, none of ``[]:*?/\\``).
        header: Column titles, written in row ``header_row``: the row below the title lines.
        rows: Data rows below the header; a row may be shorter than the header.
        number_formats: Excel format code per column (``None``: General, or an ISO date format
            for date cells), e.g. ``'"$"#,##0.00'`` or ``'yyyy-mm-dd'``.
        widths: Column width in characters per column (``None``: Excel's default).
        links: Internal hyperlinks keyed by ``(row_idx, col_idx)``, both 0-based into ``rows``
            and ``header``; the value is a location such as ``"'Sessions'!F12"``.
        bold_header: Write the header in a bold copy of the workbook's default font.
        freeze_header: Freeze row 1 so it stays visible while scrolling.
        filter: ``"table"`` for an Excel Table over header and rows (it grows with
            `append_rows`), ``"autofilter"`` for a plain autofilter, ``None`` for neither.
        table_style: Built-in table style used when ``filter == "table"``.
        tab_color: Tab colour as ``"RRGGBB"``.
        title: Lines of text above the table, one per row from row 1 (the first in bold),
            e.g. the practice, the as-of day and when the sheet was written. The table,
            the frozen panes and the links start below them.
    """

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[CellValue]]
    number_formats: Sequence[str | None] = ()
    widths: Sequence[float | None] = ()
    links: Mapping[tuple[int, int], str] = field(default_factory=dict)
    bold_header: bool = True
    freeze_header: bool = True
    filter: Literal["table", "autofilter"] | None = "table"
    table_style: str = "TableStyleMedium2"
    tab_color: str | None = None
    title: Sequence[str] = ()

    @property
    def header_row(self) -> int:
        """Excel row number of the header: the row below the title lines."""
        return len(self.title) + 1

    def __post_init__(self) -> None:
        check_sheet_name(self.name)
        if not self.header or len(self.header) > MAX_COLS:
            raise ValueError("a sheet needs between 1 and 16384 header columns")
        if len(self.rows) + self.header_row > MAX_ROWS:
            raise ValueError("too many rows for one sheet")
        if isinstance(self.title, str) or not all(isinstance(t, str) for t in self.title):
            raise ValueError("title must be a sequence of lines of text")
        if any(len(row) > len(self.header) for row in self.rows):
            raise ValueError("a row is longer than the header")
        if self.filter == "table":
            titles = [clean_text(str(h)).casefold() for h in self.header]
            if any(not t for t in titles) or len(set(titles)) != len(titles):
                raise ValueError("an Excel Table needs unique, non-empty column titles")
        if self.tab_color is not None and not re.fullmatch(r"[0-9A-Fa-f]{6}", self.tab_color):
            raise ValueError("tab_color must be 'RRGGBB'")
