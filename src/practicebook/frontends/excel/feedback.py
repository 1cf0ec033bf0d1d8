"""What a therapist sees while a button runs: progress, a one-line result, short errors.

* Progress goes to Excel's status bar where the engine reaches it (desktop Excel);
  xlwings' remote clients and Lite have no status bar, and skip it.
* Every button ends with one line in Home's result cell (A3), which every engine writes.
* A Python error shows one short message; the traceback goes to ``practicebook-excel.log``
  beside the workbook (where there is a folder: not in Excel on the web), never into a
  dialog.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from practicebook.errors import PracticebookError
from practicebook.frontends.excel import livebook
from practicebook.schema import home

__all__ = ["LOG_NAME", "guarded", "log_path", "progress", "result_line"]

LOG_NAME = "practicebook-excel.log"
_logger = logging.getLogger("practicebook.excel")


def _desktop(book: Any) -> bool:
    try:
        return bool(book.app.engine.name == "excel")
    except Exception:  # an engine without apps (remote, Lite)
        return False


def progress(book: Any, text: str) -> None:
    """``text`` in Excel's status bar, on desktop Excel; nothing elsewhere."""
    if _desktop(book):
        try:
            book.app.status_bar = f"practicebook: {text}"
        except Exception:  # the status bar is a courtesy, never a failure
            pass


def result_line(book: Any, text: str) -> None:
    """The one-line outcome of a button: Home's result cell, and the status bar."""
    if home.HOME in [s.name for s in book.sheets]:
        book.sheets[home.HOME].range(home.RESULT_CELL).value = livebook.text_cell(text)
    progress(book, text)


def log_path(book: Any) -> Path | None:
    """``practicebook-excel.log`` in the workbook's folder, or ``None`` without one."""
    try:
        full = Path(str(book.fullname))
    except Exception:
        return None
    if not full.is_absolute() or not full.parent.is_dir():
        return None
    return full.with_name(LOG_NAME)


def _write_log(path: Path | None, title: str, exc: BaseException) -> bool:
    if path is None:
        return False
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    try:
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} {title}\n{''.join(lines)}\n")
    except OSError:
        return False
    return True


def _short(exc: BaseException) -> str:
    """One line: practicebook's own messages as they are, others by their kind only (a
    foreign message may quote a cell)."""
    if isinstance(exc, PracticebookError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"an unexpected error ({type(exc).__name__})"


def guarded(macro: Callable[[Any], object], book: Any, title: str) -> None:
    """Run ``macro(book)``; on a Python error show one short message (and where the
    traceback was logged) instead of a traceback."""
    try:
        macro(book)
    except Exception as exc:
        logged = _write_log(log_path(book), title, exc)
        _logger.debug("%s failed", title, exc_info=exc)
        where = f" Details: {LOG_NAME} beside the workbook." if logged else ""
        message = f"{title} stopped: {_short(exc)}.{where}"
        try:
            result_line(book, message)
            book.app.alert(message, title)
        except Exception:  # the book itself is unreachable: nothing more to show
            pass
