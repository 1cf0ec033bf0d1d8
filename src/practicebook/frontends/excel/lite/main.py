"""practicebook in xlwings Lite: paste this into the Lite task pane's main.py.

Each script runs one macro of ``practicebook.frontends.excel`` on the open workbook, in Excel on
Windows, macOS or the web, with no local Python (Lite runs Python in the browser). The
macros read the live workbook through xlwings, never the file, so nothing here needs a
package Pyodide lacks (fastexcel, file locks, subprocesses). They act on where you are,
as the buttons do: select a row on Sessions, Clients or Payments, or fill in a form on
Home, then run the script. Worksheet functions (``PB_BALANCE`` …) read the whole book,
which Lite's custom functions cannot: they work on the Windows desktop only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlwings as xw
from xlwings import script

from practicebook.frontends import excel


def _script(
    macro: Callable[[xw.Book], object], doc: str, **options: Any
) -> Callable[[xw.Book], None]:
    """A script running ``macro`` on the open workbook (``options`` go to ``@script``)."""

    def run(book: xw.Book) -> None:
        macro(book)

    run.__doc__ = doc
    scripted: Callable[[xw.Book], None] = script(**options)(run)
    return scripted


reconcile = _script(
    excel.reconcile, "Write Balances, Aging, Flags, Ledger, CancellationLog and Summary."
)
add_session = _script(excel.add_session, "Add the Home sheet's New session form to Sessions.")
record_payment = _script(excel.record_payment, "Add the Home sheet's New payment form to Payments.")
preview_cancellation = _script(
    excel.preview_cancellation, "Show the fee the Late cancellation form on Home would record."
)
mark_late_cancellation = _script(
    excel.mark_cancellation,
    "Record Home's Late cancellation form; on a Sessions row, put that session in the form.",
)
explain_balance = _script(
    excel.explain_balance, "Explain the balance of Home's Client form, or of the selected row."
)
check_workbook = _script(
    excel.check_workbook, "List problems on Flags and select the first offending cell."
)
