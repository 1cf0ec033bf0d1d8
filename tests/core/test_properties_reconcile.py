"""Invariants of the reconciliation over generated workbooks (hypothesis).

Rows are drawn from the schema's own vocabularies (statuses, payment kinds and methods,
adjustment types), written as workbook tables and read back like any workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicebook.core.allocation import allocation_steps
from practicebook.core.amounts import minor_units
from practicebook.core.policy import notice_seconds
from practicebook.core.reconcile import reconcile
from practicebook.schema import ADJUSTMENT_TYPES, PAYMENT_METHODS, STATUSES, WORKBOOK
from tests.support.reconcile_cases import loaded

START = dt.datetime(2026, 1, 1, 8, 0)
CLIENTS = ("C1", "C2")
AS_OF = "2026-05-31"
SETUP = """
## Policies
| policy_id | notice_hours | grace_count | grace_scope  | grace_rolling_days | min_amount |
| P1        | 24           | 1           | rolling_days | 60                 | 20         |
## PolicyTiers
| policy_id | applies_to  | min_notice_hours | max_notice_hours | charge_type | charge_value |
| P1        | late_cancel | 12               | 24               | percent     | 50           |
| P1        | late_cancel | 0                | 12               | full        |              |
| P1        | no_show     |                  |                  | percent     | 75           |
"""


def table(sheet: str, rows: list[dict[str, object]]) -> str:
    keys = [c.key for c in WORKBOOK.sheet(sheet).columns if any(c.key in r for r in rows)]
    lines = [f"## {sheet}", "| " + " | ".join(keys) + " |"]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def when(offset_hours: int) -> str:
    return (START + dt.timedelta(hours=offset_hours)).strftime("%Y-%m-%d %H:%M")


sessions = st.lists(
    st.fixed_dictionaries(
        {
            "client_id": st.sampled_from(CLIENTS),
            "service_code": st.sampled_from(("90834", "90837")),
            "start": st.integers(0, 150 * 24),
            "status": st.sampled_from(STATUSES),
            "notice": st.one_of(st.none(), st.integers(-2, 72)),
            "cancelled_by": st.sampled_from(("", "", "client", "clinician")),
            "fee_waived": st.sampled_from(("", "", "TRUE")),
        }
    ),
    min_size=1,
    max_size=12,
)
payments = st.lists(
    st.fixed_dictionaries(
        {
            "client_id": st.sampled_from(CLIENTS),
            "day": st.integers(0, 150),
            "kind": st.sampled_from(("payment", "payment", "refund")),
            "method": st.sampled_from(PAYMENT_METHODS),
            "amount": st.integers(1, 40000),
            "target": st.one_of(st.none(), st.integers(0, 11)),
        }
    ),
    max_size=8,
)
adjustments = st.lists(
    st.fixed_dictionaries(
        {
            "client_id": st.sampled_from(CLIENTS),
            "day": st.integers(0, 150),
            "type": st.sampled_from(ADJUSTMENT_TYPES),
            "amount": st.integers(-20000, 20000).filter(bool),
        }
    ),
    max_size=4,
)


def workbook(draw_sessions, draw_payments, draw_adjustments, order: list[int] | None = None) -> str:
    rows = []
    for n, s in enumerate(draw_sessions):
        row = {
            "session_id": f"S{n:02d}",
            "client_id": s["client_id"],
            "service_code": s["service_code"],
            "scheduled_start": when(s["start"]),
            "status": s["status"],
            "cancelled_by": s["cancelled_by"],
            "fee_waived": s["fee_waived"],
        }
        if s["notice"] is not None:
            row["cancel_requested_at"] = when(s["start"] - s["notice"])
        rows.append(row)
    pay_rows = []
    for n, p in enumerate(draw_payments):
        day = (START + dt.timedelta(days=p["day"])).date().isoformat()
        row = {
            "payment_id": f"P{n:02d}",
            "received_date": day,
            "client_id": p["client_id"],
            "kind": p["kind"],
            "method": p["method"],
            "amount": p["amount"] / 100,
        }
        if p["target"] is not None and p["target"] < len(rows) and p["kind"] == "payment":
            row["applies_to_session_id"] = f"S{p['target']:02d}"
        pay_rows.append(row)
    adj_rows = [
        {
            "adjustment_id": f"A{n:02d}",
            "client_id": a["client_id"],
            "date": (START + dt.timedelta(days=a["day"])).date().isoformat(),
            "type": a["type"],
            "amount": a["amount"] / 100,
        }
        for n, a in enumerate(draw_adjustments)
    ]
    if order is not None:  # a permutation of 0..11 reorders up to 12 sessions
        rows = [rows[i] for i in order if i < len(rows)]
        pay_rows, adj_rows = pay_rows[::-1], adj_rows[::-1]
    text = SETUP + table("Sessions", rows)
    if pay_rows:
        text += table("Payments", pay_rows)
    if adj_rows:
        text += table("Adjustments", adj_rows)
    return text


def reconciled(text: str):
    book, _ = loaded(text)
    return reconcile(book, AS_OF)


SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(sessions, payments, adjustments)
def test_balances_obey_the_identity_and_tie_to_aging(s, p, a):
    rec = reconciled(workbook(s, p, a))
    b = rec.balances
    assert (b["charges"] + b["adjustments"] - b["payments"] + b["refunds"] == b["balance"]).all()
    assert b["balance"].sum() == rec.ledger["amount"].sum()
    buckets = [c for c in rec.aging.columns if c not in ("client_id", "credit", "total")]
    # a row sum is 38 digits wide in Arrow, too wide to subtract from: compare minor units
    open_ = sum(minor_units(rec.aging[c]) for c in buckets)
    assert (open_ - minor_units(rec.aging["credit"]) == minor_units(b["balance"])).all()
    assert ((b["credit"] == 0) | (b["balance"] == -b["credit"])).all()
    assert "aging-mismatch" not in set(rec.flags["code"])


@SETTINGS
@given(sessions, payments, adjustments, st.permutations(range(12)))
def test_results_do_not_depend_on_row_order(s, p, a, order):
    first = reconciled(workbook(s, p, a))
    shuffled = reconciled(workbook(s, p, a, order=list(order)))
    pd.testing.assert_frame_equal(first.balances, shuffled.balances)
    pd.testing.assert_frame_equal(first.aging, shuffled.aging)
    by_session = ["session_id", "fee", "computed_status", "occurrence", "basis"]
    pd.testing.assert_frame_equal(
        first.cancellations[by_session].sort_values("session_id").reset_index(drop=True),
        shuffled.cancellations[by_session].sort_values("session_id").reset_index(drop=True),
    )

    def findings(rec):
        return sorted(
            zip(
                rec.flags["code"],
                rec.flags["row_id"],
                rec.flags["message"],
                strict=True,
            )
        )

    assert findings(first) == findings(shuffled)


@SETTINGS
@given(sessions, payments, adjustments)
def test_reruns_are_identical_and_money_stays_exact(s, p, a):
    book, _ = loaded(workbook(s, p, a))
    one, two = reconcile(book, AS_OF), reconcile(book, AS_OF)
    assert one.to_dict() == two.to_dict()
    for frame in (one.charges, one.ledger, one.balances, one.aging):
        assert not any(str(t).startswith("float") for t in frame.dtypes)
    assert str(one.ledger["amount"].dtype) == "decimal128(19, 2)[pyarrow]"


@SETTINGS
@given(sessions, payments, adjustments)
def test_explain_places_credits_exactly_as_the_ledger_does(s, p, a):
    rec = reconciled(workbook(s, p, a))
    for client in rec.balances["client_id"]:
        lines = rec.ledger[rec.ledger["client_id"] == client].reset_index(drop=True)
        lines = lines.assign(amount=minor_units(lines["amount"]), open=minor_units(lines["open"]))
        placed: dict[str, int] = {}
        for parts in allocation_steps(lines).values():
            for target, amount in parts:
                if target:
                    placed[target] = placed.get(target, 0) + amount
        debits = lines[lines["amount"] > 0]
        for entry, amount, still_open in zip(
            debits["entry_id"], debits["amount"], debits["open"], strict=True
        ):
            assert amount - placed.get(entry, 0) == still_open


moments = st.datetimes(min_value=dt.datetime(2026, 3, 6), max_value=dt.datetime(2026, 3, 10))
fall = st.datetimes(min_value=dt.datetime(2026, 10, 30), max_value=dt.datetime(2026, 11, 3))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.tuples(moments, moments, moments), st.tuples(fall, fall, fall)))
def test_a_later_cancellation_never_has_more_notice(times):
    start, a, b = (pd.Timestamp(t).floor("min") for t in times)
    early, late = sorted((a, b))
    notice = notice_seconds(pd.Series([start, start]), pd.Series([early, late]), "America/New_York")
    assert notice[0] >= notice[1]
    assert notice.dtype == np.int64
