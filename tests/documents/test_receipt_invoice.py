"""Receipts (the core's allocation, step by step, as of the day received) and invoices
(each charge on one live invoice at a time)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from practicebook import documents
from tests.documents.helpers import pdf_lines, pdf_text, practice_text, small_book
from tests.support.books import book_from

DAY = dt.date(2026, 4, 2)


def test_receipt_shows_what_the_payment_paid_session_by_session():
    book, _ = small_book()
    doc = documents.receipt(book, "P3", issued_on=DAY)
    assert doc.as_of == dt.date(2026, 3, 25)
    assert list(doc.lines["charge_id"]) == ["S2", "S3-LATECXL", "S4-NOSHOW"]
    assert [str(v) for v in doc.lines["paid"]] == ["25.00", "150.00", "125.00"]
    assert doc.totals == {
        "Amount received": Decimal("300.00"),
        "Applied to sessions": Decimal("300.00"),
        "Kept as credit": Decimal("0.00"),
        "Balance after this payment": Decimal("175.00"),
    }
    lines = pdf_lines(documents.to_pdf(doc))
    assert lines[lines.index("Method") + 1] == "cash" and "Mar 25, 2026" in lines
    card = pdf_lines(documents.to_pdf(documents.receipt(book, "P2", issued_on=DAY)))
    assert card[card.index("Method") + 1 : card.index("Reference") + 2] == [
        "card",
        "Reference",
        "TX2",
    ]
    for figure in ("$300.00", "$125.00", "$25.00", "$175.00"):
        assert figure in lines


def test_receipt_is_as_of_the_day_received_so_later_entries_do_not_change_it():
    book, _ = small_book()
    doc = documents.receipt(book, "P2", issued_on=DAY)
    assert list(doc.lines["charge_id"]) == ["S2"]
    assert doc.totals["Balance after this payment"] == Decimal("50.00")
    assert documents.receipt(book, "P2", issued_on=DAY).totals == doc.totals


def test_a_payment_larger_than_what_is_owed_leaves_credit():
    # P3 of 600 instead of 300: it pays S2's 25, S3's and S4's fees and S5 (475 in all)
    # and leaves 125 as credit
    text = practice_text().replace(
        "| cash   |           | 300    |", "| cash   |           | 600    |"
    )
    book, _ = book_from(text)
    doc = documents.receipt(book, "P3", issued_on=DAY)
    assert list(doc.lines["charge_id"]) == ["S2", "S3-LATECXL", "S4-NOSHOW", "S5"]
    assert doc.totals == {
        "Amount received": Decimal("600.00"),
        "Applied to sessions": Decimal("475.00"),
        "Kept as credit": Decimal("125.00"),
        "Balance after this payment": Decimal("-125.00"),
    }
    aimed = documents.receipt(book, "P1", issued_on=DAY)  # aimed at S1, which it pays exactly
    assert aimed.totals["Kept as credit"] == Decimal("0.00")
    assert aimed.totals["Applied to sessions"] == Decimal("200.00")


def test_receipt_for_an_unknown_payment_says_so():
    book, _ = small_book()
    with pytest.raises(LookupError, match="not on the Payments sheet"):
        documents.receipt(book, "P404", issued_on=DAY)


def test_invoice_for_a_month_lists_its_charges_with_what_is_paid():
    book, _ = small_book()
    doc = documents.invoice(book, "C1", month="2026-03", issued_on=DAY)
    assert list(doc.lines["charge_id"]) == ["S2", "S3-LATECXL", "S4-NOSHOW", "S5"]
    assert doc.totals == {
        "Total": Decimal("600.00"),
        "Paid": Decimal("425.00"),
        "Balance due": Decimal("175.00"),
    }
    assert doc.charge_ids == ("S2", "S3-LATECXL", "S4-NOSHOW", "S5")
    text = pdf_text(documents.to_pdf(doc))
    assert "$600.00" in text and "Apr 2, 2026" in text and "Late cancellation fee" in text


def test_invoice_for_named_sessions_takes_their_fee_lines_too():
    book, _ = small_book()
    doc = documents.invoice(book, "C1", sessions=["S3", "S5"], issued_on=DAY)
    assert list(doc.lines["charge_id"]) == ["S3-LATECXL", "S5"]
    assert doc.period == (dt.date(2026, 3, 9), dt.date(2026, 3, 23))


@pytest.mark.parametrize(
    ("sessions", "message"),
    [
        (["S404"], "not on the Sessions sheet"),
        (["S7"], "not a session of C1"),
        (["S6"], "has no charge"),
    ],
)
def test_invoice_refuses_sessions_it_cannot_bill(sessions, message):
    book, _ = small_book()
    with pytest.raises(LookupError, match=message):
        documents.invoice(book, "C1", sessions=sessions, issued_on=DAY)


def test_canadian_and_uk_fields_are_printed_where_the_practice_sets_them():
    text = practice_text().replace(
        "| clinician_id | display_name  | credentials | license_number | npi        | license_state |\n"
        "| T1           | Robin Example | LCSW        | 123456         | 1234567893 | IL            |",
        "| clinician_id | display_name  | credentials | registration_body | registration_number |\n"
        "| T1           | Robin Example | RP          | CRPO              | 012345              |",
    )
    text = text.replace(
        "| key | value |\n", "| key | value |\n| tax_registration | Exempt from GST/HST |\n"
    )
    book, issues = book_from(text)
    assert not [i for i in issues if i.is_error], issues
    for doc in (
        documents.receipt(book, "P3", issued_on=DAY),
        documents.invoice(book, "C1", month="2026-03", issued_on=DAY),
    ):
        lines = pdf_lines(documents.to_pdf(doc))
        at = lines.index("Practitioner")
        assert lines[at : at + 6] == [
            "Practitioner",
            "Credentials",
            "Registration",
            "Robin Example",
            "RP",
            "CRPO 012345",
        ]
        assert "Exempt from GST/HST" in lines
    plain, _ = small_book()  # no registration number: no such table
    for doc in (
        documents.receipt(plain, "P3", issued_on=DAY),
        documents.invoice(plain, "C1", month="2026-03", issued_on=DAY),
    ):
        assert "Practitioner" not in pdf_lines(documents.to_pdf(doc))
