"""Read a workbook file into raw tables: the guard, the header search, then a Rust reader.

The file first passes the guard (``guard.preflight``). For each input sheet the reader
picks the workbook sheet that stands for it (``parse.headers.choose_sheet``) and finds
its header by the shared rule (``parse.headers.find_header``) in the sheet's first rows;
a sheet without a recognisable header is handed on as ``header_found=False`` with none
of its cells. Each sheet is then scanned once (``workbook.scan``: the cell-extent guard,
text and booleans in the columns read as numbers, dates or booleans, formulas saved
without a value, merged ranges) and, once its scan has passed, read by fastexcel (Arrow
-native calamine), typed per column from the schema. The scans run on a second thread
ahead of the typed reads (which release the GIL), smallest sheet first.

Cells the typed read cannot give faithfully reach the parser as ``raw_cells``: a cell
holding text always arrives as its text (so ``"1.234"`` in a ``de_DE`` workbook is read by
the locale's rules, not as 1.234), a boolean in a money column as a boolean, an error
value as ``CellErrorValue``, a formula without a stored value as ``FormulaWithoutValue``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import iterparse

import defusedxml.ElementTree as SafeET
import fastexcel
import pandas as pd

from practicebook.core.audit import AUDIT_SHEET
from practicebook.errors import UnreadableWorkbook
from practicebook.issues import column_number
from practicebook.model import CellErrorValue, FormulaWithoutValue, RawTable
from practicebook.parse.headers import choose_sheet, find_header, label_text
from practicebook.schema import WORKBOOK, Kind, Sheet
from practicebook.workbook.guard import (
    NS_MAIN,
    NS_PKG_REL,
    Limits,
    WorkbookFile,
    normalize_part,
    preflight,
)
from practicebook.workbook.ooxml import read_sheet
from practicebook.workbook.scan import Body, scan_body
from practicebook.workbook.xmlcells import TEXT, Cell, Head, scan_head

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
#: Kinds read as numbers or dates: their text, boolean and error cells are found in the XML
#: (text in a boolean column fails the typed read and is recovered from its errors).
_WATCHED = {Kind.INTEGER, Kind.DECIMAL, Kind.MONEY, Kind.DATE, Kind.DATETIME}
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
_NOT_TEXT = object()  # a filled cell that is not text (a number, a boolean, an error)


@dataclass
class _Plan:
    """One input sheet to read: where it is, its header, its columns."""

    name: str  # as stored in the workbook
    label: str  # as printed
    sheet: Sheet
    part: str
    header_row: int = 0  # 0 until found
    searched: int = 1  # last row the header search looked at
    headers: tuple[tuple[int, str], ...] = ()  # (Excel column, header text)

    @property
    def kinds(self) -> dict[int, Kind | None]:
        out: dict[int, Kind | None] = {}
        for col, text in self.headers:
            column = self.sheet.match(text)
            out[col] = column.kind if column else None
        return out


def read_workbook(
    path: str | Path,
    data: bytes | None = None,
    *,
    password: str | None = None,
    sheets: Collection[str] | None = None,
    audit: bool = True,
    limits: Limits | None = None,
) -> tuple[WorkbookFile, list[RawTable]]:
    """Guard, then read every input sheet of a workbook file into raw tables.

    Several workbook sheets may fold to one standard name (``Payments``, ``payments_``):
    the one ``choose_sheet`` picks is read, and each other one is handed on as an empty
    ``RawTable`` (``header_found=False``), listed before the one read, so the parser can
    report it and never reads it.

    Args:
        path: the file (named in messages even when ``data`` is given).
        data: the file's bytes, when already read (through ``guard.read_workbook_bytes``).
        password: the password of a protected workbook.
        sheets: read only these input sheets (schema names); default all of them.
        audit: also read the AuditLog sheet, whose chain ``api`` verifies.
        limits: the guard's limits.

    Raises:
        UnreadableWorkbook: the file is not a sound workbook (one-line reason).
    """
    limits = limits or Limits()
    book = preflight(path, data, password=password, limits=limits)
    try:
        return book, _read(book, sheets, audit, limits)
    except UnreadableWorkbook as exc:
        raise UnreadableWorkbook(book.path, exc.reason) from None
    except Exception as exc:
        raise UnreadableWorkbook(
            book.path, f"a sheet could not be read ({type(exc).__name__})"
        ) from None


def read_tables(path: str | Path, *, password: str | None = None) -> list[RawTable]:
    """Just the raw tables of a workbook file (see ``read_workbook``)."""
    return read_workbook(path, password=password)[1]


def _read(
    book: WorkbookFile, sheets: Collection[str] | None, audit: bool, limits: Limits
) -> list[RawTable]:
    names = list(book.sheets)
    labels = [label_text(n) for n in names]
    ignored: list[RawTable] = []
    plans: list[_Plan] = []
    for spec in WORKBOOK.sheets:
        choice = choose_sheet(labels, spec.name)
        if choice is None or (sheets is not None and spec.name not in sheets):
            continue
        ignored += [_no_header(labels[i], 1) for i in choice.ignored]
        name = names[choice.chosen]
        plans.append(_Plan(name, labels[choice.chosen], spec, book.sheets[name]))
    with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
        _find_headers(archive, book, plans)
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    found = sorted((p for p in plans if p.header_row), key=lambda p: sizes.get(p.part, 0))
    bodies, loaded = _scan_and_load(book, found, limits)
    strings = _shared_strings_of(book, bodies)
    tables = {
        p.name: _raw_table(p, loaded[p.name], bodies[p.name], strings)
        if p.header_row
        else _no_header(p.label, p.searched)
        for p in plans
    }
    out = ignored + [tables[p.name] for p in plans]
    if audit:
        out += _audit_table(book, labels, limits)
    return out


def _no_header(label: str, searched: int) -> RawTable:
    return RawTable(label, (), pd.DataFrame(), max(searched, 1), header_found=False)


# --- headers ------------------------------------------------------------------------


def _find_headers(archive: zipfile.ZipFile, book: WorkbookFile, plans: list[_Plan]) -> None:
    """Each plan's header row and texts, by the shared rule; shared strings are resolved
    from Excel Table definitions when they name the header row (a few hundred bytes),
    else from the shared-string part, reading no further than needed."""
    heads = {p.name: scan_head(archive, p.part, p.name) for p in plans}
    tables = {p.name: _table_columns(archive, p.part) for p in plans}
    wanted: set[int] = set()
    for p in plans:
        wanted |= _sst_needed(heads[p.name], tables[p.name], _decision_rows(heads[p.name]))
    sst = _shared_strings(archive, book.shared_strings, wanted)
    for p in plans:
        head, table = heads[p.name], tables[p.name]
        last = _decision_rows(head)
        search = find_header(_head_values(head, table, sst, last), p.sheet)
        if search.index is None and search.last_row > last and max(head.rows, default=0) > last:
            # the deciding row held only blank text: look further down, as far as read
            last = max(head.rows)
            sst = {
                **sst,
                **_shared_strings(archive, book.shared_strings, _sst_needed(head, table, last)),
            }
            search = find_header(_head_values(head, table, sst, last), p.sheet)
        p.searched = search.last_row
        if search.index is None:
            continue
        p.header_row = search.index + 1
        p.headers = tuple(
            (col, label_text(str(value)))
            for col, value in _row_texts(head, p.header_row, table, sst)
            if value is not _NOT_TEXT and str(value).strip()
        )


def _decision_rows(head: Head) -> int:
    """Rows the header search may need: up to the first row with two cells or more."""
    for row in sorted(head.rows):
        if len(head.rows[row]) >= 2:
            return row
    return max(head.rows, default=0)


def _sst_needed(head: Head, table: tuple[int, dict[int, str]] | None, last: int) -> set[int]:
    return {
        int(cell.value)
        for row, cells in head.rows.items()
        if row <= last
        for col, cell in cells
        if cell.kind == "sst" and not (table and table[0] == row and col in table[1])
    }


def _row_texts(
    head: Head, row: int, table: tuple[int, dict[int, str]] | None, sst: Mapping[int, str]
) -> list[tuple[int, object]]:
    out: list[tuple[int, object]] = []
    for col, cell in sorted(head.rows.get(row, ()), key=lambda c: c[0]):
        if table and table[0] == row and col in table[1]:
            out.append((col, table[1][col]))
        elif cell.kind == TEXT:
            out.append((col, cell.value))
        elif cell.kind == "sst":
            out.append((col, sst.get(int(cell.value), "")))
        elif cell.kind == "number" and not str(cell.value):
            continue
        else:
            out.append((col, _NOT_TEXT))
    return out


def _head_values(
    head: Head, table: tuple[int, dict[int, str]] | None, sst: Mapping[int, str], last: int
) -> list[list[object]]:
    """The first ``last`` rows as values, blank rows included."""
    return [[v for _, v in _row_texts(head, row, table, sst)] for row in range(1, last + 1)]


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
        try:
            table = SafeET.fromstring(archive.read(normalize_part(path)))
        except KeyError:
            continue
        m = re.match(r"([A-Za-z]{1,3})([0-9]{1,7})", str(table.get("ref", "")))
        if not m:
            continue
        first_col, row = column_number(m.group(1).upper()), int(m.group(2))
        names = [str(c.get("name", "")) for c in table.iter(f"{{{NS_MAIN}}}tableColumn")]
        return row, {first_col + i: n for i, n in enumerate(names)}
    return None


def _shared_strings(archive: zipfile.ZipFile, part: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings at the ``wanted`` indexes, reading no further than needed
    (phonetic guides are not part of the text)."""
    if not wanted or part is None or part not in archive.namelist():
        return {}
    found: dict[int, str] = {}
    last = max(wanted)
    index = -1
    si, t, r = (f"{{{NS_MAIN}}}{tag}" for tag in ("si", "t", "r"))
    with archive.open(part) as stream:
        for _, el in iterparse(stream, events=("end",)):
            if el.tag != si:
                continue
            index += 1
            if index in wanted:
                runs = [c for c in el if c.tag == t] + [
                    x for c in el if c.tag == r for x in c.iter(t)
                ]
                found[index] = "".join(x.text or "" for x in runs)
            el.clear()
            if index >= last:
                break
    return found


def _shared_strings_of(book: WorkbookFile, bodies: Mapping[str, Body]) -> dict[int, str]:
    wanted = {int(c.value) for b in bodies.values() for c in b.cells.values() if c.kind == "sst"}
    if not wanted:
        return {}
    with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
        return _shared_strings(archive, book.shared_strings, wanted)


# --- scanning and the typed read ----------------------------------------------------


@dataclass
class _Loaded:
    frame: pd.DataFrame
    columns: list[int]  # Excel column number of each loaded column
    names: list[str]
    errors: object  # fastexcel CellErrors: cells the typed read could not type
    reader: fastexcel.ExcelReader


def _scan_and_load(
    book: WorkbookFile, plans: list[_Plan], limits: Limits
) -> tuple[dict[str, Body], dict[str, _Loaded]]:
    """Scan each sheet on a second thread (smallest first) and read it once its scan has
    passed, so no sheet reaches the Rust reader before its extent is known to be sane;
    the scans of the larger sheets go on beside the reads of the smaller ones."""
    bodies: dict[str, Body] = {}
    loaded: dict[str, _Loaded] = {}
    if not plans:
        return bodies, loaded
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        scans = {
            p.name: pool.submit(
                scan_body,
                book.data,
                p.part,
                p.name,
                [c for c, k in p.kinds.items() if k in _WATCHED],
                limits,
                p.header_row + 1,
            )
            for p in plans
        }
        try:
            reader = fastexcel.read_excel(book.data)
        except Exception as exc:
            raise UnreadableWorkbook(
                book.path, f"the workbook could not be read ({type(exc).__name__})"
            ) from None
        for p in plans:
            bodies[p.name] = scans[p.name].result()  # raises for a sheet too large to hold
            loaded[p.name] = _load_sheet(reader, p)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return bodies, loaded


def _load_sheet(reader: fastexcel.ExcelReader, plan: _Plan) -> _Loaded:
    """The typed read (fastexcel releases the GIL while it parses)."""
    dtypes = {col - 1: _FASTEXCEL_DTYPE[k] if k else "string" for col, k in plan.kinds.items()}
    # dtypes keyed by column index are valid; the stubs declare an invariant key type
    sheet = reader.load_sheet(  # type: ignore[call-overload]
        plan.name,
        header_row=plan.header_row - 1,  # 0-based Excel row (0: the first row with values)
        dtypes=dtypes,
        dtype_coercion="coerce",
        use_columns=sorted(dtypes),
        whitespace_as_null=True,
    )
    batch, errors = sheet.to_arrow_with_errors()
    frame = batch.to_pandas()
    frame.columns = range(len(frame.columns))
    columns = [c.absolute_index + 1 for c in sheet.selected_columns]
    by_col = dict(plan.headers)
    names = [by_col.get(c, "") for c in columns]
    return _Loaded(frame, columns, names, errors, reader)


def _raw_table(plan: _Plan, loaded: _Loaded, body: Body, strings: Mapping[int, str]) -> RawTable:
    return RawTable(
        plan.label,
        tuple(loaded.names),
        loaded.frame,
        plan.header_row,
        tuple(loaded.columns),
        _raw_cells(plan, loaded, body, strings),
        tuple(body.merged),
    )


def _raw_cells(
    plan: _Plan, loaded: _Loaded, body: Body, strings: Mapping[int, str]
) -> dict[tuple[int, int], object]:
    """Cells whose typed value is not their content, keyed by (data row, column position)."""
    raw: dict[tuple[int, int], object] = {}
    position = {col: pos for pos, col in enumerate(loaded.columns)}
    first, height = plan.header_row + 1, len(loaded.frame)
    for (row, col), cell in body.cells.items():
        pos = position.get(col)
        if pos is None or not 0 <= row - first < height:
            continue
        value = _raw_value(cell, strings)
        if value is not None:
            raw[(row - first, pos)] = value
    for row, col in body.formulas:
        pos = position.get(col)
        if pos is not None and 0 <= row - first < height:
            raw[(row - first, pos)] = FormulaWithoutValue()
    _typed_read_errors(plan, loaded, raw)
    return raw


def _raw_value(cell: Cell, strings: Mapping[int, str]) -> object:
    if cell.kind in (TEXT, "sst"):
        text = str(cell.value) if cell.kind == TEXT else strings.get(int(cell.value))
        return text if text and text.strip() else None
    if cell.kind == "bool":
        return {"1": True, "0": False, "true": True, "false": False}.get(str(cell.value).lower())
    if cell.kind == "error":
        return CellErrorValue(str(cell.value) or "#ERROR")
    return None


def _typed_read_errors(plan: _Plan, loaded: _Loaded, raw: dict[tuple[int, int], object]) -> None:
    """The cells the typed read could not type and the scan did not already give."""
    failed: dict[int, list[tuple[int, str]]] = {}
    position = {col: pos for pos, col in enumerate(loaded.columns)}
    for err in getattr(loaded.errors, "errors", None) or []:
        row, absolute = err.offset_position  # data row index, 0-based absolute column
        pos = position.get(absolute + 1)
        if pos is not None and (row, pos) not in raw:
            failed.setdefault(pos, []).append((row, err.detail))
    for pos, cells in failed.items():
        text = _column_as_text(loaded, plan, loaded.columns[pos] - 1)
        for row, detail in cells:
            error = re.search(r"Error\((\w+)\)", detail)
            if error:
                raw[(row, pos)] = CellErrorValue(_EXCEL_ERRORS.get(error.group(1), "#ERROR"))
            elif text is not None and 0 <= row < len(text) and text[row] is not None:
                raw[(row, pos)] = text[row]


def _column_as_text(loaded: _Loaded, plan: _Plan, column: int) -> list[str | None] | None:
    """Re-read one column as text, to recover what a typed read could not type."""
    height = len(loaded.frame)
    try:
        sheet = loaded.reader.load_sheet(
            plan.name, header_row=plan.header_row - 1, use_columns=[column], dtypes="string"
        )
        values: list[str | None] = sheet.to_arrow().column(0).to_pylist()
    except Exception:
        return None
    return values[:height] + [None] * (height - len(values))


# --- the audit log --------------------------------------------------------------------


def _audit_table(book: WorkbookFile, labels: list[str], limits: Limits) -> list[RawTable]:
    """The AuditLog sheet as a raw table (not an input sheet: ``api`` verifies its chain)."""
    choice = choose_sheet(labels, AUDIT_SHEET)
    if choice is None:
        return []
    name = list(book.sheets)[choice.chosen]
    scan_body(book.data, book.sheets[name], name, (), limits)  # the extent, before reading
    rows = read_sheet(book.data, name)
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    data = pd.DataFrame(
        {i: pd.Series([r[i] for r in body], dtype=object) for i in range(len(header))}
    )
    headers = tuple("" if h is None else label_text(str(h)) for h in header)
    return [RawTable(labels[choice.chosen], headers, data)]
