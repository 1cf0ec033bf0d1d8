"""Money typed as text, read through ``parse`` in each locale's own convention.

Every text either becomes exactly the amount its locale means, or is reported at its cell
(``ambiguous-money`` when its marks are misplaced or another convention would read a
different amount, ``bad-money`` when it is not an amount at all); never a different
number.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.books import book_from

AMBIGUOUS, BAD = "ambiguous-money", "bad-money"

#: locale, currency, [(text, the amount it means or the code it is reported with)]
TABLE = [
    (
        "de_DE",
        "EUR",
        [
            ("1.234,50", "1234.50"),
            ("1.234,50 €", "1234.50"),
            ("-1.234,50 €", "-1234.50"),
            ("(75,00)", "-75.00"),
            ("12,5", "12.50"),
            ("0,50", "0.50"),
            ("1.234", "1234.00"),  # 1.234 EUR is no amount: only thousands can be meant
            ("1.234.567,89", "1234567.89"),
            ("1,234.50", AMBIGUOUS),
            ("1,234", AMBIGUOUS),
            ("1 234,50", AMBIGUOUS),
            ("6_90", BAD),
            ("1e3", BAD),
            ("12.34", AMBIGUOUS),  # 12.34 in en_US; no German grouping
        ],
    ),
    (
        "fr_FR",
        "EUR",
        [
            ("1\u202f234,50", "1234.50"),  # narrow no-break space, as fr_FR groups
            ("1\u00a0234,50 €", "1234.50"),
            ("1 234,50", "1234.50"),
            ("12 345", "12345.00"),
            ("1,5", "1.50"),
            ("1.234,50", AMBIGUOUS),
            ("1,234", AMBIGUOUS),
            ("1_5", BAD),
            ("1 23,50", AMBIGUOUS),
        ],
    ),
    (
        "de_CH",
        "CHF",
        [
            ("1'234.50", "1234.50"),
            ("1\u2019234.50", "1234.50"),
            ("CHF 1'234.50", "1234.50"),
            ("1'234'567.05", "1234567.05"),
            ("1234.5", "1234.50"),
            ("1.234,50", AMBIGUOUS),
            ("1,234.50", AMBIGUOUS),
            ("1'23.50", AMBIGUOUS),
        ],
    ),
    (
        "en_IN",
        "INR",
        [
            ("1,00,000", "100000.00"),
            ("₹1,00,000.50", "100000.50"),
            ("10,00,00,000.00", "100000000.00"),
            ("100,000", "100000.00"),  # groups of three read the same
            ("1,0000", AMBIGUOUS),
            ("1e5", BAD),
        ],
    ),
    (
        "ja_JP",
        "JPY",
        [
            ("1,234", "1234"),
            ("¥1,234", "1234"),
            ("￥1,234", "1234"),
            ("1234", "1234"),
            ("1.234", AMBIGUOUS),  # no yen has decimals: a thousands mark elsewhere
            ("1.5", BAD),
            ("\uff11\uff12\uff13", BAD),  # full-width digits are not typed amounts
        ],
    ),
    (
        "nl_NL",
        "EUR",
        [
            ("€ 1.234,56", "1234.56"),
            ("€ -1.234,56", "-1234.56"),
            ("1.234,56-", "-1234.56"),
            ("1.234,5", "1234.50"),
            ("1,234.56", AMBIGUOUS),
            ("1e3", BAD),
        ],
    ),
    (
        "pt_BR",
        "BRL",
        [
            ("R$ 1.234,56", "1234.56"),
            ("R$1,50", "1.50"),
            ("1.234.567,89", "1234567.89"),
            ("-R$ 10,00", "-10.00"),
            ("1,234.56", AMBIGUOUS),
            ("R$ 1_000", BAD),
        ],
    ),
    (
        "en_US",
        "USD",
        [
            ("$1,200.50", "1200.50"),
            ("($75.00)", "-75.00"),
            ("-$5", "-5.00"),
            ("USD 90", "90.00"),
            ("1,234", "1234.00"),
            (".5", "0.50"),
            ("1.234", AMBIGUOUS),
            ("1.234,50", AMBIGUOUS),
            ("12,34", AMBIGUOUS),
            ("6_90", BAD),
            ("1_5", BAD),
            ("1e3", BAD),
            ("0x10", BAD),
            ("1,2345", AMBIGUOUS),
            ("0.125", BAD),
            ("١٢٣", BAD),
            ("NaN", BAD),
            ("Infinity", BAD),
            ("$$5", BAD),
        ],
    ),
]


def _book(locale: str, currency: str, texts: list[str]):
    rows = "\n".join(
        f"| A{i} | 2026-01-05 | C1 | correction | '{text} |" for i, text in enumerate(texts)
    )
    return book_from(f"""
## Practice
| key      | value      |
| currency | {currency} |
| locale   | {locale}   |
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Adjustments
| adjustment_id | date | client_id | type | amount |
{rows}
""")


@pytest.mark.parametrize(("locale", "currency", "cases"), TABLE, ids=[t[0] for t in TABLE])
def test_money_text_is_the_exact_amount_or_a_finding_at_its_cell(locale, currency, cases):
    book, issues = _book(locale, currency, [text for text, _ in cases])
    places = Decimal(1).scaleb(-{"JPY": 0}.get(currency, 2))
    amounts = dict(zip(book.adjustments["adjustment_id"], book.adjustments["amount"], strict=True))
    found = {str(i.where): i.code.value for i in issues if i.where.sheet == "Adjustments"}
    for i, (text, expected) in enumerate(cases):
        cell = f"Adjustments!E{i + 2}"
        if expected in (AMBIGUOUS, BAD):
            assert found.get(cell) == expected, (text, found.get(cell))
            assert f"A{i}" not in amounts, text  # a refused amount takes no part in figures
        else:
            assert cell not in found, (text, found[cell])
            minor = Decimal(expected).scaleb(-places.as_tuple().exponent)
            assert amounts[f"A{i}"] == int(minor), text


def test_an_ambiguous_amount_says_how_to_type_it_in_the_locale():
    _, issues = _book("de_DE", "EUR", ["1,234.50"])
    (issue,) = [i for i in issues if i.where.sheet == "Adjustments"]
    assert "does not follow de_DE number format" in issue.message
    assert "1.200,50" in issue.hint
