"""One workbook of a batch: read it once, reconcile it, summarise it as plain data.

``summarise_workbook`` is the task every runner ships to a worker process (or a Dask
worker): a top-level function of plain arguments that returns a dict of plain, picklable
values and never raises for a bad workbook. With ``write``, the results go back into the
file only if it is still the version they were computed from (its SHA-256).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from practicebook.core.amounts import is_money, minor_units
from practicebook.core.load import load_tables
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.errors import PracticebookError
from practicebook.issues import Issue, Severity
from practicebook.model import Book
from practicebook.money import from_minor
from practicebook.workbook.guard import read_workbook_bytes
from practicebook.workbook.reader import read_workbook

__all__ = ["STATUSES", "Summary", "summarise_workbook", "unreadable"]

#: Status of a workbook: clean, with findings at warning level or above, or not read.
STATUSES = ("ok", "issues", "unreadable")
#: The cancellation fee codes a summary counts, by the name of their columns.
_FEES = {"late_cancel": "LATECXL", "no_show": "NOSHOW"}

#: One workbook's summary: plain values (text, ``int``, ``bool``, ``Decimal``, ``None``).
Summary = dict[str, Any]


def summarise_workbook(
    path: str,
    as_of: str | None = None,
    password: str | None = None,
    write: bool = False,
    statements: str | None = None,
    statements_out: str | None = None,
    statements_base: str | None = None,
    export: str | None = None,
    export_out: str | None = None,
    export_base: str | None = None,
) -> Summary:
    """Read, check and reconcile one workbook; its summary as plain, picklable data.

    The file's bytes are read once: they are what is reconciled, and with ``write`` the
    results are written (``practicebook.write_results``: derived sheets only, atomically,
    with a backup) only if the file still has those bytes; ``written`` says whether that
    happened, and a refusal is in ``reason``. With ``statements`` (a month, ``YYYY-MM``),
    the month's statements are issued then (``batching.statements``: into
    ``statements_out``, per workbook below ``statements_base``). With ``export`` (a
    format of ``practicebook.bank.EXPORT_FORMATS``), the accountant's journal is written
    (``batching.journals``: into ``export_out``, per workbook below ``export_base``).

    Never raises for a bad workbook: a file practicebook cannot read (or a failure while
    reconciling it) is returned with status ``unreadable`` and a one-line reason that
    names no client.
    """
    try:
        raw = read_workbook_bytes(path)
        workbook, tables = read_workbook(path, raw, password=password)
        book, issues = load_tables(tables, schema_version=workbook.schema_version)
        rec = reconcile(book, as_of=as_of)
        summary = _summary(path, book, issues, rec)
    except PracticebookError as exc:
        return unreadable(path, getattr(exc, "reason", None) or str(exc))
    except Exception as exc:  # one hostile file must not stop the run
        return unreadable(path, f"could not be reconciled ({type(exc).__name__})")
    if write:
        _write_back(path, rec, password, hashlib.sha256(raw).hexdigest(), summary)
    if export is not None and export_out is not None:
        from practicebook.batching.journals import export_journal

        export_journal(path, book, rec, summary, export, out=export_out, base=export_base)
    if statements is not None:
        from practicebook.batching.statements import issue_statements

        issue_statements(
            path,
            book,
            summary,
            statements,
            out=statements_out,
            base=statements_base,
            password=password,
        )
    return summary


def unreadable(path: str, reason: str) -> Summary:
    """The summary of a workbook that could not be read, with its one-line reason."""
    return {"file": str(path), "practice": None, "status": "unreadable", "reason": reason}


def _write_back(
    path: str, rec: Reconciliation, password: str | None, sha256: str, summary: Summary
) -> None:
    """Write the results into the workbook; a refusal is recorded, not raised."""
    from practicebook.workbook.writer import write_results

    try:
        write_results(path, rec, source_sha256=sha256, password=password)
    except Exception as exc:  # a refusal (changed, busy, disk full) or a failure: recorded
        if isinstance(exc, PracticebookError):
            reason = getattr(exc, "reason", None) or str(exc)
        else:  # its text could quote the workbook: only its kind
            reason = f"the write failed ({type(exc).__name__})"
        summary["written"] = False
        summary["status"] = "issues"
        failure = f"results not written: {reason}"
        summary["reason"] = "; ".join(filter(None, [summary["reason"], failure]))
    else:
        summary["written"] = True


def _summary(path: str, book: Book, issues: list[Issue], rec: Reconciliation) -> Summary:
    """The summary of a reconciled workbook (counts as ``int``, money as ``Decimal`` with
    the currency's digits)."""
    currency = rec.currency

    def total(column: pd.Series) -> Decimal:
        return from_minor(int(_minor(column).sum()), currency)

    counts = Counter([i.severity.value for i in issues] + rec.flags["severity"].tolist())
    codes = Counter([i.code.value for i in issues] + rec.flags["code"].tolist())
    errors, warnings = counts[Severity.ERROR.value], counts[Severity.WARNING.value]
    left_out = sum(len(frame) for frame in book.rejected.values())
    balances, aging = rec.balances, rec.aging
    buckets = [c for c in aging.columns if c not in ("client_id", "credit", "total")]
    return {
        "file": str(path),
        "practice": book.settings.practice_name or None,
        "status": "issues" if errors or warnings else "ok",
        "reason": _reason(errors, warnings, left_out),
        "as_of": rec.as_of.isoformat(),
        "currency": currency,
        "complete": not errors,
        "clients": len(book.clients),
        "sessions": len(book.sessions),
        "left_out": left_out,
        **{
            name: total(balances[name])
            for name in ("charges", "payments", "refunds", "adjustments", "balance")
        },
        "ar_total": sum((total(aging[b]) for b in buckets), from_minor(0, currency)),
        "credit": total(balances["credit"]),
        "errors": errors,
        "warnings": warnings,
        "notes": counts[Severity.NOTE.value],
        **_fees(rec, currency),
        "aging": {f"ar_{b}": total(aging[b]) for b in buckets},
        "codes": {str(code): n for code, n in sorted(codes.items())},
    }


def _reason(errors: int, warnings: int, left_out: int) -> str | None:
    """``2 errors, 1 warning: figures provisional, 3 rows left out``."""
    text = ", ".join(_count(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n)
    if errors:
        text += ": figures provisional"
        if left_out:
            text += f", {_count(left_out, 'row')} left out"
    return text or None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _minor(column: pd.Series) -> np.ndarray:
    """A money column as ``int64`` minor units (blank as 0), whichever form it has."""
    if is_money(column):
        return minor_units(column)
    return np.asarray(column.to_numpy(dtype=np.int64, na_value=0))


def _fees(rec: Reconciliation, currency: str) -> Summary:
    """Late-cancel and no-show fees charged (count, amount) and left uncharged (count):
    waived, forgiven by grace or intake, exempt client, or rescheduled."""
    log = rec.cancellations
    fee_code = log["fee_code"].to_numpy(dtype=object)
    fee = _minor(log["fee"])
    out: Summary = {}
    for name, code in _FEES.items():
        mine = fee_code == code
        out[f"{name}_charged"] = int((mine & (fee > 0)).sum())
        out[f"{name}_fees"] = from_minor(int(fee[mine].sum()), currency)
        out[f"{name}_waived"] = int((mine & (fee == 0)).sum())
    return out
