"""Receipts (the core's allocation, step by step, as of the day received) and invoices
(each charge on one live invoice at a time)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from practicebook import documents
from tests.documents.helpers import pdf_lines, pdf_text, small_book

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
    assert "Payment, cash" in lines and "Mar 25, 2026" in lines
    for figure in ("$300.00", "$125.00", "$25.00", "$175.00"):
        assert figure in lines


def test_receipt_is_as_of_the_day_received_so_later_entries_do_not_change_it():
    book, _ = small_book()
    doc = documents.receipt(book, "P2", issued_on=DAY)
    assert list(doc.lines["charge_id"]) == ["S2"]
    assert doc.totals["Balance after this payment"] == Decimal("50.00")
    assert documents.receipt(book, "P2", issued_on=DAY).totals == doc.totals


def test_a_payment_larger_than_what_is_owed_leaves_credit():
    book, _ = small_book()
    doc = documents.receipt(book, "P1", issued_on=DAY)
    assert doc.totals["Kept as credit"] == Decimal("0.00")
    assert doc.totals["Applied to sessions"] == Decimal("200.00")


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
