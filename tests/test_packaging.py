"""The wheel users install: the package and its data, nothing test-only."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.books import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("practicebook-*.whl")
    with zipfile.ZipFile(built) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_package_and_its_data(wheel):
    assert "practicebook/__init__.py" in wheel
    assert "practicebook/py.typed" in wheel
    for data in (
        "frontends/excel/vba/vbaProject.bin",
        "frontends/excel/vba/PracticeBook.bas",
        "frontends/excel/lite/main.py",
        "frontends/jupyter/app/dashboard.ipynb",
    ):
        assert f"practicebook/{data}" in wheel, data


def test_the_wheel_holds_nothing_test_only(wheel):
    shipped = {name.split("/")[0] for name in wheel}
    assert shipped <= {"practicebook", *(n for n in shipped if n.endswith(".dist-info"))}
    modules = [n for n in wheel if n.endswith(".py")]
    assert not [n for n in modules if "/tests/" in n or Path(n).name.startswith("test_")]
    assert not [n for n in modules if Path(n).stem in ("textables", "conftest")]


def test_every_source_module_is_in_the_wheel(wheel):
    source = ROOT / "src"
    expected = {str(p.relative_to(source)) for p in (source / "practicebook").rglob("*.py")}
    assert expected <= set(wheel)
