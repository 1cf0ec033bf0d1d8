"""practicebook: bookkeeping for small therapy practices over one standard workbook.

The public API; everything else is internal::

    book, issues = practicebook.load("practice.xlsx")
    rec = practicebook.reconcile(book, as_of="2026-03-31")
    practicebook.add_payment("practice.xlsx", {"client_id": "C0042", "amount": "150.00",
                                               "received_date": "2026-03-02"})

Writing (``add_*``, ``mark_cancellation``, ``write_results``) loads on first use: reading
and reconciling never pay for the writer and the safe-write protocol behind it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from practicebook.api import check, load, load_tables, new_workbook
from practicebook.batch import batch  # eager: the submodule of that name must not shadow it
from practicebook.core.explain import Explanation
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.core.simulate import Simulation, simulate
from practicebook.errors import (
    DiskFull,
    IssuesFound,
    MissingDependency,
    PasswordRequired,
    PracticebookError,
    RowRefused,
    UnreadableWorkbook,
    VerifyFailed,
    WorkbookBusy,
    WorkbookChanged,
    WriteError,
    WriteFailed,
    WrongPassword,
)
from practicebook.issues import CellRef, Code, Issue, Severity, raise_for_issues
from practicebook.lazy import load_on_first_use
from practicebook.model import Book, RawTable, Settings
from practicebook.schema import SCHEMA_VERSION, WORKBOOK

if TYPE_CHECKING:
    from practicebook.workbook.writer import (
        Appended,
        ResultsWritten,
        add_adjustment,
        add_payment,
        add_session,
        mark_cancellation,
        write_results,
    )

try:
    __version__ = version("practicebook")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Names loaded on first use, and the module that holds each.
_LAZY = {
    **dict.fromkeys(
        (
            "Appended",
            "ResultsWritten",
            "add_adjustment",
            "add_payment",
            "add_session",
            "mark_cancellation",
            "write_results",
        ),
        "practicebook.workbook.writer",
    ),
}

__all__ = [
    "SCHEMA_VERSION",
    "WORKBOOK",
    "Appended",
    "Book",
    "CellRef",
    "Code",
    "DiskFull",
    "Explanation",
    "Issue",
    "IssuesFound",
    "MissingDependency",
    "PasswordRequired",
    "PracticebookError",
    "RawTable",
    "Reconciliation",
    "ResultsWritten",
    "RowRefused",
    "Settings",
    "Severity",
    "Simulation",
    "UnreadableWorkbook",
    "VerifyFailed",
    "WorkbookBusy",
    "WorkbookChanged",
    "WriteError",
    "WriteFailed",
    "WrongPassword",
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


def __getattr__(name: str) -> Any:
    return load_on_first_use(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
