"""The pure core never imports I/O or front-door libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "practicebook"
CORE = ["schema", "money", "issues", "model", "parse", "checks", "formatting", "textables",
        "docs", "policy", "reconcile", "entry", "audit", "summary", "home", "livebook"]
FORBIDDEN = ("openpyxl", "xlwings", "ipywidgets", "click", "rich", "fastexcel", "xlsxwriter",
             "msoffcrypto", "practicebook.reader", "practicebook.template", "practicebook.cli",
             "practicebook.excel", "practicebook.jupyter", "practicebook.writer",
             "practicebook.api")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", [m for m in CORE if (SRC / f"{m}.py").exists()])
def test_core_module_imports_no_io_or_adapter(module):
    bad = {name for name in imported_modules(SRC / f"{module}.py")
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"practicebook.{module} imports {sorted(bad)}"


def test_the_check_itself_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom openpyxl import load_workbook\n")
    assert "openpyxl" in imported_modules(sample)
