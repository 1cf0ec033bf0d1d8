"""Title lines above a derived sheet's table: the table, frozen panes, filter and links
move down with the header, and spreadsheet readers see the sheet that way."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter

from practicebook.render.cells import SheetSpec
from practicebook.workbook.ooxml import read_sheet, write_sheets

TITLE = ["Lakeside Therapy — Balances", "as of 2026-06-30, written 2026-07-01 09:30"]


def empty_book() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet("Sessions").write_row(0, 0, ["id"])
    wb.close()
    return out.getvalue()


def spec(**kwargs: object) -> SheetSpec:
    rows = [["C1", Decimal("10.50"), dt.date(2026, 6, 1)], ["C2", Decimal("-3.00"), None]]
    return SheetSpec(
        "Balances",
        ["Client ID", "Balance", "Since"],
        rows,
        number_formats=[None, "#,##0.00", None],
        links={(1, 0): "'Sessions'!A3"},
        **kwargs,  # type: ignore[arg-type]
    )


def sheet_xml(data: bytes, part: str = "xl/worksheets/sheet2.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(part).decode()


def test_the_table_starts_below_the_title_lines() -> None:
    data = write_sheets(empty_book(), [spec(title=TITLE)])
    rows = read_sheet(data, "Balances")
    assert [r[0] for r in rows[:2]] == TITLE and rows[0][1:] == [None, None]
    assert rows[2] == ["Client ID", "Balance", "Since"]
    assert rows[3] == ["C1", Decimal("10.50"), dt.date(2026, 6, 1)]
    table = zipfile.ZipFile(io.BytesIO(data)).read("xl/tables/table1.xml").decode()
    assert re.search(r'<table [^>]*ref="A3:C5"', table) and '<autoFilter ref="A3:C5"/>' in table
    xml = sheet_xml(data)
    assert '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>' in xml
    assert '<hyperlink ref="A5" location="\'Sessions\'!A3" display="C2"/>' in xml
    assert '<dimension ref="A1:C5"/>' in xml


def test_a_plain_autofilter_moves_down_too() -> None:
    data = write_sheets(empty_book(), [spec(title=TITLE[:1], filter="autofilter")])
    assert '<autoFilter ref="A2:C4"/>' in sheet_xml(data)


def test_without_title_lines_the_header_stays_in_row_one() -> None:
    data = write_sheets(empty_book(), [spec()])
    assert read_sheet(data, "Balances")[0] == ["Client ID", "Balance", "Since"]
    assert '<pane ySplit="1" topLeftCell="A2"' in sheet_xml(data)
    assert spec().header_row == 1 and spec(title=TITLE).header_row == 3


def test_openpyxl_sees_the_table_links_and_panes_where_they_belong(tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(write_sheets(empty_book(), [spec(title=TITLE)]))
    sheet = openpyxl.load_workbook(path)["Balances"]
    assert sheet["A1"].value == TITLE[0] and sheet["A1"].font.b
    assert sheet["A3"].value == "Client ID" and sheet["A3"].font.b
    assert sheet.freeze_panes == "A4"
    assert sheet["B4"].number_format == "#,##0.00"
    assert sheet["A5"].hyperlink is not None and sheet["A5"].hyperlink.location == "'Sessions'!A3"
    (table,) = sheet.tables.values()
    assert table.ref == "A3:C5"


def test_title_lines_are_text_never_formulas() -> None:
    data = write_sheets(empty_book(), [spec(title=['=HYPERLINK("http://x")'])])
    assert read_sheet(data, "Balances")[0][0] == '=HYPERLINK("http://x")'
    assert "<f>" not in sheet_xml(data)


def test_a_title_must_be_lines_of_text() -> None:
    with pytest.raises(ValueError, match="title"):
        spec(title="Balances")
