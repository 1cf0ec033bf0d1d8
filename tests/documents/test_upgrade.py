"""``upgrade``: a version 1 workbook gains the version 2 columns, sheets and settings rows,
and nothing else changes (every other part byte-identical, the same figures)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter

import practicebook
from practicebook import documents
from practicebook.schema import SCHEMA_PROPERTY, WORKBOOK
from practicebook.workbook import ooxml
from tests.documents.helpers import SETTINGS
from tests.support.textables import read_tables

#: What schema version 2 added to the sheets version 1 had (written out by hand).
V2_COLUMNS = {
    "Clinicians": ["license_state", "registration_body", "registration_number"],
    "Clients": ["address_line1", "address_line2", "city", "region", "postal_code", "country"],
    "Services": ["category"],
    "Sessions": ["place_of_service", "modifiers"],
    "Payments": ["processor", "processor_fee", "payout_id", "deposit_date"],
}
V2_SETTINGS = [
    "payment_instructions",
    "statement_footer",
    "document_prefix",
    "tax_registration",
    "paper_size",
    "place_of_service",
]
V1_TABLES = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 150      |
## Policies
| policy_id | notice_hours |
| POL       | 24           |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-09 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-03-03    | C1        | 100    |
"""


def version_1_book(path: Path) -> Path:
    """A workbook as version 1 wrote it: its sheets, without the version 2 columns."""
    data = {t.name: t for t in read_tables(V1_TABLES)}
    wb = xlsxwriter.Workbook(str(path))
    practice = wb.add_worksheet("Practice")
    keys = [s.key for s in WORKBOOK.settings if s.key not in V2_SETTINGS]
    practice.write_row(0, 0, ["Key", "Value"])
    for r, key in enumerate(keys, start=1):
        practice.write_row(r, 0, [key, str(SETTINGS.get(key, "")) or None])
    practice.add_table(
        0,
        0,
        len(keys),
        1,
        {
            "name": "Practice",
            "header_row": True,
            "columns": [{"header": "Key"}, {"header": "Value"}],
        },
    )
    for sheet in WORKBOOK.sheets:
        if sheet.since > 1 or sheet.name == "Practice":
            continue
        ws = wb.add_worksheet(sheet.name)
        columns = [c for c in sheet.columns if c.key not in V2_COLUMNS.get(sheet.name, [])]
        table = data.get(sheet.name)
        rows = []
        if table is not None:
            at = {sheet.match(h).key: i for i, h in enumerate(table.headers)}
            for values in table.data.itertuples(index=False):
                rows.append([values[at[c.key]] if c.key in at else None for c in columns])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        ws.add_table(
            0,
            0,
            max(len(rows), 1),
            len(columns) - 1,
            {"name": sheet.name, "columns": [{"header": c.header} for c in columns]},
        )
    wb.set_custom_property(SCHEMA_PROPERTY, "1")
    wb.close()
    return path


def test_upgrade_adds_exactly_what_version_2_added(tmp_path):
    path = version_1_book(tmp_path / "old.xlsx")
    before = path.read_bytes()
    done = documents.upgrade(path)
    assert done.written
    assert dict(done.columns) == V2_COLUMNS
    assert done.sheets == [s.name for s in WORKBOOK.sheets if s.since > 1]
    assert done.settings == V2_SETTINGS
    book, issues = practicebook.load(path)
    assert not [i for i in issues if i.is_error], issues
    assert book.schema_version == 2
    for sheet in WORKBOOK.sheets:
        assert set(book.layouts[sheet.name].column_of) == set(sheet.keys), sheet.name
    after = path.read_bytes()
    changed = ooxml.changed_members(before, after)
    untouched = {"Rates", "Policies", "PolicyTiers", "Adjustments"}
    parts = _sheet_parts(before)
    assert not changed & {parts[name] for name in untouched}
    wb = openpyxl.load_workbook(io.BytesIO(after))
    clients = wb["Clients"]
    assert clients.tables["Clients"].ref == "A1:T2"
    assert [c.value for c in clients[1]][-6:] == [
        "Address line1",
        "Address line2",
        "City",
        "Region",
        "Postal code",
        "Country",
    ]
    log = ooxml.read_sheet(after, "AuditLog")
    assert [r[5] for r in log[1:]] == ["upgrade"]


def test_upgrade_changes_no_figure_and_a_second_run_writes_nothing(tmp_path):
    path = version_1_book(tmp_path / "old.xlsx")
    old_book, _ = practicebook.load(path)
    documents.upgrade(path)
    new_book, _ = practicebook.load(path)
    old = practicebook.reconcile(old_book, "2026-03-31").to_dict()
    new = practicebook.reconcile(new_book, "2026-03-31").to_dict()
    assert old == new
    upgraded = path.read_bytes()
    again = documents.upgrade(path)
    assert not again.written and path.read_bytes() == upgraded


def _sheet_parts(package: bytes) -> dict[str, str]:
    """Sheet name -> worksheet part, from the workbook part and its relationships."""
    import re

    with zipfile.ZipFile(io.BytesIO(package)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="(rId\d+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', workbook):
        out[name] = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
    return out
