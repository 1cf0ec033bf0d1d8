"""Workbooks built at test time for the writer tests (no checked-in binaries)."""

from __future__ import annotations

import importlib.util
import io
import struct
import zipfile
import zlib
from pathlib import Path

import xlsxwriter


def tiny_png() -> bytes:
    """A valid 2x2 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def vba_project_bin() -> bytes | None:
    """A real vbaProject.bin, taken from the sample .xlsm xlwings ships, if it is installed."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        return None
    sample = Path(spec.origin).parent / "quickstart.xlsm"
    if not sample.exists():
        return None
    with zipfile.ZipFile(sample) as z:
        return z.read("xl/vbaProject.bin")


SESSION_HEADER = ["session_id", "client_id", "date", "fee", "note"]


def rich_workbook(tmp: Path, *, macro: bool = False, sessions: int = 5) -> bytes:
    """A workbook with the features openpyxl loses, and a 'Sessions' sheet holding a Table.

    Features: chart, image, comment, data validation, conditional formats incl. an x14 data
    bar, defined name, sparkline, text box, an Excel Table, formulas with cached values and,
    for ``macro=True``, a VBA project (when a real vbaProject.bin is available).
    """
    path = tmp / ("rich.xlsm" if macro else "rich.xlsx")
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sessions")
    money = wb.add_format({"num_format": '"$"#,##0.00'})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, SESSION_HEADER)
    import datetime as dt

    for i in range(sessions):
        ws.write_number(i + 1, 0, 1000 + i)
        ws.write_string(i + 1, 1, f"C{i % 3:03d}")
        ws.write_datetime(i + 1, 2, dt.datetime(2024, 1, 1 + i), day)
        ws.write_number(i + 1, 3, 80 + i, money)
        ws.write_string(i + 1, 4, "ok")
    ws.add_table(
        0,
        0,
        sessions,
        len(SESSION_HEADER) - 1,
        {"name": "Sessions", "columns": [{"header": h} for h in SESSION_HEADER]},
    )
    ws.data_validation(1, 1, sessions, 1, {"validate": "list", "source": ["C000", "C001", "C002"]})
    ws.conditional_format(
        1, 3, sessions, 3, {"type": "cell", "criteria": ">", "value": 82, "format": money}
    )
    ws.conditional_format(1, 0, sessions, 0, {"type": "data_bar", "data_bar_2010": True})
    ws.write_comment("A1", "Session key", {"font_size": 14, "width": 300})
    ws.add_sparkline("G2", {"range": f"Sessions!D2:D{sessions + 1}"})
    ws.insert_image("H2", "dot.png", {"image_data": io.BytesIO(tiny_png())})
    ws.insert_textbox("H8", "Notes box")
    ws.write_formula("G4", f"=SUM(D2:D{sessions + 1})", None, 80 * sessions)
    wb.define_name("FeeTotal", "=Sessions!$G$4")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"=Sessions!$D$2:$D${sessions + 1}"})
    other = wb.add_worksheet("Summary")
    other.insert_chart("A1", chart)
    other.write("A20", "Totals")
    if macro:
        vba = vba_project_bin()
        if vba is not None:
            wb.add_vba_project(io.BytesIO(vba), is_stream=True)
            ws.insert_button("J2", {"macro": "hello", "caption": "Run"})
    wb.close()
    return path.read_bytes()


def zip_raw_members(data: bytes) -> dict[str, bytes]:
    """Raw compressed bytes of every member, keyed by name (for byte-identity checks)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_len + extra_len
            out[info.filename] = data[start : start + info.compress_size]
    return out
