"""One pass over a worksheet before the Rust reader may see it: the cell-extent guard,
and the cells the typed read cannot give faithfully.

The Rust reader builds a grid spanning every cell that holds a value, so one cell at
``XFD1048576`` would ask for hundreds of gigabytes and abort the process. ``scan_body``
refuses, with a one-line ``UnreadableWorkbook``, a cell or a declared ``<dimension>``
outside Excel's grid and a grid over ``Limits.max_cells`` cells. In the same pass it finds
the text, boolean and error cells of the columns read as numbers or dates (a text cell
``"1.234"`` would otherwise become the number 1.234), the formulas saved without their
value, and the merged ranges.

Worksheets as spreadsheet programs write them (every cell tag ``<c r="A1" …>`` with one
letter and at most six digits, or a cell accounted for one by one) are scanned with
regular expressions over the raw bytes, a chunk at a time. Anything else (cells without
a reference, prefixed element names, attributes in another order) is walked with an XML
parser that places cells exactly as the Rust reader does. Either way, one pass, linear in
the size of the part.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from practicebook.errors import UnreadableWorkbook
from practicebook.issues import column_letter, column_number
from practicebook.parse.headers import label_text
from practicebook.workbook.guard import Limits
from practicebook.workbook.xmlcells import (
    Cell,
    Walker,
    cell_from_element,
    cell_from_xml,
    events,
    local_name,
    namespace,
    parse_ref,
)

__all__ = ["Body", "scan_body"]

MAX_ROW = 1_048_576  # Excel's grid
MAX_COL = 16_384
_MAX_PENDING = 16 * 2**20  # no cell or tag Excel writes is that large
_CHUNK = 1 << 20


# --- the body ---------------------------------------------------------------------


@dataclass
class Body:
    """What one pass over a whole sheet found; keys are (Excel row, Excel column)."""

    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # in the watched columns
    formulas: set[tuple[int, int]] = field(default_factory=set)  # formula without value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0


# a cell tag other than '<c r="' with one letter and at most six digits: beyond column Z,
# on a row from 1,000,000, or not written the usual way ('<c>', '<c s="1" r=…')
_UNUSUAL_CELL = re.compile(rb'<c(?: (?!r="[A-Za-z][0-9]{1,6}")|[^ a-zA-Z])')
_REF_HERE = re.compile(rb'<c r="([A-Za-z]{1,4}[0-9]{1,12})"')
_PREFIXED = re.compile(rb":(?:c|row)(?=[\s>/])")  # a prefixed cell or row element
_FORMULA = re.compile(rb"<f(?=[\s>/])")
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Za-z]{1,4})(\d+)(?::([A-Za-z]{1,4})(\d+))?"')
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([^"]*)"')


def _watch_pattern(columns: Collection[int]) -> re.Pattern[bytes] | None:
    """Cells of ``columns`` that hold text, a boolean or an error."""
    if not columns:
        return None
    letters = sorted((column_letter(c).encode() for c in columns), key=len, reverse=True)
    return re.compile(
        rb'<c r="('
        + b"|".join(letters)
        + rb')([0-9]+)"[^>]*?\st="(s|str|inlineStr|b|e)"[^>]*?(/?)>'
    )


def scan_body(
    data: bytes,
    part: str,
    sheet: str,
    watched: Collection[int] = (),
    limits: Limits | None = None,
    from_row: int = 1,
) -> Body:
    """One pass over a worksheet part: the extent guard, then the text, boolean and error
    cells of the ``watched`` columns and the formulas saved without a value from row
    ``from_row`` down, and the merged ranges.

    Raises:
        UnreadableWorkbook: a cell or the declared dimension lies outside Excel's grid, or
            the cells span more than ``limits.max_cells`` (the message names "workbook";
            the reader puts the file's name in).
    """
    limits = limits or Limits()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = _fast_body(archive, part, sheet, watched, from_row)
        if body is None:
            body = _exact_body(archive, part, sheet, watched, from_row)
            _refuse_past_limits(sheet, body.max_row, body.max_col, limits)
            return body
        _refuse_past_limits(sheet, body.max_row, body.max_col, limits)
        if body.max_col * MAX_ROW > limits.max_cells:  # only then can the rows matter
            deepest = _deepest_row(archive, part, sheet, body.max_col, limits)
            _refuse_past_limits(sheet, deepest, body.max_col, limits)
    return body


def _refuse_past_limits(sheet: str, rows: int, cols: int, limits: Limits) -> None:
    label = label_text(sheet)
    if rows > MAX_ROW or cols > MAX_COL:
        raise UnreadableWorkbook(
            "workbook",
            f"sheet {label!r} has a cell outside Excel's grid of {MAX_ROW:,} rows and "
            f"{MAX_COL:,} columns (the file is damaged)",
        )
    if rows * cols > limits.max_cells:
        raise UnreadableWorkbook(
            "workbook",
            f"sheet {label!r} spans {rows:,} rows by {cols:,} columns, over the limit of "
            f"{limits.max_cells:,} cells; delete stray cells far below or right of the table",
        )


def _check_dimension(sheet: str, ref: str) -> None:
    """Refuse a declared ``<dimension>`` that is not a range inside Excel's grid."""
    corners = [parse_ref(corner) for corner in ref.split(":")] if ref else []
    if (
        not corners
        or len(corners) > 2
        or any(c is None or c[0] > MAX_ROW or c[1] > MAX_COL or min(c) < 1 for c in corners)
    ):
        raise UnreadableWorkbook(
            "workbook",
            f"sheet {label_text(sheet)!r} declares its size as {label_text(ref)[:40]!r}, "
            "which is outside Excel's grid (the file is damaged)",
        )


def _chunks(archive: zipfile.ZipFile, part: str, sheet: str) -> Iterator[tuple[bytes, int]]:
    """A part as (data, end) pairs: tags starting before ``end`` are whole and each cell
    starting before it ends within ``data``; what follows ``end`` comes again next time."""
    pending = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = pending + chunk if pending else chunk
            end = len(data) if not chunk else _cut(data)
            yield data, end
            pending = data[end:]
            if len(pending) > _MAX_PENDING:
                raise UnreadableWorkbook(
                    "workbook",
                    f"sheet {label_text(sheet)!r} holds a cell or tag over 16 MiB, "
                    "which Excel never writes (the file is damaged)",
                )
            if not chunk:
                return


def _cut(data: bytes) -> int:
    """Where to stop matching in a chunk that continues: at the last cell when it is not
    complete in the chunk, else at the last tag."""
    cell = data.rfind(b"<c ")
    if cell >= 0:
        close = data.find(b">", cell)
        if close < 0 or (data[close - 1 : close] != b"/" and data.find(b"</c>", close) < 0):
            return cell
    return max(data.rfind(b"<"), 0)


def _content(data: bytes, tag_end: int, self_closing: bool) -> bytes | None:
    """What a cell holds between its tags (None for ``<c …/>`` or when cut off)."""
    if self_closing:
        return None
    close = data.find(b"</c>", tag_end)
    return None if close < 0 else data[tag_end:close]


def _holds_value(content: bytes | None) -> bool:
    return content is not None and (b"<v" in content or b"<is" in content)


# a formula's stored result: a <v> holding something, or (in a text cell) an empty <v>,
# which is how Excel stores a formula that gives "" (openpyxl and other scripts write an
# empty <v/> in a number cell for a formula they never calculated)
_STORED_RESULT = re.compile(rb"<v(?:\s[^>]*)?>\s*[^<\s]|<is[\s>/]")
_TEXT_TYPE = re.compile(rb"""\st\s*=\s*["']str["']""")


def _holds_result(tag: bytes, content: bytes) -> bool:
    """Whether a formula cell (its start ``tag`` and ``content``) holds its last result."""
    if _STORED_RESULT.search(content):
        return True
    return b"<v" in content and _TEXT_TYPE.search(tag) is not None


def _tag_end(data: bytes, start: int) -> tuple[int, bool]:
    """The end of the tag starting at ``start`` and whether it closes itself."""
    close = data.find(b">", start)
    if close < 0:
        return len(data), False
    return close + 1, data[close - 1 : close] == b"/"


def _fast_body(
    archive: zipfile.ZipFile, part: str, sheet: str, watched: Collection[int], from_row: int
) -> Body | None:
    """``scan_body`` over the raw bytes; None when the part is not written the usual way.

    ``max_col`` comes out as a bound (26, or the last column beyond Z holding a value) and
    ``max_row`` as the last row from 1,000,000 holding a value (0 when none): every other
    cell is in columns A-Z on a row of six digits at most."""
    body = Body(max_col=26)
    pattern = _watch_pattern(watched)
    first, tail = True, False  # tail: past the cells, where the merged ranges are
    for data, end in _chunks(archive, part, sheet):
        if first:
            first = False
            top = data[: max(data.find(b"<sheetData"), 0)]
            if (dimension := _DIMENSION.search(top)) is not None:
                _check_dimension(sheet, dimension.group(1).decode("ascii", "replace"))
        if _PREFIXED.search(data, 0, end):
            return None
        for m in _UNUSUAL_CELL.finditer(data, 0, end):
            if not _far_cell(data, m.start(), body):
                return None
        if pattern is not None:
            for m in pattern.finditer(data, 0, end):
                letters, row, kind, closed = m.groups()
                if int(row) < from_row:
                    continue
                content = _content(data, m.end(), bool(closed))
                cell = None if content is None else cell_from_xml(kind, content)
                if cell is not None:
                    body.cells[(int(row), column_number(letters.decode().upper()))] = cell
        for m in _FORMULA.finditer(data, 0, end):
            _fast_formula(data, m.start(), from_row, body)
        tail = tail or data.find(b"</sheetData", 0, end) >= 0
        if tail:
            for m in _MERGE.finditer(data, 0, end):
                c1, r1, c2, r2 = (g.decode() if g else "" for g in m.groups())
                col1 = column_number(c1.upper())
                col2 = column_number((c2 or c1).upper())
                body.merged.append((int(r1), col1, int(r2 or r1), col2))
    return body


def _far_cell(data: bytes, start: int, body: Body) -> bool:
    """Account for a cell beyond column Z or row 999,999 at ``start``; False when the tag
    is not written the usual way after all."""
    ref = _REF_HERE.match(data, start)
    pos = None if ref is None else parse_ref(ref.group(1).decode("ascii"))
    if ref is None or pos is None:
        return False
    tag_end, closed = _tag_end(data, ref.end())
    if pos[0] > MAX_ROW or pos[1] > MAX_COL or _holds_value(_content(data, tag_end, closed)):
        if pos[0] >= 1_000_000:
            body.max_row = max(body.max_row, pos[0])
        body.max_col = max(body.max_col, pos[1])
    return True


def _fast_formula(data: bytes, start: int, from_row: int, body: Body) -> None:
    """Record the cell around the formula at ``start`` when it has no stored value."""
    cell = data.rfind(b'<c r="', 0, start)
    if cell < 0:
        return
    tag_end, closed = _tag_end(data, cell)
    content = _content(data, tag_end, closed)
    if content is None or _holds_result(data[cell:tag_end], content):
        return
    pos = parse_ref(data[cell + 6 : data.find(b'"', cell + 6)].decode("ascii", "replace"))
    if pos is not None and pos[0] >= from_row:
        body.formulas.add(pos)


def _deepest_row(archive: zipfile.ZipFile, part: str, sheet: str, cols: int, limits: Limits) -> int:
    """The last row holding a value, looked for only among rows long enough to matter:
    with ``cols`` columns, rows below ``limits.max_cells // cols`` (returned as the
    bound when none is deeper)."""
    allowed = max(limits.max_cells // cols, 1)
    digits = len(str(allowed))
    deep = re.compile(rb'<c r="[A-Za-z]+([0-9]{%d,})"[^>]*?(/?)>' % digits)
    deepest = 0
    for data, end in _chunks(archive, part, sheet):
        for m in deep.finditer(data, 0, end):
            if _holds_value(_content(data, m.end(), bool(m.group(2)))):
                deepest = max(deepest, int(m.group(1)))
    return deepest if deepest > allowed else 0


def _exact_body(
    archive: zipfile.ZipFile, part: str, sheet: str, watched: Collection[int], from_row: int
) -> Body:
    """The scan with an XML parser, placing cells exactly as the Rust reader does."""
    body = Body()
    columns = set(watched)
    walker = Walker(sheet)
    at: tuple[int, int] | None = None
    stack: list[Element] = []
    for event, el in events(archive, part, None):
        name = local_name(el.tag)
        if event == "start":
            stack.append(el)
            if name == "row":
                walker.start_row(el)
            elif name == "c":
                at = walker.start_cell(el)
            elif name == "dimension":
                _check_dimension(sheet, el.get("ref", ""))
            continue
        stack.pop()
        if name == "c" and at is not None:
            _exact_cell(el, at, columns if at[0] >= from_row else set(), body, from_row)
            walker.end_cell()
            at = None
        elif name == "row":
            walker.end_row()
        elif name == "mergeCell":
            corners = [parse_ref(c) for c in el.get("ref", "").split(":")]
            if corners and all(corners) and len(corners) <= 2:
                (r1, c1), (r2, c2) = corners[0], corners[-1]  # type: ignore[misc]
                body.merged.append((r1, c1, r2, c2))
        if name in ("c", "row") and stack:
            stack[-1].clear()
    return body


def _result_of(el: Element, children: dict[str, Element]) -> bool:
    """Whether a formula cell holds its last result (as ``_holds_result``)."""
    if "is" in children:
        return True
    value = children.get("v")
    return value is not None and (bool((value.text or "").strip()) or el.get("t") == "str")


def _exact_cell(
    el: Element, at: tuple[int, int], columns: set[int], body: Body, from_row: int
) -> None:
    children = {local_name(child.tag): child for child in el}
    if children.keys() & {"v", "is"} or at[0] > MAX_ROW or at[1] > MAX_COL:
        body.max_row = max(body.max_row, at[0])
        body.max_col = max(body.max_col, at[1])
    if "f" in children and at[0] >= from_row and not _result_of(el, children):
        body.formulas.add(at)
    if at[1] in columns and el.get("t") in ("s", "str", "inlineStr", "b", "e"):
        cell = cell_from_element(el, namespace(el))
        if cell is not None:
            body.cells[at] = cell
