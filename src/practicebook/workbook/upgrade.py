"""``upgrade``: bring a workbook to the current schema by adding what it lacks.

Generic over the schema: for every input sheet the workbook has, each schema column its
header row lacks is added to the right of the last header (the sheet's Excel Table is
widened to hold it); every input sheet it lacks is added with its header row and an
empty Table; every Practice setting it has no row for gets a row with a blank value
(the default applies). Then the schema version is recorded and the change is audited.

Nothing else changes: no cell is moved or rewritten, every other part of the package
stays byte-identical, and a workbook that lacks nothing is not written at all. The
write goes through ``safewrite`` (locks, verify, atomic replace, backup).
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from practicebook.core.audit import AuditEntry, Tool
from practicebook.errors import WriteFailed
from practicebook.issues import column_letter
from practicebook.model import Book, RawTable
from practicebook.parse.book import parse
from practicebook.render.cells import CellValue, SheetSpec
from practicebook.schema import PRACTICE, SCHEMA_PROPERTY, WORKBOOK, Sheet, normalize_header
from practicebook.workbook import ooxml
from practicebook.workbook.auditkey import audit_key as resolve_audit_key
from practicebook.workbook.auditlog import finish
from practicebook.workbook.ooxml.package import Package
from practicebook.workbook.ooxml.parts import REL_TABLE, Workbook, read_rels
from practicebook.workbook.ooxml.xmltext import escape_attr
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.safewrite import update_workbook

__all__ = ["Upgraded", "upgrade"]


@dataclass(frozen=True)
class Upgraded:
    """What ``upgrade`` added (nothing when the workbook was up to date).

    Attributes:
        columns: the columns added, by sheet (schema keys).
        sheets: the sheets added.
        settings: the Practice settings given a row.
        skipped: sheets left alone, with why (no header row found).
        version: the schema version the workbook now records.
        written: False when there was nothing to add.
    """

    columns: Mapping[str, list[str]] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    skipped: Mapping[str, str] = field(default_factory=dict)
    version: int = WORKBOOK.version
    written: bool = False


def upgrade(
    path: str | Path,
    *,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Upgraded:
    """Add the columns, sheets and settings rows the workbook lacks (see the module).

    Raises:
        UnreadableWorkbook: the file cannot be read as a workbook.
        WriteError: it could not be written safely.
    """
    key = resolve_audit_key(audit_key)
    who = actor or _login()
    done: dict[str, Upgraded] = {}

    def transform(plain: bytes) -> bytes:
        workbook, tables = read_workbook(path, plain, audit=False)
        book, _ = parse(tables)
        plan = _plan(book, tables, workbook.schema_version)
        done["plan"] = plan
        if not plan.written:
            return plain
        try:
            package = _apply(plain, book, tables, plan)
        except ooxml.PackageError as exc:
            raise WriteFailed(Path(path), str(exc)) from exc
        added = [f"{s}.{k}" for s, keys in plan.columns.items() for k in keys]
        summary = "; ".join(
            part
            for part in (
                f"sheets: {', '.join(plan.sheets)}" if plan.sheets else "",
                f"columns: {', '.join(added)}" if added else "",
                f"settings: {', '.join(plan.settings)}" if plan.settings else "",
            )
            if part
        )
        event = AuditEntry(who, tool, "workbook", f"schema {WORKBOOK.version}", "upgrade", summary)
        return finish(package, Path(path), [], [event], key)

    # reading first: a workbook with nothing to add is never written (nor locked)
    workbook, tables = read_workbook(path, password=password, audit=False)
    if not _plan(parse(tables)[0], tables, workbook.schema_version).written:
        return Upgraded()
    update_workbook(path, transform, retry_on_change=True, password=password)
    return done["plan"]


def _plan(book: Book, tables: list[RawTable], version: int | None) -> Upgraded:
    present = {t.name.casefold(): t for t in tables}
    columns: dict[str, list[str]] = {}
    sheets: list[str] = []
    skipped: dict[str, str] = {}
    for sheet in WORKBOOK.sheets:
        table = _table_of(sheet, book, present)
        if table is None:
            sheets.append(sheet.name)
            continue
        if not table.header_found:
            skipped[sheet.name] = "no header row found"
            continue
        have = book.layouts[sheet.name].column_of
        missing = [c.key for c in sheet.columns if c.key not in have]
        if missing:
            columns[sheet.name] = missing
    settings: list[str] = []
    if PRACTICE.name not in sheets and PRACTICE.name not in skipped:
        keys = {normalize_header(str(k)) for k in book.frame("Practice")["key"].dropna()}
        settings = [s.key for s in WORKBOOK.settings if normalize_header(s.key) not in keys]
    written = bool(columns or sheets or settings) or version != WORKBOOK.version
    return Upgraded(columns, sheets, settings, skipped, WORKBOOK.version, written)


def _table_of(sheet: Sheet, book: Book, present: Mapping[str, RawTable]) -> RawTable | None:
    layout = book.layouts.get(sheet.name)
    name = layout.sheet if layout is not None else sheet.name
    return present.get(name.casefold())


def _apply(plain: bytes, book: Book, tables: list[RawTable], plan: Upgraded) -> bytes:
    present = {t.name.casefold(): t for t in tables}
    package = plain
    for name, keys in plan.columns.items():
        sheet = WORKBOOK.sheet(name)
        table = _table_of(sheet, book, present)
        assert table is not None  # planned from it
        last = max(table.columns or (len(table.headers),))
        headers = {
            (table.header_row, last + i + 1): sheet.column(k).header for i, k in enumerate(keys)
        }
        package = ooxml.set_cells(package, table.name, headers)
        package = _widen_table(package, table.name, table.header_row, last, list(headers.values()))
    if plan.sheets:
        package = ooxml.write_sheets(package, [_new_sheet(WORKBOOK.sheet(n)) for n in plan.sheets])
    if plan.settings:
        layout = book.layouts[PRACTICE.name]
        key_col = layout.column_of.get("key", 1)
        rows: list[list[CellValue]] = []
        for key in plan.settings:
            row: list[CellValue] = [None] * key_col
            row[key_col - 1] = key
            rows.append(row)
        package, _ = ooxml.append_rows(
            package,
            layout.sheet,
            rows,
            header_row=layout.header_row,
        )
    return ooxml.set_custom_properties(package, {SCHEMA_PROPERTY: str(WORKBOOK.version)})


def _new_sheet(sheet: Sheet) -> SheetSpec:
    return SheetSpec(
        sheet.name,
        [c.header for c in sheet.columns],
        [],
        widths=[float(c.width) for c in sheet.columns],
        table_style="TableStyleLight9",
    )


def _widen_table(
    package: bytes, sheet_name: str, header_row: int, last: int, new: list[str]
) -> bytes:
    """Widen the sheet's Table whose header ends at column ``last`` to hold ``new``
    columns (no Table, or one that ends elsewhere, is left as it is)."""
    pkg = Package(package)
    sheet = Workbook(pkg).find(sheet_name)
    if sheet is None:
        return package
    old_end = column_letter(last)
    new_end = column_letter(last + len(new))
    for rel in read_rels(pkg, sheet.part):
        if rel.type != REL_TABLE or rel.external or rel.target not in pkg:
            continue
        xml = pkg.read(rel.target).decode("utf-8")
        head = re.search(r"<(?:\w+:)?table\b[^>]*>", xml)
        ref = re.search(r'\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', head.group(0)) if head else None
        if ref is None or int(ref.group(2)) != header_row or ref.group(3) != old_end:
            continue
        old = f"{ref.group(1)}{ref.group(2)}:{old_end}{ref.group(4)}"
        wide = f"{ref.group(1)}{ref.group(2)}:{new_end}{ref.group(4)}"
        xml = _set_ref(xml, old, wide)
        xml = _add_table_columns(xml, new)
        pkg.write(rel.target, xml.encode("utf-8"))
        return pkg.to_bytes()
    return package


def _set_ref(xml: str, old: str, new: str) -> str:
    """The table's and its autofilter's range ``old`` made ``new``."""

    def widened(match: re.Match[str]) -> str:
        return f'{match.group(1)}{new}"'

    return re.sub(rf'(<(?:\w+:)?(?:table|autoFilter)\b[^>]*\bref="){old}"', widened, xml)


def _add_table_columns(xml: str, names: list[str]) -> str:
    opening = re.search(r"<((?:\w+:)?)tableColumns\b[^>]*>", xml)
    if opening is None:
        return xml
    prefix = opening.group(1)
    ids = [int(i) for i in re.findall(r"<(?:\w+:)?tableColumn\b[^>]*\bid=\"(\d+)\"", xml)]
    count = len(re.findall(r"<(?:\w+:)?tableColumn\b", xml)) + len(names)
    start = max(ids, default=0)
    added = "".join(
        f'<{prefix}tableColumn id="{start + i + 1}" name="{escape_attr(n)}"/>'
        for i, n in enumerate(names)
    )
    close = xml.index(f"</{prefix}tableColumns>")
    xml = xml[:close] + added + xml[close:]
    head = re.sub(r'\bcount="\d+"', f'count="{count}"', opening.group(0))
    return xml.replace(opening.group(0), head, 1)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers and services)
        return "unknown"
