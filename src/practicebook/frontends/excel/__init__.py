"""The Excel front door: xlwings macros for the Home sheet's buttons (``macros``),
worksheet functions (``functions``), the live book's cells as raw tables
(``livebook``), the VBA source and its build (``vba/``, ``build``) and the xlwings Lite
scripts (``lite/``).

The macro-enabled workbook's VBA calls ``practicebook.frontends.excel.<entry>()``
through RunPython; the entry points load on first use, so ``livebook`` and ``build``
import without xlwings.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Entry points the VBA and the Lite scripts call, and the module that holds each.
_ENTRY_POINTS = {
    name: "practicebook.frontends.excel.macros"
    for name in (
        "add_session",
        "add_session_main",
        "check_workbook",
        "check_workbook_main",
        "explain_balance",
        "explain_balance_main",
        "mark_cancellation",
        "mark_cancellation_main",
        "read_book",
        "reconcile",
        "reconcile_main",
        "record_payment",
        "record_payment_main",
    )
} | {
    name: "practicebook.frontends.excel.functions"
    for name in ("PB_BALANCE", "PB_FLAGS", "PB_SESSION_FEE")
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str) -> Any:
    if name in _ENTRY_POINTS:
        value = getattr(importlib.import_module(_ENTRY_POINTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
