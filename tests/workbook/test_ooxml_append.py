"""append_rows on the sheet shapes other programs write."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter

from practicebook.workbook.ooxml import PackageError, append_rows, read_sheet

HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)


def base_book() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_format({"num_format": "yyyy-mm-dd"})  # style 1
    wb.add_format({"num_format": "0.00"})  # style 2
    ws = wb.add_worksheet("Data")
    ws.write("A1", "x", wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write("B1", 1, wb.add_format({"num_format": "0.00"}))
    wb.close()
    return out.getvalue()


def with_sheet(xml: str) -> bytes:
    """The base book with its sheet1.xml replaced by `xml`."""
    src = zipfile.ZipFile(io.BytesIO(base_book()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = xml.encode() if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info, body)
    return out.getvalue()


def sheet_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def test_self_closed_sheet_data() -> None:
    data = with_sheet(HEAD + '<dimension ref="A1"/><sheetData/></worksheet>')
    out, rows = append_rows(data, "Data", [["a", 1], ["b", 2]])
    assert rows == [2, 3]  # row 1 is taken to be the (missing) header
    assert read_sheet(out, "Data") == [[None, None], ["a", 1], ["b", 2]]
    assert '<dimension ref="A1:B3"/>' in sheet_xml(out)


def test_spans_omitted_refs_and_shared_strings_copy_last_row_styles() -> None:
    xml = (
        HEAD + '<dimension ref="A1:C3"/><sheetData>'
        '<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c></row>'
        '<row r="3" spans="1:3"><c s="1"><v>45000</v></c><c/>'
        '<c r="C3" s="2"><v>1.5</v></c></row>'
        '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        'header="0.3" footer="0.3"/></worksheet>'
    )
    out, rows = append_rows(with_sheet(xml), "Data", [[dt.date(2024, 1, 2), "t", 2.25]])
    assert rows == [4]
    assert re.search(
        r'<row r="4"><c r="A4" s="1"><v>45293</v></c><c r="B4" t="inlineStr">'
        r'<is><t xml:space="preserve">t</t></is></c><c r="C4" s="2"><v>2.25</v></c>'
        r"</row></sheetData>",
        sheet_xml(out),
    )
    assert read_sheet(out, "Data")[3] == [dt.date(2024, 1, 2), "t", 2.25]
    assert '<dimension ref="A1:C4"/>' in sheet_xml(out)
    assert openpyxl.load_workbook(io.BytesIO(out))["Data"]["A4"].number_format == "yyyy-mm-dd"


def test_bare_header_uses_column_styles_and_dates_get_a_date_format() -> None:
    xml = (
        HEAD + '<cols><col min="2" max="2" width="12" style="2" customWidth="1"/></cols>'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>when</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    out, rows = append_rows(with_sheet(xml), "Data", [[dt.datetime(2024, 1, 2, 13, 30), 3]])
    assert rows == [2]
    ws = openpyxl.load_workbook(io.BytesIO(out))["Data"]
    assert ws["A2"].value == dt.datetime(2024, 1, 2, 13, 30)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["B2"].number_format == "0.00"


def test_header_row_below_a_title() -> None:
    xml = (
        HEAD + "<sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Practice ledger</t></is></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>id</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    _, rows = append_rows(with_sheet(xml), "Data", [[1]], header_row=3)
    assert rows == [4]
    _, rows = append_rows(with_sheet(xml), "Data", [[1]], header_row=5)
    assert rows == [6]


def test_unsupported_shapes_are_refused() -> None:
    prefixed = HEAD.replace('xmlns="', 'xmlns:x="') + "<x:sheetData/></worksheet>"
    with pytest.raises(PackageError, match="sheetData"):
        append_rows(with_sheet(prefixed), "Data", [[1]])
    with pytest.raises(PackageError, match="row number"):
        append_rows(
            with_sheet(HEAD + "<sheetData><row><c><v>1</v></c></row></sheetData></worksheet>"),
            "Data",
            [[1]],
        )


def test_totals_row_table_is_refused() -> None:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Data")
    columns = [{"header": "a"}, {"header": "b", "total_function": "sum"}]
    ws.add_table("A1:B4", {"total_row": True, "columns": columns})
    wb.close()
    with pytest.raises(PackageError, match="totals row"):
        append_rows(out.getvalue(), "Data", [[1, 2]])


def test_nothing_to_append_returns_input() -> None:
    data = base_book()
    assert append_rows(data, "Data", []) == (data, [])
