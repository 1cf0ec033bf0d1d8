"""Money in the bank, for every front door: import statements, match, choose, reconcile,
close, and export a PHI-free journal for the accountant.

::

    from practicebook import bank

    report = bank.import_statement("practice.xlsx", "march.ofx", account="CHK")
    book, _ = practicebook.load("practice.xlsx")
    plan = bank.plan_import(book, "april.ofx", account="CHK")  # nothing written
    result = bank.match(book, as_of="2026-03-31")      # nothing written
    result.issues, result.lines, result.explain("CHK-00012")
    bank.store_matches("practice.xlsx", as_of="2026-03-31")
    bank.choose("practice.xlsx", "CHK-00015", payments=["P0412", "P0413"])
    bank.reconcile_statement("practice.xlsx", "CHK", date(2026, 3, 31), balance="5,291.30",
                             close=True)
    bank.write_export(book, "hledger", "march.journal", start=date(2026, 3, 1),
                      end=date(2026, 3, 31))

Reading and matching are pure (``practicebook.core.bank``); writing goes through the
safe writer (``practicebook.workbook.bank``); the journal is rendered by
``practicebook.render.journal``. The dashboard's and the Excel door's bank features call
these same functions.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from practicebook.core.audit import Tool
from practicebook.core.bank import (
    BankMatch,
    ImportPlan,
    MatchOptions,
    StatementCheck,
    prepare_import,
)
from practicebook.core.bank.choice import Choice
from practicebook.core.reconcile import as_of_day, reconcile
from practicebook.core.result import Reconciliation
from practicebook.model import Book
from practicebook.parse.statements import FORMATS as STATEMENT_FORMATS
from practicebook.parse.statements.text import MAX_BYTES
from practicebook.render.journal import FORMATS as EXPORT_FORMATS
from practicebook.render.journal import Journal, JournalFile, export
from practicebook.workbook.bank import (
    ImportReport,
    Reconciled,
    Stored,
    choose_match,
    reconcile_statement,
    store_matches,
)
from practicebook.workbook.bank import (
    import_statement as _import,
)

__all__ = [
    "EXPORT_FORMATS",
    "STATEMENT_FORMATS",
    "BankMatch",
    "Choice",
    "Export",
    "ImportPlan",
    "ImportReport",
    "MatchOptions",
    "Reconciled",
    "StatementCheck",
    "Stored",
    "choose",
    "export_journal",
    "import_statement",
    "match",
    "part_path",
    "plan_import",
    "read_statement_file",
    "reconcile_statement",
    "store_matches",
    "write_export",
]

choose = choose_match


def read_statement_file(path: str | Path) -> bytes:
    """A statement file's bytes (at most one byte past the size a statement may be, so a
    huge file is refused without reading it all)."""
    with open(path, "rb") as handle:
        return handle.read(MAX_BYTES + 1)


def import_statement(
    book: str | Path,
    statement: str | Path | bytes,
    *,
    name: str | None = None,
    account: str | None = None,
    fmt: str = "auto",
    mapping: str | None = None,
    dry_run: bool = False,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> ImportReport:
    """Import a statement file (a path, or its bytes with ``name``) into workbook ``book``.

    ``fmt`` is one of ``STATEMENT_FORMATS`` (``auto`` recognises the file); ``mapping``
    a bank CSV's column mapping (saved on the account). Importing the same or an
    overlapping file again adds nothing. The report says what was added, already present
    and conflicting, and the file's problems (nothing is imported from a file with an
    error).

    Raises:
        OSError: the statement file cannot be read.
        UnreadableWorkbook, WriteError: the workbook cannot be read or written safely.
    """
    if isinstance(statement, bytes):
        data, label = statement, name or "statement"
    else:
        data, label = read_statement_file(statement), name or Path(statement).name
    return _import(
        book,
        data,
        label,
        account=account,
        fmt=fmt,
        mapping=mapping,
        dry_run=dry_run,
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
    )


def plan_import(
    book: Book,
    statement: str | Path | bytes,
    *,
    name: str | None = None,
    account: str | None = None,
    fmt: str = "auto",
    mapping: str | None = None,
) -> ImportPlan:
    """What importing a statement file into ``book`` would add, with nothing written: the
    BankLines rows (and a new BankAccounts row, the Assertions rows, a mapping to save)
    and how many lines were already there or conflict. A front door that writes the
    workbook itself (the Excel door, on the open book) appends exactly these rows, as
    ``import_statement`` does to a file.

    Raises:
        OSError: the statement file cannot be read.
    """
    if isinstance(statement, bytes):
        data, label = statement, name or "statement"
    else:
        data, label = read_statement_file(statement), name or Path(statement).name
    return prepare_import(book, data, label, account=account, fmt=fmt, mapping=mapping)


def match(
    book: Book,
    as_of: dt.date | str | None = None,
    *,
    days: int = 5,
    deposit_days: int = 31,
    undeposited_days: int = 10,
) -> BankMatch:
    """Match the lines of ``book`` (``practicebook.load``) as of the end of ``as_of``;
    nothing is written (``store_matches`` records them)."""
    from practicebook.core.bank import match as run

    return run(book, as_of, MatchOptions(days, deposit_days, undeposited_days))


@dataclass(frozen=True)
class Export:
    """A journal and its files' text (several for Xero: at most 300 lines each)."""

    journal: Journal
    files: list[JournalFile]
    fmt: str


def export_journal(
    book: Book,
    to: str,
    *,
    start: dt.date | None = None,
    end: dt.date | str | None = None,
    per: str = "day",
    with_client_ids: bool = False,
    reconciliation: Reconciliation | None = None,
) -> Export:
    """The PHI-free journal of ``book`` from ``start`` (earlier entries brought forward as
    balances) through ``end`` (default: today), in format ``to`` (``EXPORT_FORMATS``).

    ``per="deposit"`` writes each statement line as its own transaction; ``day`` sums
    them per account and day. Client IDs appear only with ``with_client_ids``.
    ``reconciliation``: ``book`` already reconciled as of ``end``
    (``practicebook.reconcile``), used instead of reconciling it again.
    """
    if to not in EXPORT_FORMATS:
        raise ValueError(f"{to!r} is not an export format ({', '.join(EXPORT_FORMATS)})")
    if per not in ("day", "deposit"):
        raise ValueError(f"per is 'day' or 'deposit', not {per!r}")
    day = as_of_day(end, book.settings.timezone)
    if start is not None and start > day:
        raise ValueError(f"the export starts {start.isoformat()}, after it ends {day.isoformat()}")
    from practicebook.core.bank import match as run

    if reconciliation is None or reconciliation.as_of != day:
        reconciliation = reconcile(book, day)
    journal, files = export(
        book,
        reconciliation,
        run(book, day),
        to,
        start=start,
        per=per,
        per_client=with_client_ids,
    )
    return Export(journal, files, to)


def part_path(out: Path, part: int) -> Path:
    """The file of part ``part`` of an export to ``out`` (``journal.csv``, ``journal-2.csv``)."""
    return out if part == 1 else out.with_name(f"{out.stem}-{part}{out.suffix}")


def write_export(
    book: Book,
    to: str,
    out: str | Path,
    *,
    start: dt.date | None = None,
    end: dt.date | str | None = None,
    per: str = "day",
    with_client_ids: bool = False,
    reconciliation: Reconciliation | None = None,
) -> tuple[Export, list[Path]]:
    """``export_journal``, written to ``out`` (Xero's further parts beside it); each file
    is written whole or not at all.

    Raises:
        OSError: a file cannot be written.
    """
    done = export_journal(
        book,
        to,
        start=start,
        end=end,
        per=per,
        with_client_ids=with_client_ids,
        reconciliation=reconciliation,
    )
    target = Path(out)
    paths = []
    for f in done.files:
        path = part_path(target, f.part)
        _write_whole(path, f.text)
        paths.append(path)
    return done, paths


def _write_whole(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=".practicebook-export-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
