"""Fault injection: SIGKILL mid-write, concurrent writers, a real full disk."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from practicebook.errors import DiskFull
from practicebook.workbook.ooxml import append_rows, read_sheet
from practicebook.workbook.safewrite import update_workbook


def sessions_book(path: Path, rows: int) -> bytes:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sessions")
    ws.write_row(0, 0, ["id", "client", "fee", "note"])
    for i in range(rows):
        ws.write_row(i + 1, 0, [i, f"C{i % 50:03d}", 80 + i % 7, "routine session"])
    wb.close()
    return path.read_bytes()


def one_row(data: bytes) -> bytes:
    return append_rows(data, "Sessions", [[-1, "C999", 95, "killed?"]])[0]


def _forked_update(path: Path, old: bytes, kill_after: float | None) -> float:
    """Reset the file, run one update in a forked child, SIGKILL it after `kill_after` s.

    Returns the child's lifetime; forking keeps 200+ trials fast (no interpreter start-up).
    """
    path.write_bytes(old)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: one protocol run, killed somewhere inside it
        try:
            update_workbook(path, one_row, retry_on_change=True, keep_backups=2)
        finally:
            os._exit(0)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return time.perf_counter() - start


@pytest.mark.slow
def test_sigkill_at_random_points_never_damages_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    old = sessions_book(path, 3000)
    new = one_row(old)
    duration = max(_forked_update(path, old, kill_after=None) for _ in range(5))
    rng = random.Random(20240601)
    outcomes = {"old": 0, "new": 0}
    for _ in range(220):
        _forked_update(path, old, kill_after=rng.uniform(0, duration * 1.2))
        now = path.read_bytes()
        assert now in (old, new), "workbook damaged by a killed write"
        outcomes["old" if now == old else "new"] += 1
    assert outcomes["old"] > 10 and outcomes["new"] > 10, outcomes
    update_workbook(path, one_row, retry_on_change=True)  # the next write cleans up
    assert not [p for p in tmp_path.iterdir() if ".tmp." in p.name]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None


WRITER = textwrap.dedent("""
    import sys
    from practicebook.workbook.ooxml import append_rows
    from practicebook.workbook.safewrite import update_workbook
    path, tag = sys.argv[1], sys.argv[2]
    for i in range(100):
        update_workbook(path, lambda d, i=i: append_rows(d, "Sessions",
                        [[i, tag, 0, "concurrent"]])[0], retry_on_change=True, keep_backups=1)
""")


def test_two_processes_appending_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    sessions_book(path, 10)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag]) for tag in ("A", "B")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = read_sheet(path.read_bytes(), "Sessions")[11:]
    assert len(rows) == 200
    for tag in ("A", "B"):
        assert [r[0] for r in rows if r[1] == tag] == list(range(100))


@pytest.mark.slow
def test_real_full_disk_leaves_original(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        path = mount / "book.xlsx"
        sessions_book(tmp_path / "src.xlsx", 2500)
        path.write_bytes((tmp_path / "src.xlsx").read_bytes())
        before = path.read_bytes()
        assert len(before) > 40_000
        with pytest.raises(DiskFull):
            update_workbook(path, one_row, retry_on_change=True)
        assert path.read_bytes() == before
        assert not [p for p in mount.iterdir() if ".tmp." in p.name]
    finally:
        subprocess.run(["umount", str(mount)], check=False)
