from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from practicebook import api
from practicebook.generate import generate
from practicebook.schema import WORKBOOK
from practicebook.textables import read_tables

ROOT = Path(__file__).resolve().parents[1]

# xlwings decides at import time whether its remote engine (xlwings/pro, PolyForm
# Noncommercial) loads; an open-source project's test suite is noncommercial use.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture(scope="session")
def example_practice():
    """The generated example practice with planted problems (rows + where they are)."""
    return generate(600, problems=True)


@pytest.fixture(scope="session")
def damaged_book(tmp_path_factory, example_practice) -> Path:
    path = tmp_path_factory.mktemp("damaged") / "damaged.xlsx"
    example_practice.write(path)
    return path


@pytest.fixture(scope="session")
def clean_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clean") / "clean.xlsx"
    generate(600).write(path)
    return path


def book_from(text: str, *, fill_required: bool = True):
    """Parse workbook tables written as text; returns (book, issues).

    Required sheets the text leaves out are added empty (header only), so a test shows
    just the sheets it is about.
    """
    tables = read_tables(text)
    if fill_required:
        present = {t.name for t in tables}
        for sheet in WORKBOOK.sheets:
            if sheet.required and sheet.name not in present:
                tables += read_tables(f"## {sheet.name}\n| {' | '.join(sheet.keys)} |\n")
    return api.load_tables(tables)


@pytest.fixture(scope="session")
def soffice(tmp_path_factory):
    """Run LibreOffice headless with a private profile; skip when it is not installed."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice is not installed (scripts/test installs it)")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(path: Path, to: str, outdir: Path) -> Path:
        out = outdir / (path.stem + "." + to.split(":")[0])
        subprocess.run(
            [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", to, "--outdir", str(outdir), str(path)],
            check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(profile)},
        )
        assert out.exists(), f"LibreOffice did not convert {path.name}"
        return out

    return convert
