"""Appends into sheets as people prepare them: pre-formatted blank table rows, a sheet
formatted to its last row, a full sheet, and values no cell can hold."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from practicebook import api
from practicebook.errors import RowRefused
from practicebook.generate import generate
from practicebook.issues import Code
from practicebook.workbook import ooxml, writer
from practicebook.workbook.guard import preflight

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


def edit_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one part of the package as Excel would save it (other parts as they are)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = change(data.decode()).encode()
            target.writestr(info, data)
    path.write_bytes(out.getvalue())


def payments_part(path: Path) -> str:
    return preflight(path).sheets["Payments"]


def payments_table(path: Path) -> str:
    rels = zipfile.ZipFile(path).read(
        payments_part(path).replace("sheets/", "sheets/_rels/") + ".rels"
    )
    target = re.search(rb'Target="\.\./tables/(table\d+\.xml)"', rels)
    assert target is not None
    return "xl/tables/" + target.group(1).decode()


def last_row(xml: str) -> tuple[int, list[tuple[str, str]]]:
    """Number of the sheet's last row and (column, style) of each of its cells."""
    rows = re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', xml, re.S)
    number, body = rows[-1]
    return int(number), re.findall(r'<c r="([A-Z]+)\d+"(?: s="(\d+)")?', body)


def add_blank_table_rows(path: Path, count: int) -> int:
    """Give the Payments table ``count`` pre-formatted blank rows; return its last filled row."""
    part = payments_part(path)
    filled, cells = last_row(zipfile.ZipFile(path).read(part).decode())

    def blanks(xml: str) -> str:
        rows = "".join(
            f'<row r="{n}">' + "".join(f'<c r="{c}{n}" s="{s or 0}"/>' for c, s in cells) + "</row>"
            for n in range(filled + 1, filled + count + 1)
        )
        return xml.replace("</sheetData>", rows + "</sheetData>")

    edit_part(path, part, blanks)
    edit_part(
        path,
        payments_table(path),
        lambda xml: re.sub(r'ref="A1:([A-Z]+)\d+"', rf'ref="A1:\g<1>{filled + count}"', xml),
    )
    return filled


def test_a_new_row_fills_the_first_blank_row_of_a_prepared_table(book: Path) -> None:
    filled = add_blank_table_rows(book, 200)
    table_before = zipfile.ZipFile(book).read(payments_table(book))
    done = writer.add_payment(book, PAYMENT)
    assert done.row == filled + 1
    xml = zipfile.ZipFile(book).read(payments_part(book)).decode()
    rows = re.findall(r'<row r="(\d+)"', xml)
    assert len(rows) == len(set(rows)) and rows == sorted(rows, key=int)  # no duplicate row
    assert int(rows[-1]) == filled + 200  # the blank rows below are still there
    assert zipfile.ZipFile(book).read(payments_table(book)) == table_before  # range unchanged
    new = re.search(rf'<row r="{filled + 1}"[^>]*>(.*?)</row>', xml, re.S)
    _, template = last_row(xml[: xml.index(f'<row r="{filled + 1}"')])
    styles = dict(re.findall(r'<c r="([A-Z]+)\d+"(?: s="(\d+)")?', new.group(1)))  # type: ignore[union-attr]
    assert all((styles[c] or "0") == (s or "0") for c, s in template)  # each kept its style
    loaded, issues = api.load(book)
    row = loaded.payments.set_index("payment_id").loc[done.row_id]
    assert (row["client_id"], row["amount"], row["_row"]) == ("C0002", 1525, filled + 1)
    assert not issues


def test_the_next_row_goes_below_the_filled_one_not_below_the_blanks(book: Path) -> None:
    filled = add_blank_table_rows(book, 5)
    first = writer.add_payment(book, PAYMENT)
    second = writer.add_payment(book, PAYMENT)
    assert (first.row, second.row) == (filled + 1, filled + 2)
    assert ooxml.read_sheet(book.read_bytes(), "Payments")[filled + 1][0] == second.row_id


def test_a_sheet_formatted_down_to_its_last_row_takes_new_rows_below_its_data(book: Path) -> None:
    part = payments_part(book)
    filled, _ = last_row(zipfile.ZipFile(book).read(part).decode())
    bottom = '<row r="1048576"><c r="A1048576" s="1"/><c r="B1048576" s="2"/></row>'
    edit_part(book, part, lambda xml: xml.replace("</sheetData>", bottom + "</sheetData>"))
    done = writer.add_payment(book, PAYMENT)
    assert done.row == filled + 1
    xml = zipfile.ZipFile(book).read(part).decode()
    assert xml.index(f'<row r="{filled + 1}"') < xml.index('<row r="1048576"')
    assert done.row_id in set(api.load(book)[0].payments["payment_id"])


def test_a_full_sheet_refuses_the_row_with_a_located_reason(book: Path) -> None:
    part = payments_part(book)
    bottom = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>P9999999</t></is></c></row>'
    edit_part(book, part, lambda xml: xml.replace("</sheetData>", bottom + "</sheetData>"))
    before = book.read_bytes()
    with pytest.raises(RowRefused) as refused:
        writer.add_payment(book, PAYMENT)
    (issue,) = refused.value.issues
    assert (issue.code, str(issue.where)) == (Code.OUT_OF_RANGE, "Payments!A1048576")
    assert "full" in issue.message
    assert book.read_bytes() == before


def test_a_memo_longer_than_a_cell_holds_is_refused_at_its_cell(book: Path) -> None:
    before = book.read_bytes()
    secret = "Client disclosed " + "x" * 40_000
    with pytest.raises(RowRefused) as refused:
        writer.add_payment(book, {**PAYMENT, "memo": secret})
    (issue,) = refused.value.issues
    loaded, _ = api.load(book)
    layout = loaded.layouts["Payments"]
    column = ooxml_column(layout.column_of["memo"])
    expected_row = int(loaded.payments["_row"].max()) + 1
    assert (issue.code, str(issue.where)) == (Code.OUT_OF_RANGE, f"Payments!{column}{expected_row}")
    assert "40,017 characters" in issue.message and "32,767" in issue.message
    assert "disclosed" not in str(refused.value) and "disclosed" not in issue.message
    assert issue.row_id is not None
    assert book.read_bytes() == before


def ooxml_column(number: int) -> str:
    from practicebook.issues import column_letter

    return column_letter(number)


def test_a_memo_of_exactly_a_cells_size_is_written(book: Path) -> None:
    memo = "m" * 32_767
    done = writer.add_payment(book, {**PAYMENT, "memo": memo, "received_date": dt.date(2026, 3, 3)})
    loaded, _ = api.load(book)
    assert loaded.payments.set_index("payment_id").loc[done.row_id, "memo"] == memo
