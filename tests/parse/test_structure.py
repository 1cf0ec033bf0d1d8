"""Sheets and rows the parser cannot take at face value: no header row, two sheets with
near-identical names, formulas saved without their results, IDs that differ only in case."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from practicebook import api
from practicebook.issues import Code, Severity
from practicebook.model import FormulaWithoutValue, RawTable
from practicebook.parse import checks, parse
from tests.support.books import book_from
from tests.support.textables import read_tables

BASE = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
"""
PAYMENTS = """
## Payments
| payment_id | received_date | client_id | amount | memo      |
| P1         | 2026-01-05    | C1        | 150    | paid cash |
| P2         | 2026-01-06    | C1        | 90     | card      |
"""


def codes_at(issues):
    return {(str(i.where), i.code.value) for i in issues}


def book_from_tables(tables):
    return api.load_tables(tables)


# --- no header row ------------------------------------------------------------------


def test_a_sheet_without_a_header_row_is_one_issue_and_read_as_empty():
    no_header = RawTable("Clients", (), pd.DataFrame(), header_row=20, header_found=False)
    tables = [t for t in read_tables(BASE) if t.name != "Clients"]
    book, issues = parse([no_header, *tables])
    clients = [i for i in issues if i.where.sheet == "Clients"]
    assert [(str(i.where), i.code, i.severity) for i in clients] == [
        ("Clients", Code.HEADER_NOT_FOUND, Severity.ERROR)
    ]
    assert "rows 1 to 20" in clients[0].message
    assert "Client ID" in clients[0].hint
    assert book.clients.empty
    assert list(book.clients.columns)[:3] == ["client_id", "first_name", "last_name"]


def test_a_practice_sheet_without_a_header_keeps_the_default_settings():
    no_header = RawTable("Practice", (), pd.DataFrame(), header_row=5, header_found=False)
    book, issues = parse([no_header, *read_tables(BASE)])
    assert codes_at(issues) == {("Practice", "header-not-found")}
    assert book.settings.currency == "USD"


# --- near-identical sheet names -----------------------------------------------------


@pytest.mark.parametrize("real_first", [True, False])
def test_the_sheet_named_exactly_is_read_beside_a_near_duplicate(real_first):
    real = read_tables(PAYMENTS)[0]
    copy = dataclasses.replace(
        read_tables(PAYMENTS.replace("| 150    |", "| 999    |"))[0], name="Payments_"
    )
    pair = [real, copy] if real_first else [copy, real]
    book, issues = book_from_tables([*read_tables(BASE), *pair])
    assert book.payments["amount"].tolist() == [15000, 9000]
    (issue,) = [i for i in issues if i.code is Code.AMBIGUOUS_SHEET]
    assert str(issue.where) == "Payments_"
    assert "'Payments' is read" in issue.message and "'Payments_' is ignored" in issue.message


def test_near_duplicates_without_the_exact_name_read_the_closest_and_report_the_other():
    closest = dataclasses.replace(read_tables(PAYMENTS)[0], name="Payments ")
    other = dataclasses.replace(read_tables(PAYMENTS)[0], name="payments")
    book, issues = book_from_tables([*read_tables(BASE), other, closest])
    assert book.layouts["Payments"].sheet == "Payments "
    assert [str(i.where) for i in issues if i.code is Code.AMBIGUOUS_SHEET] == ["payments"]


# --- formulas without a saved result ------------------------------------------------


@pytest.mark.parametrize(("column", "cell"), [(3, "Payments!D2"), (4, "Payments!E2")])
def test_a_formula_without_its_result_keeps_its_row_out_of_the_figures(column, cell):
    payments = read_tables(PAYMENTS)[0]
    payments = dataclasses.replace(payments, raw_cells={(0, column): FormulaWithoutValue()})
    book, issues = parse([*read_tables(BASE), payments])
    (issue,) = [i for i in issues if i.where.sheet == "Payments"]
    assert (str(issue.where), issue.code) == (cell, Code.FORMULA_WITHOUT_VALUE)
    assert "save" in issue.hint.lower()
    assert book.payments["payment_id"].tolist() == ["P2"]
    assert book.rejected["Payments"]["payment_id"].tolist() == ["P1"]


def test_a_formula_without_its_result_in_a_typed_column_is_reported_too():
    payments = read_tables(PAYMENTS)[0]
    data = payments.data.copy()
    data[3] = pd.Series([FormulaWithoutValue(), 90.0], dtype=object)
    book, issues = parse([*read_tables(BASE), dataclasses.replace(payments, data=data)])
    assert ("Payments!D2", "formula-without-value") in codes_at(issues)
    assert book.payments["payment_id"].tolist() == ["P2"]


# --- IDs that differ only in letter case --------------------------------------------


def test_ids_are_exact_and_case_variants_are_flagged_naming_both_rows():
    book, issues = book_from("""
## Clients
| client_id | first_name | last_name |
| C0001     | Ada        | Example   |
| C0002     | Bo         | Example   |
| c0001     | Cy         | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Payments
| payment_id | received_date | client_id | amount |
| P0000001   | 2026-01-05    | C0001     | 150    |
| p0000001   | 2026-01-06    | c0001     | 90     |
""")
    assert book.clients["client_id"].tolist() == ["C0001", "C0002", "c0001"]
    variants = [i for i in issues if i.code is Code.ID_CASE_VARIANT]
    assert [(str(i.where), i.severity) for i in variants] == [
        ("Clients!A4", Severity.WARNING),
        ("Payments!A3", Severity.WARNING),
    ]
    assert "row 4" in variants[0].message and "row 2" in variants[0].message
    assert "'C0001'" in variants[0].message
    assert "'P0000001'" in variants[1].message
    assert not [i for i in issues if i.code is Code.DUPLICATE_ID]


def test_full_width_variants_are_flagged_and_meant_like_case_variants():
    # a full-width C (as an East Asian input method types it) looks like the ID it is not
    book, issues = book_from("""
## Clients
| client_id | first_name | last_name |
| C0001     | Ada        | Example   |
| \uff23\uff10\uff10\uff10\uff11     | Bo         | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | \uff43\uff10001     | 150    |
""")
    assert book.clients["client_id"].tolist() == ["C0001", "\uff23\uff10\uff10\uff10\uff11"]
    (variant,) = [i for i in issues if i.code is Code.ID_CASE_VARIANT]
    assert str(variant.where) == "Clients!A3" and "letter case or width" in variant.message
    (unknown,) = [i for i in issues if i.code is Code.UNKNOWN_CLIENT]
    assert "did you mean 'C0001'" in unknown.message


def test_a_case_variant_of_a_non_unique_key_is_flagged():
    _, issues = book_from("""
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee |
| AB12         | Therapy     | 150      |
| ab12         | Therapy     | 150      |
""")
    assert ("Services!A3", "id-case-variant") in codes_at(issues)


def test_an_unknown_reference_in_another_case_says_which_id_was_meant():
    book, _ = book_from("""
## Clients
| client_id | first_name | last_name |
| C0001     | Ada        | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | c0001     | 150    |
| P2         | 2026-01-05    | C0009     | 150    |
""")
    found = {str(i.where): i for i in checks.run(book)}
    near, far = found["Payments!C2"], found["Payments!C3"]
    assert near.code is far.code is Code.UNKNOWN_CLIENT
    assert "did you mean 'C0001'" in near.message
    assert "C0001" in near.hint
    assert "did you mean" not in far.message


def test_a_default_policy_in_another_case_says_which_was_meant():
    _, issues = book_from(
        """
## Practice
| key               | value   |
| default_policy_id | pol-std |
## Policies
| policy_id | notice_hours |
| POL-STD   | 24           |
"""
        + BASE
    )
    (issue,) = [i for i in issues if i.code is Code.UNKNOWN_POLICY]
    assert "did you mean 'POL-STD'" in issue.message


# --- text a terminal would act on ---------------------------------------------------


def test_ids_and_printed_text_from_the_file_cannot_drive_a_terminal():
    # XML cannot hold ESC itself, but Excel's _x001B_ escape in a cell reads as one
    odd = {
        "S1": "S1\x1b]0;title\x07\x1b[2J",
        "C1": "C1\u202e",
        "Therapy": "Therapy\n\x9b2J\u202eweekly",
    }
    text = (
        BASE
        + """
## Payments
| payment_id | received_date | client_id | amount | applies_to_session_id |
| P1         | 2026-01-05    | C1        | 150    | S1                    |
"""
    )
    tables = [
        dataclasses.replace(t, data=t.data.map(lambda v: odd.get(v, v))) for t in read_tables(text)
    ]
    book, issues = api.load_tables(tables)
    (session,) = book.sessions["session_id"]
    assert session == "S1\ufffd]0;title\ufffd\ufffd[2J" and session.isprintable()
    assert book.clients["client_id"].tolist() == ["C1\ufffd"]
    assert book.services["description"].tolist() == ["Therapy\n\ufffd2J\ufffdweekly"]
    # both ends of a reference read alike, so they still match
    assert not [i for i in issues if i.code in (Code.UNKNOWN_CLIENT, Code.UNKNOWN_SESSION)]
    assert book.payments["applies_to_session_id"].tolist() == [session]
    from practicebook.core.reconcile import reconcile

    said = str(reconcile(book, "2026-12-31").explain("C1\ufffd"))
    assert session in said and all(line.isprintable() for line in said.splitlines())


def test_settings_printed_in_titles_and_summaries_cannot_drive_a_terminal():
    book, _ = book_from(
        """
## Practice
| key              | value                    |
| practice_name    | Calm\x1b]0;x\x07 Practice |
| default_policy_id | P\x9b1                   |
"""
        + BASE
    )
    assert book.settings.practice_name == "Calm\ufffd]0;x\ufffd Practice"
    assert book.settings.default_policy_id == "P\ufffd1"
