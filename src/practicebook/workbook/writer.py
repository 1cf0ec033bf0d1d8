"""Writing to a user's workbook file: appended rows, cancellation stamps, derived sheets.

The I/O edge over ``entry`` (what a row or stamp is) and ``reconcile`` (what the derived
sheets hold). Every write goes through ``safewrite.update_workbook``: editor locks are
respected, a cross-process lock is held, the new package is verified before it atomically
replaces the file, and a backup of the previous version is kept. Only the parts a write
owns change (``ooxml``); every other part stays byte-identical. Each write appends rows
to the hash-chained ``AuditLog`` sheet and records its head (``auditlog``); with an
audit key (``auditkey``) the rows are keyed.

* Appends (``add_session``, ``add_payment``, ``add_adjustment``) and stamps
  (``mark_cancellation``) validate against the workbook as it is on disk at write time;
  if another program saves the file meanwhile, they re-read and re-apply, so the next
  ID is never taken twice. A bad row raises ``RowRefused`` and nothing is written.
* ``write_results`` writes Balances, Aging, Flags, Ledger and CancellationLog wholesale
  and refuses (``WorkbookChanged``) when the file is not the bytes it was reconciled
  from, and (``SheetConflict``) to replace a sheet of the user's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from practicebook.core import entry
from practicebook.core.audit import AUDIT_HEAD_PROPERTY, AUDIT_SHEET, AuditEntry, Tool
from practicebook.core.load import load_tables
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.errors import RowRefused, UnreadableWorkbook, WorkbookChanged, WriteFailed
from practicebook.issues import CellRef, Code, Issue, Severity, column_number
from practicebook.model import Book
from practicebook.parse.book import parse
from practicebook.render.cells import CellValue
from practicebook.render.sheets import result_sheets
from practicebook.schema import WORKBOOK
from practicebook.workbook import ooxml
from practicebook.workbook.auditkey import audit_key as resolve_audit_key
from practicebook.workbook.auditlog import finish
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.safewrite import Transform, UpdateResult, update_workbook

__all__ = [
    "AUDIT_SHEET",
    "Appended",
    "ResultsWritten",
    "RowRefused",
    "add_adjustment",
    "add_payment",
    "add_session",
    "mark_cancellation",
    "result_sheets",
    "write_results",
]

_NEW_ROW: dict[str, Callable[[Book, Mapping[str, object]], entry.NewRow]] = {
    "Sessions": entry.new_session,
    "Payments": entry.new_payment,
    "Adjustments": entry.new_adjustment,
}


@dataclass(frozen=True)
class Appended:
    """A row written to an input sheet.

    Attributes:
        sheet: the sheet it was appended to.
        row_id: its ID (assigned when none was given).
        row: its Excel row number.
        issues: warnings and notes about the row (errors would have refused it).
    """

    sheet: str
    row_id: str
    row: int
    issues: list[Issue]


@dataclass(frozen=True)
class ResultsWritten:
    """What ``write_results`` wrote.

    Attributes:
        rows: data rows per derived sheet.
        reconciliation: the results written.
        issues: the workbook's own findings from loading it (the reconciliation's are in
            ``reconciliation.issues``; the Flags sheet lists both).
        backup: the kept copy of the previous version, if any.
    """

    rows: dict[str, int]
    reconciliation: Reconciliation
    issues: list[Issue]
    backup: Path | None


# --- appends and stamps -------------------------------------------------------------


class _AppendRow(Protocol):
    """The signature of ``add_session``, ``add_payment`` and ``add_adjustment``."""

    def __call__(
        self,
        path: str | Path,
        values: Mapping[str, object],
        *,
        password: str | None = None,
        actor: str | None = None,
        tool: Tool = "api",
        audit_key: str | bytes | None = None,
    ) -> Appended: ...


def _appender(sheet: str, name: str, doc: str) -> _AppendRow:
    """The public function ``name`` that appends a row of values to ``sheet``."""

    def append(
        path: str | Path,
        values: Mapping[str, object],
        *,
        password: str | None = None,
        actor: str | None = None,
        tool: Tool = "api",
        audit_key: str | bytes | None = None,
    ) -> Appended:
        return _append(path, sheet, values, password, actor, tool, audit_key)

    append.__name__ = append.__qualname__ = name
    append.__doc__ = doc
    return append


add_session = _appender(
    "Sessions",
    "add_session",
    """Append a session (schema keys → values) to the Sessions sheet.

    The row goes below the last filled row (into the first of a Table's pre-formatted
    blank rows there, if any). ``actor`` is who is logged (default: the login name);
    ``audit_key`` keys the AuditLog rows (default: ``PRACTICEBOOK_AUDIT_KEY`` or its
    file, see ``practicebook.workbook.auditkey``).

    Raises:
        RowRefused: the row has error-level issues, or a value Excel cannot hold (nothing
            written).
        WriteError: the file could not be written safely (see ``safewrite``).
        BadAuditKey: the audit key given or configured cannot be used.
    """,
)
add_payment = _appender(
    "Payments",
    "add_payment",
    """Append a payment or refund to the Payments sheet (see ``add_session``).""",
)
add_adjustment = _appender(
    "Adjustments",
    "add_adjustment",
    """Append an adjustment to the Adjustments sheet (see ``add_session``).""",
)


def _append(
    path: str | Path,
    sheet: str,
    values: Mapping[str, object],
    password: str | None,
    actor: str | None,
    tool: Tool,
    audit_key: str | bytes | None,
) -> Appended:
    return append_row(
        path,
        sheet,
        _NEW_ROW[sheet],
        values,
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
        sheets=_sheets_for_row(sheet, values),
    )


def append_row(
    path: str | Path,
    sheet: str,
    make: Callable[[Book, Mapping[str, object]], entry.NewRow],
    values: Mapping[str, object],
    *,
    password: str | None,
    actor: str | None,
    tool: Tool,
    audit_key: str | bytes | None,
    sheets: Collection[str] | None = None,
    prepare: Transform | None = None,
) -> Appended:
    """Append the row ``make(book, values)`` builds to ``sheet``, audited, through the
    safe writer: refused (``RowRefused``) when it has error-level issues or a value Excel
    cannot hold. ``sheets`` limits what is read to validate it (default: every sheet);
    ``prepare`` edits the package first (e.g. adds a sheet an older workbook lacks)."""
    done: dict[str, Appended] = {}
    who = actor_name(actor)
    key = resolve_audit_key(audit_key)

    def transform(plain: bytes) -> bytes:
        if prepare is not None:
            plain = prepare(plain)
        book = load_for_write(path, plain, sheets)
        row = make(book, values)
        if not row.accepted:
            raise RowRefused(row.issues)
        layout = book.layouts[sheet]
        cells = cast("list[CellValue]", entry.cell_values(sheet, row.values, layout))
        with cells_refused(layout.sheet, row.row_id):
            package, numbers = ooxml.append_rows(
                plain, layout.sheet, [cells], header_row=layout.header_row
            )
        filled = ", ".join(k for k, v in row.values.items() if v is not None)
        event = AuditEntry(who, tool, sheet, row.row_id, "append", f"fields: {filled}")
        package = finish(package, Path(path), [], [event], key)
        done["row"] = Appended(sheet, row.row_id, numbers[0], row.issues)
        return package

    update_workbook(path, package_errors(path, transform), retry_on_change=True, password=password)
    return done["row"]


def mark_cancellation(
    path: str | Path,
    session_id: str,
    *,
    requested_at: object = None,
    by: str = "client",
    channel: str = "phone",
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> entry.Stamp:
    """Stamp a cancellation on a Sessions row: request time, who, channel and status.

    ``requested_at`` defaults to now. Returns the ``Stamp`` written, with the fee the
    policy charges and its basis.

    Raises:
        RowRefused: the stamp has error-level issues (nothing written).
        WriteError: the file could not be written safely.
        BadAuditKey: the audit key given or configured cannot be used.
    """
    moment = requested_at if requested_at is not None else dt.datetime.now(dt.UTC)
    done: dict[str, entry.Stamp] = {}
    who = actor_name(actor)
    key = resolve_audit_key(audit_key)

    def transform(plain: bytes) -> bytes:
        book = load_for_write(path, plain)
        stamp = entry.cancellation_stamp(book, session_id, moment, by=by, channel=channel)
        if not stamp.accepted:
            raise RowRefused(stamp.issues)
        layout = book.layouts["Sessions"]
        cells = {
            (stamp.row, layout.column_of[k]): cast("CellValue", v) for k, v in stamp.values.items()
        }
        with cells_refused(layout.sheet, session_id):
            package = ooxml.set_cells(plain, layout.sheet, cells)
        fields = "fields: " + ", ".join(stamp.values)
        event = AuditEntry(who, tool, "Sessions", session_id, "cancel", fields)
        package = finish(package, Path(path), [], [event], key)
        done["stamp"] = stamp
        return package

    update_workbook(path, package_errors(path, transform), retry_on_change=True, password=password)
    return done["stamp"]


# --- derived sheets -----------------------------------------------------------------


def write_results(
    path: str | Path,
    reconciliation: Reconciliation | None = None,
    *,
    source_sha256: str | None = None,
    as_of: dt.date | str | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> ResultsWritten:
    """Write Balances, Aging, Flags, Ledger and CancellationLog into the workbook.

    Input sheets are untouched. The results are written only if the file is still,
    byte for byte, what they were computed from; a sheet of the user's own that has a
    derived sheet's name is never replaced.

    Args:
        path: the workbook.
        reconciliation: results to write; default: reconcile the file as it is now, as of
            ``as_of``. A given reconciliation needs ``source_sha256``.
        source_sha256: the SHA-256 (hex) of the file's bytes, as read from disk (encrypted,
            for a protected workbook), that ``reconciliation`` was computed from. Optional
            without a reconciliation: the file must then still be those bytes.
        as_of: the reconciliation day when ``reconciliation`` is not given.
        password, actor, tool, audit_key: as for ``add_session``.

    Raises:
        TypeError: a reconciliation was given without ``source_sha256``.
        WorkbookChanged: the file is not (or no longer) the bytes the results came from.
        SheetConflict: a sheet of the user's own has the name of a derived sheet.
        WriteError, UnreadableWorkbook: the file could not be read or written safely.
    """
    if reconciliation is not None and source_sha256 is None:
        raise TypeError(
            "write_results: a given reconciliation needs source_sha256, the SHA-256 of the "
            "file bytes it was computed from (hashlib.sha256(data).hexdigest())"
        )
    key = resolve_audit_key(audit_key)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableWorkbook(str(path), exc.strerror or type(exc).__name__) from None
    digest = hashlib.sha256(raw).hexdigest()
    if source_sha256 is not None and source_sha256.lower() != digest:
        raise WorkbookChanged(Path(path))
    book, issues = _load_with_issues(path, raw, password, key)
    rec = reconciliation if reconciliation is not None else reconcile(book, as_of)
    specs = result_sheets(rec, book, issues)
    counts = {s.name: len(s.rows) for s in specs}
    summary = ", ".join(f"{name} {n} rows" for name, n in counts.items())
    audit = AuditEntry(
        actor_name(actor),
        tool,
        "results",
        f"as of {rec.as_of.isoformat()}",
        "write_results",
        summary,
    )
    result: UpdateResult = update_workbook(
        path,
        package_errors(path, lambda plain: finish(plain, Path(path), specs, [audit], key)),
        retry_on_change=False,
        password=password,
        expected_sha256=digest,
    )
    return ResultsWritten(counts, rec, issues, result.backup)


# --- helpers ----------------------------------------------------------------------


@contextlib.contextmanager
def cells_refused(sheet: str, row_id: str | None = None) -> Iterator[None]:
    """A value or row Excel cannot hold (text over 32,767 characters, a full sheet), as
    the row's refusal with a located issue: nothing is written."""
    try:
        yield
    except ooxml.CellRefused as exc:
        letters = exc.ref.rstrip("0123456789")
        where = CellRef(sheet, int(exc.ref[len(letters) :]), column_number(letters))
        if "full" in exc.reason:
            hint = "Archive older rows in another workbook and start a new one."
        elif "characters long" in exc.reason:
            hint = "Shorten it; keep the full text in a document outside the workbook."
        else:
            hint = "Correct the value: Excel cannot store it."
        issue = Issue(Code.OUT_OF_RANGE, Severity.ERROR, exc.reason, where, hint, row_id=row_id)
        raise RowRefused([issue]) from None


def actor_name(actor: str | None) -> str:
    """Who the AuditLog names: ``actor``, else the login name, else ``unknown``."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers and services)
        return "unknown"


# --- reading ------------------------------------------------------------------------


def package_errors(path: str | Path, transform: Transform) -> Transform:
    """``transform``, with a package it cannot edit reported as a failed write."""

    def guarded(plain: bytes) -> bytes:
        try:
            return transform(plain)
        except ooxml.PackageError as exc:
            raise WriteFailed(Path(path), str(exc)) from exc

    return guarded


def _load_with_issues(
    path: str | Path, data: bytes, password: str | None, key: bytes | None
) -> tuple[Book, list[Issue]]:
    workbook, tables = read_workbook(path, data, password=password)
    return load_tables(
        tables,
        schema_version=workbook.schema_version,
        audit_head=workbook.properties.get(AUDIT_HEAD_PROPERTY),
        audit_key=key,
    )


def load_for_write(path: str | Path, plain: bytes, sheets: Collection[str] | None = None) -> Book:
    """The parsed book a new row or a stamp is validated against (no whole-book checks:
    ``entry`` checks the new row itself), reading only ``sheets`` when given."""
    workbook, tables = read_workbook(path, plain, sheets=sheets, audit=False)
    return parse(tables, schema_version=workbook.schema_version)[0]


def _sheets_for_row(sheet_name: str, values: Mapping[str, object]) -> set[str]:
    """Practice, the row's own sheet and the sheets its filled-in references point to:
    all a new row is checked against, so an append need not read the whole workbook."""
    needed = {"Practice", sheet_name}
    for col in WORKBOOK.sheet(sheet_name).columns:
        value = values.get(col.key)
        if col.references and value is not None and str(value).strip():
            needed.add(col.references.partition(".")[0])
    return needed
