from __future__ import annotations

import practicebook

EXPECTED = [
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


def test_public_api_is_pinned():
    assert practicebook.__all__ == EXPECTED


def test_every_public_name_exists():
    for name in practicebook.__all__:
        assert hasattr(practicebook, name), name
