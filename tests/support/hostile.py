"""Damaged and hostile workbooks for the guard, reader and fuzz tests.

Each function takes the bytes of a sound workbook and returns a changed copy, part by
part, so a test states in one line what is wrong with the file. ``marked_book`` is a
small generated practice whose personal cells hold markers, to prove none leaks.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

from practicebook.generate import generate
from practicebook.issues import column_number
from practicebook.schema import WORKBOOK, Kind

#: Every marker holds this; none of practicebook's words, codes or IDs does.
MARK = "Zqx"

Change = Callable[[str, bytes], bytes | None]


def marked_book(sessions: int = 40, seed: int = 5) -> bytes:
    """A generated practice whose every personal text cell holds a marker."""
    practice = generate(sessions, seed=seed)
    for sheet in WORKBOOK.sheets:
        for col in sheet.columns:
            if not col.phi or col.kind is not Kind.TEXT:
                continue
            for i, row in enumerate(practice.rows.get(sheet.name, [])):
                row[col.key] = f"{MARK}{col.key.replace('_', '')}{i}"
    out = io.BytesIO()
    practice.write(out)
    return out.getvalue()


def rezip(data: bytes, change: Change, extra: dict[str, bytes] | None = None) -> bytes:
    """The package with each part passed through ``change`` (None drops the part)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            part = change(info.filename, zin.read(info))
            if part is not None:
                zout.writestr(info.filename, part)
        for name, part in (extra or {}).items():
            zout.writestr(name, part)
    return out.getvalue()


def sheet_part(data: bytes, sheet: str) -> str:
    """The worksheet part of ``sheet``."""
    from practicebook.workbook.guard import preflight

    return preflight("book.xlsx", data).sheets[sheet]


def edit_sheet(data: bytes, sheet: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The package with one worksheet's XML passed through ``edit``."""
    part = sheet_part(data, sheet)
    return rezip(data, lambda name, xml: edit(xml) if name == part else xml)


def add_cell(data: bytes, sheet: str, ref: str, value: bytes = b"<v>1</v>") -> bytes:
    """A cell (own row) appended to a sheet: ``XFD1048576`` makes a huge grid."""
    row = re.sub(r"[A-Z]", "", ref)
    cell = b'<row r="%s"><c r="%s">%s</c></row>' % (row.encode(), ref.encode(), value)
    return edit_sheet(data, sheet, lambda xml: xml.replace(b"</sheetData>", cell + b"</sheetData>"))


def dimension(data: bytes, sheet: str, ref: str) -> bytes:
    """The sheet's declared ``<dimension>`` set to ``ref``."""
    return edit_sheet(
        data,
        sheet,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % ref.encode(), xml),
    )


def prefixed(data: bytes, sheet: str) -> bytes:
    """One worksheet written with an ``x:`` prefix on every element (as some tools do)."""

    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb"<(/?)([A-Za-z][\w]*)(?=[\s>/])", rb"<\1x:\2", xml)
        return xml.replace(
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            1,
        )

    return edit_sheet(data, sheet, edit)


def without_references(data: bytes, sheet: str) -> bytes:
    """One worksheet whose cells carry no ``r``: each is placed by its order in its row,
    an empty ``<c></c>`` standing in for each skipped column (as some writers do)."""

    def row(m: re.Match[bytes]) -> bytes:
        out, expected = [], 1
        for cell in re.finditer(rb'<c r="([A-Z]+)[0-9]+"(.*?)(?:/>|>.*?</c>)', m.group(2), re.S):
            col = column_number(cell.group(1).decode())
            out.append(b"<c></c>" * (col - expected))
            out.append(re.sub(rb' r="[A-Z]+[0-9]+"', b"", cell.group(0), count=1))
            expected = col + 1
        return m.group(1) + b"".join(out) + b"</row>"

    return edit_sheet(
        data, sheet, lambda xml: re.sub(rb"(<row\b[^>]*>)(.*?)</row>", row, xml, flags=re.S)
    )


def rows_above(data: bytes, sheet: str, count: int) -> bytes:
    """``count`` empty formatted rows above a sheet's table (its rows move down)."""

    def edit(xml: bytes) -> bytes:
        start = xml.index(b"<sheetData>") + len(b"<sheetData>")
        end = xml.index(b"</sheetData>")
        body = re.sub(
            rb'( r="[A-Z]*)([0-9]+)"',
            lambda m: b'%s%d"' % (m.group(1), int(m.group(2)) + count),
            xml[start:end],
        )
        empty = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % i for i in range(1, count + 1))
        return xml[:start] + empty + body + xml[end:]

    return edit_sheet(data, sheet, edit)


def dtd_after(data: bytes, part: str, padding: int) -> bytes:
    """A DTD declared after ``padding`` bytes of comment in a part's prolog."""

    def edit(name: str, xml: bytes) -> bytes:
        if name != part:
            return xml
        head, sep, rest = xml.partition(b"?>")
        filler = os.urandom(padding // 2 + 1).hex().encode()[:padding]  # does not compress
        comment = b"<!--" + filler + b"-->"
        return head + sep + comment + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + rest

    return rezip(data, edit)


def encoded(data: bytes, part: str, encoding: str, dtd: bool = True) -> bytes:
    """A part re-encoded (``utf-16``, ``utf-32``…), with a DTD declared in it."""

    def edit(name: str, xml: bytes) -> bytes:
        if name != part:
            return xml
        text = xml.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
        if dtd:
            text = text.replace("?>", '?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
        return text.encode(encoding)

    return rezip(data, edit)


def strict(data: bytes) -> bytes:
    """The workbook part in the strict-OOXML namespaces (as Excel's "Strict Open XML")."""
    transitional = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strict_ns = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
    return rezip(
        data,
        lambda name, xml: xml.replace(transitional, strict_ns) if name.endswith(".xml") else xml,
    )


def duplicate_member(data: bytes, part: str, content: bytes | None = None) -> bytes:
    """The package with a second part of the same name."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        original = z.read(part)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: the point
        z.writestr(part, content if content is not None else original)
    return out.getvalue()


def rename_sheet(data: bytes, old: str, new: str) -> bytes:
    """A sheet renamed in the workbook part (its tables keep their names)."""
    return rezip(
        data,
        lambda name, xml: (
            xml.replace(
                b'name="%s"' % old.encode(), b'name="%s"' % escape(new, {'"': "&quot;"}).encode()
            )
            if name == "xl/workbook.xml"
            else xml
        ),
    )


def retarget(data: bytes, sheet: str, target: str) -> bytes:
    """The workbook's relationship for ``sheet`` pointed at ``target`` (another part, a
    path outside the package…) instead of its worksheet."""
    part = sheet_part(data, sheet).rpartition("/")[2]
    pattern = re.compile(rb'Target="/?(?:xl/)?worksheets/%s"' % re.escape(part.encode()))

    def change(name: str, xml: bytes) -> bytes:
        if name != "xl/_rels/workbook.xml.rels":
            return xml
        return pattern.sub(b'Target="%s"' % target.encode(), xml, count=1)

    return rezip(data, change)
