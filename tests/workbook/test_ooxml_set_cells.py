"""set_cells: one row's cells change in place; everything else stays as it was."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from practicebook.workbook.ooxml import PackageError, changed_members, read_sheet, set_cells
from tests.workbook.test_ooxml_append import HEAD, sheet_xml, with_sheet

ROWS = (
    '<row r="1" spans="1:2"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>status</t></is></c></row>'
    '<row r="2" spans="1:2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c>'
    '<c r="B2" s="2"><v>1</v></c></row>'
    '<row r="3" spans="1:2"><c r="A3" t="inlineStr"><is><t>S2</t></is></c></row>'
)


def book(rows: str = ROWS, dimension: str = "A1:B3") -> bytes:
    return with_sheet(
        HEAD + f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def row_xml(xml: str, number: int) -> str:
    match = re.search(rf'<row r="{number}"[^>]*?(?:/>|>.*?</row>)', xml)
    assert match is not None
    return match.group(0)


def test_replaces_a_cell_keeping_its_style_and_leaves_other_rows_alone() -> None:
    before = book()
    after = set_cells(before, "Data", {(2, 2): "late_cancelled"})
    assert read_sheet(after, "Data") == [["id", "status"], ["S1", "late_cancelled"], ["S2", None]]
    xml, old = sheet_xml(after), sheet_xml(before)
    assert row_xml(xml, 1) == row_xml(old, 1) and row_xml(xml, 3) == row_xml(old, 3)
    assert '<c r="B2" s="2" t="inlineStr">' in row_xml(xml, 2)
    assert changed_members(before, after) == {"xl/worksheets/sheet1.xml"}


def test_inserts_new_cells_in_column_order_and_widens_spans_and_dimension() -> None:
    after = set_cells(book(), "Data", {(3, 4): dt.datetime(2026, 3, 8, 22, 0), (3, 2): "x"})
    row = row_xml(sheet_xml(after), 3)
    assert re.findall(r'<c r="([A-Z]+)3"', row) == ["A", "B", "D"]
    assert 'spans="1:4"' in row
    assert '<dimension ref="A1:D3"/>' in sheet_xml(after)
    assert read_sheet(after, "Data")[2] == ["S2", "x", None, dt.datetime(2026, 3, 8, 22, 0)]


def test_formula_like_text_is_stored_as_quoted_text() -> None:
    after = set_cells(book(), "Data", {(2, 2): '=HYPERLINK("http://x")'})
    row = row_xml(sheet_xml(after), 2)
    assert "<f>" not in row and 't="inlineStr"' in row
    assert read_sheet(after, "Data")[1][1] == '=HYPERLINK("http://x")'


def test_a_self_closed_row_is_opened() -> None:
    rows = ROWS + '<row r="4" spans="1:2"/>'
    after = set_cells(book(rows, "A1:B4"), "Data", {(4, 1): "S3"})
    assert row_xml(sheet_xml(after), 4).startswith('<row r="4" spans="1:2"><c r="A4"')
    assert read_sheet(after, "Data")[3] == ["S3", None]


def test_none_empties_a_cell_but_keeps_its_format() -> None:
    after = set_cells(book(), "Data", {(2, 2): None})
    assert '<c r="B2" s="2"/>' in row_xml(sheet_xml(after), 2)


def test_a_missing_row_or_sheet_is_refused() -> None:
    with pytest.raises(PackageError, match="no row 9"):
        set_cells(book(), "Data", {(9, 1): "x"})
    with pytest.raises(PackageError, match="no sheet"):
        set_cells(book(), "Nope", {(2, 1): "x"})


def test_a_shared_formula_anchor_is_refused() -> None:
    rows = ROWS.replace(
        '<c r="B2" s="2"><v>1</v></c>',
        '<c r="B2"><f t="shared" ref="B2:B3" si="0">A2</f><v>1</v></c>',
    )
    with pytest.raises(PackageError, match="anchors a shared or array formula"):
        set_cells(book(rows), "Data", {(2, 2): "x"})


def test_replacing_a_formula_drops_a_calc_chain_naming_the_sheet() -> None:
    rows = ROWS.replace('<c r="B2" s="2"><v>1</v></c>', '<c r="B2"><f>1+0</f><v>1</v></c>')
    data = book(rows)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(
                    b"</Relationships>",
                    (
                        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                        b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                        b"</Relationships>"
                    ),
                )
            dst.writestr(info, body)
        dst.writestr(
            "xl/calcChain.xml",
            '<calcChain xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><c r="B2" i="1"/></calcChain>',
        )
    after = set_cells(out.getvalue(), "Data", {(2, 2): "cancelled"})
    names = zipfile.ZipFile(io.BytesIO(after)).namelist()
    assert "xl/calcChain.xml" not in names
    rels = zipfile.ZipFile(io.BytesIO(after)).read("xl/_rels/workbook.xml.rels")
    assert b"calcChain" not in rels
