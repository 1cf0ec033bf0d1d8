"""The PHI-free accounting export: a journal of the books and the bank, in hledger,
beancount, QuickBooks Online, Xero or plain CSV.

``entries`` builds the balanced transactions (per day, or a transaction per statement
line with ``per="deposit"``) from the reconciliation and the bank's matching;
``accounts`` names each posting's account (the ExportAccounts sheet, else defaults);
``formats`` writes them. Nothing of a personal column reaches a journal: narrations
are fixed words with IDs, amounts are sums per day, and clients appear only as client
IDs, only when asked (``per_client``).

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from practicebook.core.bank import BankMatch
from practicebook.core.result import Reconciliation
from practicebook.model import Book
from practicebook.parse.values import CoerceContext
from practicebook.render.journal.accounts import AccountNames
from practicebook.render.journal.entries import Journal, Posting, Transaction, build_journal
from practicebook.render.journal.formats import (
    XERO_LINES,
    render_beancount,
    render_csv,
    render_hledger,
    render_qbo,
    render_xero,
)

__all__ = [
    "FORMATS",
    "XERO_LINES",
    "Journal",
    "JournalFile",
    "Posting",
    "Transaction",
    "account_names",
    "build_journal",
    "render_journal",
]

#: Export formats and the file extension of each.
FORMATS = {
    "hledger": ".journal",
    "beancount": ".beancount",
    "qbo": ".csv",
    "xero": ".csv",
    "csv": ".csv",
}


@dataclass(frozen=True)
class JournalFile:
    """One file of an export: its text and its part number (Xero splits, from 1)."""

    text: str
    part: int = 1


def account_names(book: Book, bank: BankMatch) -> AccountNames:
    """The export's account names for ``book``."""
    kinds = {a.account_id: a.kind for a in bank.bank.accounts.values()}
    return AccountNames.of(book, kinds)


def render_journal(book: Book, journal: Journal, bank: BankMatch, fmt: str) -> list[JournalFile]:
    """``journal`` in format ``fmt`` (one of ``FORMATS``), as one file or Xero's parts."""
    names = account_names(book, bank)
    order = CoerceContext(book.settings.locale, book.settings.currency).date_order
    if fmt == "hledger":
        return [JournalFile(render_hledger(journal, names))]
    if fmt == "beancount":
        return [JournalFile(render_beancount(journal, names))]
    if fmt == "qbo":
        return [JournalFile(render_qbo(journal, names, order))]
    if fmt == "xero":
        return [
            JournalFile(text, i) for i, text in enumerate(render_xero(journal, names, order), 1)
        ]
    if fmt == "csv":
        return [JournalFile(render_csv(journal, names))]
    raise ValueError(f"{fmt!r} is not an export format ({', '.join(FORMATS)})")


def export(
    book: Book,
    rec: Reconciliation,
    bank: BankMatch,
    fmt: str,
    *,
    start: dt.date | None = None,
    per: str = "day",
    per_client: bool = False,
) -> tuple[Journal, list[JournalFile]]:
    """Build the journal and write it in ``fmt``."""
    journal = build_journal(book, rec, bank, start=start, per=per, per_client=per_client)
    return journal, render_journal(book, journal, bank, fmt)
