from __future__ import annotations

import json

from click.testing import CliRunner

from practicebook.frontends.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_new_writes_a_clean_workbook_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "book.xlsx"
    result = run(
        "new", path, "--currency", "cad", "--locale", "en_CA", "--timezone", "America/Toronto"
    )
    assert result.exit_code == 0 and path.exists()
    assert run("check", path).exit_code == 0
    again = run("new", path)
    assert again.exit_code == 2 and "already exists" in again.output


def test_new_rejects_bad_settings(tmp_path):
    assert run("new", tmp_path / "a.xlsx", "--currency", "DOLLARS").exit_code == 2
    assert run("new", tmp_path / "b.xlsx", "--locale", "xx_YY").exit_code == 2
    assert run("new", tmp_path / "c.xlsx", "--timezone", "Mars/Base").exit_code == 2


def test_check_exit_codes(tmp_path, clean_book, damaged_book):
    assert run("check", clean_book).exit_code == 0
    assert run("check", damaged_book).exit_code == 1
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    result = run("check", junk)
    assert result.exit_code == 2
    assert "not a zip" in result.output and "Traceback" not in result.output


def test_check_text_shows_location_excerpt_and_fix(damaged_book):
    out = run("check", damaged_book).output
    assert "Sessions!N15: error: Fee override: 'a lot' is not an amount [bad-money]" in out
    assert "| Session ID | Fee override |" in out
    assert "Type the amount as a number" in out
    assert out.rstrip().splitlines()[-1].startswith("12 errors")


def test_check_json_carries_the_same_fields(damaged_book):
    payload = json.loads(run("check", damaged_book, "--format", "json").output)
    first = payload["issues"][0]
    assert set(first) >= {"code", "severity", "sheet", "cell", "message", "hint"}
    assert payload["summary"]["error"] == 12
