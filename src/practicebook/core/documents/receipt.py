"""Receipts: one payment, what it paid session by session, and the balance after it.

The allocation is the core's, placed step by step as ``explain`` places it, as of the
day the payment was received: a receipt says what the payment did when it came in, so
reissuing it later gives the same figures.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from practicebook.core.allocation import allocation_steps
from practicebook.core.amounts import as_money, minor_units
from practicebook.core.documents.context import Context, as_date, present
from practicebook.core.documents.model import (
    Block,
    Document,
    LineColumn,
    ReceiptRequest,
    Table,
)
from practicebook.core.result import Reconciliation
from practicebook.money import from_minor

__all__ = ["receipt", "receipt_day"]

_COLUMNS = (
    LineColumn("date", "Date of service", "date"),
    LineColumn("description", "Description"),
    LineColumn("charge", "Charge", "money"),
    LineColumn("paid", "Paid by this payment", "money"),
)


def receipt_day(ctx: Context, request: ReceiptRequest) -> dt.date | None:
    """The day the payment was received (``None`` for an unknown payment)."""
    p = ctx.book.payments
    found = p[p["payment_id"] == request.payment_id]
    return None if found.empty else as_date(found["received_date"].iloc[0])


def receipt(
    ctx: Context, rec: Reconciliation, request: ReceiptRequest, issued_on: dt.date
) -> Document:
    """The receipt for ``request.payment_id`` from ``rec`` (as of the day it was received).

    Raises:
        LookupError: the payment is not on the Payments sheet, or is a refund.
    """
    payments = ctx.book.payments
    found = payments[payments["payment_id"] == request.payment_id]
    if found.empty:
        raise LookupError(f"{request.payment_id!r} is not on the Payments sheet")
    row = found.iloc[0]
    if present(row["kind"]) == "refund":
        raise LookupError(f"{request.payment_id} is a refund; receipts are for payments")
    client_id, cur = str(row["client_id"]), rec.currency
    minimal = ctx.minimal(request.minimal)
    ledger = rec.ledger[rec.ledger["client_id"] == client_id].reset_index(drop=True)
    at = np.flatnonzero(ledger["entry_id"].to_numpy(dtype=object) == request.payment_id)
    if not at.size:
        raise LookupError(f"{request.payment_id} is not in the ledger as of {rec.as_of}")
    line = int(at[0])
    minor = minor_units(ledger["amount"])
    steps = allocation_steps(ledger.assign(amount=minor)).get(line, [])
    balance_after = int(minor[: line + 1].sum())  # the running balance on its line
    ids = ledger["entry_id"].to_numpy(dtype=object)
    position = {str(e): j for j, e in enumerate(ids)}
    paid = [(where, n) for where, n in steps if where is not None]
    credit = sum(n for where, n in steps if where is None)
    rows = [position[w] for w, _ in paid]
    ids_of, kinds = ledger["entry_id"].to_numpy(dtype=object), ledger["kind"].to_numpy(dtype=object)
    described = ctx.describe(ids_of[rows], kinds[rows], ctx.charge_codes(rec), minimal)
    lines = pd.DataFrame(
        {
            "date": ledger["date"].to_numpy()[rows],
            "charge_id": [w for w, _ in paid],
            "description": described,
            "charge": as_money(minor[rows], cur),
            "paid": as_money(np.array([n for _, n in paid], dtype=np.int64), cur),
        }
    )
    amount = int(-minor[line])
    method, reference = ctx.payment_method(request.payment_id)
    return Document(
        kind="receipt",
        title="Receipt",
        client_id=client_id,
        period=None,
        as_of=rec.as_of,
        issued_on=issued_on,
        currency=cur,
        locale=rec.locale,
        minimal=minimal,
        issuer=ctx.issuer,
        recipient=ctx.recipient(client_id, minimal),
        facts=(
            ("Receipt date", issued_on),
            ("Payment", request.payment_id),
            ("Received on", as_date(row["received_date"])),
            ("Client", client_id),
        ),
        lines=lines,
        columns=_COLUMNS,
        summary=(
            ("Amount received", from_minor(amount, cur)),
            ("Applied to sessions", from_minor(amount - credit, cur)),
            ("Kept as credit", from_minor(credit, cur)),
            ("Balance after this payment", from_minor(balance_after, cur)),
        ),
        total=from_minor(amount, cur),
        sections=(
            Block("Payment", (("Method", method), ("Reference", reference))),
            *_provider(ctx, ledger["session_id"].to_numpy(dtype=object)[rows]),
        ),
        notes=ctx.tax_lines,
        payment_id=request.payment_id,
    )


def _provider(ctx: Context, session_ids: np.ndarray) -> tuple[Table, ...]:
    """The practitioners' registrations, when the sessions paid have any."""
    table = ctx.practitioners(s for s in session_ids.tolist() if isinstance(s, str))
    return () if table is None else (table,)
