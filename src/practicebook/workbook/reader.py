"""Read a workbook file into raw tables: the pre-flight guard, then a Rust calamine reader.

The file first passes the guard (``guard.preflight``). Sheets are then read with fastexcel
(Arrow-native calamine), typed per column from the schema so text in a number column,
booleans in a money column and Excel error values all surface as cells for the parser to
report. Header rows, merged ranges and boolean cells are found by scanning the sheet XML,
beside the typed read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.etree.ElementTree import iterparse

import defusedxml.ElementTree as SafeET
import fastexcel
import pandas as pd

from practicebook.core.audit import AUDIT_SHEET
from practicebook.errors import UnreadableWorkbook
from practicebook.issues import column_number
from practicebook.model import CellErrorValue, RawTable
from practicebook.schema import WORKBOOK, Kind, Sheet, normalize_header
from practicebook.workbook.guard import (
    NS_MAIN,
    NS_PKG_REL,
    WorkbookFile,
    normalize_part,
    preflight,
)
from practicebook.workbook.ooxml import read_sheet

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["read_tables", "read_workbook"]


_FASTEXCEL_DTYPE = {
    Kind.ID: "string",
    Kind.TEXT: "string",
    Kind.CHOICE: "string",
    Kind.BOOL: "boolean",
    Kind.INTEGER: "float",
    Kind.DECIMAL: "float",
    Kind.MONEY: "float",
    Kind.DATE: "datetime",
    Kind.DATETIME: "datetime",
}
_EXCEL_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}


# --- sheet layout from the XML, without parsing the whole sheet ---------------------


@dataclass
class _SheetScan:
    header_row: int = 0
    header_cells: list[tuple[int, str | int]] = field(default_factory=list)  # col, text or sst
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    booleans: dict[tuple[int, int], bool] = field(default_factory=dict)  # (row, col) -> value


_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')
_ROW_START = re.compile(rb"<row\b")
_VALUE = re.compile(rb"<(?:v|is|f)\b")
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


def _col_number(letters: bytes) -> int:
    return column_number(letters.decode("ascii"))


def _scan_head(archive: zipfile.ZipFile, part: str) -> _SheetScan:
    """Read a worksheet part only as far as its header row (the first row with values)."""
    scan = _SheetScan()
    head = b""
    with archive.open(part) as stream:
        while not scan.header_row and len(head) < 1 << 24:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            head += chunk
            _find_header(head, scan)
    return scan


def _scan_body(archive: zipfile.ZipFile, part: str, scan: _SheetScan) -> None:
    """One streaming pass over a worksheet part for merged ranges and boolean cells.

    Text in cells is XML-escaped, so markup such as ``<mergeCell`` can only be markup.
    The pass is mostly inflating (which releases the GIL), so it runs beside the typed
    read of the sheets.
    """
    pending = b""
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(1 << 20)
            data = pending + chunk
            cut = len(data) if not chunk else max(0, data.rfind(b"<"))
            _find_booleans(data[:cut], scan)
            for m in _MERGE.finditer(data, 0, cut):
                c1, r1, c2, r2 = m.groups()
                scan.merged.append((int(r1), _col_number(c1), int(r2 or r1), _col_number(c2 or c1)))
            pending = data[cut:]
            if not chunk:
                break


def _scan_bodies(data: bytes, parts: Mapping[str, str], scans: Mapping[str, _SheetScan]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name, part in parts.items():
            _scan_body(archive, part, scans[name])


def _find_header(data: bytes, scan: _SheetScan) -> None:
    pos = 0
    while True:
        start = _ROW_START.search(data, pos)
        if not start:
            return
        end = data.find(b"</row>", start.end())
        if end < 0:
            return  # the row continues in the next chunk
        row_xml = data[start.start() : end + 6]
        if _VALUE.search(row_xml):
            _read_header_row(row_xml, scan)
            return
        pos = end + 6


def _read_header_row(row_xml: bytes, scan: _SheetScan) -> None:
    root = SafeET.fromstring(b'<r xmlns="' + NS_MAIN.encode() + b'">' + row_xml + b"</r>")
    row = root[0]
    scan.header_row = int(row.get("r") or 1)
    for cell in row:
        ref = cell.get("r") or ""
        letters = "".join(ch for ch in ref if ch.isalpha())
        col = _col_number(letters.encode()) if letters else len(scan.header_cells) + 1
        kind = cell.get("t")
        if kind == "s":
            v = cell.find(f"{{{NS_MAIN}}}v")
            if v is not None and (v.text or "").strip().isdigit():
                scan.header_cells.append((col, int(v.text or 0)))
            continue
        if kind == "inlineStr":
            text = "".join(t.text or "" for t in cell.iter(f"{{{NS_MAIN}}}t"))
        else:
            v = cell.find(f"{{{NS_MAIN}}}v")
            text = (v.text or "") if v is not None else ""
        if text:
            scan.header_cells.append((col, text))


def _find_booleans(data: bytes, scan: _SheetScan) -> None:
    pos = 0
    while True:
        hit = data.find(b't="b"', pos)
        if hit < 0:
            return
        pos = hit + 5
        start = data.rfind(b"<c ", 0, hit)
        end = data.find(b"</c>", hit)
        if start < 0 or end < 0:
            continue
        cell = data[start:end]
        ref = _CELL_REF.match(cell)
        value = re.search(rb"<v>\s*([01])\s*</v>", cell)
        if ref and value:
            key = (int(ref.group(2)), _col_number(ref.group(1)))
            scan.booleans[key] = value.group(1) == b"1"


def _shared_strings(archive: zipfile.ZipFile, part: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings at the ``wanted`` indexes, reading no further than needed."""
    if not wanted or part is None:
        return {}
    found: dict[int, str] = {}
    last = max(wanted)
    index = -1
    with archive.open(part) as stream:
        for _, el in iterparse(stream, events=("end",)):
            if el.tag != f"{{{NS_MAIN}}}si":
                continue
            index += 1
            if index in wanted:
                found[index] = "".join(t.text or "" for t in el.iter(f"{{{NS_MAIN}}}t"))
            el.clear()
            if index >= last:
                break
    return found


# --- reading sheets -----------------------------------------------------------------


def _match_sheets(book: WorkbookFile) -> Iterator[tuple[str, Sheet]]:
    by_norm = {normalize_header(s.name): s for s in WORKBOOK.sheets}
    for name in book.sheets:
        sheet = by_norm.get(normalize_header(name))
        if sheet is not None:
            yield name, sheet


def read_workbook(
    path: str | Path,
    data: bytes | None = None,
    *,
    password: str | None = None,
    sheets: Collection[str] | None = None,
    audit: bool = True,
) -> tuple[WorkbookFile, list[RawTable]]:
    """Guard, then read every input sheet of a workbook file into raw tables.

    Args:
        path: the file (named in messages even when ``data`` is given).
        data: the file's bytes, when already read.
        password: the password of a protected workbook.
        sheets: read only these input sheets (schema names); default all of them.
        audit: also read the AuditLog sheet, whose chain ``api`` verifies.

    Raises:
        UnreadableWorkbook: the file is not a sound workbook (one-line reason).
    """
    book = preflight(path, data, password=password)
    try:
        reader = fastexcel.read_excel(book.data)
    except Exception as exc:
        raise UnreadableWorkbook(
            book.path, f"the workbook could not be read ({type(exc).__name__})"
        ) from None
    tables = []
    with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
        try:
            wanted = [
                (name, sheet)
                for name, sheet in _match_sheets(book)
                if sheets is None or sheet.name in sheets
            ]
            scans = {name: _scan_head(archive, book.sheets[name]) for name, _ in wanted}
            headers = _header_texts(archive, book, scans)
            with ThreadPoolExecutor(max_workers=1) as pool:
                bodies = pool.submit(
                    _scan_bodies, book.data, {name: book.sheets[name] for name, _ in wanted}, scans
                )
                loaded = {
                    name: _load_sheet(reader, name, sheet, headers[name]) for name, sheet in wanted
                }
                bodies.result()
            for name, sheet in wanted:
                tables.append(
                    _raw_table(reader, name, sheet, scans[name], headers[name], loaded[name])
                )
            if audit:
                tables += _audit_table(book)
        except UnreadableWorkbook:
            raise
        except Exception as exc:
            raise UnreadableWorkbook(
                book.path, f"a sheet could not be read ({type(exc).__name__})"
            ) from None
    return book, tables


def _audit_table(book: WorkbookFile) -> list[RawTable]:
    """The AuditLog sheet as a raw table (not an input sheet: ``api`` verifies its chain)."""
    name = next(
        (n for n in book.sheets if normalize_header(n) == normalize_header(AUDIT_SHEET)), None
    )
    if name is None:
        return []
    rows = read_sheet(book.data, name)
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    data = pd.DataFrame(
        {i: pd.Series([r[i] for r in body], dtype=object) for i in range(len(header))}
    )
    return [RawTable(name, tuple("" if h is None else str(h) for h in header), data)]


def _header_texts(
    archive: zipfile.ZipFile, book: WorkbookFile, scans: Mapping[str, _SheetScan]
) -> dict[str, list[tuple[int, str]]]:
    """Header texts per sheet, resolving shared strings from Excel Table definitions
    (a few hundred bytes) and only when needed from the shared-string part."""
    resolved: dict[str, dict[int, str]] = {}
    wanted: set[int] = set()
    for name, scan in scans.items():
        table = _table_columns(archive, book.sheets[name])
        if table and table[0] == scan.header_row:
            resolved[name] = table[1]
        else:
            resolved[name] = {}
        for col, value in scan.header_cells:
            if isinstance(value, int) and col not in resolved[name]:
                wanted.add(value)
    sst = _shared_strings(archive, book.shared_strings, wanted)
    out: dict[str, list[tuple[int, str]]] = {}
    for name, scan in scans.items():
        out[name] = [
            (col, resolved[name].get(col, sst.get(value, "")) if isinstance(value, int) else value)
            for col, value in scan.header_cells
        ]
    return out


def _table_columns(archive: zipfile.ZipFile, part: str) -> tuple[int, dict[int, str]] | None:
    """Header row and column names of the Excel Table on a worksheet, if it has one."""
    folder, _, file = part.rpartition("/")
    try:
        rels = SafeET.fromstring(archive.read(f"{folder}/_rels/{file}.rels"))
    except KeyError:
        return None
    for rel in rels.iter(f"{{{NS_PKG_REL}}}Relationship"):
        if not str(rel.get("Type", "")).endswith("/table"):
            continue
        target = str(rel.get("Target", ""))
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath(folder, target))
        path = normalize_part(path)
        try:
            table = SafeET.fromstring(archive.read(path))
        except KeyError:
            continue
        ref = str(table.get("ref", "")).split(":")[0]
        letters = "".join(ch for ch in ref if ch.isalpha())
        digits = "".join(ch for ch in ref if ch.isdigit())
        if not letters or not digits:
            continue
        first_col, row = _col_number(letters.encode()), int(digits)
        names = [str(c.get("name", "")) for c in table.iter(f"{{{NS_MAIN}}}tableColumn")]
        return row, {first_col + i: n for i, n in enumerate(names)}
    return None


def read_tables(path: str | Path, *, password: str | None = None) -> list[RawTable]:
    """Just the raw tables of a workbook file (see ``read_workbook``)."""
    return read_workbook(path, password=password)[1]


@dataclass
class _Loaded:
    frame: pd.DataFrame
    columns: list[int]  # Excel column number of each loaded column
    names: list[str]
    errors: object  # fastexcel CellErrors: cells the typed read could not type


def _kind_of(sheet: Sheet, header: str) -> Kind | None:
    col = sheet.match(header)
    return col.kind if col else None


def _load_sheet(
    reader: fastexcel.ExcelReader, name: str, sheet: Sheet, headers: list[tuple[int, str]]
) -> _Loaded | None:
    """The typed read (fastexcel releases the GIL while it parses)."""
    if not headers:
        return None
    dtypes = {}
    for col, text in headers:
        kind = _kind_of(sheet, str(text))
        dtypes[col - 1] = _FASTEXCEL_DTYPE[kind] if kind else "string"
    # dtypes keyed by column index are valid; the stubs declare an invariant key type
    loaded = reader.load_sheet(  # type: ignore[call-overload]
        name,
        header_row=0,
        dtypes=dtypes,
        dtype_coercion="coerce",
        use_columns=sorted(dtypes),
        whitespace_as_null=True,
    )
    batch, errors = loaded.to_arrow_with_errors()
    frame = batch.to_pandas()
    frame.columns = range(len(frame.columns))
    columns = [c.absolute_index + 1 for c in loaded.selected_columns]
    names = [str(text) for _, text in headers]
    if len(columns) != len(names):
        names = [c.name for c in loaded.selected_columns]
    return _Loaded(frame, columns, names, errors)


def _raw_table(
    reader: fastexcel.ExcelReader,
    name: str,
    sheet: Sheet,
    scan: _SheetScan,
    headers: list[tuple[int, str]],
    loaded: _Loaded | None,
) -> RawTable:
    if loaded is None:
        return RawTable(name, (), pd.DataFrame(), max(scan.header_row, 1))
    raw_cells = _raw_cells(
        reader, name, loaded.errors, loaded.columns, loaded.frame, scan, sheet, loaded.names
    )
    return RawTable(
        name,
        tuple(loaded.names),
        loaded.frame,
        scan.header_row or 1,
        tuple(loaded.columns),
        raw_cells,
        tuple(scan.merged),
    )


def _raw_cells(
    reader: fastexcel.ExcelReader,
    name: str,
    errors: object,
    columns: list[int],
    frame: pd.DataFrame,
    scan: _SheetScan,
    sheet: Sheet,
    names: list[str],
) -> dict[tuple[int, int], object]:
    """Cells whose typed value is not their content, keyed by (data row, column position)."""
    raw: dict[tuple[int, int], object] = {}
    failed: dict[int, list[tuple[int, str]]] = {}
    position = {col: pos for pos, col in enumerate(columns)}
    for err in getattr(errors, "errors", None) or []:
        row, absolute = err.offset_position  # data row index, 0-based absolute column
        if absolute + 1 in position:
            failed.setdefault(position[absolute + 1], []).append((row, err.detail))
    for pos, cells in failed.items():
        text = _column_as_text(reader, name, columns[pos] - 1, len(frame))
        for row, detail in cells:
            error = re.search(r"Error\((\w+)\)", detail)
            if error:
                raw[(row, pos)] = CellErrorValue(_EXCEL_ERRORS.get(error.group(1), "#ERROR"))
            elif text is not None and 0 <= row < len(text) and text[row] is not None:
                raw[(row, pos)] = text[row]
    kinds = {columns[pos]: _kind_of(sheet, header) or Kind.TEXT for pos, header in enumerate(names)}
    first = (scan.header_row or 1) + 1
    for (row, col), value in scan.booleans.items():
        if (
            col in position
            and kinds.get(col) not in (Kind.BOOL, Kind.TEXT, Kind.ID, Kind.CHOICE)
            and row >= first
        ):
            raw.setdefault((row - first, position[col]), value)
    return raw


def _column_as_text(
    reader: fastexcel.ExcelReader, name: str, column: int, height: int
) -> list[str | None] | None:
    """Re-read one column as text, to recover what a typed read could not type."""
    try:
        loaded = reader.load_sheet(name, header_row=0, use_columns=[column], dtypes="string")
        values: list[str | None] = loaded.to_arrow().column(0).to_pylist()
    except Exception:
        return None
    return values[:height] + [None] * (height - len(values))
