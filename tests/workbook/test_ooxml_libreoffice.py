"""A real spreadsheet engine opens what the writer produced (LibreOffice headless)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import warnings
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from practicebook.render.cells import SheetSpec
from practicebook.workbook.ooxml import append_rows, write_sheets
from tests.support.writer_fixtures import rich_workbook

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]

CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def convert(source: Path, target: str, tmp: Path) -> Path:
    out = tmp / "converted"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp}/lo-profile",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out


def test_libreoffice_reads_written_and_appended_sheets(tmp_path: Path) -> None:
    data = write_sheets(
        rich_workbook(tmp_path),
        [
            SheetSpec(
                "Balances",
                ["client", "balance", "note"],
                [["C1", Decimal("1.50"), "=1+1"], ["C2", 2, "O'Brien & <Co>"]],
                number_formats=[None, "0.00"],
                links={(0, 0): "'Sessions'!A2"},
            )
        ],
    )
    data, rows = append_rows(
        data, "Sessions", [[77, "C7", dt.date(2024, 3, 3), Decimal("12.25"), "+late"]]
    )
    assert rows == [7]
    book = tmp_path / "book.xlsx"
    book.write_bytes(data)

    out = convert(book, CSV_ALL_SHEETS, tmp_path)
    with open(out / "book-Balances.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["client", "balance", "note"],
            ["C1", "1.5", "=1+1"],
            ["C2", "2", "O'Brien & <Co>"],
        ]
    with open(out / "book-Sessions.csv", newline="", encoding="utf-8") as f:
        sessions = list(csv.reader(f))
    assert sessions[6][:5] == ["77", "C7", "2024-03-03", "12.25", "+late"]
    assert {p.name for p in out.iterdir()} == {
        "book-Sessions.csv",
        "book-Summary.csv",
        "book-Balances.csv",
    }

    resaved = convert(book, "xlsx", tmp_path) / "book.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(resaved)
    assert wb["Sessions"]["E7"].value == "+late"
    assert wb["Sessions"].tables["Sessions"].ref == "A1:E7"
    assert wb["Balances"]["C2"].value == "=1+1" and wb["Balances"]["C2"].data_type == "s"


def test_libreoffice_keeps_title_lines_and_the_document_properties(tmp_path: Path) -> None:
    from practicebook.workbook.ooxml import custom_properties, set_custom_properties

    spec = SheetSpec(
        "Balances",
        ["client", "balance"],
        [["C1", Decimal("1.50")], ["C2", 2]],
        title=["Lakeside Therapy", "as of 2026-06-30"],
    )
    data = write_sheets(rich_workbook(tmp_path), [spec])
    head = "2 " + "a" * 64
    data = set_custom_properties(data, {"practicebook_audit_head": head})
    book = tmp_path / "book.xlsx"
    book.write_bytes(data)

    out = convert(book, CSV_ALL_SHEETS, tmp_path)
    with open(out / "book-Balances.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["Lakeside Therapy", ""],
            ["as of 2026-06-30", ""],
            ["client", "balance"],
            ["C1", "1.5"],
            ["C2", "2"],
        ]
    resaved = convert(book, "xlsx", tmp_path) / "book.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sheet = openpyxl.load_workbook(resaved)["Balances"]
    (table,) = sheet.tables.values()
    assert table.ref == "A3:B5"
    assert custom_properties(resaved.read_bytes())["practicebook_audit_head"] == head
