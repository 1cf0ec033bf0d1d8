"""The Excel macros against xlwings' own remote engine.

Each test builds the JSON the VBA client sends for a practicebook workbook, runs the
macro on ``xw.Book(json=...)`` and checks the actions the client would replay: sheets
added, values and formats written, the selected cell. ``XLWINGS_LICENSE_KEY`` is set to
``noncommercial`` in ``conftest.py`` (the remote engine lives in xlwings/pro).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook import api
from practicebook.core import entry
from practicebook.frontends import excel
from practicebook.frontends.excel import livebook, macros
from practicebook.frontends.excel.build import vba_project
from practicebook.generate import generate
from practicebook.render.sheets import RESULT_SHEETS, result_sheets
from practicebook.schema import home
from practicebook.workbook.template import write_workbook
from tests.support.excel_payload import payload

AS_OF = "2026-12-31"
MONEY = '"$"#,##0.00;-"$"#,##0.00'


def vba_actions() -> set[str]:
    """The actions xlwings' VBA client replays (its ``Remote.bas`` subs)."""
    text = (Path(xw.__file__).parent / "addin" / "Remote.bas").read_text(encoding="latin-1")
    return set(re.findall(r"^Sub (\w+)\(wb As Workbook, action As Dictionary\)", text, re.M))


def run(path: Path, macro, *args, **kwargs):
    """Open the payload, run the macro; return its result and the replayed actions."""
    book = xw.Book(json=payload(path, **kwargs))
    try:
        result = macro(book, *args)
        return result, book.json()["actions"]
    finally:
        book.close()


def sheet_index(path: Path, name: str) -> int:
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True).sheetnames.index(name)


def _as_sent(value):
    """A cell value as the remote engine serialises it for the client."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def values_at(actions, position: int, row: int | None = None):
    for a in actions:
        if (
            a["func"] == "setValues"
            and a["sheet_position"] == position
            and (row is None or a["start_row"] == row)
        ):
            return a["values"]
    raise AssertionError(f"no values written to sheet {position} row {row}")


def test_every_action_is_one_the_vba_client_replays(book_path):
    allowed = vba_actions()
    assert {"setValues", "addSheet", "rangeSelect", "alert"} <= allowed
    for macro, kwargs in [
        (excel.reconcile, {}),
        (excel.check_workbook, {}),
        (excel.explain_balance, {"active": "Clients", "selection": "A2"}),
        (excel.mark_cancellation, {"active": "Sessions", "selection": "A3"}),
        (excel.preview_cancellation, {"active": "Home", "selection": "H6"}),
        (excel.statement, {"active": "Clients", "selection": "A3"}),
        (excel.match_deposits, {}),
        (
            excel.add_session,
            {
                "edits": form_edits(
                    "Sessions",
                    {
                        "client_id": "C0001",
                        "service_code": "90834",
                        "scheduled_start": dt.datetime(2027, 1, 4, 9),
                    },
                )
            },
        ),
        (
            excel.record_payment,
            {
                "edits": form_edits(
                    "Payments",
                    {
                        "received_date": dt.datetime(2026, 6, 1),
                        "client_id": "C0001",
                        "amount": 10.0,
                    },
                )
            },
        ),
    ]:
        _, actions = run(book_path, macro, **kwargs)
        assert {a["func"] for a in actions} <= allowed, macro.__name__


def rec_practice(path: Path) -> str:
    return api.load(path)[0].settings.practice_name


def test_journey_reconcile_adds_the_derived_sheets_with_the_core_figures(book_path, core):
    _, _, rec = core
    result, actions = run(book_path, excel.reconcile, AS_OF)
    added = [a["args"][1] for a in actions if a["func"] == "addSheet"]
    assert added == [*RESULT_SHEETS, "AuditLog"]
    first = sheet_index(book_path, "Lists") + 1
    # each sheet says when it was true: a title line above its table
    practice = rec_practice(book_path)
    for offset, what in enumerate(["Balances", "Aging", "Findings", "Ledger", "Cancellation log"]):
        ((title,),) = values_at(actions, first + offset, 0)
        assert re.fullmatch(
            rf"{re.escape(practice)} · {what} as of Dec 31, 2026 · written \w{{3}} \d+, 20\d\d, .+",
            title,
        ), title
    balances = values_at(actions, first, 1)
    assert balances[0][:6] == [
        "Client ID",
        "Charges",
        "Payments",
        "Refunds",
        "Adjustments",
        "Balance",
    ]
    expected = {r.client_id: float(r.balance) for r in rec.balances.itertuples()}
    assert {row[0]: row[5] for row in balances[1:]} == expected
    assert len(balances) == len(rec.balances) + 1
    formats = [
        a for a in actions if a["func"] == "setNumberFormat" and a["sheet_position"] == first
    ]
    assert [a["start_column"] for a in formats if a["args"] == [MONEY]] == [1, 2, 3, 4, 5, 6]
    colours = [a for a in actions if a["func"] == "setRangeColor"]
    assert colours[0]["args"] == [macros.HEADER_COLOR] and colours[0]["row_count"] == 1
    ledger = values_at(actions, first + 3, 1)
    assert len(ledger) == len(rec.ledger) + 1
    book, issues, _ = core
    specs = result_sheets(rec, book, issues)
    for offset, spec in enumerate(specs):  # the same sheets reconcile --write puts in files
        written = values_at(actions, first + offset, 1)
        assert written[0] == list(spec.header), spec.name
        assert written[1:] == [
            [_as_sent(v) for v in livebook.cell_row(r, len(spec.header))] for r in spec.rows
        ], spec.name
    assert actions[-2]["func"] == "activateSheet" and actions[-2]["args"] == [first]
    assert actions[-1]["func"] == "rangeSelect"
    assert (actions[-1]["start_row"], actions[-1]["start_column"]) == (0, 0)
    assert result.to_dict()["totals"] == rec.to_dict()["totals"]


def test_reconcile_clears_an_existing_derived_sheet_instead_of_adding_it(book_path, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(book_path, keep_vba=True)
    wb.create_sheet("Balances")["A1"] = "old"
    path = tmp_path / "again.xlsm"
    wb.save(path)
    _, actions = run(path, excel.reconcile, AS_OF)
    position = sheet_index(path, "Balances")
    assert {"func": "sheetClear", "sheet_position": position} == {
        k: v for k, v in actions[0].items() if k in ("func", "sheet_position")
    }
    assert "Balances" not in [a["args"][1] for a in actions if a["func"] == "addSheet"]


def test_journey_check_workbook_lists_flags_and_selects_the_first_offending_cell(tmp_path):
    damaged = generate(60, problems=True)
    path = tmp_path / "damaged.xlsm"
    write_workbook(path, damaged.rows, settings=damaged.settings, vba_project=vba_project())
    issues, actions = run(path, excel.check_workbook)
    assert issues and issues == sorted(issues, key=lambda i: i.sort_key())
    flags = values_at(actions, sheet_index(path, "Lists") + 1, 1)
    assert flags[0][:4] == ["Code", "Severity", "Sheet", "Cell"]
    assert len(flags) == len(issues) + 1
    first = next(i for i in issues if i.where.row)
    assert [first.code.value, first.severity.value, first.where.sheet, first.where.cell] in [
        row[:4] for row in flags[1:]
    ]
    errors = sum(row[1] == "error" for row in flags[1:])
    assert (
        errors
        and [a["args"] for a in actions if a["func"] == "setRangeColor"]
        == [[macros.HEADER_COLOR]] + [[macros.ERROR_COLOR]] * errors
    )
    select = actions[-1]
    assert select["func"] == "rangeSelect"
    assert select["sheet_position"] == sheet_index(path, first.where.sheet)
    assert (select["start_row"], select["start_column"]) == (
        first.where.row - 1,
        first.where.col - 1,
    )
    assert actions[-2] == {
        **actions[-2],
        "func": "activateSheet",
        "args": [sheet_index(path, first.where.sheet)],
    }


def form_edits(sheet: str, values: dict[str, object]) -> dict[tuple[str, str], object]:
    form = home.FORMS[sheet]
    out = {}
    for key, value in values.items():
        row, col = form.value_cell(key)
        out[("Home", f"{chr(64 + col)}{row}")] = value
    return out


def test_journey_add_session_appends_the_form_as_the_next_sessions_row(book_path, core):
    book, _, _ = core
    edits = form_edits(
        "Sessions",
        {
            "client_id": "C0002",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2027, 1, 4, 9, 0),
            "scheduled_minutes": 50,
        },
    )
    new, actions = run(book_path, excel.add_session, edits=edits)
    assert new.accepted and new.row_id == entry.next_id(book, "Sessions")
    row = entry.next_row(book, "Sessions")
    written = values_at(actions, sheet_index(book_path, "Sessions"), row - 1)
    assert written[0][:8] == [
        new.row_id,
        "C0002",
        "",
        "'90834",
        "2027-01-04 09:00:00",
        50,
        "",
        "scheduled",
    ]
    status_row, status_col = home.FORMS["Sessions"].status_cell
    status = values_at(actions, sheet_index(book_path, "Home"), status_row - 1)
    assert status == [[f"added {new.row_id} on Sessions row {row}"]]
    assert status_col == 1 and status_row == 15
    reset = values_at(actions, 0, home.FORMS["Sessions"].first_row - 1)
    assert [r[0] for r in reset][:7] == [""] * 6 + ["scheduled"]


def test_journey_add_session_refuses_an_unknown_client_and_writes_nothing(book_path):
    edits = form_edits(
        "Sessions",
        {
            "client_id": "C9999",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2027, 1, 4, 9, 0),
        },
    )
    new, actions = run(book_path, excel.add_session, edits=edits)
    assert not new.accepted
    sessions = sheet_index(book_path, "Sessions")
    assert not [a for a in actions if a["sheet_position"] == sessions]
    status = [a for a in actions if a["func"] == "setValues"]
    assert len(status) == 1 and status[0]["values"][0][0].startswith("not added: ")
    assert "C9999" in status[0]["values"][0][0]
    assert [a["args"] for a in actions if a["func"] == "setRangeColor"] == [[macros.ERROR_COLOR]]


def test_journey_record_payment_appends_money_with_the_money_format(book_path, core):
    book, _, _ = core
    edits = form_edits(
        "Payments",
        {
            "received_date": dt.datetime(2026, 6, 1),
            "client_id": "C0003",
            "method": "card",
            "amount": 125.5,
        },
    )
    new, actions = run(book_path, excel.record_payment, edits=edits)
    assert new.accepted and new.values["amount"] == Decimal("125.50")
    row = entry.next_row(book, "Payments")
    payments = sheet_index(book_path, "Payments")
    written = values_at(actions, payments, row - 1)[0]
    assert written[:7] == [new.row_id, "2026-06-01", "C0003", "payment", "card", "", 125.5]
    amount_col = home.FORMS["Payments"].fields.index("amount")
    assert any(
        a["func"] == "setNumberFormat"
        and a["args"] == [MONEY]
        and a["sheet_position"] == payments
        and a["start_row"] == row - 1
        and a["start_column"] == amount_col
        for a in actions
    )


def scheduled_row(book) -> tuple[str, int]:
    sessions = book.sessions
    future = sessions[(sessions["status"] == "scheduled")]
    return str(future["session_id"].iloc[0]), int(future["_row"].iloc[0])


def test_mark_cancellation_stamps_the_selected_row_and_shows_the_fee(book_path, core):
    book, _, _ = core
    session_id, row = scheduled_row(book)
    start = (
        book.sessions.loc[book.sessions["session_id"] == session_id, "scheduled_start"]
        .iloc[0]
        .to_pydatetime()
    )
    requested = start - dt.timedelta(hours=5)
    stamp, actions = run(
        book_path,
        excel.mark_cancellation,
        requested,
        "client",
        "phone",
        active="Sessions",
        selection=f"B{row}",
    )
    expected = entry.cancellation_stamp(book, session_id, requested)
    assert stamp.accepted and stamp.values == expected.values
    assert stamp.values["status"] == "late_cancelled" and stamp.fee == expected.fee
    sessions = sheet_index(book_path, "Sessions")
    writes = {
        a["start_column"]: a["values"][0][0]
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == sessions
    }
    assert all(a["start_row"] == row - 1 for a in actions if a["sheet_position"] == sessions)
    layout = book.layouts["Sessions"]
    assert writes[layout.column_of["cancel_requested_at"] - 1] == requested.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert writes[layout.column_of["cancelled_by"] - 1] == "client"
    assert writes[layout.column_of["cancel_channel"] - 1] == "phone"
    assert writes[layout.column_of["status"] - 1] == "late_cancelled"
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert f"Fee ${expected.fee}: " in alert and expected.basis in alert
    assert "5 hours notice" in alert


def test_mark_cancellation_refuses_a_held_session_and_writes_nothing(book_path, core):
    book, _, _ = core
    attended = book.sessions[book.sessions["status"] == "attended"].iloc[0]
    stamp, actions = run(
        book_path,
        excel.mark_cancellation,
        None,
        "client",
        "email",
        active="Sessions",
        selection=f"C{int(attended['_row'])}",
    )
    assert stamp is None
    sessions = sheet_index(book_path, "Sessions")
    assert not [a for a in actions if a["sheet_position"] == sessions]
    alert = actions[-1]
    assert alert["func"] == "alert" and alert["args"][0].startswith("Not stamped: ")
    assert "attended" in alert["args"][0]


def test_mark_cancellation_needs_a_sessions_row(book_path):
    stamp, actions = run(book_path, excel.mark_cancellation, active="Clients", selection="A2")
    assert stamp is None
    assert [a["func"] for a in actions] == ["alert"]
    assert "Select a session's row on the Sessions sheet" in actions[0]["args"][0]


def test_explain_balance_writes_the_selected_clients_ledger(book_path, core):
    _, _, rec = core
    client_id, actions = run(
        book_path, excel.explain_balance, AS_OF, active="Clients", selection="C3"
    )
    assert client_id == "C0002"
    explanation = rec.explain("C0002")
    added = [a for a in actions if a["func"] == "addSheet"]
    assert added[0]["args"][1] == macros.EXPLAIN_SHEET
    position = added[0]["args"][0]
    assert values_at(actions, position, 0) == [["client C0002, as of Dec 31, 2026 (USD)"]]
    table = values_at(actions, position, 2)
    assert table[0] == list(explanation.lines.columns)
    assert [r[5] for r in table[1:]] == [float(v) for v in explanation.lines["balance"]]
    assert [Decimal(str(r[5])) for r in table[1:]] == list(explanation.lines["balance"])
    assert actions[-1]["func"] == "rangeSelect"


def test_explain_balance_of_a_client_the_reconciliation_does_not_know(tmp_path, practice):
    future = copy.deepcopy(practice)
    future.rows["Sessions"].append(
        {
            "session_id": "S0000042",
            "client_id": "C0077",  # on no Clients row, and dated after the as-of day
            "clinician_id": "T01",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2027, 1, 5, 10, 0),
            "scheduled_minutes": 50,
            "status": "scheduled",
        }
    )
    path = tmp_path / "future.xlsm"
    write_workbook(path, future.rows, settings=future.settings, vba_project=vba_project())
    row = len(future.rows["Sessions"]) + 1
    client_id, actions = run(
        path, excel.explain_balance, AS_OF, active="Sessions", selection=f"B{row}"
    )
    assert client_id is None
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0] == "Client C0077 is not on the Clients sheet."


def test_runpython_entry_point_works_on_the_mock_caller(book_path, core):
    book = xw.Book(json=payload(book_path))
    try:
        book.set_mock_caller()
        excel.reconcile_main()
        actions = book.json()["actions"]
    finally:
        xw.Book._mock_caller = None
        book.close()
    assert next(a["args"][1] for a in actions if a["func"] == "addSheet") == "Balances"


def test_explain_balance_needs_a_row_with_a_client(book_path):
    client_id, actions = run(book_path, excel.explain_balance, active="Clinicians", selection="B2")
    assert client_id is None
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0] == "Select a row that has a Client ID first."


def audit_written(actions, position):
    return [
        row
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == position
        for row in a["values"]
    ]


def test_each_write_is_logged_on_a_verifiable_audit_chain(book_path, tmp_path):
    from practicebook.core.audit import AuditRow, verify_chain
    from practicebook.workbook.writer import write_results

    _, actions = run(book_path, excel.reconcile, AS_OF)
    position = next(
        a["args"][0] for a in actions if a["func"] == "addSheet" and a["args"][1] == "AuditLog"
    )
    rows = audit_written(actions, position)
    assert rows[0] == AuditRow.columns()
    assert rows[1][2:6] == ["excel", "results", f"as of {AS_OF}", "write_results"]
    assert verify_chain(rows[1:]) == []
    assert any(
        a["func"] == "setNumberFormat" and a["args"] == ["@"] and a["sheet_position"] == position
        for a in actions
    )

    logged = tmp_path / "logged.xlsm"
    shutil.copy(book_path, logged)
    write_results(logged, as_of=AS_OF, actor="T01")  # a file write starts the chain
    stored = openpyxl.load_workbook(logged)["AuditLog"]
    before = [[c.value for c in row] for row in stored.iter_rows(min_row=2)]
    edits = form_edits(
        "Payments", {"received_date": dt.datetime(2026, 6, 1), "client_id": "C0003", "amount": 20.0}
    )
    new, actions = run(logged, excel.record_payment, edits=edits)
    appended = audit_written(actions, sheet_index(logged, "AuditLog"))
    assert appended[0][2:6] == ["excel", "Payments", new.row_id, "append"]
    assert verify_chain([*before, *appended]) == []
    start = next(
        a["start_row"]
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == sheet_index(logged, "AuditLog")
    )
    assert start == len(before) + 1  # right below the stored log (0-based row)
