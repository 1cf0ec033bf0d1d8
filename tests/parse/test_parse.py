"""Reading cells strictly by kind; every problem located at its cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from practicebook.issues import Code, Severity
from practicebook.model import RawTable
from practicebook.parse import parse
from practicebook.parse.values import Bad, CoerceContext, coerce_datetime
from tests.support.books import book_from
from tests.support.textables import read_tables

BASE = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |

## Services
| service_code | description     | base_fee |
| 90834        | Psychotherapy   | 150      |
"""


def codes_at(issues):
    return {(str(i.where), i.code.value) for i in issues}


def test_headers_match_ignoring_case_spaces_and_underscores():
    book, issues = book_from("""
## Clients
| Client ID | FIRST_NAME | last name | Mystery |
| C1        | Ada        | Example   | kept    |
## Services
| service code | Description | Base Fee |
| 90834        | Therapy     | 150      |
""")
    assert book.clients["client_id"].tolist() == ["C1"]
    assert book.clients["last_name"].tolist() == ["Example"]
    notes = [i for i in issues if i.code is Code.UNKNOWN_COLUMN]
    assert [str(n.where) for n in notes] == ["Clients!D1"]
    assert notes[0].severity is Severity.NOTE
    assert not [i for i in issues if i.is_error]


def test_ids_and_codes_stay_text_with_leading_zeros():
    book, _ = book_from("""
## Clients
| client_id | first_name | last_name |
| '00123    | Ada        | NA        |
| 42        | Bo         | None      |
## Services
| service_code | description | base_fee |
| 90847        | Family      | 170      |
""")
    assert book.clients["client_id"].tolist() == ["00123", "42"]
    assert book.services["service_code"].tolist() == ["90847"]


@pytest.mark.parametrize("name", ["NA", "None", "null", "N/A", "Nan"])
def test_names_that_look_like_missing_values_stay_text(name):
    book, issues = book_from(f"""
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | {name}    |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
""")
    assert book.clients["last_name"].tolist() == [name]
    assert not [i for i in issues if i.is_error]


def test_money_becomes_exact_minor_units():
    book, issues = book_from("""
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee  |
| A          | One         | 150.1     |
| B          | Two         | $1,200.50 |
| C          | Three       | 0.125     |
""")
    assert book.services["base_fee"].tolist() == [15010, 120050, 13]
    assert str(book.services["base_fee"].dtype) == "Int64"
    assert not issues


def test_money_text_is_read_in_the_workbook_locale():
    book, issues = book_from("""
## Practice
| key      | value |
| currency | EUR   |
| locale   | de_DE |
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee   |
| A            | One         | 1.234,50 € |
| B            | Two         | 1,234.50   |
""")
    assert book.services["base_fee"].tolist() == [123450]
    assert codes_at(issues) == {("Services!C3", "ambiguous-money")}


@pytest.mark.parametrize(
    ("cell", "code"), [("abc", "bad-money"), ("TRUE", "bad-money"), ("2026-01-05", "bad-money")]
)
def test_unreadable_amounts_are_located(cell, code):
    _, issues = book_from(
        BASE
        + f"""
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | C1        | {cell} |
"""
    )
    assert ("Payments!D2", code) in codes_at(issues)


def test_payments_must_be_positive_and_fees_not_negative():
    _, issues = book_from(
        BASE
        + """
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | C1        | -20    |
| P2         | 2026-01-05    | C1        | 0      |
## Adjustments
| adjustment_id | date       | client_id | type      | amount |
| A1            | 2026-01-05 | C1        | write_off | -20    |
"""
    )
    assert codes_at(issues) == {("Payments!D2", "out-of-range"), ("Payments!D3", "out-of-range")}


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("2026-03-05", "en_US", dt.datetime(2026, 3, 5)),
        ("2026-03-05 14:30", "en_US", dt.datetime(2026, 3, 5, 14, 30)),
        ("2026-03-05T14:30:15", "en_US", dt.datetime(2026, 3, 5, 14, 30, 15)),
        ("03/05/2026", "en_US", dt.datetime(2026, 3, 5)),
        ("03/05/2026", "en_GB", dt.datetime(2026, 5, 3)),
        ("5.3.2026", "de_DE", dt.datetime(2026, 3, 5)),
        ("3/5/26 2:30 PM", "en_US", dt.datetime(2026, 3, 5, 14, 30)),
        ("46086", "en_US", dt.datetime(2026, 3, 5)),
        ("46086.5", "en_US", dt.datetime(2026, 3, 5, 12)),
    ],
)
def test_dates_from_iso_serials_and_the_locale(text, locale, expected):
    assert coerce_datetime(text, CoerceContext(locale), date_only=False) == expected


@pytest.mark.parametrize(
    ("text", "locale", "code"),
    [
        ("05/01/2024", "en_CA", Code.AMBIGUOUS_DATE),  # en_CA writes year first: unsettled
        ("13/01/2024", "en_US", Code.BAD_DATE),
        ("2024-13-01", "en_US", Code.BAD_DATE),
        ("Jan 5, 2024", "en_US", Code.BAD_DATE),
        ("31/02/2026", "en_GB", Code.BAD_DATE),
        ("12", "en_US", Code.BAD_DATE),  # serial in the 1900 leap-bug range
    ],
)
def test_dates_that_could_be_wrong_are_refused(text, locale, code):
    with pytest.raises(Bad) as info:
        coerce_datetime(text, CoerceContext(locale), date_only=True)
    assert info.value.code is code


def test_booleans_and_choices_are_forgiving_but_strict():
    book, issues = book_from("""
## Clients
| client_id | first_name | last_name | fee_exempt | status     | billing_type |
| C1        | Ada        | Example   | yes        | Active     | Self Pay     |
| C2        | Bo         | Example   | 0          | DISCHARGED | sliding      |
| C3        | Cy         | Example   | perhaps    | gone       | self_pay     |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
""")
    assert book.clients["fee_exempt"].tolist() == [True, False, False]
    assert book.clients["status"].tolist()[:2] == ["active", "discharged"]
    assert book.clients["billing_type"].tolist()[:2] == ["self_pay", "sliding"]
    assert codes_at(issues) == {("Clients!D4", "bad-bool"), ("Clients!E4", "bad-choice")}


def test_defaults_fill_blank_optional_cells():
    book, _ = book_from(
        BASE
        + """
## Policies
| policy_id | notice_hours |
| P1        | 24           |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | C1        | 20     |
"""
    )
    policy = book.policies.iloc[0]
    assert policy["notice_hours"] == Decimal(24)
    assert policy["ns_grace_minutes"] == 15
    assert policy["cancel_after_start_is"] == "no_show"
    assert book.payments["kind"].tolist() == ["payment"]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_row():
    book, issues = book_from(
        BASE
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
|            |           |              |                  |          |
| S2         | C1        | 90834        | 2026-01-12 10:00 | attended |
"""
    )
    assert book.sessions["session_id"].tolist() == ["S1", "S2"]
    assert book.sessions["_row"].tolist() == [2, 4]
    assert not issues


def test_missing_required_values_duplicates_and_rejected_rows():
    book, issues = book_from(
        BASE
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S1         | C1        | 90834        | 2026-01-06 10:00 | attended |
| S3         | C9        | 90834        |                  | attended |
"""
    )
    assert codes_at(issues) == {
        ("Sessions!A3", "duplicate-id"),
        ("Sessions!D4", "missing-value"),
        ("Sessions!B4", "unknown-client"),
    }
    # the row without a start is left out of the frame the core uses, but still checked
    assert book.sessions["session_id"].tolist() == ["S1", "S1"]
    assert book.rejected["Sessions"]["session_id"].tolist() == ["S3"]


def test_missing_required_column_and_sheet():
    _, issues = book_from(
        """
## Clients
| client_id | first_name |
| C1        | Ada        |
""",
        fill_required=False,
    )
    found = codes_at(issues)
    assert ("Clients!A1", "missing-column") in found
    assert ("Services", "missing-sheet") in found
    assert ("Sessions", "missing-sheet") in found


def test_every_problem_is_reported_in_one_pass_and_in_order():
    _, issues = book_from("""
## Clients
| client_id | first_name | last_name | dob        |
| C1        | Ada        | Example   | 1980-02-30 |
| C2        |            | Example   |            |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | lots     |
""")
    assert [(str(i.where), i.code.value) for i in issues] == [
        ("Clients!D2", "bad-date"),
        ("Clients!B3", "missing-value"),
        ("Services!C2", "bad-money"),
    ]


def test_personal_data_never_appears_in_messages():
    _, issues = book_from("""
## Clients
| client_id | first_name | last_name | dob           |
| C1        | Ada        | Example   | Secretmonday  |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
""")
    (issue,) = issues
    assert issue.code is Code.BAD_DATE
    rendered = issue.message + issue.hint + repr(issue.excerpt)
    assert "Secretmonday" not in rendered


def test_settings_are_validated():
    _, issues = book_from(
        """
## Practice
| key           | value          |
| currency      | DOLLARS        |
| locale        | xx_YY          |
| timezone      | Mars/Olympus   |
| aging_buckets | 60,30          |
| colour        | blue           |
"""
        + BASE
    )
    assert codes_at(issues) == {
        ("Practice!B2", "bad-setting"),
        ("Practice!B3", "bad-setting"),
        ("Practice!B4", "bad-setting"),
        ("Practice!B5", "bad-setting"),
        ("Practice!A6", "unknown-setting"),
    }


def test_overlapping_effective_periods_and_backwards_periods():
    _, issues = book_from("""
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee | effective_from | effective_to |
| 90834        | Therapy     | 140      | 2025-01-01     | 2025-12-31   |
| 90834        | Therapy     | 150      | 2025-12-31     |              |
| 90837        | Therapy     | 190      | 2026-02-01     | 2026-01-01   |
""")
    assert codes_at(issues) == {
        ("Services!D3", "overlapping-periods"),
        ("Services!E4", "bad-period"),
    }


def test_rate_scope_ids_follow_their_scope():
    _, issues = book_from(
        BASE
        + """
## Clinicians
| clinician_id | display_name |
| T1           | Example      |
## Rates
| rate_id | scope     | scope_id | fee |
| R1      | client    | C1       | 90  |
| R2      | clinician | C1       | 90  |
| R3      | client    | T1       | 90  |
"""
    )
    assert codes_at(issues) == {("Rates!C3", "unknown-clinician"), ("Rates!C4", "unknown-client")}


def test_raw_cells_override_typed_values_and_excel_errors_are_reported():
    from practicebook.model import CellErrorValue

    data = pd.DataFrame(
        {0: pd.Series(["90834", "90837"]), 1: pd.Series(["A", "B"]), 2: pd.Series([150.0, None])}
    )
    table = RawTable(
        "Services",
        ("service_code", "description", "base_fee"),
        data,
        raw_cells={(1, 2): CellErrorValue("#DIV/0!")},
    )
    clients = read_tables("""
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
""")
    sessions = read_tables(
        "## Sessions\n| session_id | client_id | service_code | scheduled_start | status |\n"
    )
    book, issues = parse([table, *clients, *sessions])
    assert codes_at(issues) == {("Services!C3", "cell-error")}
    assert book.services["base_fee"].tolist() == [15000]
