"""Batch tasks that end their worker process the way native code does, for the tests
that hold a batch to surviving them.

Each wraps the real task (``practicebook.batching.task.summarise_workbook``) and, for a
workbook whose file name starts with its trigger, ends the process first: ``os.abort``
(what the Rust reader does when an allocation fails), a segmentation fault through
``ctypes``, ``SIGKILL`` (what the out-of-memory killer sends) or a hang. A test puts one in
place of the real task; the batch ships it by reference to its worker processes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from pathlib import Path
from typing import Any

from practicebook.batching.task import summarise_workbook

__all__ = ["crashing_task", "reading_changes_the_file"]


def crashing_task(path: str, **options: Any) -> dict[str, Any]:
    """The real task, except for files named ``abort-*``, ``segfault-*``, ``killed-*``
    and ``hang-*``, which end (or stall) the worker process before anything is read."""
    name = Path(path).name
    if name.startswith("abort-"):
        os.abort()
    if name.startswith("segfault-"):
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if name.startswith("killed-"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("hang-"):
        time.sleep(3600)
    return summarise_workbook(path, **options)


def reading_changes_the_file(path: str, **options: Any) -> dict[str, Any]:
    """The real task, while another program saves the workbook just after it was read
    (the file gets one more byte at its end: a zip reader ignores it)."""
    from practicebook.batching import task

    real = task.reconcile

    def reconcile_then_change(*args: Any, **kwargs: Any) -> Any:
        with open(path, "ab") as file:
            file.write(b"\0")
        return real(*args, **kwargs)

    task.reconcile = reconcile_then_change  # type: ignore[assignment]
    try:
        return summarise_workbook(path, **options)
    finally:
        task.reconcile = real  # type: ignore[assignment]
