"""practicebook in xlwings Lite: paste this into the Lite task pane's main.py.

Each script runs one macro of ``practicebook.frontends.excel`` on the open workbook, in Excel on
Windows, macOS or the web, with no local Python (Lite runs Python in the browser).
Bind them to buttons with ``@script(button="[ButtonName]Home!H2")`` if you like.
"""

from __future__ import annotations

import xlwings as xw
from xlwings import script

from practicebook.frontends import excel


@script
def reconcile(book: xw.Book) -> None:
    """Write Balances, Aging, Flags, Ledger and CancellationLog."""
    excel.reconcile(book)


@script
def add_session(book: xw.Book) -> None:
    """Add the Home sheet's New session form to Sessions."""
    excel.add_session(book)


@script
def record_payment(book: xw.Book) -> None:
    """Add the Home sheet's New payment form to Payments."""
    excel.record_payment(book)


@script
def mark_late_cancellation(book: xw.Book) -> None:
    """Stamp the selected Sessions row as cancelled now and show the fee."""
    excel.mark_cancellation(book)


@script
def explain_balance(book: xw.Book) -> None:
    """Explain the balance of the client on the selected row."""
    excel.explain_balance(book)


@script
def check_workbook(book: xw.Book) -> None:
    """List problems on Flags and select the first offending cell."""
    excel.check_workbook(book)
