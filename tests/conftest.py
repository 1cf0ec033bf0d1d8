from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from practicebook.generate import generate
from tests.support.books import ROOT, book_from

__all__ = ["ROOT", "book_from"]

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
            [
                exe,
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
            env={**os.environ, "HOME": str(profile)},
        )
        assert out.exists(), f"LibreOffice did not convert {path.name}"
        return out

    return convert
