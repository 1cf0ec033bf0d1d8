"""LibreOffice opens what the writer produced, and practicebook reads LibreOffice's resave."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from practicebook import api
from practicebook.generate import generate
from practicebook.issues import Code
from practicebook.workbook import ooxml, writer
from tests.workbook.test_ooxml_libreoffice import CSV_ALL_SHEETS, convert

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_libreoffice_reads_appends_stamps_and_results(tmp_path: Path) -> None:
    book = tmp_path / "practice.xlsx"
    generate(60).write(book)
    start = dt.datetime(2027, 1, 11, 10, 0)
    session = writer.add_session(
        book,
        {
            "client_id": "C0002",
            "service_code": "90834",
            "scheduled_start": start,
            "status": "scheduled",
        },
    )
    paid = writer.add_payment(
        book,
        {
            "client_id": "C0002",
            "received_date": "2026-03-02",
            "amount": "15.25",
            "memo": "=cmd|' /C calc'!A0",
        },
    )
    stamp = writer.mark_cancellation(
        book, session.row_id, requested_at=start - dt.timedelta(hours=30)
    )
    written = writer.write_results(book, as_of=dt.date(2027, 1, 31))

    out = convert(book, CSV_ALL_SHEETS, tmp_path)
    payments = read_csv(out / "practice-Payments.csv")
    assert payments[paid.row - 1][:3] == [paid.row_id, "2026-03-02", "C0002"]
    assert "=cmd|' /C calc'!A0" in payments[paid.row - 1]
    sessions = read_csv(out / "practice-Sessions.csv")
    assert stamp.row == session.row
    assert sessions[stamp.row - 1][:2] == [session.row_id, "C0002"]
    assert sessions[stamp.row - 1][7:11] == ["cancelled", "2027-01-10 04:00:00", "client", "phone"]
    title, *balances = read_csv(out / "practice-Balances.csv")  # a title line above the table
    assert "· Balances as of" in title[0]
    first = written.reconciliation.balances.iloc[0]
    assert balances[1][0] == first["client_id"]
    assert Decimal(balances[1][5]) == first["balance"]  # an exact amount on both sides
    flags = read_csv(out / "practice-Flags.csv")
    assert len(flags) - 2 == written.rows["Flags"]  # less the title and the header

    resaved = convert(book, "xlsx", tmp_path) / "practice.xlsx"
    reread, issues = api.load(resaved)
    assert not [i for i in issues if i.code is Code.AUDIT_CHAIN_BROKEN]
    assert paid.row_id in set(reread.payments["payment_id"])
    assert "AuditLog" in ooxml.sheet_names(resaved.read_bytes())
