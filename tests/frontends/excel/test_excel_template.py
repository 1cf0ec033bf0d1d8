"""The macro workbook: built from text, macros and buttons in place, formulas right."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

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
        return [c.value for row in ws.iter_rows() for c in row]

    assert home_cells(TEMPLATE) == home_cells(fresh), (
        "templates/practicebook.xlsm is stale: run python -m practicebook.frontends.excel.build"
    )
    with zipfile.ZipFile(TEMPLATE) as z:
        assert z.read("xl/vbaProject.bin") == VBA_PROJECT.read_bytes()


def test_template_is_macro_enabled_with_every_macro_sub():
    with zipfile.ZipFile(TEMPLATE) as z:
        types = z.read("[Content_Types].xml").decode()
    assert f'PartName="/xl/workbook.xml" ContentType="{MACRO_TYPE}"' in types
    with pyopenvba.ExcelFile(TEMPLATE) as wb:
        assert wb.validate() == []
        assert {"ThisWorkbook", MACRO_MODULE, "xlwings", "Dictionary"} <= set(wb.module_names())
        code = wb.get_module(MACRO_MODULE)
        runpython = wb.get_module("xlwings")
    subs = re.findall(r"^Public Sub (\w+)\(\)\s*\n\s*RunEntry \"(\w+)\"", code, re.M)
    assert subs == [(m.sub, m.entry) for m in home.MACROS]
    assert 'RunPython "import practicebook.frontends.excel as pb; pb." & entry & "()"' in code
    assert "Public Function RunPython(" in runpython
    assert 'XLWINGS_VERSION As String = "0.37.8"' in runpython


def test_every_macro_calls_an_entry_point_that_exists():
    excel = pytest.importorskip("practicebook.frontends.excel")
    for macro in home.MACROS:
        assert callable(getattr(excel, macro.entry)), macro.entry


def test_home_buttons_are_bound_to_the_macros():
    with zipfile.ZipFile(TEMPLATE) as z:
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    assert re.findall(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", vml) == [
        f"[0]!{m.sub}" for m in home.MACROS
    ]
    captions = re.findall(r"<font [^>]*>(.*?)</font>", vml)
    assert captions == [m.caption for m in home.MACROS]
    assert 'codeName="ThisWorkbook"' in workbook
    assert openpyxl.load_workbook(TEMPLATE, read_only=True).sheetnames[0] == "Home"


def test_home_formulas_are_plain_and_cover_the_clients():
    wb = openpyxl.load_workbook(TEMPLATE)
    ws = wb["Home"]
    first = home.BALANCE_HEADER_ROW + 1
    assert [c.value for c in ws[home.BALANCE_HEADER_ROW]][:6] == list(home.BALANCE_COLUMNS)
    assert ws.cell(first, 1).value == '=IF(Clients!$A2="","",Clients!$A2)'
    paid = f'Payments!$G:$G,Payments!$C:$C,$A{first},Payments!$B:$B,"<="&$B$19'
    assert ws.cell(first, 3).value == (
        f'=IF($A{first}="","",SUMIFS({paid})-SUMIFS({paid},Payments!$D:$D,"refund"))'
    )
    assert ws.cell(first, 6).value == f'=IF($A{first}="","",B{first}-C{first}+D{first}+E{first})'
    matches_empty = re.compile(r':\$[A-Z]+,(""|"<>\w)')  # criteria that scan whole columns
    assert not [f for f in home.balance_formulas(first) if matches_empty.search(f)]
    assert matches_empty.search('SUMIFS(A:A,D:$D,"<>refund")')
    last = first + home.FORMULA_CLIENTS - 1
    assert (
        ws.cell(last, 1).value == f'=IF(Clients!$A{last - first + 2}="","",'
        f"Clients!$A{last - first + 2})"
    )
    formulas = [c.value for row in ws.iter_rows(min_row=first) for c in row if c.value]
    assert len(formulas) == 6 * home.FORMULA_CLIENTS
    volatile = re.compile(r"\b(TODAY|NOW|INDIRECT|OFFSET|RAND|RANDBETWEEN|CELL|INFO)\(")
    assert not [f for f in formulas if volatile.search(f)]
    note = " ".join(str(c.value) for row in ws.iter_rows(max_row=first) for c in row if c.value)
    assert "cancellation policy" in note and "Reconcile" in note


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
    assert [sub for module, sub in bound if module == MACRO_MODULE] == [m.sub for m in home.MACROS]
    assert 'table:name="Home"' in content


def formula_example(path: Path):
    """A practice the formulas can express: no client or clinician rates, one fee per
    service code; one session has a fee override."""
    practice = generate(150)
    practice.rows["Rates"] = []
    services, seen = [], set()
    for row in practice.rows["Services"]:
        if row["service_code"] not in seen:
            seen.add(row["service_code"])
            services.append({**row, "effective_to": None})
    practice.rows["Services"] = services
    attended = next(s for s in practice.rows["Sessions"] if s["status"] == "attended")
    attended["fee_override"] = Decimal("77.50")
    write_workbook(
        path, practice.rows, settings=practice.settings, vba_project=VBA_PROJECT.read_bytes()
    )
    return practice


@pytest.mark.slow
def test_recalculated_formula_balances_equal_the_core(recalc_convert, tmp_path):
    source = tmp_path / "formulas.xlsm"
    formula_example(source)
    book, _ = api.load(source)
    rec = reconcile(book, "2099-12-31")
    out = recalc_convert(source, "xlsx", tmp_path / "out")
    ws = openpyxl.load_workbook(out, data_only=True)["Home"]
    got = {}
    for row in ws.iter_rows(min_row=home.BALANCE_HEADER_ROW + 1, max_col=6, values_only=True):
        if row[0]:
            got[row[0]] = [Decimal(str(round(v, 2))) for v in row[1:]]
    charges = rec.charges
    session = charges[charges["kind"] == "session"].groupby("client_id")["amount"].sum()
    fees = charges[charges["kind"] != "session"].groupby("client_id")["amount"].sum()
    assert len(got) == len(rec.balances) >= 5
    cents = Decimal("0.01")
    for r in rec.balances.itertuples():
        expected = [
            int(session.get(r.client_id, 0)),
            int(r.payments),
            int(r.refunds),
            int(r.adjustments),
            int(r.balance) - int(fees.get(r.client_id, 0)),
        ]
        assert got[r.client_id] == [Decimal(v) * cents for v in expected], r.client_id
    assert sum(int(v) for v in fees) > 0  # the policy fees are what the formulas leave out
    assert any(int(v) for v in rec.balances["refunds"])
    assert any(int(v) for v in rec.balances["adjustments"])


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
    assert ws.cell(*home.AS_OF_CELL).value.year == 2099
    assert ws.cell(home.AS_OF_CELL[0] - 2, 1).value == "Balances by formula (no Python needed)"
