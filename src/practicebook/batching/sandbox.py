"""Worker processes that a crash cannot escape.

A native library can end the process that calls it: a Rust ``abort`` on a huge
allocation, a segmentation fault, the kernel's out-of-memory killer. A batch therefore
runs each task in a worker process started with this interpreter and spoken to over its
standard input and output (length-prefixed pickles; the worker's own prints go nowhere,
its standard error to a scratch file that is read only when it cannot start). A worker
runs one task at a time, so when it dies the task it was running is the one to blame:
``Sandbox.run`` says how it died (``SIGABRT``, killed, timed out) and the next task gets
a fresh worker. Workers run in their own session, so Ctrl-C reaches only the parent,
which stops them.

May import: the standard library and ``practicebook.errors``.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from practicebook.errors import PracticebookError

__all__ = ["Outcome", "Sandbox", "serve"]

_HEADER = struct.Struct(">Q")
_SERVE = "from practicebook.batching.sandbox import serve; serve()"
#: How long a new worker may take to import what it needs.
_START_SECONDS = 300.0


@dataclass(frozen=True)
class Outcome:
    """What a task gave back, or why it gave nothing (one line)."""

    value: Any = None
    failure: str | None = None


class Sandbox:
    """One worker process, started on first use and again after each death.

    Args:
        timeout: seconds a task may run before its worker is stopped (None: no limit).
        preload: modules the worker imports before its first task.
    """

    def __init__(self, timeout: float | None = None, preload: tuple[str, ...] = ()) -> None:
        self.timeout = timeout
        self.preload = preload
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._lock = threading.Lock()

    def run(self, task: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
        """Run ``task(*args, **kwargs)`` in the worker; its value, or how the worker died.

        Raises:
            PracticebookError: a worker could not be started at all.
        """
        process = self._process if self._process is not None else self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            _write_frame(process.stdin, pickle.dumps((task, args, kwargs)))
        except OSError:  # the worker is gone
            return Outcome(failure=describe_exit(self._end(kill=False)))
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        frame = _read_frame(process.stdout, deadline)
        if frame is None:
            if deadline is not None and time.monotonic() >= deadline:
                self._end(kill=True)
                return Outcome(failure=f"reading it took longer than {self.timeout:g} s")
            return Outcome(failure=describe_exit(self._end(kill=False)))
        kind, value = pickle.loads(frame)
        if kind == "ok":
            return Outcome(value)
        return Outcome(failure=f"the worker process failed ({value})")

    def close(self) -> None:
        """Stop the worker, if one is running."""
        self._end(kill=True)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._stderr is not None:
            self._stderr.close()
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, *self.preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            bufsize=0,
            start_new_session=True,  # Ctrl-C at a terminal reaches the parent only
        )
        assert process.stdout is not None
        self._process = process
        if _read_frame(process.stdout, time.monotonic() + _START_SECONDS) != b"ready":
            self._end(kill=True)
            raise PracticebookError(f"a batch worker process could not start: {self._last_words()}")
        return process

    def _end(self, *, kill: bool) -> int | None:
        """End the worker (killed, or waited for when it has died); its exit status."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return None
        if kill and process.poll() is None:
            process.kill()
        try:
            code: int | None = process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # stdout closed but still running: stop it
            process.kill()
            code = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return code

    def _last_words(self) -> str:
        """The last line the worker wrote to its standard error (it could not start)."""
        if self._stderr is None:
            return "no message"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "no message"


def describe_exit(code: int | None) -> str:
    """How a worker process ended, for a workbook's ``reason`` (one line)."""
    if code is None:
        return "the worker process reading it did not stop"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == getattr(signal, "SIGKILL", None):
            return f"the worker process reading it was killed ({name}; out of memory?)"
        return f"reading it crashed the worker process ({name})"
    return f"the worker process reading it exited with code {code}"


def _write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: IO[bytes], deadline: float | None = None) -> bytes | None:
    """One length-prefixed frame, or None at end of stream or past ``deadline``."""
    header = _read_exactly(stream, _HEADER.size, deadline)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(stream, size, deadline)


def _read_exactly(stream: IO[bytes], size: int, deadline: float | None) -> bytes | None:
    fd = stream.fileno()
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def serve() -> None:
    """The worker's loop: read a task, run it, write back its value or its failure.

    Entered by ``python -c`` in the worker; ``sys.argv[1:]`` names modules to import first.
    """
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    protocol_in = os.fdopen(os.dup(0), "rb", buffering=0)
    quiet = os.open(os.devnull, os.O_RDWR)
    os.dup2(quiet, 0)
    os.dup2(quiet, 1)  # a stray print must not corrupt the protocol
    import importlib

    for module in sys.argv[1:]:
        importlib.import_module(module)
    _write_frame(protocol_out, b"ready")
    while (frame := _read_frame(protocol_in)) is not None:
        try:
            task, args, kwargs = pickle.loads(frame)
            reply = pickle.dumps(("ok", task(*args, **kwargs)))
        except Exception as exc:
            reply = pickle.dumps(("error", type(exc).__name__))
        _write_frame(protocol_out, reply)
