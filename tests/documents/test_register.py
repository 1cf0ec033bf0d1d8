"""Issuing: numbers run per type, one past the highest ever issued (never reused, even
after a void or a deleted row); each document's file and Documents row; all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal

import pytest

import practicebook
from practicebook import documents
from practicebook.core.documents import InvoiceRequest, ReceiptRequest, StatementRequest
from practicebook.errors import RowRefused, WriteFailed
from practicebook.workbook import ooxml
from tests.documents.helpers import pdf_text, write_practice

AT = dt.datetime(2026, 4, 2, 9, 30)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def book_path(tmp_path):
    return write_practice(tmp_path / "practice.xlsx")


def register(path):
    book, _ = practicebook.load(path)
    return documents.register(book)


def test_an_issued_document_is_a_file_and_a_register_row(book_path, tmp_path):
    done = documents.issue(book_path, StatementRequest("C1", *MARCH), issued_at=AT)
    assert done.number == "ST-00001"
    assert done.path == tmp_path / "documents" / "ST-00001_statement_C1_2026-03.pdf"
    data = done.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.sha256
    assert "ST-00001" in pdf_text(data)
    row = register(book_path).iloc[0]
    assert (row["document_number"], row["type"], row["client_id"]) == (
        "ST-00001",
        "statement",
        "C1",
    )
    assert row["sha256"] == done.sha256 and row["file_name"] == done.path.name
    assert row["total"] == Decimal("175.00") and row["issued_at"] == AT
    _, issues = practicebook.load(book_path)
    assert not [i for i in issues if i.is_error]
    log = ooxml.read_sheet(book_path.read_bytes(), "AuditLog")
    assert any(r[4] == "ST-00001" and r[5] == "issue" for r in log[1:])


def test_numbers_are_sequential_per_type_and_never_reused_after_a_void(book_path):
    first = documents.issue(book_path, InvoiceRequest("C1", session_ids=("S2",)), issued_at=AT)
    second = documents.issue(book_path, InvoiceRequest("C1", session_ids=("S5",)), issued_at=AT)
    receipt = documents.issue(book_path, ReceiptRequest("P3"), issued_at=AT)
    assert (first.number, second.number, receipt.number) == ("INV-00001", "INV-00002", "RC-00001")
    voided = documents.void(book_path, "INV-00002", reason="wrong session")
    assert (voided.number, voided.voids) == ("VOID-00001", "INV-00002")
    again = documents.issue(book_path, InvoiceRequest("C1", session_ids=("S5",)), issued_at=AT)
    assert again.number == "INV-00003"
    table = register(book_path)
    assert list(table["document_number"]) == [
        "INV-00001",
        "INV-00002",
        "RC-00001",
        "VOID-00001",
        "INV-00003",
    ]
    assert list(table["voided_by"].fillna("")) == ["", "VOID-00001", "", "", ""]
    assert second.path.exists()  # a voided document's file stays as issued


def test_a_charge_on_a_live_invoice_is_refused_and_nothing_is_written(book_path):
    documents.issue(book_path, InvoiceRequest("C1", session_ids=("S2",)), issued_at=AT)
    before = book_path.read_bytes()
    with pytest.raises(RowRefused) as refused:
        documents.issue(book_path, InvoiceRequest("C1", session_ids=("S2",)), issued_at=AT)
    (issue,) = refused.value.issues
    assert issue.code.value == "invoice-charge-twice"
    assert str(issue.where) == "Documents!L2"  # the cell that bills it already
    assert book_path.read_bytes() == before


def test_a_period_invoice_leaves_out_what_is_invoiced_already(book_path):
    documents.issue(book_path, InvoiceRequest("C1", session_ids=("S2",)), issued_at=AT)
    done = documents.issue(book_path, InvoiceRequest("C1", *MARCH), issued_at=AT)
    assert done.document.charge_ids == ("S3-LATECXL", "S4-NOSHOW", "S5")
    assert [i.severity.value for i in done.document.issues] == ["note"]


def test_a_deleted_register_row_never_frees_its_number(book_path):
    documents.issue(book_path, StatementRequest("C1", *MARCH), issued_at=AT)
    documents.issue(book_path, StatementRequest("C2", *MARCH), issued_at=AT)
    # someone clears the second row by hand: the AuditLog still knows ST-00002
    cleared = ooxml.set_cells(
        book_path.read_bytes(), "Documents", {(3, c): None for c in range(1, 15)}
    )
    book_path.write_bytes(cleared)
    assert list(register(book_path)["document_number"]) == ["ST-00001"]
    done = documents.issue(book_path, StatementRequest("C2", *MARCH), issued_at=AT)
    assert done.number == "ST-00003"


def test_a_run_is_all_or_nothing(book_path, tmp_path):
    from practicebook.core.documents import SuperbillRequest

    before = book_path.read_bytes()
    with pytest.raises(RowRefused):
        documents.issue_many(
            book_path,
            [StatementRequest("C1", *MARCH), SuperbillRequest("C2", *MARCH)],
            issued_at=AT,
        )
    assert book_path.read_bytes() == before
    assert not list((tmp_path / "documents").glob("*"))


def test_an_existing_file_is_never_overwritten(book_path, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "ST-00001_statement_C1_2026-03.pdf").write_bytes(b"mine")
    before = book_path.read_bytes()
    with pytest.raises(WriteFailed, match="exists already"):
        documents.issue(book_path, StatementRequest("C1", *MARCH), issued_at=AT)
    assert (folder / "ST-00001_statement_C1_2026-03.pdf").read_bytes() == b"mine"
    assert book_path.read_bytes() == before


def test_the_prefix_setting_heads_every_number(tmp_path):
    path = write_practice(tmp_path / "p.xlsx", document_prefix="NT-")
    assert documents.issue(path, StatementRequest("C1", *MARCH), issued_at=AT).number == (
        "NT-ST-00001"
    )


def test_a_statement_run_numbers_every_client_in_one_write(book_path):
    book, _ = practicebook.load(book_path)
    clients = documents.statement_clients(book, MARCH)
    seen = []
    done = documents.issue_many(
        book_path,
        [StatementRequest(c, *MARCH) for c in clients],
        issued_at=AT,
        progress=lambda k, n: seen.append((k, n)),
    )
    assert [d.number for d in done] == ["ST-00001", "ST-00002"]
    assert seen == [(1, 2), (2, 2)]
    assert list(register(book_path)["client_id"]) == ["C1", "C2"]


def test_a_version_1_workbook_is_told_to_upgrade(tmp_path):
    from tests.documents.test_upgrade import version_1_book

    path = version_1_book(tmp_path / "old.xlsx")
    with pytest.raises(RowRefused, match="no Documents sheet") as refused:
        documents.issue(path, StatementRequest("C1", *MARCH), issued_at=AT)
    assert "practicebook upgrade" in refused.value.issues[0].hint


def test_reconcile_reports_the_registers_findings_in_flags():
    # the register's findings are bookkeeping findings: Flags and `reconcile` show them too
    import datetime as dt

    from practicebook import api
    from practicebook.core.reconcile import reconcile
    from tests.test_gallery import CASES, load_case

    for case, cell in (("gfe-variance", "Documents!G2"), ("invoice-charge-twice", "Documents!E3")):
        tables, options, _ = load_case(CASES / f"{case}.md")
        book, _ = api.load_tables(tables)
        rec = reconcile(book, dt.date.fromisoformat(options.get("as_of", "2026-12-31")))
        assert (cell, case) in {(str(i.where), i.code.value) for i in rec.issues}
        assert case in set(rec.flags["code"])


def test_a_void_reason_excel_cannot_hold_is_refused_with_a_hint_that_fits(book_path):
    # the writers share one refusal: a text too long is shortened, not archived
    documents.issue(book_path, InvoiceRequest("C1", session_ids=("S2",)), issued_at=AT)
    before = book_path.read_bytes()
    with pytest.raises(RowRefused) as refused:
        documents.void(book_path, "INV-00001", reason="x" * 40_000, voided_at=AT)
    (issue,) = refused.value.issues
    assert issue.code.value == "out-of-range" and issue.where.sheet == "Documents"
    assert issue.hint.startswith("Shorten it")
    assert book_path.read_bytes() == before


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names fds by /proc")


def _fsynced_names(monkeypatch, fail: bool = False) -> list[str]:
    """Spy on ``os.fsync``: the names of the files flushed (``fail``: each flush fails)."""
    real, names = os.fsync, []

    def spy(fd):
        names.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        if fail:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return names


@needs_proc
def test_every_file_of_a_run_is_flushed_before_the_workbook_records_it(book_path, monkeypatch):
    names = _fsynced_names(monkeypatch)
    requests = [StatementRequest(c, *MARCH) for c in ("C1", "C2")]
    done = documents.issue_many(book_path, requests, issued_at=AT)
    flushed = [n for n in names if n.startswith(".practicebook-doc-")]
    assert len(flushed) == len(set(flushed)) == len(done) == 2
    first_workbook = next(i for i, n in enumerate(names) if not n.startswith(".practicebook-doc-"))
    assert all(names.index(n) < first_workbook for n in flushed)


@needs_proc
def test_a_file_that_cannot_be_flushed_refuses_the_run(book_path, tmp_path, monkeypatch):
    before = book_path.read_bytes()
    _fsynced_names(monkeypatch, fail=True)
    requests = [StatementRequest(c, *MARCH) for c in ("C1", "C2")]
    with pytest.raises(WriteFailed, match=r"ST-00001_statement_C1_2026-03\.pdf: Input/output"):
        documents.issue_many(book_path, requests, issued_at=AT)
    assert book_path.read_bytes() == before
    assert not list((tmp_path / "documents").glob("*"))
