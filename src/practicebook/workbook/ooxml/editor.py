"""Part-level editing of `.xlsx`/`.xlsm` packages without a spreadsheet library.

Loading a workbook into openpyxl and saving it again rewrites every part and silently drops what
openpyxl does not model (shapes, x14 extensions, VML, cached formula values, ...). This module
instead treats the workbook as a zip of XML parts and touches only what a write needs:

* every zip member that is not changed is copied as its raw compressed bytes, so it stays
  byte-identical, in its original order;
* the worksheet parts practicebook owns are generated wholesale (`write_sheets`) or extended at
  the end of `<sheetData>` by byte search (`append_rows`), never parsed into a tree;
* `xl/workbook.xml`, relationship parts, `[Content_Types].xml` and `xl/styles.xml` are edited by
  minimal textual insertion. Re-serialising them with ElementTree would rename namespace
  prefixes and break `mc:Ignorable`, which Excel reports as a corrupt file.

Text is always written as an inline string (`t="inlineStr"`), so `sharedStrings.xml` is never
touched and no cell this module writes can become a formula. Text that a spreadsheet would treat
as a formula when re-edited (first character ``= + - @``, tab, CR or LF) additionally gets a cell
format with ``quotePrefix="1"``.

Text rule: characters that XML 1.0 forbids (C0 controls other than tab, LF and CR, lone
surrogates, U+FFFE and U+FFFF) are removed, because no XML reader would accept them. Literal
``_xHHHH_`` sequences are escaped as ``_x005F_xHHHH_`` as ECMA-376 requires, so Excel shows them
unchanged. Text longer than Excel's 32,767 characters is rejected.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape as _xml_escape

import defusedxml.ElementTree as SafeET

from practicebook.issues import column_letter, column_number
from practicebook.render.cells import (
    MAX_COLS,
    MAX_ROWS,
    MAX_TEXT,
    CellValue,
    SheetSpec,
    clean_text,
    needs_quote_prefix,
)

__all__ = [
    "CellValue",
    "PackageError",
    "SheetSpec",
    "append_rows",
    "changed_members",
    "clean_text",
    "needs_quote_prefix",
    "read_sheet",
    "set_cells",
    "sheet_names",
    "write_sheets",
]


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_TABLE = NS_REL + "/table"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"

DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_NEW_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)
# Rewritten parts above this size are deflated at level 1: an append to a 40 MB sheet must
# recompress the whole part, and level 6 costs ~4x the time for ~15% smaller output.
_FAST_DEFLATE_FROM = 1 << 20


class PackageError(ValueError):
    """The package is not an OOXML workbook this module can edit safely."""


# --------------------------------------------------------------------------- text and values

_ECMA_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ECMA_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text_xml(text: str) -> str:
    """Escape cleaned text for a `<t>` element, including ECMA-376's ``_xHHHH_`` escape.

    CR is written as a character reference: a literal CR would be normalised to LF by every
    XML parser, changing the value.
    """
    return _xml_escape(_ECMA_ESCAPE.sub(r"_x005F_\1", text), {"\r": "&#13;"})


def _attr(text: str) -> str:
    """Escape text for an attribute value; whitespace controls survive attribute normalisation."""
    return _xml_escape(
        clean_text(text), {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
    )


def _serial(value: dt.date, epoch: dt.datetime) -> str:
    """Excel serial number of a date (exact) or naive datetime (float, to about 1 µs)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("timezone-aware datetimes cannot be stored in Excel")
        moment = value
    else:
        moment = dt.datetime(value.year, value.month, value.day)
    if moment < dt.datetime(1900, 3, 1) and epoch == _EPOCH_1900:
        raise ValueError("dates before 1900-03-01 are not representable in Excel")
    delta = moment - epoch
    if delta.seconds == 0 and delta.microseconds == 0:
        return str(delta.days)
    return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)


def _col_letter(index: int) -> str:
    """Column letters for a 0-based column index (0 -> A, 26 -> AA)."""
    return column_letter(index + 1)


def _col_index(letters: str) -> int:
    """The 0-based column index of Excel column letters."""
    return column_number(letters) - 1


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class _CellWriter:
    """Turns Python values into `<c>` elements, choosing cell formats through `_Styles`."""

    def __init__(self, styles: _Styles, epoch: dt.datetime) -> None:
        self.styles = styles
        self.epoch = epoch

    def cell(self, ref: str, value: CellValue, style: int) -> str:
        """Return the XML of one cell, or "" for an empty one.

        Args:
            ref: A1-style reference.
            value: The value; None, "" and text of only illegal characters leave the cell empty.
            style: The column's cell format index. A date in a column without a number format
                gets a copy of that format showing an ISO date, so it does not read as a number.
        """
        if value is None:
            return ""
        if isinstance(value, str):
            text = clean_text(value)
            if not text:
                return ""
            if len(text) > MAX_TEXT:
                raise ValueError(f"text in {ref} is longer than Excel's 32767 characters")
            if needs_quote_prefix(text):
                style = self.styles.quoted(style)
            return (
                f'<c r="{ref}"{_s(style)} t="inlineStr"><is><t xml:space="preserve">'
                f"{_text_xml(text)}</t></is></c>"
            )
        if isinstance(value, bool):
            return f'<c r="{ref}"{_s(style)} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.date):
            is_datetime = isinstance(value, dt.datetime)
            style = self.styles.with_format(
                style, DEFAULT_DATETIME_FORMAT if is_datetime else DEFAULT_DATE_FORMAT
            )
            return f'<c r="{ref}"{_s(style)}><v>{_serial(value, self.epoch)}</v></c>'
        return f'<c r="{ref}"{_s(style)}><v>{_number(value, ref)}</v></c>'


def _s(style: int) -> str:
    return f' s="{style}"' if style else ""


def _number(value: int | float | Decimal, ref: str) -> str:
    if isinstance(value, numbers.Integral):  # also numpy integers from pandas frames
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{ref}: NaN or infinite numbers cannot be stored")
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{ref}: NaN or infinite numbers cannot be stored")
        return repr(value)
    raise TypeError(f"{ref}: unsupported cell value type {type(value).__name__}")


# --------------------------------------------------------------------------- zip package


@dataclass
class _Entry:
    info: zipfile.ZipInfo
    raw: memoryview | None  # original compressed bytes, None once replaced
    data: bytes | None = None  # new uncompressed content


class _Package:
    """An OOXML zip held in memory whose unchanged members are written back as raw bytes."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"PK\x03\x04"):
            raise PackageError("not an xlsx/xlsm package (no zip signature)")
        self._buffer = memoryview(data)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise PackageError("the workbook is not a readable zip file") from exc
        self._entries: dict[str, _Entry] = {}
        for info in self._zip.infolist():
            self._check_member(info)
            if info.filename in self._entries:
                raise PackageError("the zip has two members with the same name")
            self._entries[info.filename] = _Entry(info, self._raw_bytes(info))
        if "[Content_Types].xml" not in self._entries:
            raise PackageError("the package has no [Content_Types].xml")

    @staticmethod
    def _check_member(info: zipfile.ZipInfo) -> None:
        if info.flag_bits & 0x1:
            raise PackageError("the zip has encrypted members")
        if max(info.file_size, info.compress_size, info.header_offset) >= 0xFFFFFFFF:
            raise PackageError("zip64 packages (over 4 GB) are not supported")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageError("the zip uses an unsupported compression method")

    def _raw_bytes(self, info: zipfile.ZipInfo) -> memoryview:
        start = info.header_offset
        if self._buffer[start : start + 4] != b"PK\x03\x04":
            raise PackageError("the zip has a damaged local header")
        name_len, extra_len = struct.unpack_from("<HH", self._buffer, start + 26)
        data_start = start + 30 + name_len + extra_len
        return self._buffer[data_start : data_start + info.compress_size]

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def read(self, name: str) -> bytes:
        entry = self._entries.get(name)
        if entry is None:
            raise PackageError(f"the package has no part {name}")
        if entry.data is None:
            entry.data = self._zip.read(entry.info)
        return entry.data

    def write(self, name: str, data: bytes) -> None:
        """Replace a member (keeping its place in the zip) or add one at the end."""
        entry = self._entries.get(name)
        if entry is None:
            info = zipfile.ZipInfo(name, _NEW_MEMBER_TIME)
            info.external_attr = 0o600 << 16
            self._entries[name] = _Entry(info, None, data)
        else:
            entry.raw, entry.data = None, data

    def delete(self, name: str) -> None:
        self._entries.pop(name, None)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        central = []
        for name, entry in self._entries.items():
            offset = out.tell()
            header, body = self._serialise(name, entry)
            out.write(header)
            out.write(body)
            central.append(_central_record(header, entry.info, offset))
        directory_start = out.tell()
        for record in central:
            out.write(record)
        size = out.tell() - directory_start
        if len(central) > 0xFFFF or directory_start > 0xFFFFFFFF:
            raise PackageError("the result would need zip64, which is not supported")
        out.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, directory_start, 0
            )
        )
        return out.getvalue()

    @staticmethod
    def _serialise(name: str, entry: _Entry) -> tuple[bytes, bytes | memoryview]:
        """Local header and body of a member: the original bytes, or freshly deflated data."""
        info = entry.info
        encoded = name.encode("utf-8")
        flags = (info.flag_bits & 0x0806) | (0x800 if not name.isascii() else 0)
        if entry.raw is not None:
            method, crc, body, size = info.compress_type, info.CRC, entry.raw, info.file_size
        else:
            assert entry.data is not None
            level = 6 if len(entry.data) < _FAST_DEFLATE_FROM else 1
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
            method, crc, size = zipfile.ZIP_DEFLATED, zlib.crc32(entry.data), len(entry.data)
            body = compressor.compress(entry.data) + compressor.flush()
            flags &= 0x0800
        dos_time, dos_date = _dos_datetime(info.date_time)
        header = (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                flags,
                method,
                dos_time,
                dos_date,
                crc,
                len(body),
                size,
                len(encoded),
                0,
            )
            + encoded
        )
        return header, body


def _dos_datetime(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _central_record(local_header: bytes, info: zipfile.ZipInfo, offset: int) -> bytes:
    """Central-directory record matching a local header written by `_Package._serialise`."""
    (_, version, flags, method, dos_time, dos_date, crc, csize, usize, name_len, _) = (
        struct.unpack_from("<IHHHHHIIIHH", local_header)
    )
    name = local_header[30 : 30 + name_len]
    made_by = (info.create_system << 8) | 20
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            made_by,
            version,
            flags,
            method,
            dos_time,
            dos_date,
            crc,
            csize,
            usize,
            name_len,
            0,
            0,
            0,
            0,
            info.external_attr,
            offset,
        )
        + name
    )


def changed_members(before: bytes, after: bytes) -> set[str]:
    """Names of members added, removed, or whose uncompressed content differs.

    Used by the safe-write protocol to prove that a transform touched only what it reports.
    """
    with zipfile.ZipFile(io.BytesIO(before)) as old, zipfile.ZipFile(io.BytesIO(after)) as new:
        old_info = {i.filename: i for i in old.infolist()}
        new_info = {i.filename: i for i in new.infolist()}
        changed = set(old_info) ^ set(new_info)
        for name in set(old_info) & set(new_info):
            a, b = old_info[name], new_info[name]
            if (a.CRC, a.file_size) != (b.CRC, b.file_size) or old.read(a) != new.read(b):
                changed.add(name)
    return changed


# --------------------------------------------------------------------------- relationships


def _rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str  # resolved part name, or the raw target for external relationships
    external: bool


def _read_rels(pkg: _Package, part: str) -> list[_Rel]:
    path = _rels_path(part)
    if path not in pkg:
        return []
    root = SafeET.fromstring(pkg.read(path))
    rels = []
    for el in root.iter(f"{{{NS_PKG_REL}}}Relationship"):
        external = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        rels.append(
            _Rel(
                el.get("Id", ""),
                el.get("Type", ""),
                target if external else _resolve(part, target),
                external,
            )
        )
    return rels


def _insert_before_close(xml: str, tag: str, fragment: str) -> str:
    """Insert `fragment` before the closing tag of the (single) element `tag`, any prefix."""
    match = re.search(rf"</(?:\w+:)?{tag}\s*>", xml)
    if match is None:
        empty = re.search(rf"<((?:\w+:)?{tag})\b([^>]*?)/>", xml)
        if empty is None:
            raise PackageError(f"cannot find <{tag}> to extend")
        opened = f"<{empty.group(1)}{empty.group(2)}>{fragment}</{empty.group(1)}>"
        return xml[: empty.start()] + opened + xml[empty.end() :]
    return xml[: match.start()] + fragment + xml[match.start() :]


def _remove_element(xml: str, tag: str, attr: str, value: str) -> str:
    """Remove every empty element `<tag ... attr="value" .../>` (attribute order free)."""
    pattern = rf'<(?:\w+:)?{tag}\b[^>]*\b{attr}="{re.escape(_attr(value))}"[^>]*/>'
    return re.sub(pattern, "", xml)


# --------------------------------------------------------------------------- workbook structure


@dataclass(frozen=True)
class _Sheet:
    name: str
    sheet_id: int
    rel_id: str
    part: str


class _Workbook:
    """The workbook part, its relationships and the content types, edited in place."""

    def __init__(self, pkg: _Package) -> None:
        self.pkg = pkg
        office = [r for r in _read_rels(pkg, "") if r.type == REL_OFFICE_DOCUMENT]
        if not office:
            raise PackageError("the package has no workbook part")
        self.part = office[0].target
        self.xml = pkg.read(self.part).decode("utf-8")
        self.rels_xml = pkg.read(_rels_path(self.part)).decode("utf-8")
        self.types_xml = pkg.read("[Content_Types].xml").decode("utf-8")
        self.rels = _read_rels(pkg, self.part)
        self.sheets = self._read_sheets()
        self.epoch = _EPOCH_1904 if re.search(r'date1904="(1|true)"', self.xml) else _EPOCH_1900

    def _read_sheets(self) -> list[_Sheet]:
        root = SafeET.fromstring(self.xml.encode("utf-8"))
        if root.tag != f"{{{NS_MAIN}}}workbook":
            raise PackageError("unsupported workbook flavour (strict OOXML or not a workbook)")
        targets = {r.id: r.target for r in self.rels}
        sheets = []
        for el in root.iter(f"{{{NS_MAIN}}}sheet"):
            rel_id = el.get(f"{{{NS_REL}}}id", "")
            sheets.append(
                _Sheet(
                    el.get("name", ""), int(el.get("sheetId", "0")), rel_id, targets.get(rel_id, "")
                )
            )
        return sheets

    def find(self, name: str) -> _Sheet | None:
        wanted = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == wanted), None)

    def styles_part(self) -> str:
        for rel in self.rels:
            if rel.type == NS_REL + "/styles":
                return rel.target
        raise PackageError("the workbook has no styles part")

    def add_sheet(self, name: str) -> _Sheet:
        """Register a new worksheet part after the existing sheets."""
        used = {p for p in self.pkg.names() if p.startswith("xl/worksheets/")}
        number = 1 + len(self.sheets)
        while f"xl/worksheets/sheet{number}.xml" in used:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        rel_id = self.add_rel(REL_WORKSHEET, part)
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        sheets_close = re.search(r"</(\w+:)?sheets\s*>", self.xml)
        prefix = (sheets_close.group(1) or "") if sheets_close else ""
        rel_prefix = re.search(rf'xmlns:(\w+)="{re.escape(NS_REL)}"', self.xml)
        rid_attr = f"{rel_prefix.group(1)}:id" if rel_prefix else f'xmlns:r="{NS_REL}" r:id'
        element = (
            f'<{prefix}sheet name="{_attr(name)}" sheetId="{sheet_id}" {rid_attr}="{rel_id}"/>'
        )
        self.xml = _insert_before_close(self.xml, "sheets", element)
        self.add_override(part, CT_WORKSHEET)
        sheet = _Sheet(name, sheet_id, rel_id, part)
        self.sheets.append(sheet)
        return sheet

    def add_rel(self, rel_type: str, part: str) -> str:
        taken = {r.id for r in self.rels}
        number = len(taken) + 1
        while f"rId{number}" in taken:
            number += 1
        rel_id = f"rId{number}"
        target = posixpath.relpath(part, posixpath.dirname(self.part))
        self.rels_xml = _insert_before_close(
            self.rels_xml,
            "Relationships",
            f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{_attr(target)}"/>',
        )
        self.rels.append(_Rel(rel_id, rel_type, part, False))
        return rel_id

    def drop_rel_to(self, part: str) -> None:
        for rel in [r for r in self.rels if r.target == part and not r.external]:
            self.rels_xml = _remove_element(self.rels_xml, "Relationship", "Id", rel.id)
            self.rels.remove(rel)

    def add_override(self, part: str, content_type: str) -> None:
        self.types_xml = _insert_before_close(
            self.types_xml,
            "Types",
            f'<Override PartName="/{_attr(part)}" ContentType="{content_type}"/>',
        )

    def drop_override(self, part: str) -> None:
        self.types_xml = _remove_element(self.types_xml, "Override", "PartName", "/" + part)

    def save(self) -> None:
        """Write back the three shared parts, only those whose text changed."""
        for name, text in (
            (self.part, self.xml),
            (_rels_path(self.part), self.rels_xml),
            ("[Content_Types].xml", self.types_xml),
        ):
            if text.encode("utf-8") != self.pkg.read(name):
                self.pkg.write(name, text.encode("utf-8"))


# --------------------------------------------------------------------------- styles


_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "@": 49,
}
_ATTRS = re.compile(r'([\w:]+)="([^"]*)"')
_XF_KEY_ATTRS = ("numFmtId", "fontId", "fillId", "borderId", "xfId", "quotePrefix")


def _section(xml: str, tag: str) -> re.Match[str] | None:
    return re.search(rf"<(?:\w+:)?{tag}\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?{tag}>)", xml, re.DOTALL)


def _section_body(xml: str, tag: str) -> str | None:
    match = _section(xml, tag)
    return match.group(1) if match else None


def _children(body: str | None, tag: str) -> list[str]:
    if not body:
        return []
    return re.findall(rf"<{tag}\b[^>]*?(?:/>|>.*?</{tag}>)", body, re.DOTALL)


class _Styles:
    """Appends number formats, fonts and cell formats to `styles.xml`, reusing equal ones.

    Existing indices never change, so every existing cell keeps its look.
    """

    def __init__(self, xml: str) -> None:
        self.xml = xml
        self.num_fmts = {
            _xml_unescape(a["formatCode"]): int(a["numFmtId"])
            for a in map(_attrs, _children(_section_body(xml, "numFmts"), "numFmt"))
        }
        self.fonts = _children(_section_body(xml, "fonts"), "font")
        self.xfs = _children(_section_body(xml, "cellXfs"), "xf")
        if not self.xfs or not self.fonts:
            raise PackageError("styles.xml has no cell formats or fonts")
        self.new_fmts: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []
        self._memo: dict[tuple[object, ...], int] = {}

    def format_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        if code not in self.num_fmts:
            self.num_fmts[code] = max([163, *self.num_fmts.values()]) + 1
            self.new_fmts.append(
                f'<numFmt numFmtId="{self.num_fmts[code]}" formatCode="{_attr(code)}"/>'
            )
        return self.num_fmts[code]

    def bold_font(self) -> int:
        base = self.fonts[0]
        if "<b/>" in base or '<b val="1"/>' in base:
            return 0
        bold = re.sub(r"^<font\b([^>]*?)/>$", r"<font\1></font>", base)
        bold = re.sub(r"^(<font\b[^>]*>)", r"\1<b/>", bold)
        if bold not in self.fonts:
            self.fonts.append(bold)
            self.new_fonts.append(bold)
        return self.fonts.index(bold)

    def xf(self, num_fmt: int = 0, font: int = 0) -> int:
        """Index of a plain cell format with this number format and font, appended if new."""
        key = {
            "numFmtId": str(num_fmt),
            "fontId": str(font),
            "fillId": "0",
            "borderId": "0",
            "xfId": "0",
            "quotePrefix": None,
        }
        for index, xf in enumerate(self.xfs):
            if "</xf>" not in xf and _xf_key(xf) == tuple(key[a] for a in _XF_KEY_ATTRS):
                return index
        text = (
            f'<xf numFmtId="{num_fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if num_fmt else "")
            + (' applyFont="1"' if font else "")
            + "/>"
        )
        return self._append_xf(text)

    def for_column(self, code: str | None, bold: bool = False) -> int:
        return self.xf(self.format_id(code) if code else 0, self.bold_font() if bold else 0)

    def with_format(self, style: int, code: str) -> int:
        """A copy of cell format `style` showing `code` (used for dates in General columns)."""
        memo = ("fmt", style, code)
        if memo not in self._memo:
            attrs = _attrs(self.xfs[style])
            if attrs.get("numFmtId", "0") != "0":
                self._memo[memo] = style
            else:
                self._memo[memo] = self.xf(self.format_id(code), int(attrs.get("fontId", "0")))
        return self._memo[memo]

    def quoted(self, style: int) -> int:
        """A copy of cell format `style` with ``quotePrefix="1"``, appended once."""
        memo = ("quote", style)
        if memo not in self._memo:
            source = self.xfs[style if style < len(self.xfs) else 0]
            if _attrs(source).get("quotePrefix") in ("1", "true"):
                self._memo[memo] = style
            else:
                clone = re.sub(r'\s+quotePrefix="[^"]*"', "", source)
                clone = re.sub(r"^<xf\b", '<xf quotePrefix="1"', clone)
                self._memo[memo] = (
                    self.xfs.index(clone) if clone in self.xfs else self._append_xf(clone)
                )
        return self._memo[memo]

    def _append_xf(self, text: str) -> int:
        self.xfs.append(text)
        self.new_xfs.append(text)
        return len(self.xfs) - 1

    def render(self) -> str | None:
        """The patched styles.xml, or None when nothing was added."""
        xml = self.xml
        if self.new_fmts:
            if _section(xml, "numFmts"):
                xml = _append_counted(xml, "numFmts", self.new_fmts)
            else:
                block = f'<numFmts count="{len(self.new_fmts)}">{"".join(self.new_fmts)}</numFmts>'
                root = re.search(r"<(?:\w+:)?styleSheet\b[^>]*>", xml)
                if root is None:
                    raise PackageError("styles.xml has no styleSheet element")
                xml = xml[: root.end()] + block + xml[root.end() :]
        if self.new_fonts:
            xml = _append_counted(xml, "fonts", self.new_fonts)
        if self.new_xfs:
            xml = _append_counted(xml, "cellXfs", self.new_xfs)
        return None if xml == self.xml else xml


def _xml_unescape(text: str) -> str:
    """Undo the five XML entity escapes (attribute values read by regex)."""
    return (
        text.replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def _attrs(element: str) -> dict[str, str]:
    head = element.split(">", 1)[0]
    return dict(_ATTRS.findall(head))


def _xf_key(xf: str) -> tuple[str | None, ...]:
    attrs = _attrs(xf)
    key = [attrs.get(a, "0") for a in _XF_KEY_ATTRS[:-1]]
    quote = attrs.get("quotePrefix")
    return (*key, "1" if quote in ("1", "true") else None)


def _append_counted(xml: str, tag: str, items: list[str]) -> str:
    """Append items inside `tag` and raise its `count` attribute accordingly."""
    xml = _insert_before_close(xml, tag, "".join(items))
    opening = re.search(rf"<(?:\w+:)?{tag}\b[^>]*>", xml)
    assert opening is not None
    head = opening.group(0)
    count = re.search(r'count="(\d+)"', head)
    if count:
        new_head = head.replace(count.group(0), f'count="{int(count.group(1)) + len(items)}"')
        xml = xml[: opening.start()] + new_head + xml[opening.end() :]
    return xml


# --------------------------------------------------------------------------- write_sheets


def _load_styles(pkg: _Package, book: _Workbook) -> tuple[str, _Styles]:
    """The style part's name and its editable contents."""
    part = book.styles_part()
    return part, _Styles(pkg.read(part).decode("utf-8"))


def _save_styles(pkg: _Package, part: str, styles: _Styles) -> None:
    """Write the style part back only if formats were added to it."""
    rendered = styles.render()
    if rendered is not None:
        pkg.write(part, rendered.encode("utf-8"))


def _existing_sheet(pkg: _Package, book: _Workbook, sheet_name: str) -> _Sheet:
    sheet = book.find(sheet_name)
    if sheet is None or sheet.part not in pkg:
        raise PackageError(f"the workbook has no sheet {sheet_name!r}")
    return sheet


def write_sheets(package: bytes, sheets: Sequence[SheetSpec]) -> bytes:
    """Write each sheet wholesale into the package, replacing or creating it.

    An existing sheet keeps its position, part name and relationship id; its worksheet part is
    rewritten and the parts only it referenced (its tables, drawings, comments) are removed.
    A missing sheet is added after the last one. Every other member stays byte-identical, apart
    from `styles.xml` (new formats are appended), the workbook part, its relationships and the
    content types (new entries inserted), and `calcChain.xml`, which is dropped when it names a
    replaced sheet so that Excel rebuilds it.

    Args:
        package: Bytes of an `.xlsx` or `.xlsm` file.
        sheets: The sheets to write; names must be distinct (case-insensitively).

    Returns:
        Bytes of the new package.

    Raises:
        PackageError: The package is not a workbook this module can edit.
        ValueError: A value cannot be stored in Excel (see `SheetSpec` and the module rules).
    """
    if len({s.name.casefold() for s in sheets}) != len(sheets):
        raise ValueError("sheet names must be distinct")
    pkg = _Package(package)
    book = _Workbook(pkg)
    styles_part, styles = _load_styles(pkg, book)
    writer = _CellWriter(styles, book.epoch)
    for spec in sheets:
        existing = book.find(spec.name)
        if existing is not None:
            _clear_sheet(pkg, book, existing)
            sheet = existing
        else:
            sheet = book.add_sheet(spec.name)
        table_rel = _add_table(pkg, book, sheet, spec) if spec.filter == "table" else None
        pkg.write(sheet.part, _sheet_xml(spec, writer, table_rel).encode("utf-8"))
    _save_styles(pkg, styles_part, styles)
    book.save()
    return pkg.to_bytes()


def _clear_sheet(pkg: _Package, book: _Workbook, sheet: _Sheet) -> None:
    """Remove the parts an old version of `sheet` owned, so its rewrite leaves no orphans."""
    if sheet.part not in pkg:
        raise PackageError(f"the part of sheet {sheet.name!r} is missing")
    if not any(r.id == sheet.rel_id and r.type == REL_WORKSHEET for r in book.rels):
        raise PackageError(f"sheet {sheet.name!r} is not a worksheet (a chart sheet?)")
    owned = [r.target for r in _read_rels(pkg, sheet.part) if not r.external]
    pkg.delete(_rels_path(sheet.part))
    for part in owned:
        _delete_unreferenced(pkg, book, part)
    _drop_stale_calc_chain(pkg, book, sheet)


def _delete_unreferenced(pkg: _Package, book: _Workbook, part: str) -> None:
    """Delete `part` and, recursively, its targets, unless another relationship still uses it."""
    if part not in pkg or _referenced(pkg, part):
        return
    children = [r.target for r in _read_rels(pkg, part) if not r.external]
    pkg.delete(part)
    pkg.delete(_rels_path(part))
    book.drop_override(part)
    for child in children:
        _delete_unreferenced(pkg, book, child)


def _referenced(pkg: _Package, part: str) -> bool:
    for name in pkg.names():
        if name.endswith(".rels"):
            source = _source_of_rels(name)
            if any(r.target == part and not r.external for r in _read_rels(pkg, source)):
                return True
    return False


def _source_of_rels(rels_name: str) -> str:
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def _drop_stale_calc_chain(pkg: _Package, book: _Workbook, sheet: _Sheet) -> None:
    chain = next((r.target for r in book.rels if r.type.endswith("/calcChain")), None)
    if chain and chain in pkg and re.search(rf'\bi="{sheet.sheet_id}"', pkg.read(chain).decode()):
        pkg.delete(chain)
        book.drop_rel_to(chain)
        book.drop_override(chain)


def _add_table(pkg: _Package, book: _Workbook, sheet: _Sheet, spec: SheetSpec) -> str:
    """Create the Excel Table part for `spec`; return its relationship id from the sheet."""
    tables = [p for p in pkg.names() if p.startswith("xl/tables/") and p.endswith(".xml")]
    ids, names = [], set()
    for part in tables:
        head = _attrs(re.search(r"<(?:\w+:)?table\b[^>]*>", pkg.read(part).decode()).group(0))
        ids.append(int(head.get("id", "0")))
        names.add(_xml_unescape(head.get("name", "")).casefold())
    number = len(tables) + 1
    while f"xl/tables/table{number}.xml" in pkg:
        number += 1
    part = f"xl/tables/table{number}.xml"
    base = "PB_" + re.sub(r"\W", "_", sheet.name, flags=re.ASCII)
    name, suffix = base, 1
    while name.casefold() in names:
        suffix += 1
        name = f"{base}_{suffix}"
    last_row = max(2, len(spec.rows) + 1)  # an Excel Table needs at least one data row
    ref = f"A1:{_col_letter(len(spec.header) - 1)}{last_row}"
    columns = "".join(
        f'<tableColumn id="{i + 1}" name="{_attr(str(h))}"/>' for i, h in enumerate(spec.header)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<table xmlns="{NS_MAIN}" id="{max(ids, default=0) + 1}" name="{name}" '
        f'displayName="{name}" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(spec.header)}">{columns}</tableColumns>'
        f'<tableStyleInfo name="{_attr(spec.table_style)}" showFirstColumn="0" '
        f'showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'
    )
    pkg.write(part, xml.encode("utf-8"))
    book.add_override(part, CT_TABLE)
    target = posixpath.relpath(part, posixpath.dirname(sheet.part))
    rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{REL_TABLE}" '
        f'Target="{target}"/></Relationships>'
    )
    pkg.write(_rels_path(sheet.part), rels.encode("utf-8"))
    return "rId1"


def _sheet_xml(spec: SheetSpec, writer: _CellWriter, table_rel: str | None) -> str:
    ncols = len(spec.header)
    last_col = _col_letter(ncols - 1)
    last_row = len(spec.rows) + 1
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
    ]
    if spec.tab_color:
        parts.append(f'<sheetPr><tabColor rgb="FF{spec.tab_color.upper()}"/></sheetPr>')
    parts.append(f'<dimension ref="A1:{last_col}{last_row}"/>')
    parts.append(_sheet_views(spec.freeze_header))
    parts.append('<sheetFormatPr defaultRowHeight="15"/>')
    widths = [(i, w) for i, w in enumerate(spec.widths[:ncols]) if w is not None]
    if widths:
        parts.append(
            "<cols>"
            + "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{float(w)!r}" customWidth="1"/>'
                for i, w in widths
            )
            + "</cols>"
        )
    parts.append("<sheetData>")
    parts.extend(_data_rows(spec, writer))
    parts.append("</sheetData>")
    if spec.filter == "autofilter":
        parts.append(f'<autoFilter ref="A1:{last_col}{last_row}"/>')
    if spec.links:
        parts.append(_hyperlinks(spec))
    parts.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    if table_rel:
        parts.append(f'<tableParts count="1"><tablePart r:id="{table_rel}"/></tableParts>')
    parts.append("</worksheet>")
    return "".join(parts)


def _sheet_views(freeze: bool) -> str:
    if not freeze:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    return (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )


def _data_rows(spec: SheetSpec, writer: _CellWriter) -> Iterator[str]:
    letters = [_col_letter(i) for i in range(len(spec.header))]
    formats = [
        spec.number_formats[i] if i < len(spec.number_formats) else None
        for i in range(len(spec.header))
    ]
    header_style = writer.styles.for_column(None, bold=spec.bold_header)
    cells = (writer.cell(f"{letters[i]}1", str(h), header_style) for i, h in enumerate(spec.header))
    yield f'<row r="1">{"".join(cells)}</row>'
    styles = [writer.styles.for_column(f) for f in formats]
    for r, row in enumerate(spec.rows, start=2):
        cells = (writer.cell(f"{letters[i]}{r}", v, styles[i]) for i, v in enumerate(row))
        yield f'<row r="{r}">{"".join(cells)}</row>'


def _hyperlinks(spec: SheetSpec) -> str:
    links = []
    for (row_idx, col_idx), location in sorted(spec.links.items()):
        if not (0 <= row_idx < len(spec.rows) and 0 <= col_idx < len(spec.header)):
            raise ValueError("a hyperlink points outside the sheet's rows")
        row = spec.rows[row_idx]
        value = row[col_idx] if col_idx < len(row) else None
        display = f' display="{_attr(str(value))}"' if value not in (None, "") else ""
        links.append(
            f'<hyperlink ref="{_col_letter(col_idx)}{row_idx + 2}" '
            f'location="{_attr(location)}"{display}/>'
        )
    return "<hyperlinks>" + "".join(links) + "</hyperlinks>"


# --------------------------------------------------------------------------- append_rows


def append_rows(
    package: bytes,
    sheet_name: str,
    rows: Sequence[Sequence[CellValue]],
    *,
    header_row: int | None = None,
) -> tuple[bytes, list[int]]:
    """Append rows after the last row of a sheet, in the style of its last data row.

    The sheet XML is edited by byte search around its last `<row>` and `</sheetData>`, so a
    40 MB sheet is never parsed into a tree. Each new cell copies the `s` attribute of the
    same column in the last data row; below a bare header it uses the column's default style
    (`<col style>`). The Excel Table whose range ends at the old last row (or whose header is
    `header_row`) and the `<dimension>` are extended over the new rows.

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
        ValueError: A value cannot be stored in Excel.
    """
    if not rows:
        return package, []
    pkg = _Package(package)
    book = _Workbook(pkg)
    sheet = _existing_sheet(pkg, book, sheet_name)
    styles_part, styles = _load_styles(pkg, book)
    xml = pkg.read(sheet.part)
    last_row, last_cells = _last_row(xml)
    table = _covering_table(pkg, sheet, last_row, header_row)
    if header_row is None:
        header_row = table[1] if table else 1
    if last_row > header_row:
        column_styles, first = last_cells, last_row + 1
    else:  # a bare header: fill the row below it (an empty Table's placeholder row)
        column_styles, first = _column_styles(xml), header_row + 1
    if first + len(rows) - 1 > MAX_ROWS:
        raise ValueError("the sheet would exceed Excel's row limit")
    writer = _CellWriter(styles, book.epoch)
    new_numbers = list(range(first, first + len(rows)))
    fragment = "".join(
        _append_row(n, row, column_styles, writer) for n, row in zip(new_numbers, rows, strict=True)
    )
    xml = _insert_rows(xml, fragment.encode("utf-8"))
    xml = _extend_dimension(xml, new_numbers[-1], max(len(r) for r in rows))
    pkg.write(sheet.part, xml)
    if table:
        _extend_table(pkg, table[0], new_numbers[-1])
    _save_styles(pkg, styles_part, styles)
    return pkg.to_bytes(), new_numbers


def _append_row(
    number: int, values: Sequence[CellValue], column_styles: Mapping[int, int], writer: _CellWriter
) -> str:
    cells = (
        writer.cell(f"{_col_letter(i)}{number}", value, column_styles.get(i, 0))
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{"".join(cells)}</row>'


_SHEETDATA_CLOSE = b"</sheetData>"
_SHEETDATA_EMPTY = re.compile(rb"<sheetData\s*/>")
_ROW_R = re.compile(rb'\sr="(\d+)"')
_CELL = re.compile(rb"<c\b([^>]*?)(/?)>")


def _sheet_data_end(xml: bytes) -> int:
    """Offset of `</sheetData>`, or -1 when the element is self-closed."""
    end = xml.rfind(_SHEETDATA_CLOSE)
    if end >= 0:
        return end
    if _SHEETDATA_EMPTY.search(xml):
        return -1
    raise PackageError("the sheet has no <sheetData> in the default namespace")


def _last_row(xml: bytes) -> tuple[int, dict[int, int]]:
    """Number of the sheet's last row and the style of each of its cells by column (0-based)."""
    end = _sheet_data_end(xml)
    if end < 0:
        return 0, {}
    start = max(xml.rfind(b"<row ", 0, end), xml.rfind(b"<row>", 0, end))
    if start < 0:
        return 0, {}
    row = xml[start:end]
    number = _ROW_R.search(row[: row.index(b">")])
    if number is None:
        raise PackageError("the sheet's last row has no row number")
    styles: dict[int, int] = {}
    column = -1
    for match in _CELL.finditer(row):
        attrs = dict(_ATTRS.findall(match.group(1).decode("utf-8")))
        ref = _CELL_REF.match(attrs.get("r", ""))
        column = _col_index(ref.group(1)) if ref else column + 1
        styles[column] = int(attrs.get("s", "0"))
    return int(number.group(1)), styles


def _column_styles(xml: bytes) -> dict[int, int]:
    """Default styles from `<cols>` (`style` per column range), for rows below a bare header."""
    head = xml[: xml.find(b"<sheetData")].decode("utf-8")
    styles: dict[int, int] = {}
    for col in re.findall(r"<col\b[^>]*>", head):
        attrs = _attrs(col)
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
    end_col = _col_letter(max(_col_index(last_col), ncols - 1))
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
    pkg: _Package, sheet: _Sheet, last_row: int, header_row: int | None
) -> tuple[str, int, int] | None:
    """The sheet's Table that holds its data: (part, header row, last row), if any."""
    for rel in _read_rels(pkg, sheet.part):
        if rel.type != REL_TABLE or rel.external or rel.target not in pkg:
            continue
        text = pkg.read(rel.target).decode("utf-8")
        _, top, _, bottom = _table_ref(text)
        if header_row == top or (header_row is None and bottom >= last_row):
            if re.search(r'totalsRowCount="[1-9]', text):
                raise PackageError("appending below a Table with a totals row is not supported")
            return rel.target, top, bottom
    return None


def _extend_table(pkg: _Package, part: str, last_row: int) -> None:
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
    pkg = _Package(package)
    book = _Workbook(pkg)
    sheet = _existing_sheet(pkg, book, sheet_name)
    styles_part, styles = _load_styles(pkg, book)
    writer = _CellWriter(styles, book.epoch)
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
        _drop_stale_calc_chain(pkg, book, sheet)
    _save_styles(pkg, styles_part, styles)
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
        attrs = dict(_ATTRS.findall(match.group(1).decode("utf-8")))
        ref = _CELL_REF.match(attrs.get("r", ""))
        column = _col_index(ref.group(1)) if ref else column + 1
        end = match.end() if match.group(2) else body.index(_CELL_CLOSE, match.end()) + 4
        found.append((column, match.start(), end, attrs))
        at = end
    return found


def _set_row_cells(
    xml: bytes,
    number: int,
    values: Mapping[int, CellValue],
    writer: _CellWriter,
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
            raise PackageError(f"cell {_col_letter(col)}{number} anchors a shared or array formula")
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


def _new_cell(col: int, number: int, value: CellValue, style: int, writer: _CellWriter) -> bytes:
    ref = f"{_col_letter(col)}{number}"
    text = writer.cell(ref, value, style)
    return (text or f'<c r="{ref}"{_s(style)}/>').encode("utf-8")


def _widen_spans(head: bytes, last_col: int) -> bytes:
    match = re.search(rb'\sspans="(\d+):(\d+)"', head)
    if match is None or int(match.group(2)) >= last_col:
        return head
    return (
        head[: match.start()] + b' spans="%s:%d"' % (match.group(1), last_col) + head[match.end() :]
    )


# --------------------------------------------------------------------------- read back


def sheet_names(package: bytes) -> list[str]:
    """Names of the package's sheets in workbook order."""
    return [s.name for s in _Workbook(_Package(package)).sheets]


_BUILTIN_DATE_IDS = set(range(14, 23)) | {45, 46, 47}


def read_sheet(package: bytes, sheet_name: str) -> list[list[CellValue]]:
    """Read a sheet's values as rows (row 1 first), independently of any spreadsheet library.

    Meant for verifying a write: text comes back as `str` (inline or shared strings, with
    ``_xHHHH_`` unescaped), booleans as `bool`, numbers as `int` or exact `Decimal`, and numbers
    in a date-formatted cell as `date` (whole days) or `datetime` rounded to the millisecond
    (a serial number is a double: about 1 µs of noise; Excel shows milliseconds at most).
    Rows are padded with None to the widest row.
    """
    pkg = _Package(package)
    book = _Workbook(pkg)
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
        elif event == "end" and el.tag == tag_c:
            ref = _CELL_REF.match(el.get("r", ""))
            column = _col_index(ref.group(1)) if ref else column + 1
            value = _cell_value(el, shared, date_styles, book.epoch)
            if value is not None:
                grid.setdefault(row_number, {})[column] = value
            el.clear()
    if not grid:
        return []
    width = max(max(cols) for cols in grid.values()) + 1
    return [[grid.get(r, {}).get(c) for c in range(width)] for r in range(1, max(grid) + 1)]


def _cell_value(
    el: object, shared: list[str], date_styles: set[int], epoch: dt.datetime
) -> CellValue:
    kind = el.get("t", "n")  # type: ignore[attr-defined]
    if kind == "inlineStr":
        return _ECMA_UNESCAPE.sub(
            lambda m: chr(int(m.group(1), 16)),
            "".join(t.text or "" for t in el.iter(f"{{{NS_MAIN}}}t")),
        )  # type: ignore[attr-defined]
    raw = el.findtext(f"{{{NS_MAIN}}}v")  # type: ignore[attr-defined]
    if raw is None:
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw in ("1", "true")
    number = Decimal(raw)
    if int(el.get("s", "0")) in date_styles:  # type: ignore[attr-defined]
        if number == number.to_integral_value():
            return (epoch + dt.timedelta(days=int(number))).date()
        return epoch + dt.timedelta(milliseconds=round(number * 86_400_000))
    return int(number) if number == number.to_integral_value() and "." not in raw else number


def _date_styles(styles_xml: str) -> set[int]:
    codes = {
        a["numFmtId"]: _xml_unescape(a["formatCode"])
        for a in map(_attrs, _children(_section_body(styles_xml, "numFmts"), "numFmt"))
    }
    xfs = _children(_section_body(styles_xml, "cellXfs"), "xf")
    dates = set()
    for index, xf in enumerate(xfs):
        fmt_id = _attrs(xf).get("numFmtId", "0")
        if int(fmt_id) in _BUILTIN_DATE_IDS or _is_date_code(codes.get(fmt_id, "")):
            dates.add(index)
    return dates


def _is_date_code(code: str) -> bool:
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code.split(";")[0])
    return bool(re.search(r"[dmyhs]", bare, re.IGNORECASE))


def _shared_strings(pkg: _Package, book: _Workbook) -> list[str]:
    part = next((r.target for r in book.rels if r.type.endswith("/sharedStrings")), None)
    if part is None or part not in pkg:
        return []
    root = SafeET.fromstring(pkg.read(part))
    return [
        _ECMA_UNESCAPE.sub(
            lambda m: chr(int(m.group(1), 16)),
            "".join(t.text or "" for t in si.iter(f"{{{NS_MAIN}}}t")),
        )
        for si in root.iter(f"{{{NS_MAIN}}}si")
    ]
