"""Live-workbook values to raw tables and results to cell values (pure, no Excel)."""

from __future__ import annotations

import datetime as dt
import doctest
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from practicebook import api
from practicebook.frontends.excel import livebook
from practicebook.generate import generate
from practicebook.schema import WORKBOOK


def sheet_values(ws) -> list[list[object]]:
    """What xlwings' ``used_range.value`` gives on the desktop: Python values, None."""
    return [[c.value for c in row] for row in ws.iter_rows()]


@pytest.fixture(scope="module")
def practice_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "practice.xlsx"
    generate(60, problems=True).write(path)
    return path


def test_a_live_book_parses_exactly_like_the_file(practice_file):
    wb = openpyxl.load_workbook(practice_file)
    tables = [
        t
        for ws in wb.worksheets
        if (t := livebook.raw_table(ws.title, sheet_values(ws))) is not None
    ]
    assert {t.name for t in tables} == {s.name for s in WORKBOOK.sheets}
    live, live_issues = api.load_tables(tables)
    filed, file_issues = api.load(practice_file)
    assert live_issues == file_issues and len(file_issues) > 5
    for sheet in WORKBOOK.sheets:
        pd.testing.assert_frame_equal(
            live.frame(sheet.name).reset_index(drop=True),
            filed.frame(sheet.name).reset_index(drop=True),
            check_dtype=False,
        )
    assert live.settings == filed.settings


def test_header_below_titles_and_an_offset_used_range_keep_excel_positions():
    values = [
        ["Payments received", None, None, None],
        [None, None, None, None],
        ["Payment ID", "Received date", "Client ID", "Amount"],
        ["P1", dt.datetime(2026, 3, 2), "C1", 80.0],
        [None, None, None, None],
        ["P2", dt.datetime(2026, 3, 3), "C1", 5.0],
        ["", "  ", None, None],
    ]
    table = livebook.raw_table("payments", values, first_row=2, first_column=3)
    assert table.header_row == 4
    assert table.columns == (3, 4, 5, 6)
    assert table.headers == ("Payment ID", "Received date", "Client ID", "Amount")
    assert len(table.data) == 3  # the blank row inside stays, trailing blanks go
    assert table.data.iat[0, 3] == 80.0 and table.data.iat[1, 0] is None
    assert table.data.iat[2, 0] == "P2"
    assert table.excel_row(0) == 5


def test_one_row_and_one_cell_used_ranges_and_non_input_sheets():
    flat = livebook.raw_table("Clients", ["Client ID", "First name"])
    assert flat.headers == ("Client ID", "First name") and flat.data.empty
    assert livebook.raw_table("Clients", "Client ID").headers == ("Client ID",)
    assert livebook.raw_table("Balances", [["client_id"]]) is None
    nothing = livebook.raw_table("Clients", [["nothing"], ["here"]])
    assert not nothing.header_found and nothing.headers == () and nothing.data.empty


def test_aware_times_become_naive_wall_clock_and_blank_text_is_blank():
    utc = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
    table = livebook.raw_table(
        "Sessions", [["Session ID", "Scheduled start", "Memo"], ["S1", utc, "   "]]
    )
    assert table.data.iat[0, 1] == dt.datetime(2026, 3, 2, 14, 0)
    assert table.data.iat[0, 2] is None


def test_client_at_reads_the_client_column_of_any_sheet():
    balances = [["client_id", "charges"], ["C0001", 10.0], [42.0, 5.0]]
    assert livebook.client_at(balances, 1, 2) == "C0001"
    assert livebook.client_at(balances, 1, 3) == "42"
    assert livebook.client_at(balances, 1, 1) is None  # the header itself
    assert livebook.client_at(balances, 1, 9) is None
    assert livebook.client_at([["Session ID"], ["S1"]], 1, 2) is None
    assert livebook.client_at(balances, 5, 7) == "42"  # used range starting on row 5


def test_form_values_keep_filled_cells_by_field():
    values = [["C0001"], [None], ["  "], [50.0]]
    assert livebook.form_values(("client_id", "clinician_id", "memo", "minutes"), values) == {
        "client_id": "C0001",
        "minutes": 50.0,
    }
    with pytest.raises(ValueError):
        livebook.form_values(("a",), [[1], [2]])


def test_frame_grid_turns_minor_units_dates_and_text_into_cells():
    frame = pd.DataFrame(
        {
            "client_id": ["C1", "=cmd()"],
            "balance": pd.array([12345, -5], dtype="Int64"),
            "paid_on": pd.to_datetime(["2026-03-02", None]),
            "hours": [Decimal("4.5"), None],
            "count": np.array([1, 2]),
        }
    )
    grid = livebook.frame_grid(frame, "USD", money=("balance",), headers={"paid_on": "Paid"})
    assert grid.header == ["client_id", "balance", "Paid", "hours", "count"]
    assert grid.rows == [
        ["C1", 123.45, dt.date(2026, 3, 2), 4.5, 1],
        ["'=cmd()", -0.05, None, None, 2],
    ]
    assert grid.money == (1,) and grid.dates == (2,)
    assert type(grid.rows[0][4]) is int
    assert livebook.frame_grid(frame, "JPY", money=("balance",)).rows[0][1] == 12345.0


@pytest.mark.parametrize(
    "text, cell",
    [
        ("C0001", "C0001"),
        ("90834", "'90834"),
        ("-5", "'-5"),
        ("+1 555", "'+1 555"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("1,200.50", "'1,200.50"),
        ("late cancel 50%", "late cancel 50%"),
    ],
)
def test_text_cell_keeps_text_from_turning_into_formulas_or_numbers(text, cell):
    assert livebook.text_cell(text) == cell


def test_docstring_examples():
    result = doctest.testmod(livebook)
    assert result.attempted > 0 and result.failed == 0


def test_the_audit_log_reads_like_the_file_reader_gives_it():
    values = [["time", "actor", "hash"], ["2026-03-02T10:00:00", "T01", "ab"], [None, None, None]]
    table = livebook.audit_table("AuditLog", values)
    assert table.headers == ("time", "actor", "hash")
    assert table.data.to_numpy().tolist() == [["2026-03-02T10:00:00", "T01", "ab"]]
    assert livebook.audit_table("AuditLog", [[None, None]]) is None


def test_cell_row_pads_and_keeps_text_as_text():
    row = livebook.cell_row([Decimal("12.30"), "=1+1", dt.date(2026, 3, 2), 3], 6)
    assert row == [12.3, "'=1+1", dt.date(2026, 3, 2), 3, None, None]


def test_the_excel_adapter_without_xlwings_says_how_to_install_it():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['xlwings'] = None\n"
        "from practicebook.errors import MissingDependency\n"
        "try:\n    import practicebook.frontends.excel.macros\n"
        "except MissingDependency as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "xlwings" in done.stdout and "practicebook[excel]" in done.stdout


# --- the header rule, shared with the file reader -------------------------------------

CLIENT_ROW = ["C1", "Zqxfirst", "Zqxlast", "zqx@example.org", "Zqxmemo"]
LAYOUTS = {
    # name: (sheet, rows from row 1, expected header row or None, expected last row searched)
    "at the top": ("Clients", [["Client ID", "First name", "Last name"], CLIENT_ROW[:3]], 1, 1),
    "below a title": (
        "Payments",
        [["Payments received"], [], ["Payment ID", "Received date", "Client ID", "Amount"]],
        3,
        3,
    ),
    "deleted: a data row on top": ("Clients", [CLIENT_ROW, CLIENT_ROW], None, 1),
    "sorted into the data": (
        "Clients",
        [CLIENT_ROW, ["Client ID", "First name", "Last name"], CLIENT_ROW],
        None,
        1,
    ),
    "with the user's own columns": (
        "Clients",
        [["Client ID", "First name", "Last name", "Referral", "Insurer", "Notes", "Pronouns"]],
        1,
        1,
    ),
    "a required column deleted": (
        "Sessions",
        [["Session ID", "Client ID", "Scheduled start", "Room", "Notes"]],
        1,
        1,
    ),
    "the two-column Practice sheet": ("Practice", [["Key", "Value"], ["currency", "USD"]], 1, 1),
    "too far down": ("Clients", [[]] * 24 + [["Client ID", "First name", "Last name"]], None, 20),
    "one column left": ("Clients", [["Client ID"], ["C1"]], 1, 1),
    "a client named after two columns": (
        "Clients",
        [["C1", "Email", "Phone", "Zqxmemo"]],
        None,
        1,
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_the_header_rule_is_the_same_in_the_live_book_and_the_file(layout, tmp_path):
    import xlsxwriter

    from practicebook.workbook.reader import read_workbook

    name, rows, header, last = LAYOUTS[layout]
    live = livebook.raw_table(name, [list(r) for r in rows])
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(name)
    for i, row in enumerate(rows):
        ws.write_row(i, 0, row)
    wb.close()
    filed = next(t for t in read_workbook(path, audit=False)[1] if t.name == name)
    for table in (live, filed):
        assert table.header_found == (header is not None)
        if header is None:
            assert table.header_row == last
            assert table.headers == () and table.data.empty and not table.raw_cells
        else:
            assert table.header_row == header
            assert table.headers == tuple(str(v) for v in rows[header - 1] if v)
            data = table.data.astype(object).where(table.data.notna(), None)
            body = [[v for v in r if v is not None] for r in data.to_numpy().tolist()]
            assert [r for r in body if r] == [list(r) for r in rows[header:] if r]
    assert (live.header_row, live.headers) == (filed.header_row, filed.headers)


def test_no_cell_of_a_sheet_without_header_reaches_any_message(tmp_path):
    import xlsxwriter

    path = tmp_path / "noheader.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Clients")
    ws.write_row(0, 0, CLIENT_ROW)
    ws.write_row(1, 0, ["C2", "Zqxsecond", "Zqxother", "x@y.z", "Zqxnote"])
    wb.close()
    _, issues = api.load(path)
    text = " ".join(f"{i.where} {i.message} {i.hint}" for i in issues)
    assert "Zqx" not in text and "@" not in text
    _, live_issues = api.load_tables([livebook.raw_table("Clients", [CLIENT_ROW])])
    assert "Zqx" not in " ".join(i.message for i in live_issues)


def test_names_and_headers_from_a_live_book_are_printable():
    table = livebook.raw_table(
        "Clients", [["Client\nID", "First\tname", "Last name", "Pay\x1b[31mnote\u202e"]]
    )
    assert table.headers == ("Client ID", "First name", "Last name", "Pay\ufffd[31mnote\ufffd")
    assert all(h.isprintable() for h in table.headers)
