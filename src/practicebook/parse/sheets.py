"""Raw tables to a typed ``Book``, following the schema, reporting every bad cell.

Coercion is strict and by ``Kind``. Values are parsed once per distinct value (a column
of 100,000 fees holds a few dozen distinct amounts), so typing stays vectorised while
every rule is written as plain Python over one value. Nothing here raises on bad data:
each problem becomes an ``Issue`` at its cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from babel import Locale
from babel.dates import get_date_format

from practicebook import money
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import ROW, Book, CellErrorValue, Layout, RawTable, Settings
from practicebook.schema import (
    PRACTICE,
    WORKBOOK,
    Column,
    Kind,
    Setting,
    Sheet,
    normalize_header,
)

__all__ = ["CoerceContext", "empty_frame", "parse", "parse_settings"]

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


class Bad(Exception):
    """A value that cannot be read; carries the issue code and a hint."""

    def __init__(self, code: Code, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.raw: object = None  # the cell's content, for the row excerpt


@dataclass(frozen=True)
class CoerceContext:
    """What cell coercion needs to know about the workbook."""

    locale: str = "en_US"
    currency: str = "USD"

    @property
    def date_order(self) -> str:
        """``MDY``, ``DMY`` or ``YMD``: how this locale writes numeric dates."""
        return _date_order(self.locale)


@cache
def _date_order(locale: str) -> str:
    pattern = get_date_format("short", locale=Locale.parse(locale)).pattern.lower()
    positions = {ch: pattern.find(ch) for ch in "dmy"}
    return "".join(sorted("DMY", key=lambda ch: positions[ch.lower()]))


# --- one value at a time ------------------------------------------------------------

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff]")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?:[ T,]+(.+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_SERIAL = re.compile(r"^\d+(\.\d+)?$")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}


def _clean_text(value: str) -> str:
    return unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", value)).strip()


def _number(value: object) -> Decimal:
    """A numeric cell or numeric-looking value as an exact Decimal."""
    if isinstance(value, bool):
        raise Bad(Code.BAD_NUMBER, "a TRUE/FALSE value is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Bad(Code.BAD_NUMBER, f"{value} is not a number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    raise TypeError(type(value))


def coerce_money(value: object, ctx: CoerceContext) -> int:
    """Minor units of the practice currency."""
    if isinstance(value, str):
        try:
            amount = money.parse_money_text(value, ctx.locale, ctx.currency)
        except money.MoneyTextError as exc:
            code = Code.AMBIGUOUS_MONEY if exc.ambiguous else Code.BAD_MONEY
            raise Bad(
                code,
                f"{exc.reason}",
                f"Type the amount as a number, e.g. {_example_amount(ctx)}.",
            ) from None
        return money.to_minor(amount, ctx.currency)
    if isinstance(value, (dt.date, bool)):
        raise Bad(
            Code.BAD_MONEY, f"{_show(value)} is not an amount", "Type the amount as a number."
        )
    try:
        return money.to_minor(_number(value), ctx.currency)
    except Bad as exc:
        raise Bad(Code.BAD_MONEY, exc.message, "Type the amount as a number.") from None


def _example_amount(ctx: CoerceContext) -> str:
    from babel.numbers import format_decimal

    return format_decimal(Decimal("1200.50"), format="#,##0.00", locale=ctx.locale)


def coerce_decimal(value: object, ctx: CoerceContext) -> Decimal:
    """An exact number (percent points, hours)."""
    if isinstance(value, str):
        try:
            return money.parse_money_text(value.replace("%", ""), ctx.locale, ctx.currency)
        except money.MoneyTextError as exc:
            raise Bad(Code.BAD_NUMBER, exc.reason, "Type a number, e.g. 50.") from None
    if isinstance(value, (dt.date, bool)):
        raise Bad(Code.BAD_NUMBER, f"{_show(value)} is not a number", "Type a number.")
    return _number(value).normalize() if isinstance(value, float) else _number(value)


def coerce_integer(value: object, ctx: CoerceContext) -> int:
    """A whole number."""
    number = coerce_decimal(value, ctx)
    if number != number.to_integral_value():
        raise Bad(Code.BAD_NUMBER, f"{number} is not a whole number", "Type a whole number.")
    return int(number)


def coerce_bool(value: object, ctx: CoerceContext) -> bool:
    """TRUE/FALSE, yes/no, 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    raise Bad(
        Code.BAD_BOOL,
        f"{_show(value)} is not TRUE or FALSE",
        "Type TRUE or FALSE (yes/no and 1/0 also work).",
    )


def coerce_choice(value: object, choices: tuple[str, ...]) -> str:
    """One of ``choices``, case-insensitive; spaces and hyphens read as underscores."""
    text = value if isinstance(value, str) else _show(value)
    folded = re.sub(r"[\s-]+", "_", text.strip().casefold())
    if folded in choices:
        return folded
    raise Bad(
        Code.BAD_CHOICE,
        f"{_show(value)} is not one of: {', '.join(choices)}",
        "Pick a value from the dropdown list.",
    )


def coerce_text(value: object) -> str:
    """Text as typed, trimmed; numbers become their shortest text (``90847``)."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def coerce_datetime(value: object, ctx: CoerceContext, *, date_only: bool) -> dt.datetime:
    """A date-time from a date cell, an Excel serial, ISO text or the locale's format."""
    if isinstance(value, bool):
        raise Bad(Code.BAD_DATE, "a TRUE/FALSE value is not a date", _date_hint(ctx))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float, Decimal)):
        return _from_serial(float(value), ctx)
    if isinstance(value, str):
        return _datetime_text(_clean_text(value), ctx)
    raise Bad(Code.BAD_DATE, f"{_show(value)} is not a date", _date_hint(ctx))


def _from_serial(serial: float, ctx: CoerceContext) -> dt.datetime:
    if not math.isfinite(serial) or serial < 61 or serial > 109_574:  # 1900-03-01..2199
        raise Bad(Code.BAD_DATE, f"{_show(serial)} is not a date serial number", _date_hint(ctx))
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    return moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))


def _datetime_text(text: str, ctx: CoerceContext) -> dt.datetime:
    if m := _ISO.match(text):
        y, mo, d, hh, mm, ss = m.groups()
        return _build(text, ctx, int(y), int(mo), int(d), hh, mm, ss, None)
    if _SERIAL.match(text):
        return _from_serial(float(text), ctx)
    if m := _NUMERIC_DATE.match(text):
        a, _, b, c, time_text = m.groups()
        hh = mm = ss = ampm = None
        if time_text:
            t = _TIME.match(time_text.strip())
            if not t:
                raise Bad(Code.BAD_DATE, f"{text!r} has an unreadable time", _date_hint(ctx))
            hh, mm, ss, ampm = t.groups()
        if len(a) == 4:
            return _build(text, ctx, int(a), int(b), int(c), hh, mm, ss, ampm)
        year = _full_year(c)
        order = ctx.date_order
        if order == "YMD":
            raise Bad(
                Code.AMBIGUOUS_DATE if int(a) <= 12 and int(b) <= 12 else Code.BAD_DATE,
                f"{text!r} does not follow the {ctx.locale} date order (year first)",
                _date_hint(ctx),
            )
        month, day = (int(a), int(b)) if order == "MDY" else (int(b), int(a))
        try:
            return _build(text, ctx, year, month, day, hh, mm, ss, ampm)
        except Bad:
            reading = "month/day/year" if order == "MDY" else "day/month/year"
            message = f"{text!r} is not a valid date in {ctx.locale} ({reading})"
            try:
                _build(text, ctx, year, day, month, hh, mm, ss, ampm)
                other = "day/month/year" if order == "MDY" else "month/day/year"
                message += f"; it looks like {other}"
            except Bad:
                pass
            raise Bad(Code.BAD_DATE, message, _date_hint(ctx)) from None
    raise Bad(Code.BAD_DATE, f"{text!r} is not a date", _date_hint(ctx))


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # Excel's two-digit year rule: 00-29 -> 20xx, 30-99 -> 19xx
        return 2000 + year if year < 30 else 1900 + year
    return year


def _build(
    text: str,
    ctx: CoerceContext,
    y: int,
    mo: int,
    d: int,
    hh: str | None,
    mm: str | None,
    ss: str | None,
    ampm: str | None,
) -> dt.datetime:
    hour = int(hh or 0)
    if ampm:
        if not 1 <= hour <= 12:
            raise Bad(Code.BAD_DATE, f"{text!r} has an invalid hour", _date_hint(ctx))
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    try:
        moment = dt.datetime(y, mo, d, hour, int(mm or 0), int(ss or 0))
    except ValueError:
        raise Bad(Code.BAD_DATE, f"{text!r} is not a valid date", _date_hint(ctx)) from None
    if not 1900 <= moment.year <= 2199:
        raise Bad(Code.BAD_DATE, f"{text!r} is outside 1900-2199", _date_hint(ctx))
    return moment


def _date_hint(ctx: CoerceContext) -> str:
    return "Type the date as YYYY-MM-DD (e.g. 2026-03-05) or enter it as a date cell."


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)


# --- whole columns ------------------------------------------------------------------


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


def _blank_mask(series: pd.Series) -> np.ndarray:
    mask = series.isna().to_numpy(dtype=bool).copy()
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
        values = series.astype("datetime64[ns]")
        if col.kind is Kind.DATE:
            values = values.dt.normalize()
    else:
        values = _coerce_by_distinct(
            series, _coercer(col, ctx), bad, text=col.kind in (Kind.ID, Kind.TEXT, Kind.CHOICE)
        )
    if raw_cells:
        convert = _coercer(col, ctx)
        overrides: dict[int, object] = {}
        for pos, raw in raw_cells.items():
            try:
                if isinstance(raw, CellErrorValue):
                    raise _cell_error(raw)
                overrides[pos] = convert(raw)
            except Bad as exc:
                exc.raw = raw.text if isinstance(raw, CellErrorValue) else raw
                bad[pos] = exc
                overrides[pos] = None
        values = values.astype(object) if values.dtype != object else values.copy()
        for pos, value in overrides.items():
            values.iat[pos] = value
    return ColumnResult(_finish(values, col), bad)


def _cell_error(value: CellErrorValue) -> Bad:
    return Bad(
        Code.CELL_ERROR,
        f"the cell shows the Excel error {value.text}",
        "Fix the formula, or type the value itself.",
    )


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
    out = out.str.replace(_ZERO_WIDTH.pattern, "", regex=True).str.strip()
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
        value = raw.item() if isinstance(raw, np.generic) else raw
        if isinstance(value, str) and not value.strip():
            converted.append(None)
            continue
        try:
            if isinstance(value, CellErrorValue):
                raise _cell_error(value)
            converted.append(convert(value))
        except Bad as exc:
            exc.raw = value.text if isinstance(value, CellErrorValue) else value
            failed[k] = exc
            converted.append(None)
    for k, exc in failed.items():
        for pos in np.flatnonzero(codes == k):
            bad[int(pos)] = exc
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


# --- sheets -------------------------------------------------------------------------


def empty_frame(sheet: Sheet) -> pd.DataFrame:
    """A frame with the sheet's columns and no rows."""
    return _typed_frame(
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


def _typed_frame(sheet: Sheet, columns: dict[str, object], rows: pd.Series) -> pd.DataFrame:
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


@dataclass
class _SheetParse:
    frame: pd.DataFrame
    layout: Layout
    issues: list[Issue]
    rejected: pd.DataFrame | None = None


def _match_headers(
    table: RawTable, sheet: Sheet
) -> tuple[dict[str, int], list[Issue], tuple[str, ...]]:
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
                issues.append(
                    Issue(
                        Code.UNKNOWN_COLUMN,
                        Severity.NOTE,
                        f"column {text!r} is not part of the standard {sheet.name} sheet; "
                        "it is kept and ignored",
                        where,
                        "Nothing to do, unless it is a misspelt standard column.",
                    )
                )
            continue
        if col.key in found:
            issues.append(
                Issue(
                    Code.DUPLICATE_COLUMN,
                    Severity.ERROR,
                    f"column {col.header!r} appears twice; only the first is read",
                    where,
                    "Delete or rename one of the two columns.",
                )
            )
            continue
        found[col.key] = pos
    for col in sheet.columns:
        if col.required and col.key not in found:
            issues.append(
                Issue(
                    Code.MISSING_COLUMN,
                    Severity.ERROR,
                    f"required column {col.header!r} is missing",
                    CellRef(table.name, table.header_row, 0),
                    f"Add a column headed {col.header!r} to the {sheet.name} sheet.",
                )
            )
    return found, issues, tuple(extras)


def parse_sheet(table: RawTable, sheet: Sheet, ctx: CoerceContext) -> _SheetParse:
    """Type one input sheet and report its cell-level problems."""
    found, issues, extras = _match_headers(table, sheet)
    layout = Layout(
        table.name,
        table.header_row,
        {key: table.column_number(pos) for key, pos in found.items()},
        extras,
    )
    if any(i.code is Code.MISSING_COLUMN for i in issues):
        return _SheetParse(empty_frame(sheet), layout, issues)
    data = table.data
    n = len(data)
    raw_by_col: dict[int, dict[int, object]] = {}
    for (r, c), raw in table.raw_cells.items():
        raw_by_col.setdefault(c, {})[r] = raw
    blank = np.ones(n, dtype=bool)
    for pos in found.values():
        if not blank.any():  # every row already has a value somewhere
            break
        col_blank = _blank_mask(data[data.columns[pos]])
        for r in raw_by_col.get(pos, {}):
            col_blank[r] = False
        blank &= col_blank
    keep = np.flatnonzero(~blank)
    rows = pd.Series(table.header_row + 1 + keep, dtype="int64")
    raw_cols: dict[str, pd.Series] = {}
    problems: dict[str, dict[int, Bad]] = {}
    for col in sheet.columns:
        if col.key not in found:
            raw_cols[col.key] = pd.Series([col.default] * len(keep), dtype=object)
            continue
        pos = found[col.key]
        series = data[data.columns[pos]]
        if len(keep) < n:
            series = series.iloc[keep].reset_index(drop=True)
        overrides = _renumber(raw_by_col.get(pos, {}), keep)
        result = coerce_column(series, col, ctx, overrides)
        raw_cols[col.key] = result.values
        problems[col.key] = result.bad
    issues += _merged_issues(table, found, keep)
    frame, rejected, cell_issues = _validate_rows(sheet, layout, raw_cols, problems, rows, found)
    return _SheetParse(frame, layout, issues + cell_issues, rejected)


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


def _validate_rows(
    sheet: Sheet,
    layout: Layout,
    raw_cols: dict[str, pd.Series],
    problems: dict[str, dict[int, Bad]],
    rows: pd.Series,
    found: Mapping[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[Issue]]:
    issues: list[Issue] = []
    n = len(rows)
    unusable = np.zeros(n, dtype=bool)
    key_values = raw_cols.get(sheet.key) if sheet.key else None

    def row_id(i: int) -> str | None:
        if key_values is None:
            return None
        v = key_values.iat[i]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    def excerpt(i: int, col: Column, shown: object) -> tuple[tuple[str, str], ...]:
        parts: list[tuple[str, str]] = []
        if sheet.key and sheet.key != col.key and row_id(i):
            parts.append((sheet.column(sheet.key).header, str(row_id(i))))
        parts.append((col.header, "(hidden: personal data)" if col.phi else _show(shown)))
        return tuple(parts)

    for col in sheet.columns:
        values = raw_cols[col.key]
        for pos, exc in problems.get(col.key, {}).items():
            message = exc.message if not col.phi else f"the value is not valid ({exc.code.value})"
            issues.append(
                Issue(
                    exc.code,
                    Severity.ERROR,
                    f"{col.header}: {message}",
                    layout.cell(col.key, int(rows.iat[pos])),
                    exc.hint,
                    row_id(pos),
                    excerpt=excerpt(pos, col, exc.raw),
                )
            )
            if col.required:
                unusable[pos] = True
        bad_rows = problems.get(col.key, {})
        missing = values.isna().to_numpy(dtype=bool)
        if col.key not in found:
            continue
        if col.required:
            for pos in np.flatnonzero(missing):
                if int(pos) in bad_rows:
                    continue
                issues.append(
                    Issue(
                        Code.MISSING_VALUE,
                        Severity.ERROR,
                        f"{col.header} is required but empty",
                        layout.cell(col.key, int(rows.iat[pos])),
                        f"Fill in {col.header}, or delete the row if it is not needed.",
                        row_id(int(pos)),
                    )
                )
                unusable[pos] = True
        elif col.default is not None and missing.any():
            values = values.where(~missing, other=col.default)
            raw_cols[col.key] = values
        issues += _range_issues(col, values, layout, rows, row_id)
    if sheet.key and sheet.column(sheet.key).unique:
        issues += _duplicate_issues(sheet, raw_cols[sheet.key], layout, rows)
    for col in sheet.columns:
        if col.unique and col.key != sheet.key:
            issues += _duplicate_issues(sheet, raw_cols[col.key], layout, rows, col)

    def subset(mask: np.ndarray) -> pd.DataFrame | None:
        if not mask.any():
            return None
        if mask.all():
            return _typed_frame(sheet, raw_cols, rows)
        part = {k: v[mask].reset_index(drop=True) for k, v in raw_cols.items()}
        return _typed_frame(sheet, part, rows[mask].reset_index(drop=True))

    kept = subset(~unusable)
    return (empty_frame(sheet) if kept is None else kept), subset(unusable), issues


def _range_issues(
    col: Column,
    values: pd.Series,
    layout: Layout,
    rows: pd.Series,
    row_id: Callable[[int], str | None],
) -> list[Issue]:
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
    return [
        Issue(
            Code.OUT_OF_RANGE,
            Severity.ERROR,
            f"{col.header} must be {rule}",
            layout.cell(col.key, int(rows.iat[pos])),
            hint,
            row_id(int(pos)),
        )
        for pos in np.flatnonzero(too_small.fillna(False).to_numpy(dtype=bool))
    ]


def _duplicate_issues(
    sheet: Sheet, values: pd.Series, layout: Layout, rows: pd.Series, col: Column | None = None
) -> list[Issue]:
    col = col or sheet.column(sheet.key or "")
    present = values.notna()
    dup = values.duplicated(keep="first") & present
    if not dup.any():
        return []
    first_row = {}
    for pos, value in enumerate(values.tolist()):
        if value is not None and value not in first_row:
            first_row[value] = int(rows.iat[pos])
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


# --- the Practice sheet -------------------------------------------------------------


def parse_settings(table: RawTable | None) -> tuple[Settings, list[Issue]]:
    """Read the key/value Practice sheet into ``Settings``."""
    settings, issues, _ = _parse_practice(table)
    return settings, issues


def _parse_practice(table: RawTable | None) -> tuple[Settings, list[Issue], _SheetParse]:
    if table is None:
        empty = _SheetParse(
            empty_frame(PRACTICE), Layout("Practice", 1, _default_columns(PRACTICE)), []
        )
        return Settings(), [], empty
    parsed = parse_sheet(table, PRACTICE, CoerceContext())
    issues = list(parsed.issues)
    known = {normalize_header(s.key): s for s in WORKBOOK.settings}
    values: dict[str, object] = {}
    rows: dict[str, int] = {}
    layout = parsed.layout
    for key, raw, row in zip(
        parsed.frame["key"], parsed.frame["value"], parsed.frame[ROW], strict=True
    ):
        setting = known.get(normalize_header(str(key)))
        where = layout.cell("key", int(row))
        if setting is None:
            issues.append(
                Issue(
                    Code.UNKNOWN_SETTING,
                    Severity.WARNING,
                    f"setting {key!r} is not known; it is ignored",
                    where,
                    "Check the spelling against the Practice settings list.",
                )
            )
            continue
        if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw) == "nan":
            continue
        rows[setting.key] = int(row)
        try:
            values[setting.key] = _setting_value(setting, str(raw))
        except Bad as exc:
            issues.append(
                Issue(
                    Code.BAD_SETTING,
                    Severity.ERROR,
                    f"{setting.key}: {exc.message}",
                    layout.cell("value", int(row)),
                    exc.hint,
                )
            )
    settings, issues = _settings_from(values, rows, layout, issues)
    return settings, issues, parsed


def _setting_value(setting: Setting, text: str) -> object:
    ctx = CoerceContext()
    if setting.kind is Kind.INTEGER:
        return coerce_integer(text, ctx)
    if setting.kind is Kind.DATE:
        return coerce_datetime(text, ctx, date_only=True).date()
    if setting.kind is Kind.CHOICE:
        return coerce_choice(text, setting.choices)
    return _clean_text(text)


def _settings_from(
    values: dict[str, object], rows: dict[str, int], layout: Layout, issues: list[Issue]
) -> tuple[Settings, list[Issue]]:
    def bad(key: str, message: str, hint: str) -> None:
        issues.append(
            Issue(
                Code.BAD_SETTING,
                Severity.ERROR,
                f"{key}: {message}",
                layout.cell("value", rows[key]),
                hint,
            )
        )
        values.pop(key, None)

    currency = str(values.get("currency", "USD")).upper()
    if not money.is_currency(currency):
        bad(
            "currency",
            f"{currency!r} is not an ISO 4217 currency code",
            "Use a three-letter code such as USD, CAD, EUR or GBP.",
        )
    else:
        values["currency"] = currency
    if "locale" in values:
        loc = str(values["locale"]).replace("-", "_")
        if money.known_locale(loc):
            values["locale"] = str(Locale.parse(loc))
        else:
            bad(
                "locale",
                f"{values['locale']!r} is not a known locale",
                "Use a locale such as en_US, en_CA, fr_CA or de_DE.",
            )
    if "timezone" in values:
        try:
            ZoneInfo(str(values["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            bad(
                "timezone",
                f"{values['timezone']!r} is not an IANA time zone",
                "Use a zone such as America/New_York or Europe/London.",
            )
    if "aging_buckets" in values:
        try:
            bounds = tuple(int(p) for p in str(values["aging_buckets"]).split(","))
            if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
                raise ValueError
            values["aging_buckets"] = bounds
        except ValueError:
            bad(
                "aging_buckets",
                f"{values['aging_buckets']!r} is not a list of increasing days",
                "Write the bucket limits as increasing days, e.g. 30,60,90,120.",
            )
    for key in ("payment_terms_days", "pattern_count", "pattern_days"):
        if key in values and int(values[key]) < 0:  # type: ignore[call-overload]
            bad(key, "must not be negative", f"Set {key} to 0 or more.")
    fields = {f for f in Settings.__dataclass_fields__ if f != "info"}
    known = {k: v for k, v in values.items() if k in fields}
    info = {k: v for k, v in values.items() if k not in fields}
    return Settings(**known, info=info), issues  # type: ignore[arg-type]


# --- the whole book -----------------------------------------------------------------


def parse(
    tables: Iterable[RawTable], *, schema_version: int | None = None
) -> tuple[Book, list[Issue]]:
    """Type every input sheet of a workbook and collect every problem.

    Args:
        tables: raw tables as read from a file, a live workbook or a test.
        schema_version: the version recorded in the workbook, when known.

    Returns:
        The ``Book`` and the list of issues (not yet sorted; ``api.load`` sorts them).
    """
    by_name = {normalize_header(t.name): t for t in tables}
    settings, issues, practice = _parse_practice(by_name.get(normalize_header("Practice")))
    ctx = CoerceContext(settings.locale, settings.currency)
    frames: dict[str, pd.DataFrame] = {"Practice": practice.frame}
    layouts: dict[str, Layout] = {"Practice": practice.layout}
    rejected: dict[str, pd.DataFrame] = {}
    for sheet in WORKBOOK.sheets:
        if sheet is PRACTICE:
            continue
        table = by_name.get(normalize_header(sheet.name))
        if table is None:
            frames[sheet.name] = empty_frame(sheet)
            layouts[sheet.name] = Layout(sheet.name, 1, _default_columns(sheet))
            if sheet.required:
                issues.append(
                    Issue(
                        Code.MISSING_SHEET,
                        Severity.ERROR,
                        f"the {sheet.name} sheet is missing",
                        CellRef(sheet.name),
                        f"Add a sheet named {sheet.name} "
                        "(practicebook new writes a workbook with every sheet).",
                    )
                )
            continue
        parsed = parse_sheet(table, sheet, ctx)
        frames[sheet.name] = parsed.frame
        layouts[sheet.name] = parsed.layout
        if parsed.rejected is not None and len(parsed.rejected):
            rejected[sheet.name] = parsed.rejected
        issues += parsed.issues
    if schema_version is not None and schema_version > WORKBOOK.version:
        issues.append(
            Issue(
                Code.NEWER_SCHEMA,
                Severity.WARNING,
                f"the workbook uses schema version {schema_version}; this practicebook "
                f"understands version {WORKBOOK.version}",
                CellRef("Lists"),
                "Upgrade practicebook: pip install -U practicebook.",
            )
        )
    book = Book(settings, frames, layouts, schema_version, rejected)
    return book, issues


def _default_columns(sheet: Sheet) -> dict[str, int]:
    return {col.key: i + 1 for i, col in enumerate(sheet.columns)}
