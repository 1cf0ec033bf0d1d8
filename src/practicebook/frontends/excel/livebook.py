"""A live workbook's cell values as raw tables, and results as cell values: pure helpers.

The Excel adapter (``practicebook.frontends.excel``) reads each sheet's used range as a grid of
Python values and hands it here; what comes back is the same ``RawTable`` the file
reader produces, so the live book goes through the same parser, checks and core. The
other way, derived frames become grids of plain values (money in currency units, dates
as ``date``) with the columns to format. No xlwings here, so all of it runs on Linux.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from practicebook.model import RawTable
from practicebook.money import from_minor
from practicebook.parse import headers as header_rule
from practicebook.parse.headers import HEADER_SEARCH_ROWS, label_text
from practicebook.schema import INPUT_SHEETS, Sheet, normalize_header

__all__ = [
    "Grid",
    "as_day",
    "audit_table",
    "cell_row",
    "client_at",
    "client_on_row",
    "find_header",
    "form_values",
    "frame_grid",
    "id_text",
    "input_sheet",
    "raw_table",
    "row_values",
    "text_cell",
]

_NUMBER_LIKE = re.compile(r"^\s*[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_FORMULA_START = ("=", "+", "-", "@")


def input_sheet(name: str) -> Sheet | None:
    """The schema sheet a workbook sheet name stands for (case- and space-insensitive)."""
    wanted = normalize_header(name)
    return next((s for s in INPUT_SHEETS if normalize_header(s.name) == wanted), None)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _grid(values: object) -> list[list[object]]:
    """A used range's value as a 2-D list (one cell comes back bare, one row flat)."""
    if not isinstance(values, list):
        return [[values]]
    if values and not isinstance(values[0], list):
        return [list(values)]
    return [list(row) for row in values]


def find_header(
    grid: Sequence[Sequence[object]], sheet: Sheet, first_row: int = 1
) -> header_rule.HeaderSearch:
    """Where the header is in a used range whose first row is Excel row ``first_row``:
    the same rule as the file reader's (``practicebook.parse.headers``)."""
    return header_rule.find_header(grid, sheet, first_row)


def raw_table(
    name: str, values: object, first_row: int = 1, first_column: int = 1
) -> RawTable | None:
    """An input sheet's used range as the raw table the file reader would produce.

    Args:
        name: the sheet name.
        values: the used range's value (2-D list; xlwings returns a bare value or a flat
            list for one cell or one row).
        first_row: Excel row number of the used range's first row.
        first_column: Excel column number of its first column.

    Returns:
        ``None`` when the sheet is not an input sheet. A sheet without a recognisable
        header gives a table with ``header_found=False`` and none of its cells.
    """
    sheet = input_sheet(name)
    if sheet is None:
        return None
    grid = _grid(values)
    search = find_header(grid, sheet, first_row)
    if search.index is None:
        return RawTable(label_text(name), (), pd.DataFrame(), search.last_row, header_found=False)
    at = search.index
    header = grid[at]
    positions = [j for j, v in enumerate(header) if not _blank(v)]
    body = grid[at + 1 :]
    while body and all(_blank(v) for v in body[-1]):
        body.pop()
    data = pd.DataFrame(
        {
            k: pd.Series([_cell(row[j]) if j < len(row) else None for row in body], dtype=object)
            for k, j in enumerate(positions)
        },
        index=pd.RangeIndex(len(body)),
    )
    return RawTable(
        name=label_text(name),
        headers=tuple(label_text(str(header[j]).strip()) for j in positions),
        data=data,
        header_row=first_row + at,
        columns=tuple(first_column + j for j in positions),
    )


def audit_table(name: str, values: object) -> RawTable | None:
    """The AuditLog sheet as the file reader gives it: first row headers, the rest rows
    (not an input sheet; ``api.load_tables`` verifies its hash chain)."""
    grid = _grid(values)
    if not grid or all(_blank(v) for v in grid[0]):
        return None
    header, body = grid[0], grid[1:]
    while body and all(_blank(v) for v in body[-1]):
        body.pop()
    data = pd.DataFrame(
        {
            i: pd.Series([_cell(r[i]) if i < len(r) else None for r in body], dtype=object)
            for i in range(len(header))
        },
        index=pd.RangeIndex(len(body)),
    )
    return RawTable(name, tuple("" if h is None else str(h) for h in header), data)


def _cell(value: object) -> object:
    """A live cell value as the file reader gives it: blank text is no value."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def row_values(table: RawTable, row: int) -> dict[str, object]:
    """The cells of Excel row ``row`` of a raw table, by normalized header."""
    index = row - table.header_row - 1
    if not 0 <= index < len(table.data):
        return {}
    return {normalize_header(h): table.data.iat[index, k] for k, h in enumerate(table.headers)}


def client_on_row(table: RawTable, row: int) -> str | None:
    """The client ID on Excel row ``row`` of any sheet with a client ID column."""
    return id_text(row_values(table, row).get(normalize_header("client_id")))


def client_at(values: object, first_row: int, row: int) -> str | None:
    """The client ID on Excel row ``row`` of any sheet's used range (an input sheet, or
    Balances, Ledger…), found under the header that reads Client ID."""
    grid = _grid(values)
    wanted = normalize_header("client_id")
    for i, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        for j, value in enumerate(cells):
            if isinstance(value, str) and normalize_header(value) == wanted:
                index = row - first_row
                if index <= i or index >= len(grid) or j >= len(grid[index]):
                    return None
                return id_text(grid[index][j])
    return None


def id_text(value: object) -> str | None:
    """An ID as text: Excel hands ``90834`` back as ``90834.0``."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def form_values(fields: Sequence[str], values: object) -> dict[str, object]:
    """The filled-in cells of a one-column form, by field key (blanks left out)."""
    cells = [row[0] if row else None for row in _grid(values)]
    out = {}
    for key, value in zip(fields, cells, strict=True):
        value = _cell(value)
        if value is not None:
            out[key] = value
    return out


def text_cell(value: str) -> str:
    """Text as a cell must receive it to stay text: Excel would read ``=…`` as a formula
    and ``90834`` as a number, so those get the apostrophe prefix (not stored).

    >>> text_cell("=HYPERLINK(1)"), text_cell("90834"), text_cell("C0001")
    ("'=HYPERLINK(1)", "'90834", 'C0001')
    """
    if value.startswith(_FORMULA_START) or _NUMBER_LIKE.match(value):
        return "'" + value
    return value


def cell_row(values: Sequence[object], width: int) -> list[object]:
    """One row of a derived sheet as cells: padded to ``width``, exact money as the
    double Excel holds, text through ``text_cell``."""
    out: list[object] = []
    for value in [*values, *[None] * (width - len(values))]:
        if isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, str):
            value = text_cell(value)
        out.append(value)
    return out


@dataclass(frozen=True)
class Grid:
    """A table ready for the sheet: header and rows of plain values, and which columns
    (0-based) to format as money or as dates."""

    header: list[object]
    rows: list[list[object]]
    money: tuple[int, ...]
    dates: tuple[int, ...]

    @property
    def values(self) -> list[list[object]]:
        """Header and rows together."""
        return [self.header, *self.rows]


def frame_grid(
    frame: pd.DataFrame,
    currency: str,
    money: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> Grid:
    """A derived frame as cell values: money columns (exact amounts) as the doubles
    Excel holds, datetimes as dates, blanks as ``None``, text through ``text_cell``.

    Args:
        frame: the frame (columns in output order).
        currency: the practice currency of the money columns.
        money: names of the money columns.
        headers: display header per column name (default: the name).
    """
    headers = headers or {}
    columns = list(frame.columns)
    dates = tuple(
        j for j, c in enumerate(columns) if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
    )
    money_at = tuple(j for j, c in enumerate(columns) if c in money)
    out: list[list[object]] = []
    for record in frame.itertuples(index=False, name=None):
        row: list[object] = []
        for j, value in enumerate(record):
            row.append(_out(value, j in money_at, j in dates, currency))
        out.append(row)
    return Grid([headers.get(c, c) for c in columns], out, money_at, dates)


def _out(value: Any, is_money: bool, is_date: bool, currency: str) -> object:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if is_money:  # exact amounts as the core's frames hold them, or minor units
        amount = value if isinstance(value, Decimal) else from_minor(int(value), currency)
        return float(amount)  # Excel holds doubles
    if is_date:
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        return text_cell(value)
    if isinstance(value, Decimal):
        return float(value)  # notice hours: shown, never computed with
    if hasattr(value, "item"):
        return value.item()
    return value


#: The first day of Excel's 1900 date system, counting its phantom 1900-02-29.
EXCEL_EPOCH = dt.date(1899, 12, 30)


def as_day(value: object) -> dt.date | None:
    """A day as a worksheet function receives it: a date or datetime, a date serial,
    ISO text, or blank (``None``: today).

    >>> as_day(46203), as_day("2026-06-30"), as_day(dt.datetime(2026, 6, 30, 9))
    (datetime.date(2026, 6, 30), datetime.date(2026, 6, 30), datetime.date(2026, 6, 30))

    Raises:
        ValueError: the value is no day.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"{str(value)[:40]!r} is not a day: give a date, or YYYY-MM-DD")
