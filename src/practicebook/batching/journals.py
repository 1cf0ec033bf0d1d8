"""The accountant's journal of one workbook of a batch (``practicebook batch --export``).

``export_journal`` runs in the batch task, in the workbook's worker process, after the
workbook was read, reconciled and summarised: it writes the workbook's PHI-free journal
(``practicebook.bank``: the books and the bank from the first entry through the run's
day, in hledger, beancount, QuickBooks, Xero or CSV) and puts in the workbook's summary
the file written (``journal``), or why none was (``reason``). Nothing in the workbook
changes.

No journal is written from a workbook whose figures are provisional (it has error-level
findings): the accountant would get figures with rows left out.

Where the files go: under ``out``, at the workbook's path below the folder the run's
workbooks share, with the format's suffix (``out/north/practice.journal`` for
``…/north/practice.xlsx``; ``practice.xlsm.journal`` when a ``practice.xlsx`` sits
beside it), so two workbooks never share a journal. Xero's further files of at most 300
lines sit beside the first (``practice-2.csv``). A journal of an earlier run is replaced
whole.

May import: ``practicebook.bank`` and below.
"""

from __future__ import annotations

from pathlib import Path

from practicebook.batching.paths import SUFFIXES
from practicebook.core.result import Reconciliation
from practicebook.errors import PracticebookError
from practicebook.model import Book

__all__ = ["export_journal", "journal_path"]


def journal_path(path: str, to: str, out: str, base: str | None) -> Path:
    """Where a workbook's journal goes (see the module)."""
    from practicebook.bank import EXPORT_FORMATS

    workbook = Path(path).absolute()
    below = workbook.parent.relative_to(base) if base else Path()
    twins = [workbook.with_suffix(s) for s in SUFFIXES if s != workbook.suffix.lower()]
    name = workbook.name if any(t.is_file() for t in twins) else workbook.stem
    return Path(out) / below / f"{name}{EXPORT_FORMATS[to]}"


def export_journal(
    path: str,
    book: Book,
    rec: Reconciliation,
    summary: dict[str, object],
    to: str,
    *,
    out: str,
    base: str | None = None,
) -> None:
    """Write the journal of the workbook at ``path`` (``book`` and ``rec``: as read and
    reconciled for ``summary``) in format ``to`` and record in ``summary`` the file(s)
    written (``journal``, blank when none was); a refusal goes into ``reason``. Never
    raises for a workbook."""
    from practicebook import bank

    summary["journal"] = None
    if not summary.get("complete"):
        _refused(summary, "its figures are provisional (practicebook check lists the errors)")
        return
    target = journal_path(path, to, out, base)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _, paths = bank.write_export(book, to, target, end=rec.as_of, reconciliation=rec)
    except PracticebookError as exc:
        _refused(summary, getattr(exc, "reason", None) or str(exc))
        return
    except OSError as exc:  # the folder or the disk: its text names only our own file
        _refused(summary, f"{target} could not be written ({exc.strerror or type(exc).__name__})")
        return
    except Exception as exc:  # its text could quote the workbook: only its kind
        _refused(summary, f"the export failed ({type(exc).__name__})")
        return
    summary["journal"] = ", ".join(str(p) for p in paths)


def _refused(summary: dict[str, object], why: str) -> None:
    summary["status"] = "issues"
    failure = f"journal not written: {why}"
    before = summary.get("reason")
    summary["reason"] = f"{before}; {failure}" if before else failure
