"""Fees, ledger, allocation, balances and aging, with figures worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest

from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.core.simulate import simulate
from practicebook.render.json import json_text
from tests.support.reconcile_cases import balance, codes_at, loaded, reconciled


def aging_row(rec: Reconciliation, client_id: str) -> dict[str, object]:
    return rec.aging[rec.aging["client_id"] == client_id].iloc[0].to_dict()


def charge(rec: Reconciliation, charge_id: str) -> dict[str, object]:
    rows = rec.charges[rec.charges["charge_id"] == charge_id]
    assert len(rows) == 1, charge_id
    return rows.iloc[0].to_dict()


# --- C-1: rates ---------------------------------------------------------------------


RATES = """
## Clinicians
| clinician_id | display_name |
| T1           | Dr One       |
| T2           | Dr Two       |
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
| C2        | Bo         | Example   |
| C3        | Cy         | Example   |
## Rates
| rate_id | scope     | scope_id | service_code | fee | effective_from | effective_to |
| R1      | client    | C1       | 90834        | 120 |                | 2026-02-28   |
| R2      | client    | C1       | 90834        | 130 | 2026-03-01     |              |
| R3      | client    | C1       |              | 110 |                |              |
| R4      | clinician | T1       | 90834        | 160 |                |              |
| R5      | clinician | T1       |              | 170 |                |              |
| R6      | client    | C2       |              | 90  |                |              |
"""


def test_rate_precedence_and_historical_rates():
    rec = reconciled(
        RATES
        + """
## Sessions
| session_id | client_id | clinician_id | service_code | scheduled_start  | status   | fee_override |
| S1         | C1        | T1           | 90834        | 2026-02-28 10:00 | attended |              |
| S2         | C1        | T1           | 90834        | 2026-03-01 10:00 | attended |              |
| S3         | C1        | T1           | 90837        | 2026-03-02 10:00 | attended |              |
| S4         | C2        | T1           | 90834        | 2026-03-02 10:00 | attended |              |
| S5         | C3        | T1           | 90834        | 2026-03-02 10:00 | attended |              |
| S6         | C3        | T1           | 90837        | 2026-03-02 10:00 | attended |              |
| S7         | C3        | T2           | 90837        | 2026-03-02 10:00 | attended |              |
| S8         | C1        | T1           | 90834        | 2026-03-03 10:00 | attended | 99           |
"""
    )
    amounts = {
        s: charge(rec, s)["amount"] for s in ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8")
    }
    assert amounts == {
        "S1": Decimal("120.00"),  # client rate for the service, period ending that day
        "S2": Decimal("130.00"),  # the next period, starting that day
        "S3": Decimal("110.00"),  # client rate for any service
        "S4": Decimal("90.00"),  # client rate for any service beats the clinician's
        "S5": Decimal("160.00"),  # clinician rate for the service
        "S6": Decimal("170.00"),  # clinician rate for any service
        "S7": Decimal("190.00"),  # base fee
        "S8": Decimal("99.00"),  # the session's own override beats everything
    }
    assert charge(rec, "S2")["basis"] == "client rate R2"
    assert charge(rec, "S7")["basis"] == "base fee of 90837"
    assert charge(rec, "S8")["basis"] == "fee override"


def test_service_fee_history_follows_the_session_date():
    rec = reconciled("""
## Services
| service_code | description | base_fee | effective_from | effective_to |
| 90834        | Therapy     | 140      |                | 2026-06-30   |
| 90834        | Therapy     | 150      | 2026-07-01     |              |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-06-30 17:00 | attended |
| S2         | C1        | 90834        | 2026-07-01 09:00 | attended |
""")
    assert [charge(rec, s)["amount"] for s in ("S1", "S2")] == [
        Decimal("140.00"),
        Decimal("150.00"),
    ]


def test_what_costs_nothing():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status              | cancel_requested_at |
| S1         | C1        | 90834        | 2026-03-02 10:00 | non_billable        |                     |
| S2         | C1        | 90834        | 2026-03-03 10:00 | clinician_cancelled | 2026-03-01 10:00    |
| S3         | C1        | 90834        | 2026-03-04 10:00 | scheduled           |                     |
| S4         | C1        | 90834        | 2026-03-05 10:00 | cancelled           | 2026-03-01 10:00    |
""",
        as_of="2026-03-10",
    )
    assert rec.charges.empty
    assert balance(rec, "C1")["balance"] == 0
    assert codes_at(rec, "S3") == {"unresolved-past-session"}


def test_unresolved_past_session_and_rows_after_the_as_of_date():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status    |
| S1         | C1        | 90834        | 2026-03-09 10:00 | scheduled |
| S2         | C1        | 90834        | 2026-03-10 18:00 | scheduled |
| S3         | C1        | 90834        | 2026-03-11 10:00 | attended  |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-03-11    | C1        | 150    |
""",
        as_of="2026-03-10",
    )
    assert codes_at(rec, "S1") == {"unresolved-past-session"}
    assert codes_at(rec, "S2") == set()  # the as-of day itself is not past
    assert "S3" not in set(rec.charges["charge_id"])  # after the as-of day: ignored
    assert balance(rec, "C1")["payments"] == 0


def test_cpt_duration_mismatch_points_at_the_minutes_used():
    rec = reconciled("""
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   | scheduled_minutes | actual_minutes |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended | 45                | 30             |
| S2         | C1        | 90834        | 2026-03-03 10:00 | attended | 60                |                |
| S3         | C1        | 90834        | 2026-03-04 10:00 | attended | 45                | 52             |
| S4         | C1        | 90837        | 2026-03-05 10:00 | attended | 50                | 53             |
""")
    flags = rec.flags[rec.flags["code"] == "cpt-duration-mismatch"]
    assert dict(zip(flags["row_id"], flags["cell"], strict=True)) == {"S1": "G2", "S2": "F3"}
    message = flags[flags["row_id"] == "S1"]["message"].iloc[0]
    assert message == "session S1 lasted 30 minutes; 90834 is for 38–52 minutes"


# --- ledger, allocation, balances ---------------------------------------------------


def test_fee_lines_are_separate_and_never_on_a_superbill():
    rec = reconciled("""
## PolicyTiers
| policy_id | applies_to | charge_type |
| P1        | no_show    | full        |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-09 10:00 | no_show  |
""")
    assert charge(rec, "S1")["superbill_eligible"]
    line = charge(rec, "S2-NOSHOW")
    assert (line["code"], line["kind"], line["amount"], line["superbill_eligible"]) == (
        "NOSHOW",
        "no_show_fee",
        Decimal("150.00"),
        False,
    )
    assert line["date"] == pd.Timestamp("2026-03-09")
    assert rec.to_dict()["totals"]["no_show_fees"] == "150.00"


def test_balance_identity_with_reversal_and_refund():
    rec = reconciled("""
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-09 10:00 | attended |
## Payments
| payment_id | received_date | client_id | kind    | amount | refund_of_payment_id |
| P1         | 2026-03-02    | C1        | payment | 400    |                      |
| P2         | 2026-03-20    | C1        | refund  | 100    | P1                   |
## Adjustments
| adjustment_id | date       | client_id | type              | amount | reverses_adjustment_id |
| A1            | 2026-03-10 | C1        | courtesy_discount | -30    |                        |
| A2            | 2026-03-12 | C1        | correction        | 30     | A1                     |
""")
    b = balance(rec, "C1")
    # 300 charged + 0 adjusted - 400 paid + 100 refunded = 0
    assert (
        b["charges"],
        b["adjustments"],
        b["payments"],
        b["refunds"],
        b["balance"],
        b["credit"],
    ) == (
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("400.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert codes_at(rec, "P2") == set()


def test_refund_beyond_the_payment_is_an_error_but_still_counts():
    rec = reconciled("""
## Payments
| payment_id | received_date | client_id | kind    | amount | refund_of_payment_id |
| P1         | 2026-03-02    | C1        | payment | 100    |                      |
| P2         | 2026-03-05    | C1        | refund  | 60     | P1                   |
| P3         | 2026-03-06    | C1        | refund  | 60     | P1                   |
| P4         | 2026-03-07    | C2        | refund  | 10     |                      |
""")
    assert codes_at(rec, "P2") == set()
    assert codes_at(rec, "P3") == {"refund-exceeds-payment"}  # 120 refunded of 100
    assert codes_at(rec, "P4") == {"refund-exceeds-payment"}  # C2 had no credit
    assert balance(rec, "C1")["balance"] == Decimal("20.00")  # -100 + 60 + 60
    flag = rec.flags[rec.flags["row_id"] == "P3"].iloc[0]
    assert flag["severity"] == "error"
    assert flag["message"] == (
        "refund P3 of $60.00 is more than can be refunded: payment P1 "
        "was $100.00 and refunds of it now total $120.00"
    )


def test_credit_is_consumed_by_later_charges():
    text = """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S2         | C1        | 90834        | 2026-02-02 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-01-05    | C1        | 300    |
"""
    january = reconciled(text, as_of="2026-01-31")
    assert (balance(january, "C1")["balance"], balance(january, "C1")["credit"]) == (
        Decimal("-150.00"),
        Decimal("150.00"),
    )
    assert aging_row(january, "C1")["credit"] == Decimal("150.00")
    assert aging_row(january, "C1")["total"] == Decimal("-150.00")
    february = reconciled(text, as_of="2026-02-28")
    assert (balance(february, "C1")["balance"], balance(february, "C1")["credit"]) == (0, 0)
    assert pd.isna(balance(february, "C1")["oldest_open_date"])
    lines = february.explain("C1").lines
    assert list(lines["description"])[1] == "payment → S1 $150.00, S2 $150.00"


def test_targeted_payment_goes_to_its_session_first():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S2         | C1        | 90834        | 2026-02-02 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount | applies_to_session_id | method |
| P1         | 2026-02-02    | C1        | 200    | S2                    | card   |
""",
        as_of="2026-03-01",
    )
    b = balance(rec, "C1")
    assert b["balance"] == Decimal("100.00")
    assert b["oldest_open_date"] == pd.Timestamp("2026-01-05")  # S1 keeps 100.00 open
    assert aging_row(rec, "C1")["31-60"] == Decimal("100.00")  # S1 is 55 days past due
    explained = rec.explain("C1")
    assert list(explained.lines["description"])[2] == "payment card → S2 $150.00, S1 $50.00"
    assert list(explained.lines["balance"]) == [
        Decimal("150.00"),
        Decimal("300.00"),
        Decimal("100.00"),
    ]
    assert list(explained.lines["source"]) == ["Sessions!A2", "Sessions!A3", "Payments!A2"]


def test_negative_adjustment_on_a_session_and_over_allocation():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-05 10:00 | attended |
| S2         | C1        | 90834        | 2026-01-12 10:00 | attended |
| S3         | C2        | 90834        | 2026-01-12 10:00 | attended |
## Adjustments
| adjustment_id | date       | client_id | session_id | type       | amount |
| A1            | 2026-01-20 | C1        | S2         | fee_waiver | -100   |
| A2            | 2026-01-21 | C1        | S2         | fee_waiver | -100   |
## Payments
| payment_id | received_date | client_id | amount | applies_to_session_id |
| P1         | 2026-01-22    | C1        | 10     | S3                    |
""",
        as_of="2026-01-31",
    )
    assert codes_at(rec, "A1") == set()
    assert codes_at(rec, "A2") == {"over-allocated"}  # 200 written off a 150 session
    assert codes_at(rec, "P1") == {"over-allocated"}  # another client's session
    # 300 - 200 - 10 = 90 owed; S2 is written off, the rest of A2 and P1 reach S1.
    assert balance(rec, "C1")["balance"] == Decimal("90.00")
    assert balance(rec, "C1")["oldest_open_date"] == pd.Timestamp("2026-01-05")


def test_locked_period_and_duplicate_payments():
    rec = reconciled("""
## Practice
| key               | value      |
| default_policy_id | P1         |
| lock_through_date | 2026-01-31 |
## Payments
| payment_id | received_date | client_id | amount | method | reference |
| P1         | 2026-01-31    | C1        | 50     | card   | TX1       |
| P2         | 2026-02-01    | C1        | 50     | card   | TX2       |
| P3         | 2026-02-01    | C1        | 50     | card   | TX2       |
| P4         | 2026-02-01    | C1        | 50     | cash   |           |
## Adjustments
| adjustment_id | date       | client_id | type       | amount |
| A1            | 2026-01-15 | C1        | correction | 5      |
""")
    # a lock day typed by hand, no close recorded: one note at the setting, not an error
    # on every row of the closed period (rows changed after a recorded close: test_closing)
    locked = rec.flags[rec.flags["code"] == "locked-period"]
    assert locked[["severity", "sheet"]].values.tolist() == [["note", "Practice"]]
    assert codes_at(rec, "P1") == codes_at(rec, "A1") == set()
    assert codes_at(rec, "P2") == set()
    assert codes_at(rec, "P3") == {"possible-duplicate-payment"}
    assert codes_at(rec, "P4") == set()
    assert balance(rec, "C1")["payments"] == Decimal("200.00")  # never merged


def test_duplicates_after_refunds_and_out_of_id_order():
    """Refund rows before the payments and ids out of row order: the repeat with the
    higher id is the one flagged, and a refund never counts as a duplicate."""
    rec = reconciled(
        """
## Practice
| key               | value |
| default_policy_id | P1    |
## Payments
| payment_id | received_date | client_id | amount | kind    | method | reference |
| R1         | 2026-02-01    | C1        | 50     | refund  | card   | TX2       |
| R2         | 2026-02-01    | C1        | 50     | refund  | card   | TX2       |
| P9         | 2026-02-01    | C1        | 50     | payment | card   | TX2       |
| P5         | 2026-02-01    | C1        | 50     | payment | card   | TX2       |
| P7         | 2026-02-01    | C2        | 50     | payment | card   | TX2       |
""",
        as_of="2026-03-01",
    )
    assert codes_at(rec, "P5") == set()
    assert "possible-duplicate-payment" in codes_at(rec, "P9")
    assert "possible-duplicate-payment" not in codes_at(rec, "R2")
    assert codes_at(rec, "P7") == set()


def test_as_of_in_the_past_ages_what_was_open_then():
    text = """
## Practice
| key                | value |
| default_policy_id  | P1    |
| payment_terms_days | 14    |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-01-01 10:00 | attended |
| S2         | C1        | 90834        | 2026-02-20 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-03-05    | C1        | 300    |
"""
    then = reconciled(text, as_of="2026-03-01")
    # S1 due 2026-01-15, 45 days late; S2 due 2026-03-06, not yet due.
    row = aging_row(then, "C1")
    assert (row["current"], row["31-60"], row["total"]) == (
        Decimal("150.00"),
        Decimal("150.00"),
        Decimal("300.00"),
    )
    assert balance(then, "C1")["last_payment_date"] is pd.NaT or pd.isna(
        balance(then, "C1")["last_payment_date"]
    )
    now = reconciled(text, as_of="2026-03-31")
    assert aging_row(now, "C1")["total"] == 0
    assert balance(now, "C1")["last_payment_date"] == pd.Timestamp("2026-03-05")


def test_aging_buckets_follow_the_practice_setting():
    rec = reconciled(
        """
## Practice
| key               | value |
| default_policy_id | P1    |
| aging_buckets     | 7,14  |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-01 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-10 10:00 | attended |
| S3         | C1        | 90834        | 2026-03-24 10:00 | attended |
""",
        as_of="2026-03-31",
    )
    assert list(rec.aging.columns) == [
        "client_id",
        "current",
        "1-7",
        "8-14",
        "14+",
        "credit",
        "total",
    ]
    row = aging_row(rec, "C1")
    assert (row["1-7"], row["8-14"], row["14+"]) == (
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("300.00"),
    )


# --- outputs ------------------------------------------------------------------------


def test_json_shape_and_amounts_as_decimal_strings():
    rec = reconciled(
        """
## PolicyTiers
| policy_id | applies_to | charge_type | charge_value |
| P1        | no_show    | percent     | 50           |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
| S2         | C1        | 90834        | 2026-03-09 10:00 | no_show  |
## Payments
| payment_id | received_date | client_id | amount |
| P1         | 2026-03-03    | C1        | 100    |
""",
        as_of="2026-03-31",
    )
    data = json.loads(json_text(rec.to_dict()))
    assert list(data) == [
        "as_of",
        "currency",
        "balances",
        "aging",
        "flags",
        "cancellations",
        "totals",
    ]
    assert (data["as_of"], data["currency"]) == ("2026-03-31", "USD")
    assert data["balances"][0] == {
        "client_id": "C1",
        "charges": "225.00",
        "payments": "100.00",
        "refunds": "0.00",
        "adjustments": "0.00",
        "balance": "125.00",
        "credit": "0.00",
        "last_payment_date": "2026-03-03",
        "oldest_open_date": "2026-03-02",
    }
    assert data["aging"][0] == {
        "client_id": "C1",
        "current": "0.00",
        "1-30": "125.00",
        "31-60": "0.00",
        "61-90": "0.00",
        "91-120": "0.00",
        "120+": "0.00",
        "credit": "0.00",
        "total": "125.00",
    }
    assert data["cancellations"] == [
        {
            "session_id": "S2",
            "client_id": "C1",
            "date": "2026-03-09",
            "recorded_status": "no_show",
            "computed_status": "no_show",
            "notice_hours": None,
            "policy_id": "P1",
            "occurrence": 1,
            "fee": "75.00",
            "basis": "50% of $150.00 (tier any notice, 1st occurrence)",
        }
    ]
    assert data["totals"]["balance"] == "125.00"
    assert data["flags"] == []


def test_flags_json_names_the_cell():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status    |
| S1         | C1        | 90834        | 2026-03-02 10:00 | scheduled |
""",
        as_of="2026-03-31",
    )
    assert rec.to_dict()["flags"] == [
        {
            "code": "unresolved-past-session",
            "severity": "warning",
            "sheet": "Sessions",
            "cell": "E2",
            "row_id": "S1",
            "client_id": "C1",
            "message": "session S1 on Mar 2, 2026 is still marked scheduled",
        }
    ]
    assert [str(i.where) for i in rec.issues] == ["Sessions!E2"]


def test_explain_text_lists_every_line_with_its_source():
    rec = reconciled(
        """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
## Payments
| payment_id | received_date | client_id | amount | method |
| P1         | 2026-03-03    | C1        | 200    | zelle  |
""",
        as_of="2026-03-31",
    )
    assert str(rec.explain("C1")).splitlines() == [
        "client C1, as of Mar 31, 2026 (USD)",
        "date         entry    amount  balance  source       what",
        "Mar 2, 2026  S1      $150.00  $150.00  Sessions!A2  base fee of 90834",
        "Mar 3, 2026  P1     -$200.00  -$50.00  Payments!A2  payment zelle → S1 $150.00, "
        "credit $50.00",
    ]


STRICTER = """
## PolicyTiers
| policy_id | applies_to  | charge_type | charge_value |
| P1        | late_cancel | percent     | 50           |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-03-02 10:00 | late_cancelled | 2026-03-01 12:00    |
| S2         | C2        | 90834        | 2026-03-02 10:00 | cancelled      | 2026-02-28 22:00    |
"""


def test_simulate_a_stricter_policy_with_statuses_as_recorded():
    book, _ = loaded(STRICTER)
    sim = simulate(
        book, {"notice_hours": 48, "tier_percent": 100}, mode="recorded", as_of="2026-03-31"
    )
    # S1 now costs 100% (150.00 instead of 75.00). S2 stays cancelled as recorded, but
    # 36 h is now short of 48 h: a status mismatch appears.
    assert sim.totals["fees_before"] == Decimal("75.00")
    assert sim.totals["fees_after"] == Decimal("150.00")
    assert sim.totals["fees_change"] == Decimal("75.00")
    assert sim.totals["sessions_changed"] == 0
    assert (sim.totals["clients_charged_before"], sim.totals["clients_charged_after"]) == (1, 1)
    per = sim.per_client.set_index("client_id")
    assert per.loc["C1", "fees_change"] == Decimal("75.00")
    assert per.loc["C2", ["flags_before", "flags_after"]].tolist() == [0, 1]
    flags = sim.flags.set_index("code")
    assert flags.loc["status-mismatch", "change"] == 1
    assert sim.sessions[["session_id", "status_before", "status_after"]].values.tolist() == [
        ["S1", "late_cancelled", "late_cancelled"]
    ]
    with pytest.raises(ValueError, match="cannot simulate"):
        simulate(book, {"colour": "blue"})


def test_simulate_replays_statuses_under_the_changed_policy():
    book, _ = loaded(STRICTER)
    sim = simulate(book, {"notice_hours": 48, "tier_percent": 100}, as_of="2026-03-31")
    assert sim.mode == "replay"
    # S1: 22 h of notice is late under both policies; 100% of 150.00 instead of 50%.
    # S2: 36 h of notice was on time under 24 h and is late under 48 h: C2's first late
    # cancellation, 100% of 150.00. Nothing is flagged as a mismatch: the status follows
    # the policy in both runs.
    assert sim.totals["fees_recorded"] == Decimal("75.00")
    assert sim.totals["fees_before"] == Decimal("75.00")
    assert sim.totals["fees_after"] == Decimal("300.00")
    assert sim.totals["fees_change"] == Decimal("225.00")
    assert (sim.totals["sessions_changed"], sim.totals["sessions_repriced"]) == (1, 2)
    assert (sim.totals["clients_charged_before"], sim.totals["clients_charged_after"]) == (1, 2)
    assert sim.totals["clients_newly_charged"] == 1
    per = sim.per_client.set_index("client_id")
    assert per.loc["C2", "fees_change"] == Decimal("150.00")
    assert per.loc["C2", "sessions_changed"] == 1 and per.loc["C2", "newly_charged"]
    assert not per.loc["C1", "newly_charged"]
    changed = sim.sessions.set_index("session_id")
    assert changed.loc["S2", ["status_before", "status_after"]].tolist() == [
        "cancelled",
        "late_cancelled",
    ]
    assert changed.loc["S2", "notice_hours"] == Decimal("36")
    assert changed.loc["S2", "basis"] == "100% of $150.00 (tier any notice, 1st occurrence)"
    assert "status-mismatch" not in set(sim.after.flags["code"])


def test_simulate_the_reverse_a_shorter_notice_period():
    book, _ = loaded(STRICTER)
    sim = simulate(book, {"notice_hours": 12}, as_of="2026-03-31")
    # S1's 22 h of notice is on time under a 12-hour policy: cancelled, no fee.
    assert sim.totals["fees_change"] == Decimal("-75.00")
    assert sim.totals["clients_no_longer_charged"] == 1
    changed = sim.sessions.set_index("session_id")
    assert changed.loc["S1", ["status_before", "status_after"]].tolist() == [
        "late_cancelled",
        "cancelled",
    ]


KEPT = """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status              | cancel_requested_at | cancelled_by |
| S1         | C1        | 90834        | 2026-03-02 10:00 | cancelled           |                     | client       |
| S2         | C1        | 90834        | 2026-03-03 10:00 | attended            |                     |              |
| S3         | C1        | 90834        | 2026-03-04 10:00 | clinician_cancelled | 2026-03-03 10:00    | clinician    |
| S4         | C1        | 90834        | 2026-03-05 10:00 | no_show             |                     |              |
"""


def test_simulate_keeps_what_a_replay_must_not_touch():
    book, _ = loaded(KEPT)
    sim = simulate(book, {"notice_hours": 72}, as_of="2026-03-31")
    assert sim.sessions.empty
    assert sim.totals["fees_change"] == Decimal("0.00")


def test_simulate_refuses_what_it_cannot_read():
    book, _ = loaded(STRICTER)
    for changes in ({"notice_hours": "soon"}, {"grace_count": 1.5}, {"exempt_intake": "maybe"}):
        with pytest.raises(ValueError):
            simulate(book, changes)
    with pytest.raises(ValueError, match="mode"):
        simulate(book, {"notice_hours": 48}, mode="guess")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a policy"):
        simulate(book, {"notice_hours": 48}, policy_id="P9")
    with pytest.raises(
        ValueError, match=r"^'p1' is not a policy on the Policies sheet; did you mean P1\?$"
    ):
        simulate(book, {"notice_hours": 48}, policy_id="p1")


def test_money_columns_are_exact_amounts():
    rec = reconciled("""
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
""")
    for frame, columns in (
        (rec.balances, ["charges", "payments", "refunds", "adjustments", "balance", "credit"]),
        (rec.aging, ["current", "1-30", "31-60", "61-90", "91-120", "120+", "credit", "total"]),
        (rec.charges, ["amount"]),
        (rec.ledger, ["amount", "open"]),
        (rec.cancellations, ["fee"]),
        (rec.explain("C1").lines, ["amount", "balance", "open"]),
    ):
        for column in columns:
            assert str(frame[column].dtype) == "decimal128(19, 2)[pyarrow]", (column, frame)
    # they print and sum as money: 150.00, not 15000
    assert rec.balances["charges"].sum() == Decimal("150.00")
    assert str(rec.balances["charges"].sum()) == "150.00"
    assert "150.00" in rec.balances.to_string()


def test_money_columns_have_the_currency_digits():
    rec = reconciled("""
## Practice
| key               | value |
| default_policy_id | P1    |
| currency          | JPY   |
| locale            | ja_JP |
## Services
| service_code | description | base_fee |
| 90834        | Therapy     | 15000    |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
""")
    assert str(rec.balances["charges"].dtype) == "decimal128(19, 0)[pyarrow]"
    assert rec.balances["charges"].sum() == Decimal("15000")
    assert rec.to_dict()["totals"]["charges"] == "15000"


def test_an_empty_workbook_reconciles():
    book, _ = loaded("")
    rec = reconcile(book, "2026-03-31")
    assert len(rec.balances) == 2 and rec.balances["balance"].sum() == 0
    assert rec.flags.empty and rec.cancellations.empty


def test_aging_mismatch_is_reported_if_the_invariant_ever_breaks():
    from practicebook.core.controls import aging_mismatch

    book, _ = loaded("")
    # the core's frames, in minor units: C1's aging totals 1.00 against a zero balance
    balances = pd.DataFrame({"client_id": ["C1", "C2"], "balance": [0, 0]})
    broken = pd.DataFrame({"client_id": ["C1", "C2"], "total": [100, 0]})
    issues = aging_mismatch(book, balances, broken)
    assert [(i.code.value, str(i.where), i.client_id) for i in issues] == [
        ("aging-mismatch", "Clients!A2", "C1")
    ]
    assert issues[0].is_error
    assert issues[0].message == "the aging of client C1 totals $1.00 but the balance is $0.00"


@pytest.mark.parametrize("with_orjson", [True, False])
def test_json_text_is_what_json_dumps_writes(monkeypatch, with_orjson):
    """The fast encoder writes the same bytes as the standard library, and the standard
    library takes over where orjson is missing."""
    import sys

    if not with_orjson:
        monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now fails
    rec = reconciled("""
## Practice
| key               | value |
| default_policy_id | P1    |
## Clients
| client_id | first_name | last_name | policy_ack_date |
| C1        | Zoë        | Ñúñez     | 2026-01-01      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-03-02 10:00 | no_show |
""")
    assert json_text(rec.to_dict()) == json.dumps(rec.to_dict(), indent=2, ensure_ascii=False)
