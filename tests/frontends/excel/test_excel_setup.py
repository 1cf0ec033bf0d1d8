"""Set-up: `practicebook excel setup`, and moving a practice into the macro workbook."""

from __future__ import annotations

import sys
import zipfile

import pytest
from click.testing import CliRunner

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.frontends.cli import main
from practicebook.frontends.excel import setup as excel_setup
from practicebook.frontends.excel.build import VBA_PROJECT
from practicebook.generate import generate


def test_setup_records_this_python_for_runpython_on_windows(tmp_path, monkeypatch):
    monkeypatch.setattr(excel_setup, "_xlwings_version", lambda: excel_setup.PINNED_XLWINGS)
    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_text('"INTERPRETER_WIN","C:\\\\old\\\\python.exe"\n"LICENSE_KEY","k"\n')
    steps = excel_setup.setup(platform="win32", home=tmp_path, executable="C:\\Py\\python.exe")
    assert all(s.ok for s in steps)
    assert conf.read_text().splitlines() == [
        '"LICENSE_KEY","k"',
        '"INTERPRETER_WIN","C:\\Py\\python.exe"',
    ]
    assert steps[-1].text == f"INTERPRETER_WIN = C:\\Py\\python.exe in {conf}"


def test_setup_check_only_changes_nothing_and_mac_uses_excels_container(tmp_path, monkeypatch):
    monkeypatch.setattr(excel_setup, "_xlwings_version", lambda: excel_setup.PINNED_XLWINGS)
    steps = excel_setup.setup(platform="darwin", home=tmp_path, check_only=True, executable="/py")
    conf = tmp_path / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    assert not conf.exists()
    assert [s.text for s in steps[2:]] == [
        f"INTERPRETER_MAC = /py in {conf} (not written)",
        "RunPython enabled: would run xlwings runpython install",
    ]


def test_setup_names_the_missing_or_wrong_xlwings(monkeypatch, tmp_path):
    monkeypatch.setattr(excel_setup, "_xlwings_version", lambda: "0.30.0")
    steps = excel_setup.setup(platform="win32", home=tmp_path)
    assert (
        not steps[-1].ok
        and "xlwings 0.30.0 is installed; the workbook needs 0.37.8" in steps[-1].text
    )
    assert 'pip install "practicebook[excel]"' in steps[-1].text
    assert not (tmp_path / ".xlwings").exists()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the plain statement for Linux")
def test_setup_command_says_plainly_what_linux_cannot_do():
    done = CliRunner().invoke(main, ["excel", "setup"])
    assert done.exit_code == 2
    assert "Excel's buttons run Python on Windows and macOS only" in done.output


def test_journey_new_macro_workbook_from_an_existing_one(tmp_path):
    old = tmp_path / "old.xlsx"
    practice = generate(300)
    practice.write(old)
    new = tmp_path / "new.xlsm"
    done = CliRunner().invoke(main, ["new", str(new), "--from", str(old)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"wrote {new} from old.xlsx: Clinicians 2, Clients ")
    with zipfile.ZipFile(new) as z:
        assert z.read("xl/vbaProject.bin") == VBA_PROJECT.read_bytes()
    before, after = api.load(old)[0], api.load(new)[0]
    assert after.settings == before.settings
    for sheet, frame in before.frames.items():
        assert after.frames[sheet].drop(columns="_row").equals(frame.drop(columns="_row")), sheet
    assert reconcile(after, "2026-12-31").balances.equals(reconcile(before, "2026-12-31").balances)


def test_journey_new_from_a_workbook_with_problems_lists_what_stays_behind(
    tmp_path, example_practice
):
    old = tmp_path / "damaged.xlsx"
    example_practice.write(old)
    new = tmp_path / "new.xlsm"
    done = CliRunner().invoke(main, ["new", str(new), "--from", str(old)])
    assert done.exit_code == 1
    left = [line for line in done.output.splitlines() if line.startswith("not carried: ")]
    _, issues = api.load(old)
    errors = [i for i in issues if i.is_error and i.where.row]
    assert len(left) >= len(errors) > 0
    assert all(f"not carried: {i.where}: {i.message}" in left for i in errors)
    names = {c["first_name"] for c in example_practice.rows["Clients"] if c.get("first_name")}
    assert not [n for n in names if n in done.output]  # IDs and cells only
    assert api.load(new)[0].frames["Clients"].shape[0] > 0


def test_new_from_refuses_itself(tmp_path):
    book = tmp_path / "same.xlsx"
    generate(50).write(book)
    done = CliRunner().invoke(main, ["new", str(book), "--from", str(book), "--force"])
    assert done.exit_code == 2 and "--from must name another workbook" in done.output


def test_example_macro_workbook_holds_the_example_practice():
    """examples/example-practice.xlsm: the example's data, with the current macros."""
    from tests.support.books import ROOT

    macro = ROOT / "examples" / "example-practice.xlsm"
    with zipfile.ZipFile(macro) as z:
        assert z.read("xl/vbaProject.bin") == VBA_PROJECT.read_bytes(), (
            "examples/example-practice.xlsm is stale: run python examples/make_examples.py"
        )
    plain, _ = api.load(ROOT / "examples" / "example-practice.xlsx")
    book, issues = api.load(macro)
    assert not [i for i in issues if i.is_error]
    assert reconcile(book, "2026-12-31").balances.equals(reconcile(plain, "2026-12-31").balances)
