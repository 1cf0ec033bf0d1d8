"""The Excel door's side of the write promises: derived sheets under their title lines,
audit rows right below the stored log, and the log's head where the engine reaches the
workbook's document properties."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from practicebook.core.audit import AUDIT_HEAD_PROPERTY, AuditRow, verify_chain
from practicebook.generate import generate
from practicebook.render.cells import SheetSpec
from practicebook.workbook import ooxml, writer
from practicebook.workbook.guard import preflight
from tests.support.excel_payload import payload

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook.frontends.excel import macros  # noqa: E402 - needs xlwings

PAYMENT = {"client_id": "C0002", "received_date": "2026-03-02", "amount": "15.25", "method": "card"}


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("excel-audit") / "practice.xlsx"
    generate(30).write(path)
    writer.add_payment(path, PAYMENT)  # the file writer starts the log and its head
    return path


def run(path: Path, action):
    book = xw.Book(json=payload(path, active="Clients"))
    try:
        action(book)
        return book.json()["actions"]
    finally:
        book.close()


def test_a_derived_sheet_is_written_under_its_title_lines(practice: Path) -> None:
    spec = SheetSpec(
        "Flags",
        ["Code", "Severity"],
        [["bad-date", "error"], ["fee-waived", "note"]],
        number_formats=[None, "@"],
        title=["Lakeside Therapy", "as of 2026-06-30"],
    )
    actions = run(practice, lambda book: macros._write_spec(book, spec))
    values = [(a["start_row"], a["values"]) for a in actions if a["func"] == "setValues"]
    assert values[0] == (0, [["Lakeside Therapy"], ["as of 2026-06-30"]])
    assert values[1] == (2, [["Code", "Severity"], ["bad-date", "error"], ["fee-waived", "note"]])
    colours = [(a["start_row"], a["args"]) for a in actions if a["func"] == "setRangeColor"]
    assert (2, [macros.HEADER_COLOR]) in colours and (3, [macros.ERROR_COLOR]) in colours
    formats = [(a["start_row"], a["args"]) for a in actions if a["func"] == "setNumberFormat"]
    assert (3, ["@"]) in formats


def with_blank_log_rows(source: Path, target: Path, count: int) -> None:
    """A copy whose AuditLog has ``count`` formatted blank rows below the log."""
    data = source.read_bytes()
    part = preflight(source).sheets["AuditLog"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in archive.infolist():
            content = archive.read(info)
            if info.filename == part:
                xml = content.decode()
                last = int(re.findall(r'<row r="(\d+)"', xml)[-1])
                blanks = "".join(
                    f'<row r="{n}"><c r="A{n}" s="1"/><c r="I{n}" s="1"/></row>'
                    for n in range(last + 1, last + count + 1)
                )
                content = xml.replace("</sheetData>", blanks + "</sheetData>").encode()
            dest.writestr(info, content)
    target.write_bytes(out.getvalue())


def test_audit_rows_go_right_below_the_stored_log(practice: Path, tmp_path: Path) -> None:
    path = tmp_path / "blank-rows.xlsx"
    with_blank_log_rows(practice, path, 20)
    stored = [[str(v) for v in r] for r in ooxml.read_sheet(path.read_bytes(), "AuditLog")[1:]]
    stored = [r for r in stored if r[0] != "None"]
    position = ooxml.sheet_names(path.read_bytes()).index("AuditLog")
    actions = run(path, lambda book: macros._log(book, "Payments", "P9", "append", "fields: x"))
    (written,) = [
        a for a in actions if a["func"] == "setValues" and a["sheet_position"] == position
    ]
    assert written["start_row"] == len(stored) + 1  # 0-based: the row after the last one
    assert verify_chain([*stored, *written["values"]]) == []
    assert written["values"][0][AuditRow.columns().index("action")] == "append"


class FakeProperties:
    """Excel's ``CustomDocumentProperties`` collection, as pywin32 exposes it."""

    def __init__(self) -> None:
        self.items: dict[str, SimpleNamespace] = {}

    def Item(self, name: str) -> SimpleNamespace:  # COM's name
        return self.items[name]

    def Add(self, name: str, link: bool, kind: int, value: str) -> None:
        assert (link, kind) == (False, 4)  # text, not linked to a cell
        self.items[name] = SimpleNamespace(Value=value)


def test_desktop_excel_on_windows_keeps_the_head(monkeypatch: pytest.MonkeyPatch) -> None:
    com = FakeProperties()
    book = SimpleNamespace(
        app=SimpleNamespace(engine=SimpleNamespace(name="excel")),
        api=SimpleNamespace(CustomDocumentProperties=com),
    )
    monkeypatch.setattr(macros.sys, "platform", "win32")
    properties = macros._document_properties(book)  # type: ignore[arg-type]
    assert properties is not None and properties.get(AUDIT_HEAD_PROPERTY) is None
    properties.set(AUDIT_HEAD_PROPERTY, "1 " + "a" * 64)
    properties.set(AUDIT_HEAD_PROPERTY, "2 " + "b" * 64)
    assert properties.get(AUDIT_HEAD_PROPERTY) == "2 " + "b" * 64


def test_engines_without_document_properties_leave_the_head_alone(practice: Path) -> None:
    book = xw.Book(json=payload(practice, active="Clients"))
    try:
        assert macros._document_properties(book) is None  # the remote engine
    finally:
        book.close()
