"""User text is always stored as text: never a formula, read back unchanged."""

from __future__ import annotations

import functools
import io
import re
import zipfile

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from practicebook.render.cells import SheetSpec, clean_text
from practicebook.workbook.ooxml import append_rows, read_sheet, write_sheets

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1",
    "=1+1",
    "-95.50 late",
    "O'Brien & <Co>",
    "_x0041_",
]


@functools.cache
def _plain() -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.add_worksheet("Notes").write_row(0, 0, ["id", "note"])
    wb.close()
    return out.getvalue()


@pytest.fixture
def plain() -> bytes:
    return _plain()


def _part_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(
            z.read(n).decode()
            for n in z.namelist()
            if n.startswith("xl/worksheets/") and n.endswith(".xml")
        )


def _written(plain: bytes, texts: list[str]) -> tuple[bytes, bytes]:
    spec = SheetSpec("Out", ["note"], [[t] for t in texts], filter=None)
    written = write_sheets(plain, [spec])
    appended, _ = append_rows(plain, "Notes", [[i, t] for i, t in enumerate(texts)])
    return written, appended


def test_formula_like_payloads_stay_text_in_every_reader(plain: bytes) -> None:
    written, appended = _written(plain, PAYLOADS)
    for data, sheet, col in ((written, "Out", 0), (appended, "Notes", 1)):
        assert "<f>" not in _part_xml(data) and "<f " not in _part_xml(data)
        assert [r[col] for r in read_sheet(data, sheet)[1:]] == PAYLOADS
        ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
        cells = [row[col] for row in ws.iter_rows(min_row=2)]
        assert all(c.data_type == "s" for c in cells)
        assert [c.value for c in cells if "_x" not in c.value] == [
            p for p in PAYLOADS if "_x" not in p
        ]
        assert [c.quotePrefix for c in cells] == [p[0] in "=+-@\t\r\n" for p in PAYLOADS]
        calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = [r[col] for r in calamine.get_sheet_by_name(sheet).to_python()[1:]]
        assert values == PAYLOADS


def _column(data: bytes, sheet: str, col: int, n: int) -> list[object]:
    rows = read_sheet(data, sheet)[1:]
    return [rows[i][col] if i < len(rows) else None for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(min_size=1, max_size=40), st.sampled_from(PAYLOADS).map(lambda p: p + "x")
        ),
        min_size=1,
        max_size=8,
    )
)
def test_arbitrary_text_round_trips(texts: list[str]) -> None:
    written, appended = _written(_plain(), texts)
    expected = [clean_text(t) or None for t in texts]
    for data in (written, appended):
        assert not re.search(r"<f[ >/]", _part_xml(data))
    assert _column(written, "Out", 0, len(texts)) == expected
    assert _column(appended, "Notes", 1, len(texts)) == expected


def test_illegal_xml_characters_are_removed(plain: bytes) -> None:
    written, _ = _written(plain, ["a\x00b\x0bc\x1fd\ufffe", "tab\tok\r\n"])
    assert [r[0] for r in read_sheet(written, "Out")[1:]] == ["abcd", "tab\tok\r\n"]
