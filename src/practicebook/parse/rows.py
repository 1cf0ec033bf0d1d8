"""Row validation of one typed sheet: unreadable, required, out-of-range and duplicate values.

A row whose required value is unreadable or missing cannot be used by the core: it is
reported and kept apart (``rejected``), so every required value of the frame the core
uses is present. Issues come column by column in sheet order, then duplicates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.issues import Code, Issue, Severity
from practicebook.model import Layout
from practicebook.parse.columns import empty_frame, typed_frame
from practicebook.parse.values import Bad, show
from practicebook.schema import Column, Kind, Sheet

__all__ = ["duplicate_issues", "validate_rows"]

#: The key value (row ID) of a row position, as text; None where there is none.
_RowId = Callable[[int], str | None]


def validate_rows(
    sheet: Sheet,
    layout: Layout,
    raw_cols: dict[str, pd.Series],
    problems: dict[str, dict[int, Bad]],
    rows: pd.Series,
    found: Mapping[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[Issue]]:
    """Check the typed columns of a sheet (blank optional cells take their default).

    Returns:
        The frame of usable rows, the rejected rows (None when there are none) and the
        issues, unreadable cells included.
    """
    issues: list[Issue] = []
    unusable = np.zeros(len(rows), dtype=bool)
    cells = _RowCells(layout, rows, _row_ids(sheet, raw_cols))
    for col in sheet.columns:
        values = raw_cols[col.key]
        bad_rows = problems.get(col.key, {})
        issues += _unreadable_issues(sheet, col, bad_rows, cells)
        if col.required:
            for pos in bad_rows:
                unusable[pos] = True
        missing = values.isna().to_numpy(dtype=bool)
        if col.key not in found:
            continue
        if col.required:
            empty = [int(pos) for pos in np.flatnonzero(missing) if int(pos) not in bad_rows]
            issues += _missing_issues(col, empty, cells)
            for pos in empty:
                unusable[pos] = True
        elif col.default is not None and missing.any():
            values = values.where(~missing, other=col.default)
            raw_cols[col.key] = values
        issues += _range_issues(col, values, cells)
    issues += _unique_issues(sheet, raw_cols, layout, rows)
    kept = _rows_where(sheet, raw_cols, rows, ~unusable)
    rejected = _rows_where(sheet, raw_cols, rows, unusable)
    return (empty_frame(sheet) if kept is None else kept), rejected, issues


def _row_ids(sheet: Sheet, raw_cols: Mapping[str, pd.Series]) -> _RowId:
    key_values = raw_cols.get(sheet.key) if sheet.key else None

    def row_id(i: int) -> str | None:
        if key_values is None:
            return None
        v = key_values.iat[i]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    return row_id


@dataclass(frozen=True)
class _RowCells:
    """How a finding names a cell of the sheet: its layout, the Excel row of each row
    position, and each row's ID."""

    layout: Layout
    rows: pd.Series
    row_id: _RowId

    def error(
        self,
        code: Code,
        col: Column,
        pos: int,
        message: str,
        hint: str,
        excerpt: tuple[tuple[str, str], ...] = (),
    ) -> Issue:
        """An error at the cell of ``col`` in the row at position ``pos``."""
        where = self.layout.cell(col.key, int(self.rows.iat[pos]))
        return Issue(code, Severity.ERROR, message, where, hint, self.row_id(pos), excerpt=excerpt)


def _unreadable_issues(
    sheet: Sheet, col: Column, bad_rows: Mapping[int, Bad], cells: _RowCells
) -> list[Issue]:
    """One issue per cell that could not be read; personal data is never quoted."""
    issues = []
    for pos, exc in bad_rows.items():
        message = exc.message if not col.phi else f"the value is not valid ({exc.code.value})"
        excerpt = _excerpt(sheet, col, pos, exc.raw, cells.row_id)
        issues.append(
            cells.error(exc.code, col, pos, f"{col.header}: {message}", exc.hint, excerpt)
        )
    return issues


def _excerpt(
    sheet: Sheet, col: Column, pos: int, shown: object, row_id: _RowId
) -> tuple[tuple[str, str], ...]:
    """The row's ID and the unreadable value, as (header, text) pairs."""
    parts: list[tuple[str, str]] = []
    if sheet.key and sheet.key != col.key and row_id(pos):
        parts.append((sheet.column(sheet.key).header, str(row_id(pos))))
    parts.append((col.header, "(hidden: personal data)" if col.phi else show(shown)))
    return tuple(parts)


def _missing_issues(col: Column, positions: list[int], cells: _RowCells) -> list[Issue]:
    message = f"{col.header} is required but empty"
    hint = f"Fill in {col.header}, or delete the row if it is not needed."
    return [cells.error(Code.MISSING_VALUE, col, pos, message, hint) for pos in positions]


def _range_issues(col: Column, values: pd.Series, cells: _RowCells) -> list[Issue]:
    if col.kind not in (Kind.MONEY, Kind.INTEGER, Kind.DECIMAL):
        return []
    if col.minimum is None and not col.positive:
        return []
    bound = 0 if col.positive else col.minimum
    if col.kind is Kind.DECIMAL:  # exact Decimal objects; these sheets are small
        too_small = values.map(
            lambda v: v is not None and (v <= bound if col.positive else v < bound)
        )
    else:  # Int64
        too_small = values <= bound if col.positive else values < bound
    rule = "greater than zero" if col.positive else f"at least {col.minimum}"
    hint = (
        "Payments are always positive; record money paid back as kind 'refund'."
        if col.positive
        else f"Correct {col.header}."
    )
    message = f"{col.header} must be {rule}"
    return [
        cells.error(Code.OUT_OF_RANGE, col, int(pos), message, hint)
        for pos in np.flatnonzero(too_small.fillna(False).to_numpy(dtype=bool))
    ]


def _unique_issues(
    sheet: Sheet, raw_cols: Mapping[str, pd.Series], layout: Layout, rows: pd.Series
) -> list[Issue]:
    """Duplicates of the sheet's key first, then of its other unique columns."""
    issues: list[Issue] = []
    if sheet.key and sheet.column(sheet.key).unique:
        issues += duplicate_issues(sheet, raw_cols[sheet.key], layout, rows)
    for col in sheet.columns:
        if col.unique and col.key != sheet.key:
            issues += duplicate_issues(sheet, raw_cols[col.key], layout, rows, col)
    return issues


def duplicate_issues(
    sheet: Sheet, values: pd.Series, layout: Layout, rows: pd.Series, col: Column | None = None
) -> list[Issue]:
    """Every repeat of a value of ``col`` (the sheet's key when None), naming its first row."""
    col = col or sheet.column(sheet.key or "")
    present = values.notna()
    dup = values.duplicated(keep="first") & present
    if not dup.any():
        return []
    first_row = {}
    for i, value in enumerate(values.tolist()):
        if value is not None and value not in first_row:
            first_row[value] = int(rows.iat[i])
    issues = []
    for pos in np.flatnonzero(dup.to_numpy()):
        value = values.iat[int(pos)]
        issues.append(
            Issue(
                Code.DUPLICATE_ID,
                Severity.ERROR,
                f"{col.header} {value!r} is used again; it is first used on row {first_row[value]}",
                layout.cell(col.key, int(rows.iat[int(pos)])),
                f"Give this row a new {col.header}; IDs must be unique.",
                str(value),
            )
        )
    return issues


def _rows_where(
    sheet: Sheet, raw_cols: Mapping[str, pd.Series], rows: pd.Series, mask: np.ndarray
) -> pd.DataFrame | None:
    """The typed frame of the rows ``mask`` selects; None when it selects none."""
    if not mask.any():
        return None
    if mask.all():
        return typed_frame(sheet, raw_cols, rows)
    part = {k: v[mask].reset_index(drop=True) for k, v in raw_cols.items()}
    return typed_frame(sheet, part, rows[mask].reset_index(drop=True))
