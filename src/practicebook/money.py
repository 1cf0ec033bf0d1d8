"""Exact money: ``Decimal`` at the edges, integer minor units inside frames.

Amounts are rounded half-up (away from zero on .5, like Excel's ``ROUND``) to the
currency's minor unit taken from babel's currency data, once, where an amount is read
or derived. Sums are sums of rounded integers, so they are exact. No float arithmetic.

**Limits.** A cell holds at most ``MAX_AMOUNT`` (1,000,000,000) in the currency's major
unit, and never more than ``MAX_MINOR`` (10**12) minor units, so the two currencies with
four decimals (CLF, UYW) stop at 100,000,000.0000; larger cells are refused when read
(``amount-too-large``). Every total is then exact in 64 bits: each ledger line comes
from one row of Sessions, Payments or Adjustments (a session's fee is at most its rate,
since a percent fee is at most 100), a sheet has at most 1,048,575 data rows (Excel's
limit), and 3 x 1,048,575 x 10**12 is about 3.1 x 10**18, under the 9.2 x 10**18 an
``int64`` holds, whatever the currency's digits.

>>> digits("USD"), digits("JPY"), digits("BHD")
(2, 0, 3)
>>> to_minor(Decimal("2.675"), "USD"), to_minor(Decimal("-0.125"), "USD")
(268, -13)
>>> from_minor(123450, "BHD")
Decimal('123.450')
>>> max_amount("USD"), max_amount("CLF")
(Decimal('1000000000.00'), Decimal('100000000.0000'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.numbers import list_currencies as _list_currencies

__all__ = [
    "MAX_AMOUNT",
    "MAX_MINOR",
    "Decimal",
    "MoneyTextError",
    "digits",
    "from_minor",
    "is_currency",
    "max_amount",
    "max_minor",
    "parse_money_text",
    "parse_number_text",
    "quantize",
    "to_minor",
    "within_limit",
]

#: The largest amount one cell may hold, in the currency's major unit.
MAX_AMOUNT = Decimal(1_000_000_000)
#: ... and never more minor units than this (see the module docstring for why).
MAX_MINOR = 10**12


@cache
def is_currency(code: str) -> bool:
    """True for an ISO 4217 code babel knows (``USD``, ``CAD``, ``JPY``…)."""
    return code in _list_currencies()


@cache
def digits(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (USD 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(currency))


@cache
def max_minor(currency: str) -> int:
    """The largest amount a cell may hold in ``currency`` (either sign), in minor units."""
    return min(int(MAX_AMOUNT) * int(10 ** digits(currency)), MAX_MINOR)


@cache
def max_amount(currency: str) -> Decimal:
    """The largest amount a cell may hold in ``currency`` (either sign)."""
    return from_minor(max_minor(currency), currency)


def within_limit(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` is finite and at most ``max_amount(currency)`` either way.

    >>> within_limit(Decimal("1000000000.00"), "USD"), within_limit(Decimal("1e300"), "USD")
    (True, False)
    """
    return amount.is_finite() and abs(amount) <= max_amount(currency)


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


# --- amounts typed as text ----------------------------------------------------------


class MoneyTextError(ValueError):
    """Text that is not an amount; ``ambiguous`` when it could mean two different ones."""

    def __init__(self, reason: str, *, ambiguous: bool = False) -> None:
        self.reason = reason
        self.ambiguous = ambiguous
        super().__init__(reason)


_WHOLE = re.compile(r"^-?[0-9]+$")  # ASCII digits only: \d would take any script's digits
_INVISIBLE = re.compile("[\u200b-\u200f\u2066-\u2069\ufeff]")  # zero-width and direction marks
_SPACES = frozenset(" \u00a0\u202f\u2009")  # space, no-break, narrow no-break, thin
_APOSTROPHES = frozenset("'\u2019")  # what Swiss grouping is typed with
_BODY = frozenset("0123456789.,") | _SPACES | _APOSTROPHES
_SIGNS = {"-": True, "\u2212": True, "+": False}  # sign -> negative


@dataclass(frozen=True)
class _Convention:
    """One way of writing numbers: the decimal mark, the group marks, the group sizes
    (the last group, then the ones before it: ``(3, 2)`` is lakh grouping ``1,00,000``)."""

    decimal: str
    groups: frozenset[str]
    sizes: tuple[int, int] = (3, 3)


#: The conventions a text could have been written in, whatever the workbook's locale.
_CONVENTIONS = (
    _Convention(".", frozenset(",")),
    _Convention(",", frozenset(".")),
    _Convention(",", _SPACES),
    _Convention(".", _SPACES),
    _Convention(".", _APOSTROPHES),
    _Convention(",", _APOSTROPHES),
)


def parse_money_text(text: str, locale: str, currency: str) -> Decimal:
    """Read an amount typed as text, strictly, in the workbook's locale.

    The text is ASCII digits, the locale's decimal and group marks (grouped as the locale
    groups), a sign or accounting parentheses, and the currency's symbol or code; at most
    the currency's decimals. Anything else raises ``MoneyTextError``: ``ambiguous`` when
    its marks are not where the locale puts them, or another way of writing numbers would
    read it as a different amount (what the marks mean is unclear); not ambiguous when it
    is no number at all, or has too many decimals.

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
    >>> parse_money_text("1.234", "en_US", "USD")
    Traceback (most recent call last):
    ...
    practicebook.money.MoneyTextError: '1.234' does not follow en_US number format
    """
    return _parse(text, locale, currency, digits(currency), percent=False)


def parse_number_text(text: str, locale: str, currency: str | None = None) -> Decimal:
    """Read a number typed as text (hours, percent points, a fee value) in the locale.

    The rules of ``parse_money_text``, with any number of decimals and an optional
    percent sign; the currency's symbol is accepted when ``currency`` is given.

    >>> parse_number_text("12,5 %", "de_DE")
    Decimal('12.5')
    """
    return _parse(text, locale, currency, None, percent=True)


def _parse(
    text: str, locale: str, currency: str | None, places: int | None, *, percent: bool
) -> Decimal:
    raw = text.strip()
    if _WHOLE.match(raw):  # whole numbers read the same in every convention
        return Decimal(raw)
    tokens = _currency_tokens(locale, currency) if currency else ()
    body, negative = _strip_marks(_INVISIBLE.sub("", raw), tokens, percent)
    if not body or not set(body) <= _BODY or not any(ch.isdigit() for ch in body):
        raise MoneyTextError(f"{raw!r} is not an amount" if places is not None else _nan(raw))
    own = [v for c in _locale_conventions(locale) if (v := _read(body, c, places)) is not None]
    others = {v for c in _CONVENTIONS if (v := _read(body, c, places)) is not None}
    if own:
        value = own[0]
        if others - {value}:
            other = min(others - {value})
            raise MoneyTextError(
                f"{raw!r} could be {_plain(value)} or {_plain(other)}", ambiguous=True
            )
        return -value if negative else value
    if not others and places is not None:
        if _read(body, _locale_conventions(locale)[0], None) is not None:
            raise MoneyTextError(f"{raw!r} has more decimals than {currency} has ({places})")
    # digits and marks that no way of writing numbers reads: what the marks mean is unclear
    raise MoneyTextError(f"{raw!r} does not follow {locale} number format", ambiguous=True)


def _nan(raw: str) -> str:
    return f"{raw!r} is not a number"


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _strip_marks(text: str, tokens: tuple[str, ...], percent: bool) -> tuple[str, bool]:
    """The number part of ``text`` and whether it is negative: accounting parentheses,
    then at most one sign, one currency symbol or code and one percent sign, each at
    either end, in any order, with spaces beside them."""
    s = text.strip()
    negative = signed = symbol = pct = paren = False
    while True:
        before = s
        s = s.strip("".join(_SPACES))
        if not paren and not signed and len(s) > 1 and s[0] == "(" and s[-1] == ")":
            s, negative, signed, paren = s[1:-1], True, True, True
            continue
        if not signed and s and (s[0] in _SIGNS or s[-1] in _SIGNS):
            mark = s[0] if s[0] in _SIGNS else s[-1]
            s = s[1:] if s[0] in _SIGNS else s[:-1]
            negative, signed = _SIGNS[mark], True
            continue
        if not symbol:
            for token in tokens:
                if s.startswith(token) or s.endswith(token):
                    s = s[len(token) :] if s.startswith(token) else s[: -len(token)]
                    symbol = True
                    break
        if percent and not pct and s and "%" in (s[0], s[-1]):
            s, pct = (s[1:] if s[0] == "%" else s[:-1]), True
        if s == before:
            return s, negative


def _read(body: str, convention: _Convention, places: int | None) -> Decimal | None:
    """``body`` read in ``convention``, or None when it is not written that way (or has
    more than ``places`` decimals)."""
    allowed = frozenset("0123456789") | {convention.decimal} | convention.groups
    if not set(body) <= allowed:
        return None
    whole, mark, fraction = body.partition(convention.decimal)
    if mark and not (fraction.isascii() and fraction.isdigit()):
        return None
    if places is not None and len(fraction) > places:
        return None
    groups = re.split("|".join(map(re.escape, sorted(convention.groups))), whole)
    if not _grouped(groups, convention.sizes, whole_required=not mark):
        return None
    return Decimal("".join(groups) + ("." + fraction if fraction else "") or "0")


def _grouped(groups: list[str], sizes: tuple[int, int], *, whole_required: bool) -> bool:
    """True when ``groups`` (the whole part split at group marks) are sized as
    ``sizes`` says; a whole part without group marks may have any length."""
    if len(groups) == 1:
        return bool(groups[0]) or not whole_required
    last, inner = sizes
    first, middle, end = groups[0], groups[1:-1], groups[-1]
    return (
        1 <= len(first) <= inner
        and not first.startswith("0")
        and all(len(g) == inner for g in middle)
        and len(end) == last
    )


@cache
def _locale_conventions(locale: str) -> tuple[_Convention, ...]:
    """How ``locale`` writes numbers (and, when it groups otherwise, the same marks in
    groups of three, which read the same)."""
    try:
        loc = Locale.parse(locale)
        mark, group = get_decimal_symbol(loc), get_group_symbol(loc)
        grouping = loc.decimal_formats[None].grouping
    except (UnknownLocaleError, ValueError, TypeError, KeyError):
        mark, group, grouping = ".", ",", (3, 3)
    groups = next((s for s in (_SPACES, _APOSTROPHES) if group in s), frozenset(group))
    own = _Convention(mark, groups, (int(grouping[0]), int(grouping[1])))
    return (own,) if own.sizes == (3, 3) else (own, _Convention(mark, groups))


@cache
def _currency_tokens(locale: str, currency: str) -> tuple[str, ...]:
    """Symbols and codes of ``currency`` as people type them, longest first."""
    tokens = {currency, currency.lower()}
    for where in (locale, "en_US"):
        try:
            tokens.add(get_currency_symbol(currency, locale=where))
        except (UnknownLocaleError, ValueError):
            pass
    usable = (t for t in tokens if t and not any(ch.isdigit() or ch in _SIGNS for ch in t))
    return tuple(sorted(usable, key=len, reverse=True))


def known_locale(name: str) -> bool:
    """True when babel knows the locale identifier (``en_US``, ``de_CH``, ``fr_CA``…)."""
    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True
