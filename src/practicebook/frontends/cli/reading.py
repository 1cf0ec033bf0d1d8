"""What every command that reads a workbook shares: exit codes, one-line failures, and
reading the file once through the guard (asking for a password at a terminal).

Failures of the environment or of the file (unreadable, encrypted without a password,
refused by the guard, a folder that does not exist) end the command with one line on
standard error and exit code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from practicebook.errors import PracticebookError

if TYPE_CHECKING:
    from practicebook.issues import Issue
    from practicebook.model import Book

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ISSUES",
    "EXIT_UNUSABLE",
    "Loaded",
    "fail",
    "interactive",
    "load",
    "one_line",
]

EXIT_CLEAN, EXIT_ISSUES, EXIT_UNUSABLE = 0, 1, 2


def fail(message: str) -> NoReturn:
    """End the command: ``error: <message>`` on standard error, exit code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


@contextlib.contextmanager
def one_line() -> Iterator[None]:
    """Turn practicebook's exceptions, and the system's refusals, into ``fail``."""
    try:
        yield
    except PracticebookError as exc:
        fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or type(exc).__name__}")


def interactive() -> bool:
    """True when a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


@dataclass(frozen=True)
class Loaded:
    """A workbook read once: its bytes (as on disk), the parsed book and its issues."""

    path: Path
    raw: bytes
    book: Book
    issues: list[Issue]
    password: str | None

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes the book was read from (a write is checked against it)."""
        import hashlib

        return hashlib.sha256(self.raw).hexdigest()


def load(path: Path, password: str | None) -> Loaded:
    """Read ``path`` once through the guard, ask for its password when it is encrypted and
    a person is at the terminal, and parse it; ``fail`` when it cannot be read."""
    from practicebook.core.load import load_tables
    from practicebook.workbook.crypto import is_encrypted
    from practicebook.workbook.guard import read_workbook_bytes
    from practicebook.workbook.reader import read_workbook

    with one_line():
        raw = read_workbook_bytes(path)
    if password is None and interactive() and is_encrypted(raw):
        password = click.prompt(f"Password for {path.name}", hide_input=True)
    with one_line():
        workbook, tables = read_workbook(path, raw, password=password)
    book, issues = load_tables(tables, schema_version=workbook.schema_version)
    return Loaded(path, raw, book, issues, password)
