"""The explanation of a balance: ledger lines as people read them.

``explained_lines`` is the one place the explanation text is built: each line with a
running balance, and each credit's description saying where it went, placed by the
step-by-step allocation (``allocation_steps``). ``Reconciliation.explain`` shows one
client's lines as an ``Explanation``; the Ledger sheet shows every client's
(``explained_ledger``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from practicebook.core.allocation import allocation_steps
from practicebook.core.amounts import as_money, minor_units
from practicebook.core.wording import date_texts, money_texts
from practicebook.l10n import format_date

if TYPE_CHECKING:
    from practicebook.core.result import Reconciliation

__all__ = ["Explanation", "explained_ledger", "explained_lines"]


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class Explanation:
    """One client's ledger, line by line, with a running balance and each line's row.

    ``lines`` columns: ``date``, ``entry_id``, ``kind``, ``description`` (a charge's
    basis; where a credit went, amounts in the workbook's locale), ``amount`` (signed, +
    raises what the client owes), ``balance`` (running), ``open`` (what is still unpaid
    of a debit, or unallocated of a credit) and ``source`` (``Sessions!A14``). Money is
    exact amounts as in every ``Reconciliation`` frame.

    ``str()`` gives the lines as aligned text, amounts and dates in the workbook's locale.
    """

    client_id: str
    as_of: dt.date
    currency: str
    locale: str
    lines: pd.DataFrame

    def __str__(self) -> str:
        """The ledger as aligned text, amounts and dates in the workbook's locale."""
        cur, locale = self.currency, self.locale
        head = f"client {self.client_id}, as of {format_date(self.as_of, locale)} ({cur})"
        if self.lines.empty:
            return f"{head}\nno entries"
        lines = self.lines
        columns = [
            date_texts(lines["date"].to_numpy(dtype="datetime64[ns]"), locale).tolist(),
            [str(e) for e in lines["entry_id"]],
            money_texts(minor_units(lines["amount"]), cur, locale).tolist(),
            money_texts(minor_units(lines["balance"]), cur, locale).tolist(),
            [str(s) for s in lines["source"]],
            [str(d) for d in lines["description"]],
        ]
        table = [["date", "entry", "amount", "balance", "source", "what"]]
        table += [list(row) for row in zip(*columns, strict=True)]
        widths = [max(len(r[i]) for r in table) for i in range(5)]
        out = [head]
        for r in table:
            cells = [
                r[i].rjust(widths[i]) if i in (2, 3) else r[i].ljust(widths[i]) for i in range(5)
            ]
            out.append("  ".join([*cells, r[5]]).rstrip())
        return "\n".join(out)


def explained_ledger(rec: Reconciliation) -> pd.DataFrame:
    """Every client's ``explain`` lines, client by client, with the client's ID first."""
    ledger = rec.ledger.sort_values("client_id", kind="stable").reset_index(drop=True)
    return explained_lines(ledger, rec.currency, rec.locale)


def explained_lines(ledger: pd.DataFrame, currency: str, locale: str) -> pd.DataFrame:
    """Ledger lines (sorted by client, then as the ledger orders them) as people read
    them: the running balance restarts per client, and each credit's description says
    where it went (``payment card → S0001 $150.00, credit $20.00``, amounts in
    ``locale``), placed by the core's step-by-step allocation. The one place the
    explanation text is built: ``explain`` and the Ledger sheet both use it.
    """
    clients = ledger["client_id"].to_numpy(dtype=object)
    minor = minor_units(ledger["amount"])
    whole = ledger.assign(amount=minor)  # allocation works in minor units
    starts: np.ndarray | list[int] = (
        np.flatnonzero(np.r_[True, clients[1:] != clients[:-1]]) if len(ledger) else []
    )
    bounds = [*map(int, starts), len(ledger)]
    parts: list[tuple[int, str | None, int]] = []  # (line, where, amount) of each step
    for first, end in itertools.pairwise(bounds):
        placed = allocation_steps(whole.iloc[first:end].reset_index(drop=True))
        parts += [(first + j, where, n) for j, steps in placed.items() for where, n in steps]
    return pd.DataFrame(
        {
            "client_id": clients,
            "date": ledger["date"],
            "entry_id": ledger["entry_id"],
            "kind": ledger["kind"],
            "description": _where_credits_went(ledger, parts, currency, locale),
            "amount": ledger["amount"].array,
            "balance": as_money(
                pd.Series(minor).groupby(clients).cumsum().to_numpy(dtype=np.int64), currency
            ),
            "open": ledger["open"].array,
            "source": ledger["source"],
        }
    )


def _where_credits_went(
    ledger: pd.DataFrame, parts: list[tuple[int, str | None, int]], currency: str, locale: str
) -> np.ndarray:
    """Each line's description, a credit's followed by where it went (every amount
    written once, in ``locale``)."""
    described: np.ndarray = ledger["description"].to_numpy(dtype=object).copy()
    amounts = np.array([n for _, _, n in parts], dtype=np.int64)
    words: dict[int, list[str]] = {}
    for (line, where, _), word in zip(parts, money_texts(amounts, currency, locale), strict=True):
        words.setdefault(line, []).append(f"{where} {word}" if where else f"credit {word}")
    for line, pieces in words.items():
        described[line] = f"{described[line]} → " + ", ".join(pieces)
    return described
