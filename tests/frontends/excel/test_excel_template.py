"""The macro workbook: built from text, macros and buttons in place, formulas right."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.frontends.cli import main
from practicebook.frontends.excel.build import (
    MACRO_MODULE,
    VBA_PROJECT,
    VBA_SOURCE,
    build_vba_project,
)
from practicebook.generate import generate
from practicebook.issues import column_letter
from practicebook.schema import home
from practicebook.workbook.template import describe_workbook, write_workbook
from tests.support.books import ROOT

pyopenvba = pytest.importorskip("pyopenvba", reason="the excel extra is not installed")

TEMPLATE = ROOT / "templates" / "practicebook.xlsm"
MACRO_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def test_shipped_vba_project_is_the_build_of_the_text_sources(tmp_path):
    built = build_vba_project(VBA_SOURCE, tmp_path)
    assert built == VBA_PROJECT.read_bytes(), (
        "the shipped vbaProject.bin is stale: run python -m practicebook.frontends.excel.build"
    )


def test_committed_template_matches_a_fresh_build(tmp_path):
    fresh = tmp_path / "fresh.xlsm"
    api.new_workbook(fresh)
    assert describe_workbook(TEMPLATE) == describe_workbook(fresh)

    def home_cells(path):
        ws = openpyxl.load_workbook(path)["Home"]
        return [getattr(c.value, "text", c.value) for row in ws.iter_rows() for c in row]

    assert home_cells(TEMPLATE) == home_cells(fresh), (
        "templates/practicebook.xlsm is stale: run python -m practicebook.frontends.excel.build"
    )
    with zipfile.ZipFile(TEMPLATE) as z:
        assert z.read("xl/vbaProject.bin") == VBA_PROJECT.read_bytes()


def test_vba_project_has_no_compile_cache_like_xlwings_own_xlsm():
    olefile = pytest.importorskip("olefile")
    xlwings = pytest.importorskip("xlwings")
    known_good = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(known_good) as z:
        theirs = olefile.OleFileIO(z.read("xl/vbaProject.bin")).openstream("VBA/_VBA_PROJECT")
    with zipfile.ZipFile(TEMPLATE) as z:
        ours = olefile.OleFileIO(z.read("xl/vbaProject.bin")).openstream("VBA/_VBA_PROJECT")
    expected = theirs.read()
    assert expected[2:4] == b"\xff\xff" and len(expected) == 7  # version 0xFFFF, no cache
    assert ours.read() == expected


def test_template_is_macro_enabled_with_every_macro_sub():
    with zipfile.ZipFile(TEMPLATE) as z:
        types = z.read("[Content_Types].xml").decode()
    assert f'PartName="/xl/workbook.xml" ContentType="{MACRO_TYPE}"' in types
    with pyopenvba.ExcelFile(TEMPLATE) as wb:
        assert wb.validate() == []
        assert {"ThisWorkbook", MACRO_MODULE, "xlwings", "Dictionary"} <= set(wb.module_names())
        code = wb.get_module(MACRO_MODULE)
        runpython = wb.get_module("xlwings")
    subs = re.findall(r"^Public Sub (\w+)\(\)\n(.*?)^End Sub", code, re.M | re.S)
    entries = [(sub, re.findall(r'RunEntry "(\w+)"', body)) for sub, body in subs]
    assert entries == [(m.sub, [m.entry]) for m in home.MACROS]
    assert 'RunPython "import practicebook.frontends.excel as pb; pb." & entry & "()"' in code
    assert "Public Function RunPython(" in runpython
    assert 'XLWINGS_VERSION As String = "0.37.8"' in runpython


def test_import_bank_file_asks_for_the_file_in_the_forms_cell():
    """The sub fills the form's file cell from Excel's file dialog when it is blank."""
    code = (VBA_SOURCE / f"{MACRO_MODULE}.bas").read_text(encoding="utf-8")
    body = code[code.index("Public Sub ImportBankFile()") :].split("End Sub")[0]
    row, col = home.BANK_FORM.value_cell("statement_file")
    cell = f'Worksheets("{home.HOME}").Range("{column_letter(col)}{row}")'
    assert body.count(cell) == 2 and "Application.GetOpenFilename(" in body


def test_every_macro_calls_an_entry_point_that_exists():
    excel = pytest.importorskip("practicebook.frontends.excel")
    for macro in home.MACROS:
        assert callable(getattr(excel, macro.entry)), macro.entry


def test_home_buttons_are_bound_to_the_macros():
    with zipfile.ZipFile(TEMPLATE) as z:
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    on_home = home.macros_on("Home")
    assert re.findall(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", vml) == [f"[0]!{m.sub}" for m in on_home]
    captions = re.findall(r"<font [^>]*>(.*?)</font>", vml)
    assert captions == [m.caption for m in on_home]
    assert 'codeName="ThisWorkbook"' in workbook
    assert openpyxl.load_workbook(TEMPLATE, read_only=True).sheetnames[0] == "Home"


def test_home_formulas_follow_the_tables_and_cover_the_clients():
    ws = openpyxl.load_workbook(TEMPLATE)["Home"]
    first = home.BALANCE_HEADER_ROW + 1
    assert [c.value for c in ws[home.BALANCE_HEADER_ROW]][:8] == list(home.BALANCE_COLUMNS)
    assert "Balance" not in [c.value for c in ws[home.BALANCE_HEADER_ROW]]
    assert ws.cell(first, 1).value == (
        '=IFERROR(IF(INDEX(Clients[Client ID],1)="","",INDEX(Clients[Client ID],1)),"")'
    )
    paid = (
        f'Payments[Amount],Payments[Client ID],$A{first},Payments[Received date],"<"&(INT($B$19)+1)'
    )
    assert ws.cell(first, 3).value == f'=IF($A{first}="","",ROUND(SUMIFS({paid}),2)-D{first})'
    assert ws.cell(first, 6).value == (
        f'=IF($A{first}="","",ROUND(B{first}-C{first}+D{first}+E{first},2))'
    )
    # no whole-column references: every range is a column of an input table
    table = ws.iter_rows(min_row=first, max_col=home.LEFT_OUT_COLUMN)
    formulas = [c.value for row in table for c in row if c.value]
    assert not [f for f in formulas if re.search(r"(?<![!\w])\$?[A-Z]+:\$?[A-Z]+\b", f)]
    rows = home.SPARE_ROWS  # the template has no client yet
    assert len(formulas) == 9 * rows
    assert ws.cell(first + rows - 1, 1).value.startswith(
        f"=IFERROR(IF(INDEX(Clients[Client ID],{rows})"
    )
    assert str(ws.cell(*home.OVERFLOW_CELL).value).startswith(
        f"=IF(ROWS(Clients[Client ID])>{rows},"
    )
    volatile = re.compile(r"\b(TODAY|NOW|OFFSET|RAND|RANDBETWEEN|CELL|INFO)\(")
    assert not [f for f in formulas if volatile.search(f)]
    note = " ".join(str(c.value) for row in ws.iter_rows(max_row=first) for c in row if c.value)
    assert "cancellation policy" in note and "Reconcile" in note and "≈" in note
    assert ws.column_dimensions[column_letter(home.LEFT_OUT_COLUMN)].hidden


def test_new_command_writes_the_macro_workbook_for_xlsm(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main, ["new", str(tmp_path / "mine.xlsm"), "--currency", "EUR", "--locale", "de_DE"]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "mine.xlsm") as z:
        assert z.read("xl/vbaProject.bin") == VBA_PROJECT.read_bytes()
        assert MACRO_TYPE in z.read("[Content_Types].xml").decode()
    book, issues = api.load(tmp_path / "mine.xlsm")
    assert book.settings.currency == "EUR" and not [i for i in issues if i.is_error]
    result = runner.invoke(main, ["new", str(tmp_path / "plain.xlsx")])
    assert result.exit_code == 0
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as z:
        assert "xl/vbaProject.bin" not in z.namelist()


# --- LibreOffice -------------------------------------------------------------------

RECALC_ITEM = (
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="{}" '
    'oor:op="fuse"><value>0</value></prop></item>'
)
RECALC = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items '
    'xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + "\n".join(RECALC_ITEM.format(n) for n in ("OOXMLRecalcMode", "ODFRecalcMode"))
    + "\n</oor:items>\n"
)


@pytest.fixture(scope="module")
def recalc_convert(tmp_path_factory):
    """LibreOffice headless with a profile that recalculates every formula on load."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice is not installed (scripts/install-test-deps installs it)")
    profile = tmp_path_factory.mktemp("lo-recalc")
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC, encoding="utf-8")

    def convert(path: Path, to: str, outdir: Path) -> Path:
        out = outdir / f"{path.stem}.{to.split(':')[0]}"
        subprocess.run(
            [
                exe,
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env={"PATH": "/usr/bin:/bin", "HOME": str(profile)},
        )
        assert out.exists(), f"LibreOffice did not convert {path.name}"
        return out

    return convert


@pytest.mark.slow
def test_libreoffice_opens_the_template_with_its_macros_and_buttons(recalc_convert, tmp_path):
    ods = recalc_convert(TEMPLATE, "ods", tmp_path)
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
        names = z.namelist()
    assert any(n.startswith("Basic/VBAProject/PracticeBook") for n in names)
    bound = re.findall(r"vnd\.sun\.star\.script:VBAProject\.(\w+)\.(\w+)", content)
    sheets = openpyxl.load_workbook(TEMPLATE, read_only=True).sheetnames
    expected = [m.sub for sheet in sheets for m in home.macros_on(sheet)]
    assert [sub for module, sub in bound if module == MACRO_MODULE] == expected
    assert set(expected) == {m.sub for m in home.MACROS}
    assert 'table:name="Home"' in content


FIRST_LINE = home.BALANCE_HEADER_ROW + 1
FEE_STATUSES = ("late_cancelled", "no_show")


def write_book(practice, path: Path) -> Path:
    write_workbook(
        path, practice.rows, settings=practice.settings, vba_project=VBA_PROJECT.read_bytes()
    )
    return path


def expressible(practice):
    """The practice without what formulas cannot express: no rates, no cancellation a
    fee could be charged for (the Services rows keep their dated periods)."""
    practice.rows["Rates"] = []
    for session in practice.rows["Sessions"]:
        if session["status"] in (*FEE_STATUSES, "cancelled", "clinician_cancelled"):
            session.update(status="cancelled", cancel_requested_at=None)
    return practice


def home_lines(path: Path) -> tuple[Any, dict[str, tuple]]:
    """The Home sheet and its formula lines by client (as cached in ``path``)."""
    ws = openpyxl.load_workbook(path, data_only=True)["Home"]
    lines = {}
    for row in ws.iter_rows(min_row=FIRST_LINE, max_col=home.LEFT_OUT_COLUMN, values_only=True):
        if row[0]:
            lines[row[0]] = row
    return ws, lines


def assert_agrees_with_the_core(lines, rec) -> dict[str, str]:
    """Every figure the table claims to cover equals the core's, to the cent; returns
    what each client's line says it leaves out."""
    charges = rec.charges
    session = charges[charges["kind"] == "session"].groupby("client_id")["amount"].sum()
    fees = charges[charges["kind"] != "session"].groupby("client_id")["amount"].sum()
    assert set(lines) == set(rec.balances["client_id"])
    left = {}
    for r in rec.balances.itertuples():
        line = lines[r.client_id]
        got = [Decimal(str(v)) for v in line[1:6]]
        left_out = line[home.LEFT_OUT_COLUMN - 1] or ""
        left[r.client_id] = left_out
        assert got[1:4] == [r.payments, r.refunds, r.adjustments], r.client_id
        if "rates" not in left_out and "overlapping" not in left_out:
            assert got[0] == session.get(r.client_id, 0), r.client_id
        if left_out:
            assert line[6] == "estimate: leaves out " + left_out[2:]
        else:
            assert line[6] == "exact" and got[4] == r.balance, r.client_id
        if left_out == ", late-cancel and no-show fees":
            assert got[4] == r.balance - fees.get(r.client_id, 0), r.client_id
    return left


@pytest.mark.slow
def test_recalculated_formula_balances_equal_the_core(recalc_convert, tmp_path):
    today = dt.date.today()  # the As-of cell is =TODAY()
    # the example: two 90834 rows (140.00 to 2026-06-30, 150.00 from 2026-07-01)
    example = write_book(generate(600), tmp_path / "example.xlsm")
    book, _ = api.load(example)
    rec = reconcile(book, today)
    _, lines = home_lines(recalc_convert(example, "xlsx", tmp_path / "example"))
    left = assert_agrees_with_the_core(lines, rec)
    both_periods = {
        s["client_id"]
        for s in generate(600).rows["Sessions"]
        if s["service_code"] == "90834" and s["status"] == "attended"
    }
    checked = [c for c, out in left.items() if "rates" not in out and c in both_periods]
    assert checked, "no client's 90834 sessions were checked across the two fee periods"
    # the cached values are the recalculated ones: a viewer that does not recalculate
    _, cached = home_lines(example)

    def shown(line):
        return tuple("" if v is None else v for v in line)

    assert {c: shown(line) for c, line in cached.items()} == {
        c: shown(line) for c, line in lines.items()
    }
    # a book the formulas can express entirely: every balance exact
    plain = write_book(expressible(generate(300, seed=7)), tmp_path / "plain.xlsm")
    book, _ = api.load(plain)
    rec = reconcile(book, today)
    _, lines = home_lines(recalc_convert(plain, "xlsx", tmp_path / "plain"))
    assert set(assert_agrees_with_the_core(lines, rec).values()) == {""}
    assert len(lines) >= 5 and any(int(v) for v in rec.balances["refunds"])
    assert any(int(v) for v in rec.balances["adjustments"])


@pytest.mark.slow
def test_overlapping_services_rows_make_every_line_an_estimate(recalc_convert, tmp_path):
    practice = expressible(generate(120, seed=3))
    row = next(s for s in practice.rows["Services"] if s["service_code"] == "90834")
    practice.rows["Services"].append({**row, "base_fee": Decimal("1.00"), "effective_to": None})
    source = write_book(practice, tmp_path / "overlap.xlsm")
    ws, lines = home_lines(recalc_convert(source, "xlsx", tmp_path / "out"))
    assert ws.cell(*home.OVERLAP_CELL).value > 0
    assert {line[home.LEFT_OUT_COLUMN - 1] for line in lines.values()} == {
        ", overlapping Services rows"
    }
    assert home_lines(source)[0].cell(*home.OVERLAP_CELL).value == ws.cell(*home.OVERLAP_CELL).value


@pytest.mark.slow
def test_last_reconciled_balance_shows_beside_the_formula(recalc_convert, tmp_path):
    source = write_book(generate(150), tmp_path / "book.xlsm")
    assert (
        CliRunner()
        .invoke(main, ["reconcile", str(source), "--as-of", "2026-09-30", "--write"])
        .exit_code
        == 0
    )
    book, _ = api.load(source)
    rec = reconcile(book, "2026-09-30")
    ws, lines = home_lines(recalc_convert(source, "xlsx", tmp_path / "out"))
    assert ws.cell(*home.LAST_RECONCILED_CELL).value == "as of Sep 30, 2026"
    got = {c: Decimal(str(line[7])) for c, line in lines.items()}
    assert got == dict(zip(rec.balances["client_id"], rec.balances["balance"], strict=True))


def test_home_forms_offer_the_sheets_dropdowns():
    ws = openpyxl.load_workbook(TEMPLATE)["Home"]
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    form = home.FORMS["Sessions"]
    status = by_cell["B12"]
    assert form.value_cell("status") == (12, 2)
    assert status.type == "list" and status.formula1.startswith("Lists!$")
    client = by_cell["B7"]
    assert client.type == "list" and client.formula1 == "'Clients'!$A$2:$A$100000"
    method = by_cell["E10"]
    assert home.FORMS["Payments"].value_cell("method") == (10, 5)
    assert method.type == "list" and method.promptTitle == "Method"


def test_home_areas_do_not_overlap():
    ws = openpyxl.load_workbook(TEMPLATE)["Home"]
    for form in home.FORMS.values():
        row, col = form.status_cell
        assert ws.cell(row, col).value is None and row < home.AS_OF_CELL[0] - 2
        first, _, column = form.value_range
        assert ws.cell(first - 1, column - 1).value == form.title
    assert ws.cell(*home.AS_OF_CELL).value == "=TODAY()"
    assert ws.cell(home.AS_OF_CELL[0] - 2, 1).value == "Balances by formula (no Python needed)"
