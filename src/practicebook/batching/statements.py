"""A month's statements for one workbook of a batch (``practicebook batch --statements``).

``issue_statements`` runs in the batch task, in the workbook's worker process, after the
workbook was read and summarised: it issues a statement to every client with activity in
the month or a balance at its end (``practicebook.documents``: numbered, written and
recorded in the workbook's Documents sheet in one safe write, all or nothing), and puts
in the workbook's summary how many were issued, or why none was. A client whose
statement for exactly that month is already issued (and not voided) is not sent another
one, so a run can be repeated after an interruption.

Nothing is issued from a workbook whose figures are provisional (it has error-level
findings): a statement would show figures with rows left out; nor for a month that is
not over yet in the practice's time zone (issued statements cannot be taken back).

Where the files go: ``documents/`` beside each workbook, or with ``out``, a folder per
workbook under ``out`` named after its path below the folder the run's workbooks share
(``out/north/practice`` for ``…/north/practice.xlsx``), so two workbooks never share one.

May import: ``practicebook.documents`` and below.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from practicebook.errors import PracticebookError, RowRefused
from practicebook.model import Book

__all__ = ["common_folder", "issue_statements", "statements_folder"]


def common_folder(paths: Sequence[str]) -> str:
    """The folder every workbook of a run is in (at any depth), as an absolute path."""
    parents = [str(Path(p).absolute().parent) for p in paths]
    return os.path.commonpath(parents) if parents else str(Path.cwd())


def statements_folder(path: str, out: str | None, base: str | None) -> Path:
    """Where a workbook's statements go: ``documents/`` beside it, or its own folder under
    ``out`` (its path below ``base``, without the suffix)."""
    from practicebook.documents import documents_folder

    if out is None:
        return documents_folder(path)
    workbook = Path(path).absolute()
    below = workbook.parent.relative_to(base) if base else Path()
    return Path(out) / below / workbook.stem


def issue_statements(
    path: str,
    book: Book,
    summary: dict[str, object],
    month: str,
    *,
    out: str | None = None,
    base: str | None = None,
    password: str | None = None,
) -> None:
    """Issue ``month``'s statements from the workbook at ``path`` (``book``: as read for
    ``summary``) and record the outcome in ``summary``: ``statements`` (how many were
    issued; blank when none could be), ``statements_skipped`` (already issued for that
    month) and ``statements_folder``; a refusal goes into ``reason``. Never raises for a
    workbook."""
    from practicebook import documents

    folder = statements_folder(path, out, base)
    summary.update(statements=None, statements_skipped=None, statements_folder=str(folder))
    if not summary.get("complete"):
        _refused(summary, "its figures are provisional (practicebook check lists the errors)")
        return
    first, last = documents.month(month)
    today = dt.datetime.now(ZoneInfo(book.settings.timezone)).date()
    if last >= today:
        _refused(summary, f"{month} is not over yet in the practice's time zone")
        return
    try:
        wanted = documents.statement_clients(book, (first, last))
        done = documents.issued_statements(book, (first, last))
        requests = [documents.StatementRequest(c, first, last) for c in wanted if c not in done]
        issued = documents.issue_many(path, requests, out=folder, password=password)
    except RowRefused as exc:
        issue = exc.issues[0]
        more = f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else ""
        _refused(summary, f"{issue.where}: {issue.message}{more}. {issue.hint}")
        return
    except PracticebookError as exc:
        _refused(summary, getattr(exc, "reason", None) or str(exc))
        return
    except Exception as exc:  # its text could quote the workbook: only its kind
        _refused(summary, f"issuing them failed ({type(exc).__name__})")
        return
    summary.update(statements=len(issued), statements_skipped=len(wanted) - len(requests))


def _refused(summary: dict[str, object], why: str) -> None:
    summary["status"] = "issues"
    failure = f"statements not issued: {why}"
    before = summary.get("reason")
    summary["reason"] = f"{before}; {failure}" if before else failure
