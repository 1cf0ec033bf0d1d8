"""Appends, cancellation stamps, derived sheets and the audit log, end to end on files."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from practicebook import api
from practicebook.core.audit import AuditRow, verify_chain
from practicebook.errors import RowRefused, WorkbookChanged
from practicebook.generate import generate
from practicebook.issues import Code
from practicebook.render.sheets import RESULT_SHEETS, result_sheets
from practicebook.workbook import ooxml, writer
from practicebook.workbook.guard import preflight
from practicebook.workbook.safewrite import BACKUP_DIR
from practicebook.workbook.template import write_workbook

AS_OF = dt.date(2026, 6, 30)
PAYMENT = {"client_id": "C0002", "received_date": "2026-03-02", "amount": "15.25", "method": "card"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("gen") / "practice.xlsx"
    generate(120).write(path)
    return path.read_bytes()


@pytest.fixture
def book(tmp_path: Path, generated: bytes) -> Path:
    path = tmp_path / "practice.xlsx"
    path.write_bytes(generated)
    return path


def parts(path: Path) -> dict[str, str]:
    """Sheet name -> worksheet part."""
    return dict(preflight(path).sheets)


def audit_log(path: Path) -> list[list[object]]:
    return ooxml.read_sheet(path.read_bytes(), "AuditLog")[1:]


# --- appends ------------------------------------------------------------------------


def test_add_payment_appends_a_row_that_reads_back(book: Path) -> None:
    before = book.read_bytes()
    done = writer.add_payment(book, PAYMENT, actor="frontdesk")
    assert done == writer.Appended("Payments", "P0000055", 56, [])
    loaded, issues = api.load(book)
    row = loaded.payments[loaded.payments["payment_id"] == "P0000055"].iloc[0]
    assert (row["client_id"], int(row["amount"]), row["method"], row["_row"]) == (
        "C0002",
        1525,
        "card",
        56,
    )
    assert row["received_date"] == dt.datetime(2026, 3, 2)
    assert not issues
    payments = parts(book)["Payments"]
    changed = ooxml.changed_members(before, book.read_bytes())
    assert payments in changed
    assert not any(parts(book)[s] in changed for s in ("Sessions", "Clients", "Practice"))
    log = audit_log(book)
    assert [r[1:7] for r in log] == [
        [
            "frontdesk",
            "api",
            "Payments",
            "P0000055",
            "append",
            "fields: payment_id, received_date, client_id, kind, method, amount",
        ]
    ]


def test_a_second_append_changes_only_its_sheet_the_log_and_their_tables(book: Path) -> None:
    writer.add_payment(book, PAYMENT)
    before = book.read_bytes()
    done = writer.add_adjustment(
        book,
        {"client_id": "C0002", "date": "2026-03-05", "type": "write_off", "amount": "-15.25"},
        tool="jupyter",
    )
    assert (done.row_id, done.row) == ("A000002", 3)
    sheet_parts = parts(book)
    changed = ooxml.changed_members(before, book.read_bytes())
    owned = {sheet_parts["Adjustments"], sheet_parts["AuditLog"], "docProps/custom.xml"}
    assert owned <= changed
    assert {m for m in changed if not m.startswith("xl/tables/")} == owned
    assert len(audit_log(book)) == 2 and audit_log(book)[1][2] == "jupyter"


def test_appended_session_reads_back_with_its_time_and_defaults(book: Path) -> None:
    done = writer.add_session(
        book,
        {
            "client_id": "C0003",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2027, 3, 1, 9, 15),
            "status": "scheduled",
        },
        actor="t",
    )
    loaded, _ = api.load(book)
    row = loaded.sessions.set_index("session_id").loc[done.row_id]
    assert done.row_id == "S0000121" and row["_row"] == done.row == 122
    assert row["scheduled_start"] == dt.datetime(2027, 3, 1, 9, 15)
    assert row["fee_waived"] is False or row["fee_waived"] == False  # noqa: E712


def test_a_bad_row_is_refused_and_nothing_is_written(book: Path) -> None:
    before = book.read_bytes()
    with pytest.raises(RowRefused) as refused:
        writer.add_payment(book, {**PAYMENT, "client_id": "C9999", "amount": "-1"})
    found = {(str(i.where), i.code) for i in refused.value.issues}
    assert found == {("Payments!C56", Code.UNKNOWN_CLIENT), ("Payments!G56", Code.OUT_OF_RANGE)}
    assert "nothing was written" in str(refused.value)
    assert book.read_bytes() == before
    assert not (book.parent / BACKUP_DIR).exists()


def _append_payments(path: str, count: int) -> list[str]:
    return [writer.add_payment(path, PAYMENT).row_id for _ in range(count)]


@pytest.mark.slow
def test_concurrent_appends_get_distinct_ids_and_all_rows_land(book: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        ids = pool.starmap(_append_payments, [(str(book), 4), (str(book), 4)])
    written = sorted(ids[0] + ids[1])
    assert written == [f"P{n:07d}" for n in range(55, 63)]
    loaded, issues = api.load(book)
    assert set(written) <= set(loaded.payments["payment_id"])
    assert not issues
    assert len(audit_log(book)) == 8


def test_password_protected_workbook_takes_appends(tmp_path: Path, generated: bytes) -> None:
    from practicebook.workbook.crypto import encrypt_workbook

    path = tmp_path / "locked.xlsx"
    path.write_bytes(encrypt_workbook(generated, "s3cret"))
    done = writer.add_payment(path, PAYMENT, password="s3cret")
    loaded, _ = api.load(path, password="s3cret")
    assert done.row_id in set(loaded.payments["payment_id"])
    assert b"P0000055" not in path.read_bytes()  # still encrypted on disk


# --- cancellation stamps ------------------------------------------------------------


POLICY_ROWS = {
    "Clients": [{"client_id": "C1", "first_name": "Ada", "last_name": "Example"}],
    "Services": [{"service_code": "90837", "description": "Psychotherapy", "base_fee": 150}],
    "Policies": [
        {"policy_id": "POL1", "notice_hours": 24, "grace_count": 0, "exempt_intake": False}
    ],
    "PolicyTiers": [
        {
            "policy_id": "POL1",
            "applies_to": "late_cancel",
            "charge_type": "percent",
            "charge_value": 50,
        }
    ],
    "Sessions": [
        {
            "session_id": "S1",
            "client_id": "C1",
            "service_code": "90837",
            "scheduled_start": dt.datetime(2026, 3, 2, 10),
            "status": "attended",
        },
        {
            "session_id": "S2",
            "client_id": "C1",
            "service_code": "90837",
            "scheduled_start": dt.datetime(2026, 3, 9, 10),
            "status": "scheduled",
        },
    ],
}


@pytest.fixture
def policy_book(tmp_path: Path) -> Path:
    path = tmp_path / "policy.xlsx"
    write_workbook(
        path,
        POLICY_ROWS,
        settings={"currency": "USD", "timezone": "America/New_York", "default_policy_id": "POL1"},
    )
    return path


def test_mark_cancellation_stamps_the_row_and_reports_the_fee(policy_book: Path) -> None:
    before = policy_book.read_bytes()
    stamp = writer.mark_cancellation(
        policy_book,
        "S2",
        requested_at=dt.datetime(2026, 3, 8, 22, 0),
        by="client",
        channel="text",
        actor="frontdesk",
        tool="excel",
    )
    # 12 h notice under a 24 h policy: 50% of the 150.00 base fee
    assert stamp.values["status"] == "late_cancelled"
    assert (stamp.notice_hours, stamp.fee) == (Decimal(12), Decimal("75.00"))
    assert stamp.basis.startswith("50% of $150.00")
    loaded, issues = api.load(policy_book)
    row = loaded.sessions.set_index("session_id").loc["S2"]
    assert (row["status"], row["cancelled_by"], row["cancel_channel"]) == (
        "late_cancelled",
        "client",
        "text",
    )
    assert row["cancel_requested_at"] == dt.datetime(2026, 3, 8, 22, 0)
    assert not issues
    sheets = parts(policy_book)
    changed = ooxml.changed_members(before, policy_book.read_bytes())
    assert sheets["Sessions"] in changed and sheets["Clients"] not in changed
    sessions_xml = zipfile.ZipFile(policy_book).read(sheets["Sessions"]).decode()
    old_xml = zipfile.ZipFile(__import__("io").BytesIO(before)).read(sheets["Sessions"]).decode()
    first_rows = re.compile(r'<row r="[12]".*?</row>', re.S)
    assert first_rows.findall(sessions_xml) == first_rows.findall(old_xml)
    assert audit_log(policy_book)[0][1:7] == [
        "frontdesk",
        "excel",
        "Sessions",
        "S2",
        "cancel",
        "fields: cancel_requested_at, cancelled_by, cancel_channel, status",
    ]
    rec = writer.reconcile(loaded, dt.date(2026, 3, 31))
    fees = rec.charges[rec.charges["kind"] == "late_cancel_fee"]
    assert fees["amount"].tolist() == [Decimal("75.00")]


def test_a_refused_stamp_writes_nothing(policy_book: Path) -> None:
    before = policy_book.read_bytes()
    with pytest.raises(RowRefused) as refused:
        writer.mark_cancellation(policy_book, "S1", requested_at="2026-03-01 09:00")
    assert [i.code for i in refused.value.issues] == [Code.BAD_CHOICE]
    assert policy_book.read_bytes() == before


# --- derived sheets -----------------------------------------------------------------


def test_write_results_round_trip(book: Path) -> None:
    before = book.read_bytes()
    _, issues_before = api.load(book)
    written = writer.write_results(book, as_of=AS_OF, actor="owner", tool="cli")
    after = book.read_bytes()
    assert ooxml.sheet_names(after)[-(len(RESULT_SHEETS) + 1) :] == [*RESULT_SHEETS, "AuditLog"]
    rec = written.reconciliation
    assert written.rows == {
        "Balances": len(rec.balances),
        "Aging": len(rec.aging),
        "Flags": len(rec.flags),
        "Ledger": len(rec.ledger),
        "CancellationLog": len(rec.cancellations),
        "Summary": written.rows["Summary"],  # its rows are checked in tests/core/test_summary.py
    }
    assert written.rows["Summary"] > 0
    assert written.backup is not None and written.backup.read_bytes() == before
    _, issues_after = api.load(book)
    assert issues_after == issues_before
    input_parts = {
        parts(book)[s]
        for s in (
            "Practice",
            "Clients",
            "Services",
            "Rates",
            "Policies",
            "PolicyTiers",
            "Sessions",
            "Payments",
            "Adjustments",
            "Lists",
        )
    }
    assert not input_parts & ooxml.changed_members(before, after)
    title, *balances = ooxml.read_sheet(after, "Balances")  # a title line above the table
    assert title[0].startswith("Riverbend Counselling (example) · Balances as of Jun 30, 2026")
    assert balances[0][:6] == [
        "Client ID",
        "Charges",
        "Payments",
        "Refunds",
        "Adjustments",
        "Balance",
    ]
    first = rec.balances.iloc[0]
    assert balances[1][0] == first["client_id"]
    assert balances[1][5] == first["balance"]  # an exact decimal on both sides
    log = audit_log(book)
    assert [r[1:6] for r in log] == [
        ["owner", "cli", "results", "as of 2026-06-30", "write_results"]
    ]


def test_flags_link_to_the_offending_cells(book: Path) -> None:
    writer.write_results(book, as_of=AS_OF)
    data = book.read_bytes()
    flags = ooxml.read_sheet(data, "Flags")[1:]  # below the title line
    assert flags[0][:4] == ["Code", "Severity", "Sheet", "Cell"]
    xml = zipfile.ZipFile(book).read(parts(book)["Flags"]).decode()
    links = dict(re.findall(r'<hyperlink ref="D(\d+)" location="([^"]+)"', xml))
    assert len(links) == len(flags) - 1 > 0
    for number, location in links.items():
        row = flags[int(number) - 2]
        assert location == f"{row[2]}!{row[3]}"


def test_ledger_and_money_are_formatted_for_the_practice(book: Path) -> None:
    writer.write_results(book, as_of=AS_OF)
    ledger = ooxml.read_sheet(book.read_bytes(), "Ledger")[1:]  # below the title line
    assert ledger[0] == [
        "Client ID",
        "Date",
        "Entry",
        "Kind",
        "Description",
        "Amount",
        "Balance",
        "Open",
        "Source",
    ]
    assert isinstance(ledger[1][1], dt.date) and isinstance(ledger[1][5], Decimal)
    styles = zipfile.ZipFile(book).read("xl/styles.xml").decode()
    assert 'formatCode="&quot;$&quot;#,##0.00;-&quot;$&quot;#,##0.00"' in styles
    by_client: dict[str, Decimal] = {}
    for row in ledger[1:]:  # the running balance restarts per client
        by_client[row[0]] = by_client.get(row[0], Decimal(0)) + row[5]
        assert row[6] == by_client[row[0]]


def test_the_ledger_sheet_holds_every_clients_explanation(generated: bytes, tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_bytes(generated)
    loaded, _ = api.load(path)
    rec = writer.reconcile(loaded, AS_OF)
    ledger = result_sheets(rec, loaded)[3]
    assert ledger.name == "Ledger" and len(ledger.rows) == len(rec.ledger)
    assert any("→" in str(row[4]) for row in ledger.rows)
    for client_id in rec.balances["client_id"]:
        lines = rec.explain(client_id).lines
        mine = [row[1:] for row in ledger.rows if row[0] == client_id]
        assert [row[3] for row in mine] == lines["description"].tolist()
        assert [row[5] for row in mine] == lines["balance"].tolist()
        assert [row[7] for row in mine] == lines["source"].tolist()


def test_results_are_refused_when_the_file_changed_after_reading(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer.reconcile

    def reconcile_while_someone_saves(loaded, as_of):
        writer.add_payment(book, PAYMENT)
        return real(loaded, as_of)

    monkeypatch.setattr(writer, "reconcile", reconcile_while_someone_saves)
    with pytest.raises(WorkbookChanged):
        writer.write_results(book, as_of=AS_OF)
    assert "Balances" not in ooxml.sheet_names(book.read_bytes())


def test_rewriting_results_replaces_the_sheets(book: Path) -> None:
    writer.write_results(book, as_of=AS_OF)
    writer.add_payment(book, PAYMENT)
    writer.write_results(book, as_of=AS_OF)
    names = ooxml.sheet_names(book.read_bytes())
    assert names.count("Balances") == 1
    ledger = ooxml.read_sheet(book.read_bytes(), "Ledger")
    assert any(row[2] == "P0000055" for row in ledger[1:])
    assert [r[5] for r in audit_log(book)] == ["write_results", "append", "write_results"]


# --- the audit log ------------------------------------------------------------------


def test_the_audit_chain_is_verified_by_check_and_tampering_is_found(book: Path) -> None:
    writer.add_payment(book, PAYMENT)
    writer.add_payment(book, PAYMENT)
    writer.write_results(book, as_of=AS_OF)
    rows = audit_log(book)
    assert verify_chain([[str(v) for v in r] for r in rows]) == []
    assert not [i for i in api.check(book) if i.code is Code.AUDIT_CHAIN_BROKEN]
    summary = AuditRow.columns().index("summary") + 1
    tampered = ooxml.set_cells(book.read_bytes(), "AuditLog", {(3, summary): "fields: amount"})
    book.write_bytes(tampered)
    found = [(str(i.where), i.row_id) for i in api.check(book) if i.code is Code.AUDIT_CHAIN_BROKEN]
    assert found == [("AuditLog!A3", "P0000056")]


def test_a_sheet_the_workbook_lacks_is_a_failed_write_not_a_crash(tmp_path: Path) -> None:
    import xlsxwriter

    from practicebook.errors import WriteFailed

    path = tmp_path / "partial.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in {
        "Clients": [["client_id", "first_name", "last_name"], ["C1", "A", "B"]],
        "Services": [["service_code", "description", "base_fee"]],
        "Sessions": [["session_id", "client_id", "service_code", "scheduled_start", "status"]],
    }.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    before = path.read_bytes()
    with pytest.raises(WriteFailed, match=r"no sheet 'Payments'.*unchanged"):
        writer.add_payment(path, {"client_id": "C1", "received_date": "2026-03-02", "amount": 5})
    assert path.read_bytes() == before


def test_results_for_a_missing_file_are_an_unreadable_workbook(tmp_path: Path) -> None:
    from practicebook.errors import UnreadableWorkbook

    with pytest.raises(UnreadableWorkbook, match="No such file"):
        writer.write_results(tmp_path / "nowhere.xlsx")


def test_an_append_reads_only_the_sheets_its_row_can_refer_to(book: Path, monkeypatch) -> None:
    read = []
    real = writer.read_workbook

    def recording(*args, **kwargs):
        read.append(frozenset(kwargs.get("sheets") or ()))
        return real(*args, **kwargs)

    monkeypatch.setattr(writer, "read_workbook", recording)
    values = {
        "client_id": "C0001",
        "received_date": dt.date(2026, 11, 20),
        "amount": Decimal("50.00"),
        "method": "card",
    }
    writer.add_payment(book, values)
    assert read[-1] == {"Practice", "Payments", "Clients"}
    writer.add_payment(book, {**values, "applies_to_session_id": "S0000005"})
    assert read[-1] == {"Practice", "Payments", "Clients", "Sessions"}
    with pytest.raises(RowRefused) as refused:
        writer.add_payment(book, {**values, "applies_to_session_id": "S9999999"})
    assert [i.code for i in refused.value.issues] == [Code.UNKNOWN_SESSION]
