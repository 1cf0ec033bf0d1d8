"""practicebook: bookkeeping for small therapy practices over one standard workbook.

The public API; everything else is internal::

    book, issues = practicebook.load("practice.xlsx")
"""

from __future__ import annotations

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
from practicebook.schema import SCHEMA_VERSION, WORKBOOK

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
    "Settings",
    "Severity",
    "UnreadableWorkbook",
    "__version__",
    "batch",
    "check",
    "load",
    "load_tables",
    "new_workbook",
    "raise_for_issues",
]
