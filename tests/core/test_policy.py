"""The cancellation-policy engine, rule by rule, with fees computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from practicebook import api
from practicebook.core.policy import assessment
from practicebook.core.policy.facts import SessionFacts
from practicebook.core.policy.fees import ZERO_REASONS
from practicebook.core.policy.rules import SESSION_RULES, session_findings
from practicebook.core.reconcile import reconcile
from tests.support.reconcile_cases import codes_at, fee, log_row, reconciled
from tests.test_gallery import CASES, load_case

TIERS = """
## PolicyTiers
| policy_id | applies_to  | min_notice_hours | max_notice_hours | charge_type | charge_value |
| P1        | late_cancel | 0                | 24               | percent     | 50           |
| P1        | no_show     |                  |                  | full        |              |
"""


# --- notice across daylight-saving changes ------------------------------------------


def test_spring_forward_24_wall_clock_hours_are_23_elapsed_hours():
    # New York moves from 2:00 to 3:00 on Sunday 8 March 2026.
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status    | cancel_requested_at |
| S1         | C1        | 90834        | 2026-03-08 10:00 | cancelled | 2026-03-07 10:00    |
"""
    )
    row = log_row(rec, "S1")
    assert row["notice_hours"] == Decimal("23")
    assert row["computed_status"] == "late_cancelled"
    assert row["fee"] == Decimal("0.00")  # the recorded status decides: cancelled costs nothing
    assert codes_at(rec, "S1") == {"status-mismatch"}  # 23 h is not within 1 h of 24 h
    # the basis says why there is no fee although the notice was short, without
    # contradicting itself ("cancelled with 23 h notice (policy asks 24 h)")
    assert row["basis"] == (
        "no fee: recorded as cancelled, and the recorded status decides the fee; the times "
        "(23 h notice; policy P1 asks 24 h) suggest a late cancellation (see status-mismatch)"
    )


def test_fall_back_24_wall_clock_hours_are_25_elapsed_hours():
    # New York moves from 2:00 back to 1:00 on Sunday 1 November 2026.
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-11-01 10:00 | cancelled      | 2026-10-31 10:00    |
| S2         | C1        | 90834        | 2026-11-01 11:00 | late_cancelled | 2026-10-31 11:00    |
"""
    )
    assert log_row(rec, "S1")["notice_hours"] == Decimal("25")
    assert log_row(rec, "S1")["computed_status"] == "cancelled"
    assert codes_at(rec, "S1") == set()
    # Recorded late although on time: charged as recorded, flagged. No tier covers 25 h
    # of notice, and the service sets no late-cancel fee, so the full rate applies.
    assert "status-mismatch" in codes_at(rec, "S2")
    assert fee(rec, "S2") == Decimal("150.00")
    assert log_row(rec, "S2")["basis"] == (
        "full rate $150.00 (no tier or service fee set, 1st occurrence)"
    )


def test_exactly_at_the_threshold_is_on_time_and_near_it():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-04-14 10:00 | late_cancelled | 2026-04-13 10:00    |
| S2         | C1        | 90834        | 2026-04-21 10:00 | late_cancelled | 2026-04-20 10:01    |
"""
    )
    assert log_row(rec, "S1")["computed_status"] == "cancelled"
    assert codes_at(rec, "S1") == {"status-mismatch", "notice-near-threshold"}
    assert log_row(rec, "S2")["computed_status"] == "late_cancelled"
    assert log_row(rec, "S2")["notice_hours"] == Decimal("23.98")
    assert codes_at(rec, "S2") == {"notice-near-threshold"}
    # Both are charged as recorded. 24 h is outside the 0-24 h band (its end is
    # exclusive), so S1 falls back to the full rate; S2 is 50% of 150.00.
    assert fee(rec, "S1") == Decimal("150.00")
    assert fee(rec, "S2") == Decimal("75.00")


def test_cancel_after_start_counts_as_the_policy_says_and_takes_the_zero_band():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-04-14 10:00 | late_cancelled | 2026-04-14 10:05    |
"""
    )
    row = log_row(rec, "S1")
    assert row["notice_hours"] == Decimal("-0.08")
    assert row["computed_status"] == "no_show"  # cancel_after_start_is defaults to no_show
    assert "status-mismatch" in codes_at(rec, "S1")
    assert row["fee"] == Decimal("75.00")  # recorded late cancel, band 0-24 h: 50% of 150.00
    assert row["basis"] == "50% of $150.00 (tier 0–24 h, 1st occurrence)"


def test_missing_cancel_time_is_flagged_and_priced_in_the_zero_band():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-04-14 10:00 | late_cancelled |                     |
| S2         | C1        | 90834        | 2026-04-21 10:00 | no_show        |                     |
"""
    )
    assert codes_at(rec, "S1") == {"missing-cancel-time"}
    assert fee(rec, "S1") == Decimal("75.00")
    assert codes_at(rec, "S2") == set()  # a no-show has no cancel time
    assert fee(rec, "S2") == Decimal("150.00")
    flag = rec.flags[rec.flags["row_id"] == "S1"].iloc[0]
    assert (flag["sheet"], flag["cell"]) == ("Sessions", "F2")


# --- grace and occurrences ----------------------------------------------------------


def test_grace_over_a_rolling_window():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | grace_count | grace_scope  | grace_rolling_days |
| P1        | 24           | 1           | rolling_days | 30                 |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-01-05 10:00 | no_show |
| S2         | C1        | 90834        | 2026-01-20 10:00 | no_show |
| S3         | C1        | 90834        | 2026-03-02 10:00 | no_show |
"""
    )
    # S2 is 15 days after S1 (inside 30 days): 2nd occurrence, charged.
    # S3 is 56 days after S2 and 41 after S1: the window is empty again, so it is free.
    assert [fee(rec, s) for s in ("S1", "S2", "S3")] == [
        Decimal("0.00"),
        Decimal("150.00"),
        Decimal("0.00"),
    ]
    assert [log_row(rec, s)["occurrence"] for s in ("S1", "S2", "S3")] == [1, 2, 1]
    assert codes_at(rec, "S1") == {"grace-applied"}
    # three no-shows within the practice's 90 days also make a pattern
    assert codes_at(rec, "S3") == {"grace-applied", "cancellation-pattern"}
    assert log_row(rec, "S2")["basis"] == (
        "full rate $150.00 (tier any notice, 2nd occurrence since Dec 22, 2025)"
    )
    assert log_row(rec, "S1")["basis"] == (
        "no fee: grace for the 1st occurrence since Dec 7, 2025 (policy P1 forgives 1)"
    )


def test_occurrences_count_in_date_order_across_1970():
    """A mistyped year far in the past still sorts first: occurrence numbers and grace
    follow the dates, not the order of the rows, on either side of 1970."""
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | grace_count |
| P1        | 24           | 1           |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-03-02 10:00 | no_show |
| S2         | C1        | 90834        | 1926-03-09 10:00 | no_show |
| S3         | C1        | 90834        | 2026-03-16 10:00 | no_show |
"""
    )
    assert [log_row(rec, s)["occurrence"] for s in ("S2", "S1", "S3")] == [1, 2, 3]
    assert [fee(rec, s) for s in ("S2", "S1", "S3")] == [
        Decimal("0.00"),
        Decimal("150.00"),
        Decimal("150.00"),
    ]


def test_the_largest_grace_count_forgives_everything():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | grace_count |
| P1        | 24           | 1000000000  |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-03-02 10:00 | no_show |
| S2         | C1        | 90834        | 2026-03-09 10:00 | no_show |
"""
    )
    assert [fee(rec, s) for s in ("S1", "S2")] == [Decimal("0.00"), Decimal("0.00")]


def test_grace_per_calendar_year():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | grace_count | grace_scope   |
| P1        | 24           | 1           | calendar_year |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2025-12-15 10:00 | no_show |
| S2         | C1        | 90834        | 2026-01-10 10:00 | no_show |
| S3         | C1        | 90834        | 2026-02-10 10:00 | no_show |
"""
    )
    assert [fee(rec, s) for s in ("S1", "S2", "S3")] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("150.00"),
    ]
    assert log_row(rec, "S3")["basis"] == (
        "full rate $150.00 (tier any notice, 2nd occurrence since Jan 1, 2026)"
    )


def test_tiers_escalate_by_occurrence():
    rec = reconciled("""
## PolicyTiers
| policy_id | applies_to  | occurrence_from | occurrence_to | charge_type | charge_value |
| P1        | late_cancel | 1               | 1             | percent     | 25           |
| P1        | late_cancel | 2               | 2             | percent     | 50           |
| P1        | late_cancel | 3               |               | full        |              |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-02-02 10:00 | late_cancelled | 2026-02-02 08:00    |
| S2         | C1        | 90834        | 2026-02-09 10:00 | late_cancelled | 2026-02-09 08:00    |
| S3         | C1        | 90834        | 2026-02-16 10:00 | late_cancelled | 2026-02-16 08:00    |
| S4         | C1        | 90834        | 2026-02-23 10:00 | late_cancelled | 2026-02-23 08:00    |
""")
    # 25% of 150.00 = 37.50; 50% = 75.00; then the full rate.
    assert [fee(rec, s) for s in ("S1", "S2", "S3", "S4")] == [
        Decimal("37.50"),
        Decimal("75.00"),
        Decimal("150.00"),
        Decimal("150.00"),
    ]
    assert log_row(rec, "S2")["basis"] == "50% of $150.00 (tier any notice, 2nd occurrence)"


def test_percent_rounds_half_up_per_line():
    rec = reconciled("""
## PolicyTiers
| policy_id | applies_to | charge_type | charge_value |
| P1        | no_show    | percent     | 33.3         |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  | fee_override |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show | 152.55       |
""")
    # 33.3% of 152.55 = 50.79915 -> 50.80; the override is the rate the percent applies to
    assert fee(rec, "S1") == Decimal("50.80")


def test_cap_and_minimum():
    rec = reconciled("""
## Policies
| policy_id | notice_hours | cap_amount | min_amount |
| P1        | 24           | 120        | 100        |
## PolicyTiers
| policy_id | applies_to  | charge_type | charge_value |
| P1        | late_cancel | percent     | 50           |
| P1        | no_show     | full        |              |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-02-02 10:00 | late_cancelled | 2026-02-02 08:00    |
| S2         | C1        | 90834        | 2026-02-09 10:00 | no_show        |                     |
""")
    assert fee(rec, "S1") == Decimal("100.00")  # 75.00 raised to the minimum
    assert fee(rec, "S2") == Decimal("120.00")  # 150.00 capped
    assert log_row(rec, "S1")["basis"] == (
        "50% of $150.00 (tier any notice, 1st occurrence), raised to the minimum $100.00"
    )
    assert log_row(rec, "S2")["basis"] == (
        "full rate $150.00 (tier any notice, 2nd occurrence), capped at $120.00"
    )


def test_service_fee_settings_when_no_tier_matches():
    rec = reconciled("""
## Services
| service_code | description | base_fee | lc_fee_type | lc_fee_value | ns_fee_type |
| 90834        | Therapy     | 150      | flat        | 40           | none        |
| 90837        | Therapy 60  | 190      |             |              |             |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at |
| S1         | C1        | 90834        | 2026-02-02 10:00 | late_cancelled | 2026-02-02 08:00    |
| S2         | C1        | 90834        | 2026-02-09 10:00 | no_show        |                     |
| S3         | C1        | 90837        | 2026-02-16 10:00 | no_show        |                     |
""")
    assert [fee(rec, s) for s in ("S1", "S2", "S3")] == [
        Decimal("40.00"),
        Decimal("0.00"),
        Decimal("190.00"),
    ]
    assert log_row(rec, "S1")["basis"] == (
        "flat $40.00 (service 90834 late-cancel fee, 1st occurrence)"
    )
    assert log_row(rec, "S2")["basis"] == "no fee (service 90834 no-show fee, 2nd occurrence)"
    assert set(rec.charges["charge_id"]) == {"S1-LATECXL", "S3-NOSHOW"}


# --- zero-fee reasons ---------------------------------------------------------------


def test_fee_exempt_client_is_not_charged_and_not_counted():
    rec = reconciled(
        TIERS
        + """
## Clients
| client_id | first_name | last_name | fee_exempt | fee_exempt_reason | policy_ack_date |
| C1        | Ada        | Example   | TRUE       | medicaid          | 2025-01-01      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show |
"""
    )
    assert fee(rec, "S1") == Decimal("0.00")
    assert codes_at(rec, "S1") == {"fee-exempt-client"}
    assert pd.isna(log_row(rec, "S1")["occurrence"])


def test_waived_fees_count_as_occurrences_and_need_a_reason():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  | fee_waived | waiver_reason |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show | TRUE       | illness       |
| S2         | C1        | 90834        | 2026-02-09 10:00 | no_show | TRUE       |               |
| S3         | C1        | 90834        | 2026-02-16 10:00 | no_show |            |               |
"""
    )
    assert [fee(rec, s) for s in ("S1", "S2", "S3")] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("150.00"),
    ]
    assert codes_at(rec, "S1") == {"fee-waived"}
    assert codes_at(rec, "S2") == {"fee-waived", "waiver-without-reason"}
    assert log_row(rec, "S3")["occurrence"] == 3
    assert "cancellation-pattern" in codes_at(rec, "S3")  # 3 within 90 days


def test_intake_exemption_covers_the_first_session_only():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | exempt_intake |
| P1        | 24           | TRUE          |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show |
| S2         | C1        | 90834        | 2026-02-09 10:00 | no_show |
"""
    )
    assert fee(rec, "S1") == Decimal("0.00")
    assert codes_at(rec, "S1") == {"grace-intake"}
    assert fee(rec, "S2") == Decimal("150.00")
    assert log_row(rec, "S2")["occurrence"] == 1  # the exempt intake did not count


def test_first_matching_zero_fee_reason_wins():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | exempt_intake | grace_count |
| P1        | 24           | TRUE          | 1           |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  | fee_waived | waiver_reason |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show | TRUE       | weather       |
"""
    )
    assert codes_at(rec, "S1") == {"fee-waived"}  # waived before intake before grace


def test_reschedule_waiver_within_the_window():
    rec = reconciled(
        TIERS
        + """
## Policies
| policy_id | notice_hours | reschedule_waiver | reschedule_window_days |
| P1        | 24           | TRUE              | 7                      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at | rescheduled_to_session_id |
| S1         | C1        | 90834        | 2026-02-02 10:00 | late_cancelled | 2026-02-02 08:00    | S2                        |
| S2         | C1        | 90834        | 2026-02-05 10:00 | attended       |                     |                           |
| S3         | C1        | 90834        | 2026-02-09 10:00 | late_cancelled | 2026-02-09 08:00    | S4                        |
| S4         | C1        | 90834        | 2026-02-19 10:00 | attended       |                     |                           |
"""
    )
    assert fee(rec, "S1") == Decimal("0.00")
    assert codes_at(rec, "S1") == {"reschedule-waived"}
    assert log_row(rec, "S1")["basis"] == "no fee: rescheduled to S2 within 7 days"
    assert fee(rec, "S3") == Decimal("75.00")  # moved 10 days on: outside the window
    assert log_row(rec, "S3")["occurrence"] == 1  # the waived reschedule did not count


def test_clinician_cancellations_are_never_charged_or_counted():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status         | cancel_requested_at | cancelled_by |
| S1         | C1        | 90834        | 2026-02-02 10:00 | late_cancelled | 2026-02-02 08:00    | clinician    |
| S2         | C1        | 90834        | 2026-02-09 10:00 | no_show        |                     |              |
"""
    )
    row = log_row(rec, "S1")
    assert (row["computed_status"], row["fee"]) == ("clinician_cancelled", 0)
    assert row["basis"] == "no fee: cancelled by the clinician"
    assert codes_at(rec, "S1") == {"status-mismatch"}
    assert log_row(rec, "S2")["occurrence"] == 1


# --- other flags --------------------------------------------------------------------


def test_policy_not_acknowledged_when_a_fee_is_charged():
    rec = reconciled(
        TIERS
        + """
## Clients
| client_id | first_name | last_name | policy_ack_date |
| C1        | Ada        | Example   |                 |
| C2        | Bo         | Example   | 2026-03-01      |
| C3        | Cy         | Example   | 2026-02-02      |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show  |
| S2         | C2        | 90834        | 2026-02-02 10:00 | no_show  |
| S3         | C3        | 90834        | 2026-02-02 10:00 | no_show  |
| S4         | C1        | 90834        | 2026-02-09 10:00 | attended |
"""
    )
    assert "policy-not-acknowledged" in codes_at(rec, "S1")  # never signed
    assert "policy-not-acknowledged" in codes_at(rec, "S2")  # signed after the session
    assert "policy-not-acknowledged" not in codes_at(rec, "S3")  # signed that day
    assert codes_at(rec, "S4") == set()


def test_cancellation_pattern_is_flagged_when_reached():
    rec = reconciled(
        TIERS
        + """
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-01-05 10:00 | no_show |
| S2         | C1        | 90834        | 2026-02-05 10:00 | no_show |
| S3         | C1        | 90834        | 2026-06-01 10:00 | no_show |
| S4         | C1        | 90834        | 2026-06-08 10:00 | no_show |
| S5         | C1        | 90834        | 2026-06-15 10:00 | no_show |
| S6         | C1        | 90834        | 2026-06-22 10:00 | no_show |
"""
    )
    # Practice defaults: 3 within 90 days. S3 has S2 more than 90 days before; S5 is the
    # third within 90 days; S6 continues the same pattern and is not flagged again.
    flagged = set(rec.flags.loc[rec.flags["code"] == "cancellation-pattern", "row_id"])
    assert flagged == {"S5"}


def test_late_arrival_beyond_the_grace_minutes():
    rec = reconciled("""
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   | arrived_minutes_late |
| S1         | C1        | 90834        | 2026-02-02 10:00 | attended | 20                   |
| S2         | C1        | 90834        | 2026-02-09 10:00 | attended | 15                   |
""")
    assert codes_at(rec, "S1") == {"late-arrival"}
    assert codes_at(rec, "S2") == set()


def test_no_policy_in_force_falls_back_to_the_service_and_warns():
    rec = reconciled("""
## Policies
| policy_id | notice_hours | effective_from |
| P1        | 24           | 2026-06-01     |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status  |
| S1         | C1        | 90834        | 2026-02-02 10:00 | no_show |
""")
    assert codes_at(rec, "S1") == {"no-policy-in-force"}
    assert fee(rec, "S1") == Decimal("150.00")
    assert log_row(rec, "S1")["basis"] == (
        "full rate $150.00 (no tier or service fee set, no cancellation policy in force)"
    )


def test_policy_effective_periods_include_both_end_dates():
    rec = reconciled("""
## Policies
| policy_id | notice_hours | effective_from | effective_to |
| P1        | 24           | 2026-01-01     | 2026-02-02   |
| P1        | 48           | 2026-02-03     |              |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status    | cancel_requested_at |
| S1         | C1        | 90834        | 2026-02-02 10:00 | cancelled | 2026-01-31 10:00    |
| S2         | C1        | 90834        | 2026-02-03 10:00 | cancelled | 2026-02-01 11:00    |
""")
    assert log_row(rec, "S1")["computed_status"] == "cancelled"  # 48 h against 24 h
    assert log_row(rec, "S2")["computed_status"] == "late_cancelled"  # 47 h against 48 h


# --- the session rules --------------------------------------------------------------


def test_the_session_rules_list_every_session_finding_in_order(monkeypatch):
    """Each rule raises only its own code, and the gallery's workbooks together raise
    every code listed, and no other, on the Sessions sheet."""
    assert list(SESSION_RULES) == [
        "unresolved-past-session",
        "possible-duplicate-session",
        "cpt-duration-mismatch",
        "status-mismatch",
        "missing-cancel-time",
        "notice-near-threshold",
        "late-arrival",
        "no-policy-in-force",
        *(code.value for code in ZERO_REASONS),
        "waiver-without-reason",
        "policy-not-acknowledged",
        "cancellation-pattern",
    ]
    seen: list[SessionFacts] = []

    def spy(facts: SessionFacts):
        seen.append(facts)
        return session_findings(facts)

    monkeypatch.setattr(assessment, "session_findings", spy)
    raised: set[str] = set()
    for path in sorted(CASES.glob("*.md")):
        tables, options, _ = load_case(path)
        if "as_of" not in options:
            continue
        seen.clear()
        book, _ = api.load_tables(tables)
        rec = reconcile(book, dt.date.fromisoformat(options["as_of"]))
        (facts,) = seen
        by_rule = {
            name: [set(f["code"]) for f in rule(facts)] for name, rule in SESSION_RULES.items()
        }
        assert all(codes == {name} for name, found in by_rule.items() for codes in found), path
        on_sessions = set(rec.flags.loc[rec.flags["sheet"] == "Sessions", "code"])
        assert on_sessions == {name for name, found in by_rule.items() if found}, path
        raised |= on_sessions
    assert raised == set(SESSION_RULES)
