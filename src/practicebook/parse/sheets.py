"""One input sheet: header matching, blank rows, merged cells, then typing and validation.

``parse_sheet`` matches the headers to the schema's columns, skips blank rows (rows keep
their Excel row numbers in ``ROW``), types each column (``columns``) and validates the
rows (``rows``). A sheet whose header row was not found is read as empty, with one issue
that quotes none of its cells. Nothing here raises on bad data: each problem becomes an
``Issue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import Layout, RawTable
from practicebook.parse.columns import blank_mask, coerce_column, empty_frame
from practicebook.parse.rows import validate_rows
from practicebook.parse.values import Bad, CoerceContext
from practicebook.schema import Column, Sheet

__all__ = ["SheetParse", "absent_sheet", "parse_sheet"]


@dataclass
class SheetParse:
    """One sheet typed: the frame the core uses, where its columns are, its problems,
    and the rows kept apart because a required value is missing or unreadable."""

    frame: pd.DataFrame
    layout: Layout
    issues: list[Issue]
    rejected: pd.DataFrame | None = None


def absent_sheet(sheet: Sheet) -> SheetParse:
    """The parse of a sheet the workbook does not have: no rows, columns in schema order."""
    columns = {col.key: i + 1 for i, col in enumerate(sheet.columns)}
    return SheetParse(empty_frame(sheet), Layout(sheet.name, 1, columns), [])


def parse_sheet(table: RawTable, sheet: Sheet, ctx: CoerceContext) -> SheetParse:
    """Type one input sheet and report its cell-level problems."""
    if not table.header_found:
        return SheetParse(
            empty_frame(sheet), Layout(table.name, table.header_row), [_no_header(table, sheet)]
        )
    found, issues, extras = _match_headers(table, sheet)
    layout = Layout(
        table.name,
        table.header_row,
        {key: table.column_number(pos) for key, pos in found.items()},
        extras,
    )
    if any(i.code is Code.MISSING_COLUMN for i in issues):
        return SheetParse(empty_frame(sheet), layout, issues)
    raw_by_col = _raw_cells_by_column(table)
    keep = _non_blank_rows(table.data, found, raw_by_col)
    rows = pd.Series(table.header_row + 1 + keep, dtype="int64")
    raw_cols, problems = _coerce_columns(table.data, sheet, found, keep, raw_by_col, ctx)
    issues += _merged_issues(table, found, keep)
    frame, rejected, cell_issues = validate_rows(
        sheet, layout, raw_cols, problems, rows, found, ctx.currency
    )
    return SheetParse(frame, layout, issues + cell_issues, rejected)


# --- headers ------------------------------------------------------------------------


def _no_header(table: RawTable, sheet: Sheet) -> Issue:
    """The one issue of a sheet whose header row was not found (its cells stay unquoted:
    a data row could have been taken for the header)."""
    searched = "row 1" if table.header_row <= 1 else f"rows 1 to {table.header_row}"
    wanted = ", ".join(col.header for col in sheet.columns if col.required) or ", ".join(
        col.header for col in sheet.columns[:3]
    )
    return Issue(
        Code.HEADER_NOT_FOUND,
        Severity.ERROR,
        f"no header row found on the {table.name} sheet ({searched} searched); the sheet "
        "is read as empty",
        CellRef(table.name),
        f"Put the column headers ({wanted}, …) in one row above the data, as in the "
        "standard workbook (practicebook new writes one).",
    )


def _match_headers(
    table: RawTable, sheet: Sheet
) -> tuple[dict[str, int], list[Issue], tuple[str, ...]]:
    """Column key -> table position; the header issues; the headers not in the schema."""
    found: dict[str, int] = {}
    issues: list[Issue] = []
    extras: list[str] = []
    for pos, header in enumerate(table.headers):
        where = CellRef(table.name, table.header_row, table.column_number(pos))
        text = (header or "").strip()
        col = sheet.match(text) if text else None
        if col is None:
            if text and not text.startswith("__UNNAMED__"):
                extras.append(text)
                issues.append(_unknown_column(text, sheet, where))
            continue
        if col.key in found:
            issues.append(_duplicate_column(col, where))
            continue
        found[col.key] = pos
    issues += _missing_columns(table, sheet, found)
    return found, issues, tuple(extras)


def _unknown_column(text: str, sheet: Sheet, where: CellRef) -> Issue:
    return Issue(
        Code.UNKNOWN_COLUMN,
        Severity.NOTE,
        f"column {text!r} is not part of the standard {sheet.name} sheet; it is kept and ignored",
        where,
        "Nothing to do, unless it is a misspelt standard column.",
    )


def _duplicate_column(col: Column, where: CellRef) -> Issue:
    return Issue(
        Code.DUPLICATE_COLUMN,
        Severity.ERROR,
        f"column {col.header!r} appears twice; only the first is read",
        where,
        "Delete or rename one of the two columns.",
    )


def _missing_columns(table: RawTable, sheet: Sheet, found: Mapping[str, int]) -> list[Issue]:
    return [
        Issue(
            Code.MISSING_COLUMN,
            Severity.ERROR,
            f"required column {col.header!r} is missing",
            CellRef(table.name, table.header_row, 0),
            f"Add a column headed {col.header!r} to the {sheet.name} sheet.",
        )
        for col in sheet.columns
        if col.required and col.key not in found
    ]


# --- rows and columns ---------------------------------------------------------------


def _raw_cells_by_column(table: RawTable) -> dict[int, dict[int, object]]:
    """The table's raw cells as table column -> table row -> raw value."""
    raw_by_col: dict[int, dict[int, object]] = {}
    for (r, c), raw in table.raw_cells.items():
        raw_by_col.setdefault(c, {})[r] = raw
    return raw_by_col


def _non_blank_rows(
    data: pd.DataFrame, found: Mapping[str, int], raw_by_col: Mapping[int, Mapping[int, object]]
) -> np.ndarray:
    """Table rows with a value in some known column (a raw cell counts as a value)."""
    blank = np.ones(len(data), dtype=bool)
    for pos in found.values():
        if not blank.any():  # every row already has a value somewhere
            break
        col_blank = blank_mask(data[data.columns[pos]])
        for r in raw_by_col.get(pos, {}):
            col_blank[r] = False
        blank &= col_blank
    return np.flatnonzero(~blank)


def _coerce_columns(
    data: pd.DataFrame,
    sheet: Sheet,
    found: Mapping[str, int],
    keep: np.ndarray,
    raw_by_col: Mapping[int, Mapping[int, object]],
    ctx: CoerceContext,
) -> tuple[dict[str, pd.Series], dict[str, dict[int, Bad]]]:
    """Every schema column typed over the kept rows (an absent column holds its default),
    and the unreadable cells of each column present."""
    raw_cols: dict[str, pd.Series] = {}
    problems: dict[str, dict[int, Bad]] = {}
    for col in sheet.columns:
        if col.key not in found:
            raw_cols[col.key] = pd.Series([col.default] * len(keep), dtype=object)
            continue
        pos = found[col.key]
        series = data[data.columns[pos]]
        if len(keep) < len(data):
            series = series.iloc[keep].reset_index(drop=True)
        overrides = _renumber(raw_by_col.get(pos, {}), keep)
        result = coerce_column(series, col, ctx, overrides)
        raw_cols[col.key] = result.values
        problems[col.key] = result.bad
    return raw_cols, problems


def _renumber(cells: Mapping[int, object], keep: np.ndarray) -> dict[int, object]:
    """Re-key raw cells from table rows to positions among the kept (non-blank) rows."""
    if not cells:
        return {}
    rows = np.fromiter(cells, dtype=np.int64, count=len(cells))
    at = np.searchsorted(keep, rows)
    found = (at < len(keep)) & (keep[np.minimum(at, len(keep) - 1)] == rows)
    values = list(cells.values())
    return {int(at[i]): values[i] for i in np.flatnonzero(found)}


def _merged_issues(table: RawTable, found: Mapping[str, int], keep: np.ndarray) -> list[Issue]:
    issues = []
    cols = {table.column_number(pos) for pos in found.values()}
    first_data = table.header_row
    for r1, c1, r2, c2 in table.merged:
        if r2 < first_data or not any(c1 <= c <= c2 for c in cols):
            continue
        issues.append(
            Issue(
                Code.MERGED_CELLS,
                Severity.ERROR,
                f"cells {CellRef(table.name, r1, c1).cell}:{CellRef(table.name, r2, c2).cell} "
                "are merged; only the first cell's value is read",
                CellRef(table.name, r1, c1),
                "Unmerge the cells and type the value in each row.",
            )
        )
    return issues
