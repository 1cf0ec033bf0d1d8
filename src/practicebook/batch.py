"""Reconcile many workbooks and summarise each in one row.

``batch`` expands files, folders (recursively) and glob patterns into a list of
workbooks and runs one picklable top-level task per workbook (``summarise_workbook``:
read, reconcile, summarise, return plain data) serially, on a process pool, or on a
Dask distributed cluster. A broken or hostile file becomes an ``unreadable`` row with
its one-line reason and the run goes on; no input is modified unless ``write=True``.

Money in the summary is ``Decimal`` in the workbook's currency; the totals rows add up
one currency at a time (one ``TOTAL`` row per currency).
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import glob
import json
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.errors import MissingDependency, PracticebookError
from practicebook.issues import Issue, Severity
from practicebook.model import Book
from practicebook.money import from_minor

__all__ = [
    "STATUSES",
    "batch",
    "expand_paths",
    "is_total",
    "summarise_workbook",
    "summary_frame",
    "write_summary",
]

#: Status of a workbook: clean, with findings at warning level or above, or not read.
STATUSES = ("ok", "issues", "unreadable")
#: Workbook suffixes a folder or glob is searched for.
SUFFIXES = (".xlsx", ".xlsm")
#: Money columns every readable workbook has (aging buckets follow as ``ar_<bucket>``).
MONEY = (
    "charges",
    "payments",
    "refunds",
    "adjustments",
    "balance",
    "ar_total",
    "credit",
    "late_cancel_fees",
    "no_show_fees",
)
#: Leading characters that make a spreadsheet read text as a formula (CSV output).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FEES = {"late_cancel": "LATECXL", "no_show": "NOSHOW"}

Summary = dict[str, Any]
#: Runs the task over the paths; yields (position in paths, summary) as each finishes.
Runner = Callable[[list[str], dict[str, Any], int], Iterator[tuple[int, Summary]]]


# --- finding the workbooks ------------------------------------------------------------


def _is_workbook(path: Path) -> bool:
    return (
        path.suffix.lower() in SUFFIXES and path.is_file() and not path.name.startswith("~$")
    )  # Excel's lock files


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Workbook files named by ``paths``: files as given, folders searched recursively
    for ``.xlsx``/``.xlsm``, and glob patterns (``**`` allowed) expanded.

    A name that is neither an existing file, a folder, nor a pattern matching anything
    is kept, so the run reports it as unreadable ("no such file"). Order is the order
    given, each folder or pattern sorted; duplicates are dropped.
    """
    found: dict[Path, None] = {}
    for item in paths:
        path = Path(item)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if _is_workbook(p))
        elif path.exists() or not glob.has_magic(str(item)):
            matches = [path]
        else:
            matches = sorted(
                p for p in map(Path, glob.glob(str(item), recursive=True)) if _is_workbook(p)
            )
        found.update(dict.fromkeys(matches))
    return list(found)


# --- one workbook ---------------------------------------------------------------------


def summarise_workbook(
    path: str, as_of: str | None = None, password: str | None = None, write: bool = False
) -> Summary:
    """Read, check and reconcile one workbook; its summary as plain, picklable data.

    With ``write``, the results are also written into the workbook
    (``practicebook.workbook.writer.write_results``: derived sheets only, atomically, with a
    backup); ``written`` says whether that happened.

    Never raises for a bad workbook: a file practicebook cannot read (or a failure while
    reconciling it) is returned with status ``unreadable`` and a one-line reason that
    names no client.
    """
    try:
        book, issues = api.load(path, password=password)
        rec = reconcile(book, as_of=as_of)
    except PracticebookError as exc:
        return _unreadable(path, getattr(exc, "reason", str(exc)))
    except Exception as exc:  # one hostile file must not stop the run
        return _unreadable(path, f"could not be reconciled ({type(exc).__name__})")
    summary = _summary(path, book, issues, rec)
    if write:
        _write_back(path, rec, password, summary)
    return summary


def _write_back(path: str, rec: Reconciliation, password: str | None, summary: Summary) -> None:
    """Write the results into the workbook; a failure is recorded, not raised."""
    from practicebook.workbook.writer import write_results

    try:
        write_results(path, rec, password=password)
    except PracticebookError as exc:
        summary["written"] = False
        summary["status"] = "issues"
        failure = f"results not written: {getattr(exc, 'reason', None) or exc}"
        summary["reason"] = "; ".join(filter(None, [summary["reason"], failure]))
    else:
        summary["written"] = True


def _unreadable(path: str, reason: str) -> Summary:
    return {"file": str(path), "practice": None, "status": "unreadable", "reason": reason}


def _summary(path: str, book: Book, issues: list[Issue], rec: Reconciliation) -> Summary:
    """The summary of a reconciled workbook (counts as ``int``, money as ``Decimal``)."""
    currency = rec.currency

    def money(minor: Any) -> Decimal:
        return from_minor(int(minor), currency)

    severities = [i.severity.value for i in issues] + rec.flags["severity"].tolist()
    codes = pd.Series(
        [i.code.value for i in issues] + rec.flags["code"].tolist(), dtype=object
    ).value_counts()
    counts = {s.value: severities.count(s.value) for s in Severity}
    balances, aging = rec.balances, rec.aging
    buckets = [c for c in aging.columns if c not in ("client_id", "credit", "total")]
    bucket_sums = {f"ar_{label}": money(aging[label].sum()) for label in buckets}
    out: Summary = {
        "file": str(path),
        "practice": book.settings.practice_name or None,
        "status": "issues" if counts["error"] or counts["warning"] else "ok",
        "reason": _reason(counts),
        "as_of": rec.as_of.isoformat(),
        "currency": currency,
        "clients": len(book.clients),
        "sessions": len(book.sessions),
        **{
            name: money(balances[name].sum())
            for name in ("charges", "payments", "refunds", "adjustments", "balance")
        },
        "ar_total": money(sum(aging[label].sum() for label in buckets)),
        "credit": money(balances["credit"].sum()),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "notes": counts["note"],
        **_fees(rec, money),
        "aging": bucket_sums,
        "codes": {str(code): int(n) for code, n in codes.items()},
    }
    return out


def _reason(counts: Mapping[str, int]) -> str | None:
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning") if counts[s]
    ]
    return ", ".join(parts) or None


def _fees(rec: Reconciliation, money: Callable[[object], Decimal]) -> Summary:
    """Late-cancel and no-show fees charged (count, amount) and left uncharged (count):
    waived, forgiven by grace or intake, exempt client, or rescheduled."""
    log = rec.cancellations
    fee_code = log["fee_code"].to_numpy(dtype=object)
    fee = log["fee"].to_numpy(dtype=np.int64, na_value=0)
    out: Summary = {}
    for name, code in _FEES.items():
        mine = fee_code == code
        out[f"{name}_charged"] = int((mine & (fee > 0)).sum())
        out[f"{name}_fees"] = money(fee[mine].sum())
        out[f"{name}_waived"] = int((mine & (fee == 0)).sum())
    return out


# --- running the tasks ----------------------------------------------------------------


def _serial(paths: list[str], options: dict[str, Any], _jobs: int) -> Iterator[tuple[int, Summary]]:
    for i, path in enumerate(paths):
        yield i, summarise_workbook(path, **options)


def _process_pool(
    paths: list[str], options: dict[str, Any], jobs: int
) -> Iterator[tuple[int, Summary]]:
    # forkserver: workers are forked from a clean process that has already imported the
    # task's modules (the reader loads on first use elsewhere), so they start fast and
    # inherit no threads (progress bars) or locks.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["practicebook.batch", "practicebook.workbook.reader"])
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {
            pool.submit(summarise_workbook, path, **options): i for i, path in enumerate(paths)
        }
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()


def _dask(address: str) -> Runner:
    def run(paths: list[str], options: dict[str, Any], jobs: int) -> Iterator[tuple[int, Summary]]:
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise MissingDependency("dask.distributed", "batch") from None
        if address == "dask":
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=max(jobs, 1),
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            )
        else:
            cluster = None
        try:
            with Client(cluster or address) as client:  # type: ignore[no-untyped-call]
                futures = client.map(summarise_workbook, paths, **options, pure=False)
                index = {f.key: i for i, f in enumerate(futures)}
                for future in as_completed(futures):  # type: ignore[no-untyped-call]
                    yield index[future.key], future.result()
        finally:
            if cluster is not None:
                cluster.close()

    return run


def _runner(jobs: int, scheduler: str | None) -> Runner:
    if scheduler is not None:
        if scheduler != "dask" and not scheduler.startswith("tcp://"):
            raise PracticebookError(
                f"unknown scheduler {scheduler!r}: use 'dask' or a tcp://HOST:PORT address"
            )
        return _dask(scheduler)
    return _process_pool if jobs > 1 else _serial


def batch(
    paths: Iterable[str | Path] | str | Path,
    *,
    as_of: dt.date | str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    write: bool = False,
    password: str | None = None,
    on_result: Callable[[Summary], None] | None = None,
) -> pd.DataFrame:
    """Reconcile every workbook under ``paths``; one summary row each plus totals.

    Args:
        paths: files, folders (searched recursively) and glob patterns.
        as_of: the reconciliation day for every workbook (default: today in each
            practice's time zone).
        jobs: worker processes (1 runs in this process); with a Dask scheduler, the
            number of local workers.
        scheduler: ``"dask"`` for a Dask ``LocalCluster`` on this machine (loopback
            only), or ``"tcp://HOST:PORT"`` for an existing Dask scheduler whose workers
            can read the same paths and have practicebook installed.
        write: also write each readable workbook's results into it (Balances, Aging,
            Flags, Ledger, CancellationLog; input sheets untouched, backup kept). Without
            it, no input is modified.
        password: the password of protected workbooks (the same for all).
        on_result: called with each workbook's summary as it finishes (any order).

    Returns:
        One row per workbook in the order found (``file``, ``practice``, ``status``
        ok | issues | unreadable, ``reason``, counts, money as ``Decimal``, ``ar_<bucket>``
        aging sums, ``flag_<code>`` counts), then a totals row per currency (``file``
        empty, ``practice`` ``TOTAL (n workbooks)``; see ``is_total``).

    Raises:
        PracticebookError: nothing to do (no workbook found) or a bad ``scheduler``.
        MissingDependency: a Dask scheduler without the ``batch`` extra.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [str(p) for p in expand_paths(paths)]
    if not files:
        raise PracticebookError("no workbooks found (.xlsx or .xlsm)")
    if jobs < 1:
        raise PracticebookError("jobs must be at least 1")
    day = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
    run = _runner(jobs, scheduler)
    results: list[Summary | None] = [None] * len(files)
    options = {"as_of": day, "password": password, "write": write}
    for i, summary in run(files, options, jobs):
        results[i] = summary
        if on_result is not None:
            on_result(summary)
    return summary_frame([r for r in results if r is not None])


# --- the summary table ----------------------------------------------------------------


def summary_frame(summaries: list[Summary]) -> pd.DataFrame:
    """The summaries as one table, aging buckets and flag codes as their own columns,
    followed by the totals rows."""
    rows = []
    for s in summaries:
        row = {k: v for k, v in s.items() if k not in ("aging", "codes")}
        row.update(s.get("aging", {}))
        row.update({f"flag_{code}": n for code, n in s.get("codes", {}).items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_columns(summaries), dtype=object)
    flag_columns = [c for c in frame.columns if c.startswith("flag_")]
    readable = frame["status"] != "unreadable"
    frame.loc[readable, flag_columns] = frame.loc[readable, flag_columns].fillna(0)
    totals = [
        _totals(frame[frame["currency"] == cur], cur)
        for cur in pd.unique(frame.loc[readable, "currency"])
    ]
    frame = (
        pd.concat(
            [frame, pd.DataFrame(totals, columns=frame.columns, dtype=object)], ignore_index=True
        )
        if totals
        else frame
    )
    return frame.astype(object).where(frame.notna(), None)


def _columns(summaries: list[Summary]) -> list[str]:
    head = [
        "file",
        "practice",
        "status",
        "reason",
        "as_of",
        "currency",
        "clients",
        "sessions",
        "charges",
        "payments",
        "refunds",
        "adjustments",
        "balance",
    ]
    buckets: dict[str, None] = {}
    codes: set[str] = set()
    for s in summaries:
        buckets.update(dict.fromkeys(s.get("aging", {})))
        codes.update(s.get("codes", {}))
    tail = [
        "ar_total",
        "credit",
        "errors",
        "warnings",
        "notes",
        "late_cancel_charged",
        "late_cancel_fees",
        "late_cancel_waived",
        "no_show_charged",
        "no_show_fees",
        "no_show_waived",
    ]
    written = ["written"] if any("written" in s for s in summaries) else []
    return head + list(buckets) + tail + written + [f"flag_{c}" for c in sorted(codes)]


def _totals(rows: pd.DataFrame, currency: str) -> dict[str, object]:
    """Column sums over one currency's readable workbooks."""
    n = len(rows)
    out: dict[str, object] = {
        "file": None,
        "currency": currency,
        "practice": f"TOTAL ({n} workbook{'s' if n != 1 else ''})",
        "status": "issues" if (rows["status"] == "issues").any() else "ok",
    }
    skip = {"file", "practice", "status", "reason", "as_of", "currency", "written"}
    for column in rows.columns.difference(list(skip), sort=False):
        values = rows[column].dropna()
        out[column] = sum(values, Decimal(0) if column in MONEY or column.startswith("ar_") else 0)
    as_of = pd.unique(rows["as_of"])
    out["as_of"] = as_of[0] if len(as_of) == 1 else None
    return out


def is_total(frame: pd.DataFrame) -> pd.Series:
    """True for the totals rows of a ``batch`` summary."""
    return frame["file"].isna()


# --- writing the summary --------------------------------------------------------------


def write_summary(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the summary as a new ``.xlsx`` (XlsxWriter, text stays text), ``.csv``
    (text that a spreadsheet would run as a formula is prefixed with ``'``) or ``.json``.

    Raises:
        PracticebookError: another suffix.
    """
    path = Path(path)
    writers = {".xlsx": _write_xlsx, ".csv": _write_csv, ".json": _write_json}
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise PracticebookError(f"{path.name}: the summary can be written as .xlsx, .csv or .json")
    writer(frame, path)


def to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: money as exact decimal text, missing values as null."""
    return [
        {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _write_json(frame: pd.DataFrame, path: Path) -> None:
    path.write_text(
        json.dumps(to_records(frame), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([_safe_text(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            writer.writerow(["" if v is None else _safe_text(v) for v in row])


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as workbook:
        sheet = workbook.add_worksheet("Summary")
        bold = workbook.add_format({"bold": True})
        money_formats: dict[int, object] = {}
        sheet.write_row(0, 0, list(frame.columns), bold)
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Decimal):
                    # exact decimal text is the shortest double that round-trips
                    places = max(0, -int(value.as_tuple().exponent))
                    if places not in money_formats:
                        money_formats[places] = workbook.add_format(
                            {"num_format": "#,##0" + ("." + "0" * places if places else "")}
                        )
                    sheet.write_number(r, c, float(value), money_formats[places])
                elif isinstance(value, (int, np.integer)):
                    sheet.write_number(r, c, int(value))
                else:
                    sheet.write_string(r, c, str(value))
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
