"""Writing and appending leave every part the write does not own byte-identical."""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

import fastexcel
import openpyxl
import pytest

from practicebook.render.cells import SheetSpec
from practicebook.workbook.ooxml import (
    PackageError,
    append_rows,
    read_sheet,
    sheet_names,
    write_sheets,
)
from tests.support.writer_fixtures import rich_workbook, vba_project_bin, zip_raw_members

SHARED_PARTS = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
}

BALANCES = SheetSpec(
    "Balances",
    ["client_id", "balance", "last_session", "note"],
    [
        ["C000", Decimal("120.50"), dt.date(2024, 1, 3), "=SUM(A1)"],
        ["C001", Decimal("-15.00"), dt.date(2024, 1, 4), "paid"],
    ],
    number_formats=[None, '"$"#,##0.00', "yyyy-mm-dd"],
    widths=[10, 12, 14],
    links={(0, 0): "'Sessions'!A2"},
    tab_color="1F7A3D",
)


def _openpyxl(data: bytes) -> openpyxl.Workbook:
    with warnings.catch_warnings():  # openpyxl warns about the x14 extensions it cannot model
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(io.BytesIO(data))


def _changed_raw(before: bytes, after: bytes) -> set[str]:
    old, new = zip_raw_members(before), zip_raw_members(after)
    return {n for n in old if old[n] != new.get(n)}


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return rich_workbook(tmp_path_factory.mktemp("rich"))


def test_new_sheet_changes_only_the_registry_parts(rich: bytes) -> None:
    out = write_sheets(rich, [BALANCES])
    assert _changed_raw(rich, out) == SHARED_PARTS
    added = set(zip_raw_members(out)) - set(zip_raw_members(rich))
    assert added == {
        "xl/worksheets/sheet3.xml",
        "xl/worksheets/_rels/sheet3.xml.rels",
        "xl/tables/table2.xml",
    }
    assert (
        zipfile.ZipFile(io.BytesIO(out)).namelist()[: len(zip_raw_members(rich))]
        == zipfile.ZipFile(io.BytesIO(rich)).namelist()
    )
    assert sheet_names(out) == ["Sessions", "Summary", "Balances"]


def test_registry_parts_change_only_by_insertion(rich: bytes) -> None:
    out = write_sheets(rich, [BALANCES])
    old, new = zipfile.ZipFile(io.BytesIO(rich)), zipfile.ZipFile(io.BytesIO(out))
    inserted = {
        "xl/workbook.xml": '<sheet name="Balances" sheetId="3" r:id="rId6"/>',
        "xl/_rels/workbook.xml.rels": '<Relationship Id="rId6" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet3.xml"/>',
    }
    for part, fragment in inserted.items():
        text = new.read(part).decode()
        assert text.count(fragment) == 1
        assert text.replace(fragment, "") == old.read(part).decode()
    types = new.read("[Content_Types].xml").decode()
    assert types.startswith(old.read("[Content_Types].xml").decode()[: -len("</Types>")])


def test_written_values_read_back_in_three_readers(rich: bytes) -> None:
    out = write_sheets(rich, [BALANCES])
    expected = [list(BALANCES.header), *map(list, BALANCES.rows)]
    assert read_sheet(out, "Balances") == expected
    ws = _openpyxl(out)["Balances"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        expected[0],
        ["C000", 120.5, dt.datetime(2024, 1, 3), "=SUM(A1)"],
        ["C001", -15, dt.datetime(2024, 1, 4), "paid"],
    ]
    assert ws["D2"].data_type == "s" and ws["D2"].quotePrefix
    assert ws["B2"].number_format == '"$"#,##0.00'
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws["A2"].hyperlink.location == "'Sessions'!A2"
    assert ws.tables["PB_Balances"].ref == "A1:D3"
    assert ws.column_dimensions["B"].width == 12
    assert ws.sheet_properties.tabColor.rgb == "FF1F7A3D"
    frame = fastexcel.read_excel(out).load_sheet_by_name("Balances").to_pandas()
    assert list(frame["client_id"]) == ["C000", "C001"]
    assert list(frame["balance"]) == [120.5, -15.0]


def test_replacing_a_sheet_removes_its_old_table_cleanly(rich: bytes) -> None:
    once = write_sheets(rich, [BALANCES])
    again = write_sheets(once, [SheetSpec("balances", ["a", "b"], [[1, 2]])])
    names = zipfile.ZipFile(io.BytesIO(again)).namelist()
    assert names.count("xl/tables/table2.xml") == 1
    types = zipfile.ZipFile(io.BytesIO(again)).read("[Content_Types].xml").decode()
    assert types.count("/xl/tables/table2.xml") == 1
    assert sheet_names(again) == ["Sessions", "Summary", "Balances"]
    assert read_sheet(again, "Balances") == [["a", "b"], [1, 2]]
    wb = _openpyxl(again)
    assert wb["Balances"].tables["PB_Balances"].ref == "A1:B2"
    assert wb["Sessions"].tables["Sessions"].ref == "A1:E6"
    no_table = write_sheets(again, [SheetSpec("Balances", ["a"], [], filter="autofilter")])
    assert "xl/tables/table2.xml" not in zipfile.ZipFile(io.BytesIO(no_table)).namelist()
    assert (
        "xl/worksheets/_rels/sheet3.xml.rels"
        not in zipfile.ZipFile(io.BytesIO(no_table)).namelist()
    )
    assert _openpyxl(no_table)["Balances"].auto_filter.ref == "A1:A1"


def test_replacing_a_sheet_with_a_drawing_drops_only_its_own_parts(rich: bytes) -> None:
    out = write_sheets(rich, [SheetSpec("Summary", ["x"], [["y"]])])
    names = set(zipfile.ZipFile(io.BytesIO(out)).namelist())
    assert "xl/charts/chart1.xml" not in names and "xl/drawings/drawing2.xml" not in names
    assert {"xl/drawings/drawing1.xml", "xl/media/image1.png", "xl/comments1.xml"} <= names
    types = zipfile.ZipFile(io.BytesIO(out)).read("[Content_Types].xml").decode()
    assert "chart1.xml" not in types
    assert read_sheet(out, "Summary") == [["x"], ["y"]]
    _openpyxl(out)


def test_append_extends_table_and_keeps_the_rest(rich: bytes) -> None:
    rows = [
        [2000, "C002", dt.date(2024, 2, 1), Decimal("95.00"), "+late"],
        [2001, "C000", dt.date(2024, 2, 2), 80, "fine"],
    ]
    out, numbers = append_rows(rich, "Sessions", rows)
    assert numbers == [7, 8]
    assert _changed_raw(rich, out) == {
        "xl/worksheets/sheet1.xml",
        "xl/tables/table1.xml",
        "xl/styles.xml",
    }
    assert read_sheet(out, "Sessions")[6:8] == [[*r, None, None] for r in rows]
    ws = _openpyxl(out)["Sessions"]
    assert ws.tables["Sessions"].ref == "A1:E8"
    assert ws.tables["Sessions"].autoFilter.ref == "A1:E8"
    assert ws["C7"].number_format == "yyyy-mm-dd" and ws["D8"].number_format == '"$"#,##0.00'
    assert ws["E7"].quotePrefix and not ws["E8"].quotePrefix
    assert ws.calculate_dimension() == "A1:G8"
    sheet_xml = zipfile.ZipFile(io.BytesIO(out)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:G8"/>' in sheet_xml
    frame = fastexcel.read_excel(out).load_sheet_by_name("Sessions").to_pandas()
    assert list(frame["session_id"][-2:]) == [2000, 2001]


def test_append_without_styles_change_touches_two_parts(rich: bytes) -> None:
    out, _ = append_rows(rich, "Sessions", [[3000, "C001", dt.date(2024, 3, 1), 90, "x"]])
    assert _changed_raw(rich, out) == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}


def test_append_to_written_sheet_and_to_an_empty_table(rich: bytes) -> None:
    log = SheetSpec("Log", ["when", "what"], [], number_formats=["yyyy-mm-dd"])
    out = write_sheets(rich, [log])
    out, numbers = append_rows(out, "Log", [[dt.date(2024, 1, 1), "a"]])
    assert numbers == [2]
    out, numbers = append_rows(out, "Log", [[dt.date(2024, 1, 2), "b"]])
    assert numbers == [3]
    assert read_sheet(out, "Log") == [
        ["when", "what"],
        [dt.date(2024, 1, 1), "a"],
        [dt.date(2024, 1, 2), "b"],
    ]
    assert _openpyxl(out)["Log"].tables["PB_Log"].ref == "A1:B3"


def test_xlsm_keeps_vba_and_macro_content_type(tmp_path: Path) -> None:
    if vba_project_bin() is None:
        pytest.skip("no vbaProject.bin available (xlwings not installed)")
    book = rich_workbook(tmp_path, macro=True)
    out = write_sheets(book, [BALANCES])
    out, _ = append_rows(out, "Sessions", [[9, "C9", dt.date(2024, 1, 9), 1, "x"]])
    raw_before, raw_after = zip_raw_members(book), zip_raw_members(out)
    assert raw_after["xl/vbaProject.bin"] == raw_before["xl/vbaProject.bin"]
    assert raw_after["xl/drawings/vmlDrawing1.vml"] == raw_before["xl/drawings/vmlDrawing1.vml"]
    types = zipfile.ZipFile(io.BytesIO(out)).read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert read_sheet(out, "Balances")[1][0] == "C000"


def test_rejects_what_excel_cannot_store(rich: bytes) -> None:
    with pytest.raises(ValueError, match="32,767"):
        write_sheets(rich, [SheetSpec("T", ["a"], [["x" * 32_768]])])
    with pytest.raises(ValueError, match="timezone"):
        write_sheets(rich, [SheetSpec("T", ["a"], [[dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]])])
    with pytest.raises(ValueError, match="NaN"):
        write_sheets(rich, [SheetSpec("T", ["a"], [[Decimal("NaN")]])])
    with pytest.raises(ValueError, match="sheet name"):
        SheetSpec("a/b", ["a"], [])
    with pytest.raises(ValueError, match="unique"):
        SheetSpec("T", ["a", "A"], [])
    with pytest.raises(PackageError, match="no sheet"):
        append_rows(rich, "Nope", [[1]])


def test_value_types_round_trip(rich: bytes) -> None:
    import numpy as np

    row = [
        np.int64(7),
        True,
        0.1,
        Decimal("1234567.8900"),
        dt.datetime(2024, 2, 29, 23, 59, 59),
        dt.date(1900, 3, 1),
        -5,
        None,
        "",
    ]
    out = write_sheets(rich, [SheetSpec("Types", [f"c{i}" for i in range(len(row))], [row])])
    assert read_sheet(out, "Types")[1] == [
        7,
        True,
        Decimal("0.1"),
        Decimal("1234567.8900"),
        dt.datetime(2024, 2, 29, 23, 59, 59),
        dt.date(1900, 3, 1),
        -5,
        None,
        None,
    ]
    ws = _openpyxl(out)["Types"]
    assert [c.value for c in ws[2]][:7] == [
        7,
        True,
        0.1,
        1234567.89,
        dt.datetime(2024, 2, 29, 23, 59, 59),
        dt.datetime(1900, 3, 1),
        -5,
    ]
    with pytest.raises(ValueError, match="1900-03-01"):
        write_sheets(rich, [SheetSpec("T", ["a"], [[dt.date(1900, 2, 28)]])])
