"""Writing changes to rows already in a user's workbook: fields of a session or a client,
outcomes of past sessions, a new client, a finding marked reviewed, the books closed.

The I/O edge over ``practicebook.core.edits`` (what a change is, and whether it may be
made). Like ``practicebook.workbook.writer``, every write goes through
``safewrite.update_workbook`` (editor locks, a cross-process lock, verification, atomic
replace, a backup), is validated against the workbook as it is on disk at write time
(re-read and re-applied when another program saves it meanwhile), changes only the cells
it owns, and appends one AuditLog row per changed row (``auditlog.finish``). A change the
core refuses raises ``RowRefused`` and nothing is written.

* ``update_session``, ``update_client``: set fields of one row;
* ``mark_outcomes``: record attended / no-show / late-cancelled (with actual minutes) on
  many past sessions in one write, all or nothing;
* ``add_client``: append a Clients row;
* ``add_review``: append a Reviews row (the sheet is added when an older workbook lacks it);
* ``close_period``: set the Practice sheet's ``lock_through_date``, recording in its
  AuditLog row what was closed (``core.closing.Snapshot``), so rows entered or changed
  in the closed period afterwards are found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from practicebook.core import edits, entry
from practicebook.core.audit import AuditEntry, Tool
from practicebook.core.closing import snapshot
from practicebook.errors import RowRefused
from practicebook.model import ROW, Book
from practicebook.render.cells import CellValue, SheetSpec
from practicebook.schema import WORKBOOK, normalize_header
from practicebook.workbook import ooxml
from practicebook.workbook.auditkey import audit_key as resolve_audit_key
from practicebook.workbook.auditlog import finish
from practicebook.workbook.safewrite import update_workbook
from practicebook.workbook.writer import (
    Appended,
    actor_name,
    append_row,
    cells_refused,
    load_for_write,
    package_errors,
)

__all__ = [
    "add_client",
    "add_review",
    "close_period",
    "mark_outcomes",
    "update_client",
    "update_session",
]


def update_session(
    path: str | Path,
    session_id: str,
    changes: Mapping[str, object],
    *,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> edits.Edit:
    """Set fields (schema keys → values) of the Sessions row ``session_id``.

    Raises:
        RowRefused: the row would have error-level issues (nothing written).
        WriteError: the file could not be written safely.
        BadAuditKey: the audit key given or configured cannot be used.
    """
    return _edit_rows(
        path,
        "Sessions",
        lambda book: [edits.edit_session(book, session_id, changes)],
        "edit",
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
    )[0]


def update_client(
    path: str | Path,
    client_id: str,
    changes: Mapping[str, object],
    *,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> edits.Edit:
    """Set fields of the Clients row ``client_id`` (see ``update_session``)."""
    return _edit_rows(
        path,
        "Clients",
        lambda book: [edits.edit_client(book, client_id, changes)],
        "edit",
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
    )[0]


def mark_outcomes(
    path: str | Path,
    outcomes: Iterable[tuple[str, str, object]],
    *,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> list[edits.Edit]:
    """Record each (session ID, ``attended``/``no_show``/``late_cancelled``, actual
    minutes or None) in one write: every one of them, or none when any is refused.

    Raises:
        RowRefused: a session cannot be marked so (the issues of every refused one).
        WriteError: the file could not be written safely.
    """
    wanted = list(outcomes)
    return _edit_rows(
        path,
        "Sessions",
        lambda book: edits.mark_outcomes(book, wanted),
        "outcome",
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
    )


def add_client(
    path: str | Path,
    values: Mapping[str, object],
    *,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Appended:
    """Append a client (schema keys → values) to the Clients sheet; the next client ID
    when none is given (see ``practicebook.workbook.writer.add_session``)."""
    return _append(path, "Clients", edits.new_client, values, password, actor, tool, audit_key)


def _append(
    path: str | Path,
    sheet: str,
    make: Callable[[Book, Mapping[str, object]], entry.NewRow],
    values: Mapping[str, object],
    password: str | None,
    actor: str | None,
    tool: Tool,
    audit_key: str | bytes | None,
) -> Appended:
    """``writer.append_row`` on a workbook given the sheet first if it predates it."""
    return append_row(
        path,
        sheet,
        make,
        values,
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
        prepare=lambda plain: _with_sheet(plain, sheet),
    )


def add_review(
    path: str | Path,
    finding: Mapping[str, object],
    *,
    note: str | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Appended:
    """Mark ``finding`` (``code``, ``sheet``, ``cell``, ``row_id``: a row of a findings
    frame) reviewed by ``actor`` now, on the Reviews sheet (added when missing)."""
    who = actor_name(actor)

    def review(book: Book, _values: Mapping[str, object]) -> entry.NewRow:
        now = dt.datetime.now(ZoneInfo(book.settings.timezone))
        return edits.review_row(book, finding, who, now, note)

    return _append(path, "Reviews", review, {}, password, who, tool, audit_key)


def close_period(
    path: str | Path,
    through: dt.date,
    *,
    as_of: dt.date | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> edits.Closing:
    """Close the books through ``through``: set the Practice sheet's
    ``lock_through_date`` (a row is added when the sheet has none), audited, with a
    snapshot of the closed period's rows in the AuditLog row (``core.closing``).

    Raises:
        RowRefused: the period cannot be closed (``core.edits.close_period``).
        WriteError: the file could not be written safely.
    """
    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, edits.Closing] = {}

    def transform(plain: bytes) -> bytes:
        book = load_for_write(path, plain)
        today = as_of or dt.datetime.now(ZoneInfo(book.settings.timezone)).date()
        closing = edits.close_period(book, through, today)
        if not closing.accepted:
            raise RowRefused(closing.issues)
        package = _set_setting(plain, book, "lock_through_date", through.isoformat())
        before = closing.previous.isoformat() if closing.previous else "never"
        detail = (
            f"books closed through {through.isoformat()} (before: {before}); "
            + snapshot(book, through).text()
        )
        event = AuditEntry(who, tool, "Practice", "lock_through_date", "close", detail)
        done["closing"] = closing
        return finish(package, Path(path), [], [event], key)

    update_workbook(path, package_errors(path, transform), retry_on_change=True, password=password)
    return done["closing"]


# --- the writes -----------------------------------------------------------------------


def _edit_rows(
    path: str | Path,
    sheet: str,
    plan: Callable[[Book], list[edits.Edit]],
    action: str,
    *,
    password: str | None,
    actor: str | None,
    tool: Tool,
    audit_key: str | bytes | None,
) -> list[edits.Edit]:
    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, list[edits.Edit]] = {}

    def transform(plain: bytes) -> bytes:
        book = load_for_write(path, plain)
        changes = plan(book)
        refused = [i for e in changes if not e.accepted for i in e.issues]
        if refused:
            raise RowRefused(refused)
        layout = book.layouts[sheet]
        cells = {
            (e.row, layout.column_of[k]): cast("CellValue", v)
            for e in changes
            for k, v in e.values.items()
        }
        with cells_refused(layout.sheet):
            package = ooxml.set_cells(plain, layout.sheet, cells)
        events = [
            AuditEntry(who, tool, sheet, e.row_id, action, _fields(e.values)) for e in changes
        ]
        done["edits"] = changes
        return finish(package, Path(path), [], events, key)

    update_workbook(path, package_errors(path, transform), retry_on_change=True, password=password)
    return done["edits"]


def _with_sheet(plain: bytes, name: str) -> bytes:
    """The package with input sheet ``name`` (header row and an empty Table) added when
    it has none: a workbook made before the sheet existed."""
    if normalize_header(name) in {normalize_header(n) for n in ooxml.sheet_names(plain)}:
        return plain
    sheet = WORKBOOK.sheet(name)
    spec = SheetSpec(
        sheet.name,
        [c.header for c in sheet.columns],
        [],
        widths=[float(c.width) for c in sheet.columns],
        table_style="TableStyleLight9",
    )
    return ooxml.write_sheets(plain, [spec])


def _set_setting(plain: bytes, book: Book, key: str, value: str) -> bytes:
    """The Practice sheet's ``key`` row set to ``value`` (appended when missing)."""
    layout = book.layouts["Practice"]
    practice = book.all_rows("Practice")
    found = practice[practice["key"].astype(str).map(normalize_header) == normalize_header(key)]
    if len(found):
        cell = (int(found[ROW].iloc[0]), layout.column_of.get("value", 2))
        return ooxml.set_cells(plain, layout.sheet, {cell: value})
    row = cast(
        "list[CellValue]", entry.cell_values("Practice", {"key": key, "value": value}, layout)
    )
    return ooxml.append_rows(plain, layout.sheet, [row], header_row=layout.header_row)[0]


def _fields(values: Mapping[str, object]) -> str:
    """The audit detail of a change: the fields it set (never their values: some are
    personal)."""
    return "fields: " + ", ".join(values)
