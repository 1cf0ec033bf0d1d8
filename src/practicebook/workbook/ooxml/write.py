"""``write_sheets``: derived sheets written wholesale, with their tables, links and views.

A rewritten sheet keeps its position, part name and relationship id; the parts only its
old version referenced are removed, so no orphan is left behind.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from practicebook.render.cells import SheetSpec
from practicebook.workbook.ooxml.cells import CellWriter
from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.parts import (
    CT_TABLE,
    REL_TABLE,
    REL_WORKSHEET,
    Sheet,
    Workbook,
    drop_stale_calc_chain,
    read_rels,
    rels_path,
)
from practicebook.workbook.ooxml.styles import load_styles, save_styles
from practicebook.workbook.ooxml.xmltext import (
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    attributes,
    col_letter,
    escape_attr,
    xml_unescape,
)

__all__ = ["write_sheets"]


def write_sheets(package: bytes, sheets: Sequence[SheetSpec]) -> bytes:
    """Write each sheet wholesale into the package, replacing or creating it.

    An existing sheet keeps its position, part name and relationship id; its worksheet part is
    rewritten and the parts only it referenced (its tables, drawings, comments) are removed.
    A missing sheet is added after the last one. Every other member stays byte-identical, apart
    from `styles.xml` (new formats are appended), the workbook part, its relationships and the
    content types (new entries inserted), and `calcChain.xml`, which is dropped when it names a
    replaced sheet so that Excel rebuilds it.

    Args:
        package: Bytes of an `.xlsx` or `.xlsm` file.
        sheets: The sheets to write; names must be distinct (case-insensitively).

    Returns:
        Bytes of the new package.

    Raises:
        PackageError: The package is not a workbook the part editor can edit.
        ValueError: A value cannot be stored in Excel (see `SheetSpec` and the package rules).
    """
    if len({s.name.casefold() for s in sheets}) != len(sheets):
        raise ValueError("sheet names must be distinct")
    pkg = Package(package)
    book = Workbook(pkg)
    styles_part, styles = load_styles(pkg, book)
    writer = CellWriter(styles, book.epoch)
    for spec in sheets:
        existing = book.find(spec.name)
        if existing is not None:
            _clear_sheet(pkg, book, existing)
            sheet = existing
        else:
            sheet = book.add_sheet(spec.name)
        table_rel = _add_table(pkg, book, sheet, spec) if spec.filter == "table" else None
        pkg.write(sheet.part, _sheet_xml(spec, writer, table_rel).encode("utf-8"))
    save_styles(pkg, styles_part, styles)
    book.save()
    return pkg.to_bytes()


def _clear_sheet(pkg: Package, book: Workbook, sheet: Sheet) -> None:
    """Remove the parts an old version of `sheet` owned, so its rewrite leaves no orphans."""
    if sheet.part not in pkg:
        raise PackageError(f"the part of sheet {sheet.name!r} is missing")
    if not any(r.id == sheet.rel_id and r.type == REL_WORKSHEET for r in book.rels):
        raise PackageError(f"sheet {sheet.name!r} is not a worksheet (a chart sheet?)")
    owned = [r.target for r in read_rels(pkg, sheet.part) if not r.external]
    pkg.delete(rels_path(sheet.part))
    for part in owned:
        _delete_unreferenced(pkg, book, part)
    drop_stale_calc_chain(pkg, book, sheet)


def _delete_unreferenced(pkg: Package, book: Workbook, part: str) -> None:
    """Delete `part` and, recursively, its targets, unless another relationship still uses it."""
    if part not in pkg or _referenced(pkg, part):
        return
    children = [r.target for r in read_rels(pkg, part) if not r.external]
    pkg.delete(part)
    pkg.delete(rels_path(part))
    book.drop_override(part)
    for child in children:
        _delete_unreferenced(pkg, book, child)


def _referenced(pkg: Package, part: str) -> bool:
    for name in pkg.names():
        if name.endswith(".rels"):
            source = _source_of_rels(name)
            if any(r.target == part and not r.external for r in read_rels(pkg, source)):
                return True
    return False


def _source_of_rels(rels_name: str) -> str:
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def _add_table(pkg: Package, book: Workbook, sheet: Sheet, spec: SheetSpec) -> str:
    """Create the Excel Table part for `spec`; return its relationship id from the sheet."""
    tables = [p for p in pkg.names() if p.startswith("xl/tables/") and p.endswith(".xml")]
    ids, names = [], set()
    for part in tables:
        opening = re.search(r"<(?:\w+:)?table\b[^>]*>", pkg.read(part).decode())
        head = attributes(opening.group(0))  # type: ignore[union-attr]
        ids.append(int(head.get("id", "0")))
        names.add(xml_unescape(head.get("name", "")).casefold())
    number = len(tables) + 1
    while f"xl/tables/table{number}.xml" in pkg:
        number += 1
    part = f"xl/tables/table{number}.xml"
    base = "PB_" + re.sub(r"\W", "_", sheet.name, flags=re.ASCII)
    name, suffix = base, 1
    while name.casefold() in names:
        suffix += 1
        name = f"{base}_{suffix}"
    top = spec.header_row
    last_row = top + max(1, len(spec.rows))  # an Excel Table needs at least one data row
    ref = f"A{top}:{col_letter(len(spec.header) - 1)}{last_row}"
    columns = "".join(
        f'<tableColumn id="{i + 1}" name="{escape_attr(str(h))}"/>'
        for i, h in enumerate(spec.header)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<table xmlns="{NS_MAIN}" id="{max(ids, default=0) + 1}" name="{name}" '
        f'displayName="{name}" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(spec.header)}">{columns}</tableColumns>'
        f'<tableStyleInfo name="{escape_attr(spec.table_style)}" showFirstColumn="0" '
        f'showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'
    )
    pkg.write(part, xml.encode("utf-8"))
    book.add_override(part, CT_TABLE)
    target = posixpath.relpath(part, posixpath.dirname(sheet.part))
    rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{REL_TABLE}" '
        f'Target="{target}"/></Relationships>'
    )
    pkg.write(rels_path(sheet.part), rels.encode("utf-8"))
    return "rId1"


def _sheet_xml(spec: SheetSpec, writer: CellWriter, table_rel: str | None) -> str:
    ncols = len(spec.header)
    last_col = col_letter(ncols - 1)
    top = spec.header_row
    last_row = top + len(spec.rows)
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
    ]
    if spec.tab_color:
        parts.append(f'<sheetPr><tabColor rgb="FF{spec.tab_color.upper()}"/></sheetPr>')
    parts.append(f'<dimension ref="A1:{last_col}{last_row}"/>')
    parts.append(_sheet_views(top if spec.freeze_header else 0))
    parts.append('<sheetFormatPr defaultRowHeight="15"/>')
    widths = [(i, w) for i, w in enumerate(spec.widths[:ncols]) if w is not None]
    if widths:
        parts.append(
            "<cols>"
            + "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{float(w)!r}" customWidth="1"/>'
                for i, w in widths
            )
            + "</cols>"
        )
    parts.append("<sheetData>")
    parts.extend(_data_rows(spec, writer))
    parts.append("</sheetData>")
    if spec.filter == "autofilter":
        parts.append(f'<autoFilter ref="A{top}:{last_col}{last_row}"/>')
    if spec.links:
        parts.append(_hyperlinks(spec))
    parts.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    if table_rel:
        parts.append(f'<tableParts count="1"><tablePart r:id="{table_rel}"/></tableParts>')
    parts.append("</worksheet>")
    return "".join(parts)


def _sheet_views(frozen_rows: int) -> str:
    """The sheet view, with the rows down to the header frozen (none for 0)."""
    if not frozen_rows:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    first = f"A{frozen_rows + 1}"
    return (
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{frozen_rows}" '
        f'topLeftCell="{first}" activePane="bottomLeft" state="frozen"/><selection '
        f'pane="bottomLeft" activeCell="{first}" sqref="{first}"/></sheetView></sheetViews>'
    )


def _data_rows(spec: SheetSpec, writer: CellWriter) -> Iterator[str]:
    letters = [col_letter(i) for i in range(len(spec.header))]
    formats = [
        spec.number_formats[i] if i < len(spec.number_formats) else None
        for i in range(len(spec.header))
    ]
    for r, line in enumerate(spec.title, start=1):
        style = writer.styles.for_column(None, bold=r == 1)
        yield f'<row r="{r}">{writer.cell(f"A{r}", line, style)}</row>'
    top = spec.header_row
    header_style = writer.styles.for_column(None, bold=spec.bold_header)
    cells = (
        writer.cell(f"{letters[i]}{top}", str(h), header_style) for i, h in enumerate(spec.header)
    )
    yield f'<row r="{top}">{"".join(cells)}</row>'
    styles = [writer.styles.for_column(f) for f in formats]
    for r, row in enumerate(spec.rows, start=top + 1):
        cells = (writer.cell(f"{letters[i]}{r}", v, styles[i]) for i, v in enumerate(row))
        yield f'<row r="{r}">{"".join(cells)}</row>'


def _hyperlinks(spec: SheetSpec) -> str:
    links = []
    for (row_idx, col_idx), location in sorted(spec.links.items()):
        if not (0 <= row_idx < len(spec.rows) and 0 <= col_idx < len(spec.header)):
            raise ValueError("a hyperlink points outside the sheet's rows")
        row = spec.rows[row_idx]
        value = row[col_idx] if col_idx < len(row) else None
        display = f' display="{escape_attr(str(value))}"' if value not in (None, "") else ""
        links.append(
            f'<hyperlink ref="{col_letter(col_idx)}{row_idx + spec.header_row + 1}" '
            f'location="{escape_attr(location)}"{display}/>'
        )
    return "<hyperlinks>" + "".join(links) + "</hyperlinks>"
