"""The zip package held in memory: members copied back as their raw compressed bytes.

A member that a write does not replace is never inflated and deflated again: its local
header is rebuilt and its original compressed bytes follow, so it stays byte-identical and
keeps its place in the zip. Replaced and new members are deflated. Packages that would need
zip64, encrypted members or unusual compression methods are refused with ``PackageError``.
``changed_members`` compares two packages member by member.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

__all__ = ["Package", "PackageError", "changed_members"]


_NEW_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)
# Rewritten parts above this size are deflated at level 1: an append to a 40 MB sheet must
# recompress the whole part, and level 6 costs ~4x the time for ~15% smaller output.
_FAST_DEFLATE_FROM = 1 << 20


class PackageError(ValueError):
    """The package is not an OOXML workbook the part editor can edit safely."""


@dataclass
class _Entry:
    info: zipfile.ZipInfo
    raw: memoryview | None  # original compressed bytes, None once replaced
    data: bytes | None = None  # new uncompressed content


class Package:
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
        # a memoryview compares equal to bytes of the same content
        if self._buffer[start : start + 4] != b"PK\x03\x04":  # type: ignore[comparison-overlap]
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
        body: bytes | memoryview
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
    """Central-directory record matching a local header written by `Package._serialise`."""
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
