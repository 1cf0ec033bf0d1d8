"""The guard: what is refused in one line before any parser or the Rust reader sees it.

Files that once killed the process (a stray cell at ``XFD1048576``), hung it (a FIFO),
filled its memory (``/dev/zero``) or kept it busy for minutes (a key derivation of ten
million rounds) are each refused within seconds; the ones that would abort run in a
child process, so a failure here cannot take the test run down with it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import olefile
import pytest

from practicebook import api
from practicebook.errors import UnreadableWorkbook
from practicebook.workbook.crypto import MAX_SPIN_COUNT, encrypt_workbook, protection
from practicebook.workbook.guard import Limits, preflight, read_workbook_bytes
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.template import write_workbook
from tests.support import hostile


@pytest.fixture(scope="module")
def sound() -> bytes:
    out = io.BytesIO()
    write_workbook(
        out,
        {
            "Clients": [{"client_id": "C1", "first_name": "Ada", "last_name": "Example"}],
            "Services": [{"service_code": "90834", "description": "Therapy", "base_fee": 150}],
        },
    )
    return out.getvalue()


def refused(tmp_path: Path, data: bytes, seconds: float = 3.0, **kw) -> str:
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return refused_path(path, seconds, **kw)


def refused_path(path: Path, seconds: float = 3.0, **kw) -> str:
    start = time.perf_counter()
    with pytest.raises(UnreadableWorkbook) as info:
        api.load(path, **kw)
    assert time.perf_counter() - start < seconds, "the guard must answer quickly"
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and message.isprintable()
    return message


def in_child(path: Path) -> subprocess.CompletedProcess[str]:
    """``practicebook check`` on ``path`` in a child process (which may not crash)."""
    code = "import sys; from practicebook.frontends.cli import main; main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode >= 0, f"killed by signal {-done.returncode}"
    assert "Traceback" not in done.stdout + done.stderr
    return done


# --- what is not a regular file ---------------------------------------------------------


def test_paths_that_are_not_a_workbook_file(tmp_path, sound):
    book = tmp_path / "book.xlsx"
    book.write_bytes(sound)
    assert "not a folder" in refused_path(book / "x")
    assert "folder, not a workbook" in refused_path(tmp_path)
    assert "too long" in refused_path(tmp_path / ("x" * 300 + ".xlsx"))
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(tmp_path / "loop2.xlsx")
    (tmp_path / "loop2.xlsx").symlink_to(loop)
    assert "symbolic links" in refused_path(loop)
    assert "no such file" in refused_path(tmp_path / "absent.xlsx")
    linked = tmp_path / "linked.xlsx"
    linked.symlink_to(book)  # a link to a workbook is a workbook
    assert read_workbook_bytes(linked) == sound


def test_devices_and_pipes_are_refused_before_a_byte_is_read(tmp_path):
    assert "not a regular file" in refused_path(Path("/dev/zero"))
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert "not a regular file" in refused_path(fifo)


def test_reading_stops_at_the_size_limit(tmp_path, sound):
    path = tmp_path / "big.xlsx"
    path.write_bytes(sound)
    with pytest.raises(UnreadableWorkbook, match="too large"):
        read_workbook_bytes(path, Limits(max_bytes=len(sound) - 1))
    assert read_workbook_bytes(path, Limits(max_bytes=len(sound))) == sound


# --- the package ------------------------------------------------------------------------


def test_duplicate_part_names_are_refused(tmp_path, sound):
    twice = hostile.duplicate_member(sound, "xl/workbook.xml")
    assert "two parts named" in refused(tmp_path, twice)
    part = hostile.sheet_part(sound, "Clients")
    differ_in_case = hostile.rezip(sound, lambda n, x: x, {part.upper(): b"<x/>"})
    assert "two parts named" in refused(tmp_path, differ_in_case)


def test_a_zip_directory_claiming_an_unknown_zip_version_is_damaged(tmp_path, sound):
    # a flipped byte in the central directory's "version needed to extract" once made
    # Python's zip reader raise NotImplementedError, a traceback
    at = sound.index(b"PK\x01\x02") + 6
    claimed = sound[:at] + bytes([178, 0]) + sound[at + 2 :]  # version 17.8
    assert "damaged or truncated" in refused(tmp_path, claimed)


def test_a_dtd_anywhere_in_the_prolog_is_found(tmp_path, sound):
    past_a_mebibyte = hostile.dtd_after(sound, "xl/workbook.xml", 3 * 2**20)
    assert "first MiB" in refused(tmp_path, past_a_mebibyte)
    after_a_comment = hostile.rezip(
        sound,
        lambda n, x: (
            x.replace(b"?>", b'?><!-- <a --><!DOCTYPE x [<!ENTITY e "e">]>', 1)
            if n == "xl/workbook.xml"
            else x
        ),
    )
    assert "DTD" in refused(tmp_path, after_a_comment)
    part = hostile.sheet_part(sound, "Clients")
    assert "DTD" in refused(tmp_path, hostile.dtd_after(sound, part, 100))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_parts_not_in_utf8_are_refused(tmp_path, sound, encoding):
    part = hostile.sheet_part(sound, "Clients")
    assert "UTF-8" in refused(tmp_path, hostile.encoded(sound, part, encoding))
    assert "UTF-8" in refused(tmp_path, hostile.encoded(sound, "xl/workbook.xml", encoding, False))


def test_strict_ooxml_is_named(tmp_path, sound):
    message = refused(tmp_path, hostile.strict(sound))
    assert message.endswith(
        "strict OOXML is not supported; save it as an Excel Workbook (.xlsx)"
    ), message


def test_two_sheets_with_one_name_are_refused(tmp_path, sound):
    clash = hostile.rename_sheet(sound, "Services", "clients")
    assert "two sheets are named 'clients'" in refused(tmp_path, clash)


def test_custom_properties_are_exposed_and_an_odd_version_is_no_version(tmp_path, sound):
    book = preflight("book.xlsx", sound)
    assert book.properties["practicebook_schema_version"] == str(book.schema_version)
    odd = hostile.rezip(
        sound,
        lambda n, x: (
            x.replace(
                b"<vt:lpwstr>%d</vt:lpwstr>" % book.schema_version,
                "<vt:lpwstr>²</vt:lpwstr>".encode(),
            )
            if n == "docProps/custom.xml"
            else x
        ),
    )
    odd_book = preflight("book.xlsx", odd)
    assert odd_book.properties["practicebook_schema_version"] == "²"
    assert odd_book.schema_version is None


# --- password protection ----------------------------------------------------------------


def _with_encryption_info(tmp_path: Path, data: bytes, edit) -> bytes:
    """An encrypted workbook whose EncryptionInfo stream went through ``edit``
    (same length, as olefile rewrites streams in place)."""
    path = tmp_path / "protected.xlsx"
    path.write_bytes(data)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        info = ole.openstream("EncryptionInfo").read()
        changed = edit(info)
        assert len(changed) == len(info)
        ole.write_stream("EncryptionInfo", changed)
    return path.read_bytes()


def test_an_absurd_key_derivation_is_refused_before_deriving(tmp_path, sound):
    locked = encrypt_workbook(sound, "s3cret")
    assert protection(locked).spin_count == 100_000
    slow = _with_encryption_info(
        tmp_path,
        locked,
        lambda info: info.replace(b'spinCount="100000"', b'spinCount="10000000"').replace(
            b"\n    <keyData", b"\n  <keyData", 1
        ),
    )
    message = refused(tmp_path, slow, password="s3cret")
    assert "10,000,000 key-derivation rounds" in message and f"{MAX_SPIN_COUNT:,}" in message
    assert "10,000,000" in refused(tmp_path, slow)  # also without a password


def test_a_dtd_in_the_encryption_info_is_refused(tmp_path, sound):
    locked = encrypt_workbook(sound, "s3cret")
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    dtd = b'<!DOCTYPE encryption [<!ENTITY a "aaaaaaaaaa">]>'
    bad = _with_encryption_info(
        tmp_path, locked, lambda info: info.replace(declaration, dtd.ljust(len(declaration)))
    )
    assert "DTD" in refused(tmp_path, bad, password="s3cret")


# --- extents: what the Rust reader would be asked to allocate ---------------------------


@pytest.mark.parametrize(
    "ref, words",
    [
        ("XFD1048576", "spans 1,048,576 rows by 16,384 columns"),
        ("A2000000000", "outside Excel's grid"),
        ("XFE5", "outside Excel's grid"),
    ],
)
def test_a_stray_far_cell_is_refused_before_the_reader_allocates(tmp_path, sound, ref, words):
    path = tmp_path / "far.xlsx"
    path.write_bytes(hostile.add_cell(sound, "Sessions", ref))
    start = time.perf_counter()
    done = in_child(path)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert time.perf_counter() - start < 30


def test_far_cells_are_found_however_the_sheet_is_written(tmp_path, sound):
    prefixed = hostile.prefixed(hostile.add_cell(sound, "Sessions", "XFD1048576"), "Sessions")
    assert "spans 1,048,576 rows by 16,384 columns" in refused(tmp_path, prefixed, seconds=10)
    # without cell references a cell sits on its row's number, at the next column
    deep_row = hostile.without_references(
        hostile.add_cell(sound, "Sessions", "A2000000000"), "Sessions"
    )
    assert "outside Excel's grid" in refused(tmp_path, deep_row, seconds=10)


def test_an_empty_formatted_far_cell_is_not_a_cell(tmp_path, sound):
    styled = hostile.add_cell(sound, "Sessions", "XFD1048576", value=b"")
    book, _ = api.load(_write(tmp_path, styled))
    assert book.clients["client_id"].tolist() == ["C1"]


def test_a_declared_dimension_outside_the_grid_is_refused(tmp_path, sound):
    part = hostile.dimension(sound, "Clients", "A1:XFE2000000000")
    assert "declares its size" in refused(tmp_path, part)


def test_empty_rows_above_the_header_cost_nothing(tmp_path, sound):
    deep = hostile.rows_above(sound, "Clients", 400_000)
    start = time.perf_counter()
    _, tables = read_workbook(_write(tmp_path, deep))
    assert time.perf_counter() - start < 5
    clients = next(t for t in tables if t.name == "Clients")
    assert not clients.header_found and clients.header_row == 20


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return path


# --- sheet names ------------------------------------------------------------------------


def test_the_exactly_named_sheet_wins_and_its_near_namesakes_are_listed(tmp_path, sound):
    import xlsxwriter

    path = tmp_path / "two.xlsx"
    wb = xlsxwriter.Workbook(path)
    fake = wb.add_worksheet("Payments_")
    fake.write_row(0, 0, ["Payment ID", "Received date", "Client ID", "Amount"])
    fake.write_row(1, 0, ["P9", "2026-03-02", "C1", 26])
    real = wb.add_worksheet("Payments")
    real.write_row(0, 0, ["Payment ID", "Received date", "Client ID", "Amount"])
    real.write_row(1, 0, ["P1", "2026-03-02", "C1", 8000])
    real.write_row(2, 0, ["P2", "2026-03-03", "C1", 175])
    spaced = wb.add_worksheet("payments ")
    spaced.write_row(0, 0, ["Payment ID", "Received date", "Client ID", "Amount"])
    spaced.write_row(1, 0, ["P8", "2026-03-02", "C1", 1])
    wb.close()
    _, tables = read_workbook(path, audit=False)
    names = [t.name for t in tables]
    assert names.index("Payments_") < names.index("Payments")
    assert names.index("payments ") < names.index("Payments")
    ignored = [t for t in tables if t.name in ("Payments_", "payments ")]
    assert all(not t.header_found and t.data.empty and not t.headers for t in ignored)
    book, _ = api.load(path)
    assert book.payments["payment_id"].tolist() == ["P1", "P2"]
    assert int(book.payments["amount"].sum()) == 817_500


# XML 1.0 cannot hold ESC itself, but it can hold the 8-bit CSI (U+009B) that terminals
# take for ESC [, bidirectional overrides, new lines (U+0085); header cells can hold ESC
# as Excel's escape _x001B_
def test_names_from_the_file_are_printable_in_messages(tmp_path, sound):
    services = hostile.sheet_part(sound, "Services")
    renamed = hostile.rename_sheet(sound, "Services", "Services\u0085")
    escaped = hostile.rezip(
        renamed,
        lambda n, x: (
            x.replace(
                b"</row>",
                b'<c r="Z1" t="inlineStr"><is><t>Note_x001B_[31m\xe2\x80\xae</t></is></c></row>',
                1,
            )
            if n == services
            else x
        ),
    )
    _, tables = read_workbook(_write(tmp_path, escaped))
    read = next(t for t in tables if t.name.startswith("Services"))
    assert read.name == "Services "
    assert read.headers[-1] == "Note\ufffd[31m\ufffd"
    assert all(t.name.isprintable() and all(h.isprintable() for h in t.headers) for t in tables)
    _, issues = api.load(_write(tmp_path, escaped))
    assert issues and all(f"{i.where} {i.message}".isprintable() for i in issues)
    odd = hostile.rename_sheet(sound, "Services", "Services\u009b2J\u202e")
    message = refused(tmp_path, hostile.rezip(odd, lambda n, x: None if n == services else x))
    assert "\u009b" not in message and "\u202e" not in message and "Services" in message


def test_a_sound_package_lists_every_sheet_once(sound):
    book = preflight("book.xlsx", sound)
    with zipfile.ZipFile(io.BytesIO(sound)) as z:
        assert len(book.members) == len(z.namelist())
    assert (
        list(book.sheets)[:3] == ["Practice", "Clinicians", "Clients"] or "Clients" in book.sheets
    )
