"""Money and dates as people read them, in the workbook's locale (babel).

>>> format_money(123450, "USD", "en_US")
'$1,234.50'
>>> format_money(-123450, "EUR", "de_DE")
'-1.234,50\\xa0€'
>>> format_money(1235, "JPY", "ja_JP")
'￥1,235'

May import: the standard library, babel and ``practicebook.money``.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency

from practicebook import money

__all__ = ["format_date", "format_money"]


def format_money(minor: int, currency: str, locale: str) -> str:
    """An amount in minor units, formatted for people (quantised first, never re-rounded)."""
    amount = money.from_minor(minor, currency)
    return format_currency(amount, currency, locale=locale, currency_digits=True)


def format_date(value: dt.date, locale: str) -> str:
    """A date in the locale's medium format (``Mar 5, 2026``; ``05.03.2026``)."""
    return _babel_date(value, format="medium", locale=locale)
