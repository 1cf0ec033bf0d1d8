"""Invoices: a session's or a period's charges, each on one live invoice at a time.

A charge already on a live invoice is never billed again: named explicitly, it blocks
the invoice (``invoice-charge-twice`` at the register cell that bills it); met in a
period, it is left out with a note. Correcting an invoice is voiding it and issuing a
new one; nothing issued is edited.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money, minor_units
from practicebook.core.documents.context import Context, charge_codes, days
from practicebook.core.documents.model import Document, InvoiceRequest, LineColumn, Value
from practicebook.core.documents.register import billed_charges
from practicebook.core.result import Reconciliation
from practicebook.errors import UnknownClient
from practicebook.issues import Code, Issue, Severity
from practicebook.money import from_minor

__all__ = ["charges_of", "invoice"]

_COLUMNS = (
    LineColumn("date", "Date", "date"),
    LineColumn("description", "Description"),
    LineColumn("quantity", "Qty", "count"),
    LineColumn("unit_price", "Unit price", "money"),
    LineColumn("amount", "Amount", "money"),
)


def charges_of(
    ctx: Context,
    rec: Reconciliation,
    client_id: str,
    start: dt.date | None,
    end: dt.date | None,
    session_ids: tuple[str, ...],
) -> pd.DataFrame:
    """The client's charge lines: those of the named sessions, else those dated in the
    period, with what is still open on each (``open``, minor units).

    Raises:
        UnknownClient: the client is not on the Clients sheet.
        LookupError: a named session is unknown, another client's, or has no charge.
    """
    if ctx.client(client_id) is None:
        raise UnknownClient(client_id)
    charges = rec.charges[rec.charges["client_id"] == client_id]
    if session_ids:
        sessions = ctx.book.sessions
        for sid in session_ids:
            found = sessions[sessions["session_id"] == sid]
            if found.empty:
                raise LookupError(f"{sid!r} is not on the Sessions sheet")
            if str(found["client_id"].iloc[0]) != client_id:
                raise LookupError(f"session {sid} is not a session of {client_id}")
            if not (charges["session_id"] == sid).any():
                raise LookupError(
                    f"session {sid} has no charge as of {rec.as_of} (it was not attended, "
                    "or its fee was waived or not charged)"
                )
        chosen = charges[charges["session_id"].isin(list(session_ids)).to_numpy(dtype=bool)]
    else:
        day = days(charges["date"])
        first = np.datetime64(start, "D") if start else np.datetime64("NaT")
        last = np.datetime64(end, "D") if end else np.datetime64("NaT")
        chosen = charges[(day >= first) & (day <= last)]
    ledger = rec.ledger
    open_by_id = dict(
        zip(ledger["entry_id"].to_numpy(dtype=object), minor_units(ledger["open"]), strict=True)
    )
    ids = chosen["charge_id"].to_numpy(dtype=object)
    return chosen.assign(open=np.array([int(open_by_id.get(c, 0)) for c in ids], dtype=np.int64))


def invoice(
    ctx: Context, rec: Reconciliation, request: InvoiceRequest, issued_on: dt.date
) -> Document:
    """The invoice ``request`` asks for, from ``rec``.

    Raises:
        UnknownClient: the client is not on the Clients sheet.
        LookupError: a named session cannot be invoiced, or the period leaves nothing
            to invoice.
        ValueError: neither sessions nor a whole period were given.
    """
    explicit = bool(request.session_ids)
    if not explicit and (request.start is None or request.end is None):
        raise ValueError("an invoice needs sessions, or a period's first and last day")
    cur, client_id = rec.currency, request.client_id
    minimal = ctx.minimal(request.minimal)
    chosen = charges_of(ctx, rec, client_id, request.start, request.end, request.session_ids)
    billed = billed_charges(ctx.book, "invoice")
    issues: list[Issue] = []
    keep = np.ones(len(chosen), dtype=bool)
    for j, charge in enumerate(chosen["charge_id"].to_numpy(dtype=object)):
        on = billed.get(str(charge))
        if on is None:
            continue
        keep[j] = explicit  # named: kept, and the invoice is blocked; in a period: left out
        issues.append(
            Issue(
                Code.INVOICE_CHARGE_TWICE,
                Severity.ERROR if explicit else Severity.NOTE,
                f"charge {charge} is already on invoice {on.number}"
                + ("" if explicit else "; it is left out"),
                on.where,
                f"To bill it again, void {on.number} first (practicebook void).",
                row_id=str(charge),
                client_id=client_id,
            )
        )
    chosen = chosen[keep]
    if chosen.empty:
        left = f" ({len(issues)} already invoiced)" if issues else ""
        raise LookupError(
            f"{client_id} has no charge from {request.start} to {request.end} left to "
            f"invoice as of {rec.as_of}{left}"
        )
    amount = minor_units(chosen["amount"])
    open_ = chosen["open"].to_numpy(dtype=np.int64)
    lines = pd.DataFrame(
        {
            "date": chosen["date"].to_numpy(),
            "charge_id": chosen["charge_id"].to_numpy(dtype=object),
            "session_id": chosen["session_id"].to_numpy(dtype=object),
            "description": ctx.describe(
                chosen["charge_id"].to_numpy(dtype=object),
                chosen["kind"].to_numpy(dtype=object),
                charge_codes(chosen),
                minimal,
            ),
            "quantity": np.ones(len(chosen), dtype=np.int64),
            "unit_price": as_money(amount, cur),
            "amount": as_money(amount, cur),
            "paid": as_money(amount - open_, cur),
            "due": as_money(open_, cur),
        }
    )
    total = int(amount.sum())
    terms = ctx.settings.payment_terms_days
    facts: list[tuple[str, Value]] = [
        ("Invoice date", issued_on),
        ("Due date", issued_on + dt.timedelta(days=terms)),
    ]
    period: tuple[dt.date, dt.date]
    if explicit:  # the register records the days the named sessions span
        span = days(chosen["date"])
        period = (span.min().astype(object), span.max().astype(object))
    else:
        assert request.start is not None and request.end is not None  # checked above
        period = (request.start, request.end)
        facts.append(("Period", period))
    facts.append(("Client", client_id))
    return Document(
        kind="invoice",
        title="Invoice",
        client_id=client_id,
        period=period,
        as_of=rec.as_of,
        issued_on=issued_on,
        currency=cur,
        locale=rec.locale,
        minimal=minimal,
        issuer=ctx.issuer,
        recipient=ctx.recipient(client_id, minimal),
        facts=tuple(facts),
        lines=lines,
        columns=_COLUMNS,
        summary=(
            ("Total", from_minor(total, cur)),
            ("Paid", from_minor(total - int(open_.sum()), cur)),
            ("Balance due", from_minor(int(open_.sum()), cur)),
        ),
        total=from_minor(total, cur),
        sections=tuple(
            t for t in (ctx.practitioners(lines["session_id"].tolist()),) if t is not None
        ),
        notes=ctx.notes(),
        issues=tuple(issues),
        charge_ids=tuple(str(c) for c in lines["charge_id"]),
    )
