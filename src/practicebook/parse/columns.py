"""Whole columns: typing a column by ``Kind`` and giving it its frame dtype.

Values are parsed once per distinct value (a column of 100,000 fees holds a few dozen
distinct amounts), so typing stays vectorised while every rule stays the one-value rule
of ``values``. Text columns are cleaned by Arrow in one pass; date columns a reader has
already typed are range-checked in one pass. ``typed_frame`` and ``empty_frame`` build a
sheet's frame with the dtypes ``practicebook.model`` documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.issues import Code
from practicebook.model import ROW, CellErrorValue, FormulaWithoutValue
from practicebook.parse.headers import label_text
from practicebook.parse.values import (
    FIRST_DAY,
    LAST_DAY,
    TERMINAL_CONTROLS,
    ZERO_WIDTH,
    Bad,
    CoerceContext,
    coerce_bool,
    coerce_choice,
    coerce_datetime,
    coerce_decimal,
    coerce_integer,
    coerce_money,
    coerce_text,
    formula_without_value,
)
from practicebook.schema import Column, Kind, Sheet

__all__ = ["ColumnResult", "blank_mask", "coerce_column", "empty_frame", "typed_frame"]


@dataclass
class ColumnResult:
    """The typed values of one column and the cells that could not be read."""

    values: pd.Series
    bad: dict[int, Bad]  # row position -> problem


def _coercer(col: Column, ctx: CoerceContext) -> Callable[[object], object]:
    kind = col.kind
    if kind is Kind.MONEY:
        return lambda v: coerce_money(v, ctx)
    if kind is Kind.DECIMAL:
        return lambda v: coerce_decimal(v, ctx)
    if kind is Kind.INTEGER:
        return lambda v: coerce_integer(v, ctx)
    if kind is Kind.BOOL:
        return lambda v: coerce_bool(v, ctx)
    if kind is Kind.CHOICE:
        return lambda v: coerce_choice(v, col.choices)
    if kind in (Kind.DATE, Kind.DATETIME):
        return lambda v: coerce_datetime(v, ctx, date_only=kind is Kind.DATE)
    return coerce_text


def blank_mask(series: pd.Series) -> np.ndarray:
    """Which cells of a raw column are empty or only white space."""
    mask: np.ndarray = series.isna().to_numpy(dtype=bool).copy()
    if series.dtype == object:
        text = series.astype("str")
    elif pd.api.types.is_string_dtype(series.dtype):
        text = series
    else:
        return mask
    mask |= (text.str.strip() == "").fillna(False).to_numpy(dtype=bool)
    return mask


def coerce_column(
    series: pd.Series, col: Column, ctx: CoerceContext, raw_cells: Mapping[int, object]
) -> ColumnResult:
    """Type one column. ``raw_cells`` override typed values (text a reader could not type)."""
    bad: dict[int, Bad] = {}
    if (
        col.kind in (Kind.ID, Kind.TEXT)
        and pd.api.types.is_string_dtype(series.dtype)
        and series.dtype != object
    ):
        values = _clean_strings(series)
    elif col.kind in (Kind.DATE, Kind.DATETIME) and pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        values = _typed_dates(series, bad)
        if col.kind is Kind.DATE:
            values = values.dt.normalize()
    else:
        values = _coerce_by_distinct(
            series, _coercer(col, ctx), bad, text=col.kind in (Kind.ID, Kind.TEXT, Kind.CHOICE)
        )
    if raw_cells:
        values = _override(values, raw_cells, _coercer(col, ctx), bad)
    values = _finish(values, col)
    if col.kind is Kind.ID or (col.kind is Kind.TEXT and not col.phi):
        values = _printable(values, lines=col.kind is Kind.TEXT)
    return ColumnResult(values, bad)


def _printable(values: pd.Series, *, lines: bool) -> pd.Series:
    """Text from the file made safe to print (a hostile workbook's ``_x001B_[2J`` in an ID
    would otherwise reach the terminal through every message naming that ID).

    IDs (``lines=False``) are printed as ``headers.label_text`` prints sheet names: every
    control, format or unassigned character becomes U+FFFD, other white space a space.
    Text that is printed but not personal (``lines=True``: descriptions, account names)
    keeps its line breaks and tabs; only terminal controls and direction overrides become
    U+FFFD. Both sides of a reference change alike, so references still match. Nearly
    every column is printable already, which Arrow finds in one pass.
    """
    arrow = pa.array(values.array, type=pa.large_string(), from_pandas=True)
    if pc.all(pc.utf8_is_printable(arrow), skip_nulls=True).as_py() is not False:
        return values
    if lines:
        fixed = values.str.replace(TERMINAL_CONTROLS.pattern, "\ufffd", regex=True)
    else:
        fixed = values.map(label_text, na_action="ignore")
    return fixed.astype(values.dtype)


def _override(
    values: pd.Series,
    raw_cells: Mapping[int, object],
    convert: Callable[[object], object],
    bad: dict[int, Bad],
) -> pd.Series:
    """``values`` with the raw cells typed in their place (None where unreadable)."""
    overrides: dict[int, object] = {}
    for pos, raw in raw_cells.items():
        try:
            overrides[pos] = convert(_readable(raw))
        except Bad as exc:
            exc.raw = raw
            bad[pos] = exc
            overrides[pos] = None
    values = values.astype(object) if values.dtype != object else values.copy()
    for pos, value in overrides.items():
        values.iat[pos] = value
    return values


def _readable_scalar(value: object) -> object:
    """A NumPy scalar as its Python value (a ``datetime64`` as it is: its ``item`` may be
    a count of nanoseconds)."""
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64):
        return value.item()
    return value


def _readable(value: object) -> object:
    """``value`` itself, or the problem of a cell that holds no value to read."""
    if isinstance(value, CellErrorValue):
        raise Bad(
            Code.CELL_ERROR,
            f"the cell shows the Excel error {value.text}",
            "Fix the formula, or type the value itself.",
        )
    if isinstance(value, FormulaWithoutValue):
        raise formula_without_value()
    return _readable_scalar(value)


_FIRST = pd.Timestamp(FIRST_DAY)
_AFTER_LAST = pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1)


def _typed_dates(series: pd.Series, bad: dict[int, Bad]) -> pd.Series:
    """A column a reader typed as dates, in nanoseconds; each value outside
    ``FIRST_DAY``..``LAST_DAY`` (a time alone reads as a day in 1899) is a problem."""
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    inside = ((series >= _FIRST) & (series < _AFTER_LAST)).to_numpy(dtype=bool)
    outside = series.notna().to_numpy(dtype=bool) & ~inside
    for pos in np.flatnonzero(outside):
        value = series.iat[int(pos)]
        try:
            coerce_datetime(value, CoerceContext(), date_only=False)
            problem = Bad(Code.BAD_DATE, "the date is outside the dates practicebook reads")
        except Bad as exc:  # always: the value is outside the range coerce_datetime reads
            problem = exc
        problem.raw = value
        bad[int(pos)] = problem
    if outside.any():
        series = series.where(~outside)
    return series.astype("datetime64[ns]")


#: What ``str.strip`` removes from ASCII text.
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _clean_strings(series: pd.Series) -> pd.Series:
    """Trimmed text, blanks as missing; zero-width characters removed and composed
    forms normalised where the column has any non-ASCII text. ASCII columns (nearly all)
    are trimmed by Arrow in one pass."""
    arrow = pa.array(series.array)
    if pc.all(pc.string_is_ascii(arrow), skip_nulls=True).as_py() is not False:
        out = pc.utf8_trim(arrow, characters=_ASCII_SPACE)
        out = pc.if_else(pc.equal(out, ""), pa.scalar(None, out.type), out)
        return pd.Series(pd.array(out, dtype="str"), index=series.index)
    out = series.str.strip()
    out = out.str.replace(ZERO_WIDTH.pattern, "", regex=True).str.strip()
    out = out.str.normalize("NFC")
    return out.where(out != "", other=None)


def _coerce_by_distinct(
    series: pd.Series, convert: Callable[[object], object], bad: dict[int, Bad], text: bool = False
) -> pd.Series:
    """Convert each distinct value once; ``text``: the column becomes ``str`` (built
    from the distinct texts by Arrow, not a Python object per row)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted: list[object] = []
    failed: dict[int, Bad] = {}
    for k, raw in enumerate(uniques):
        value = _readable_scalar(raw)
        if isinstance(value, str) and not value.strip():
            converted.append(None)
            continue
        try:
            converted.append(convert(_readable(value)))
        except Bad as exc:
            exc.raw = value
            failed[k] = exc
            converted.append(None)
    for k, problem in failed.items():
        for pos in np.flatnonzero(codes == k):
            bad[int(pos)] = problem
    if text and all(v is None or isinstance(v, str) for v in converted):
        distinct = pa.array([*converted, None], type=pa.large_string())
        picked = distinct.take(pa.array(np.where(codes < 0, len(converted), codes)))
        return pd.Series(pd.array(picked, dtype="str"), index=series.index)
    lookup = np.empty(len(converted) + 1, dtype=object)
    lookup[:-1] = converted
    lookup[-1] = None
    out = lookup[codes]  # code -1 (blank) picks the trailing None
    return pd.Series(out, index=series.index, dtype=object)


def _finish(values: pd.Series, col: Column) -> pd.Series:
    """Give the column its frame dtype (see ``practicebook.model``)."""
    kind = col.kind
    if kind in (Kind.MONEY, Kind.INTEGER):
        if values.dtype == object:
            missing = values.isna().to_numpy(dtype=bool)
            numbers = values.where(~missing, 0).to_numpy(dtype=np.int64)
            return pd.Series(pd.arrays.IntegerArray(numbers, missing), index=values.index)
        return values.astype("Int64")
    if kind in (Kind.DATE, Kind.DATETIME):
        if values.dtype == object:
            values = pd.to_datetime(values, errors="raise")
        if str(values.dtype) != "datetime64[ns]":
            values = values.astype("datetime64[ns]")
        return values.dt.normalize() if kind is Kind.DATE else values
    if kind in (Kind.BOOL, Kind.DECIMAL):
        return values.astype(object)
    return values if str(values.dtype) == "str" else values.astype("str")


# --- typed frames -------------------------------------------------------------------


def empty_frame(sheet: Sheet) -> pd.DataFrame:
    """A frame with the sheet's columns and no rows."""
    return typed_frame(
        sheet,
        {col.key: pd.Series([], dtype=object) for col in sheet.columns},
        pd.Series([], dtype="int64"),
    )


_FRAME_DTYPE = {
    Kind.MONEY: "Int64",
    Kind.INTEGER: "Int64",
    Kind.DATE: "datetime64[ns]",
    Kind.DATETIME: "datetime64[ns]",
    Kind.DECIMAL: "object",
}


def typed_frame(sheet: Sheet, columns: Mapping[str, object], rows: pd.Series) -> pd.DataFrame:
    """The sheet's frame from its columns' values and their Excel rows (``ROW``)."""
    data: dict[str, object] = {}
    for col in sheet.columns:
        values = columns[col.key]
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        series = series.reset_index(drop=True)
        if col.kind is Kind.BOOL:
            series = series.fillna(bool(col.default)).astype(bool)
        else:
            dtype = _FRAME_DTYPE.get(col.kind, "str")
            if str(series.dtype) != dtype:
                series = series.astype(dtype)
        data[col.key] = series
    data[ROW] = rows.reset_index(drop=True).astype("int64")
    return pd.DataFrame(data, copy=False)
