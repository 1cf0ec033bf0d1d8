"""The reconciliation core: fees, ledger, allocation, balances, aging and flags as of a day.

Pure: a ``Book`` in, a ``Reconciliation`` out, no file I/O. Rules (domain research §c,
C-1, C-4, C-5, with the settled details of issue 3):

* **Fees** (C-1). A session's rate is the first of ``fee_override``, the client's rate
  for the service, the client's rate for any service, the clinician's rate for the
  service, the clinician's rate for any service, the service's base fee — each taken
  from the row whose effective period contains the session date. Attended sessions are
  charged their rate; late cancellations and no-shows get a separate ``LATECXL`` /
  ``NOSHOW`` line priced by ``practicebook.core.policy.engine``.
* **Ledger** (C-4). Debits are charges, refunds and positive adjustments; credits are
  payments and negative adjustments. ``balance = charges + adjustments - payments +
  refunds`` over rows dated on or before the as-of day; rows after it are ignored.
* **Allocation.** A credit that names a session (``applies_to_session_id``, or an
  adjustment's ``session_id``) goes to that session's charge first; everything else goes
  to the oldest open debit (tie: lowest id), including debits dated after the credit.
  What is left is the client's credit.
* **Aging** (C-5). Each open debit ages from its date plus ``payment_terms_days`` into
  the practice's buckets; credit has its own column; buckets minus credit equal the
  balance (``aging-mismatch`` otherwise).

All money is ``int64`` minor units of the practice currency; all work is on whole
columns, with Python loops only over findings and over one client in ``explain``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook import schema
from practicebook.core import policy
from practicebook.core.findings import combine, from_issues, to_issues
from practicebook.core.lookup import (
    Keys,
    any_of,
    arrow,
    codes,
    day_numbers,
    first_positions,
    in_effect,
    sort_order,
    take,
    text_column,
)
from practicebook.core.lookup import frame as object_frame
from practicebook.core.wording import hundredths, hundredths_texts, money_texts, text
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_date, format_money
from practicebook.model import ROW, Book
from practicebook.money import from_minor

__all__ = ["Explanation", "Reconciliation", "Simulation", "reconcile", "simulate"]

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


def _chosen(frame: pd.DataFrame, sheet: str, column: str, *names: str) -> np.ndarray:
    """Rows whose choice ``column`` holds one of ``names`` (by the codes ``_rows_read``
    keeps beside the text)."""
    choices = schema.WORKBOOK.sheet(sheet).column(column).choices
    return any_of(frame["_" + column].to_numpy(), [choices.index(n) for n in names])


def _kind_is(ledger: pd.DataFrame, *kinds: str) -> np.ndarray:
    """Rows of the ledger whose kind is one of ``kinds`` (by integer code)."""
    return any_of(ledger["_kind"].to_numpy(), [KINDS.index(k) for k in kinds])


# --- locating rows ------------------------------------------------------------------


def _cells(book: Book, sheet: str, key: str, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``Sheet!A14`` for each Excel row, for the column holding ``key`` (a ``str`` array:
    built by Arrow in one pass, with no Python string per row)."""
    layout = book.layouts.get(sheet)
    col = (layout.column_of.get(key, 1) if layout else 1) or 1
    prefix = str(CellRef(sheet, 1, col))[:-1]
    numbers = pc.cast(pa.array(np.asarray(rows, dtype=np.int64)), pa.large_string())
    joined = pc.binary_join_element_wise(
        pa.scalar(prefix, pa.large_string()), numbers, pa.scalar("", pa.large_string())
    )
    return pd.array(joined, dtype="str")


def _concat_text(parts: list[object]) -> pd.api.extensions.ExtensionArray:
    """Text columns end to end as one ``str`` array, without a Python string per row."""
    chunks = []
    for part in parts:
        values = arrow(part)
        chunks.extend(values.chunks if isinstance(values, pa.ChunkedArray) else [values])
    return text_column(pa.chunked_array(chunks, type=pa.large_string()))


# --- C-1: the rate of each session --------------------------------------------------


def _service_positions(book: Book, service: Keys, day: np.ndarray) -> np.ndarray:
    """Position of each session's Services row in effect on its day (-1 for none)."""
    services = book.services
    index = pd.Index(pd.unique(services["service_code"]))
    return in_effect(
        [service.positions(index)],
        day,
        [codes(services["service_code"], index)],
        [len(index)],
        services["effective_from"],
        services["effective_to"],
    )


def _rate_positions(
    book: Book, who: Keys, service: Keys, day: np.ndarray, scope: str, with_service: bool
) -> np.ndarray:
    """Position of the Rates row for the session's client or clinician (-1 for none)."""
    rates = book.rates
    chosen = (
        (rates["scope"] == scope) & (rates["service_code"].notna() == with_service)
    ).to_numpy()
    if not chosen.any():
        return np.full(len(day), -1, dtype=np.int64)
    people = pd.Index(pd.unique(rates["scope_id"][chosen]))
    right_who = np.where(chosen, codes(rates["scope_id"], people), -1)
    left, right, sizes = [who.positions(people)], [right_who], [len(people)]
    if with_service:
        svc = pd.Index(pd.unique(rates["service_code"][chosen]))
        left.append(service.positions(svc))
        right.append(codes(rates["service_code"], svc))
        sizes.append(len(svc))
    return in_effect(left, day, right, sizes, rates["effective_from"], rates["effective_to"])


def session_rates(
    book: Book,
    w: pd.DataFrame,
    day: np.ndarray,
    service_pos: np.ndarray,
    service: Keys,
    clients: pd.Index,
) -> tuple[np.ndarray, np.ndarray]:
    """Each session's rate in minor units and where it came from (one line of text).
    ``clients`` is the index ``w["_client"]`` points into."""
    rates, services = book.rates, book.services
    fees = rates["fee"].to_numpy(dtype=np.int64, na_value=0)
    rate_ids = rates["rate_id"].to_numpy(dtype=object)
    base = take(services["base_fee"].to_numpy(dtype=np.int64, na_value=0), service_pos, 0)
    rate = base.copy()
    source = take(
        ("base fee of " + services["service_code"]).to_numpy(dtype=object),
        service_pos,
        "no fee: unknown service",
    )
    people = {
        "client": Keys(w["_client"].to_numpy(dtype=np.int64), clients),
        "clinician": Keys.of(w["clinician_id"]),
    }
    steps = [("clinician", False), ("clinician", True), ("client", False), ("client", True)]
    for scope, with_service in steps:  # lowest precedence first, so later steps win
        pos = _rate_positions(book, people[scope], service, day, scope, with_service)
        found = pos >= 0
        rate[found] = fees[pos[found]]
        source[found] = f"{scope} rate " + rate_ids[pos[found]]
    override = w["fee_override"].to_numpy(dtype=np.int64, na_value=-1)
    rate = np.where(override >= 0, override, rate)
    source[override >= 0] = "fee override"
    return rate, source


# --- the ledger ---------------------------------------------------------------------


def _charges(
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
    by_practice = _chosen(w, "Sessions", "cancelled_by", "clinician", "practice")
    fee = a["fee"].to_numpy(dtype=np.int64, na_value=0)
    sessions = np.flatnonzero(
        _chosen(w, "Sessions", "status", "attended") & ~by_practice & (rate > 0)
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
    charge_id = _concat_text([ids.take(pa.array(sessions)), fee_ids])
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
        "source": _cells(book, "Sessions", "session_id", w[ROW].to_numpy()[idx]),
        "_client": client,
        "_kind": kind,
        "_session": session_code[idx],
    }
    order = sort_order([client, day_numbers(day[idx])], charge_id)
    return object_frame({k: columns.pop(k)[order] for k in list(columns)})


def _ledger(
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
    is_refund = _chosen(payments, "Payments", "kind", "refund")
    pay_amount = payments["amount"].to_numpy(dtype=np.int64)
    adj_amount = adjustments["amount"].to_numpy(dtype=np.int64)
    adjustment_text = {t: "adjustment: " + t.replace("_", " ") for t in schema.ADJUSTMENT_TYPES}

    def nothing(n: int) -> pa.Array:
        return pa.nulls(n, type=pa.large_string())

    def unless(mask: np.ndarray, values: pd.Series) -> pa.Array:
        return pc.if_else(pa.array(mask), nothing(len(mask)), arrow(values))

    # ID columns are joined and ordered in Arrow, with no Python string per line
    texts = {
        "entry_id": _concat_text(
            [charges["charge_id"], payments["payment_id"], adjustments["adjustment_id"]]
        ),
        "session_id": _concat_text(
            [charges["session_id"], payments["applies_to_session_id"], adjustments["session_id"]]
        ),
        "target": _concat_text(
            [
                nothing(len(charges)),
                unless(is_refund, payments["applies_to_session_id"]),
                unless(adj_amount >= 0, adjustments["session_id"]),
            ]
        ),
        "source": _concat_text(
            [
                charges["source"],
                _cells(book, "Payments", "payment_id", payments[ROW].to_numpy()),
                _cells(book, "Adjustments", "adjustment_id", adjustments[ROW].to_numpy()),
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


# --- allocation ---------------------------------------------------------------------


def _allocate(ledger: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Open amount of each debit and unallocated amount of each credit (minor units).

    Targeted credits are placed on their session's charge first, in credit order; the
    rest of every credit is then pooled per client and spread over the remaining debits
    oldest first. Pooling gives the same open amounts as placing each credit in turn,
    because every credit goes to the oldest open debit whatever its date.
    """
    amount = ledger["amount"].to_numpy(dtype=np.int64)
    client = ledger["_client"].to_numpy()
    debit = amount > 0
    remaining_debit = np.where(debit, amount, 0)
    remaining_credit = np.where(debit, 0, -amount)
    _place_targeted(ledger, remaining_debit, remaining_credit)
    n_clients = int(client.max()) + 1 if len(client) else 0
    pool = _sum_by(client, remaining_credit, n_clients)
    debit_cum = _cumsum_by(client, remaining_debit)
    before = debit_cum - remaining_debit
    paid = np.clip(pool[client] - before, 0, remaining_debit)
    open_debit = remaining_debit - paid
    used = _sum_by(client, paid, n_clients)
    left = pool - used  # credit nobody's debit could take, per client
    credit_cum = _cumsum_by(client, remaining_credit)
    unallocated = np.clip(credit_cum - (pool - left)[client], 0, remaining_credit)
    return open_debit, unallocated


def _place_targeted(
    ledger: pd.DataFrame, remaining_debit: np.ndarray, remaining_credit: np.ndarray
) -> None:
    target = ledger["_target"].to_numpy()
    targeted = np.flatnonzero(target >= 0)
    if targeted.size == 0:
        return
    # the first charge line (in ledger order) of each session
    charge_rows = np.flatnonzero(_kind_is(ledger, "session", "late_cancel_fee", "no_show_fee"))
    charged, first = np.unique(ledger["_session"].to_numpy()[charge_rows], return_index=True)
    charged, first = charged[charged >= 0], first[charged >= 0]  # lines without a session
    charge_of = np.full(
        max(int(target.max()), int(charged.max(initial=-1))) + 1, -1, dtype=np.int64
    )
    charge_of[charged] = charge_rows[first]
    hit = charge_of[target[targeted]]
    client = ledger["_client"].to_numpy()
    ok = hit >= 0
    ok[ok] = client[hit[ok]] == client[targeted[ok]]
    credits, debits = targeted[ok], hit[ok]
    if credits.size == 0:
        return
    order = np.lexsort((credits, debits))  # credits are in ledger order already
    credits, debits = credits[order], debits[order]
    wanted = remaining_credit[credits]
    cum = _cumsum_by(debits, wanted)
    placed = np.clip(remaining_debit[debits] - (cum - wanted), 0, wanted)
    remaining_credit[credits] -= placed
    np.subtract.at(remaining_debit, debits, placed)


def _cumsum_by(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of ``values`` within runs of equal ``group`` (sorted input)."""
    total = np.cumsum(values)
    if len(values) == 0:
        return total
    starts = np.r_[True, group[1:] != group[:-1]]
    return total - _carry(starts, total - values)


def _carry(starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Offsets at each run start carried forward to the rest of the run."""
    idx = np.where(starts, np.arange(len(starts)), 0)
    np.maximum.accumulate(idx, out=idx)
    return offsets[idx]


def _sum_by(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums per group code (``np.bincount`` would go through floats)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, group, values)
    return out


# --- balances and aging -------------------------------------------------------------


def _balances(
    ledger: pd.DataFrame, open_debit: np.ndarray, unallocated: np.ndarray, client_index: pd.Index
) -> pd.DataFrame:
    """Per client: the balance identity's parts, credit, and two dates people ask for."""
    n = len(client_index)
    client = ledger["_client"].to_numpy()
    amount = ledger["amount"].to_numpy(dtype=np.int64)

    def total(kinds: tuple[str, ...], sign: int = 1) -> np.ndarray:
        return _sum_by(client, np.where(_kind_is(ledger, *kinds), sign * amount, 0), n)

    charges = total(("session", "late_cancel_fee", "no_show_fee"))
    payments = total(("payment",), -1)
    refunds = total(("refund",))
    adjustments = total(("adjustment", "credit_adjustment"))
    dates = ledger["date"].to_numpy(dtype="datetime64[ns]")
    # the ledger is in client and date order: a client's last payment is the last of
    # its payment lines, the oldest open debit the first of its open lines
    paid_on = _per_client(client, dates, _kind_is(ledger, "payment"), n, last=True)
    open_since = _per_client(client, dates, open_debit > 0, n, last=False)
    return pd.DataFrame(
        {
            "client_id": client_index.astype(str),
            "charges": pd.array(charges, dtype="Int64"),
            "payments": pd.array(payments, dtype="Int64"),
            "refunds": pd.array(refunds, dtype="Int64"),
            "adjustments": pd.array(adjustments, dtype="Int64"),
            "balance": pd.array(charges + adjustments - payments + refunds, dtype="Int64"),
            "credit": pd.array(_sum_by(client, unallocated, n), dtype="Int64"),
            "last_payment_date": paid_on,
            "oldest_open_date": open_since,
        }
    )


def _per_client(
    client: np.ndarray, dates: np.ndarray, chosen: np.ndarray, n: int, last: bool
) -> np.ndarray:
    """The first or last chosen date of each client (NaT for none), for rows sorted by
    client and date."""
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    rows = np.flatnonzero(chosen)
    if rows.size:
        who = client[rows]
        edge = np.r_[who[1:] != who[:-1], True] if last else np.r_[True, who[1:] != who[:-1]]
        out[who[edge]] = dates[rows[edge]]
    return out


def aging_labels(bounds: tuple[int, ...]) -> list[str]:
    """Bucket names for the practice's bucket limits.

    >>> aging_labels((30, 60, 90, 120))
    ['current', '1-30', '31-60', '61-90', '91-120', '120+']
    """
    labels, low = ["current"], 1
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f"{bounds[-1]}+"]


def _aging(
    ledger: pd.DataFrame,
    open_debit: np.ndarray,
    credit: np.ndarray,
    as_of: pd.Timestamp,
    terms_days: int,
    bounds: tuple[int, ...],
    client_index: pd.Index,
) -> pd.DataFrame:
    """Open debits by days past due (date + payment terms), credit in its own column."""
    labels = aging_labels(bounds)
    due = ledger["date"].to_numpy(dtype="datetime64[ns]") + np.timedelta64(terms_days, "D")
    late = (as_of.to_datetime64() - due).astype("timedelta64[D]").astype(np.int64)
    bucket = np.where(late <= 0, 0, 1 + np.searchsorted(np.asarray(bounds), late, "left"))
    matrix = np.zeros((len(client_index), len(labels)), dtype=np.int64)
    np.add.at(matrix, (ledger["_client"].to_numpy(), bucket), open_debit)
    aging = pd.DataFrame({"client_id": client_index.astype(str)})
    for j, label in enumerate(labels):
        aging[label] = pd.array(matrix[:, j], dtype="Int64")
    aging["credit"] = pd.array(credit, dtype="Int64")
    aging["total"] = pd.array(matrix.sum(axis=1) - credit, dtype="Int64")
    return aging


# --- ledger findings ----------------------------------------------------------------


def _ledger_issues(
    book: Book,
    payments: pd.DataFrame,
    adjustments: pd.DataFrame,
    ledger: pd.DataFrame,
    charges: pd.DataFrame,
    owner: np.ndarray,
    targets: tuple[np.ndarray, np.ndarray],
) -> list[Issue]:
    return (
        _locked(book, payments, adjustments)
        + _duplicate_payments(book, payments)
        + _refunds_exceeding(book, payments, ledger)
        + _over_allocated(book, payments, adjustments, charges, owner, targets)
    )


def _issue(
    book: Book,
    code: Code,
    severity: Severity,
    sheet: str,
    key: str,
    frame: pd.DataFrame,
    j: int,
    id_key: str,
    message: str,
    hint: str,
) -> Issue:
    return Issue(
        code,
        severity,
        message,
        book.cell(sheet, key, int(frame[ROW].iat[j])),
        hint,
        str(frame[id_key].iat[j]),
        str(frame["client_id"].iat[j]),
    )


def _locked(book: Book, payments: pd.DataFrame, adjustments: pd.DataFrame) -> list[Issue]:
    """Payments and adjustments dated on or before ``lock_through_date``."""
    lock = book.settings.lock_through_date
    if lock is None:
        return []
    issues = []
    for sheet, frame, key, id_key in (
        ("Payments", payments, "received_date", "payment_id"),
        ("Adjustments", adjustments, "date", "adjustment_id"),
    ):
        dates = frame[key]
        for j in np.flatnonzero((dates <= pd.Timestamp(lock)).to_numpy()):
            what = sheet[:-1].lower()
            issues.append(
                _issue(
                    book,
                    Code.LOCKED_PERIOD,
                    Severity.ERROR,
                    sheet,
                    key,
                    frame,
                    j,
                    id_key,
                    f"{what} {frame[id_key].iat[j]} is dated {str(dates.iat[j])[:10]}, inside "
                    f"the closed period (books locked through {lock.isoformat()})",
                    "Date corrections in the open period; reopen the period only on purpose.",
                )
            )
    return issues


def _duplicate_payments(book: Book, payments: pd.DataFrame) -> list[Issue]:
    """Same client, amount, date, method and reference: warned on every row but the one
    with the lowest id, never merged."""
    is_payment = _chosen(payments, "Payments", "kind", "payment")
    # only rows whose client, amount and date repeat can be duplicates; finding those
    # on numbers first leaves a handful of rows to compare in full
    numbers = pd.DataFrame(
        {
            "client": payments["_client"].to_numpy(),
            "amount": payments["amount"].to_numpy(dtype=np.int64, na_value=-1),
            "date": payments["received_date"].to_numpy(dtype="datetime64[ns]").view(np.int64),
        }
    )
    paid = numbers[is_payment]
    candidates = paid.index[paid.duplicated(keep=False).to_numpy()].to_numpy()
    if candidates.size == 0:
        return []
    same: dict[tuple[object, ...], list[int]] = {}
    columns = [numbers[k].to_numpy()[candidates] for k in numbers]
    for k in ("method", "reference"):
        columns.append(_blank_as_none(payments[k].iloc[candidates]))
    for j, *key in zip(candidates.tolist(), *(c.tolist() for c in columns), strict=True):
        same.setdefault(tuple(key), []).append(j)
    ids = dict(
        zip(candidates.tolist(), payments["payment_id"].iloc[candidates].tolist(), strict=True)
    )
    excel_rows = payments[ROW].to_numpy()
    clients = payments["client_id"].to_numpy(dtype=object)
    issues = []
    for rows in same.values():
        if len(rows) < 2:
            continue
        # the lowest id counts as the original, so the finding does not depend on row order
        first, *repeats = sorted(rows, key=lambda j: (ids[j], j))
        for j in repeats:
            issues.append(
                Issue(
                    Code.POSSIBLE_DUPLICATE_PAYMENT,
                    Severity.WARNING,
                    f"payment {ids[j]} repeats payment {ids[first]}: same client, amount, date, "
                    "method and reference",
                    book.cell("Payments", "amount", int(excel_rows[j])),
                    "Delete one of the two if the payment was entered twice; otherwise give it "
                    "its own reference.",
                    str(ids[j]),
                    str(clients[j]),
                )
            )
    return issues


def _refunds_exceeding(book: Book, payments: pd.DataFrame, ledger: pd.DataFrame) -> list[Issue]:
    """A refund beyond what its payment (less earlier refunds of it) left, or beyond the
    client's credit when it names no payment."""
    currency = book.settings.currency
    at = np.flatnonzero(_chosen(payments, "Payments", "kind", "refund"))
    if at.size == 0:
        return []
    refunds = payments.iloc[at]
    # what each refund names: the first payment row with that id
    named = pd.Index(refunds["refund_of_payment_id"].dropna().unique(), dtype=object)
    hit = np.flatnonzero(_chosen(payments, "Payments", "kind", "payment"))
    hit = hit[first_positions(payments["payment_id"].iloc[hit], named.to_numpy()) >= 0]
    originals = payments.iloc[hit].drop_duplicates("payment_id")
    index = pd.Index(originals["payment_id"], dtype=object)
    of = codes(refunds["refund_of_payment_id"], index)
    paid = take(originals["amount"].to_numpy(dtype=np.int64), of, 0)
    order = (
        refunds[["received_date", "payment_id", "amount"]]
        .assign(_of=of)
        .sort_values(["_of", "received_date", "payment_id"])
    )
    cum = order.groupby("_of")["amount"].cumsum().reindex(refunds.index).to_numpy(np.int64)
    over_payment = (of >= 0) & (cum > paid)
    amount = ledger["amount"].to_numpy(dtype=np.int64)
    before = _cumsum_by(ledger["_client"].to_numpy(), amount) - amount
    in_ledger = np.flatnonzero(_kind_is(ledger, "refund"))
    credit_then = np.zeros(len(payments), dtype=np.int64)  # by position in ``payments``
    credit_then[ledger["_pos"].to_numpy()[in_ledger]] = np.maximum(-before[in_ledger], 0)
    available = credit_then[at]
    refund_amount = refunds["amount"].to_numpy(dtype=np.int64)
    over_credit = (of < 0) & (refund_amount > available)
    issues = []
    for j in np.flatnonzero(over_payment | over_credit):
        if over_payment[j]:
            limit = (
                f"payment {refunds['refund_of_payment_id'].iat[j]} was "
                f"{from_minor(int(paid[j]), currency)} and refunds of it now total "
                f"{from_minor(int(cum[j]), currency)}"
            )
        else:
            limit = f"the client's credit was {from_minor(int(available[j]), currency)}"
        issues.append(
            _issue(
                book,
                Code.REFUND_EXCEEDS_PAYMENT,
                Severity.ERROR,
                "Payments",
                "amount",
                refunds,
                int(j),
                "payment_id",
                f"refund {refunds['payment_id'].iat[j]} of "
                f"{from_minor(int(refund_amount[j]), currency)} is more than can be refunded: "
                f"{limit}",
                "Check the amount; a refund cannot exceed what was paid and not yet refunded.",
            )
        )
    return issues


def _over_allocated(
    book: Book,
    payments: pd.DataFrame,
    adjustments: pd.DataFrame,
    charges: pd.DataFrame,
    owner: np.ndarray,
    targets: tuple[np.ndarray, np.ndarray],
) -> list[Issue]:
    """Credits aimed at a session they cannot go to: another client's session, or
    write-downs beyond what the session was charged. ``owner`` is the client of each
    session code; ``targets`` the session codes payments and adjustments name."""
    currency = book.settings.currency
    issues = []
    aimed = []
    for sheet, frame, key, id_key, target in (
        ("Payments", payments, "applies_to_session_id", "payment_id", targets[0]),
        ("Adjustments", adjustments, "session_id", "adjustment_id", targets[1]),
    ):
        chosen = np.flatnonzero(
            (target >= 0)
            & (
                _chosen(frame, sheet, "kind", "payment")
                if sheet == "Payments"
                else (frame["amount"] < 0).to_numpy()
            )
        )
        aimed.append((sheet, frame.iloc[chosen], key, id_key, target[chosen]))
    for sheet, frame, key, id_key, hit in aimed:
        other = (hit >= 0) & (take(owner, hit, None) != frame["client_id"].to_numpy(object))
        for j in np.flatnonzero(other):
            issues.append(
                _issue(
                    book,
                    Code.OVER_ALLOCATED,
                    Severity.ERROR,
                    sheet,
                    key,
                    frame,
                    int(j),
                    id_key,
                    f"{sheet[:-1].lower()} {frame[id_key].iat[j]} of client "
                    f"{frame['client_id'].iat[j]} names session {frame[key].iat[j]} of client "
                    f"{owner[hit[j]]}; it cannot be allocated there",
                    "Correct the session, or the client the row belongs to.",
                )
            )
    _, credit_adj, _, _, hit = aimed[1]
    mine = take(owner, hit, None) == credit_adj["client_id"].to_numpy(object)
    own = credit_adj[mine]
    if own.empty:
        return issues
    mine = charges.iloc[np.flatnonzero(np.isin(charges["_session"].to_numpy(), hit[mine]))]
    charged = mine.groupby("session_id")["amount"].sum()
    own = own.sort_values(["session_id", "date", "adjustment_id"])
    written = own.groupby("session_id")["amount"].cumsum().to_numpy(np.int64) * -1
    limit = charged.reindex(own["session_id"]).to_numpy(dtype=np.int64, na_value=0)
    for j in np.flatnonzero(written > limit):
        issues.append(
            _issue(
                book,
                Code.OVER_ALLOCATED,
                Severity.ERROR,
                "Adjustments",
                "amount",
                own,
                int(j),
                "adjustment_id",
                f"adjustment {own['adjustment_id'].iat[j]} brings the reductions of session "
                f"{own['session_id'].iat[j]} to {from_minor(int(written[j]), currency)}, more than "
                f"its charges of {from_minor(int(limit[j]), currency)}",
                "Reduce the adjustment, or remove the session so it lowers the balance in general.",
            )
        )
    return issues


def _aging_mismatch(book: Book, balances: pd.DataFrame, aging: pd.DataFrame) -> list[Issue]:
    """Buckets minus credit must equal the balance; anything else is a bug worth seeing."""
    wrong = (aging["total"] != balances["balance"]).to_numpy(dtype=bool)
    rows = book.clients.drop_duplicates("client_id").set_index("client_id")[ROW]
    issues = []
    for j in np.flatnonzero(wrong):
        client = str(balances["client_id"].iat[j])
        row = rows.get(client)
        issues.append(
            Issue(
                Code.AGING_MISMATCH,
                Severity.ERROR,
                f"the aging of client {client} totals {aging['total'].iat[j]} minor units but the "
                f"balance is {balances['balance'].iat[j]}",
                book.cell("Clients", "client_id", int(row))
                if row is not None
                else CellRef("Clients"),
                "Please report this: the aging should always tie to the balance.",
                None,
                client,
            )
        )
    return issues


# --- the result ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Explanation:
    """One client's ledger, line by line, with a running balance and each line's row.

    ``lines`` columns: ``date``, ``entry_id``, ``kind``, ``description`` (a charge's
    basis; where a credit went), ``amount`` (signed minor units, + raises what the client
    owes), ``balance`` (running), ``open`` (what is still unpaid of a debit, or
    unallocated of a credit) and ``source`` (``Sessions!A14``).
    """

    client_id: str
    as_of: dt.date
    currency: str
    locale: str
    lines: pd.DataFrame

    def __str__(self) -> str:
        """The ledger as aligned text, amounts and the date in the workbook's locale."""
        cur, locale = self.currency, self.locale
        head = f"client {self.client_id}, as of {format_date(self.as_of, locale)} ({cur})"
        if self.lines.empty:
            return f"{head}\nno entries"
        table = [["date", "entry", "amount", "balance", "source", "what"]]
        for line in self.lines.itertuples(index=False):
            table.append(
                [
                    line.date.date().isoformat(),
                    str(line.entry_id),
                    format_money(int(line.amount), cur, locale),
                    format_money(int(line.balance), cur, locale),
                    str(line.source),
                    str(line.description),
                ]
            )
        widths = [max(len(r[i]) for r in table) for i in range(5)]
        out = [head]
        for r in table:
            cells = [
                r[i].rjust(widths[i]) if i in (2, 3) else r[i].ljust(widths[i]) for i in range(5)
            ]
            out.append("  ".join([*cells, r[5]]).rstrip())
        return "\n".join(out)


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Reconciliation:
    """Everything derived from a workbook as of one day.

    Frames (money in ``Int64`` minor units of ``currency``; dates ``datetime64``):

    * ``charges`` — session fee lines and separate ``LATECXL``/``NOSHOW`` lines, with
      ``superbill_eligible`` (never for fee lines), ``basis`` and ``source`` cell.
    * ``ledger`` — every charge, payment, refund and adjustment, signed, in date order,
      with ``open`` (unpaid part of a debit, unallocated part of a credit).
    * ``balances`` — per client: charges, payments, refunds, adjustments, balance,
      credit, last_payment_date, oldest_open_date.
    * ``aging`` — per client: open debits by days past due, credit, total (= balance).
    * ``flags`` — one row per finding (code, severity, sheet, cell, row_id, client_id,
      message, hint, row, col) in sheet and row order; ``issues`` has them as ``Issue``.
    * ``cancellations`` — every session recorded or computed as cancelled,
      late_cancelled, no_show or clinician_cancelled, with notice, policy, occurrence,
      fee and basis.

    ID and cell columns of ``charges`` and ``ledger`` (``charge_id``, ``entry_id``,
    ``session_id``, ``target``, ``source``) are pandas ``str`` columns, blank as ``NaN``
    (test with ``pd.isna``); other text columns hold Python strings.
    """

    as_of: dt.date
    currency: str
    locale: str
    charges: pd.DataFrame
    ledger: pd.DataFrame
    balances: pd.DataFrame
    aging: pd.DataFrame
    flags: pd.DataFrame
    cancellations: pd.DataFrame

    @functools.cached_property
    def issues(self) -> list[Issue]:
        """The findings as ``Issue`` objects, in sheet and row order."""
        return to_issues(self.flags)

    def explain(self, client_id: str) -> Explanation:
        """The client's ledger with running balance, each charge's basis, and where each
        payment and credit went (re-derived for this client alone, step by step)."""
        lines = self.ledger[self.ledger["client_id"] == client_id].reset_index(drop=True)
        out = explained_lines(lines, self.currency).drop(columns=["client_id"])
        return Explanation(client_id, self.as_of, self.currency, self.locale, out)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape documented in the README (``practicebook reconcile --format json``).

        Built a column at a time: amounts become decimal text with the currency's digits
        (``"150.00"``), days ISO text, blanks ``None``.
        """
        cur = self.currency

        def money(v: object) -> str:
            return str(from_minor(int(v), cur))

        def amounts(column: pd.Series) -> list[str]:
            return money_texts(column.to_numpy(dtype=np.int64, na_value=0), cur).tolist()

        def days(column: pd.Series) -> list[str | None]:
            values = column.to_numpy(dtype="datetime64[ns]")
            text_ = np.datetime_as_string(values, unit="D").astype(object)
            return np.where(np.isnat(values), None, text_).tolist()

        def texts(column: pd.Series) -> list[object]:
            return _blank_as_none(column).tolist()

        def records(columns: dict[str, list[object]]) -> list[dict[str, object]]:
            keys = list(columns)
            return [
                dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)
            ]

        b = self.balances
        balances = records(
            {
                "client_id": texts(b["client_id"]),
                **{
                    k: amounts(b[k])
                    for k in ("charges", "payments", "refunds", "adjustments", "balance", "credit")
                },
                "last_payment_date": days(b["last_payment_date"]),
                "oldest_open_date": days(b["oldest_open_date"]),
            }
        )
        aging = records(
            {k: texts(v) if k == "client_id" else amounts(v) for k, v in self.aging.items()}
        )
        keys = ["code", "severity", "sheet", "cell", "row_id", "client_id", "message"]
        flags = records({k: texts(self.flags[k]) for k in keys})
        log = self.cancellations
        notice = log["notice_hours"].to_numpy(dtype=object)
        occurrence = log["occurrence"]
        cancellations = records(
            {
                "session_id": texts(log["session_id"]),
                "client_id": texts(log["client_id"]),
                "date": days(log["date"]),
                "recorded_status": texts(log["recorded_status"]),
                "computed_status": texts(log["computed_status"]),
                "notice_hours": [None if h is None else str(h) for h in notice],
                "policy_id": texts(log["policy_id"]),
                "occurrence": np.where(
                    occurrence.isna().to_numpy(),
                    None,
                    occurrence.to_numpy(dtype=np.int64, na_value=0).astype(object),
                ).tolist(),
                "fee": amounts(log["fee"]),
                "basis": texts(log["basis"]),
            }
        )
        return {
            "as_of": self.as_of.isoformat(),
            "currency": cur,
            "balances": balances,
            "aging": aging,
            "flags": flags,
            "cancellations": cancellations,
            "totals": self._totals(money),
        }

    def _totals(self, money) -> dict[str, object]:
        b = self.balances
        fees = self.charges.groupby("kind")["amount"].sum()
        found = self.flags["severity"].value_counts()
        counts = {s.value: int(found.get(s.value, 0)) for s in Severity}
        return {
            "clients": len(b),
            "charges": money(b["charges"].sum()),
            "payments": money(b["payments"].sum()),
            "refunds": money(b["refunds"].sum()),
            "adjustments": money(b["adjustments"].sum()),
            "balance": money(b["balance"].sum()),
            "credit": money(b["credit"].sum()),
            "receivable": money(b["balance"].clip(lower=0).sum()),
            "late_cancel_fees": money(fees.get("late_cancel_fee", 0)),
            "no_show_fees": money(fees.get("no_show_fee", 0)),
            "flags": counts,
        }


def _allocation_steps(lines: pd.DataFrame) -> dict[int, list[tuple[str | None, int]]]:
    """Where each credit of one client went, placing credits one at a time.

    Targeted amounts first (credit order), then each credit's rest to the oldest open
    debit. This is the step-by-step form of ``_allocate``; both give the same open
    amounts, and the tests hold them to it.
    """
    amount = lines["amount"].to_numpy(dtype=np.int64)
    open_ = {j: int(a) for j, a in enumerate(amount) if a > 0}
    left = {j: int(-a) for j, a in enumerate(amount) if a <= 0}
    ids = lines["entry_id"].to_numpy(dtype=object)
    kinds = lines["kind"].to_numpy(dtype=object)
    sessions = lines["session_id"].to_numpy(dtype=object)
    charge_of = {}
    for j in open_:
        if kinds[j] in ("session", "late_cancel_fee", "no_show_fee"):
            charge_of.setdefault(sessions[j], j)
    placed: dict[int, list[tuple[str | None, int]]] = {j: [] for j in left}
    targets = lines["target"].to_numpy(dtype=object)
    for j in left:
        d = charge_of.get(targets[j]) if not pd.isna(targets[j]) else None
        if d is not None and open_[d] and left[j]:
            take_ = min(open_[d], left[j])
            open_[d] -= take_
            left[j] -= take_
            placed[j].append((str(ids[d]), take_))
    for j in left:
        for d in open_:
            if not left[j]:
                break
            take_ = min(open_[d], left[j])
            if take_:
                open_[d] -= take_
                left[j] -= take_
                placed[j].append((str(ids[d]), take_))
        if left[j]:
            placed[j].append((None, left[j]))
    return {j: parts for j, parts in placed.items() if parts}


# --- reconcile ----------------------------------------------------------------------


def _as_of_day(as_of: dt.date | str | None, timezone: str) -> dt.date:
    if as_of is None:
        return dt.datetime.now(ZoneInfo(timezone)).date()
    if isinstance(as_of, str):
        return dt.date.fromisoformat(as_of)
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    return as_of


#: Columns the core never reads (free text, and how a cancellation arrived).
_UNUSED = ("memo", "cancel_channel", "reason", "approved_by")
#: Text columns the core only tests for blanks, factorises, or reads for a few rows:
#: they stay as read (Arrow), with no Python string per row.
_AS_READ = ("clinician_id", "rescheduled_to_session_id", "waiver_reason", "reference")
#: Sheets whose IDs name one row each: a column of them has nearly as many distinct
#: values as rows.
_ROW_IDS = ("Sessions.session_id", "Payments.payment_id", "Adjustments.adjustment_id")


def _rows_read(
    frame: pd.DataFrame, dated: pd.Series, end: dt.date, sheet: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows dated on or before the day ``end`` and the columns the core reads.

    Text with few distinct values (clients, services, statuses, methods) becomes Python
    strings, one object per distinct value shared by its rows: the engines compare and
    join them many times over. Row IDs (``session_id``, ``payment_id``, and the session
    and payment IDs other rows name) and text read only for blanks stay as read, in
    Arrow, with no Python string per row. Each choice column gets ``_<column>``, the position of its
    value among the schema's choices (``-1`` when blank), and ``_client`` is the
    position of the row's client among the distinct client IDs, which come back beside
    the frame. Rows are copied only when some are dated after ``end``.
    """
    spec = schema.WORKBOOK.sheet(sheet)
    keep = [c for c in frame.columns if c not in _UNUSED]
    clients = np.empty(0, dtype=object)
    days = dated.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    inside = days <= np.datetime64(end, "D")  # the whole day counts
    rows = slice(None) if inside.all() else np.flatnonzero(inside)
    columns = {}
    for column in keep:
        values = frame[column]
        col = spec.column(column) if column in spec.keys else None
        as_read = column in _AS_READ or (
            col is not None and (col.unique or col.references in _ROW_IDS)
        )
        shared = not as_read and (
            pd.api.types.is_string_dtype(values.dtype)
            or column == "client_id"
            or (col is not None and bool(col.choices))
        )
        if not shared:
            columns[column] = pd.Series(values.array[rows], copy=False)
            continue
        found, uniques = pd.factorize(values)  # whole column: then only codes are filtered
        found = found[rows]
        columns[column] = pd.Series(
            np.append(np.asarray(uniques, dtype=object), None)[found], dtype=object, copy=False
        )
        if col is not None and col.choices:  # and its position among the choices
            choice = pd.Index(col.choices, dtype=object).get_indexer(uniques)
            columns["_" + column] = take(choice, found, -1).astype(np.int8)
        if column == "client_id":  # the clients of the rows read, and which
            present = np.unique(found[found >= 0])
            clients = np.asarray(uniques, dtype=object)[present]
            columns["_client"] = np.where(found >= 0, np.searchsorted(present, found), -1).astype(
                np.int64
            )
    return pd.DataFrame(columns, copy=False), clients


def _number_clients(
    book: Book, parts: list[tuple[pd.DataFrame, np.ndarray]]
) -> tuple[list[pd.DataFrame], pd.Index]:
    """Every client ID once, sorted, and each frame's ``_client`` turned from a position
    among that frame's own IDs into a position in that index."""
    index = pd.Index(
        np.sort(
            pd.unique(
                np.concatenate(
                    [
                        book.clients["client_id"].dropna().to_numpy(dtype=object),
                        *(ids for _, ids in parts),
                    ]
                )
            )
        ),
        dtype=object,
    )
    frames = []
    for frame, ids in parts:
        where = index.get_indexer(pd.Index(ids, dtype=object)).astype(np.int64)
        frames.append(frame.assign(_client=take(where, frame["_client"].to_numpy(), -1)))
    return frames, index


def reconcile(book: Book, as_of: dt.date | str | None = None) -> Reconciliation:
    """Derive charges, ledger, balances, aging, flags and the cancellation log.

    Args:
        book: a parsed workbook (``practicebook.load``).
        as_of: the reconciliation day (default: today in the practice time zone). The
            whole day is included; rows dated after it are ignored everywhere.
    """
    settings = book.settings
    day_of = _as_of_day(as_of, settings.timezone)
    end = pd.Timestamp(day_of)
    sessions = book.sessions
    (w, payments, adjustments), client_index = _number_clients(
        book,
        [
            _rows_read(sessions, sessions["scheduled_start"], day_of, "Sessions"),
            _rows_read(book.payments, book.payments["received_date"], day_of, "Payments"),
            _rows_read(book.adjustments, book.adjustments["date"], day_of, "Adjustments"),
        ],
    )
    day = w["scheduled_start"].dt.normalize().to_numpy(dtype="datetime64[ns]")
    service = Keys.of(w["service_code"])
    service_pos = _service_positions(book, service, day)
    w = w.assign(_service=service_pos, _day=day)
    rate, source = session_rates(book, w, day, service_pos, service, client_index)
    w["_rate"] = rate
    assessment = policy.assess(book, w, end, client_index)
    cancellations = _cancellations(book, w, assessment, day)
    # what the charges still read of the sessions; the rest can go
    w = w[
        [
            "session_id",
            "client_id",
            "service_code",
            "_status",
            "_cancelled_by",
            "_client",
            "_service",
            "_rate",
            ROW,
        ]
    ]
    # a session ID's code is the row of its first session (IDs are unique unless the
    # checks reported otherwise); payments and adjustments name sessions by that code
    named = [w["session_id"], payments["applies_to_session_id"], adjustments["session_id"]]
    found = first_positions(_concat_text(named), w["session_id"])  # one hash table
    session_code, pay_target, adj_target = np.split(found, np.cumsum([len(n) for n in named])[:-1])
    targets = (pay_target, adj_target)
    charges = _charges(book, w, assessment, source, day, session_code)
    owner = w["client_id"].to_numpy(dtype=object)  # the client of each session code
    session_flags = assessment.flags
    # the sessions' working columns are done with: let them go before the ledger is built
    del w, assessment, source, rate, day, service, service_pos, session_code
    ledger = _ledger(book, charges, payments, adjustments, *targets)
    open_debit, unallocated = _allocate(ledger)
    balances = _balances(ledger, open_debit, unallocated, client_index)
    aging = _aging(
        ledger,
        open_debit,
        balances["credit"].to_numpy(dtype=np.int64),
        end,
        settings.payment_terms_days,
        settings.aging_buckets,
        client_index,
    )
    flags = combine(
        [
            *session_flags,
            from_issues(
                _ledger_issues(book, payments, adjustments, ledger, charges, owner, targets)
                + _aging_mismatch(book, balances, aging)
            ),
        ]
    )
    ledger = ledger.assign(
        open=pd.array(open_debit + unallocated, dtype="Int64"),
        amount=pd.array(ledger["amount"], dtype="Int64"),
    )
    return Reconciliation(
        as_of=day_of,
        currency=settings.currency,
        locale=settings.locale,
        charges=charges.drop(columns=["_client", "_kind", "_session"]).astype({"amount": "Int64"}),
        ledger=ledger.drop(columns=["_client", "_phase", "_pos", "_kind", "_session", "_target"]),
        balances=balances,
        aging=aging,
        flags=flags,
        cancellations=cancellations,
    )


def _cancellations(
    book: Book, w: pd.DataFrame, assessment: policy.Assessment, day: np.ndarray
) -> pd.DataFrame:
    """The cancellation log: every session recorded or computed as a cancellation."""
    a = assessment.frame
    rows = np.flatnonzero(a["logged"].to_numpy())
    status = w["status"].to_numpy(dtype=object)
    notice = a["notice_seconds"].iloc[rows]
    return object_frame(
        {
            "session_id": w["session_id"].iloc[rows].to_numpy(dtype=object),
            "client_id": w["client_id"].iloc[rows].to_numpy(dtype=object),
            "date": day[rows],
            "recorded_status": status[rows],
            "computed_status": a["computed_status"].iloc[rows].to_numpy(dtype=object),
            "notice_hours": _notice_hours(notice),
            "policy_id": a["policy_id"].iloc[rows].to_numpy(dtype=object),
            "occurrence": a["occurrence"].iloc[rows].reset_index(drop=True),
            "fee": a["fee"].iloc[rows].fillna(0).reset_index(drop=True),
            "fee_code": _blank_as_none(a["fee_code"].iloc[rows]),
            "basis": a["basis"].iloc[rows].to_numpy(dtype=object),
            "source": _cells(book, "Sessions", "session_id", w[ROW].to_numpy()[rows]),
        }
    )


def _blank_as_none(values: pd.Series) -> np.ndarray:
    """Python objects, blanks as ``None``."""
    out = values.to_numpy(dtype=object)
    return np.where(pd.isna(out), None, out)


def _notice_hours(seconds: pd.Series) -> np.ndarray:
    """Notice as ``Decimal`` hours (``None`` without a cancel time), one ``Decimal`` per
    distinct value."""
    found, distinct = pd.factorize(hundredths(seconds.to_numpy(dtype=np.int64, na_value=0)))
    hours = np.array([Decimal(h) for h in hundredths_texts(distinct)], dtype=object)
    return np.where(seconds.isna().to_numpy(), None, hours[found])


# --- what-if ------------------------------------------------------------------------

#: Policy settings ``simulate`` can change, and how a value is read.
POLICY_CHANGES = {
    "notice_hours": lambda v: Decimal(str(v)),
    "grace_count": int,
    "exempt_intake": bool,
    "tier_percent": lambda v: Decimal(str(v)),
}


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Simulation:
    """The same sessions replayed under changed policy settings.

    ``per_client`` columns: ``client_id``, ``fees_before``, ``fees_after``,
    ``fees_change`` (late-cancel/no-show fees, minor units), ``charged_before``,
    ``charged_after`` (sessions with a fee), ``flags_before``, ``flags_after``.
    ``flags``: ``code``, ``before``, ``after``, ``change``. ``totals``: the same sums
    over all clients, plus how many clients are charged at all.
    """

    changes: Mapping[str, object]
    per_client: pd.DataFrame
    flags: pd.DataFrame
    totals: dict[str, int]
    before: Reconciliation = dataclasses.field(repr=False)
    after: Reconciliation = dataclasses.field(repr=False)


def _with_policy(book: Book, changes: Mapping[str, object], policy_id: str | None) -> Book:
    unknown = set(changes) - set(POLICY_CHANGES)
    if unknown:
        raise ValueError(f"cannot simulate {sorted(unknown)}; choose from {sorted(POLICY_CHANGES)}")
    policies, tiers = book.policies.copy(), book.policy_tiers.copy()
    mine = (policies["policy_id"] == policy_id) if policy_id else policies["policy_id"].notna()
    for key, value in changes.items():
        read = POLICY_CHANGES[key](value)
        if key == "tier_percent":
            chosen = tiers["charge_type"] == "percent"
            if policy_id:
                chosen &= tiers["policy_id"] == policy_id
            tiers.loc[chosen, "charge_value"] = read
        else:
            policies.loc[mine, key] = read
    frames = {**book.frames, "Policies": policies, "PolicyTiers": tiers}
    return dataclasses.replace(book, frames=frames)


def _fees_by_client(rec: Reconciliation) -> pd.DataFrame:
    log = rec.cancellations
    fee = log["fee"].astype("int64")
    per = pd.DataFrame(
        {
            "fees": fee.groupby(log["client_id"]).sum(),
            "charged": (fee > 0).groupby(log["client_id"]).sum(),
        }
    )
    flags = rec.flags.groupby("client_id").size().rename("flags")
    ids = rec.balances["client_id"]
    return per.join(flags, how="outer").reindex(ids).fillna(0).astype("int64")


def simulate(
    book: Book,
    policy_changes: Mapping[str, object],
    *,
    policy_id: str | None = None,
    as_of: dt.date | str | None = None,
) -> Simulation:
    """Replay the book under changed policy settings and compare.

    Args:
        book: the parsed workbook.
        policy_changes: any of ``notice_hours``, ``grace_count``, ``exempt_intake`` and
            ``tier_percent`` (the value of every percent tier), e.g. ``{"notice_hours":
            48}``.
        policy_id: change only this policy (default: every policy).
        as_of: as for ``reconcile``.
    """
    day = _as_of_day(as_of, book.settings.timezone)
    before = reconcile(book, day)
    after = reconcile(_with_policy(book, policy_changes, policy_id), day)
    b, a = _fees_by_client(before), _fees_by_client(after)
    per_client = pd.DataFrame(
        {
            "client_id": b.index.astype(str),
            "fees_before": pd.array(b["fees"], dtype="Int64"),
            "fees_after": pd.array(a["fees"], dtype="Int64"),
            "fees_change": pd.array(a["fees"] - b["fees"], dtype="Int64"),
            "charged_before": b["charged"].to_numpy(),
            "charged_after": a["charged"].to_numpy(),
            "flags_before": b["flags"].to_numpy(),
            "flags_after": a["flags"].to_numpy(),
        }
    )
    codes_before = before.flags["code"].value_counts()
    codes_after = after.flags["code"].value_counts()
    flags = pd.concat([codes_before.rename("before"), codes_after.rename("after")], axis=1)
    flags = flags.fillna(0).astype("int64").sort_index().rename_axis("code").reset_index()
    flags["change"] = flags["after"] - flags["before"]
    totals = {
        "fees_before": int(b["fees"].sum()),
        "fees_after": int(a["fees"].sum()),
        "fees_change": int(a["fees"].sum() - b["fees"].sum()),
        "clients_charged_before": int((b["fees"] > 0).sum()),
        "clients_charged_after": int((a["fees"] > 0).sum()),
        "flags_before": len(before.flags),
        "flags_after": len(after.flags),
    }
    return Simulation(dict(policy_changes), per_client, flags, totals, before, after)


def explained_ledger(rec: Reconciliation) -> pd.DataFrame:
    """Every client's ``explain`` lines, client by client, with the client's ID first."""
    ledger = rec.ledger.sort_values("client_id", kind="stable").reset_index(drop=True)
    return explained_lines(ledger, rec.currency)


def explained_lines(ledger: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Ledger lines (sorted by client, then as the ledger orders them) as people read
    them: the running balance restarts per client, and each credit's description says
    where it went (``payment card → S0001 150.00, credit 20.00``), placed by the core's
    step-by-step allocation. The one place the explanation text is built: ``explain``
    and the Ledger sheet both use it.
    """
    clients = ledger["client_id"].to_numpy(dtype=object)
    described = ledger["description"].to_numpy(dtype=object).copy()
    starts = np.flatnonzero(np.r_[True, clients[1:] != clients[:-1]]) if len(ledger) else []
    bounds = [*map(int, starts), len(ledger)]
    for first, end in itertools.pairwise(bounds):
        placed = _allocation_steps(ledger.iloc[first:end].reset_index(drop=True))
        for j, parts in placed.items():
            described[first + j] = f"{described[first + j]} → " + ", ".join(
                f"{target} {from_minor(amount, currency)}"
                if target
                else f"credit {from_minor(amount, currency)}"
                for target, amount in parts
            )
    amount = pd.Series(ledger["amount"].to_numpy(dtype=np.int64))
    return pd.DataFrame(
        {
            "client_id": clients,
            "date": ledger["date"],
            "entry_id": ledger["entry_id"],
            "kind": ledger["kind"],
            "description": described,
            "amount": amount.astype("Int64"),
            "balance": amount.groupby(clients).cumsum().astype("Int64"),
            "open": ledger["open"],
            "source": ledger["source"],
        }
    )
