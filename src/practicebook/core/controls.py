"""Ledger controls: the findings about payments, adjustments and the aging.

Rows entered or changed in the closed period since its close (``core.closing``),
possible duplicate payments, refunds beyond what can be refunded, credits aimed at a
session they cannot go to (over-allocation), and an aging that does not tie to the
balance. Each is an ``Issue`` on the cell to look at;
Python loops run only over the findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicebook.core.allocation import cumsum_by
from practicebook.core.closing import closed_period_issues
from practicebook.core.columns import blank_as_none
from practicebook.core.inputs import choice_is
from practicebook.core.ledger import kind_is
from practicebook.core.lookup import codes, first_positions, take
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money
from practicebook.model import ROW, Book

__all__ = ["aging_mismatch", "ledger_issues"]


def ledger_issues(
    book: Book,
    payments: pd.DataFrame,
    adjustments: pd.DataFrame,
    ledger: pd.DataFrame,
    charges: pd.DataFrame,
    owner: np.ndarray,
    targets: tuple[np.ndarray, np.ndarray],
) -> list[Issue]:
    """Every ledger finding: locked period, duplicate payments, refunds exceeding, and
    over-allocation (``owner`` and ``targets`` as for ``_over_allocated``)."""
    return (
        _locked(book)
        + _duplicate_payments(book, payments)
        + _refunds_exceeding(book, payments, ledger)
        + _over_allocated(book, payments, adjustments, charges, owner, targets)
    )


def _error(
    book: Book,
    code: Code,
    sheet: str,
    key: str,
    frame: pd.DataFrame,
    j: int,
    id_key: str,
    message: str,
    hint: str,
) -> Issue:
    """An error at the ``key`` cell of row ``j`` of ``frame`` (a ``sheet`` row whose ID is
    in ``id_key``)."""
    return Issue(
        code,
        Severity.ERROR,
        message,
        book.cell(sheet, key, int(frame[ROW].iat[j])),
        hint,
        str(frame[id_key].iat[j]),
        str(frame["client_id"].iat[j]),
    )


def _locked(book: Book) -> list[Issue]:
    """Rows entered or changed in the closed period since the books were closed through
    ``lock_through_date`` (``practicebook.core.closing``)."""
    return closed_period_issues(book)


def _duplicate_payments(book: Book, payments: pd.DataFrame) -> list[Issue]:
    """Same client, amount, date, method and reference: warned on every row but the one
    with the lowest id, never merged."""
    is_payment = choice_is(payments, "Payments", "kind", "payment")
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
        columns.append(blank_as_none(payments[k].iloc[candidates]))
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
    currency, locale = book.settings.currency, book.settings.locale
    at = np.flatnonzero(choice_is(payments, "Payments", "kind", "refund"))
    if at.size == 0:
        return []
    refunds = payments.iloc[at]
    # what each refund names: the first payment row with that id
    named = pd.Index(refunds["refund_of_payment_id"].dropna().unique(), dtype=object)
    hit = np.flatnonzero(choice_is(payments, "Payments", "kind", "payment"))
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
    before = cumsum_by(ledger["_client"].to_numpy(), amount) - amount
    in_ledger = np.flatnonzero(kind_is(ledger, "refund"))
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
                f"{format_money(int(paid[j]), currency, locale)} and refunds of it now total "
                f"{format_money(int(cum[j]), currency, locale)}"
            )
        else:
            limit = f"the client's credit was {format_money(int(available[j]), currency, locale)}"
        issues.append(
            _error(
                book,
                Code.REFUND_EXCEEDS_PAYMENT,
                "Payments",
                "amount",
                refunds,
                int(j),
                "payment_id",
                f"refund {refunds['payment_id'].iat[j]} of "
                f"{format_money(int(refund_amount[j]), currency, locale)} is more than can be "
                f"refunded: "
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
    currency, locale = book.settings.currency, book.settings.locale
    issues = []
    aimed = []
    for sheet, frame, key, id_key, target in (
        ("Payments", payments, "applies_to_session_id", "payment_id", targets[0]),
        ("Adjustments", adjustments, "session_id", "adjustment_id", targets[1]),
    ):
        chosen = np.flatnonzero(
            (target >= 0)
            & (
                choice_is(frame, sheet, "kind", "payment")
                if sheet == "Payments"
                else (frame["amount"] < 0).to_numpy()
            )
        )
        aimed.append((sheet, frame.iloc[chosen], key, id_key, target[chosen]))
    for sheet, frame, key, id_key, hit in aimed:
        other = (hit >= 0) & (take(owner, hit, None) != frame["client_id"].to_numpy(object))
        for j in np.flatnonzero(other):
            issues.append(
                _error(
                    book,
                    Code.OVER_ALLOCATED,
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
            _error(
                book,
                Code.OVER_ALLOCATED,
                "Adjustments",
                "amount",
                own,
                int(j),
                "adjustment_id",
                f"adjustment {own['adjustment_id'].iat[j]} brings the reductions of session "
                f"{own['session_id'].iat[j]} to "
                f"{format_money(int(written[j]), currency, locale)}, more than its charges of "
                f"{format_money(int(limit[j]), currency, locale)}",
                "Reduce the adjustment, or remove the session so it lowers the balance in general.",
            )
        )
    return issues


def aging_mismatch(book: Book, balances: pd.DataFrame, aging: pd.DataFrame) -> list[Issue]:
    """Buckets minus credit must equal the balance; anything else is a bug worth seeing."""
    wrong = (aging["total"] != balances["balance"]).to_numpy(dtype=bool)
    rows = book.clients.drop_duplicates("client_id").set_index("client_id")[ROW]
    currency, locale = book.settings.currency, book.settings.locale
    issues = []
    for j in np.flatnonzero(wrong):
        client = str(balances["client_id"].iat[j])
        row = rows.get(client)
        total, balance = int(aging["total"].iat[j]), int(balances["balance"].iat[j])
        issues.append(
            Issue(
                Code.AGING_MISMATCH,
                Severity.ERROR,
                f"the aging of client {client} totals {format_money(total, currency, locale)} "
                f"but the balance is {format_money(balance, currency, locale)}",
                book.cell("Clients", "client_id", int(row))
                if row is not None
                else CellRef("Clients"),
                "Please report this: the aging should always tie to the balance.",
                None,
                client,
            )
        )
    return issues
