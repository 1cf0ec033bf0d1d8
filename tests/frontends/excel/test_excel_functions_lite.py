# ruff: noqa: E402  (xlwings' licence variable is set before xlwings is imported)
"""Worksheet functions and xlwings Lite: the same figures without the buttons.

The functions are called as Excel calls them (on the calling workbook, through xlwings'
mock caller); the Lite scripts run as Lite runs them (``custom_scripts_call`` with
``XLWINGS_ON_SERVER``), also with the modules Pyodide lacks blocked.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from decimal import Decimal

import openpyxl
import pytest

from tests.support.books import ROOT

xw = pytest.importorskip("xlwings", reason="the excel extra (xlwings) is not installed")
if not xw.__pro__:
    pytest.skip(
        "xlwings' remote engine did not load (needs XLWINGS_LICENSE_KEY)", allow_module_level=True
    )

from practicebook.core.reconcile import reconcile
from practicebook.errors import PracticebookError
from practicebook.frontends import excel
from practicebook.render.sheets import RESULT_SHEETS
from tests.frontends.excel.test_excel import run
from tests.support.excel_payload import payload


def test_udfs_called_as_plain_functions_agree_with_the_core(book_path, core):
    _, _, rec = core
    book = xw.Book(json=payload(book_path))
    try:
        book.set_mock_caller()
        balance = excel.PB_BALANCE("C0001", dt.datetime(2026, 12, 31))
        session = rec.charges["session_id"].iloc[0]
        fee = excel.PB_SESSION_FEE(session)
        flags = excel.PB_FLAGS("C0001")
    finally:
        xw.Book._mock_caller = None
        book.close()
    row = rec.balances[rec.balances["client_id"] == "C0001"].iloc[0]
    assert Decimal(str(balance)) == row["balance"]
    amount = rec.charges.loc[rec.charges["session_id"] == session, "amount"].sum()
    assert Decimal(str(fee)) == amount
    today = reconcile(core[0]).flags
    mine = today[today["client_id"] == "C0001"]
    assert flags == "\n".join(f"{f.code} at {f.sheet}!{f.cell}" for f in mine.itertuples())


def test_journey_functions_take_dates_and_serials_and_refuse_unknown_ids(book_path, core):
    """=PB_BALANCE("C0001", TODAY()-30) passes a serial; =PB_BALANCE("C9999") is an error."""
    book, _, _ = core
    book_ = xw.Book(json=payload(book_path))
    try:
        book_.set_mock_caller()
        by_serial = excel.PB_BALANCE("C0001", 46203.0)  # 2026-06-30
        by_text = excel.PB_BALANCE("C0001", "2026-06-30")
        with pytest.raises(PracticebookError, match="'C9999' is not a client"):
            excel.PB_BALANCE("C9999")
        with pytest.raises(PracticebookError, match="'41' is not on the Sessions sheet"):
            excel.PB_SESSION_FEE(41.0)
        with pytest.raises(PracticebookError, match="is not a day"):
            excel.PB_BALANCE("C0001", "last Tuesday")
    finally:
        xw.Book._mock_caller = None
        book_.close()
    expected = reconcile(book, "2026-06-30").balances.set_index("client_id").loc["C0001", "balance"]
    assert Decimal(str(by_serial)) == Decimal(str(by_text)) == expected


def test_journey_functions_recalculate_when_the_book_changes(book_path, tmp_path, core):
    """Volatile: every recalculation reads the book again; a new payment shows at once."""
    _, _, rec = core
    edited = tmp_path / "paid.xlsm"
    wb = openpyxl.load_workbook(book_path, keep_vba=True)
    payments = wb["Payments"]
    payments.append(["P9999999", dt.datetime(2026, 6, 1), "C0001", "payment", "cash", None, 100.0])
    wb.save(edited)
    balances = []
    for path in (book_path, edited):
        live = xw.Book(json=payload(path))
        try:
            live.set_mock_caller()
            balances.append(Decimal(str(excel.PB_BALANCE("C0001", "2026-12-31"))))
        finally:
            xw.Book._mock_caller = None
            live.close()
    before = rec.balances.set_index("client_id").loc["C0001", "balance"]
    assert balances == [before, before - 100]


FUNCTION_META = """
import json, xlwings.server
from practicebook.frontends.excel import functions
print(json.dumps({m["name"]: m.get("options", {}).get("volatile")
                  for m in xlwings.server.custom_functions_meta(functions)["functions"]}))
"""


def test_functions_are_declared_volatile(tmp_path):
    env = {**os.environ, "XLWINGS_ON_SERVER": "true"}
    done = subprocess.run(
        [sys.executable, "-c", FUNCTION_META],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    meta = json.loads(done.stdout.strip().splitlines()[-1])
    assert meta == {"PB_BALANCE": True, "PB_FLAGS": True, "PB_SESSION_FEE": True}


def lite_module():
    spec = importlib.util.spec_from_file_location(
        "lite_main", ROOT / "src" / "practicebook" / "frontends" / "excel" / "lite" / "main.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lite_scripts_run_the_same_macros(book_path):
    lite = lite_module()
    _, actions = run(book_path, lite.reconcile)
    assert next(a["args"][1] for a in actions if a["func"] == "addSheet") == "Balances"
    _, actions = run(book_path, lite.check_workbook)
    assert actions[-1]["func"] == "rangeSelect"


LITE_RUN = """
import asyncio, importlib.util, json, sys
import xlwings as xw, xlwings.server
sys.path.insert(0, sys.argv[3])
from tests.support.excel_payload import payload
spec = importlib.util.spec_from_file_location("lite_main", sys.argv[1])
lite = importlib.util.module_from_spec(spec); spec.loader.exec_module(lite)
meta = xlwings.server.custom_scripts_meta(lite)
book = xw.Book(json=payload(sys.argv[2]))
asyncio.run(xlwings.server.custom_scripts_call(lite, "reconcile",
                                               typehint_to_value={xw.Book: book}))
print(json.dumps({"scripts": [m["function_name"] for m in meta],
                  "actions": [a["func"] for a in book.json()["actions"]]}))
"""


def test_lite_scripts_are_registered_and_run_as_xlwings_scripts(book_path):
    """With ``XLWINGS_ON_SERVER`` (as in Lite) ``@script`` registers the functions; the
    xlwings runner calls them with the book, as Lite's task pane does."""
    env = {**os.environ, "XLWINGS_ON_SERVER": "true"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LITE_RUN,
            str(ROOT / "src" / "practicebook" / "frontends" / "excel" / "lite" / "main.py"),
            str(book_path),
            str(ROOT / "tests"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(out["scripts"]) == [
        "add_session",
        "check_workbook",
        "explain_balance",
        "mark_late_cancellation",
        "preview_cancellation",
        "reconcile",
        "record_payment",
    ]
    assert out["actions"].count("addSheet") == len(RESULT_SHEETS) + 1  # and AuditLog
    assert out["actions"][-1] == "rangeSelect"


#: Modules with no build for Pyodide (xlwings Lite's Python), or that need what a browser
#: lacks (file locks, processes): the Lite scripts must run without any of them.
NATIVE_ONLY = (
    "fastexcel",
    "python_calamine",
    "msoffcrypto",
    "filelock",
    "reportlab",
    "duckdb",
    "dask",
    "distributed",
    "multiprocessing",
    "concurrent.futures.process",
)

LITE_BLOCKED = """
import asyncio, importlib.abc, importlib.util, json, sys
BLOCKED = tuple(sys.argv[4].split(","))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED or name.startswith(tuple(b + "." for b in BLOCKED)):
            raise ImportError(f"{name} is not available in Pyodide")
        return None
sys.meta_path.insert(0, Block())
import xlwings as xw, xlwings.server
sys.path.insert(0, sys.argv[3])
from tests.support.excel_payload import payload
spec = importlib.util.spec_from_file_location("lite_main", sys.argv[1])
lite = importlib.util.module_from_spec(spec); spec.loader.exec_module(lite)
done = {}
for name, where in (("reconcile", "Home"), ("explain_balance", "Clients"), ("check_workbook", "Home")):
    book = xw.Book(json=payload(sys.argv[2], active=where, selection="A3"))
    asyncio.run(xlwings.server.custom_scripts_call(lite, name, typehint_to_value={xw.Book: book}))
    done[name] = [a["func"] for a in book.json()["actions"]]
print(json.dumps({"done": done, "loaded": sorted(m for m in sys.modules if m in BLOCKED)}))
"""


def test_lite_scripts_run_with_native_only_modules_blocked(book_path):
    env = {**os.environ, "XLWINGS_ON_SERVER": "true"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LITE_BLOCKED,
            str(ROOT / "src" / "practicebook" / "frontends" / "excel" / "lite" / "main.py"),
            str(book_path),
            str(ROOT / "tests"),
            ",".join(NATIVE_ONLY),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["loaded"] == []
    assert out["done"]["reconcile"].count("addSheet") == len(RESULT_SHEETS) + 1
    assert "addSheet" in out["done"]["explain_balance"]  # the Explain sheet
    assert out["done"]["check_workbook"][-1] == "rangeSelect"
