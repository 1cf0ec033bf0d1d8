"""Reconcile many workbooks and summarise each in one row.

``batch`` expands files, folders (recursively) and glob patterns into workbooks
(``paths``) and runs one picklable task per workbook (``task.summarise_workbook``: read
once, reconcile, summarise, return plain data), each in a worker process a crash cannot
escape (``sandbox``), on this machine or a Dask cluster (``runners``). A broken or hostile
file, or one that crashes the reader, becomes an ``unreadable`` row with its one-line
reason and the run goes on; no input is modified unless ``write=True``. The result keeps
workbooks and per-currency totals apart (``result``) and can be written to a file
(``output``).

May import: ``practicebook.api`` and below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from practicebook.batching.output import OUT_SUFFIXES, write_summary
from practicebook.batching.paths import expand_paths
from practicebook.batching.result import BatchResult, batch_result
from practicebook.batching.runners import runner
from practicebook.batching.task import STATUSES, Summary, summarise_workbook
from practicebook.core.reconcile import as_of_day
from practicebook.errors import PracticebookError

__all__ = [
    "OUT_SUFFIXES",
    "STATUSES",
    "BatchResult",
    "Summary",
    "batch",
    "expand_paths",
    "summarise_workbook",
    "write_summary",
]


def batch(
    paths: Iterable[str | Path] | str | Path,
    *,
    as_of: dt.date | str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    write: bool = False,
    password: str | None = None,
    timeout: float | None = None,
    on_result: Callable[[Summary], None] | None = None,
    statements: str | None = None,
    statements_out: str | Path | None = None,
    export: str | None = None,
    export_out: str | Path | None = None,
) -> BatchResult:
    """Reconcile every workbook under ``paths``; a summary row each, totals apart.

    Each workbook is read in a worker process, so one that crashes the reader (or is
    killed for memory) is reported as ``unreadable`` and the others are still done.

    Args:
        paths: files, folders (searched recursively) and glob patterns.
        as_of: the reconciliation day for every workbook, a date or ``YYYY-MM-DD``
            (default: today in each practice's time zone).
        jobs: worker processes on this machine; with a Dask scheduler, the number of
            local Dask workers.
        scheduler: ``"dask"`` for a Dask ``LocalCluster`` on this machine (loopback
            only), or ``"tcp://HOST:PORT"`` for an existing Dask scheduler whose workers
            can read the same paths and have practicebook installed.
        write: also write each readable workbook's results into it (Balances, Aging,
            Flags, Ledger, CancellationLog, Summary; input sheets untouched, backup
            kept), only if the file is still the version that was reconciled. Without it,
            no input is modified.
        password: the password of protected workbooks (the same for all).
        timeout: seconds one workbook may take before its worker is stopped and the
            workbook reported as unreadable (default: no limit).
        on_result: called with each workbook's summary as it finishes (any order).
        statements: a month (``YYYY-MM``): also issue that month's statements from each
            workbook whose figures are complete, to every client with activity in the
            month or a balance at its end who has no statement for it yet (see
            ``practicebook.batching.statements``). Each row then says how many were
            issued (``statements``), how many clients had one already
            (``statements_skipped``), where they are (``statements_folder``), or why
            none was issued (``reason``).
        statements_out: the folder for the statements, one subfolder per workbook
            (default: ``documents/`` beside each workbook).
        export: a journal format (``practicebook.bank.EXPORT_FORMATS``: ``hledger``,
            ``beancount``, ``qbo``, ``xero``, ``csv``): also write each workbook's PHI-free
            journal for the accountant, through the run's day, from each workbook whose
            figures are complete (see ``practicebook.batching.journals``). Each row then
            names the file written (``journal``), or says why none was (``reason``).
        export_out: the folder for the journals (required with ``export``), one per
            workbook at its path below the folder the run's workbooks share.

    Returns:
        A ``BatchResult``: ``workbooks`` (one row each, in the order found) and
        ``totals`` (one row per currency), money as exact decimals.

    Raises:
        PracticebookError: nothing to do (no workbook found), ``jobs`` below 1, or a bad
            ``scheduler``.
        ValueError: ``as_of`` is not a day, ``statements`` is not a month, or
            ``export`` is not a journal format or has no ``export_out``.
        MissingDependency: a Dask scheduler without the ``batch`` extra.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [str(p) for p in expand_paths(paths)]
    if not files:
        raise PracticebookError("no workbooks found (.xlsx or .xlsm)")
    if jobs < 1:
        raise PracticebookError("jobs must be at least 1")
    day = None if as_of is None else as_of_day(as_of, "UTC").isoformat()
    run = runner(jobs, scheduler, timeout)
    results: list[Summary | None] = [None] * len(files)
    options: dict[str, object] = {"as_of": day, "password": password, "write": write}
    if statements is not None:
        from practicebook.batching.statements import common_folder
        from practicebook.documents import month

        month(statements)  # a ValueError before any work
        options.update(
            statements=statements,
            statements_out=None if statements_out is None else str(Path(statements_out).absolute()),
            statements_base=common_folder(files),
        )
    if export is not None:
        options.update(_export_options(export, export_out, files))
    for i, summary in run(files, options):
        results[i] = summary
        if on_result is not None:
            on_result(summary)
    return batch_result([r for r in results if r is not None])


def _export_options(to: str, out: str | Path | None, files: list[str]) -> dict[str, object]:
    """The task's options for ``export``, checked before any work."""
    from practicebook.bank import EXPORT_FORMATS
    from practicebook.batching.statements import common_folder

    if to not in EXPORT_FORMATS:
        raise ValueError(f"{to!r} is not an export format ({', '.join(EXPORT_FORMATS)})")
    if out is None:
        raise ValueError("export needs export_out, the folder for the journals")
    return {
        "export": to,
        "export_out": str(Path(out).absolute()),
        "export_base": common_folder(files),
    }
