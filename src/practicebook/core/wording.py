"""Words for findings and bases, built a whole column at a time.

A large practice raises tens of thousands of findings and fee bases; writing each in
Python would cost more than reconciling. These helpers turn whole columns of numbers,
days and IDs into text, each distinct value written once: ``text`` joins parts
element-wise, ``money_texts`` writes amounts with the currency's digits, ``hours_texts``
notice in hours, ``date_texts`` days, ``ordinals`` occurrence numbers.

Text for people (findings, fee bases, explanations) is written in the workbook's locale:
pass ``locale`` (``$1,234.50``, ``1.234,50 €``; ``Mar 5, 2026``, ``05.03.2026``; ``23,5``
hours). Without it, amounts are plain decimal text (``1234.50``) for machines.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from babel.numbers import get_decimal_symbol

from practicebook.l10n import format_date, format_money
from practicebook.money import digits

__all__ = [
    "date_texts",
    "hours_text",
    "hours_texts",
    "hundredths",
    "hundredths_texts",
    "money_texts",
    "ordinal",
    "ordinals",
    "text",
]


def text(*parts: object) -> np.ndarray:
    """Join strings and columns element-wise into one column of Python strings (the
    columns all of one length; blanks become empty text).

    >>> list(text("session ", np.array(["S1", "S2"], dtype=object), " lasted ",
    ...           np.array([30, 45]), " minutes"))
    ['session S1 lasted 30 minutes', 'session S2 lasted 45 minutes']
    """
    columns = [p if isinstance(p, str) else _as_text(np.asarray(p)) for p in parts]
    lengths = {len(c) for c in columns if not isinstance(c, str)}
    if not lengths:
        return np.asarray("".join(columns), dtype=object)  # type: ignore[arg-type]
    (n,) = lengths
    # one join per row: building the text part by part would make a string per part
    rows = zip(*([c] * n if isinstance(c, str) else c.tolist() for c in columns), strict=True)
    out = np.empty(n, dtype=object)
    out[:] = ["".join(row) for row in rows]
    return out


def _as_text(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "iubM":  # few distinct values: each is written once
        distinct, inverse = np.unique(values, return_inverse=True)
        if values.dtype.kind == "M":
            words = np.datetime_as_string(distinct, unit="D").astype(object)
        else:
            words = np.array([str(v) for v in distinct.tolist()], dtype=object)
        return words[inverse.reshape(-1)]
    if values.dtype == object:  # Python strings, or blank
        return np.where(pd.isna(values), "", values).astype(object)
    return values.astype(str).astype(object)


def hours_text(seconds: int) -> str:
    """Seconds as hours for people: ``24``, ``23.5``, ``-1.25``.

    >>> hours_text(86400), hours_text(84600), hours_text(-4500)
    ('24', '23.5', '-1.25')
    """
    value = (Decimal(seconds) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return format(value.normalize() + 0, "f")  # + 0 turns -0 into 0


def hours_texts(seconds: np.ndarray, locale: str | None = None) -> np.ndarray:
    """``hours_text`` for a whole column, in integer arithmetic (with ``locale``, its
    decimal sign).

    >>> list(hours_texts(np.array([86400, 84600, -4500, 90, -10])))
    ['24', '23.5', '-1.25', '0.03', '0']
    >>> list(hours_texts(np.array([84600]), "de_DE"))
    ['23,5']
    """
    centi, inverse = np.unique(hundredths(seconds), return_inverse=True)
    words = hundredths_texts(centi)
    if locale is not None and words.size:
        sign = get_decimal_symbol(locale)
        if sign != ".":
            words = np.array([w.replace(".", sign) for w in words.tolist()], dtype=object)
    return words[inverse.reshape(-1)]


def hundredths(seconds: np.ndarray) -> np.ndarray:
    """Seconds as signed hundredths of an hour, half-up (what ``hours_text`` shows)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    centi = (np.abs(seconds) * 100 + 1800) // 3600
    return np.asarray(np.where(seconds < 0, -centi, centi), dtype=np.int64)


def hundredths_texts(centi: np.ndarray) -> np.ndarray:
    """Signed hundredths of an hour as text, trailing zeros dropped (``-1.25``, ``23.5``)."""
    centi = np.asarray(centi, dtype=np.int64)
    whole, frac = np.divmod(np.abs(centi), 100)
    return text(np.where(centi < 0, "-", ""), whole, _FRACTIONS[frac])


_FRACTIONS = np.array([f".{f:02d}".rstrip("0") if f else "" for f in range(100)], dtype=object)


def money_texts(minor: np.ndarray, currency: str, locale: str | None = None) -> np.ndarray:
    """Minor units as plain decimal text with the currency's digits (``150.00``), or
    with ``locale`` as people there write amounts (``$150.00``, ``150,00 €``).

    >>> list(money_texts(np.array([15000, -5, 0]), "USD"))
    ['150.00', '-0.05', '0.00']
    >>> list(money_texts(np.array([123450, 15000]), "EUR", "de_DE"))
    ['1.234,50\xa0€', '150,00\xa0€']
    """
    minor, inverse = np.unique(np.asarray(minor, dtype=np.int64), return_inverse=True)
    if locale is None:
        words = _money_words(minor, currency)
    else:
        words = np.array([format_money(m, currency, locale) for m in minor.tolist()], dtype=object)
    return words[inverse.reshape(-1)]


def date_texts(days: np.ndarray, locale: str) -> np.ndarray:
    """Days (``datetime64``) as people in ``locale`` write them; blank for ``NaT``.

    >>> days = np.array(["2026-03-05", "NaT", "2026-03-05"], dtype="datetime64[D]")
    >>> list(date_texts(days, "en_US")), list(date_texts(days, "de_DE"))
    (['Mar 5, 2026', '', 'Mar 5, 2026'], ['05.03.2026', '', '05.03.2026'])
    """
    values = np.asarray(days).astype("datetime64[D]")
    distinct, inverse = np.unique(values, return_inverse=True)
    words = np.array(
        ["" if np.isnat(d) else format_date(d.astype(object), locale) for d in distinct],
        dtype=object,
    )
    return words[inverse.reshape(-1)]


def _money_words(minor: np.ndarray, currency: str) -> np.ndarray:
    places = digits(currency)
    if minor.size == 0:
        return np.empty(0, dtype=object)
    whole, part = np.divmod(np.abs(minor), 10**places)
    sign = np.where(minor < 0, "-", "")
    if not places:
        return text(sign, whole)
    return text(sign, whole, ".", np.char.zfill(part.astype(str), places))


def ordinals(numbers: np.ndarray) -> np.ndarray:
    """``ordinal`` for a whole column.

    >>> list(ordinals(np.array([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111])))
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']
    """
    n = np.asarray(numbers, dtype=np.int64)
    last = n % 10
    suffix = np.select(
        [(n % 100 >= 10) & (n % 100 <= 20), last == 1, last == 2, last == 3],
        ["th", "st", "nd", "rd"],
        "th",
    )
    return text(n, suffix.astype(object))


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``.

    >>> [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
