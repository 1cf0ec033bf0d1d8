"""Serving the dashboard for browser tests: a Voilà server started with the same command
line as ``practicebook app`` (``voila_command``) on a free loopback port, and headless
Chromium.

Start and stop are bounded; kernels the server started are killed if they outlive it.
Used by the browser and journey test modules' fixtures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from practicebook.frontends.jupyter import voila_command

CHROMIUM = os.environ.get("PRACTICEBOOK_CHROMIUM", "/usr/bin/chromium")
START_TIMEOUT = float(os.environ.get("PRACTICEBOOK_SERVER_START_TIMEOUT", "90"))
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time), from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), fields[19])
    return table


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, start time) of every process under ``pid``."""
    table, out, todo = _proc_table(), [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, (ppid, _) in table.items() if ppid == parent]
        out += [(k, table[k][1]) for k in kids]
        todo += kids
    return out


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"Voila not ready in {START_TIMEOUT} s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    kernels = descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)  # Voila shuts its kernels down itself
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    table = _proc_table()
    for pid, started in kernels:  # only the very same processes, never a reused pid
        if table.get(pid, (None, None))[1] == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextmanager
def serving(book: Path, work: Path, *extra: str) -> Iterator[dict[str, Any]]:
    """Voilà serving the dashboard of ``book`` (``extra``: more command-line options);
    yields ``url``, ``book``, ``log`` and the server ``proc``."""
    port = free_port()
    argv, env = voila_command(book, port=port, open_browser=False)
    argv += ["--VoilaExecutor.startup_timeout=60", "--show_tracebacks=True", *extra]
    log = work / f"voila-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/voila/static/voila.js", proc, log)
        yield {"url": f"http://127.0.0.1:{port}/", "book": book, "log": log, "proc": proc}
    finally:
        stop(proc)


@contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (it cannot download its own)."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--disable-dev-shm-usage"],
            timeout=30_000,
        )
        yield browser
        browser.close()
