"""The Excel front door: xlwings macros for the Home sheet's buttons (``macros``,
``selected``, ``documents``, ``bankfile``), worksheet functions (``functions``), the live
book's cells as raw tables (``livebook``), the VBA source and its build (``vba/``,
``build``) and the xlwings Lite scripts (``lite/``).

The macro-enabled workbook's VBA calls ``practicebook.frontends.excel.<entry>()``
through RunPython; the entry points load on first use, so ``livebook`` and ``build``
import without xlwings.
"""

from __future__ import annotations

from typing import Any

from practicebook.lazy import load_on_first_use

#: The entry points of ``macros``: what the VBA and the Lite scripts call.
MACRO_NAMES = (
    "add_session",
    "add_session_main",
    "check_workbook",
    "check_workbook_main",
    "read_book",
    "reconcile",
    "reconcile_main",
    "record_payment",
    "record_payment_main",
)
#: The entry points of ``selected``: macros acting on a Home form or the selected row.
SELECTED_NAMES = (
    "explain_balance",
    "explain_balance_main",
    "mark_cancellation",
    "mark_cancellation_main",
    "preview_cancellation",
    "preview_cancellation_main",
)
#: The entry points of ``documents``: client documents and deposits, from the live workbook.
DOCUMENT_NAMES = (
    "estimate",
    "estimate_main",
    "invoice",
    "invoice_main",
    "match_deposits",
    "match_deposits_main",
    "receipt",
    "receipt_main",
    "statement",
    "statement_main",
    "superbill",
    "superbill_main",
)
#: The entry points of ``bankfile``: a statement file's new lines into the open workbook.
BANK_NAMES = ("import_bank_file", "import_bank_file_main")
#: The worksheet functions of ``functions``.
UDF_NAMES = ("PB_BALANCE", "PB_FLAGS", "PB_SESSION_FEE")
#: Every entry point, and the module that holds it.
_ENTRY_POINTS = {
    **dict.fromkeys(MACRO_NAMES, "practicebook.frontends.excel.macros"),
    **dict.fromkeys(SELECTED_NAMES, "practicebook.frontends.excel.selected"),
    **dict.fromkeys(DOCUMENT_NAMES, "practicebook.frontends.excel.documents"),
    **dict.fromkeys(BANK_NAMES, "practicebook.frontends.excel.bankfile"),
    **dict.fromkeys(UDF_NAMES, "practicebook.frontends.excel.functions"),
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str) -> Any:
    return load_on_first_use(__name__, _ENTRY_POINTS, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
