from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practicebook import money


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("JPY", 0), ("BHD", 3), ("EUR", 2)])
def test_currency_digits_come_from_babel(currency, digits):
    assert money.digits(currency) == digits


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        ("2.675", 268),
        ("2.665", 267),
        ("0.125", 13),
        ("-0.125", -13),
        ("1.005", 101),
        ("150", 15000),
    ],
)
def test_rounding_is_half_up_away_from_zero(amount, minor):
    assert money.to_minor(Decimal(amount), "USD") == minor


def test_zero_and_three_digit_currencies():
    assert money.to_minor(Decimal("1234.5"), "JPY") == 1235
    assert money.from_minor(1235, "JPY") == Decimal("1235")
    assert money.from_minor(123450, "BHD") == Decimal("123.450")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_minor_units_round_trip_exactly(minor):
    assert money.to_minor(money.from_minor(minor, "USD"), "USD") == minor


@pytest.mark.parametrize(
    ("text", "locale", "currency", "expected"),
    [
        ("$1,200.50", "en_US", "USD", "1200.50"),
        ("1200.5", "en_US", "USD", "1200.5"),
        ("1.234,50", "de_DE", "EUR", "1234.50"),
        ("1.234,50 €", "de_DE", "EUR", "1234.50"),
        ("(75.00)", "en_US", "USD", "-75.00"),
        ("-75", "en_US", "USD", "-75"),
        ("CAD 90.00", "en_CA", "CAD", "90.00"),
    ],
)
def test_text_amounts_follow_the_locale(text, locale, currency, expected):
    assert money.parse_money_text(text, locale, currency) == Decimal(expected)


def test_other_locale_separators_are_never_silently_misread():
    # babel's lenient parser would read this as 1.2345 in en_US: a thousandfold error
    with pytest.raises(money.MoneyTextError) as info:
        money.parse_money_text("1.234,50", "en_US", "USD")
    assert info.value.ambiguous


@pytest.mark.parametrize("text", ["abc", "", "$", "12 apples"])
def test_non_amounts_are_refused(text):
    with pytest.raises(money.MoneyTextError):
        money.parse_money_text(text, "en_US", "USD")
