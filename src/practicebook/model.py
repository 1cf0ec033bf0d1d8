"""The in-memory workbook: raw tables as read, and the typed ``Book`` the core works on.

``RawTable`` is what every medium produces (the file reader, the live Excel adapter,
test tables); ``parse`` turns raw tables into a ``Book``. A ``Book`` holds one frame per
input sheet whose columns are exactly the schema keys plus ``_row``, the Excel row each
record came from, so every finding maps back to a cell.

Frame dtypes by ``Kind``: ids, text and choices are strings; booleans ``bool``; integers
and money ``Int64`` (money in integer minor units of the practice currency); decimals
are ``Decimal`` objects; dates and date-times ``datetime64[ns]`` (naive, local to the
practice time zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

from practicebook.issues import CellRef
from practicebook.schema import WORKBOOK, Sheet

if TYPE_CHECKING:
    import pandas as pd

ROW = "_row"  # frame column holding the Excel row number of each record


@dataclass(frozen=True)
class CellErrorValue:
    """An Excel error value found in a cell (``#DIV/0!``, ``#N/A``…)."""

    text: str


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell saved without its result (files written by scripts that do not
    calculate): what the cell would show is unknown, so its row takes no part in figures."""


@dataclass(frozen=True)
class RawTable:
    """One sheet as read from a medium, before any typing.

    Attributes:
        name: the sheet name as found in the workbook.
        headers: header cell texts, left to right.
        data: one column per header (labels ``0..n-1``); each column is either typed
            (float, datetime, bool, string, as a fast reader returns it) or ``object``
            holding plain Python values. Row ``i`` is Excel row ``header_row + 1 + i``.
        header_row: Excel row number of the header.
        columns: Excel column number of each header (default ``1..n``).
        raw_cells: ``(row index, column position) -> value`` for cells whose typed
            value in ``data`` is not the cell's content: text in a numeric column (always
            read by the parser as typed text, in the workbook's locale), a boolean in a
            money column, an Excel error value, a ``FormulaWithoutValue``.
        merged: merged ranges ``(first_row, first_col, last_row, last_col)``, 1-based.
        header_found: False when no row near the top of the sheet matches the schema
            well enough to be its header; then ``headers`` and ``data`` are empty,
            ``header_row`` is the last row searched, and no cell of the sheet may be
            quoted anywhere (a data row taken for a header would echo client data).
    """

    name: str
    headers: tuple[str, ...]
    data: pd.DataFrame
    header_row: int = 1
    columns: tuple[int, ...] = ()
    raw_cells: Mapping[tuple[int, int], object] = field(default_factory=dict)
    merged: tuple[tuple[int, int, int, int], ...] = ()
    header_found: bool = True

    def column_number(self, position: int) -> int:
        """Excel column number of the header at ``position``."""
        return self.columns[position] if self.columns else position + 1

    def excel_row(self, index: int) -> int:
        """Excel row number of data row ``index``."""
        return self.header_row + 1 + index


@dataclass(frozen=True)
class Settings:
    """Practice-wide settings from the ``Practice`` sheet, with defaults filled in."""

    practice_name: str = ""
    currency: str = "USD"
    locale: str = "en_US"
    timezone: str = "America/New_York"
    payment_terms_days: int = 0
    aging_buckets: tuple[int, ...] = (30, 60, 90, 120)
    default_policy_id: str | None = None
    pattern_count: int = 3
    pattern_days: int = 90
    phi_mode: str = "full"
    lock_through_date: dt.date | None = None
    info: Mapping[str, object] = field(default_factory=dict)  # address, tax id, npi…


@dataclass(frozen=True)
class Layout:
    """Where a sheet's columns are, so findings can name cells."""

    sheet: str
    header_row: int = 1
    column_of: Mapping[str, int] = field(default_factory=dict)  # key -> Excel column
    extra_columns: tuple[str, ...] = ()  # headers practicebook does not know

    def cell(self, key: str | None, row: int) -> CellRef:
        """The cell of column ``key`` in Excel row ``row`` (the row when unknown)."""
        return CellRef(self.sheet, row, self.column_of.get(key, 0) if key else 0)


class _SheetFrame:
    """A ``Book`` attribute that is the frame of one input sheet (``book.sessions``)."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.__doc__ = f"The {sheet} frame."

    @overload
    def __get__(self, book: None, owner: type[Book]) -> _SheetFrame: ...

    @overload
    def __get__(self, book: Book, owner: type[Book]) -> pd.DataFrame: ...

    def __get__(self, book: Book | None, owner: type[Book]) -> _SheetFrame | pd.DataFrame:
        return self if book is None else book.frames[self.sheet]


@dataclass(frozen=True)
class Book:
    """A parsed workbook: typed frames per input sheet plus settings.

    Rows whose required values are missing or unreadable are reported and kept apart
    in ``rejected``, so the core can rely on every required value being present.
    """

    settings: Settings
    frames: Mapping[str, pd.DataFrame]
    layouts: Mapping[str, Layout]
    schema_version: int | None = None
    rejected: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    #: The AuditLog's close events as (time, summary), oldest first: what each audited
    #: close of the books recorded about the closed period (``practicebook.core.closing``).
    closes: tuple[tuple[str, str], ...] = ()

    def frame(self, sheet: str) -> pd.DataFrame:
        """The typed frame of an input sheet (empty with all columns when absent)."""
        return self.frames[sheet]

    def all_rows(self, sheet: str) -> pd.DataFrame:
        """Usable rows plus the rows left out for a missing or unreadable required value.

        Checks that can still say something useful about a rejected row (an unknown
        client, say) read this, so every problem is reported in one pass.
        """
        if sheet not in self.rejected:
            return self.frames[sheet]
        import pandas as pd

        return pd.concat([self.frames[sheet], self.rejected[sheet]], ignore_index=True)

    def cell(self, sheet: str, key: str | None, row: int) -> CellRef:
        """The cell of column ``key`` on Excel row ``row`` of ``sheet``."""
        layout = self.layouts.get(sheet) or Layout(sheet)
        return layout.cell(key, row)

    clients = _SheetFrame("Clients")
    clinicians = _SheetFrame("Clinicians")
    services = _SheetFrame("Services")
    rates = _SheetFrame("Rates")
    policies = _SheetFrame("Policies")
    policy_tiers = _SheetFrame("PolicyTiers")
    sessions = _SheetFrame("Sessions")
    payments = _SheetFrame("Payments")
    adjustments = _SheetFrame("Adjustments")


def sheet_spec(name: str) -> Sheet:
    """The schema of input sheet ``name``."""
    return WORKBOOK.sheet(name)
