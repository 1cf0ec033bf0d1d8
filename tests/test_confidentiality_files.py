"""No value of a personal column leaves the workbook through a file or the command line.

The marked practice of ``tests.test_confidentiality`` is written as a workbook, damaged
in the file itself (no header row, a header moved down or sorted into the data,
near-duplicate sheets, odd cells, formulas saved without their results), and every
command is run on it in a process of its own: no marker may appear in the text or JSON
of ``check``, ``reconcile`` and ``explain``, on stderr, or in the sheets and the AuditLog
that ``reconcile --write`` writes; nor in what the other commands print (documents,
the bank, the accountant's export, batch, upgrade), the names of the files they write, or
the journals they export.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from practicebook.schema import DERIVED_SHEETS, WORKBOOK
from tests.test_confidentiality import AS_OF, MARK, ODD_BIRTHDAYS, PERSONAL, leaks, marked_practice


def _header_row(ws, first_header: str) -> int:
    for row in range(1, 11):
        if ws.cell(row, 1).value == first_header:
            return row
    raise AssertionError(f"no header on {ws.title}")


def _column(ws, header_row: int, header: str) -> int:
    for col in range(1, ws.max_column + 1):
        if ws.cell(header_row, col).value == header:
            return col
    raise AssertionError(header)


def _untabled(ws) -> None:
    """The sheet without its Excel Table, whose range would no longer fit the rows moved."""
    for name in list(ws.tables):
        del ws.tables[name]


def _odd_cells(wb) -> None:
    """Every odd kind of cell in personal columns, and amounts beyond the limit."""
    ws = wb["Clients"]
    top = _header_row(ws, "Client ID")
    dob, email = _column(ws, top, "DOB"), _column(ws, top, "Email")
    phone, first = _column(ws, top, "Phone"), _column(ws, top, "First name")
    for i, value in enumerate(
        [f"{MARK}dobtext", ODD_BIRTHDAYS[0], dt.time(10, 30), 60, True, ODD_BIRTHDAYS[1]]
    ):
        ws.cell(top + 1 + i, dob, value)
    ws.cell(top + 1, email, '=B2&"x"')  # a formula saved without its result
    error = ws.cell(top + 2, phone, "#N/A")
    error.data_type = "e"
    notes = ws.max_column + 1
    ws.cell(top, notes, "Private notes")
    for row in range(top + 1, ws.max_row + 1):
        ws.cell(row, notes, f"{MARK}note{row}")
    _untabled(ws)
    ws.merge_cells(start_row=top + 3, start_column=first, end_row=top + 4, end_column=first)
    ws = wb["Sessions"]
    top = _header_row(ws, "Session ID")
    ws.cell(top + 1, _column(ws, top, "Memo"), '=A2&"x"')
    ws.cell(top + 2, _column(ws, top, "Scheduled start"), dt.time(10, 30))
    ws.cell(top + 3, _column(ws, top, "Fee override"), 1e300)
    ws = wb["Payments"]
    top = _header_row(ws, "Payment ID")
    amount = _column(ws, top, "Amount")
    ws.cell(top + 1, amount, 9.2e16)
    ws.cell(top + 2, amount, "1234567890123456789")
    ws.cell(top + 3, _column(ws, top, "Memo"), "=1/0")


def _no_header(wb) -> None:
    for name, first in (("Clients", "Client ID"), ("Sessions", "Session ID")):
        ws = wb[name]
        _untabled(ws)
        ws.delete_rows(_header_row(ws, first))


def _header_down(wb) -> None:
    for name, first in (("Clients", "Client ID"), ("Sessions", "Session ID")):
        ws = wb[name]
        _untabled(ws)
        ws.insert_rows(_header_row(ws, first), 3)
        ws.cell(1, 1, f"{name} (kept by the front desk)")


def _header_sorted(wb) -> None:
    """The header row sorted into the data, as a sort that included it leaves it."""
    ws = wb["Clients"]
    _untabled(ws)
    top = _header_row(ws, "Client ID")
    header = [c.value for c in ws[top]]
    ws.delete_rows(top)
    ws.insert_rows(top + 3)
    for col, value in enumerate(header, start=1):
        ws.cell(top + 3, col, value)


def _near_duplicates(wb) -> None:
    for name, copy in (
        ("Clients", "Clients_"),
        ("Payments", "payments"),
        ("Sessions", "SESSIONS "),
    ):
        wb.copy_worksheet(wb[name]).title = copy


def _formulas(wb) -> None:
    """Formulas saved without their results in every personal cell."""
    for sheet, col in PERSONAL:
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        top = _header_row(ws, WORKBOOK.sheet(sheet).columns[0].header)
        where = _column(ws, top, col.header)
        for row in range(top + 1, ws.max_row + 1):
            ws.cell(row, where, f'=A{row}&"{row}"')


FILE_DAMAGES = {
    "undamaged": lambda wb: None,
    "odd cells": _odd_cells,
    "no header": _no_header,
    "header moved down": _header_down,
    "header sorted into the data": _header_sorted,
    "near-duplicate sheets": _near_duplicates,
    "formulas without results": _formulas,
}


@functools.cache
def _marked_file() -> bytes:
    out = io.BytesIO()
    marked_practice().write(out)
    return out.getvalue()


def damaged_file(folder: Path, damage: str) -> Path:
    import openpyxl

    source = folder / "source.xlsx"
    source.write_bytes(_marked_file())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl on extensions it does not keep
        wb = openpyxl.load_workbook(source)
        FILE_DAMAGES[damage](wb)
        path = folder / f"{damage.replace(' ', '-')}.xlsx"
        wb.save(path)
    return path


def _cli(*args: str) -> str:
    """Everything a run of the command prints, on stdout and stderr."""
    code = "import sys; from practicebook.frontends.cli import main; main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout + done.stderr


#: Runs each command line given (JSON) in turn in one process, logging everything at
#: DEBUG to stderr, and prints a traceback for any exception the command lets out.
_RUN_ALL = """
import contextlib, io, json, logging, sys, traceback
from practicebook.frontends.cli import main
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(args)
        except SystemExit:
            pass
        except BaseException:
            traceback.print_exc()
    print(" ".join(args), out.getvalue(), sep="\\n")
"""


def _cli_all(commands: list[list[str]]) -> str:
    """Everything a run of each command prints, the commands run one after the other in
    one process (as a bookkeeper runs them on one workbook)."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ALL, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in said, said[-3000:]
    return said


def _derived_cells(path: Path) -> str:
    """Every cell of the sheets practicebook writes (results and the AuditLog)."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True)
    written = [n for n in wb.sheetnames if n in (*DERIVED_SHEETS, "AuditLog")]
    assert "AuditLog" in written and "Balances" in written
    return "\n".join(repr(row) for name in written for row in wb[name].iter_rows(values_only=True))


def _statement_file(folder: Path) -> Path:
    """A bank statement whose descriptions name a client (as a Zelle line does)."""
    path = folder / "statement.csv"
    path.write_text(
        "Date,Description,Amount\n"
        f"2026-03-02,ZELLE FROM {MARK}payer ref {MARK}memo,390.00\n"
        f"2026-03-05,DEPOSIT {MARK}deposit,150.00\n"
        f'2026-03-06,"{MARK}refund =HYPERLINK(""x"")",-20.00\n'
    )
    return path


def _commands(path: Path, out: Path) -> list[list[str]]:
    """Every command of the CLI on ``path`` (the readers first, then the writers), with
    their text and JSON forms."""
    book, day = str(path), AS_OF.isoformat()
    pdfs = ["--out", str(out)]
    return [
        ["documents", book, "--as-of", day],
        ["documents", book, "--as-of", day, "--format", "json"],
        ["bank", "status", book, "--as-of", day],
        ["bank", "match", book, "--as-of", day, "--dry-run", "--format", "json"],
        ["export", book, "--to", "hledger", "--out", str(out / "journal.ledger"), "--until", day],
        [
            "export",
            book,
            "--to",
            "csv",
            "--out",
            str(out / "journal.csv"),
            "--until",
            day,
            "--with-client-ids",
        ],
        ["batch", book, "--as-of", day, "--format", "json"],
        ["statement", book, "--client", "C0001", "--month", "2026-03", *pdfs],
        ["statement", book, "--all", "--month", "2026-03", "--minimal", *pdfs],
        ["receipt", book, "--payment", "P0000001", *pdfs],
        ["invoice", book, "--client", "C0001", "--month", "2026-03", *pdfs],
        ["superbill", book, "--client", "C0001", "--month", "2026-03", "--draft", *pdfs],
        ["superbill", book, "--client", "C0001", "--month", "2026-03", *pdfs],
        [
            "estimate",
            book,
            "--client",
            "C0001",
            "--service",
            "90834",
            "--frequency",
            "weekly",
            *pdfs,
        ],
        ["void", book, "ST-00001", "--reason", "issued twice"],
        ["bank", "import", book, str(_statement_file(out)), "--account", "CHK"],
        ["bank", "match", book, "--as-of", day],
        ["bank", "explain", book, "CHK-00001"],
        ["upgrade", book],
        ["batch", book, "--as-of", day, "--write"],
    ]


def _says(path: Path) -> str:
    day = AS_OF.isoformat()
    said = [
        _cli("check", str(path)),
        _cli("check", str(path), "--format", "json"),
        _cli("reconcile", str(path), "--as-of", day),
        _cli("reconcile", str(path), "--as-of", day, "--format", "json"),
        _cli("explain", str(path), "C0001", "--as-of", day),
        _cli("reconcile", str(path), "--as-of", day, "--write"),
    ]
    out = path.parent / "out"
    out.mkdir()
    said.append(_cli_all(_commands(path, out)))
    said += [p.name for p in out.rglob("*")]  # file names: IDs and days only
    said += [p.read_text() for p in out.glob("journal*")]
    return "\n".join(said) + _derived_cells(path)


def test_journey_check_of_a_damaged_file_says_nothing_personal(tmp_path):
    path = damaged_file(tmp_path, "odd cells")
    said = _cli("check", str(path)) + _cli("check", str(path), "--format", "json")
    assert "header-not-found" not in said and "amount-too-large" in said
    assert not leaks(said), leaks(said)


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(FILE_DAMAGES))
def test_journey_no_command_says_anything_personal_about_a_damaged_file(tmp_path, damage):
    path = damaged_file(tmp_path, damage)
    said = _says(path)
    assert not leaks(said), leaks(said)
    if damage == "undamaged":  # every command ran to its end (the check is not vacuous)
        for done in ("issued ST-00001", "issued RC-00001", "issued GFE-00001", "voided ST-00001"):
            assert done in said
        assert "added 3 lines" in said and "line CHK-00001" in said
