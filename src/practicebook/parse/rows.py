"""Row validation of one typed sheet: unreadable, required, out-of-range and duplicate values.

A row whose required value is unreadable or missing cannot be used by the core: it is
reported and kept apart (``rejected``), so every required value of the frame the core
uses is present. So is a row with a cell no figure may use, whatever its column: a
formula without a saved result, a number beyond the limits, a fee value beyond what its
fee type allows. Issues come column by column in sheet order, then fee values, then
duplicates and IDs that differ only in letter case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook import money
from practicebook.issues import Code, Issue, Severity
from practicebook.model import Layout
from practicebook.parse.columns import empty_frame, typed_frame
from practicebook.parse.values import Bad, fold_id, show
from practicebook.schema import Column, Kind, Sheet

__all__ = [
    "FEE_VALUES",
    "MAX_PERCENT",
    "case_variant_issues",
    "duplicate_issues",
    "named",
    "validate_rows",
]

#: Per sheet, the fee rules whose value column is read by their type column: percent
#: points of the session's rate, or a flat amount.
FEE_VALUES: dict[str, tuple[tuple[str, str], ...]] = {
    "Services": (("lc_fee_type", "lc_fee_value"), ("ns_fee_type", "ns_fee_value")),
    "PolicyTiers": (("charge_type", "charge_value"),),
}
#: The largest percent fee: a late-cancel or no-show fee is at most the session's rate
#: (which is what keeps every total inside 64 bits, see ``practicebook.money``).
MAX_PERCENT = 100

#: The key value (row ID) of a row position, as text; None where there is none.
_RowId = Callable[[int], str | None]


def validate_rows(
    sheet: Sheet,
    layout: Layout,
    raw_cols: dict[str, pd.Series],
    problems: dict[str, dict[int, Bad]],
    rows: pd.Series,
    found: Mapping[str, int],
    currency: str = "USD",
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
        for pos, exc in bad_rows.items():
            if col.required or exc.rejects_row:
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
    fee_issues, fee_rows = _fee_value_issues(sheet, raw_cols, cells, currency)
    issues += fee_issues
    unusable[fee_rows] = True
    issues += _unique_issues(sheet, raw_cols, layout, rows)
    kept = _rows_where(sheet, raw_cols, rows, ~unusable)
    rejected = _rows_where(sheet, raw_cols, rows, unusable)
    return (empty_frame(sheet) if kept is None else kept), rejected, issues


def named(col: Column, value: object) -> str:
    """How a message names a value of ``col``: ``Client ID 'C0001'``, or only the column
    (``the ICD-10 code``) when the column is personal."""
    return f"the {col.header}" if col.phi else f"{col.header} {value!r}"


def _row_ids(sheet: Sheet, raw_cols: Mapping[str, pd.Series]) -> _RowId:
    personal = bool(sheet.key) and sheet.column(sheet.key or "").phi
    key_values = raw_cols.get(sheet.key) if sheet.key and not personal else None

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


#: Problems whose message names no value of the cell (an Excel error shows its own code).
_SAYS_NO_VALUE = frozenset({Code.FORMULA_WITHOUT_VALUE, Code.CELL_ERROR})


def _unreadable_issues(
    sheet: Sheet, col: Column, bad_rows: Mapping[int, Bad], cells: _RowCells
) -> list[Issue]:
    """One issue per cell that could not be read; personal data is never quoted (a
    message about a personal cell keeps only what names no value)."""
    issues = []
    for pos, exc in bad_rows.items():
        message = exc.message
        if col.phi and exc.code not in _SAYS_NO_VALUE:
            message = f"the value is not valid ({exc.code.value})"
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


def _fee_value_issues(
    sheet: Sheet, raw_cols: Mapping[str, pd.Series], cells: _RowCells, currency: str
) -> tuple[list[Issue], np.ndarray]:
    """Fee values beyond what their type allows (a percent over ``MAX_PERCENT``, a flat
    amount over the largest amount), and the row positions they make unusable."""
    issues: list[Issue] = []
    unusable: list[int] = []
    most = money.max_amount(currency)
    for type_key, value_key in FEE_VALUES.get(sheet.name, ()):
        col = sheet.column(value_key)
        for pos, (kind, value) in enumerate(
            zip(raw_cols[type_key], raw_cols[value_key], strict=True)
        ):
            if not isinstance(value, Decimal):
                continue
            if kind == "percent" and value > MAX_PERCENT:
                message = f"{col.header}: {value} percent would charge more than the full rate"
                hint = "Use at most 100 percent, or the fee type 'full' for the whole rate."
                code = Code.OUT_OF_RANGE
            elif kind == "flat" and value > most:
                message = f"{col.header}: {value} is more than {most:,} {currency}"
                hint = "Check the amount; it is beyond the largest amount a cell may hold."
                code = Code.AMOUNT_TOO_LARGE
            else:
                continue
            issues.append(cells.error(code, col, pos, message, hint))
            unusable.append(pos)
    return issues, np.asarray(unusable, dtype=np.int64)


def _unique_issues(
    sheet: Sheet, raw_cols: Mapping[str, pd.Series], layout: Layout, rows: pd.Series
) -> list[Issue]:
    """Duplicates of the sheet's key first (with IDs that differ only in letter case),
    then of its other unique columns."""
    issues: list[Issue] = []
    if sheet.key and sheet.column(sheet.key).unique:
        issues += duplicate_issues(sheet, raw_cols[sheet.key], layout, rows)
    elif sheet.key and sheet.column(sheet.key).kind is Kind.ID:
        issues += case_variant_issues(sheet, raw_cols[sheet.key], layout, rows)
    for col in sheet.columns:
        if col.unique and col.key != sheet.key:
            issues += duplicate_issues(sheet, raw_cols[col.key], layout, rows, col)
    return issues


def duplicate_issues(
    sheet: Sheet, values: pd.Series, layout: Layout, rows: pd.Series, col: Column | None = None
) -> list[Issue]:
    """Every repeat of a value of ``col`` (the sheet's key when None), naming its first row;
    for an ID column, also each ID that differs from an earlier one only in letter case."""
    col = col or sheet.column(sheet.key or "")
    variants = case_variant_issues(sheet, values, layout, rows, col) if col.kind is Kind.ID else []
    present = values.notna()
    dup = values.duplicated(keep="first") & present
    if not dup.any():
        return variants
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
                f"{named(col, value)} is used again; it is first used on row {first_row[value]}",
                layout.cell(col.key, int(rows.iat[int(pos)])),
                f"Give this row a new {col.header}; IDs must be unique.",
                None if col.phi else str(value),
            )
        )
    return issues + variants


def case_variant_issues(
    sheet: Sheet, values: pd.Series, layout: Layout, rows: pd.Series, col: Column | None = None
) -> list[Issue]:
    """Each ID of ``col`` (the sheet's key when None) that differs from an earlier one
    only in letter case or character width (``c0001``, or ``C0001`` with a full-width C,
    U+FF23, after ``C0001``; see ``values.fold_id``), at its first row, naming both rows.

    IDs are exact: the two are different IDs, which is nearly always a typing slip.
    """
    col = col or sheet.column(sheet.key or "")
    if not _has_case_variants(values):
        return []
    text = values.astype(object).where(values.notna(), None).tolist()
    first_row: dict[str, int] = {}  # ID as typed -> its first row
    first_of_fold: dict[str, str] = {}  # folded ID -> the first spelling seen
    issues = []
    for i, value in enumerate(text):
        if value is None or value in first_row:
            continue
        value = str(value)
        first_row[value] = int(rows.iat[i])
        earlier = first_of_fold.setdefault(fold_id(value), value)
        if earlier == value:
            continue
        how = "letter case" if value.casefold() == earlier.casefold() else "letter case or width"
        issues.append(
            Issue(
                Code.ID_CASE_VARIANT,
                Severity.WARNING,
                f"{named(col, value)} (row {first_row[value]}) differs from "
                f"{'the one' if col.phi else repr(earlier)} on row {first_row[earlier]} only "
                f"in {how}; IDs are exact, so these are two different IDs",
                layout.cell(col.key, first_row[value]),
                f"If both rows mean the same one, type it exactly as on row "
                f"{first_row[earlier]}; otherwise make the two IDs clearly different.",
                None if col.phi else value,
            )
        )
    return issues


def _has_case_variants(values: pd.Series) -> bool:
    """False when no two distinct values of ``values`` could differ only in case or width
    (decided by Arrow for ASCII columns, which are nearly all of them)."""
    distinct = pd.unique(values.dropna().astype(str))
    if len(distinct) < 2:
        return False
    arrow = pa.array(distinct, type=pa.large_string())
    if pc.all(pc.string_is_ascii(arrow)).as_py() is False:
        return True
    return bool(pc.count_distinct(pc.utf8_lower(arrow)).as_py() < len(distinct))


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
