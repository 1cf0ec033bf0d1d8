"""What-if on the bundled example: "what if we required 48 hours' notice?" answered with
figures worked out by hand from the example's own sheets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import practicebook
from practicebook.core.reconcile import reconcile
from practicebook.core.simulate import changed_tiers, policy_settings, simulate, typed_changes

EXAMPLE = Path(__file__).parents[2] / "examples" / "example-practice.xlsx"
AS_OF = "2026-12-31"

#: The sessions recorded as cancelled by the client with 24 to 48 hours of notice under
#: POL-STD (24 h), and the fee each gets as a late cancellation under 48 h. POL-STD's tiers
#: stop at 24 h, so no tier matches: the full session rate, capped at POL-STD's 200.00.
#: Each is at least the client's 2nd occurrence within a year (grace forgives the 1st).
BY_HAND = {
    "S0000053": Decimal("0.00"),  # C0001 is fee-exempt (Clients sheet)
    "S0000142": Decimal("95.00"),  # C0002's client rate R0002
    "S0000322": Decimal("200.00"),  # T01's 90837 rate R0003, 210.00, capped at 200.00
    "S0000418": Decimal("150.00"),  # 90834 base fee from 2026-07-01
    "S0000504": Decimal("190.00"),  # 90837 base fee
    "S0000553": Decimal("150.00"),  # 90834 base fee from 2026-07-01
}


@pytest.fixture(scope="module")
def book():
    loaded, _ = practicebook.load(EXAMPLE)
    return loaded


def test_48_hours_on_the_example_changes_fees_and_says_why(book):
    sim = simulate(book, {"notice_hours": 48}, as_of=AS_OF)
    # the sessions that change, found without the what-if: recorded cancelled by the
    # client under POL-STD with at least 24 h but less than 48 h of notice
    log = reconcile(book, AS_OF).cancellations
    hours = log["notice_hours"].map(lambda h: h if h is not None else Decimal(-1))
    short = log[
        (log["recorded_status"] == "cancelled")
        & (log["policy_id"] == "POL-STD")
        & (hours >= 24)
        & (hours < 48)
    ]
    assert sorted(short["session_id"]) == sorted(BY_HAND)
    changed = sim.sessions.set_index("session_id")
    assert sorted(changed.index) == sorted(BY_HAND)
    assert set(changed["status_before"]) == {"cancelled"}
    assert set(changed["status_after"]) == {"late_cancelled"}
    assert changed["fee_after"].to_dict() == BY_HAND
    assert changed.loc["S0000053", "basis"] == "no fee: the client is fee-exempt"
    assert changed.loc["S0000322", "basis"].endswith("capped at $200.00")
    t = sim.totals
    assert t["fees_recorded"] == t["fees_before"] == Decimal("2247.50")
    assert t["fees_change"] == sum(BY_HAND.values()) == Decimal("785.00")
    assert t["fees_after"] == Decimal("3032.50")
    assert (t["sessions_changed"], t["sessions_repriced"]) == (6, 5)
    assert (t["clients_charged_before"], t["clients_charged_after"]) == (6, 7)
    assert t["clients_newly_charged"] == 1  # C0008 had no late-cancel fee before
    per = sim.per_client.set_index("client_id")
    assert per.loc["C0008", "newly_charged"]
    assert per.loc["C0008", "fees_after"] == Decimal("150.00")
    assert per["fees_change"].sum() == Decimal("785.00")


def test_the_recorded_mode_keeps_the_old_answer(book):
    sim = simulate(book, {"notice_hours": 48}, mode="recorded", as_of=AS_OF)
    assert sim.totals["fees_change"] == Decimal("0.00")
    assert sim.sessions.empty
    flags = sim.flags.set_index("code")
    assert flags.loc["status-mismatch", "change"] == len(BY_HAND)


def test_totals_are_exact_amounts_with_the_currency_digits(book):
    sim = simulate(book, {"grace_count": 0}, as_of=AS_OF)
    for key in ("fees_recorded", "fees_before", "fees_after", "fees_change"):
        assert isinstance(sim.totals[key], Decimal)
        assert sim.totals[key].as_tuple().exponent == -2, key
    for column in ("fees_before", "fees_after", "fees_change"):
        assert str(sim.per_client[column].dtype) == "decimal128(19, 2)[pyarrow]"
    # fees_before is what the example's books charge: its late-cancel and no-show lines
    charges = sim.recorded.charges
    fees = charges[charges["kind"].isin(["late_cancel_fee", "no_show_fee"])]["amount"].sum()
    assert sim.totals["fees_before"] == fees == Decimal("2247.50")


def test_what_the_tab_shows_beside_the_inputs(book):
    now = policy_settings(book)
    assert now[["policy_id", "notice_hours", "grace_count", "exempt_intake"]].values.tolist() == [
        ["POL-STD", Decimal(24), 1, True],
        ["POL-48", Decimal(48), 0, False],
    ]
    tiers = changed_tiers(book, "POL-STD")
    assert tiers[["policy_id", "applies_to", "band", "row"]].values.tolist() == [
        ["POL-STD", "late_cancel", "12–24 h", 2]
    ]
    assert tiers["percent"].tolist() == [Decimal(50)]
    assert len(changed_tiers(book)) == 2  # POL-48's any-notice tier too


@pytest.mark.parametrize(
    ("locale", "typed", "changes"),
    [
        (
            "en_US",
            {"notice_hours": "48", "tier_percent": "12.5"},
            {"notice_hours": 48, "tier_percent": Decimal("12.5")},
        ),
        (
            "de_DE",
            {"notice_hours": "48", "tier_percent": "12,5"},
            {"notice_hours": 48, "tier_percent": Decimal("12.5")},
        ),
        (
            "fr_FR",
            {"notice_hours": "1\u202f000", "grace_count": "2"},
            {"notice_hours": 1000, "grace_count": 2},
        ),
        ("de_DE", {"notice_hours": " ", "grace_count": "0"}, {"grace_count": 0}),
    ],
)
def test_what_a_person_types_is_read_in_the_workbook_locale(locale, typed, changes):
    assert typed_changes(typed, locale) == (changes, {})


def test_what_cannot_be_a_policy_value_is_said_per_input():
    changes, problems = typed_changes(
        {"notice_hours": "two days", "grace_count": "1,5", "tier_percent": "-10"}, "de_DE"
    )
    assert changes == {}
    assert problems == {
        "notice_hours": "'two days' is not a number",
        "grace_count": "'1,5' is not a whole number",
        "tier_percent": "'-10' must not be negative",
    }
    # a dot in a German number is a thousands mark: "12.5" is refused, not read as 125
    _, problems = typed_changes({"tier_percent": "12.5"}, "de_DE")
    assert problems == {"tier_percent": "'12.5' does not follow de_DE number format"}


def test_typed_48_hours_answers_the_question_like_the_api(book):
    changes, _ = typed_changes({"notice_hours": "48"}, "en_US")
    sim = simulate(book, changes, as_of=AS_OF)
    assert sim.totals["fees_change"] == sum(BY_HAND.values())


def test_values_no_cell_could_hold_are_refused_not_overflowed(book):
    """The limits of the workbook's own cells: hours and counts at most 1,000,000,000, a
    percent fee at most 100 (a fee is at most the session's rate)."""
    for changes, said in (
        ({"notice_hours": "99999999999999999999"}, "must be at most 1,000,000,000"),
        ({"grace_count": 10**30}, "must be at most 1,000,000,000"),
        ({"tier_percent": 101}, "must be at most 100"),
        ({"grace_count": True}, "is not a number"),
    ):
        with pytest.raises(ValueError, match=said):
            simulate(book, changes, as_of=AS_OF)
    _, problems = typed_changes({"tier_percent": "150"}, "en_US")
    assert problems == {"tier_percent": "'150' must be at most 100"}
    everything = simulate(book, {"tier_percent": 100}, as_of=AS_OF)  # the limit itself
    assert everything.totals["fees_change"] > 0


def test_one_money_type_in_every_public_result(book):
    """Reconciliation frames, an explanation, a what-if, the dashboard's summaries: every
    amount is the same exact type, and nothing that is money is left as minor units."""
    from practicebook.core import summary
    from practicebook.core.amounts import is_money, money_dtype

    rec = reconcile(book, AS_OF)
    sim = simulate(book, {"notice_hours": 48}, as_of=AS_OF)
    results = {
        "balances": rec.balances,
        "aging": rec.aging,
        "charges": rec.charges,
        "ledger": rec.ledger,
        "cancellations": rec.cancellations,
        "explain": rec.explain("C0001").lines,
        "what-if per client": sim.per_client,
        "what-if sessions": sim.sessions,
        "monthly money": summary.monthly_money(rec),
    }
    money = {"amount", "open", "balance", "fee", "credit", "total", "charges", "payments"}
    money |= {"refunds", "adjustments", "charged", "collected"}
    money |= {"fees_before", "fees_after", "fees_change", "fee_before", "fee_after", "fee_change"}
    seen = 0
    for name, frame in results.items():
        for column in frame.columns:
            if is_money(frame[column]):
                seen += 1
                assert frame[column].dtype == money_dtype("USD"), (name, column)
            else:  # a column named like money, or any integer column, is no amount
                assert column not in money and column not in rec.aging.columns[1:], (name, column)
    assert seen >= 29  # 6 + 8 + 1 + 2 + 1 + 3 + 3 + 3 + 2, as listed above
    for key in ("fees_recorded", "fees_before", "fees_after", "fees_change"):
        assert sim.totals[key] == sim.totals[key].quantize(Decimal("0.01"))
