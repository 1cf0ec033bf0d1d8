# ruff: noqa: E402  (xlwings' licence variable is set before xlwings is imported)
"""Journeys: a therapist pressing the workbook's buttons, from where they stand.

Each test sets the active sheet and the selection as Excel has them when a button is
pressed (the button's own sheet is active; the selection is the cell last clicked
there), types into the forms as a user would, runs the entry point the button's VBA
calls on xlwings' remote engine, and compares what was written with the core's figures.
``docs/excel.md``'s checklist for real Excel lists these same steps.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import openpyxl
import pytest

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.frontends import excel
from practicebook.frontends.excel import macros
from practicebook.frontends.excel.build import vba_project
from practicebook.generate import generate
from practicebook.schema import home
from practicebook.workbook.template import write_workbook
from tests.frontends.excel.test_excel import run, sheet_index, values_at
from tests.support.excel_payload import payload

HOME = 0  # Home is the first sheet


def cell(form: home.Form, key: str) -> str:
    row, col = form.value_cell(key)
    return f"{chr(64 + col)}{row}"


def typed(form: home.Form, values: dict[str, object]) -> dict[tuple[str, str], object]:
    """What the user typed into a Home form."""
    return {("Home", cell(form, key)): value for key, value in values.items()}


def writes(actions, position: int) -> dict[tuple[int, int], object]:
    """Single cells written on a sheet: (Excel row, column) → value."""
    return {
        (a["start_row"] + 1, a["start_column"] + 1): a["values"][0][0]
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == position
    }


def status(actions, form: home.Form) -> str:
    return writes(actions, HOME)[form.status_cell]


def apply_to_file(path: Path, actions, sheet: str, out: Path) -> Path:
    """The workbook at ``path`` with the macro's writes to ``sheet`` made, as Excel would."""
    wb = openpyxl.load_workbook(path, keep_vba=True)
    position = wb.sheetnames.index(sheet)
    for a in actions:
        if a["func"] != "setValues" or a["sheet_position"] != position:
            continue
        for i, values in enumerate(a["values"]):
            for j, value in enumerate(values):
                if isinstance(value, str) and re.fullmatch(
                    r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d)?", value
                ):
                    value = dt.datetime.fromisoformat(value)
                cell = wb[sheet].cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                cell.value = None if value == "" else value
    wb.save(out)
    return out


def scheduled(book) -> tuple[str, int, dt.datetime]:
    s = book.sessions[book.sessions["status"] == "scheduled"].iloc[0]
    return str(s["session_id"]), int(s["_row"]), s["scheduled_start"].to_pydatetime()


@pytest.fixture(scope="module")
def strict_path(tmp_path_factory, practice) -> Path:
    """The practice with client C0003 on the 48-hour policy without grace, and a session
    of theirs still to come: a late cancellation of it costs a fee."""
    strict = copy.deepcopy(practice)
    for client in strict.rows["Clients"]:
        if client["client_id"] == "C0003":
            client.update(policy_id="POL-48", fee_exempt=False)
    strict.rows["Sessions"].append(
        {
            "session_id": "S0000042",
            "client_id": "C0003",
            "clinician_id": "T01",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2026, 9, 1, 10, 0),
            "scheduled_minutes": 50,
            "status": "scheduled",
        }
    )
    path = tmp_path_factory.mktemp("strict") / "strict.xlsm"
    write_workbook(path, strict.rows, settings=strict.settings, vba_project=vba_project())
    return path


# --- buttons where their data is -----------------------------------------------------


def test_journey_buttons_are_on_the_sheets_where_their_data_is(book_path):
    with zipfile.ZipFile(book_path) as z:
        names = openpyxl.load_workbook(book_path, read_only=True).sheetnames
        shown = {}
        for i, name in enumerate(names, start=1):
            rels = f"xl/worksheets/_rels/sheet{i}.xml.rels"
            if rels not in z.namelist():
                continue
            vml = re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', z.read(rels).decode())
            if vml:
                text = z.read(f"xl/drawings/{vml.group(1)}").decode()
                shown[name] = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", text)
    assert shown["Home"] == [m.sub for m in home.macros_on("Home")]
    assert shown["Sessions"] == ["MarkLateCancellation", "ExplainBalance", "Statement", "Invoice"]
    assert shown["Clients"] == ["ExplainBalance", "Statement", "Superbill", "Invoice", "Estimate"]
    assert shown["Payments"] == ["ExplainBalance", "Receipt"]
    assert {"MatchDeposits", "ImportBankFile", "Invoice"} <= set(shown["Home"])


# --- explain balance ----------------------------------------------------------------


def test_journey_explain_balance_from_home_client_form(book_path, core):
    book, _, _ = core
    edits = typed(home.CLIENT_FORM, {"client_id": "C0003"})
    client_id, actions = run(
        book_path, excel.explain_balance, active="Home", selection="H14", edits=edits
    )
    assert client_id == "C0003"
    explanation = reconcile(book).explain("C0003")  # as of today, like the button
    added = next(a for a in actions if a["func"] == "addSheet")
    assert added["args"][1] == macros.EXPLAIN_SHEET
    table = values_at(actions, added["args"][0], 2)
    assert [Decimal(str(r[5])) for r in table[1:]] == list(explanation.lines["balance"])
    last = explanation.lines["balance"].iloc[-1]
    assert status(actions, home.CLIENT_FORM) == f"C0003: balance ${last:,}; see Explain"


def test_journey_explain_balance_on_a_clients_row(book_path, core):
    _, _, rec = core
    client_id, actions = run(
        book_path, excel.explain_balance, "2026-12-31", active="Clients", selection="F4"
    )
    assert client_id == "C0003"
    added = next(a for a in actions if a["func"] == "addSheet")
    table = values_at(actions, added["args"][0], 2)
    assert [Decimal(str(r[5])) for r in table[1:]] == list(rec.explain("C0003").lines["balance"])


def test_journey_explain_balance_on_home_with_a_form_label_selected(book_path):
    """The old trap: a label cell of a form is selected and the client cell is empty."""
    client_id, actions = run(book_path, excel.explain_balance, active="Home", selection="A7")
    assert client_id is None
    assert not [a for a in actions if a["func"] == "addSheet"]
    message = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert message.startswith(f"Type a Client ID in Home!{cell(home.CLIENT_FORM, 'client_id')}")


def test_journey_explain_balance_of_an_unknown_client(book_path):
    edits = typed(home.CLIENT_FORM, {"client_id": "C9999"})
    client_id, actions = run(
        book_path, excel.explain_balance, active="Home", selection="H14", edits=edits
    )
    assert client_id is None
    assert not [a for a in actions if a["func"] == "addSheet"]
    assert status(actions, home.CLIENT_FORM) == "Client C9999 is not on the Clients sheet."
    assert [a["args"] for a in actions if a["func"] == "setRangeColor"] == [[macros.ERROR_COLOR]]


# --- late cancellation ----------------------------------------------------------------

FORM = home.CANCEL_FORM


def test_journey_mark_late_cancellation_from_a_sessions_row_asks_who_and_how(book_path, core):
    book, _, _ = core
    session_id, row, _ = scheduled(book)
    stamp, actions = run(book_path, excel.mark_cancellation, active="Sessions", selection=f"E{row}")
    assert stamp is None
    assert not [a for a in actions if a["sheet_position"] == sheet_index(book_path, "Sessions")]
    written = writes(actions, HOME)
    assert written[FORM.value_cell("session_id")] == session_id
    assert status(actions, FORM) == (
        f"{session_id}: choose who cancelled (Home!{cell(FORM, 'cancelled_by')}), "
        f"the channel (Home!{cell(FORM, 'cancel_channel')}), then press Mark late cancellation."
    )
    select = [a for a in actions if a["func"] == "rangeSelect"][-1]
    assert (select["start_row"] + 1, select["start_column"] + 1) == FORM.value_cell("cancelled_by")


def test_journey_preview_then_mark_late_cancellation_on_home(strict_path, tmp_path):
    book_path = strict_path
    book, _ = api.load(book_path)
    session_id, row, start = "S0000042", 43, dt.datetime(2026, 9, 1, 10, 0)
    assert int(book.sessions.loc[book.sessions["session_id"] == session_id, "_row"].iloc[0]) == row
    heard = start - dt.timedelta(hours=5)
    edits = typed(
        FORM,
        {
            "session_id": session_id,
            "cancelled_by": "client",
            "cancel_channel": "email",
            "cancel_requested_at": heard,
        },
    )
    where = {"active": "Home", "selection": cell(FORM, "cancel_channel"), "edits": edits}
    preview, actions = run(book_path, excel.preview_cancellation, **where)
    assert not [a for a in actions if a["sheet_position"] == sheet_index(book_path, "Sessions")]
    fee = f"${preview.fee:,.2f}"
    assert status(actions, FORM) == (
        f"Preview, not recorded: {session_id}: late_cancelled (client, email, heard "
        f"{heard:%Y-%m-%d %H:%M}), 5 hours notice. Fee {fee}: {preview.basis}"
    )
    stamp, actions = run(book_path, excel.mark_cancellation, **where)
    assert stamp.values == preview.values and stamp.fee == preview.fee
    sessions = sheet_index(book_path, "Sessions")
    layout = book.layouts["Sessions"]
    on_row = {col: v for (r, col), v in writes(actions, sessions).items() if r == row}
    assert on_row[layout.column_of["cancelled_by"]] == "client"
    assert on_row[layout.column_of["cancel_channel"]] == "email"
    assert on_row[layout.column_of["status"]] == "late_cancelled"
    assert on_row[layout.column_of["cancel_requested_at"]] == f"{heard:%Y-%m-%d %H:%M:%S}"
    assert status(actions, FORM).startswith(f"Recorded {session_id}: late_cancelled")
    # the core, reading the book as Excel leaves it, charges the fee that was shown
    after = apply_to_file(book_path, actions, "Sessions", tmp_path / "after.xlsm")
    rec = reconcile(api.load(after)[0], "2026-12-31")
    fees = rec.charges[
        (rec.charges["session_id"] == session_id) & (rec.charges["kind"] != "session")
    ]
    assert list(fees["amount"]) == ([stamp.fee] if stamp.fee else [])
    assert stamp.fee > 0


def test_journey_mark_late_cancellation_heard_now_stamps_the_time(book_path, core):
    book, _, _ = core
    session_id, row, _ = scheduled(book)
    edits = typed(
        FORM, {"session_id": session_id, "cancelled_by": "client", "cancel_channel": "phone"}
    )
    before = dt.datetime.now(ZoneInfo(book.settings.timezone)).replace(tzinfo=None)
    stamp, actions = run(
        book_path, excel.mark_cancellation, active="Home", selection="H8", edits=edits
    )
    after = dt.datetime.now(ZoneInfo(book.settings.timezone)).replace(tzinfo=None)
    heard = stamp.values["cancel_requested_at"]
    assert before - dt.timedelta(seconds=1) <= heard <= after + dt.timedelta(seconds=1)
    column = book.layouts["Sessions"].column_of["cancel_requested_at"]
    written = writes(actions, sheet_index(book_path, "Sessions"))[(row, column)]
    assert written == f"{heard:%Y-%m-%d %H:%M:%S}"


def test_journey_mark_late_cancellation_needs_who_and_channel(book_path, core):
    book, _, _ = core
    session_id, _, _ = scheduled(book)
    edits = typed(FORM, {"session_id": session_id})
    stamp, actions = run(
        book_path, excel.mark_cancellation, active="Home", selection="H6", edits=edits
    )
    assert stamp is None
    assert not [a for a in actions if a["sheet_position"] == sheet_index(book_path, "Sessions")]
    assert status(actions, FORM) == (
        f"Fill in who cancelled (Home!{cell(FORM, 'cancelled_by')}), "
        f"the channel (Home!{cell(FORM, 'cancel_channel')})."
    )


def test_journey_mark_late_cancellation_of_an_unknown_session(book_path):
    edits = typed(
        FORM, {"session_id": "S9999999", "cancelled_by": "client", "cancel_channel": "text"}
    )
    stamp, actions = run(
        book_path, excel.mark_cancellation, active="Home", selection="H6", edits=edits
    )
    assert stamp is None
    assert status(actions, FORM).startswith("Not stamped: session 'S9999999' is not on the")


# --- the Summary sheet ----------------------------------------------------------------


def expected_summary(book, rec) -> list[list[object]]:
    """The monthly view computed here from the core's lines, independently of
    ``core.summary``: charged and collected by month, late cancellations and no-shows
    by month, charged by clinician, collected by method (largest first)."""
    cents = Decimal("0.01")
    months: dict[str, list] = {}
    for c in rec.charges.itertuples():
        months.setdefault(f"{c.date:%Y-%m}", [Decimal(0), Decimal(0), 0, 0])[0] += c.amount
    for line in rec.ledger.itertuples():  # a month with any line (adjustments too) shows
        month = months.setdefault(f"{line.date:%Y-%m}", [Decimal(0), Decimal(0), 0, 0])
        if line.kind in ("payment", "refund"):
            month[1] -= line.amount
    for c in rec.cancellations.itertuples():
        if c.computed_status in ("late_cancelled", "no_show"):
            month = months.setdefault(f"{c.date:%Y-%m}", [Decimal(0), Decimal(0), 0, 0])
            month[2 if c.computed_status == "late_cancelled" else 3] += 1
    rows = [
        ["month", m, *(v.quantize(cents) for v in vals[:2]), *vals[2:]]
        for m, vals in sorted(months.items())
    ]
    clinician_of = dict(
        zip(book.sessions["session_id"], book.sessions["clinician_id"], strict=True)
    )
    by_clinician: dict[str, Decimal] = {}
    for c in rec.charges.itertuples():
        key = clinician_of.get(c.session_id) or "(none)"
        by_clinician[key] = by_clinician.get(key, Decimal(0)) + c.amount
    method_of = dict(zip(book.payments["payment_id"], book.payments["method"], strict=True))
    by_method: dict[str, Decimal] = {}
    for line in rec.ledger.itertuples():
        if line.kind in ("payment", "refund"):
            key = method_of.get(line.entry_id) or "(none)"
            by_method[key] = by_method.get(key, Decimal(0)) - line.amount
    for group, sums, at in (("clinician", by_clinician, 2), ("method", by_method, 3)):
        for key, total in sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])):
            row: list[object] = [group, key, None, None, None, None]
            row[at] = total.quantize(cents)
            rows.append(row)
    return rows


def as_decimals(rows) -> list[list[object]]:
    return [
        [
            r[0],
            r[1],
            *(
                None if v in (None, "") else Decimal(str(v)).quantize(Decimal("0.01"))
                for v in r[2:4]
            ),
            *(None if v in (None, "") else int(v) for v in r[4:6]),
        ]
        for r in rows
    ]


@pytest.fixture(scope="module")
def busy_path(tmp_path_factory) -> Path:
    """A practice with a year of sessions: late cancellations and no-shows included."""
    busy = generate(300)
    path = tmp_path_factory.mktemp("busy") / "busy.xlsm"
    write_workbook(path, busy.rows, settings=busy.settings, vba_project=vba_project())
    return path


def test_journey_reconcile_writes_the_summary_sheet(busy_path):
    book, _ = api.load(busy_path)
    rec = reconcile(book, "2026-12-31")
    _, actions = run(busy_path, excel.reconcile, "2026-12-31", active="Home", selection="A1")
    added = next(a for a in actions if a["func"] == "addSheet" and a["args"][1] == "Summary")
    table = values_at(actions, added["args"][0], 1)
    assert table[0] == ["Group", "Key", "Charged", "Collected", "Late cancelled", "No show"]
    assert as_decimals(table[1:]) == expected_summary(book, rec)
    assert any(r[0] == "month" and r[4] for r in table[1:])  # some late cancellations
    assert any(r[0] == "month" and r[5] for r in table[1:])  # and no-shows


def test_reconcile_write_adds_the_summary_sheet_to_the_file(tmp_path, practice):
    from click.testing import CliRunner

    from practicebook.frontends.cli import main

    path = tmp_path / "book.xlsx"
    practice.write(path)
    done = CliRunner().invoke(main, ["reconcile", str(path), "--as-of", "2026-12-31", "--write"])
    assert done.exit_code == 0, done.output
    book, _ = api.load(path)
    rec = reconcile(book, "2026-12-31")
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert as_decimals(rows) == expected_summary(book, rec)
    assert str(ws["A1"].value).endswith(
        "as of Dec 31, 2026 · written " + str(ws["A1"].value).split(" · written ")[1]
    )


# --- everyday use: the table grows, results in one line, errors in one line -------------


def grown_book(book_path: Path, tmp_path: Path) -> tuple[Path, int, int]:
    """The workbook with more clients than Home's formula table has rows; the path, the
    rows the table has, and the clients."""
    grown = tmp_path / "grown.xlsm"
    wb = openpyxl.load_workbook(book_path, keep_vba=True)
    clients = wb["Clients"]
    have = wb["Home"].max_row - home.BALANCE_HEADER_ROW
    first_new = clients.max_row
    for n in range(have - first_new + 6):
        clients.append([f"C9{n:03d}", "Test", "Client"])
    wb.save(grown)
    total = clients.max_row - 1
    assert total > have
    return grown, have, total


def extended(actions, have: int, total: int) -> None:
    """The table was extended over every client and the warning in A20 updated."""
    home_writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == HOME]
    table = next(a for a in home_writes if a["start_row"] == home.BALANCE_HEADER_ROW + have)
    rows = table["values"]
    assert len(rows) == total - have + home.SPARE_ROWS
    assert rows[0] == list(home.balance_formulas(home.BALANCE_HEADER_ROW + have + 1))
    overflow = writes(actions, HOME)[home.OVERFLOW_CELL]
    assert overflow == home.overflow_formula(total + home.SPARE_ROWS)


def test_journey_reconcile_extends_the_home_table_when_clients_outgrew_it(book_path, tmp_path):
    grown, have, total = grown_book(book_path, tmp_path)
    _, actions = run(grown, excel.reconcile, "2026-12-31", active="Home", selection="A1")
    extended(actions, have, total)
    line = writes(actions, HOME)[home.RESULT_CELL]
    assert line.startswith("Reconciled as of Dec 31, 2026: ") and "on Flags" in line


def test_journey_any_button_extends_the_home_table(book_path, tmp_path):
    """Clients typed in beyond the table: the next button pressed, whichever it is,
    extends it; pressed again, it writes no formula row twice."""
    grown, have, total = grown_book(book_path, tmp_path)
    _, actions = run(grown, excel.check_workbook, active="Clients", selection="A2")
    extended(actions, have, total)
    edits = typed(home.CLIENT_FORM, {"client_id": "C0003"})
    _, actions = run(grown, excel.explain_balance, active="Home", selection="H14", edits=edits)
    extended(actions, have, total)
    refit = tmp_path / "refit.xlsm"
    apply_to_file(grown, actions, "Home", refit)
    _, actions = run(refit, excel.check_workbook, active="Home", selection="A1")
    table_rows = [
        a
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == HOME and a["start_row"] > 20
    ]
    assert table_rows == []


def test_journey_a_python_error_shows_one_short_line(book_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a value from a cell")

    monkeypatch.setattr(macros, "reconcile_book", broken)
    book = xw.Book(json=payload(book_path))
    try:
        book.set_mock_caller()
        excel.reconcile_main()  # what the Reconcile button's VBA calls; it does not raise
        actions = book.json()["actions"]
    finally:
        xw.Book._mock_caller = None
        book.close()
    alert = next(a for a in actions if a["func"] == "alert")["args"][:2]
    assert alert == ["Reconcile stopped: an unexpected error (ZeroDivisionError).", "Reconcile"]
    assert writes(actions, HOME)[home.RESULT_CELL] == alert[0]


def test_the_traceback_goes_to_a_log_beside_the_workbook(tmp_path):
    from practicebook.frontends.excel import feedback

    class Book:  # what guarded needs of a desktop book
        fullname = str(tmp_path / "practice.xlsm")
        sheets: ClassVar[list] = []

        class app:
            alerts: ClassVar[list] = []

            @classmethod
            def alert(cls, message, title):
                cls.alerts.append(message)

    def broken(book):
        raise KeyError("Balances")

    feedback.guarded(broken, Book(), "Reconcile")
    assert Book.app.alerts == [
        "Reconcile stopped: an unexpected error (KeyError). "
        "Details: practicebook-excel.log beside the workbook."
    ]
    log = (tmp_path / "practicebook-excel.log").read_text()
    assert "Traceback (most recent call last)" in log and "KeyError: 'Balances'" in log
