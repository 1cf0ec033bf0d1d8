"""Every example in README.md runs as written, against the bundled example practice.

The shell and Python blocks are taken from the README itself, so an example that stops
working fails here. They run in a temporary folder holding ``examples/`` (a copy of the
example workbook) and ``.venv`` (this interpreter's environment), with its ``bin`` first on
``PATH``, as in a fresh clone after block 1's install. Two commands are not run: block
1's install itself (the package under test is installed) and ``scripts/test`` (the suite
this test is part of).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.books import ROOT

README = ROOT / "README.md"
INSTALL = "python3 -m venv .venv && .venv/bin/pip install . && "
NOT_RUN = ("scripts/test",)


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def shell_commands() -> list[str]:
    """Each command line of the README's shell blocks, block 1's install taken off."""
    commands = []
    for number, block in enumerate(blocks("sh"), start=1):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if not command or command.startswith("#"):
                continue
            assert not command.endswith("\\"), "one command per line, please"
            if number == 1 and command.startswith(INSTALL):
                command = command.removeprefix(INSTALL)
            if command not in NOT_RUN:
                commands.append(command)
    return commands


@pytest.fixture
def clone(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder laid out like a fresh clone after the install: examples and .venv."""
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "example-practice.xlsx", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = dict(os.environ, PATH=f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PRACTICEBOOK_PASSWORD", None)
    return tmp_path, env


def test_the_readme_has_examples_to_run():
    commands = shell_commands()
    assert commands[0] == ".venv/bin/practicebook reconcile examples/example-practice.xlsx"
    assert any(c.startswith("practicebook batch ") for c in commands)
    assert len(blocks("python")) >= 1


@pytest.mark.parametrize("command", shell_commands())
def test_each_shell_example_runs_as_written(clone, command):
    folder, env = clone
    done = subprocess.run(
        ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_each_python_example_runs_as_written(clone, number):
    folder, env = clone
    script = folder / "example.py"
    script.write_text(blocks("python")[number], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip()
