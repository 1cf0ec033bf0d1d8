"""The limits of what a cell may hold: amounts, other numbers and dates.

Beyond them a cell is a located error, its row takes no part in figures, and nothing
raises (a traceback would print the value, which may be a client's).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from practicebook.core.reconcile import reconcile
from practicebook.issues import Code
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
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
"""


def codes_at(issues):
    return {(str(i.where), i.code.value) for i in issues}


def _with_column(text: str, sheet: str, position: int, values: list[object]) -> list[RawTable]:
    """The tables of ``text`` with column ``position`` of ``sheet`` replaced by ``values``
    (as a reader that typed the column would hand them over)."""
    tables = read_tables(text)
    for i, table in enumerate(tables):
        if table.name == sheet:
            data = table.data.copy()
            data[position] = pd.Series(values)
            tables[i] = RawTable(table.name, table.headers, data)
    return tables


# --- amounts ------------------------------------------------------------------------


def test_amounts_beyond_the_limit_are_refused_and_totals_stay_exact():
    book, issues = book_from(
        BASE
        + """
## Payments
| payment_id | received_date | client_id | amount            |
| P1         | 2026-01-05    | C1        | 50000000000000000 |
| P2         | 2026-01-05    | C1        | 50000000000000000 |
| P3         | 2026-01-05    | C1        | 92000000000000000 |
| P4         | 2026-01-05    | C1        | 1000000000        |
| P5         | 2026-01-05    | C1        | 1000000000.01     |
| P6         | 2026-01-05    | C1        | 1000000000        |
"""
    )
    assert {(w, c) for w, c in codes_at(issues) if c == "amount-too-large"} == {
        ("Payments!D2", "amount-too-large"),
        ("Payments!D3", "amount-too-large"),
        ("Payments!D4", "amount-too-large"),
        ("Payments!D6", "amount-too-large"),
    }
    assert book.payments["payment_id"].tolist() == ["P4", "P6"]
    assert sorted(book.rejected["Payments"]["payment_id"]) == ["P1", "P2", "P3", "P5"]
    rec = reconcile(book, dt.date(2026, 1, 31))
    (paid,) = rec.balances.loc[rec.balances["client_id"] == "C1", "payments"].tolist()
    assert str(paid) == "2000000000.00"


def test_a_pasted_reference_and_a_huge_fee_override_are_located_errors():
    text = (
        BASE
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   | fee_override |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended | 1            |
| S2         | C1        | 90834        | 2026-01-12 10:00 | attended | 90           |
## Payments
| payment_id | received_date | client_id | amount               |
| P1         | 2026-01-05    | C1        | '1234567890123456789 |
| P2         | 2026-01-05    | C1        | 1234567890123456789  |
"""
    )
    book, issues = parse(_with_column(text, "Sessions", 5, [1e300, 90.0]))
    assert codes_at(issues) >= {
        ("Sessions!F2", "amount-too-large"),
        ("Payments!D2", "amount-too-large"),
        ("Payments!D3", "amount-too-large"),
    }
    # the session's rate is unknown, so the session takes no part in figures
    assert book.sessions["session_id"].tolist() == ["S2"]
    assert book.payments.empty


def test_the_limit_follows_the_currency():
    book, issues = book_from(
        """
## Practice
| key      | value |
| currency | CLF   |
"""
        + BASE
        + """
## Payments
| payment_id | received_date | client_id | amount    |
| P1         | 2026-01-05    | C1        | 100000000 |
| P2         | 2026-01-05    | C1        | 100000001 |
"""
    )
    assert ("Payments!D3", "amount-too-large") in codes_at(issues)
    assert book.payments["amount"].tolist() == [100000000 * 10**4]


def test_other_numbers_beyond_the_limit_are_refused_with_their_row():
    book, issues = book_from(
        BASE
        + """
## Policies
| policy_id | notice_hours | grace_count   |
| POL1      | 24           | 1000000000000 |
| POL2      | 1e300        | 0             |
| POL3      | 24           | 1             |
"""
    )
    found = codes_at(issues)
    assert ("Policies!C2", "out-of-range") in found
    assert ("Policies!B3", "bad-number") in found  # 1e300 is text: no exponents in text
    assert book.policies["policy_id"].tolist() == ["POL3"]


def test_a_huge_number_cell_in_a_decimal_column_is_out_of_range():
    tables = _with_column(
        BASE + "## Policies\n| policy_id | notice_hours |\n| POL1 | 1 |\n| POL2 | 1 |\n",
        "Policies",
        1,
        [1e300, 24.0],
    )
    book, issues = parse(tables)
    assert ("Policies!B2", "out-of-range") in codes_at(issues)
    assert book.policies["policy_id"].tolist() == ["POL2"]


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("percent", "150", "out-of-range"),
        ("percent", "100", None),
        ("flat", "2000000000", "out-of-range"),
        ("flat", "1000000000", None),
    ],
)
def test_a_fee_value_is_at_most_the_full_rate_or_the_largest_amount(kind, value, code):
    book, issues = book_from(
        BASE
        + f"""
## Policies
| policy_id | notice_hours |
| POL1      | 24           |
## PolicyTiers
| policy_id | applies_to  | charge_type | charge_value |
| POL1      | late_cancel | {kind}      | {value}      |
"""
    )
    found = {c for w, c in codes_at(issues) if w == "PolicyTiers!D2"}
    assert found == ({code} if code else set())
    assert len(book.policy_tiers) == (0 if code else 1)


def test_a_flat_fee_beyond_the_currency_limit_is_too_large():
    _, issues = book_from(
        """
## Practice
| key      | value |
| currency | CLF   |
"""
        + BASE
        + """
## Policies
| policy_id | notice_hours |
| POL1      | 24           |
## PolicyTiers
| policy_id | applies_to  | charge_type | charge_value |
| POL1      | late_cancel | flat        | 500000000    |
"""
    )
    assert ("PolicyTiers!D2", "amount-too-large") in codes_at(issues)


# --- dates --------------------------------------------------------------------------

SESSIONS = (
    BASE
    + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S2         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S3         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S4         | C1        | 90834        | 2026-01-05 10:00 | attended |
"""
)


def test_a_time_alone_and_serials_before_march_1900_are_not_dates_in_a_typed_column():
    # a reader hands a typed column over as datetime64[ms]; a time alone arrives as a
    # time on 31 December 1899, serial 60 as 28 February 1900
    typed = pd.Series(
        np.array(
            ["1899-12-31T10:30", "1900-02-28T00:00", "9999-12-31T00:00", "2026-01-05T10:00"],
            dtype="datetime64[ms]",
        )
    )
    book, issues = parse(_with_column(SESSIONS, "Sessions", 3, typed))
    assert {(w, c) for w, c in codes_at(issues) if w.startswith("Sessions!D")} == {
        ("Sessions!D2", "bad-date"),
        ("Sessions!D3", "bad-date"),
        ("Sessions!D4", "bad-date"),
    }
    assert "time of day (10:30) without a date" in next(
        i.message for i in issues if str(i.where) == "Sessions!D2"
    )
    assert book.sessions["session_id"].tolist() == ["S4"]
    assert book.sessions["scheduled_start"].tolist() == [pd.Timestamp("2026-01-05 10:00")]


def test_date_cells_outside_the_range_are_not_dates_in_an_untyped_column():
    values = [dt.time(10, 30), 60.0, dt.datetime(2500, 1, 2), dt.datetime(2026, 1, 5, 10)]
    book, issues = parse(_with_column(SESSIONS, "Sessions", 3, values))
    assert {(w, c) for w, c in codes_at(issues) if w.startswith("Sessions!D")} == {
        ("Sessions!D2", "bad-date"),
        ("Sessions!D3", "bad-date"),
        ("Sessions!D4", "bad-date"),
    }
    assert book.sessions["session_id"].tolist() == ["S4"]


@pytest.mark.parametrize(
    "dob",
    [
        dt.datetime(2500, 1, 2),
        dt.datetime(1, 1, 2),
        dt.date(1850, 6, 1),
        np.datetime64("2500-01-02", "ms"),
    ],
)
def test_a_date_of_birth_beyond_pandas_range_is_an_issue_that_never_shows_it(dob):
    tables = _with_column(
        BASE.replace("| last_name |", "| last_name | dob |").replace(
            "| Example   |", "| Example   | x |"
        ),
        "Clients",
        3,
        [dob],
    )
    book, issues = parse(tables)
    (issue,) = [i for i in issues if i.where.sheet == "Clients"]
    assert (str(issue.where), issue.code) == ("Clients!D2", Code.BAD_DATE)
    shown = issue.message + issue.hint + repr(issue.excerpt)
    day = dob if isinstance(dob, dt.date) else pd.Timestamp(dob).to_pydatetime()
    assert f"{day:%m-%d}" not in shown
    assert day.year < 1000 or str(day.year) not in shown
    assert book.clients["client_id"].tolist() == ["C1"]  # the DOB is optional: the row stays


def test_a_typed_date_of_birth_column_beyond_pandas_range_is_an_issue():
    typed = pd.Series(np.array(["2500-01-02", "1980-05-17"], dtype="datetime64[ms]"))
    text = """
## Clients
| client_id | first_name | last_name | dob |
| C1        | Ada        | Example   | x   |
| C2        | Bo         | Example   | x   |
"""
    book, issues = parse(_with_column(text, "Clients", 3, typed))
    assert codes_at([i for i in issues if i.where.sheet == "Clients"]) == {
        ("Clients!D2", "bad-date")
    }
    assert not any("2500" in i.message + repr(i.excerpt) for i in issues)
    assert book.clients["dob"].tolist()[1] == pd.Timestamp("1980-05-17")


@pytest.mark.parametrize(
    "text", ["1900-01-15", "1900-02-28 10:00", "2200-01-01", "60", "1/15/1900"]
)
def test_text_dates_have_the_same_range(text):
    with pytest.raises(Bad) as info:
        coerce_datetime(text, CoerceContext("en_US"), date_only=False)
    assert info.value.code is Code.BAD_DATE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1900-03-01", dt.datetime(1900, 3, 1)),
        ("2199-12-31 23:59", dt.datetime(2199, 12, 31, 23, 59)),
        (dt.date(1900, 3, 1), dt.datetime(1900, 3, 1)),
        (109_574.5, dt.datetime(2199, 12, 31, 12)),
    ],
)
def test_the_first_and_last_days_are_read(value, expected):
    assert coerce_datetime(value, CoerceContext("en_US"), date_only=False) == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [("payment_terms_days", "999999999"), ("pattern_days", "3651")],
)
def test_spans_of_days_in_the_settings_are_at_most_ten_years(key, value):
    book, issues = book_from(
        f"""
## Practice
| key   | value   |
| {key} | {value} |
"""
        + BASE
    )
    assert codes_at(issues) == {("Practice!B2", "bad-setting")}
    defaults = {"payment_terms_days": 0, "pattern_days": 90}
    assert getattr(book.settings, key) == defaults[key]
