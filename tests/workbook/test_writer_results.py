"""Derived sheets: written only from the bytes they were computed from, never over a
sheet of the user's own, each under its title lines."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.errors import SheetConflict, WorkbookChanged
from practicebook.generate import generate
from practicebook.render.cells import SheetSpec
from practicebook.render.sheets import RESULT_SHEETS, result_sheets
from practicebook.workbook import ooxml, writer

AS_OF = dt.date(2026, 6, 30)
PAYMENT = {"client_id": "C0002", "received_date": "2026-03-02", "amount": "15.25", "method": "card"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("gen") / "practice.xlsx"
    generate(60).write(path)
    return path.read_bytes()


@pytest.fixture
def book(tmp_path: Path, generated: bytes) -> Path:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(generated)
    return path


def reconciled(path: Path) -> tuple[str, object]:
    """What a batch run holds: the hash of the bytes it read and the results from them."""
    raw = path.read_bytes()
    loaded, _ = api.load(path, data=raw)
    return hashlib.sha256(raw).hexdigest(), reconcile(loaded, AS_OF)


def balances_on_file(path: Path) -> dict[str, object]:
    rows = ooxml.read_sheet(path.read_bytes(), "Balances")
    at = next(i for i, r in enumerate(rows) if r and r[0] == "Client ID")
    header = rows[at]
    return {r[0]: r[header.index("Balance")] for r in rows[at + 1 :]}


# --- results from the bytes they came from -----------------------------------------


def test_results_computed_before_someone_saved_are_refused(book: Path) -> None:
    digest, rec = reconciled(book)
    writer.add_payment(book, PAYMENT)  # another program saves a payment meanwhile
    changed = book.read_bytes()
    with pytest.raises(WorkbookChanged, match="changed by another program"):
        writer.write_results(book, rec, source_sha256=digest)
    assert book.read_bytes() == changed


def test_a_reconciliation_without_the_hash_of_its_bytes_is_refused(book: Path) -> None:
    _, rec = reconciled(book)
    with pytest.raises(TypeError, match="source_sha256"):
        writer.write_results(book, rec)
    assert "Balances" not in ooxml.sheet_names(book.read_bytes())


def test_results_with_the_hash_of_the_file_as_it_is_are_written(book: Path) -> None:
    digest, rec = reconciled(book)
    written = writer.write_results(book, rec, source_sha256=digest, tool="cli")
    assert written.reconciliation is rec
    expected = dict(zip(rec.balances["client_id"], rec.balances["balance"], strict=True))
    assert balances_on_file(book) == expected  # exact decimals on both sides


def test_the_hash_of_other_bytes_is_refused_even_for_a_fresh_reconciliation(book: Path) -> None:
    with pytest.raises(WorkbookChanged):
        writer.write_results(book, as_of=AS_OF, source_sha256="0" * 64)
    assert "Balances" not in ooxml.sheet_names(book.read_bytes())


# --- sheets of the user's own ------------------------------------------------------


def _with_sheet(data: bytes, spec: SheetSpec) -> bytes:
    return ooxml.write_sheets(data, [spec])


def test_a_users_own_sheet_named_like_a_derived_sheet_is_not_replaced(book: Path) -> None:
    mine = SheetSpec("Ledger", ["Date", "What", "Amount"], [["2026-01-05", "rent", 900]])
    book.write_bytes(_with_sheet(book.read_bytes(), mine))
    before = book.read_bytes()
    with pytest.raises(SheetConflict) as refused:
        writer.write_results(book, as_of=AS_OF)
    message = str(refused.value)
    assert "'Ledger'" in message and "rename it" in message and "nothing was written" in message
    assert book.read_bytes() == before


def test_a_sheet_an_earlier_version_wrote_still_counts_as_ours(book: Path) -> None:
    loaded, issues = api.load(book)
    rec = reconcile(loaded, AS_OF)
    old = [
        SheetSpec(s.name, s.header, s.rows[:2], s.number_formats)  # no title, no marker
        for s in result_sheets(rec, loaded, issues)
    ]
    book.write_bytes(ooxml.write_sheets(book.read_bytes(), old))
    writer.write_results(book, as_of=AS_OF)
    names = ooxml.sheet_names(book.read_bytes())
    assert [n for n in names if n in RESULT_SHEETS] == list(RESULT_SHEETS)
    assert len(ooxml.read_sheet(book.read_bytes(), "Ledger")) > 3


def test_our_sheet_stays_ours_when_its_header_is_edited(book: Path) -> None:
    writer.write_results(book, as_of=AS_OF)
    data = book.read_bytes()
    rows = ooxml.read_sheet(data, "Aging")
    header_row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == "Client ID")
    book.write_bytes(ooxml.set_cells(data, "Aging", {(header_row, 1): "Klient"}))
    writer.write_results(book, as_of=AS_OF)
    assert any(r and r[0] == "Client ID" for r in ooxml.read_sheet(book.read_bytes(), "Aging"))


def test_a_users_sheet_made_after_deleting_ours_is_not_replaced(book: Path) -> None:
    writer.write_results(book, as_of=AS_OF)
    data = _without_sheet(book.read_bytes(), "Flags")
    mine = SheetSpec("Flags", ["Note"], [["call the insurer"]])
    book.write_bytes(_with_sheet(data, mine))
    with pytest.raises(SheetConflict):
        writer.write_results(book, as_of=AS_OF)


def _without_sheet(data: bytes, name: str) -> bytes:
    """The package with sheet ``name`` removed from the sheet list (its part stays, unused)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = re.sub(rb'<sheet name="%s"[^>]*/>' % name.encode(), b"", content)
            target.writestr(info, content)
    return out.getvalue()


# --- title lines -------------------------------------------------------------------


def test_derived_sheets_carry_their_title_lines_above_the_table(book: Path) -> None:
    loaded, issues = api.load(book)
    rec = reconcile(loaded, AS_OF)
    specs = result_sheets(rec, loaded, issues)
    writer.write_results(book, as_of=AS_OF)
    data = book.read_bytes()
    for spec in specs:
        rows = ooxml.read_sheet(data, spec.name)
        top = len(spec.title)
        assert [r[0] for r in rows[:top]] == list(spec.title)
        assert rows[top][: len(spec.header)] == list(spec.header)


# --- dates a cell cannot hold --------------------------------------------------------


def test_journey_reconcile_write_over_cells_that_are_no_dates(book: Path) -> None:
    """A time alone (10:30), serial 60 (Excel's 29 February 1900) and 9999-12-31 in
    Scheduled start: each is bad-date on Flags, its session is charged nothing, and
    ``practicebook reconcile --write`` writes the results (it once crashed on them)."""
    import openpyxl
    from click.testing import CliRunner

    from practicebook.frontends.cli import main

    wb = openpyxl.load_workbook(book)
    ws = wb["Sessions"]
    top = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Session ID")
    start = next(c for c in range(1, 40) if ws.cell(top, c).value == "Scheduled start")
    odd = {top + 1: dt.time(10, 30), top + 2: 60, top + 3: dt.datetime(9999, 12, 31)}
    moved = {str(ws.cell(row, 1).value): row for row in odd}
    for row, value in odd.items():
        ws.cell(row, start, value)
    wb.save(book)
    loaded, _ = api.load(book)
    expected = reconcile(loaded, AS_OF)
    assert not set(moved) & set(loaded.sessions["session_id"])
    assert not set(moved) & set(expected.charges["session_id"].dropna())

    done = CliRunner().invoke(main, ["reconcile", str(book), "--as-of", str(AS_OF), "--write"])
    assert done.exit_code == 1 and "Traceback" not in done.output, done.output
    flags = ooxml.read_sheet(book.read_bytes(), "Flags")
    header = flags.index(
        ["Code", "Severity", "Sheet", "Cell", "Row ID", "Client ID", "Message", "Hint"]
    )
    bad = {(r[2], r[3], r[4]) for r in flags[header + 1 :] if r[0] == "bad-date"}
    letter = str(loaded.cell("Sessions", "scheduled_start", top)).split("!")[1].rstrip("0123456789")
    assert bad == {("Sessions", f"{letter}{row}", sid) for sid, row in moved.items()}
    balances = dict(zip(expected.balances["client_id"], expected.balances["balance"], strict=True))
    on_file = {
        k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in balances_on_file(book).items()
    }
    assert on_file == balances
