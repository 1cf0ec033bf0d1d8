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
from practicebook.l10n import format_date, format_money
from practicebook.money import from_minor

if TYPE_CHECKING:
    from practicebook.core.result import Reconciliation

__all__ = ["Explanation", "explained_ledger", "explained_lines"]


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
    starts: np.ndarray | list[int] = (
        np.flatnonzero(np.r_[True, clients[1:] != clients[:-1]]) if len(ledger) else []
    )
    bounds = [*map(int, starts), len(ledger)]
    for first, end in itertools.pairwise(bounds):
        placed = allocation_steps(ledger.iloc[first:end].reset_index(drop=True))
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
