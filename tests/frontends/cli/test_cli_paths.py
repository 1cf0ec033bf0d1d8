"""Bad paths and odd files end every command with one line and exit 2, never a traceback
or a hang: a folder that does not exist, a folder given as a workbook, a pipe, a device."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from practicebook.frontends.cli import main

READERS = (
    ["check"],
    ["reconcile"],
    ["reconcile", "--write"],
    ["explain", "__BOOK__", "C0001"],
    ["batch"],
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _argv(command: list[str], book: Path) -> list[str]:
    if "__BOOK__" in command:
        return [str(book) if a == "__BOOK__" else a for a in command]
    return [*command, str(book)]


def test_new_in_a_folder_that_does_not_exist_is_one_line(tmp_path):
    result = run("new", tmp_path / "nodir" / "x.xlsx")
    assert result.exit_code == 2
    target, folder = tmp_path / "nodir" / "x.xlsx", tmp_path / "nodir"
    assert result.output == f"error: cannot write {target}: the folder {folder} does not exist\n"
    assert not folder.exists()


def test_new_under_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = run("new", tmp_path / "afile" / "x.xlsx")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "does not exist" in result.output


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
def test_a_missing_file_is_one_line(tmp_path, command):
    result = run(*_argv(command, tmp_path / "absent.xlsx"))
    assert result.exit_code == 2, result.output
    assert "no such file" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
def test_a_folder_named_like_a_workbook_is_one_line(tmp_path, command):
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    result = run(*_argv(command, folder))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, so a hang fails the test instead of the run."""
    code = "import sys; from practicebook.frontends.cli import main; main(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, command):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    done = _cli(*_argv(command, fifo))
    assert done.returncode == 2, done.stderr
    if command == ["batch"]:  # the file's own row says why; nothing was readable
        assert "unreadable\t" in done.stdout and "not a regular file" in done.stdout
        return
    assert done.stderr.startswith(f"error: {fifo}: this is not a regular file")
    assert done.stderr.count("\n") == 1


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
@pytest.mark.parametrize("command", READERS[:4], ids=lambda c: " ".join(c))
def test_an_endless_device_is_refused_without_reading_it(command):
    done = _cli(*_argv(command, Path("/dev/zero")))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: /dev/zero: this is not a regular file")
    assert done.stderr.count("\n") == 1
