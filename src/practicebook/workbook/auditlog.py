"""What every write adds besides its own change: derived sheets, the AuditLog, the marks.

``finish`` is the last step of each writer transform. It writes the derived sheets
(refusing, with ``SheetConflict``, to replace a sheet of the user's own that only shares
a derived sheet's name), appends the write's events to the hash-chained ``AuditLog``
(created when missing) and records two custom document properties with every write:

* ``practicebook_audit_head``: the log's row count and last hash (signed with the audit
  key when there is one), so a log cut short or deleted is found on the next load;
* ``practicebook_derived_sheets``: the sheets practicebook wrote, by name and ``sheetId``,
  so a derived sheet stays ours even when its user edits its header.

A derived sheet also counts as ours when it carries the exact header row practicebook
writes (row 1, as earlier versions wrote it, or below its title lines).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from practicebook.core.audit import (
    AUDIT_HEAD_PROPERTY,
    AUDIT_SHEET,
    AuditEntry,
    AuditRow,
    log_rows,
)
from practicebook.errors import SheetConflict
from practicebook.render.cells import CellValue, SheetSpec
from practicebook.workbook import ooxml

__all__ = ["DERIVED_PROPERTY", "finish"]

#: The custom document property listing the sheets practicebook writes wholesale.
DERIVED_PROPERTY = "practicebook_derived_sheets"


def finish(
    package: bytes,
    path: Path,
    specs: Sequence[SheetSpec],
    entries: Sequence[AuditEntry],
    key: bytes | None,
) -> bytes:
    """Write ``specs``, log ``entries`` and record the head and the derived sheets.

    Raises:
        SheetConflict: a sheet named like one of ``specs`` is the user's own.
    """
    properties = ooxml.custom_properties(package)
    derived = _marks(properties.get(DERIVED_PROPERTY))
    if specs:
        _refuse_foreign_sheets(package, path, specs, derived)
        package = ooxml.write_sheets(package, specs)
    existing = next(
        (n for n in ooxml.sheet_names(package) if n.casefold() == AUDIT_SHEET.casefold()), None
    )
    stored = _stored_log(package, path, existing)
    rows, head = log_rows(stored, properties.get(AUDIT_HEAD_PROPERTY), entries, key=key)
    if existing is None:
        package = ooxml.write_sheets(package, [_audit_spec(rows)])
    else:
        new_rows: list[list[str]] = [r.values() for r in rows]
        if stored is None:  # an empty sheet: the header first, in row 1
            new_rows.insert(0, AuditRow.columns())
        top = 0 if stored is None else None
        package, _ = ooxml.append_rows(package, existing, new_rows, header_row=top)
    updates = {AUDIT_HEAD_PROPERTY: head.text()}
    if specs:
        updates[DERIVED_PROPERTY] = _marked(package, specs, derived)
    return ooxml.set_custom_properties(package, updates)


def _stored_log(package: bytes, path: Path, name: str | None) -> list[list[CellValue]] | None:
    """The log's rows below its header; None when there is no log (or an empty sheet).

    Raises:
        SheetConflict: the sheet holds something else than practicebook's log.
    """
    if name is None:
        return None
    rows = ooxml.read_sheet(package, name)
    if not rows:
        return None
    header = [str(v).strip().casefold() for v in rows[0] if v is not None]
    if header[: len(AuditRow.columns())] != AuditRow.columns():
        raise SheetConflict(path, name)
    return rows[1:]


def _audit_spec(rows: Sequence[AuditRow]) -> SheetSpec:
    return SheetSpec(
        AUDIT_SHEET,
        AuditRow.columns(),
        [r.values() for r in rows],
        widths=[28, 14, 8, 14, 14, 14, 40, 20, 20],
        tab_color="7F7F7F",
    )


# --- which sheets are ours --------------------------------------------------------------


def _marks(text: str | None) -> dict[str, int]:
    """The derived-sheet property: ``sheetId`` by casefolded sheet name (empty if unreadable)."""
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k).casefold(): v for k, v in found.items() if isinstance(v, int)}


def _marked(package: bytes, specs: Sequence[SheetSpec], before: Mapping[str, int]) -> str:
    """The property after writing ``specs``: them, and earlier marks still standing."""
    ids = ooxml.sheet_ids(package)
    by_fold = {name.casefold(): name for name in ids}
    marks = {
        by_fold[fold]: sheet_id
        for fold, sheet_id in before.items()
        if fold in by_fold and ids[by_fold[fold]] == sheet_id
    }
    for spec in specs:
        name = by_fold[spec.name.casefold()]
        marks[name] = ids[name]
    return json.dumps(dict(sorted(marks.items())), separators=(",", ":"))


def _refuse_foreign_sheets(
    package: bytes, path: Path, specs: Sequence[SheetSpec], marks: Mapping[str, int]
) -> None:
    ids = ooxml.sheet_ids(package)
    by_fold = {name.casefold(): name for name in ids}
    for spec in specs:
        name = by_fold.get(spec.name.casefold())
        if name is None or marks.get(name.casefold()) == ids[name]:
            continue
        if not _carries_header(package, name, spec):
            raise SheetConflict(path, spec.name)


def _carries_header(package: bytes, name: str, spec: SheetSpec) -> bool:
    """True when the sheet has practicebook's header row near its top, where a version of
    practicebook writes it (row 1 before title lines, or below a few of them)."""
    wanted = [str(h) for h in spec.header]
    for row in ooxml.read_sheet(package, name, max_rows=spec.header_row + 3):
        text = ["" if v is None else str(v) for v in row]
        if text[: len(wanted)] == wanted and not any(v.strip() for v in text[len(wanted) :]):
            return True
    return False
