"""``explain`` and the texts people read: one locale throughout, an unknown client named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from practicebook.core.amounts import minor_units
from practicebook.errors import PracticebookError, UnknownClient
from practicebook.render.sheets import result_sheets
from practicebook.render.text import money_columns
from tests.support.reconcile_cases import loaded, log_row, reconciled

GERMAN = """
## Practice
| key               | value         |
| default_policy_id | P1            |
| currency          | EUR           |
| locale            | de_DE         |
| timezone          | Europe/Berlin |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 1234,5   |
## PolicyTiers
| policy_id | applies_to  | min_notice_hours | max_notice_hours | charge_type | charge_value |
| P1        | late_cancel | 0                | 24               | percent     | 12,5         |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended       |                     |
| S2         | C1        | 90834        | 2026-03-09 10:00 | late_cancelled | 2026-03-08 20:30    |
| S3         | C1        | 90834        | 2026-03-16 10:00 | cancelled      | 2026-03-15 22:00    |
## Payments
| payment_id | received_date | client_id | amount   | method | refund_of_payment_id | kind    |
| P1         | 2026-03-03    | C1        | 2000     | card   |                      | payment |
| P2         | 2026-03-20    | C1        | 5000     | card   | P1                   | refund  |
"""


def german():
    return reconciled(GERMAN, as_of="2026-03-31")


def test_explain_reads_in_the_workbook_locale_throughout():
    text = str(german().explain("C1"))
    lines = text.splitlines()
    assert lines[0] == "client C1, as of 31.03.2026 (EUR)"
    # dates, amounts and the amounts inside descriptions: all German, none ISO or plain
    assert lines[2].startswith("02.03.2026  S1")
    assert "1.234,50\xa0€" in lines[2]
    payment = next(line for line in lines if " P1 " in line)
    assert payment.startswith("03.03.2026")
    assert payment.endswith(
        "payment card → S1 1.234,50\xa0€, S2-LATECXL 154,31\xa0€, P2 611,19\xa0€"
    )
    for wrong in ("2026-03", "1234.50", "154.31", "611.19"):
        assert wrong not in text, wrong


def test_fee_bases_and_findings_with_amounts_read_in_the_locale():
    rec = german()
    # 13.5 h of notice: the 0-24 h tier, 12.5% of 1,234.50 = 154.3125 -> 154.31
    assert log_row(rec, "S2")["fee"] == Decimal("154.31")
    assert log_row(rec, "S2")["basis"] == "12,5% of 1.234,50\xa0€ (tier 0–24 h, 1st occurrence)"
    # the recorded status decides S3 (12 h of notice, recorded cancelled): no fee, and
    # the basis says why instead of contradicting itself
    assert log_row(rec, "S3")["basis"] == (
        "no fee: recorded as cancelled, and the recorded status decides the fee; the times "
        "(12 h notice; policy P1 asks 24 h) suggest a late cancellation (see status-mismatch)"
    )
    refund = rec.flags[rec.flags["row_id"] == "P2"]["message"].iloc[0]
    assert refund == (
        "refund P2 of 5.000,00\xa0€ is more than can be refunded: payment P1 was "
        "2.000,00\xa0€ and refunds of it now total 5.000,00\xa0€"
    )


def test_the_machine_forms_stay_machine_forms():
    data = german().to_dict()
    cancelled = {c["session_id"]: c for c in data["cancellations"]}
    assert cancelled["S2"]["fee"] == "154.31"
    assert cancelled["S2"]["date"] == "2026-03-09"
    assert cancelled["S2"]["notice_hours"] == "13.5"
    assert data["balances"][0]["charges"] == "1388.81"  # 1,234.50 + 154.31


def test_the_ledger_sheet_and_text_tables_share_the_locale():
    rec = german()
    book, _ = loaded(GERMAN)
    ledger = next(s for s in result_sheets(rec, book) if s.name == "Ledger")
    described = [row[4] for row in ledger.rows]
    assert "payment card → S1 1.234,50\xa0€, S2-LATECXL 154,31\xa0€, P2 611,19\xa0€" in described
    rows = money_columns(
        rec.balances[["client_id", "charges", "last_payment_date"]], ["charges"], "EUR", "de_DE"
    )
    assert rows[0] == ["C1", "1.388,81\xa0€", "03.03.2026"]


def test_explain_of_an_unknown_client_raises_and_suggests():
    rec = reconciled("")
    with pytest.raises(UnknownClient) as unknown:
        rec.explain("C9")
    assert isinstance(unknown.value, PracticebookError)
    assert str(unknown.value) == "'C9' is not a client in this workbook"
    with pytest.raises(UnknownClient, match="did you mean C1"):
        rec.explain("c1")
    with pytest.raises(UnknownClient, match="did you mean C2"):
        rec.explain(" C2 ")


def test_a_client_without_entries_still_gets_an_explanation():
    rec = reconciled("")
    explained = rec.explain("C2")
    assert explained.lines.empty
    assert str(explained).splitlines()[-1] == "no entries"
    assert minor_units(explained.lines["amount"]).tolist() == []


def test_every_derived_sheet_says_when_it_was_true():
    rec = german()
    book, _ = loaded(GERMAN)
    book = dataclasses.replace(
        book, settings=dataclasses.replace(book.settings, practice_name="Praxis Beispiel")
    )
    written = dt.datetime(2026, 4, 2, 9, 15)
    specs = result_sheets(rec, book, written=written)
    said = {s.name: s.title for s in specs}
    for name, what in (
        ("Balances", "Balances"),
        ("Aging", "Aging"),
        ("Flags", "Findings"),
        ("Ledger", "Ledger"),
        ("CancellationLog", "Cancellation log"),
    ):
        assert said[name] == [
            f"Praxis Beispiel · {what} as of 31.03.2026 · written 02.04.2026, 09:15"
        ]
    for title in said.values():  # every derived sheet, whatever else it shows
        assert title[0].startswith("Praxis Beispiel · "), title
        assert title[0].endswith(" as of 31.03.2026 · written 02.04.2026, 09:15"), title
    assert all(s.header_row == 2 for s in specs)


def test_every_finding_writes_its_days_and_amounts_in_the_locale():
    """Findings whose messages name a day: the German reader sees German days, as in
    the title beside them, never an ISO date."""
    rec = reconciled(
        """
## Practice
| key               | value         |
| default_policy_id | P1            |
| currency          | EUR           |
| locale            | de_DE         |
| timezone          | Europe/Berlin |
| lock_through_date | 2026-01-31    |
## Policies
| policy_id | notice_hours | effective_from |
| P1        | 24           | 2026-06-01     |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status    |
| S1         | C1        | 90834        | 2026-03-02 10:00 | scheduled |
| S2         | C1        | 90834        | 2026-03-09 10:00 | no_show   |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-15    | C1        | 100    |
""",
        as_of="2026-03-31",
    )
    said: dict[str, list[str]] = {}
    for code, message in zip(rec.flags["code"], rec.flags["message"], strict=True):
        said.setdefault(code, []).append(message)
    assert "session S1 on 02.03.2026 is still marked scheduled" in said["unresolved-past-session"]
    assert (
        "no cancellation policy is in force for session S2 on 09.03.2026; the fee follows "
        "the service settings"
    ) in said["no-policy-in-force"]
    assert all("31.01.2026" in message for message in said["locked-period"])
    for message in rec.flags["message"]:
        assert not re.search(r"\d{4}-\d\d-\d\d", message), message
