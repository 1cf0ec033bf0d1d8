"""``practicebook reconcile --write`` and the password prompt for encrypted workbooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from practicebook.frontends.cli import commands as cli
from practicebook.frontends.cli import reading
from practicebook.generate import generate
from practicebook.render.sheets import RESULT_SHEETS
from practicebook.workbook import ooxml
from practicebook.workbook.crypto import encrypt_workbook


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("cli") / "practice.xlsx"
    generate(80).write(path)
    return path.read_bytes()


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input, catch_exceptions=False)


def test_reconcile_write_stores_the_results_and_says_what_it_wrote(
    tmp_path: Path, plain: bytes
) -> None:
    book = tmp_path / "practice.xlsx"
    book.write_bytes(plain)
    result = run("reconcile", book, "--as-of", "2026-06-30", "--write")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index(f"wrote {book} as of Jun 30, 2026:")  # the locale of the heading
    assert "as of Jun 30, 2026, amounts in USD" in lines[0]
    written = {line.split(":")[0].strip(): line for line in lines[start + 1 : start + 8]}
    assert list(written) == [*RESULT_SHEETS, "AuditLog"]
    assert RESULT_SHEETS[:5] == ("Balances", "Aging", "Flags", "Ledger", "CancellationLog")
    balances = ooxml.read_sheet(book.read_bytes(), "Balances")
    header = next(i for i, row in enumerate(balances) if row[0] == "Client ID")
    assert written["Balances"] == f"  Balances: {len(balances) - header - 1} rows"
    assert ".practicebook-backups" in lines[-1]
    log = ooxml.read_sheet(book.read_bytes(), "AuditLog")
    assert log[1][2] == "cli" and log[1][5] == "write_results"


def test_reconcile_without_write_leaves_the_file_alone(tmp_path: Path, plain: bytes) -> None:
    book = tmp_path / "practice.xlsx"
    book.write_bytes(plain)
    result = run("reconcile", book, "--as-of", "2026-06-30", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["as_of"] == "2026-06-30"
    assert "written" not in json.loads(result.output)
    assert book.read_bytes() == plain


def test_reconcile_write_as_json_reports_the_sheets_written(tmp_path: Path, plain: bytes) -> None:
    book = tmp_path / "practice.xlsx"
    book.write_bytes(plain)
    result = run("reconcile", book, "--as-of", "2026-06-30", "--write", "--format", "json")
    written = json.loads(result.output)["written"]
    assert list(written["sheets"]) == list(RESULT_SHEETS)
    assert written["sheets"]["Balances"] == len(json.loads(result.output)["balances"])
    assert ".practicebook-backups" in written["backup"]


def test_an_encrypted_workbook_asks_for_its_password_at_a_terminal(
    tmp_path: Path, plain: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "locked.xlsx"
    book.write_bytes(encrypt_workbook(plain, "s3cret"))
    monkeypatch.setattr(reading, "interactive", lambda: True)
    result = run("check", book, input="s3cret\n")
    assert result.exit_code == 0
    assert result.output.startswith("Password for locked.xlsx: \n")
    assert "s3cret" not in result.output  # not echoed
    assert "the data is valid" in result.output
    written = run("reconcile", book, "--as-of", "2026-06-30", "--write", input="s3cret\n")
    assert written.exit_code == 0 and "Balances:" in written.output
    wrong = run("check", book, input="guess\n")
    assert wrong.exit_code == 2


def test_no_prompt_without_a_terminal_or_with_a_password(
    tmp_path: Path, plain: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "locked.xlsx"
    book.write_bytes(encrypt_workbook(plain, "s3cret"))
    asked = run("check", book)
    assert asked.exit_code == 2 and "Password for" not in asked.output
    monkeypatch.setenv("PRACTICEBOOK_PASSWORD", "s3cret")
    monkeypatch.setattr(reading, "interactive", lambda: True)
    given = run("check", book)
    assert given.exit_code == 0 and "Password for" not in given.output


def test_reconcile_write_refuses_a_file_changed_since_it_was_read(
    tmp_path: Path, plain: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program saves the workbook after it was read: the results, computed from
    the bytes read, are not written over the new version."""
    from practicebook.core import reconcile as core

    book = tmp_path / "practice.xlsx"
    book.write_bytes(plain)
    real = core.reconcile

    def reconcile_then_changed(*args, **kwargs):
        with book.open("ab") as file:
            file.write(b"\0")
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "reconcile", reconcile_then_changed)
    result = run("reconcile", book, "--as-of", "2026-06-30", "--write")
    assert result.exit_code == 2
    assert result.output == (
        "error: practice.xlsx was changed by another program since it was read; "
        "nothing was written, run again\n"
    )
    assert book.read_bytes() == plain + b"\0"
