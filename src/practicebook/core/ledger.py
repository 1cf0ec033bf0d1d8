"""The charge lines and the signed ledger, with the ledger's kinds and payment wording.

Debits are charges, refunds and positive adjustments; credits are payments and negative
adjustments. ``balance = charges + adjustments - payments + refunds`` over rows dated on
or before the as-of day; rows after it are ignored. Every line carries its ``source``
cell and, for credits aimed at a session, the session it is aimed at (``target``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook import schema
from practicebook.core import policy
from practicebook.core.columns import cell_refs, concat_text
from practicebook.core.inputs import choice_is
from practicebook.core.lookup import (
    any_of,
    arrow,
    day_numbers,
    first_positions,
    sort_order,
    take,
    text_column,
)
from practicebook.core.lookup import frame as object_frame
from practicebook.core.wording import text
from practicebook.model import ROW, Book

__all__ = ["CHARGE_INPUTS", "KINDS", "charge_lines", "kind_is", "session_codes", "signed_ledger"]

#: Ledger ``kind`` values. A day's entries are ordered debits (charges, adjustments),
#: then credits (payments, credit adjustments), then refunds.
KINDS = (
    "session",
    "late_cancel_fee",
    "no_show_fee",
    "adjustment",
    "payment",
    "credit_adjustment",
    "refund",
)
_PHASE = np.array([0, 0, 0, 0, 1, 1, 2], dtype=np.int8)  # per kind code
_KIND_NAMES = np.array(KINDS, dtype=object)

#: The session columns ``charge_lines`` reads: the rest of the sessions can go before
#: the ledger is built.
CHARGE_INPUTS = (
    "session_id",
    "client_id",
    "service_code",
    "_status",
    "_cancelled_by",
    "_client",
    "_service",
    "_rate",
    ROW,
)


def kind_is(ledger: pd.DataFrame, *kinds: str) -> np.ndarray:
    """Rows of the ledger whose kind is one of ``kinds`` (by integer code)."""
    return any_of(ledger["_kind"].to_numpy(), [KINDS.index(k) for k in kinds])


def session_codes(
    sessions: pd.DataFrame, payments: pd.DataFrame, adjustments: pd.DataFrame
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The code of each session's ID, and of the session each payment and adjustment
    names (``-1`` for none or an unknown one).

    A session ID's code is the row of its first session (IDs are unique unless the checks
    reported otherwise); payments and adjustments name sessions by that code.
    """
    named = [sessions["session_id"], payments["applies_to_session_id"], adjustments["session_id"]]
    found = first_positions(concat_text(named), sessions["session_id"])  # one hash table
    session_code, pay_target, adj_target = np.split(found, np.cumsum([len(n) for n in named])[:-1])
    return session_code, (pay_target, adj_target)


def charge_lines(
    book: Book,
    w: pd.DataFrame,
    assessment: policy.Assessment,
    source: np.ndarray,
    day: np.ndarray,
    session_code: np.ndarray,
) -> pd.DataFrame:
    """Session fee lines (attended sessions) and LC/NS fee lines (non-zero fees), sorted
    by client, date and id. ``_session`` is the code of the line's session ID."""
    a = assessment.frame
    rate = w["_rate"].to_numpy(dtype=np.int64)
    by_practice = choice_is(w, "Sessions", "cancelled_by", "clinician", "practice")
    fee = a["fee"].to_numpy(dtype=np.int64, na_value=0)
    sessions = np.flatnonzero(
        choice_is(w, "Sessions", "status", "attended") & ~by_practice & (rate > 0)
    )
    fees = np.flatnonzero(fee > 0)
    idx = np.concatenate([sessions, fees])
    is_fee = np.arange(len(idx)) >= len(sessions)
    ids = arrow(w["session_id"])
    sid = ids.take(pa.array(idx))
    fee_code = a["fee_code"].iloc[fees].to_numpy(dtype=object)
    code = np.concatenate([w["service_code"].to_numpy(dtype=object)[sessions], fee_code])
    # a session's fee line is named after it: S0042-LATECXL
    fee_ids = pc.binary_join_element_wise(
        ids.take(pa.array(fees)),
        pa.array(fee_code, type=pa.large_string()),
        pa.scalar("-", pa.large_string()),
    )
    charge_id = concat_text([ids.take(pa.array(sessions)), fee_ids])
    sid = text_column(sid)
    eligible = take(
        book.services["superbill_eligible"].to_numpy(dtype=bool), w["_service"].to_numpy(), False
    )
    client = w["_client"].to_numpy(dtype=np.int64)[idx]
    kind = np.concatenate(
        [
            np.full(len(sessions), KINDS.index("session")),
            np.where(
                fee_code == "LATECXL", KINDS.index("late_cancel_fee"), KINDS.index("no_show_fee")
            ),
        ]
    ).astype(np.int64)
    columns = {
        "charge_id": charge_id,
        "date": day[idx],
        "client_id": w["client_id"].to_numpy(dtype=object)[idx],
        "session_id": sid,
        "code": code,
        "kind": _KIND_NAMES[kind],
        "amount": np.where(is_fee, fee[idx], rate[idx]),
        "superbill_eligible": eligible[idx] & ~is_fee,
        "basis": np.where(is_fee, a["basis"].to_numpy(dtype=object)[idx], source[idx]),
        "source": cell_refs(book, "Sessions", "session_id", w[ROW].to_numpy()[idx]),
        "_client": client,
        "_kind": kind,
        "_session": session_code[idx],
    }
    order = sort_order([client, day_numbers(day[idx])], charge_id)
    return object_frame({k: columns.pop(k)[order] for k in list(columns)})


def signed_ledger(
    book: Book,
    charges: pd.DataFrame,
    payments: pd.DataFrame,
    adjustments: pd.DataFrame,
    pay_session: np.ndarray,
    adj_session: np.ndarray,
) -> pd.DataFrame:
    """Every entry with a signed amount (+ raises what the client owes) and the session a
    credit is aimed at, sorted by client, date, phase (debits, credits, refunds) and id.

    Internal columns: ``_pos`` is the entry's position in its own frame (charges,
    payments, adjustments), ``_kind`` the code of ``kind``, ``_session`` the code of the
    entry's session ID (``pay_session`` and ``adj_session`` for payments and adjustments)
    and ``_target`` that of the session a credit is aimed at (``-1`` for none).
    """
    is_refund = choice_is(payments, "Payments", "kind", "refund")
    pay_amount = payments["amount"].to_numpy(dtype=np.int64)
    adj_amount = adjustments["amount"].to_numpy(dtype=np.int64)
    adjustment_text = {t: "adjustment: " + t.replace("_", " ") for t in schema.ADJUSTMENT_TYPES}

    def nothing(n: int) -> pa.Array:
        return pa.nulls(n, type=pa.large_string())

    def unless(mask: np.ndarray, values: pd.Series) -> pa.Array:
        return pc.if_else(pa.array(mask), nothing(len(mask)), arrow(values))

    # ID columns are joined and ordered in Arrow, with no Python string per line
    texts = {
        "entry_id": concat_text(
            [charges["charge_id"], payments["payment_id"], adjustments["adjustment_id"]]
        ),
        "session_id": concat_text(
            [charges["session_id"], payments["applies_to_session_id"], adjustments["session_id"]]
        ),
        "target": concat_text(
            [
                nothing(len(charges)),
                unless(is_refund, payments["applies_to_session_id"]),
                unless(adj_amount >= 0, adjustments["session_id"]),
            ]
        ),
        "source": concat_text(
            [
                charges["source"],
                cell_refs(book, "Payments", "payment_id", payments[ROW].to_numpy()),
                cell_refs(book, "Adjustments", "adjustment_id", adjustments[ROW].to_numpy()),
            ]
        ),
    }
    parts = {
        "date": (charges["date"], payments["received_date"], adjustments["date"]),
        "client_id": (charges["client_id"], payments["client_id"], adjustments["client_id"]),
        "amount": (charges["amount"], np.where(is_refund, pay_amount, -pay_amount), adj_amount),
        "description": (
            charges["basis"],
            _payment_text(payments, is_refund),
            adjustments["type"].map(adjustment_text),
        ),
        "_client": (charges["_client"], payments["_client"], adjustments["_client"]),
        "_pos": (np.arange(len(charges)), np.arange(len(payments)), np.arange(len(adjustments))),
        "_kind": (
            charges["_kind"],
            np.where(is_refund, KINDS.index("refund"), KINDS.index("payment")),
            np.where(adj_amount < 0, KINDS.index("credit_adjustment"), KINDS.index("adjustment")),
        ),
        "_session": (charges["_session"], pay_session, adj_session),
        "_target": (
            np.full(len(charges), -1),
            np.where(is_refund, -1, pay_session),
            np.where(adj_amount < 0, adj_session, -1),
        ),
    }
    columns = {k: np.concatenate([np.asarray(v) for v in vs]) for k, vs in parts.items()}
    columns["date"] = columns["date"].astype("datetime64[ns]")
    columns["amount"] = columns["amount"].astype(np.int64)
    # codes and positions fit 32 bits, kinds and phases 8: a million-line ledger is
    # then a third smaller
    for key in ("_client", "_pos", "_session", "_target"):
        columns[key] = columns[key].astype(np.int32)
    columns["_kind"] = columns["_kind"].astype(np.int8)
    columns["_phase"] = _PHASE[columns["_kind"]]
    order = sort_order(
        [columns["_client"], day_numbers(columns["date"]), columns["_phase"]], texts["entry_id"]
    )
    # each column is put in order and its unordered copy let go before the next: a
    # million-line ledger would otherwise be held twice
    ordered = {k: columns.pop(k)[order] for k in list(columns)}
    ordered.update({k: texts.pop(k).take(order) for k in list(texts)})
    ordered["kind"] = _KIND_NAMES[ordered["_kind"]]
    public = [
        "entry_id",
        "date",
        "client_id",
        "kind",
        "amount",
        "session_id",
        "target",
        "description",
        "source",
    ]
    return object_frame(
        {k: ordered[k] for k in [*public, *(c for c in ordered if c not in public)]}
    )


def _payment_text(payments: pd.DataFrame, is_refund: np.ndarray) -> np.ndarray:
    """``payment card``, ``refund e transfer of P12``: one text per kind and method,
    shared by its rows; only refunds that name a payment get their own."""
    methods = schema.PAYMENT_METHODS
    method = payments["_method"].to_numpy()  # -1 for blank
    wording = np.array(
        [
            f"{kind}{' ' + m.replace('_', ' ') if m else ''}"
            for kind in ("payment", "refund")
            for m in (*methods, "")
        ],
        dtype=object,
    )
    width = len(methods) + 1
    out = wording[is_refund.astype(np.int64) * width + np.where(method >= 0, method, width - 1)]
    of = payments["refund_of_payment_id"]
    named = np.flatnonzero(of.notna().to_numpy() & is_refund)
    if named.size:
        out[named] = text(out[named], " of ", of.to_numpy(dtype=object)[named])
    return out
