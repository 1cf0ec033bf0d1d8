"""practicebook: bookkeeping for small therapy practices over one standard workbook.

The public API; everything else is internal::

    book, issues = practicebook.load("practice.xlsx")
    practicebook.add_payment("practice.xlsx", {"client_id": "C0042", "amount": "150.00",
                                               "received_date": "2026-03-02"})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from practicebook.api import check, load, load_tables, new_workbook
from practicebook.batch import batch
from practicebook.issues import (
    CellRef,
    Code,
    Issue,
    IssuesFound,
    MissingDependency,
    PracticebookError,
    Severity,
    UnreadableWorkbook,
    raise_for_issues,
)
from practicebook.model import Book, RawTable, Settings
from practicebook.reconcile import Reconciliation, reconcile, simulate
from practicebook.schema import SCHEMA_VERSION, WORKBOOK

if TYPE_CHECKING:
    from practicebook.writer import (
        add_adjustment,
        add_payment,
        add_session,
        mark_cancellation,
        write_results,
    )

#: Imported on first use: reading and reconciling never need the writer (nor openpyxl
#: and the safe-write protocol behind it), and a quick start is part of being fast.
_LAZY = {"add_adjustment": "practicebook.writer",
         "add_payment": "practicebook.writer", "add_session": "practicebook.writer",
         "mark_cancellation": "practicebook.writer", "write_results": "practicebook.writer"}

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "WORKBOOK",
    "Book",
    "CellRef",
    "Code",
    "Issue",
    "IssuesFound",
    "MissingDependency",
    "PracticebookError",
    "RawTable",
    "Reconciliation",
    "Settings",
    "Severity",
    "UnreadableWorkbook",
    "__version__",
    "add_adjustment",
    "add_payment",
    "add_session",
    "batch",
    "check",
    "load",
    "load_tables",
    "mark_cancellation",
    "new_workbook",
    "raise_for_issues",
    "reconcile",
    "simulate",
    "write_results",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'practicebook' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
