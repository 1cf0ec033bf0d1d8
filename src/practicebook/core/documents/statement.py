"""Statements: a client's account over a period, or everything still open at its end.

Every figure is the core's, as ``explain`` shows it as of the period's last day: the
opening balance is the running balance before the first day, each line keeps its
amount and running balance, and the closing balance is the client's balance at the
last day; the aging is the core's aging on that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money, minor_units
from practicebook.core.balances import aging_labels
from practicebook.core.documents.context import Context, days
from practicebook.core.documents.model import (
    Document,
    LineColumn,
    StatementRequest,
    Table,
    Value,
)
from practicebook.core.result import Reconciliation
from practicebook.money import from_minor

__all__ = ["Lines", "statement", "statement_clients"]

_ACTIVITY = (
    LineColumn("date", "Date", "date"),
    LineColumn("description", "Description"),
    LineColumn("amount", "Amount", "money"),
    LineColumn("balance", "Balance", "money"),
)
_OPEN = (
    LineColumn("date", "Date", "date"),
    LineColumn("description", "Description"),
    LineColumn("amount", "Amount", "money"),
    LineColumn("open", "Still open", "money"),
)
_CHARGES = ("session", "late_cancel_fee", "no_show_fee")
_ADJUSTMENTS = ("adjustment", "credit_adjustment")


@dataclass(frozen=True)
class Lines:
    """A client's ``explain`` lines as plain columns (money in minor units): one slice of
    every client's when a run of statements shares one reconciliation."""

    date: np.ndarray  # datetime64[ns]
    entry_id: np.ndarray
    kind: np.ndarray
    amount: np.ndarray
    balance: np.ndarray
    open: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Lines:
        """The columns of ``explain`` lines (or of every client's, ``explained_ledger``)."""
        return cls(
            frame["date"].to_numpy(dtype="datetime64[ns]"),
            frame["entry_id"].to_numpy(dtype=object),
            frame["kind"].to_numpy(dtype=object),
            minor_units(frame["amount"]),
            minor_units(frame["balance"]),
            minor_units(frame["open"]),
        )

    def part(self, first: int, end: int) -> Lines:
        """Rows ``first`` to ``end`` (views, no copy)."""
        return Lines(*(getattr(self, f.name)[first:end] for f in fields(self)))


def statement(
    ctx: Context,
    rec: Reconciliation,
    request: StatementRequest,
    issued_on: dt.date,
    *,
    lines: Lines | None = None,
) -> Document:
    """The statement ``request`` asks for, from ``rec`` (reconciled as of its last day).

    ``lines``: the client's ``explain`` lines, when many statements share ``rec``.

    Raises:
        UnknownClient: the client is not on the Clients sheet.
        ValueError: ``rec`` is not as of the period's last day, or the period ends
            before it starts.
    """
    if request.end < request.start:
        raise ValueError(f"the period ends ({request.end}) before it starts ({request.start})")
    if rec.as_of != request.end:
        raise ValueError(f"a statement to {request.end} needs the figures as of that day")
    cur = rec.currency
    minimal = ctx.minimal(request.minimal)
    if lines is None:
        lines = Lines.of(rec.explain(request.client_id).lines)
    day = lines.date.astype("datetime64[D]")
    first, last = np.datetime64(request.start, "D"), np.datetime64(request.end, "D")
    within = (day >= first) & (day <= last)
    opening = int(lines.amount[day < first].sum())
    closing = int(lines.amount.sum())
    described = np.asarray(
        ctx.describe(lines.entry_id, lines.kind, ctx.charge_codes(rec), minimal), dtype=object
    )
    if request.mode == "open":
        frame, columns = _open_items(lines, described, cur), _OPEN
    else:
        frame = pd.DataFrame(
            {
                "date": lines.date[within],
                "entry_id": lines.entry_id[within],
                "kind": lines.kind[within],
                "description": described[within],
                "amount": as_money(lines.amount[within], cur),
                "balance": as_money(lines.balance[within], cur),
            }
        )
        columns = _ACTIVITY

    def period_sum(*wanted: str) -> Decimal:
        chosen = within & np.isin(lines.kind, wanted)
        return from_minor(int(lines.amount[chosen].sum()), cur)

    summary: list[tuple[str, Value]] = []
    if request.mode == "activity":
        summary += [
            ("Opening balance", from_minor(opening, cur)),
            ("Charges", period_sum(*_CHARGES)),
            ("Payments", period_sum("payment")),
            ("Refunds", period_sum("refund")),
            ("Adjustments", period_sum(*_ADJUSTMENTS)),
        ]
    summary.append(("Closing balance", from_minor(closing, cur)))
    summary.append(
        ("Amount due", from_minor(closing, cur))
        if closing >= 0
        else ("Credit on account", from_minor(-closing, cur))
    )
    title = "Statement" if request.mode == "activity" else "Statement of open items"
    return Document(
        kind="statement",
        title=title,
        client_id=request.client_id,
        period=(request.start, request.end),
        as_of=rec.as_of,
        issued_on=issued_on,
        currency=cur,
        locale=rec.locale,
        minimal=minimal,
        issuer=ctx.issuer,
        recipient=ctx.recipient(request.client_id, minimal),
        facts=(
            ("Statement date", issued_on),
            ("Period", (request.start, request.end)),
            ("Client", request.client_id),
        ),
        lines=frame,
        columns=columns,
        summary=tuple(summary),
        total=from_minor(closing, cur),
        sections=(_aging(ctx, rec, request.client_id),),
        notes=ctx.notes(footer=True),
    )


def _open_items(lines: Lines, described: np.ndarray, currency: str) -> pd.DataFrame:
    """Every debit still (partly) unpaid and every credit not yet used, as at the end:
    the open amounts add up to the balance."""
    still = lines.open != 0
    signed = np.where(lines.amount > 0, lines.open, -lines.open)[still]
    return pd.DataFrame(
        {
            "date": lines.date[still],
            "entry_id": lines.entry_id[still],
            "kind": lines.kind[still],
            "description": described[still],
            "amount": as_money(lines.amount[still], currency),
            "open": as_money(signed, currency),
        }
    )


def _aging(ctx: Context, rec: Reconciliation, client_id: str) -> Table:
    """The client's aging on the statement's last day (the core's buckets)."""
    labels = aging_labels(ctx.settings.aging_buckets)
    titles = ["Current", *(f"{label.replace('-', '–')} days" for label in labels[1:])]
    titles += ["Credit", "Total"]
    keys = [*labels, "credit", "total"]
    minor = ctx.aging_rows(rec).get(client_id, (0,) * len(keys))
    values: tuple[Value, ...] = tuple(from_minor(m, rec.currency) for m in minor)
    columns = tuple(LineColumn(k, t, "money") for k, t in zip(keys, titles, strict=True))
    return Table("Aging at the end of the period", columns, (values,))


def statement_clients(rec: Reconciliation, start: dt.date, end: dt.date) -> list[str]:
    """The clients a month's statements go to: activity in the period, or a balance or a
    credit at its end (``rec`` as of ``end``), in ID order."""
    ledger = rec.ledger
    day = days(ledger["date"])
    active = ledger["client_id"][
        (day >= np.datetime64(start, "D")) & (day <= np.datetime64(end, "D"))
    ]
    b = rec.balances
    owing = b["client_id"][(minor_units(b["balance"]) != 0) | (minor_units(b["credit"]) != 0)]
    return sorted({str(c) for c in active} | {str(c) for c in owing})
