"""The pre-flight guard: is this file a sound OOXML workbook, and which sheets does it hold?

The file is read into memory once. Before any parser sees it, the guard rejects what is
not a sound OOXML package (not a zip, a legacy ``.xls``, a password-protected file
without its password, a truncated file, a zip bomb, a DTD in any XML part) with a
one-line ``UnreadableWorkbook``. A protected workbook is decrypted here when its password
is given. What passes is a ``WorkbookFile``: the bytes, the sheet parts and the schema
version the workbook declares.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import defusedxml.ElementTree as SafeET

from practicebook.errors import UnreadableWorkbook, WrongPassword
from practicebook.schema import SCHEMA_PROPERTY
from practicebook.workbook.crypto import decrypt_workbook, is_encrypted

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["NS_MAIN", "NS_PKG_REL", "Limits", "WorkbookFile", "normalize_part", "preflight"]


OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ZIP_MAGIC = b"PK\x03\x04"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Limits:
    """Size limits of the pre-flight guard; a practice workbook is far below them."""

    max_bytes: int = 512 * 2**20  # the file itself
    max_uncompressed: int = 2 * 2**30  # sum of declared member sizes
    max_ratio: float = 100.0  # compression ratio of any member over 1 MiB
    max_members: int = 5000


@dataclass(frozen=True)
class WorkbookFile:
    """A workbook package that passed the guard: its bytes and its sheet parts."""

    path: str
    data: bytes
    sheets: Mapping[str, str]  # sheet name -> worksheet part name
    schema_version: int | None = None
    shared_strings: str | None = None
    members: frozenset[str] = field(default_factory=frozenset)


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
        try:
            size = Path(path).stat().st_size
            if size > limits.max_bytes:
                raise UnreadableWorkbook(name, f"the file is {size:,} bytes, over the limit")
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise UnreadableWorkbook(name, "no such file") from None
        except IsADirectoryError:
            raise UnreadableWorkbook(name, "this is a folder, not a workbook") from None
        except PermissionError:
            raise UnreadableWorkbook(name, "permission denied") from None
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
    except zipfile.BadZipFile:
        raise UnreadableWorkbook(
            name, "the file is damaged or truncated (not a complete zip package)"
        ) from None
    with archive:
        _check_members(name, archive, limits)
        return _describe(name, data, archive)


def _open_ole2(name: str, data: bytes, password: str | None) -> bytes:
    if not is_encrypted(data):
        raise UnreadableWorkbook(
            name, "this is an old-style .xls workbook; open it in Excel and save it as .xlsx"
        )
    if password is None:
        raise UnreadableWorkbook(
            name,
            "the workbook is password-protected; give the password "
            "(--password, or PRACTICEBOOK_PASSWORD)",
        )
    try:
        return decrypt_workbook(data, password)
    except WrongPassword:
        raise UnreadableWorkbook(name, "wrong password for this workbook") from None
    except Exception as exc:  # a damaged encrypted container
        raise UnreadableWorkbook(
            name, f"the protected workbook could not be decrypted ({type(exc).__name__})"
        ) from None


def _check_members(name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnreadableWorkbook(
            name, f"the package has {len(infos):,} parts, too many for a workbook"
        )
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
                f"part {info.filename} is compressed "
                f"{info.file_size / info.compress_size:.0f}:1 "
                "(possible zip bomb)",
            )
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(name, "not an Excel workbook (no workbook part in the package)")
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")) and _has_dtd(archive, info):
            raise UnreadableWorkbook(
                name,
                f"part {info.filename} declares a DTD or entities, "
                "which Excel never writes; refusing to read it",
            )


def _has_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when the part's prolog (everything before its first element) has a DTD."""
    try:
        with archive.open(info) as stream:
            head = b""
            while len(head) < 1 << 20:
                chunk = stream.read(4096)
                if not chunk:
                    break
                head += chunk
                start = re.search(rb"<[A-Za-z_]", head)
                if start:
                    head = head[: start.start()]
                    break
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnreadableWorkbook(
            archive.filename or "workbook",
            f"part {info.filename} is damaged ({type(exc).__name__})",
        ) from None
    except Exception as exc:  # zlib.error and friends from a corrupt member
        raise UnreadableWorkbook(
            archive.filename or "workbook",
            f"part {info.filename} is damaged ({type(exc).__name__})",
        ) from None
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


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
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    members = frozenset(archive.namelist())
    sheets: dict[str, str] = {}
    for el in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(el.get(f"{{{NS_REL}}}id"), "")
        part = _resolve(target)
        if part not in members:
            raise UnreadableWorkbook(
                name,
                f"sheet {el.get('name')!r} has no data part in the package (the file is damaged)",
            )
        sheets[str(el.get("name"))] = part
    shared = next((_resolve(t) for t in targets.values() if t.endswith("sharedStrings.xml")), None)
    return WorkbookFile(name, data, sheets, _schema_version(archive), shared, members)


def _resolve(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return normalize_part(str(PurePosixPath("xl") / target))


def _schema_version(archive: zipfile.ZipFile) -> int | None:
    try:
        custom = SafeET.fromstring(archive.read("docProps/custom.xml"))
    except KeyError:
        return None
    except Exception:
        return None
    for prop in custom:
        if prop.get("name") == SCHEMA_PROPERTY:
            text = "".join(prop.itertext()).strip()
            return int(text) if text.isdigit() else None
    return None


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
