"""The public surface: pinned, complete, and documented where it is defined."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import practicebook
from practicebook import errors

EXPECTED = [
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


def test_public_api_is_pinned():
    assert practicebook.__all__ == EXPECTED


def test_every_public_name_exists():
    for name in practicebook.__all__:
        assert hasattr(practicebook, name), name


def test_batch_stays_the_function_after_its_module_is_imported():
    importlib.import_module("practicebook.batching")
    assert callable(practicebook.batch)
    assert practicebook.batch is practicebook.batching.batch


def _package_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(practicebook.__path__, "practicebook.")]


def _exception_classes() -> set[type]:
    found = set()
    for name in _package_modules():
        try:
            module = importlib.import_module(name)
        except practicebook.MissingDependency:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, practicebook.PracticebookError):
                found.add(obj)
    return found


def test_every_exception_is_defined_once_in_errors_and_exported():
    classes = _exception_classes()
    assert {c.__module__ for c in classes} == {"practicebook.errors"}
    assert {c.__name__ for c in classes} <= set(practicebook.__all__)


def _drawn_tree() -> dict[str, str | None]:
    """Each class in the ``errors`` docstring's tree and the class drawn as its parent."""
    parent: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        node = re.search(r"[└├]── (\w+)", line)
        if line.strip() == "PracticebookError":
            stack, parent["PracticebookError"] = [(0, "PracticebookError")], None
        elif node and stack:
            depth = line.index(node.group(0))
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parent[node.group(1)] = stack[-1][1]
            stack.append((depth, node.group(1)))
    return parent


def test_the_documented_exception_tree_is_the_real_one():
    drawn = _drawn_tree()
    real = {c.__name__: c for c in _exception_classes()}
    assert set(drawn) == set(real)
    for name, cls in real.items():
        base = cls.__bases__[0].__name__ if name != "PracticebookError" else None
        assert drawn[name] == base, name


def test_excel_entry_points_are_pinned():
    pytest.importorskip("xlwings", reason="the excel extra is not installed")
    from practicebook.frontends import excel

    assert {
        "reconcile",
        "add_session",
        "record_payment",
        "mark_cancellation",
        "explain_balance",
        "check_workbook",
        "PB_BALANCE",
        "PB_SESSION_FEE",
        "PB_FLAGS",
    } <= set(excel.__all__)
    for name in excel.__all__:
        assert callable(getattr(excel, name)), name


def test_jupyter_adapter_names_import_without_ipywidgets():
    from practicebook.frontends import jupyter

    assert jupyter.__all__ == [
        "APP_NOTEBOOK",
        "BOOK_ENV",
        "Dashboard",
        "SchemaForm",
        "WorkbookState",
        "voila_command",
    ]
