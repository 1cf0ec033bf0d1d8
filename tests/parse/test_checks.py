"""Cross-sheet checks, on the whole book or focused on one row."""

from __future__ import annotations

from practicebook.parse import checks
from tests.support.books import book_from

BOOK = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Payments
| payment_id | received_date | client_id | amount | applies_to_session_id |
| P1         | 2026-03-02    | C7        | 150    | S404                  |
| P2         | 2026-03-02    | C8        | 150    |                       |
"""


def test_the_whole_book_reports_every_unknown_reference():
    book, _ = book_from(BOOK)
    found = {(str(i.where), i.code.value) for i in checks.run(book)}
    assert found == {
        ("Payments!C2", "unknown-client"),
        ("Payments!E2", "unknown-session"),
        ("Payments!C3", "unknown-client"),
    }


def test_a_focused_run_reports_only_that_row():
    book, _ = book_from(BOOK)
    found = {(str(i.where), i.code.value) for i in checks.run(book, ("Payments", 3))}
    assert found == {("Payments!C3", "unknown-client")}
    assert checks.run(book, ("Clients", 2)) == []


def test_every_referenced_sheet_has_a_code_for_an_unknown_reference():
    # a reference into a sheet without one would stop the check instead of reporting
    from practicebook.issues import UNKNOWN_REFERENCE
    from practicebook.schema import WORKBOOK

    targets = {
        col.references.partition(".")[0]
        for sheet in WORKBOOK.sheets
        for col in sheet.columns
        if col.references
    }
    assert targets - set(UNKNOWN_REFERENCE) == set()


def test_an_unknown_reference_into_an_entered_sheet_says_add_it_there():
    book, _ = book_from(BOOK)
    hints = {str(i.where): i.hint for i in checks.run(book)}
    assert hints["Payments!C2"] == "Add 'C7' to the Clients sheet, or correct the Client ID."


def test_an_unknown_document_says_issue_it_with_practicebook_not_add_a_row():
    # the gallery's case: a void row cancelling a document the register does not hold
    from pathlib import Path

    from practicebook import api
    from tests.test_gallery import load_case

    tables, _options, _wanted = load_case(Path(__file__).parents[1] / "cases/unknown-document.md")
    _book, issues = api.load_tables(tables)
    (unknown,) = [i for i in issues if i.code.value == "unknown-document"]
    assert str(unknown.where) == "Documents!E3"
    assert unknown.hint == (
        "The Documents sheet is written by practicebook: issue the document with "
        "practicebook, or correct the Voids."
    )
    assert "Add" not in unknown.hint
