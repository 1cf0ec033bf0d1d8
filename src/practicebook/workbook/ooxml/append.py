"""``append_rows`` and ``set_cells``: rows added and cells set by byte search.

A sheet is never parsed into a tree: new rows go below the last row that holds a value
(into the empty, pre-formatted rows there, or as new row elements), set cells replace
their own bytes in their row, and the ``<dimension>``, a covering Excel Table and row spans
are widened to match. New cells take the style of the cells they extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from practicebook.render.cells import MAX_COLS, MAX_ROWS, CellValue
from practicebook.workbook.ooxml.cells import CellRefused, CellWriter, style_attr
from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.parts import (
    REL_TABLE,
    Sheet,
    Workbook,
    drop_stale_calc_chain,
    read_rels,
)
from practicebook.workbook.ooxml.styles import load_styles, save_styles
from practicebook.workbook.ooxml.xmltext import ATTRS, CELL_REF, attributes, col_index, col_letter

__all__ = ["append_rows", "set_cells"]


def _existing_sheet(pkg: Package, book: Workbook, sheet_name: str) -> Sheet:
    sheet = book.find(sheet_name)
    if sheet is None or sheet.part not in pkg:
        raise PackageError(f"the workbook has no sheet {sheet_name!r}")
    return sheet


def append_rows(
    package: bytes,
    sheet_name: str,
    rows: Sequence[Sequence[CellValue]],
    *,
    header_row: int | None = None,
) -> tuple[bytes, list[int]]:
    """Append rows below the last row that holds a value, in the style of that row.

    The sheet XML is edited by byte search around its last filled row and `</sheetData>`, so
    a 40 MB sheet is never parsed into a tree. Rows below the last filled one that hold no
    value (a Table's pre-formatted blank rows, a sheet formatted down to its last row) are
    filled in place, each keeping the styles of its cells; a new cell copies the `s` of the
    same column in the last filled row, or below a bare header the column's default style
    (`<col style>`). The Excel Table that holds the data (whose range reaches the last filled
    row, or whose header is `header_row`) and the `<dimension>` grow when the new rows reach
    past them.

    Args:
        package: Bytes of an `.xlsx` or `.xlsm` file.
        sheet_name: The sheet to extend (case-insensitive).
        rows: The rows to add, column A first.
        header_row: Excel row number of the header; default: the Table's header row, or 1.

    Returns:
        The new package bytes and the Excel row numbers (1-based) of the appended rows.

    Raises:
        PackageError: The sheet is missing, or its XML has a form this function cannot extend
            (a prefixed namespace, rows without `r`, a Table with a totals row).
        CellRefused: A value cannot be stored in Excel, or the sheet is full.
        ValueError: A value cannot be stored in Excel.
    """
    if not rows:
        return package, []
    pkg = Package(package)
    book = Workbook(pkg)
    sheet = _existing_sheet(pkg, book, sheet_name)
    styles_part, styles = load_styles(pkg, book)
    xml = pkg.read(sheet.part)
    last_row, last_cells, after = _last_filled_row(xml)
    table = _covering_table(pkg, sheet, last_row, header_row)
    if header_row is None:
        header_row = table[1] if table else 1
    column_styles = _column_styles(xml)
    if last_row > header_row:
        column_styles, first = {**column_styles, **last_cells}, last_row + 1
    else:  # a bare header: fill the row below it (an empty Table's placeholder row)
        first = header_row + 1
    numbers = list(range(first, first + len(rows)))
    if numbers[-1] > MAX_ROWS:
        raise CellRefused(
            f"A{MAX_ROWS}", f"the sheet is full: Excel sheets end at row {MAX_ROWS:,}"
        )
    writer = CellWriter(styles, book.epoch)
    xml = _place_rows(xml, after, dict(zip(numbers, rows, strict=True)), column_styles, writer)
    xml = _extend_dimension(xml, numbers[-1], max(len(r) for r in rows))
    pkg.write(sheet.part, xml)
    if table and table[2] < numbers[-1]:
        _extend_table(pkg, table[0], numbers[-1])
    save_styles(pkg, styles_part, styles)
    return pkg.to_bytes(), numbers


def _append_row(
    number: int, values: Sequence[CellValue], column_styles: Mapping[int, int], writer: CellWriter
) -> str:
    cells = (
        writer.cell(f"{col_letter(i)}{number}", value, column_styles.get(i, 0))
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{"".join(cells)}</row>'


_SHEETDATA_CLOSE = b"</sheetData>"
_SHEETDATA_EMPTY = re.compile(rb"<sheetData\s*/>")
_ROW_R = re.compile(rb'\sr="(\d+)"')
_ROW = re.compile(rb"<row\b[^>]*?(/?)>")
_CELL = re.compile(rb"<c\b([^>]*?)(/?)>")
#: What only a cell holding something has: a value, an inline string or a formula.
_FILLED = (b"<v>", b"<is>", b"<f>", b"<f ")
_ROWS_STEPPED_BACK = 1000


def _sheet_data_end(xml: bytes) -> int:
    """Offset of `</sheetData>`, or -1 when the element is self-closed."""
    end = xml.rfind(_SHEETDATA_CLOSE)
    if end >= 0:
        return end
    if _SHEETDATA_EMPTY.search(xml):
        return -1
    raise PackageError("the sheet has no <sheetData> in the default namespace")


def _last_filled_row(xml: bytes) -> tuple[int, dict[int, int], int]:
    """The last row holding a value: its number, the style of each of its cells by column
    (0-based), and the offset where the rows after it begin (0s and the start of the sheet
    data when no row holds a value; -1 for a self-closed `<sheetData/>`)."""
    end = _sheet_data_end(xml)
    if end < 0:
        return 0, {}, -1
    filled = _last_value_at(xml, end)
    start = (
        -1 if filled < 0 else xml.rfind(b"<row", 0, filled)  # inside sheetData: rows only
    )
    if start < 0:
        return 0, {}, xml.index(b">", xml.rfind(b"<sheetData", 0, end)) + 1
    row_end = xml.find(b"</row>", filled)
    if row_end < 0 or row_end > end:
        raise PackageError("the sheet's last filled row is not closed")
    row = xml[start:row_end]
    number = _ROW_R.search(row[: row.index(b">")])
    if number is None:
        raise PackageError("the sheet's last filled row has no row number")
    styles: dict[int, int] = {}
    column = -1
    for match in _CELL.finditer(row):
        attrs = dict(ATTRS.findall(match.group(1).decode("utf-8")))
        ref = CELL_REF.match(attrs.get("r", ""))
        column = col_index(ref.group(1)) if ref else column + 1
        styles[column] = int(attrs.get("s", "0"))
    return int(number.group(1)), styles, row_end + len(b"</row>")


def _last_value_at(xml: bytes, end: int) -> int:
    """Offset of the last value, inline string or formula before ``end`` (-1: none).

    Steps back row by row, so a sheet whose last row holds a value (the usual case) costs
    one row; past many empty rows, one search over the whole sheet per kind of content.
    """
    for _ in range(_ROWS_STEPPED_BACK):
        start = xml.rfind(b"<row", 0, end)
        if start < 0:
            return -1
        found = max(xml.rfind(marker, start, end) for marker in _FILLED)
        if found >= 0:
            return found
        end = start
    return max(xml.rfind(marker, 0, end) for marker in _FILLED)


def _place_rows(
    xml: bytes,
    after: int,
    rows: Mapping[int, Sequence[CellValue]],
    column_styles: Mapping[int, int],
    writer: CellWriter,
) -> bytes:
    """Put ``rows`` (by row number, ascending) among the empty rows that follow offset
    ``after``: into a row element of the same number when there is one (it holds no value),
    as a new element in row order otherwise."""
    if after < 0:  # <sheetData/>
        fragment = "".join(_append_row(n, r, column_styles, writer) for n, r in rows.items())
        return _insert_rows(xml, fragment.encode("utf-8"))
    end = _sheet_data_end(xml)
    out, pos = [xml[:after]], after
    blanks = _rows_from(xml, after, end)
    pending = next(blanks, None)
    for number, values in rows.items():
        while pending is not None and pending[0] < number:
            out.append(xml[pos : pending[2]])
            pos, pending = pending[2], next(blanks, None)
        if pending is not None and pending[0] == number:
            out.append(xml[pos : pending[1]])
            out.append(
                _fill_row(xml[pending[1] : pending[2]], number, values, column_styles, writer)
            )
            pos, pending = pending[2], next(blanks, None)
        else:
            out.append(_append_row(number, values, column_styles, writer).encode("utf-8"))
    out.append(xml[pos:])
    return b"".join(out)


def _rows_from(xml: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(number, start, end) of each row element between offsets ``start`` and ``end``."""
    while (match := _ROW.search(xml, start, end)) is not None:
        number = _ROW_R.search(match.group(0))
        if number is None:
            raise PackageError("a row of the sheet has no row number")
        close = match.end() if match.group(1) else xml.find(b"</row>", match.end(), end) + 6
        if close < match.end():
            raise PackageError(f"row {int(number.group(1))} is not closed")
        yield int(number.group(1)), match.start(), close
        start = close


def _fill_row(
    row: bytes,
    number: int,
    values: Sequence[CellValue],
    column_styles: Mapping[int, int],
    writer: CellWriter,
) -> bytes:
    """An empty row element with ``values`` set, each existing cell keeping its style."""
    wanted = {i: v for i, v in enumerate(values) if v is not None}
    if not wanted:
        return row
    return _set_row_cells(row, number, wanted, writer, column_styles)[0]


def _column_styles(xml: bytes) -> dict[int, int]:
    """Default styles from `<cols>` (`style` per column range), for rows below a bare header."""
    head = xml[: xml.find(b"<sheetData")].decode("utf-8")
    styles: dict[int, int] = {}
    for col in re.findall(r"<col\b[^>]*>", head):
        attrs = attributes(col)
        if "style" in attrs:
            for index in range(int(attrs["min"]) - 1, min(int(attrs["max"]), MAX_COLS)):
                styles[index] = int(attrs["style"])
    return styles


def _insert_rows(xml: bytes, fragment: bytes) -> bytes:
    end = _sheet_data_end(xml)
    if end >= 0:
        return xml[:end] + fragment + xml[end:]
    match = _SHEETDATA_EMPTY.search(xml)
    assert match is not None
    return xml[: match.start()] + b"<sheetData>" + fragment + b"</sheetData>" + xml[match.end() :]


def _extend_dimension(xml: bytes, last_row: int, ncols: int) -> bytes:
    head_end = xml.find(b"<sheetData")
    match = re.search(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', xml[:head_end])
    if match is None:
        return xml
    first_col, first_row = match.group(1).decode(), int(match.group(2))
    last_col = match.group(3).decode() if match.group(3) else first_col
    end_col = col_letter(max(col_index(last_col), ncols - 1))
    end_row = max(last_row, int(match.group(4) or first_row))
    new = f'<dimension ref="{first_col}{first_row}:{end_col}{end_row}"'.encode()
    return xml[: match.start()] + new + xml[match.end() :]


def _table_ref(xml: str) -> tuple[str, int, str, int]:
    head = re.search(r"<(?:\w+:)?table\b[^>]*>", xml)
    ref = re.search(r'\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', head.group(0)) if head else None
    if ref is None:
        raise PackageError("a table part has no range")
    return ref.group(1), int(ref.group(2)), ref.group(3), int(ref.group(4))


def _covering_table(
    pkg: Package, sheet: Sheet, last_row: int, header_row: int | None
) -> tuple[str, int, int] | None:
    """The sheet's Table that holds its data: (part, header row, last row), if any."""
    for rel in read_rels(pkg, sheet.part):
        if rel.type != REL_TABLE or rel.external or rel.target not in pkg:
            continue
        text = pkg.read(rel.target).decode("utf-8")
        _, top, _, bottom = _table_ref(text)
        if header_row == top or (header_row is None and bottom >= last_row):
            if re.search(r'totalsRowCount="[1-9]', text):
                raise PackageError("appending below a Table with a totals row is not supported")
            return rel.target, top, bottom
    return None


def _extend_table(pkg: Package, part: str, last_row: int) -> None:
    text = pkg.read(part).decode("utf-8")
    first_col, top, last_col, bottom = _table_ref(text)
    old, new = f"{first_col}{top}:{last_col}{bottom}", f"{first_col}{top}:{last_col}{last_row}"
    text = re.sub(rf'(<(?:\w+:)?(?:table|autoFilter)\b[^>]*\bref="){old}"', rf'\g<1>{new}"', text)
    pkg.write(part, text.encode("utf-8"))


# --------------------------------------------------------------------------- set_cells


def set_cells(package: bytes, sheet_name: str, cells: Mapping[tuple[int, int], CellValue]) -> bytes:
    """Set the values of existing rows' cells, keeping each cell's format.

    Only the XML of the rows named changes, edited by byte search like `append_rows`:
    a replaced cell keeps its `s` attribute, a new cell takes the column's default style
    and is inserted in column order. Text is an inline string (never a formula); None
    empties a cell but keeps its format. When a replaced cell held a formula, the
    workbook's calculation chain is dropped so that Excel rebuilds it.

    Args:
        package: Bytes of an `.xlsx` or `.xlsm` file.
        sheet_name: The sheet (case-insensitive).
        cells: Values keyed by ``(row, column)``, both 1-based Excel numbers.

    Returns:
        Bytes of the new package.

    Raises:
        PackageError: The sheet or a row is missing, or a cell is the anchor of a shared
            or array formula (other cells depend on it).
        ValueError: A value cannot be stored in Excel.
    """
    if not cells:
        return package
    pkg = Package(package)
    book = Workbook(pkg)
    sheet = _existing_sheet(pkg, book, sheet_name)
    styles_part, styles = load_styles(pkg, book)
    writer = CellWriter(styles, book.epoch)
    xml = pkg.read(sheet.part)
    defaults = _column_styles(xml)
    by_row: dict[int, dict[int, CellValue]] = {}
    for (row, col), value in cells.items():
        if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
            raise ValueError(f"cell ({row}, {col}) is outside the sheet")
        by_row.setdefault(row, {})[col - 1] = value
    had_formula = False
    for row, values in sorted(by_row.items()):
        xml, replaced_formula = _set_row_cells(xml, row, values, writer, defaults)
        had_formula |= replaced_formula
    xml = _extend_dimension(xml, max(by_row), max(c for v in by_row.values() for c in v) + 1)
    pkg.write(sheet.part, xml)
    if had_formula:
        drop_stale_calc_chain(pkg, book, sheet)
    save_styles(pkg, styles_part, styles)
    book.save()
    return pkg.to_bytes()


_CELL_CLOSE = b"</c>"


def _find_row(xml: bytes, number: int) -> tuple[int, int, int]:
    """(start, end of the opening tag, end of the element) of row `number`."""
    match = re.search(rb'<row\b[^>]*?\sr="%d"[^>]*?(/?)>' % number, xml)
    if match is None:
        raise PackageError(f"the sheet has no row {number}")
    if match.group(1):
        return match.start(), match.end(), match.end()
    close = xml.find(b"</row>", match.end())
    if close < 0:
        raise PackageError(f"row {number} is not closed")
    return match.start(), match.end(), close + len(b"</row>")


def _row_cells(body: bytes) -> list[tuple[int, int, int, dict[str, str]]]:
    """(column, start, end, attributes) of each cell in a row's content."""
    found = []
    column, at = -1, 0
    while (match := _CELL.search(body, at)) is not None:
        attrs = dict(ATTRS.findall(match.group(1).decode("utf-8")))
        ref = CELL_REF.match(attrs.get("r", ""))
        column = col_index(ref.group(1)) if ref else column + 1
        end = match.end() if match.group(2) else body.index(_CELL_CLOSE, match.end()) + 4
        found.append((column, match.start(), end, attrs))
        at = end
    return found


def _set_row_cells(
    xml: bytes,
    number: int,
    values: Mapping[int, CellValue],
    writer: CellWriter,
    defaults: Mapping[int, int],
) -> tuple[bytes, bool]:
    start, open_end, end = _find_row(xml, number)
    head = xml[start:open_end]
    body = xml[open_end : end - len(b"</row>")] if open_end != end else b""
    existing = {col: (s, e, attrs) for col, s, e, attrs in _row_cells(body)}
    had_formula = False
    pieces: list[tuple[int, bytes]] = []
    for col, (s, e, attrs) in existing.items():
        if col not in values:
            pieces.append((col, body[s:e]))
            continue
        old = body[s:e]
        if b"<f" in old and re.search(rb"<f\b[^>]*\bref=", old):
            raise PackageError(f"cell {col_letter(col)}{number} anchors a shared or array formula")
        had_formula |= b"<f" in old
        pieces.append((col, _new_cell(col, number, values[col], int(attrs.get("s", "0")), writer)))
    for col, value in values.items():
        if col not in existing:
            pieces.append((col, _new_cell(col, number, value, defaults.get(col, 0), writer)))
    pieces.sort(key=lambda p: p[0])
    if open_end == end:  # a self-closed row
        head = head[:-2].rstrip() + b">"
    head = _widen_spans(head, pieces[-1][0] + 1)
    row = head + b"".join(p for _, p in pieces) + b"</row>"
    return xml[:start] + row + xml[end:], had_formula


def _new_cell(col: int, number: int, value: CellValue, style: int, writer: CellWriter) -> bytes:
    ref = f"{col_letter(col)}{number}"
    text = writer.cell(ref, value, style)
    return (text or f'<c r="{ref}"{style_attr(style)}/>').encode("utf-8")


def _widen_spans(head: bytes, last_col: int) -> bytes:
    match = re.search(rb'\sspans="(\d+):(\d+)"', head)
    if match is None or int(match.group(2)) >= last_col:
        return head
    return (
        head[: match.start()] + b' spans="%s:%d"' % (match.group(1), last_col) + head[match.end() :]
    )
