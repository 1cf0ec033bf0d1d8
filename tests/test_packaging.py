"""The wheel users install: the package and its data (the dashboard's page template, the
fonts documents are printed in), nothing test-only; and from the wheel alone, a document
prints in its fonts and the dashboard finds its page."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.support.books import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
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
    (made,) = out.glob("practicebook-*.whl")
    return made


@pytest.fixture(scope="module")
def wheel(built) -> list[str]:
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
        "frontends/jupyter/app/share/voila/templates/practicebook/conf.json",
        "frontends/jupyter/app/share/voila/templates/practicebook/index.html.j2",
        "render/pdf/fonts/DejaVuSans.ttf",
        "render/pdf/fonts/DejaVuSans-Bold.ttf",
        "render/pdf/fonts/LICENSE-DejaVu.txt",
    ):
        assert f"practicebook/{data}" in wheel, data


def test_every_data_file_of_the_package_is_in_the_wheel(wheel):
    if not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to list the package's files")
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "src/practicebook"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    data = {p.removeprefix("src/") for p in tracked if not p.endswith(".py")}
    assert len(data) >= 10  # templates, fonts, the VBA project, the notebook…
    assert data - set(wheel) == set()


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


CHECK_UNPACKED = textwrap.dedent(
    """
    import json, os, sys, tempfile
    from pathlib import Path

    unpacked = Path(sys.argv[1])
    import practicebook
    from practicebook import documents
    from practicebook.frontends.jupyter.launch import APP, voila_command
    from practicebook.generate import generate
    from practicebook.render.pdf import fonts

    assert Path(practicebook.__file__).resolve().is_relative_to(unpacked), practicebook.__file__
    assert ord("é") in fonts.register()
    template = APP / "share" / "voila" / "templates" / "practicebook"
    assert json.loads((template / "conf.json").read_text())
    assert (template / "index.html.j2").read_text().strip()
    folder = Path(tempfile.mkdtemp())
    generate(40).write(folder / "book.xlsx")
    argv, env = voila_command(folder / "book.xlsx")
    assert str(APP / "share") in env["JUPYTER_PATH"].split(os.pathsep)
    book = practicebook.load(folder / "book.xlsx")[0]
    client = documents.statement_clients(book, "2026-02")[0]
    pdf = documents.to_pdf(documents.statement(book, client, month="2026-02"))
    assert pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf
    print("ok", len(pdf))
    """
)


def test_from_the_wheel_alone_a_document_prints_in_its_fonts_and_the_page_is_found(built, tmp_path):
    with zipfile.ZipFile(built) as archive:
        archive.extractall(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", CHECK_UNPACKED, str(tmp_path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
