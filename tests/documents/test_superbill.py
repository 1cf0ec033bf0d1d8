"""Superbills: attended sessions of eligible CPT codes only, never a late-cancel or no-show
fee; exact dates, POS, modifiers, diagnoses in effect; every missing field at its cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from practicebook import documents
from practicebook.core.documents import SuperbillRequest
from practicebook.errors import RowRefused
from tests.documents.helpers import (
    TABLES,
    pdf_lines,
    pdf_text,
    practice_text,
    small_book,
    write_practice,
)
from tests.support.books import book_from

DAY = dt.date(2026, 4, 2)


def test_superbill_lists_attended_sessions_only_with_exact_details():
    book, _ = small_book()
    doc = documents.superbill(book, "C1", month="2026-03", issued_on=DAY)
    assert not doc.blocked, doc.issues
    lines = doc.lines
    assert list(lines["session_id"]) == ["S2", "S5"]  # S3 (late cancel), S4 (no-show) are fees
    assert list(lines["cpt"]) == ["90834", "90834"]
    assert list(lines["place_of_service"]) == ["11", "02"]
    assert list(lines["modifiers"]) == ["", "95"]
    assert list(lines["diagnoses"]) == ["F41.1", "F41.1, F32.1"]  # F32.1 from 03-10
    assert [str(v) for v in lines["fee"]] == ["150.00", "150.00"]
    assert [str(v) for v in lines["paid"]] == ["150.00", "0.00"]
    assert doc.totals == {
        "Total charged": Decimal("300.00"),
        "Total paid": Decimal("150.00"),
        "Balance": Decimal("150.00"),
    }
    text = pdf_text(documents.to_pdf(doc))
    assert "Mar 2, 2026" in text and "Mar 23, 2026" in text
    assert "Mar 9, 2026" not in text and "Mar 16, 2026" not in text
    for word in ("Late cancellation", "Missed appointment", "LATECXL", "NOSHOW"):
        assert word not in text
    for field in (
        "1234567893",
        "LCSW",
        "123456",
        "12-3456789",
        "Jan 1, 1990",
        "F32.1",
        "Generalized anxiety disorder",
        "Provider signature",
    ):
        assert field in text, field


def test_only_sessions_paid_in_full_when_asked():
    book, _ = small_book()
    doc = documents.superbill(book, "C1", month="2026-03", paid_only=True, issued_on=DAY)
    assert list(doc.lines["session_id"]) == ["S2"]


def test_sessions_of_services_not_eligible_are_left_out():
    text = practice_text().replace(
        "| 90791        | Diagnostic evaluation     | Counselling        | 200      | TRUE ",
        "| 90791        | Diagnostic evaluation     | Counselling        | 200      | FALSE",
    )
    book, _ = book_from(text)
    with pytest.raises(LookupError, match="no attended session"):
        documents.superbill(book, "C1", month="2026-02", issued_on=DAY)


MISSING = {
    ("Practice", "superbill-missing-field"),  # tax_id row blanked below
    ("Clients!D3", "superbill-missing-field"),  # C2's date of birth
    ("Clients!E3", "superbill-missing-field"),  # address line 1
    ("Clients!F3", "superbill-missing-field"),  # city
    ("Clients!H3", "superbill-missing-field"),  # postal code
    ("Clinicians!E2", "superbill-missing-npi"),
    ("Clinicians!D2", "superbill-missing-field"),  # licence number
    ("Clinicians!F2", "superbill-missing-field"),  # licence state
    ("Sessions!E8", "superbill-missing-diagnosis"),  # S7 (2026-03-04): C2 has no diagnosis
}


def incomplete_text() -> str:
    text = practice_text().replace("| tax_id | 12-3456789 |\n", "")
    return text.replace(
        "| T1           | Robin Example | LCSW        | 123456         | 1234567893 | IL            |",
        "| T1           | Robin Example | LCSW        |                |            |               |",
    )


def test_an_incomplete_superbill_names_every_missing_field_at_its_cell():
    book, _ = book_from(incomplete_text())
    doc = documents.superbill(book, "C2", month="2026-03", issued_on=DAY)
    found = {(str(i.where), i.code.value) for i in doc.issues}
    assert found == MISSING
    assert doc.blocked and all(i.is_error for i in doc.issues)
    assert all("Bo" not in i.message and "Sample" not in i.message for i in doc.issues)


def test_an_incomplete_superbill_is_refused_unless_drafted(tmp_path):
    tables = incomplete_text().split("## Clinicians", 1)[1]
    path = write_practice(tmp_path / "p.xlsx", "## Clinicians" + tables, tax_id=None)
    before = path.read_bytes()
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    with pytest.raises(RowRefused) as refused:
        documents.issue(path, SuperbillRequest("C2", *march))
    assert {i.code.value for i in refused.value.issues} == {c for _, c in MISSING}
    assert len(refused.value.issues) == len(MISSING)
    assert path.read_bytes() == before
    draft_path, doc = documents.draft(
        path, SuperbillRequest("C2", *march, draft=True), issued_on=DAY
    )
    assert draft_path.name == "DRAFT_superbill_C2_2026-03.pdf"
    assert "DRAFT" in pdf_lines(draft_path.read_bytes()) and doc.number is None
    assert path.read_bytes() == before  # a draft is never recorded


def test_a_complete_superbill_is_issued_and_never_lists_a_session_twice(tmp_path):
    path = write_practice(tmp_path / "p.xlsx")
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    first = documents.issue(path, SuperbillRequest("C1", *march))
    assert first.number == "SB-00001" and first.document.charge_ids == ("S2", "S5")
    with pytest.raises(LookupError, match="not on a superbill already"):
        documents.issue(path, SuperbillRequest("C1", *march))
    documents.void(path, "SB-00001")
    assert documents.issue(path, SuperbillRequest("C1", *march)).number == "SB-00002"


def test_telehealth_without_a_modifier_is_a_warning_not_a_refusal():
    text = practice_text().replace(
        "| 02               | 95        |", "| 10               |           |"
    )
    book, _ = book_from(text)
    doc = documents.superbill(book, "C1", month="2026-03", issued_on=DAY)
    assert not doc.blocked
    (warning,) = doc.issues
    assert (str(warning.where), warning.severity.value) == ("Sessions!J6", "warning")


def test_the_tables_are_unchanged_by_these_tests():
    assert (
        "| S5         | C1        | T1           | 90834        | 2026-03-23 10:00 | attended"
        in TABLES
    )
