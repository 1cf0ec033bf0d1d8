"""The template is generated from the schema, and a real spreadsheet engine opens it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from practicebook import api
from practicebook.schema import LISTS_SHEET, WORKBOOK
from practicebook.workbook.template import describe_workbook, write_workbook
from tests.support.books import ROOT

TEMPLATE = ROOT / "templates" / "practicebook.xlsx"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "new.xlsx"
    api.new_workbook(path)
    return path


def test_checked_in_template_matches_the_schema(fresh):
    assert describe_workbook(TEMPLATE) == describe_workbook(fresh), (
        "templates/practicebook.xlsx is stale: run python examples/make_examples.py"
    )


def test_every_input_sheet_is_a_table_with_the_schema_headers(fresh):
    wb = openpyxl.load_workbook(fresh)
    for sheet in WORKBOOK.sheets:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == [col.header for col in sheet.columns]
        assert list(ws.tables) == [sheet.name]
        assert ws.freeze_panes == "A2"
    assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_dropdowns_messages_and_formats_come_from_the_schema(tmp_path):
    path = tmp_path / "cad.xlsx"
    api.new_workbook(path, currency="CAD", locale="fr_CA")
    ws = openpyxl.load_workbook(path)["Sessions"]
    by_cell = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    status = by_cell["H2"]  # Status
    assert status.type == "list" and status.formula1.startswith("Lists!")
    assert "One of: scheduled" in status.prompt
    client = by_cell["B2"]
    assert client.formula1.startswith("'Clients'!$A$2")
    start = by_cell["E2"]
    assert start.promptTitle == "Scheduled start" and "time zone" in start.prompt
    services = openpyxl.load_workbook(path)["Services"]
    fee_col = [c.key for c in WORKBOOK.sheet("Services").columns].index("base_fee") + 1
    letter = openpyxl.utils.get_column_letter(fee_col)
    assert '"$"' in services.column_dimensions[letter].number_format


def test_settings_and_schema_version_are_recorded(tmp_path):
    path = tmp_path / "cad.xlsx"
    api.new_workbook(path, currency="CAD", locale="en_CA", timezone="America/Toronto")
    book, issues = api.load(path)
    assert (book.settings.currency, book.settings.locale, book.settings.timezone) == (
        "CAD",
        "en_CA",
        "America/Toronto",
    )
    assert book.schema_version == WORKBOOK.version
    assert not issues


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    path = tmp_path / "inj.xlsx"
    payload = '=HYPERLINK("http://example.invalid","x")'
    write_workbook(
        path,
        {
            "Clients": [
                {"client_id": "C1", "first_name": payload, "last_name": "+1", "email": "@SUM(A1)"}
            ]
        },
    )
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in s for s in sheets)
    ws = openpyxl.load_workbook(path)["Clients"]
    assert [ws["B2"].value, ws["C2"].value, ws["E2"].value] == [payload, "+1", "@SUM(A1)"]


@pytest.mark.slow
def test_libreoffice_opens_the_template(soffice, tmp_path):
    out = soffice(TEMPLATE, "csv", tmp_path)
    text = out.read_text(encoding="utf-8", errors="replace")
    assert "practice_name" in text  # the first sheet (Practice) made it through
