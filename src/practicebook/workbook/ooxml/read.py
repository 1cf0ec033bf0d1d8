"""Reading a sheet back without a spreadsheet library, to verify what a write stored.

``read_sheet`` understands inline and shared strings, booleans, exact numbers and dates
(numbers in a cell whose format is a date format); ``sheet_names`` lists the sheets.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from practicebook.render.cells import CellValue
from practicebook.workbook.ooxml.cells import ECMA_UNESCAPE
from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.parts import Workbook
from practicebook.workbook.ooxml.xmltext import (
    CELL_REF,
    NS_MAIN,
    attributes,
    children,
    col_index,
    section_body,
    xml_unescape,
)

__all__ = ["read_sheet", "sheet_ids", "sheet_names"]


def sheet_names(package: bytes) -> list[str]:
    """Names of the package's sheets in workbook order."""
    return [s.name for s in Workbook(Package(package)).sheets]


def sheet_ids(package: bytes) -> dict[str, int]:
    """Each sheet's ``sheetId``, by name: the number a sheet keeps while it is renamed or
    moved (Excel never gives it to another sheet while the sheet exists)."""
    return {s.name: s.sheet_id for s in Workbook(Package(package)).sheets}


_BUILTIN_DATE_IDS = set(range(14, 23)) | {45, 46, 47}


def read_sheet(
    package: bytes, sheet_name: str, *, max_rows: int | None = None
) -> list[list[CellValue]]:
    """Read a sheet's values as rows (row 1 first), independently of any spreadsheet library.

    Meant for verifying a write: text comes back as `str` (inline or shared strings, with
    ``_xHHHH_`` unescaped), booleans as `bool`, numbers as `int` or exact `Decimal`, and numbers
    in a date-formatted cell as `date` (whole days) or `datetime` rounded to the millisecond
    (a serial number is a double: about 1 µs of noise; Excel shows milliseconds at most).
    Rows are padded with None to the widest row; with ``max_rows``, only the rows up to
    that number are read.
    """
    pkg = Package(package)
    book = Workbook(pkg)
    sheet = book.find(sheet_name)
    if sheet is None or sheet.part not in pkg:
        raise PackageError(f"the workbook has no sheet {sheet_name!r}")
    date_styles = _date_styles(pkg.read(book.styles_part()).decode("utf-8"))
    xml = pkg.read(sheet.part)
    shared = _shared_strings(pkg, book) if re.search(rb"\st=[\"']s[\"']", xml) else []
    grid: dict[int, dict[int, CellValue]] = {}
    tag_c, tag_row = f"{{{NS_MAIN}}}c", f"{{{NS_MAIN}}}row"
    row_number, column = 0, -1
    for event, el in SafeET.iterparse(io.BytesIO(xml), events=("start", "end")):
        if event == "start" and el.tag == tag_row:
            row_number = int(el.get("r") or row_number + 1)
            column = -1
            if max_rows is not None and row_number > max_rows:
                break
        elif event == "end" and el.tag == tag_c:
            ref = CELL_REF.match(el.get("r", ""))
            column = col_index(ref.group(1)) if ref else column + 1
            value = _cell_value(el, shared, date_styles, book.epoch)
            if value is not None:
                grid.setdefault(row_number, {})[column] = value
            el.clear()
    if not grid:
        return []
    width = max(max(cols) for cols in grid.values()) + 1
    return [[grid.get(r, {}).get(c) for c in range(width)] for r in range(1, max(grid) + 1)]


def _cell_value(
    el: Element, shared: list[str], date_styles: set[int], epoch: dt.datetime
) -> CellValue:
    kind = el.get("t", "n")
    if kind == "inlineStr":
        return ECMA_UNESCAPE.sub(
            lambda m: chr(int(m.group(1), 16)),
            "".join(t.text or "" for t in el.iter(f"{{{NS_MAIN}}}t")),
        )
    raw = el.findtext(f"{{{NS_MAIN}}}v")
    if raw is None:
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw in ("1", "true")
    number = Decimal(raw)
    if int(el.get("s", "0")) in date_styles:
        if number == number.to_integral_value():
            return (epoch + dt.timedelta(days=int(number))).date()
        return epoch + dt.timedelta(milliseconds=round(number * 86_400_000))
    return int(number) if number == number.to_integral_value() and "." not in raw else number


def _date_styles(styles_xml: str) -> set[int]:
    codes = {
        a["numFmtId"]: xml_unescape(a["formatCode"])
        for a in map(attributes, children(section_body(styles_xml, "numFmts"), "numFmt"))
    }
    xfs = children(section_body(styles_xml, "cellXfs"), "xf")
    dates = set()
    for index, xf in enumerate(xfs):
        fmt_id = attributes(xf).get("numFmtId", "0")
        if int(fmt_id) in _BUILTIN_DATE_IDS or _is_date_code(codes.get(fmt_id, "")):
            dates.add(index)
    return dates


def _is_date_code(code: str) -> bool:
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code.split(";")[0])
    return bool(re.search(r"[dmyhs]", bare, re.IGNORECASE))


def _shared_strings(pkg: Package, book: Workbook) -> list[str]:
    part = next((r.target for r in book.rels if r.type.endswith("/sharedStrings")), None)
    if part is None or part not in pkg:
        return []
    root = SafeET.fromstring(pkg.read(part))
    return [
        ECMA_UNESCAPE.sub(
            lambda m: chr(int(m.group(1), 16)),
            "".join(t.text or "" for t in si.iter(f"{{{NS_MAIN}}}t")),
        )
        for si in root.iter(f"{{{NS_MAIN}}}si")
    ]
