"""The pre-flight guard: is this file a sound OOXML workbook, and which sheets does it hold?

Every workbook file is read through ``read_workbook_bytes``: only a regular file is
opened (never a folder, a device such as ``/dev/zero``, a pipe or a socket), and no more
than ``Limits.max_bytes`` are read. Before any parser sees the bytes, ``preflight``
refuses, with a one-line ``UnreadableWorkbook``, what is not a sound workbook package:
not a zip, a legacy ``.xls``, a password-protected file without its password (or whose
protection asks for an absurd amount of work), a truncated file, a zip bomb, duplicate
part names, a part that is not UTF-8 XML or declares a DTD, a strict-OOXML workbook,
two sheets with the same name. A protected workbook is decrypted here when its password
is given. What passes is a ``WorkbookFile``: the bytes, the sheet parts, the schema
version and the custom document properties.

The sheets' cell extents are bounded by ``workbook.scan`` just before each sheet is read.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING
from xml.parsers import expat

import defusedxml.ElementTree as SafeET

from practicebook.errors import UnreadableWorkbook, WrongPassword
from practicebook.parse.headers import label_text
from practicebook.schema import SCHEMA_PROPERTY
from practicebook.workbook.crypto import (
    decrypt_workbook,
    is_encrypted,
    ole2_contents,
    protection,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "NS_MAIN",
    "NS_PKG_REL",
    "Limits",
    "WorkbookFile",
    "normalize_part",
    "preflight",
    "read_workbook_bytes",
]


OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ZIP_MAGIC = b"PK\x03\x04"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_CUSTOM_REL = "/custom-properties"


@dataclass(frozen=True)
class Limits:
    """Limits of the pre-flight guard; a practice workbook is far below them."""

    max_bytes: int = 512 * 2**20  # the file itself
    max_uncompressed: int = 2 * 2**30  # sum of declared member sizes
    max_ratio: float = 100.0  # compression ratio of any member over 1 MiB
    max_members: int = 5000
    max_prolog: int = 2**20  # bytes of an XML part before its first element
    max_cells: int = 40_000_000  # rows x columns a sheet read may span (a cell grid)


@dataclass(frozen=True)
class WorkbookFile:
    """A workbook package that passed the guard.

    Attributes:
        path: the file, as named in messages.
        data: the package's bytes (decrypted when it was protected).
        sheets: sheet name -> worksheet part name, in workbook order (names as stored;
            print them through ``parse.headers.label_text``).
        schema_version: the schema version the workbook declares, if any.
        shared_strings: the shared-string part, if any.
        members: every part name in the package.
        properties: the custom document properties (name -> value as text).
    """

    path: str
    data: bytes
    sheets: Mapping[str, str]
    schema_version: int | None = None
    shared_strings: str | None = None
    members: frozenset[str] = field(default_factory=frozenset)
    properties: Mapping[str, str] = field(default_factory=dict)


# --- the file ---------------------------------------------------------------------

_OS_REASONS = {
    "ENOENT": "no such file",
    "ENOTDIR": "a part of the path is not a folder",
    "EISDIR": "this is a folder, not a workbook",
    "ELOOP": "the path loops through symbolic links",
    "ENAMETOOLONG": "the file name is too long",
    "EACCES": "permission denied",
    "EPERM": "permission denied",
    "ENXIO": "this is not a regular file (a device, pipe or socket), not a workbook",
    "ENODEV": "this is not a regular file (a device, pipe or socket), not a workbook",
}


def read_workbook_bytes(path: str | Path, limits: Limits = Limits()) -> bytes:
    """The bytes of a workbook file: read only from a regular file, and only up to
    ``limits.max_bytes`` (a device such as ``/dev/zero`` or a pipe is refused before any
    byte is read, so nothing can hang or fill the memory).

    Raises:
        UnreadableWorkbook: no such file, a folder, not a regular file, too large, or the
            operating system refused (one line naming the file).
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableWorkbook(name, _os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableWorkbook(name, "this is a folder, not a workbook")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableWorkbook(
                name, "this is not a regular file (a device, pipe or socket), not a workbook"
            )
        if info.st_size > limits.max_bytes:
            raise UnreadableWorkbook(name, _too_large(info.st_size, limits))
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        raise UnreadableWorkbook(name, _os_reason(exc)) from None
    finally:
        os.close(fd)
    if len(data) > limits.max_bytes:
        raise UnreadableWorkbook(name, _too_large(len(data), limits))
    return data


def _os_reason(exc: OSError) -> str:
    import errno

    code = errno.errorcode.get(exc.errno or 0, "")
    return _OS_REASONS.get(code) or (exc.strerror or type(exc).__name__).lower()


def _too_large(size: int, limits: Limits) -> str:
    return f"the file is over {limits.max_bytes // 2**20:,} MiB ({size:,} bytes or more), too large"


# --- the package ------------------------------------------------------------------


def preflight(
    path: str | Path,
    data: bytes | None = None,
    *,
    password: str | None = None,
    limits: Limits = Limits(),
) -> WorkbookFile:
    """Check that ``path`` is a sound OOXML workbook and list its sheets.

    Raises:
        UnreadableWorkbook: with a one-line reason naming the file and the problem.
    """
    name = str(path)
    if data is None:
        data = read_workbook_bytes(path, limits)
    elif len(data) > limits.max_bytes:
        raise UnreadableWorkbook(name, _too_large(len(data), limits))
    if data.startswith(OLE2_MAGIC):
        data = _open_ole2(name, data, password)
    if not data:
        raise UnreadableWorkbook(name, "the file is empty")
    if not data.startswith(ZIP_MAGIC):
        raise UnreadableWorkbook(
            name, "not an Excel workbook (.xlsx/.xlsm): it is not a zip package"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # a damaged directory can also claim a zip version or a feature no reader implements
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise UnreadableWorkbook(
            name, "the file is damaged or truncated (not a complete zip package)"
        ) from None
    with archive:
        _check_members(name, archive, limits)
        return _describe(name, data, archive)


_OLE2_REASONS = {
    "xls": "this is an old-style .xls workbook; open it in Excel and save it as .xlsx",
    "damaged": "the file is damaged or truncated (not a complete Office file)",
    "other": "not an Excel workbook (.xlsx/.xlsm): it is an Office file of another kind",
}


def _open_ole2(name: str, data: bytes, password: str | None) -> bytes:
    if not is_encrypted(data):
        raise UnreadableWorkbook(name, _OLE2_REASONS[ole2_contents(data)])
    protection(data, name)  # refuses damaged or absurd protection before any key work
    if password is None:
        raise UnreadableWorkbook(
            name,
            "the workbook is password-protected; give the password "
            "(--password, or PRACTICEBOOK_PASSWORD)",
        )
    try:
        return decrypt_workbook(data, password, name=name)
    except WrongPassword:
        raise UnreadableWorkbook(name, "wrong password for this workbook") from None
    except UnreadableWorkbook:
        raise
    except Exception as exc:  # a damaged encrypted container
        raise UnreadableWorkbook(
            name,
            "the protected workbook is damaged or truncated: it could not be decrypted "
            f"({type(exc).__name__})",
        ) from None


def _check_members(name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnreadableWorkbook(
            name, f"the package has {len(infos):,} parts, too many for a workbook"
        )
    seen: set[str] = set()
    for info in infos:
        folded = info.filename.casefold()  # part names are case-insensitive (OPC)
        if folded in seen:
            raise UnreadableWorkbook(
                name,
                f"the package holds two parts named {label_text(info.filename)!r}; "
                "refusing to guess which one is meant",
            )
        seen.add(folded)
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise UnreadableWorkbook(
            name, f"the package expands to {total:,} bytes, over the limit (possible zip bomb)"
        )
    for info in infos:
        if (
            info.file_size > 2**20
            and info.compress_size
            and info.file_size / info.compress_size > limits.max_ratio
        ):
            raise UnreadableWorkbook(
                name,
                f"part {label_text(info.filename)} is compressed "
                f"{info.file_size / info.compress_size:.0f}:1 "
                "(possible zip bomb)",
            )
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(name, "not an Excel workbook (no workbook part in the package)")
    for info in infos:
        if not info.is_dir():
            _check_xml_prolog(name, archive, info, limits)


class _Prolog:
    """What an XML parser met before a part's first element."""

    def __init__(self) -> None:
        self.dtd = False
        self.reached = False  # the first element was met
        self.encoding: str | None = None
        self.parser = expat.ParserCreate()
        self.parser.XmlDeclHandler = self._declaration
        self.parser.StartDoctypeDeclHandler = self._dtd
        self.parser.EntityDeclHandler = self._dtd
        self.parser.StartElementHandler = self._element
        self.parser.DefaultHandler = self._ignore  # also keeps entities from expanding

    def _declaration(self, _version: object, encoding: str | None, _standalone: object) -> None:
        self.encoding = encoding

    def _dtd(self, *_: object) -> None:
        self.dtd = self.dtd or not self.reached

    def _element(self, *_: object) -> None:
        self.reached = True

    def _ignore(self, _data: str) -> None:
        pass

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Parse ``chunk``; what follows the first element may be anything."""
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            if not (self.reached or self.dtd):
                raise


_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00\x00<")


def _check_xml_prolog(
    name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits
) -> None:
    """Refuse an XML part that is not UTF-8 or declares a DTD before its first element.

    Whatever starts like XML in any encoding is checked, whatever its part name. An XML
    parser decides where the prolog ends (comments and processing instructions
    included), so nothing can hide a DTD from it; a prolog longer than
    ``limits.max_prolog`` is refused outright.
    """
    part = label_text(info.filename)
    prolog = _Prolog()
    try:
        with archive.open(info) as stream:
            chunk = stream.read(4096)
            if chunk.startswith(_WIDE_STARTS):
                raise UnreadableWorkbook(
                    name, f"part {part} is not encoded in UTF-8, as Excel writes every part"
                )
            if chunk.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")[:1] != b"<":
                return  # not XML (an image, the VBA project…)
            read = 0
            while chunk and not prolog.reached and read <= limits.max_prolog:
                read += len(chunk)
                prolog.feed(chunk)
                chunk = b"" if prolog.reached else stream.read(1 << 16)
            if not prolog.reached and read > limits.max_prolog:
                raise UnreadableWorkbook(
                    name, f"part {part} has no XML element in its first MiB; refusing to read it"
                )
    except UnreadableWorkbook:
        raise
    except expat.ExpatError:
        raise UnreadableWorkbook(name, f"part {part} is damaged (not well-formed XML)") from None
    except Exception as exc:  # zlib.error, BadZipFile, EOFError… from a corrupt member
        raise UnreadableWorkbook(name, f"part {part} is damaged ({type(exc).__name__})") from None
    if prolog.dtd:
        raise UnreadableWorkbook(
            name,
            f"part {part} declares a DTD or entities, which Excel never writes; "
            "refusing to read it",
        )
    if prolog.encoding and prolog.encoding.lower() not in _UTF8_NAMES:
        raise UnreadableWorkbook(
            name, f"part {part} is not encoded in UTF-8, as Excel writes every part"
        )


def _describe(name: str, data: bytes, archive: zipfile.ZipFile) -> WorkbookFile:
    try:
        workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
        rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        raise UnreadableWorkbook(name, "the workbook's relationship part is missing") from None
    except Exception as exc:
        raise UnreadableWorkbook(
            name, f"the workbook part is damaged ({type(exc).__name__})"
        ) from None
    if workbook.tag.startswith(f"{{{NS_STRICT_MAIN}}}"):
        raise UnreadableWorkbook(
            name, "strict OOXML is not supported; save it as an Excel Workbook (.xlsx)"
        )
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    members = frozenset(archive.namelist())
    sheets: dict[str, str] = {}
    folded: set[str] = set()
    for el in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        sheet = str(el.get("name") or "")
        target = targets.get(el.get(f"{{{NS_REL}}}id"), "")
        part = _resolve(target)
        if part not in members:
            raise UnreadableWorkbook(
                name,
                f"sheet {label_text(sheet)!r} has no data part in the package "
                "(the file is damaged)",
            )
        if sheet.casefold() in folded:
            raise UnreadableWorkbook(
                name,
                f"two sheets are named {label_text(sheet)!r}, which Excel does not allow "
                "(the file is damaged)",
            )
        folded.add(sheet.casefold())
        sheets[sheet] = part
    shared = next((_resolve(t) for t in targets.values() if t.endswith("sharedStrings.xml")), None)
    properties = _custom_properties(archive)
    return WorkbookFile(
        name,
        data,
        MappingProxyType(sheets),
        _schema_version(properties),
        shared,
        members,
        MappingProxyType(properties),
    )


def _resolve(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return normalize_part(str(PurePosixPath("xl") / target))


def _custom_properties(archive: zipfile.ZipFile) -> dict[str, str]:
    """The custom document properties (name -> value as text); none when the part is
    missing or damaged (they are never needed to read the sheets)."""
    part = "docProps/custom.xml"
    try:
        rels = SafeET.fromstring(archive.read("_rels/.rels"))
        for rel in rels.iter(f"{{{NS_PKG_REL}}}Relationship"):
            if str(rel.get("Type", "")).endswith(_CUSTOM_REL):
                part = normalize_part(str(rel.get("Target", "")))
    except Exception:  # no package relationships: the usual place is used
        pass
    try:
        custom = SafeET.fromstring(archive.read(part))
    except Exception:
        return {}
    out: dict[str, str] = {}
    for prop in custom.iter(f"{{{NS_CUSTOM}}}property"):
        key = prop.get("name")
        if key:
            out[key] = "".join(prop.itertext()).strip()
    return out


def _schema_version(properties: Mapping[str, str]) -> int | None:
    text = properties.get(SCHEMA_PROPERTY, "")
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def normalize_part(path: str) -> str:
    """A part name without ``.`` and ``..`` segments (``..`` never climbs above the root)."""
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)
