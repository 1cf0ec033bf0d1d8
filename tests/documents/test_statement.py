"""Statements: the period's lines with a running balance, opening and closing balances and
aging, every figure the core's (hand-worked in ``helpers``) and printed in the PDF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from practicebook import documents, reconcile
from practicebook.core.amounts import minor_units
from tests.documents.helpers import pdf_lines, pdf_text, small_book

MARCH = {"month": "2026-03", "issued_on": dt.date(2026, 4, 2)}


def test_statement_figures_are_the_hand_worked_ones():
    book, _ = small_book()
    doc = documents.statement(book, "C1", **MARCH)
    assert doc.totals == {
        "Opening balance": Decimal("0.00"),
        "Charges": Decimal("600.00"),
        "Payments": Decimal("-400.00"),
        "Refunds": Decimal("0.00"),
        "Adjustments": Decimal("-25.00"),
        "Closing balance": Decimal("175.00"),
        "Amount due": Decimal("175.00"),
    }
    assert list(doc.lines["entry_id"]) == ["S2", "P2", "S3-LATECXL", "S4-NOSHOW", "A1", "S5", "P3"]
    assert [str(a) for a in doc.lines["amount"]] == [
        "150.00",
        "-100.00",
        "150.00",
        "150.00",
        "-25.00",
        "150.00",
        "-300.00",
    ]
    assert [str(b) for b in doc.lines["balance"]] == [
        "150.00",
        "50.00",
        "200.00",
        "350.00",
        "325.00",
        "475.00",
        "175.00",
    ]
    aging = doc.sections[0].rows[0]
    assert aging[1] == Decimal("175.00") and sum(aging[:-2]) == aging[-1] == Decimal("175.00")


def test_statement_lines_are_explain_lines_and_balances_tie_out():
    book, _ = small_book()
    doc = documents.statement(
        book,
        "C1",
        start=dt.date(2026, 3, 10),
        end=dt.date(2026, 3, 24),
        issued_on=dt.date(2026, 4, 2),
    )
    rec = reconcile(book, "2026-03-24")
    lines = rec.explain("C1").lines
    inside = lines[(lines["date"] >= "2026-03-10") & (lines["date"] <= "2026-03-24")]
    assert list(doc.lines["entry_id"]) == list(inside["entry_id"])
    assert list(minor_units(doc.lines["balance"])) == list(minor_units(inside["balance"]))
    before = int(minor_units(lines["amount"][lines["date"] < "2026-03-10"]).sum())
    totals = doc.totals
    assert totals["Opening balance"] == Decimal(before) / 100 == Decimal("200.00")
    balance = rec.balances.set_index("client_id").loc["C1", "balance"]
    assert totals["Closing balance"] == balance == Decimal("475.00")
    moved = int(minor_units(doc.lines["amount"]).sum())
    assert Decimal(before + moved) / 100 == totals["Closing balance"]


def test_the_pdf_shows_every_figure_in_the_workbook_locale():
    book, _ = small_book()
    doc = documents.statement(book, "C1", **MARCH)
    text = pdf_text(documents.to_pdf(doc))
    for figure in ("$600.00", "-$400.00", "-$25.00", "$175.00", "$475.00", "$325.00"):
        assert figure in text, figure
    lines = pdf_lines(documents.to_pdf(doc))
    assert "Mar 23, 2026" in lines and "Late cancellation fee" in lines
    assert "Missed appointment fee" in lines
    assert "Psychotherapy, 45 minutes (90834)" in lines
    assert "Payment, cash" in lines and "Payment, card, ref. TX2" in lines
    assert "Ada Example" in lines and "5 Elm Street" in lines


def test_open_items_add_up_to_the_balance():
    book, _ = small_book()
    doc = documents.statement(book, "C1", mode="open", **MARCH)
    assert list(doc.lines["entry_id"]) == ["S4-NOSHOW", "S5"]
    assert [str(v) for v in doc.lines["open"]] == ["25.00", "150.00"]
    assert doc.totals["Closing balance"] == Decimal("175.00") == sum(doc.lines["open"])


def test_a_credit_is_shown_as_credit_not_as_amount_due():
    from tests.support.books import book_from

    book, _ = book_from(
        """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-03-02    | C1        | 200    |
"""
    )
    doc = documents.statement(book, "C1", **MARCH)
    assert doc.totals["Closing balance"] == Decimal("-50.00")
    assert doc.totals["Credit on account"] == Decimal("50.00") and "Amount due" not in doc.totals
    assert "Credit on account" in pdf_lines(documents.to_pdf(doc))


def test_statement_clients_are_those_with_activity_or_a_balance():
    book, _ = small_book()
    assert documents.statement_clients(book, "2026-03") == ["C1", "C2"]
    assert documents.statement_clients(book, "2026-02") == ["C1"]


def test_an_unknown_client_raises_the_api_error():
    from practicebook.errors import UnknownClient

    book, _ = small_book()
    with pytest.raises(UnknownClient):
        documents.statement(book, "C9", **MARCH)


@pytest.mark.parametrize("client_id", ["C0001", "C0002", "C0004", "C0007"])
def test_generated_practice_statements_match_explain(client_id, clean_book):
    import practicebook

    book, _ = practicebook.load(clean_book)
    doc = documents.statement(book, client_id, month="2026-05", issued_on=dt.date(2026, 6, 2))
    rec = reconcile(book, "2026-05-31")
    lines = rec.explain(client_id).lines
    may = lines[lines["date"] >= "2026-05-01"]
    assert list(doc.lines["entry_id"]) == list(may["entry_id"])
    assert list(minor_units(doc.lines["balance"])) == list(minor_units(may["balance"]))
    closing = rec.balances.set_index("client_id").loc[client_id, "balance"]
    assert doc.totals["Closing balance"] == closing
    text = pdf_text(documents.to_pdf(doc))
    from practicebook.l10n import format_money
    from practicebook.money import to_minor

    assert format_money(to_minor(closing, "USD"), "USD", "en_US") in text


def test_a_run_of_statements_gives_each_the_same_as_alone():
    from practicebook.core.documents import Builder, StatementRequest

    book, _ = small_book()
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    run = Builder(book)
    together = [
        run.build(StatementRequest(c, *march), issued_on=MARCH["issued_on"])
        for c in ("C2", "C1", "C2")
    ]
    for doc in together:
        alone = Builder(book).build(
            StatementRequest(doc.client_id, *march), issued_on=MARCH["issued_on"]
        )
        assert documents.to_pdf(doc) == documents.to_pdf(alone)
        assert doc.lines.equals(alone.lines)
