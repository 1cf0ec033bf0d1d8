"""One value at a time: the strict reading of a single cell by ``Kind``.

Every rule is plain Python over one value; a value that cannot be read raises ``Bad``
with the issue code and a hint, which the column and sheet readers turn into an ``Issue``
at its cell. Dates come from date cells, Excel serials, ISO text or the locale's numeric
format; amounts from numbers or money text in the workbook's locale.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pandas as pd
from babel import Locale
from babel.dates import get_date_format

from practicebook import money
from practicebook.issues import Code

__all__ = [
    "EXCEL_EPOCH",
    "ZERO_WIDTH",
    "Bad",
    "CoerceContext",
    "clean_text",
    "coerce_bool",
    "coerce_choice",
    "coerce_datetime",
    "coerce_decimal",
    "coerce_integer",
    "coerce_money",
    "coerce_text",
    "show",
]

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


#: Characters that are invisible in a cell but make two texts differ.
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff]")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?:[ T,]+(.+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_SERIAL = re.compile(r"^\d+(\.\d+)?$")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}


def clean_text(value: str) -> str:
    """``value`` trimmed, without zero-width characters, in composed (NFC) form."""
    return unicodedata.normalize("NFC", ZERO_WIDTH.sub("", value)).strip()


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
        raise Bad(Code.BAD_MONEY, f"{show(value)} is not an amount", "Type the amount as a number.")
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
        raise Bad(Code.BAD_NUMBER, f"{show(value)} is not a number", "Type a number.")
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
        f"{show(value)} is not TRUE or FALSE",
        "Type TRUE or FALSE (yes/no and 1/0 also work).",
    )


def coerce_choice(value: object, choices: tuple[str, ...]) -> str:
    """One of ``choices``, case-insensitive; spaces and hyphens read as underscores."""
    text = value if isinstance(value, str) else show(value)
    folded = re.sub(r"[\s-]+", "_", text.strip().casefold())
    if folded in choices:
        return folded
    raise Bad(
        Code.BAD_CHOICE,
        f"{show(value)} is not one of: {', '.join(choices)}",
        "Pick a value from the dropdown list.",
    )


def coerce_text(value: object) -> str:
    """Text as typed, trimmed; numbers become their shortest text (``90847``)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- dates and times ----------------------------------------------------------------


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
        return _datetime_text(clean_text(value), ctx)
    raise Bad(Code.BAD_DATE, f"{show(value)} is not a date", _date_hint(ctx))


def _from_serial(serial: float, ctx: CoerceContext) -> dt.datetime:
    if not math.isfinite(serial) or serial < 61 or serial > 109_574:  # 1900-03-01..2199
        raise Bad(Code.BAD_DATE, f"{show(serial)} is not a date serial number", _date_hint(ctx))
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    return moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))


def _datetime_text(text: str, ctx: CoerceContext) -> dt.datetime:
    if m := _ISO.match(text):
        y, mo, d, hh, mm, ss = m.groups()
        return _build(text, ctx, int(y), int(mo), int(d), hh, mm, ss, None)
    if _SERIAL.match(text):
        return _from_serial(float(text), ctx)
    if m := _NUMERIC_DATE.match(text):
        return _numeric_date(text, m, ctx)
    raise Bad(Code.BAD_DATE, f"{text!r} is not a date", _date_hint(ctx))


def _numeric_date(text: str, match: re.Match[str], ctx: CoerceContext) -> dt.datetime:
    """``a/b/c`` with an optional time: year first when ``a`` has four digits, otherwise
    in the locale's order, which must not be year first (a two-digit year is unsettled)."""
    a, _, b, c, time_text = match.groups()
    hh, mm, ss, ampm = _time_of_day(text, time_text, ctx)
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
        raise _invalid_in_locale(text, ctx, year, month, day, (hh, mm, ss, ampm)) from None


_TimeParts = tuple[str | None, str | None, str | None, str | None]  # hour, minute, second, am/pm


def _time_of_day(text: str, time_text: str | None, ctx: CoerceContext) -> _TimeParts:
    if not time_text:
        return None, None, None, None
    t = _TIME.match(time_text.strip())
    if not t:
        raise Bad(Code.BAD_DATE, f"{text!r} has an unreadable time", _date_hint(ctx))
    hh, mm, ss, ampm = t.groups()
    return hh, mm, ss, ampm


def _invalid_in_locale(
    text: str, ctx: CoerceContext, year: int, month: int, day: int, time: _TimeParts
) -> Bad:
    """The problem with a numeric date that is not valid in the locale's order, naming
    the other order when the date would be valid that way round."""
    order = ctx.date_order
    reading = "month/day/year" if order == "MDY" else "day/month/year"
    message = f"{text!r} is not a valid date in {ctx.locale} ({reading})"
    try:
        _build(text, ctx, year, day, month, *time)
        other = "day/month/year" if order == "MDY" else "month/day/year"
        message += f"; it looks like {other}"
    except Bad:
        pass
    return Bad(Code.BAD_DATE, message, _date_hint(ctx))


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


def show(value: object) -> str:
    """``value`` as a message shows it: text quoted, whole floats without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)
