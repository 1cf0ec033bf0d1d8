"""One value at a time: the strict reading of a single cell by ``Kind``.

Every rule is plain Python over one value; a value that cannot be read raises ``Bad``
with the issue code and a hint, which the column and sheet readers turn into an ``Issue``
at its cell. Dates come from date cells, Excel serials, ISO text or the locale's numeric
format, between ``FIRST_DAY`` and ``LAST_DAY``; amounts from numbers or money text in the
workbook's locale, at most ``money.max_amount``; other numbers at most ``MAX_NUMBER``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd
from babel import Locale
from babel.dates import get_date_format

from practicebook import money
from practicebook.issues import Code
from practicebook.model import CellErrorValue, FormulaWithoutValue

__all__ = [
    "EXCEL_EPOCH",
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_NUMBER",
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
    "date_range_problem",
    "formula_without_value",
    "show",
]

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: The first and last day a date cell may hold. Excel's serials before 1 March 1900 count
#: a 29 February 1900 that never was (and a time alone is a serial below 1), so earlier
#: dates cannot be trusted; 2199 leaves every date practicebook derives inside pandas'
#: range (to 2262).
FIRST_DAY = dt.datetime(1900, 3, 1)
LAST_DAY = dt.date(2199, 12, 31)
_AFTER_LAST = dt.datetime(2200, 1, 1)
#: The largest number (either sign) read from an integer or decimal cell.
MAX_NUMBER = money.MAX_AMOUNT


class Bad(Exception):
    """A value that cannot be read; carries the issue code and a hint.

    ``rejects_row``: the row cannot take part in any figure, whatever the column (a
    formula without a saved value, a number beyond the limits), so it is kept apart like
    a row whose required value is unreadable.
    """

    def __init__(self, code: Code, message: str, hint: str = "", *, rejects_row: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.rejects_row = rejects_row
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


#: Characters a terminal acts on or that reorder what it shows: C0 and C1 controls other
#: than tab and line breaks (ESC starts an escape sequence, C1 CSI is one), bidirectional
#: embeddings, overrides and isolates.
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def without_terminal_controls(text: str) -> str:
    """``text`` with each of ``TERMINAL_CONTROLS`` as U+FFFD, line breaks and tabs kept:
    text from a file that is printed (a practice name, a description).

    >>> without_terminal_controls("Therapy\\x1b[2J\\n\\u202eweekly")
    'Therapy\\ufffd[2J\\n\\ufffdweekly'
    """
    return TERMINAL_CONTROLS.sub("\ufffd", text)


def fold_id(text: str) -> str:
    """An ID as near-duplicates compare: letter case and character width ignored
    (``c0001``, ``C0001`` and ``C0001`` typed with full-width letters fold to one). IDs
    themselves stay exact.

    >>> fold_id("c0001") == fold_id("C0001") == fold_id("\uff23\uff10001")
    True
    """
    return unicodedata.normalize("NFKC", text).casefold()


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
        if not value.is_finite():
            raise Bad(Code.BAD_NUMBER, f"{value} is not a number")
        return value
    if isinstance(value, np.generic):
        return _number(value.item())
    raise Bad(Code.BAD_NUMBER, f"a {type(value).__name__} value is not a number")


#: Cell values that are never read as numbers, whatever they hold.
_NOT_NUMBERS = (dt.date, dt.time, bool, np.bool_, np.datetime64, np.timedelta64)


def coerce_money(value: object, ctx: CoerceContext) -> int:
    """Minor units of the practice currency; at most ``money.max_amount`` either way."""
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
    elif isinstance(value, _NOT_NUMBERS):
        raise Bad(Code.BAD_MONEY, f"{show(value)} is not an amount", "Type the amount as a number.")
    else:
        try:
            amount = _number(value)
        except Bad as exc:
            raise Bad(Code.BAD_MONEY, exc.message, "Type the amount as a number.") from None
    if not money.within_limit(amount, ctx.currency):
        most = money.max_amount(ctx.currency)
        raise Bad(
            Code.AMOUNT_TOO_LARGE,
            f"{show(value)} is more than {most:,} {ctx.currency}, the largest amount a cell "
            "may hold",
            "Check the amount (a reference or an account number pasted into an amount cell "
            "looks like this); split a larger sum over several rows.",
            rejects_row=True,
        )
    return money.to_minor(amount, ctx.currency)


def _example_amount(ctx: CoerceContext) -> str:
    from babel.numbers import format_decimal

    return format_decimal(Decimal("1200.50"), format="#,##0.00", locale=ctx.locale)


def coerce_decimal(value: object, ctx: CoerceContext) -> Decimal:
    """An exact number (percent points, hours), at most ``MAX_NUMBER`` either way."""
    if isinstance(value, str):
        try:
            number = money.parse_number_text(value, ctx.locale, ctx.currency)
        except money.MoneyTextError as exc:
            raise Bad(Code.BAD_NUMBER, exc.reason, "Type a number, e.g. 50.") from None
    elif isinstance(value, _NOT_NUMBERS):
        raise Bad(Code.BAD_NUMBER, f"{show(value)} is not a number", "Type a number.")
    else:
        number = _number(value).normalize() if isinstance(value, float) else _number(value)
    if abs(number) > MAX_NUMBER:
        raise Bad(
            Code.OUT_OF_RANGE,
            f"{show(value)} is beyond {MAX_NUMBER:,}, the largest number practicebook reads",
            "Check the number; it is far larger than any count, duration or percentage.",
            rejects_row=True,
        )
    return number


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
    """A date-time from a date cell, an Excel serial, ISO text or the locale's format,
    between ``FIRST_DAY`` and ``LAST_DAY``."""
    if isinstance(value, bool):
        raise Bad(Code.BAD_DATE, "a TRUE/FALSE value is not a date", _date_hint(ctx))
    if isinstance(value, np.datetime64):
        value = _from_datetime64(value)
    if value is pd.NaT:
        raise Bad(Code.BAD_DATE, "the cell holds no date", _date_hint(ctx))
    if isinstance(value, pd.Timestamp):
        value = _from_timestamp(value)
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)  # the wall-clock time the cell shows
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, dt.time):
        raise _time_alone(value)
    elif isinstance(value, str):
        return _datetime_text(clean_text(value), ctx)
    elif isinstance(value, (int, float, Decimal, np.number, np.bool_)):
        return _from_serial(float(value), ctx)
    else:
        raise Bad(Code.BAD_DATE, f"{show(value)} is not a date", _date_hint(ctx))
    problem = date_range_problem(moment)
    if problem is not None:
        raise problem
    return moment


def _from_datetime64(value: np.datetime64) -> object:
    try:
        return pd.Timestamp(value)
    except (ValueError, OverflowError):
        raise _beyond_python() from None


def _from_timestamp(value: pd.Timestamp) -> dt.datetime:
    try:
        moment: dt.datetime = value.to_pydatetime()
    except (ValueError, OverflowError):
        raise _beyond_python() from None
    return moment


def _beyond_python() -> Bad:
    return Bad(
        Code.BAD_DATE,
        f"the date is outside the dates practicebook reads ({FIRST_DAY:%Y-%m-%d} to "
        f"{LAST_DAY:%Y-%m-%d})",
        "Correct the year.",
    )


def date_range_problem(moment: dt.datetime) -> Bad | None:
    """Why a date cell's value is refused (a time alone, a day outside ``FIRST_DAY``..
    ``LAST_DAY``), or None when it is a usable date."""
    moment = moment.replace(tzinfo=None)
    if FIRST_DAY <= moment < _AFTER_LAST:
        return None
    if moment.date() in (dt.date(1899, 12, 30), dt.date(1899, 12, 31)):
        return _time_alone(moment.time())
    return Bad(
        Code.BAD_DATE,
        f"{moment:%Y-%m-%d} is outside the dates practicebook reads "
        f"({FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d})",
        "Correct the year; Excel's dates before 1 March 1900 are not reliable.",
    )


def _time_alone(time: dt.time) -> Bad:
    return Bad(
        Code.BAD_DATE,
        f"the cell holds a time of day ({time:%H:%M}) without a date",
        "Type the date as well, e.g. 2026-03-05 10:30.",
    )


def _from_serial(serial: float, ctx: CoerceContext) -> dt.datetime:
    if not math.isfinite(serial) or serial < 61 or serial >= 109_575:  # 1900-03-01..2199
        raise Bad(Code.BAD_DATE, f"{show(serial)} is not a date serial number", _date_hint(ctx))
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))
    problem = date_range_problem(moment)
    if problem is not None:
        raise problem
    return moment


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
    if not FIRST_DAY <= moment < _AFTER_LAST:
        raise Bad(
            Code.BAD_DATE,
            f"{text!r} is outside {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}",
            _date_hint(ctx),
        )
    return moment


def _date_hint(ctx: CoerceContext) -> str:
    return "Type the date as YYYY-MM-DD (e.g. 2026-03-05) or enter it as a date cell."


def formula_without_value() -> Bad:
    """The problem with a formula cell saved without its result."""
    return Bad(
        Code.FORMULA_WITHOUT_VALUE,
        "the cell holds a formula whose result was not saved with the file",
        "Open the workbook in Excel or LibreOffice and save it (that stores every "
        "formula's result), or type the value itself.",
        rejects_row=True,
    )


def show(value: object) -> str:
    """``value`` as a message shows it: text quoted, whole floats without ``.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, CellErrorValue):
        return value.text
    if isinstance(value, FormulaWithoutValue):
        return "(formula without a saved result)"
    return str(value)
