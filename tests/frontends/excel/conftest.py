"""The practice the Excel door's tests press buttons on, as a macro workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.frontends.excel.build import vba_project
from practicebook.generate import generate
from practicebook.workbook.template import write_workbook

#: The day the macros are run on in the tests that pass one.
AS_OF = "2026-12-31"


@pytest.fixture(scope="module")
def practice():
    """A small generated practice with one session of C0002's still to come."""
    generated = generate(40)
    generated.rows["Sessions"].append(
        {
            "session_id": "S0000041",
            "client_id": "C0002",
            "clinician_id": "T01",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2026, 7, 1, 10, 0),
            "scheduled_minutes": 50,
            "status": "scheduled",
        }
    )
    return generated


@pytest.fixture(scope="module")
def book_path(tmp_path_factory, practice) -> Path:
    """The practice as a macro workbook."""
    path = tmp_path_factory.mktemp("excel") / "practice.xlsm"
    write_workbook(path, practice.rows, settings=practice.settings, vba_project=vba_project())
    return path


@pytest.fixture(scope="module")
def core(book_path):
    """The workbook as the core reads it, its issues, and its reconciliation on AS_OF."""
    book, issues = api.load(book_path)
    return book, issues, reconcile(book, AS_OF)
