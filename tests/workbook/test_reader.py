"""The pre-flight guard and the typed reading of real workbook files."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from practicebook import api
from practicebook.errors import UnreadableWorkbook
from practicebook.model import FormulaWithoutValue
from practicebook.schema import WORKBOOK
from practicebook.workbook.guard import preflight
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.template import write_workbook
from tests.support import hostile


def small_book(path: Path) -> Path:
    write_workbook(
        path,
        {
            "Clients": [{"client_id": "C1", "first_name": "Ada", "last_name": "Example"}],
            "Services": [{"service_code": "90834", "description": "Therapy", "base_fee": 150}],
        },
    )
    return path


def rewrite_zip(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def unreadable(path: Path, **kw) -> str:
    start = time.perf_counter()
    with pytest.raises(UnreadableWorkbook) as info:
        api.load(path, **kw)
    assert time.perf_counter() - start < 2, "the guard must answer quickly"
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_a_sound_workbook_passes(tmp_path):
    book = preflight(small_book(tmp_path / "ok.xlsx"))
    assert {"Clients", "Services", "Sessions", "Lists"} <= set(book.sheets)
    assert book.schema_version == WORKBOOK.version


def test_not_a_zip(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("client,amount\nC1,150\n")
    assert "not a zip" in unreadable(path)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert "empty" in unreadable(tmp_path / "empty.xlsx")
    assert "no such file" in unreadable(tmp_path / "absent.xlsx")


def _renamed_stream(container: bytes, old: str, new: str) -> bytes:
    """An OLE2 container with stream ``old`` renamed ``new`` in its directory entry (the
    name fills the entry's first 64 bytes, its length in bytes the next two)."""
    at = container.index((old + "\0").encode("utf-16-le"))
    name = (new + "\0").encode("utf-16-le")
    entry = name.ljust(64, b"\0") + len(name).to_bytes(2, "little")
    return container[:at] + entry + container[at + 66 :]


def test_legacy_xls_and_other_office_files(tmp_path):
    from practicebook.workbook.crypto import encrypt_workbook

    locked = encrypt_workbook(small_book(tmp_path / "ok.xlsx").read_bytes(), "s3cret")
    old = _renamed_stream(locked, "EncryptedPackage", "Workbook")  # as Excel 97-2003 names it
    (tmp_path / "old.xlsx").write_bytes(old)
    assert "old-style .xls workbook" in unreadable(tmp_path / "old.xlsx")
    (tmp_path / "letter.xlsx").write_bytes(_renamed_stream(locked, "EncryptedPackage", "Word"))
    assert "Office file of another kind" in unreadable(tmp_path / "letter.xlsx")
    for cut in (600, len(locked) // 3):  # a protected workbook cut short
        (tmp_path / "cut.xlsx").write_bytes(locked[:cut])
        message = unreadable(tmp_path / "cut.xlsx", password="s3cret")
        assert "damaged or truncated" in message or "protection is damaged" in message


def test_password_protected_needs_its_password(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = small_book(tmp_path / "plain.xlsx")
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as out:
        OOXMLFile(src).encrypt("s3cret", out)
    assert "password-protected" in unreadable(locked)
    assert "wrong password" in unreadable(locked, password="nope")
    book, issues = api.load(locked, password="s3cret")
    assert book.clients["client_id"].tolist() == ["C1"]
    assert not [i for i in issues if i.is_error]


def test_truncated(tmp_path):
    data = small_book(tmp_path / "ok.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or truncated" in unreadable(path)


def test_zip_bomb_is_refused_by_compression_ratio(tmp_path):
    src = small_book(tmp_path / "ok.xlsx")
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'

    def inflate(name, data):
        if name == "xl/worksheets/sheet2.xml":
            return data.replace(b"</sheetData>", row * 300_000 + b"</sheetData>")
        return data

    bomb = rewrite_zip(src, tmp_path / "bomb.xlsx", inflate)
    assert bomb.stat().st_size < 2_000_000
    assert "zip bomb" in unreadable(bomb)


def test_dtd_in_a_part_is_refused(tmp_path):
    src = small_book(tmp_path / "ok.xlsx")

    def add_dtd(name, data):
        if name == "xl/workbook.xml":
            return data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
        return data

    assert "DTD" in unreadable(rewrite_zip(src, tmp_path / "dtd.xlsx", add_dtd))


def test_a_sheet_part_missing_from_the_package(tmp_path):
    src = small_book(tmp_path / "ok.xlsx")
    gone = rewrite_zip(
        src,
        tmp_path / "gone.xlsx",
        lambda name, data: None if name == "xl/worksheets/sheet3.xml" else data,
    )
    assert "no data part" in unreadable(gone)


def make_messy(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    money = wb.add_format({"num_format": "0.00"})
    clients = wb.add_worksheet("Clients")
    clients.write_row(0, 0, ["Client ID", "First name", "Last name"])
    clients.write_row(1, 0, ["C1", "Ada", "Example"])
    services = wb.add_worksheet("services")  # sheet names match case-insensitively
    services.write_row(0, 0, ["Service code", "Description", "Base fee"])
    services.write_row(1, 0, ["90834", "Therapy"])
    services.write_number(1, 2, 150, money)
    services.write_row(2, 0, ["90837", "Therapy 60", "abc"])
    services.write_row(3, 0, ["90832", "Therapy 30"])
    services.write_boolean(3, 2, True)
    services.write_row(4, 0, ["90847", "Family"])
    services.write_formula(4, 2, "=1/0", None, "#DIV/0!")
    services.write_row(5, 0, ["90846", "Family 2", "$1,200.50"])
    sessions = wb.add_worksheet("Sessions")
    # the table starts on row 2 under an empty first row; the status cells are merged
    sessions.write_row(
        1, 0, ["Session ID", "Client ID", "Service code", "Scheduled start", "Status"]
    )
    sessions.write_row(2, 0, ["S1", "C1", "90834"])
    sessions.write_datetime(
        2, 3, dt.datetime(2026, 3, 2, 10), wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    )
    sessions.merge_range(2, 4, 3, 4, "attended")
    sessions.write_row(3, 0, ["S2", "C1", "90834", "2026-03-09 10:00"])
    wb.close()
    return path


def test_typed_reading_reports_each_bad_cell(tmp_path):
    book, issues = api.load(make_messy(tmp_path / "messy.xlsx"))
    found = {(str(i.where), i.code.value) for i in issues}
    assert ("services!C3", "bad-money") in found
    assert ("services!C4", "bad-money") in found  # TRUE in a money cell is not 1.00
    assert ("services!C5", "cell-error") in found
    assert ("Sessions!E3", "merged-cells") in found
    assert book.services["base_fee"].tolist() == [15000, 120050]
    # rows keep their real Excel row numbers although the table starts on row 2
    assert book.sessions["_row"].tolist() == [3]
    assert ("Sessions!E4", "missing-value") in found
    assert book.sessions["scheduled_start"].tolist() == [dt.datetime(2026, 3, 2, 10)]


def test_reading_from_bytes_gives_the_same_tables(tmp_path):
    path = make_messy(tmp_path / "messy.xlsx")
    _, from_path = read_workbook(path)
    _, from_bytes = read_workbook("memory", path.read_bytes())
    assert [t.headers for t in from_path] == [t.headers for t in from_bytes]
    assert [len(t.data) for t in from_path] == [len(t.data) for t in from_bytes]


@pytest.fixture(scope="module")
def sound_bytes(tmp_path_factory) -> bytes:
    return small_book(tmp_path_factory.mktemp("fuzz") / "ok.xlsx").read_bytes()


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_files_only_ever_raise_unreadable_workbook(sound_bytes, tmp_path, data):
    damaged = bytearray(sound_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(damaged) // 2, len(damaged)))
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        api.load(path)
    except UnreadableWorkbook as exc:
        assert "\n" not in str(exc)


# --- cells the typed read cannot give faithfully ----------------------------------------


def german_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    practice = wb.add_worksheet("Practice")
    practice.write_row(0, 0, ["Key", "Value"])
    practice.write_row(1, 0, ["locale", "de_DE"])
    practice.write_row(2, 0, ["currency", "EUR"])
    services = wb.add_worksheet("Services")
    services.write_row(0, 0, ["Service code", "Description", "Base fee", "Min minutes"])
    services.write_row(1, 0, ["A1", "Text fee"])
    services.write_string(1, 2, "1.234")  # German readers mean 1.234,00 €
    services.write_string(1, 3, "45")
    services.write_row(2, 0, ["A2", "Ambiguous fee"])
    services.write_string(2, 2, "12.50")  # 1.250,00 € or 12,50 €? babel will not say
    services.write_row(3, 0, ["A3", "Number fee", 12.5, 50])
    services.write_row(4, 0, ["A4", "Rich text fee"])
    services.write_rich_string(4, 2, wb.add_format({"bold": True}), "1.2", "34,5")
    clients = wb.add_worksheet("Clients")
    clients.write_row(0, 0, ["Client ID", "First name", "Last name"])
    wb.close()
    return path


def test_a_text_cell_in_a_number_column_reaches_the_parser_as_its_text(tmp_path):
    path = german_book(tmp_path / "de.xlsx")
    _, tables = read_workbook(path)
    services = next(t for t in tables if t.name == "Services")
    assert services.raw_cells[(0, 2)] == "1.234"
    assert services.raw_cells[(0, 3)] == "45"
    assert services.raw_cells[(1, 2)] == "12.50"
    assert services.raw_cells[(3, 2)] == "1.234,5"
    assert (2, 2) not in services.raw_cells and services.data.iat[2, 2] == 12.5
    book, issues = api.load(path)
    fees = dict(zip(book.services["service_code"], book.services["base_fee"], strict=True))
    assert fees["A1"] == 123_400 and fees["A3"] == 1_250 and fees["A4"] == 123_450
    assert book.services.set_index("service_code").loc["A1", "min_minutes"] == 45
    found = {(str(i.where), i.code.value) for i in issues}
    assert ("Services!C3", "ambiguous-money") in found


def with_formulas(src: Path, dst: Path) -> Path:
    """Sessions!N2 a formula saved without its value, N3 one with its value."""
    data = src.read_bytes()

    def edit(xml: bytes) -> bytes:
        row2 = b'<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="N2"><f>150*1.1</f></c></row>'
        row3 = b'<row r="3"><c r="A3" t="inlineStr"><is><t>S2</t></is></c><c r="N3"><f>100+5</f><v>105</v></c></row>'
        return xml.replace(b"</sheetData>", row2 + row3 + b"</sheetData>")

    dst.write_bytes(hostile.edit_sheet(data, "Sessions", edit))
    return dst


def test_a_formula_without_its_value_is_marked_and_one_with_it_is_read(tmp_path):
    path = with_formulas(small_book(tmp_path / "ok.xlsx"), tmp_path / "formulas.xlsx")
    _, tables = read_workbook(path)
    sessions = next(t for t in tables if t.name == "Sessions")
    fee = sessions.headers.index("Fee override")
    assert sessions.column_number(fee) == 14
    assert isinstance(sessions.raw_cells[(0, fee)], FormulaWithoutValue)
    assert (1, fee) not in sessions.raw_cells and sessions.data.iat[1, fee] == 105


def test_a_header_below_a_title_keeps_every_row_in_its_place(tmp_path):
    path = tmp_path / "title.xlsx"
    wb = xlsxwriter.Workbook(path)
    clients = wb.add_worksheet("Clients")
    clients.write(0, 0, "Clients of the practice")
    clients.write_row(2, 0, ["Client ID", "First name", "Last name"])
    clients.write_row(3, 0, ["C1", "Ada", "Example"])
    clients.write_row(5, 0, ["C2", "Bo", "Example"])
    wb.close()
    book, _ = api.load(path)
    assert book.clients["client_id"].tolist() == ["C1", "C2"]
    assert book.clients["_row"].tolist() == [4, 6]


def test_the_fast_scan_and_the_exact_walk_agree(tmp_path):
    """Cells found over the raw bytes and by the XML parser, on the same sheet written
    the usual way and with prefixed element names (which only the walk reads)."""
    from practicebook.workbook.scan import scan_body

    german = german_book(tmp_path / "de.xlsx").read_bytes()
    formulas = with_formulas(small_book(tmp_path / "ok.xlsx"), tmp_path / "f.xlsx").read_bytes()
    found = 0
    for data, sheet, watched in ((german, "Services", [3, 4]), (formulas, "Sessions", [5, 14])):
        fast = scan_body(data, hostile.sheet_part(data, sheet), sheet, watched, from_row=2)
        odd = hostile.prefixed(data, sheet)
        exact = scan_body(odd, hostile.sheet_part(odd, sheet), sheet, watched, from_row=2)
        assert fast.cells == exact.cells
        assert fast.formulas == exact.formulas
        assert fast.merged == exact.merged
        found += len(fast.cells) + len(fast.formulas)
    assert found == 5  # four text fees and minutes, one formula without its value


def test_a_formula_a_script_wrote_with_an_empty_value_has_no_value(tmp_path):
    """openpyxl and other scripts store an uncalculated formula with an empty value
    element; Excel stores a formula that gives empty text as a text cell with one."""
    import openpyxl

    path = small_book(tmp_path / "ok.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Sessions"]
    top = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Session ID")
    fee = next(c for c in range(1, 30) if ws.cell(top, c).value == "Fee override")
    memo = next(c for c in range(1, 30) if ws.cell(top, c).value == "Memo")
    ws.cell(top + 1, 1, "S1")
    ws.cell(top + 1, fee, "=100+50")
    wb.save(path)
    data = path.read_bytes()
    part = hostile.sheet_part(data, "Sessions")
    with zipfile.ZipFile(path) as z:
        assert b"<f>100+50</f><v" in z.read(part)  # as openpyxl writes it: <v/> or <v></v>
    text_result = f'<c r="{_letter(memo)}{top + 2}" t="str"><f>IF(1,"","x")</f><v></v></c>'
    excel_empty = hostile.edit_sheet(
        data,
        "Sessions",
        lambda xml: xml.replace(
            b"</sheetData>",
            f'<row r="{top + 2}"><c r="A{top + 2}" t="inlineStr"><is><t>S2</t></is></c>'.encode()
            + text_result.encode()
            + b"</row></sheetData>",
        ),
    )
    for written in (excel_empty, hostile.prefixed(excel_empty, "Sessions")):  # fast and exact
        path.write_bytes(written)
        _, tables = read_workbook(path)
        sessions = next(t for t in tables if t.name == "Sessions")
        column = sessions.headers.index("Fee override")
        assert isinstance(sessions.raw_cells[(0, column)], FormulaWithoutValue)
        marked = [k for k, v in sessions.raw_cells.items() if isinstance(v, FormulaWithoutValue)]
        assert marked == [(0, column)]  # the empty text result is a result
        _, issues = api.load(path)
        found = [(str(i.where), i.code.value) for i in issues]
        assert (f"Sessions!{_letter(fee)}{top + 1}", "formula-without-value") in found


def _letter(column: int) -> str:
    from practicebook.issues import column_letter

    return column_letter(column)
