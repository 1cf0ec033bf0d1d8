"""Cells as a worksheet's XML stores them, placed as the Rust reader places them, and the
rows a header can be in.

``Cell`` is a stored value before any typing (text, a shared-string index, a boolean, an
error, a number as written). ``Walker`` gives each cell its (row, column) exactly as
calamine does: a cell's own reference, else the next column of the current row; a row's
``r``, else the row after the previous one. ``scan_head`` reads a sheet only as far as its
header can be (the first ``HEADER_SEARCH_ROWS`` rows, at most ``HEAD_BYTES`` of XML), in
one linear pass, so thousands of empty rows above a table cost nothing.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast
from xml.etree.ElementTree import Element, XMLPullParser

from practicebook.errors import UnreadableWorkbook
from practicebook.issues import column_number
from practicebook.parse.headers import HEADER_SEARCH_ROWS, label_text

__all__ = [
    "HEAD_BYTES",
    "TEXT",
    "Cell",
    "Head",
    "Walker",
    "cell_from_element",
    "cell_from_xml",
    "events",
    "local_name",
    "parse_ref",
    "scan_head",
]

HEAD_BYTES = 8 * 2**20  # how much XML the header search may read


# --- cell values ------------------------------------------------------------------

TEXT = "text"


@dataclass(frozen=True)
class Cell:
    """A cell's value as stored: ``kind`` is ``"text"`` (``value`` the text), ``"sst"``
    (``value`` a shared-string index), ``"bool"``, ``"error"`` or ``"number"`` (``value``
    the stored text)."""

    kind: str
    value: str | int


_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ECMA = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Raw XML text as read: character and entity references, then Excel's escapes."""

    def entity(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref.startswith("#x"):
            return _char(int(ref[2:], 16))
        if ref.startswith("#"):
            return _char(int(ref[1:]))
        return _NAMED[ref]

    return _excel_unescape(_ENTITY.sub(entity, text) if "&" in text else text)


def _excel_unescape(text: str) -> str:
    """Excel's ``_xHHHH_`` escapes (for characters XML cannot hold) resolved."""
    return _ECMA.sub(lambda m: _char(int(m.group(1), 16)), text) if "_x" in text else text


def _char(code: int) -> str:
    return chr(code) if 0 <= code <= 0x10FFFF else "\ufffd"


_RUN_T = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.DOTALL)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.DOTALL)
_V = re.compile(rb"<v\b[^>]*>(.*?)</v>", re.DOTALL)


def cell_from_xml(kind: bytes, content: bytes) -> Cell | None:
    """The value of a cell from its type attribute and its content (between the tags)."""
    if kind == b"inlineStr":
        runs = _RUN_T.findall(_PHONETIC.sub(b"", content))
        return Cell(TEXT, _unescape(b"".join(runs).decode("utf-8", "replace")))
    v = _V.search(content)
    if v is None:
        return None
    text = v.group(1).decode("utf-8", "replace")
    if kind == b"s":
        index = text.strip()
        return Cell("sst", int(index)) if index.isascii() and index.isdigit() else None
    if kind == b"str":
        return Cell(TEXT, _unescape(text))
    if kind == b"b":
        return Cell("bool", text.strip())
    if kind == b"e":
        return Cell("error", _unescape(text).strip())
    return Cell("number", text.strip())


def cell_from_element(el: Element, ns: str) -> Cell | None:
    """The value of a parsed cell element (``ns``: its namespace, in braces)."""
    kind = el.get("t", "n")
    if kind == "inlineStr":
        text = "".join(
            t.text or ""
            for child in el
            if child.tag == f"{ns}is"
            for part in child
            if part.tag in (f"{ns}t", f"{ns}r")
            for t in part.iter(f"{ns}t")
        )
        return Cell(TEXT, _excel_unescape(text))
    v = el.find(f"{ns}v")
    if v is None:
        return None
    text = v.text or ""
    if kind == "s":
        index = text.strip()
        return Cell("sst", int(index)) if index.isascii() and index.isdigit() else None
    if kind == "str":
        return Cell(TEXT, _excel_unescape(text))
    if kind == "b":
        return Cell("bool", text.strip())
    if kind == "e":
        return Cell("error", text.strip())
    return Cell("number", text.strip())


_REF = re.compile(r"^([A-Za-z]{1,4})([0-9]{1,12})$")


def parse_ref(text: str) -> tuple[int, int] | None:
    """(row, column) of a cell reference such as ``B12``; None when it is not one."""
    m = _REF.match(text)
    return (int(m.group(2)), column_number(m.group(1).upper())) if m else None


# --- the head: the first rows, for the header search ------------------------------


@dataclass
class Head:
    """The cells of a sheet's first rows: row number -> [(column, cell)]."""

    rows: dict[int, list[tuple[int, Cell]]] = field(default_factory=dict)


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def events(
    archive: zipfile.ZipFile, part: str, limit: int | None, size: int = 1 << 16
) -> Iterator[tuple[str, Element]]:
    """Start and end events of a part, read ``size`` bytes at a time; stops quietly after
    ``limit`` bytes."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    read = 0
    with archive.open(part) as stream:
        while limit is None or read < limit:
            chunk = stream.read(size)
            if not chunk:
                parser.close()
                break
            read += len(chunk)
            parser.feed(chunk)
            yield from _start_end(parser)
    yield from _start_end(parser)


def _start_end(parser: XMLPullParser[Element]) -> Iterator[tuple[str, Element]]:
    # start and end events are (name, element); typeshed's union also has the others
    for event, el in cast("Iterator[tuple[str, object]]", parser.read_events()):
        if isinstance(el, Element):
            yield event, el


class Walker:
    """Places cells as the Rust reader does: a cell's own reference, else the next column
    of the current row; a row's ``r``, else the row after the previous one."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.row = 1
        self.col = 1

    def start_row(self, el: Element) -> None:
        r = el.get("r")
        if r is not None:
            if not (r.isascii() and r.isdigit() and len(r) <= 12):
                raise self.damaged(f"row number {label_text(r)[:20]!r}")
            self.row = int(r)
        self.col = 1

    def start_cell(self, el: Element) -> tuple[int, int]:
        r = el.get("r")
        if r is None:
            return self.row, self.col
        pos = parse_ref(r)
        if pos is None:
            raise self.damaged(f"cell reference {label_text(r)[:20]!r}")
        self.col = pos[1]
        return pos

    def end_row(self) -> None:
        self.row += 1
        self.col = 1

    def end_cell(self) -> None:
        self.col += 1

    def damaged(self, what: str) -> UnreadableWorkbook:
        return UnreadableWorkbook(
            "workbook", f"sheet {label_text(self.sheet)!r} is damaged (a bad {what})"
        )


def namespace(el: Element) -> str:
    return el.tag[: len(el.tag) - len(local_name(el.tag))]


def scan_head(archive: zipfile.ZipFile, part: str, sheet: str) -> Head:
    """The cells of the rows a header may be in, in one linear read that stops at the
    first cell or row below row ``HEADER_SEARCH_ROWS``, or after ``HEAD_BYTES`` of XML
    (so empty rows above the table cost nothing)."""
    head = Head()
    walker = Walker(sheet)
    at: tuple[int, int] | None = None
    stack: list[Element] = []
    for event, el in events(archive, part, HEAD_BYTES, 1 << 13):
        name = local_name(el.tag)
        if event == "start":
            stack.append(el)
            if name == "row":
                walker.start_row(el)
                if walker.row > HEADER_SEARCH_ROWS:
                    return head
            elif name == "c":
                at = walker.start_cell(el)
                if at[0] > HEADER_SEARCH_ROWS:
                    return head
            continue
        stack.pop()
        if name == "c" and at is not None:
            cell = cell_from_element(el, namespace(el))
            if cell is not None:
                head.rows.setdefault(at[0], []).append((at[1], cell))
            walker.end_cell()
            at = None
        elif name == "row":
            walker.end_row()
        if name in ("c", "row") and stack:
            stack[-1].clear()  # what was read is kept in ``head`` only
        if name == "sheetData":
            return head
    return head
