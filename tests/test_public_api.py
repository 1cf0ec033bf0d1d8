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


def test_public_api_is_pinned():
    assert practicebook.__all__ == EXPECTED


def test_every_public_name_exists():
    for name in practicebook.__all__:
        assert hasattr(practicebook, name), name


def test_excel_entry_points_are_pinned():
    import pytest

    pytest.importorskip("xlwings", reason="the excel extra is not installed")
    import practicebook.excel as excel

    assert {"reconcile", "add_session", "record_payment", "mark_cancellation",
            "explain_balance", "check_workbook", "PB_BALANCE", "PB_SESSION_FEE",
            "PB_FLAGS"} <= set(excel.__all__)


def test_jupyter_adapter_names_import_without_ipywidgets():
    from practicebook import jupyter

    assert jupyter.__all__ == ["APP_NOTEBOOK", "BOOK_ENV", "Dashboard", "SchemaForm",
                               "WorkbookState", "voila_command"]
