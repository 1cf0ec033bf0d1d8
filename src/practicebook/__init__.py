"""practicebook: bookkeeping for small therapy practices over one standard workbook.

The public API; everything else is internal::

    book, issues = practicebook.load("practice.xlsx")
    rec = practicebook.reconcile(book, as_of="2026-03-31")
    practicebook.add_payment("practice.xlsx", {"client_id": "C0042", "amount": "150.00",
                                               "received_date": "2026-03-02"})

Importing the package is cheap: the exceptions, the issue types, the schema and the
model load with it (they need only the standard library); every name that needs pandas,
a spreadsheet reader or the writer (``load``, ``reconcile``, ``batch``, ``add_*``…) is
imported on first use, so a command that needs none of them never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from practicebook.errors import (
    BadAuditKey,
    DiskFull,
    IssuesFound,
    MissingDependency,
    PasswordRequired,
    PracticebookError,
    RowRefused,
    SheetConflict,
    UnknownClient,
    UnreadableWorkbook,
    VerifyFailed,
    WorkbookBusy,
    WorkbookChanged,
    WorkbookReadOnly,
    WriteError,
    WriteFailed,
    WrongPassword,
)
from practicebook.issues import CellRef, Code, Issue, Severity, raise_for_issues
from practicebook.lazy import load_on_first_use
from practicebook.model import Book, RawTable, Settings
from practicebook.schema import SCHEMA_VERSION, WORKBOOK

if TYPE_CHECKING:
    from practicebook.api import check, load, load_tables, new_workbook
    from practicebook.batching import BatchResult, batch
    from practicebook.core.edits import Closing, Edit
    from practicebook.core.explain import Explanation
    from practicebook.core.reconcile import reconcile
    from practicebook.core.result import Reconciliation
    from practicebook.core.simulate import Simulation, simulate
    from practicebook.workbook.edits import (
        add_client,
        add_review,
        close_period,
        mark_outcomes,
        update_client,
        update_session,
    )
    from practicebook.workbook.writer import (
        Appended,
        ResultsWritten,
        add_adjustment,
        add_payment,
        add_session,
        mark_cancellation,
        write_results,
    )

    __version__: str

#: Names loaded on first use, and the module that holds each.
_LAZY = {
    **dict.fromkeys(("check", "load", "load_tables", "new_workbook"), "practicebook.api"),
    **dict.fromkeys(("BatchResult", "batch"), "practicebook.batching"),
    **dict.fromkeys(("Closing", "Edit"), "practicebook.core.edits"),
    "Explanation": "practicebook.core.explain",
    "reconcile": "practicebook.core.reconcile",
    "Reconciliation": "practicebook.core.result",
    **dict.fromkeys(("Simulation", "simulate"), "practicebook.core.simulate"),
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
    **dict.fromkeys(
        (
            "add_client",
            "add_review",
            "close_period",
            "mark_outcomes",
            "update_client",
            "update_session",
        ),
        "practicebook.workbook.edits",
    ),
}

__all__ = [
    "SCHEMA_VERSION",
    "WORKBOOK",
    "Appended",
    "BadAuditKey",
    "BatchResult",
    "Book",
    "CellRef",
    "Closing",
    "Code",
    "DiskFull",
    "Edit",
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
    "SheetConflict",
    "Simulation",
    "UnknownClient",
    "UnreadableWorkbook",
    "VerifyFailed",
    "WorkbookBusy",
    "WorkbookChanged",
    "WorkbookReadOnly",
    "WriteError",
    "WriteFailed",
    "WrongPassword",
    "__version__",
    "add_adjustment",
    "add_client",
    "add_payment",
    "add_review",
    "add_session",
    "batch",
    "check",
    "close_period",
    "load",
    "load_tables",
    "mark_cancellation",
    "mark_outcomes",
    "new_workbook",
    "raise_for_issues",
    "reconcile",
    "simulate",
    "update_client",
    "update_session",
    "write_results",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("practicebook")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    return load_on_first_use(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
