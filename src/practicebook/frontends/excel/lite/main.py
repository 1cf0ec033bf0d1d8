"""practicebook in xlwings Lite: paste this into the Lite task pane's main.py.

Each script runs one macro of ``practicebook.frontends.excel`` on the open workbook, in Excel on
Windows, macOS or the web, with no local Python (Lite runs Python in the browser).
Bind one to a button by adding ``button="[ButtonName]Home!H2"`` to its line if you like.
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


reconcile = _script(excel.reconcile, "Write Balances, Aging, Flags, Ledger and CancellationLog.")
add_session = _script(excel.add_session, "Add the Home sheet's New session form to Sessions.")
record_payment = _script(excel.record_payment, "Add the Home sheet's New payment form to Payments.")
mark_late_cancellation = _script(
    excel.mark_cancellation, "Stamp the selected Sessions row as cancelled now and show the fee."
)
explain_balance = _script(
    excel.explain_balance, "Explain the balance of the client on the selected row."
)
check_workbook = _script(
    excel.check_workbook, "List problems on Flags and select the first offending cell."
)
