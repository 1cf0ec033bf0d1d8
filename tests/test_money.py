from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import list_currencies
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


@pytest.mark.parametrize(
    "text", ["6_90", "1_5", "1e3", "1E3", "0x10", "١٢٣", "\uff11\uff12\uff13", "NaN", "inf"]
)
def test_money_text_is_digits_separators_sign_and_symbol_only(text):
    with pytest.raises(money.MoneyTextError):
        money.parse_money_text(text, "en_US", "USD")


def test_number_text_takes_any_decimals_and_a_percent_sign():
    assert money.parse_number_text("12,5 %", "de_DE") == Decimal("12.5")
    assert money.parse_number_text("33.3333", "en_US") == Decimal("33.3333")
    with pytest.raises(money.MoneyTextError) as info:  # 33333 where "." groups thousands
        money.parse_number_text("33.333", "en_US")
    assert info.value.ambiguous
    with pytest.raises(money.MoneyTextError):
        money.parse_number_text("5%0", "en_US")


@pytest.mark.parametrize(
    ("currency", "largest"),
    [
        ("USD", "1000000000.00"),
        ("JPY", "1000000000"),
        ("BHD", "1000000000.000"),
        ("CLF", "100000000.0000"),  # four decimals: held to 10**12 minor units
    ],
)
def test_the_largest_amount_per_cell(currency, largest):
    assert money.max_amount(currency) == Decimal(largest)
    assert money.within_limit(Decimal(largest), currency)
    assert not money.within_limit(
        Decimal(largest) + Decimal(1).scaleb(-money.digits(currency)), currency
    )
    assert not money.within_limit(-Decimal(largest) * 2, currency)
    assert not money.within_limit(Decimal("NaN"), currency)


def test_no_total_of_capped_amounts_can_overflow_64_bits():
    # every ledger line comes from one row of Sessions, Payments or Adjustments, and a
    # sheet has at most 1,048,575 data rows (Excel's limit)
    lines = 3 * (1_048_576 - 1)
    for currency in list_currencies():
        most = money.to_minor(money.max_amount(currency), currency)
        assert most <= money.MAX_MINOR
        assert most * lines < 2**63 - 1, currency
