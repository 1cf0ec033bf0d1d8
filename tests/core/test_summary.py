"""Chart totals read from a reconciliation: they add up to the reconciliation's own figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from practicebook.api import load
from practicebook.core import summary
from practicebook.core.reconcile import reconcile
from practicebook.generate import generate

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    path = tmp_path_factory.mktemp("summary") / "practice.xlsx"
    generate(400).write(path)
    return reconcile(load(path)[0], AS_OF)


def test_monthly_money_adds_up_to_the_balances(rec):
    monthly = summary.monthly_money(rec)
    b = rec.balances
    assert monthly["month"].tolist() == sorted(monthly["month"])
    assert str(monthly["charged"].dtype) == "decimal128(19, 2)[pyarrow]"
    assert monthly["charged"].sum() == b["charges"].sum()
    assert monthly["collected"].sum() == b["payments"].sum() - b["refunds"].sum()


def test_one_month_by_hand(rec):
    ledger = rec.ledger
    march = ledger[ledger["date"].dt.strftime("%Y-%m") == "2026-03"]
    charged = sum(
        (
            Decimal(a)
            for a, k in zip(march["amount"], march["kind"], strict=True)
            if k in ("session", "late_cancel_fee", "no_show_fee")
        ),
        Decimal(0),
    )
    row = summary.monthly_money(rec).set_index("month").loc["2026-03"]
    assert row["charged"] == charged > 0


def test_cancellations_counted_by_month_and_weekday(rec):
    log = rec.cancellations
    counted = log[log["computed_status"].isin(["late_cancelled", "no_show"])]
    by_month = summary.cancellations_by_month(rec)
    by_day = summary.cancellations_by_weekday(rec)
    assert list(by_month.columns) == ["late_cancelled", "no_show"]
    assert int(by_month.to_numpy().sum()) == len(counted) > 0
    assert tuple(by_day.index) == summary.WEEKDAYS
    assert int(by_day.to_numpy().sum()) == len(counted)
    mondays = (pd.Series(counted["date"]).dt.day_of_week == 0).sum()
    assert int(by_day.loc["Mon"].sum()) == int(mondays)


def test_aging_totals_are_the_open_receivables(rec):
    totals = summary.aging_totals(rec)
    assert list(totals.index) == ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    assert totals.sum() == rec.aging["total"].sum() + rec.aging["credit"].sum()
    assert str(totals.dtype) == "decimal128(19, 2)[pyarrow]"


def test_flagged_clients(rec):
    assert summary.flagged_clients(rec) == set(rec.flags["client_id"].dropna())
