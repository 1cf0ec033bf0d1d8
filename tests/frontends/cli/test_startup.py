"""Each command imports only what it needs, so a small book is checked in well under a
second and ``--help`` is instant (the timings: ``benchmarks/startup.py``)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "fastexcel", "rich", "babel", "xlsxwriter", "dask")
_PROBE = """
import json, sys
from practicebook.frontends.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded(*args: str) -> set[str]:
    """The modules a whole ``practicebook`` process has imported by its end."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_loads_neither_pandas_nor_the_table_renderer():
    for argv in (["--help"], ["reconcile", "--help"], ["batch", "--help"]):
        assert not _roots(loaded(*argv)) & set(HEAVY), argv


def test_check_loads_no_reconciliation_renderer_or_writer(clean_book):
    modules = loaded("check", str(clean_book))
    assert "pandas" in modules  # reading does need it
    assert not {"rich", "xlsxwriter", "dask", "openpyxl"} & _roots(modules)
    never = {
        "practicebook.core.reconcile",
        "practicebook.workbook.writer",
        "practicebook.workbook.safewrite",
        "practicebook.batching",
    }
    assert not never & modules


def test_importing_the_package_loads_no_pandas():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, practicebook, sys; print(json.dumps(list(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not set(HEAVY) & _roots(set(json.loads(done.stdout)))
