"""Good-faith estimates: fees by the core's precedence, expected sessions by frequency, and
the ``gfe-variance`` finding when billed charges exceed an estimate by $400 or more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from practicebook import documents
from practicebook.core.documents import EstimateRequest
from tests.documents.helpers import pdf_text, small_book, write_practice
from tests.support.books import book_from

DAY = dt.date(2026, 3, 31)
Q2 = {"start": dt.date(2026, 4, 1), "end": dt.date(2026, 6, 30)}


def test_estimate_takes_fees_from_the_fee_schedule_and_the_client_rate():
    book, _ = small_book()
    c1 = documents.estimate(
        book,
        "C1",
        services=[("90791", 1), ("90834", None)],
        frequency="weekly",
        issued_on=DAY,
        **Q2,
    )
    # April 1 to June 30 is 90 days: 13 weekly sessions
    assert list(c1.lines["sessions"]) == [1, 13]
    assert [str(v) for v in c1.lines["fee"]] == ["200.00", "150.00"]
    assert c1.total == Decimal("200.00") + 13 * Decimal("150.00") == Decimal("2150.00")
    c2 = documents.estimate(book, "C2", services=[("90834", 6)], issued_on=DAY, **Q2)
    assert c2.total == Decimal("720.00")  # the client's own rate, 120
    text = pdf_text(documents.to_pdf(c1))
    assert "$2,150.00" in text and "Good Faith Estimate" in text and "$400" in text
    assert "F41.1" in text  # the diagnosis in effect on the first day (full mode)


def test_an_unknown_service_or_a_count_without_frequency_is_refused():
    book, _ = small_book()
    with pytest.raises(LookupError, match="99999"):
        documents.estimate(book, "C1", services=[("99999", 1)], issued_on=DAY, **Q2)
    with pytest.raises(ValueError, match="how many sessions"):
        documents.estimate(book, "C1", services=[("90834", None)], issued_on=DAY, **Q2)


REGISTER = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 100      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-09 10:00 | attended |
| S3         | C1        | 90834        | 2026-03-16 10:00 | attended |
| S4         | C1        | 90834        | 2026-03-23 10:00 | attended |
| S5         | C1        | 90834        | 2026-03-30 10:00 | attended |
| S6         | C1        | 90834        | 2026-04-06 10:00 | attended |
## Documents
| document_number | type     | client_id | period_start | period_end | issued_at        | total  |
| GFE-00001       | estimate | C1        | 2026-03-01   | 2026-03-31 | 2026-02-20 09:00 | {total} |
"""


@pytest.mark.parametrize(("total", "found"), [("100", True), ("100.01", False)])
def test_gfe_variance_at_400_or_more_over_the_estimate(total, found):
    # five March sessions at 100: billed 500; 500 - 100 = 400 (a dispute), 399.99 (none)
    book, issues = book_from(REGISTER.format(total=total))
    assert not [i for i in issues if i.is_error]
    findings = documents.findings(book, "2026-04-30")
    assert [(str(i.where), i.code.value) for i in findings] == (
        [("Documents!G2", "gfe-variance")] if found else []
    )
    if found:
        assert "$500.00" in findings[0].message and "$400.00" in findings[0].message


def test_a_voided_estimate_is_not_compared():
    text = (
        REGISTER.format(total="100").replace("| total  |\n", "| total  | voids     |\n")
        + "| VOID-00001      | void     | C1        |              |            | 2026-02-21 09:00 |        | GFE-00001 |\n"
    )
    book, issues = book_from(text)
    assert not [i for i in issues if i.is_error], issues
    assert len(book.frame("Documents")) == 2
    assert documents.findings(book, "2026-04-30") == []


def test_an_issued_estimate_is_recorded_with_its_period_and_total(tmp_path):
    path = write_practice(tmp_path / "p.xlsx")
    done = documents.issue(path, EstimateRequest("C2", Q2["start"], Q2["end"], (("90834", 6),)))
    assert done.number == "GFE-00001"
    import practicebook

    book, _ = practicebook.load(path)
    row = documents.register(book).iloc[0]
    assert (row["period_start"].date(), row["period_end"].date()) == (Q2["start"], Q2["end"])
    assert row["total"] == Decimal("720.00")
