"""Exact money: ``Decimal`` at the edges, integer minor units inside frames.

Amounts are rounded half-up (away from zero on .5, like Excel's ``ROUND``) to the
currency's minor unit taken from babel's currency data, once, where an amount is read
or derived. Sums are sums of rounded integers, so they are exact. No float arithmetic.

>>> digits("USD"), digits("JPY"), digits("BHD")
(2, 0, 3)
>>> to_minor(Decimal("2.675"), "USD"), to_minor(Decimal("-0.125"), "USD")
(268, -13)
>>> from_minor(123450, "BHD")
Decimal('123.450')
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    get_currency_symbol,
    parse_decimal,
)
from babel.numbers import list_currencies as _list_currencies

__all__ = [
    "Decimal",
    "MoneyTextError",
    "digits",
    "from_minor",
    "is_currency",
    "parse_money_text",
    "quantize",
    "to_minor",
]


@cache
def is_currency(code: str) -> bool:
    """True for an ISO 4217 code babel knows (``USD``, ``CAD``, ``JPY``…)."""
    return code in _list_currencies()


@cache
def digits(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (USD 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the currency's minor unit.

    >>> quantize(Decimal("1234.5"), "JPY")
    Decimal('1235')
    """
    return amount.quantize(Decimal(1).scaleb(-digits(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` as an integer count of minor units, rounded half-up."""
    return int(quantize(amount, currency).scaleb(digits(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units back to a ``Decimal`` with exactly the currency's digits."""
    d = digits(currency)
    return Decimal(int(minor)).scaleb(-d).quantize(Decimal(1).scaleb(-d))


class MoneyTextError(ValueError):
    """Text that is not an amount; ``ambiguous`` when it could mean two different ones."""

    def __init__(self, reason: str, *, ambiguous: bool = False) -> None:
        self.reason = reason
        self.ambiguous = ambiguous
        super().__init__(reason)


_DIGITS = re.compile(r"^-?\d+$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def parse_money_text(text: str, locale: str, currency: str) -> Decimal:
    """Read an amount typed as text, strictly, in the workbook's locale.

    Currency symbols and codes, spaces and a leading minus or accounting parentheses are
    accepted. Separators must follow the locale; anything else, or text that a different
    reading of the separators would turn into another amount, raises ``MoneyTextError``.

    >>> parse_money_text("$1,200.50", "en_US", "USD")
    Decimal('1200.50')
    >>> parse_money_text("1.234,50 €", "de_DE", "EUR")
    Decimal('1234.50')
    >>> parse_money_text("(75.00)", "en_US", "USD")
    Decimal('-75.00')
    >>> parse_money_text("1.234,50", "en_US", "USD")
    Traceback (most recent call last):
    ...
    practicebook.money.MoneyTextError: '1.234,50' does not follow en_US number format
    """
    raw = text.strip()
    if _DIGITS.match(raw):  # whole numbers read the same in every locale
        return Decimal(raw)
    body = raw
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1]
    for token in sorted(_currency_tokens(locale, currency), key=len, reverse=True):
        body = body.replace(token, "")
    body = _SPACES.sub("", body)
    if body.startswith("-"):
        negative, body = not negative, body[1:]
    elif body.endswith("-"):
        negative, body = not negative, body[:-1]
    if not body or not any(ch.isdigit() for ch in body):
        raise MoneyTextError(f"{raw!r} is not an amount")
    try:
        value = parse_decimal(body, locale=locale, strict=True)
    except NumberFormatError as exc:
        raise MoneyTextError(
            f"{raw!r} does not follow {locale} number format",
            ambiguous=bool(exc.suggestions),
        ) from None
    except (InvalidOperation, ValueError):
        raise MoneyTextError(f"{raw!r} is not an amount") from None
    return -value if negative else value


@cache
def _currency_tokens(locale: str, currency: str) -> tuple[str, ...]:
    tokens = {currency, currency.lower()}
    try:
        tokens.add(get_currency_symbol(currency, locale=locale))
        tokens.add(get_currency_symbol(currency, locale="en_US"))
    except UnknownLocaleError:
        pass
    return tuple(t for t in tokens if t and not any(ch.isdigit() for ch in t))


def known_locale(name: str) -> bool:
    """True when babel knows the locale identifier (``en_US``, ``de_CH``, ``fr_CA``…)."""
    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True
