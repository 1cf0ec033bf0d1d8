"""Money in the bank: statement lines imported once, matched to the recorded payments
net of processor fees, balances asserted, statement periods reconciled.

Pure, like the rest of the core: a ``Book`` in (its BankAccounts, BankLines, Assertions
and Payments sheets, read like any other input sheet), results out. Modules:

- ``inputs``: the sheets as plain records as of a day;
- ``imports``: which lines of a statement file are new (idempotent import keys);
- ``assign``: one-to-one matching by exact amount and date, never guessing a tie;
- ``subsets``: the bounded search for a deposit of several cash and cheque payments;
- ``match``: the matching passes, in order;
- ``statement``: balances, and the check of a statement period;
- ``findings``: the bank's issues, each at its cell;
- ``explain``: a line's match, row by row;
- ``result``: ``BankMatch``, with frames for people and the cells that store matches.
"""

from __future__ import annotations

import datetime as dt

from practicebook.core.bank.explain import LineExplanation
from practicebook.core.bank.findings import STALE_DAYS, bank_issues
from practicebook.core.bank.imports import ImportPlan, prepare_import
from practicebook.core.bank.inputs import bank_book
from practicebook.core.bank.match import MatchOptions, match_lines
from practicebook.core.bank.result import BankMatch, Updates
from practicebook.core.bank.statement import StatementCheck
from practicebook.core.collector import collector_paused
from practicebook.core.reconcile import as_of_day
from practicebook.model import Book

__all__ = [
    "STALE_DAYS",
    "BankMatch",
    "ImportPlan",
    "LineExplanation",
    "MatchOptions",
    "StatementCheck",
    "Updates",
    "match",
    "prepare_import",
]


@collector_paused()
def match(
    book: Book, as_of: dt.date | str | None = None, options: MatchOptions | None = None
) -> BankMatch:
    """Match every bank line of ``book`` as of the end of ``as_of`` (default: today in the
    practice's time zone) and find what is left: the bank's findings at their cells."""
    day = as_of_day(as_of, book.settings.timezone)
    options = options or MatchOptions()
    bank = bank_book(book, day)
    matching = match_lines(bank, options)
    issues = bank_issues(bank, matching, options, book.cell)
    return BankMatch(day, bank.currency, bank.locale, options, issues, bank, matching, book.cell)
