"""The workbook part, its relationship parts and the content types, edited in place.

``Workbook`` reads the sheet list and the date system and registers new worksheets,
relationships and content-type overrides by minimal textual insertion; ``save`` writes back
only the shared parts whose text changed.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET

from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.xmltext import (
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    escape_attr,
    insert_before_close,
    remove_element,
)

__all__ = [
    "CT_TABLE",
    "CT_WORKSHEET",
    "EPOCH_1900",
    "REL_OFFICE_DOCUMENT",
    "REL_TABLE",
    "REL_WORKSHEET",
    "Sheet",
    "Workbook",
    "drop_stale_calc_chain",
    "read_rels",
    "rels_path",
]


REL_WORKSHEET = NS_REL + "/worksheet"
REL_TABLE = NS_REL + "/table"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"


EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def rels_path(part: str) -> str:
    """The name of the relationship part of `part` ("" for the package's own)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str  # resolved part name, or the raw target for external relationships
    external: bool


def read_rels(pkg: Package, part: str) -> list[_Rel]:
    """The relationships of `part`, targets resolved to part names; none without a part."""
    path = rels_path(part)
    if path not in pkg:
        return []
    root = SafeET.fromstring(pkg.read(path))
    rels = []
    for el in root.iter(f"{{{NS_PKG_REL}}}Relationship"):
        external = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        rels.append(
            _Rel(
                el.get("Id", ""),
                el.get("Type", ""),
                target if external else _resolve(part, target),
                external,
            )
        )
    return rels


@dataclass(frozen=True)
class Sheet:
    """A sheet of the workbook part: its name, ids and worksheet part name."""

    name: str
    sheet_id: int
    rel_id: str
    part: str


class Workbook:
    """The workbook part, its relationships and the content types, edited in place."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        office = [r for r in read_rels(pkg, "") if r.type == REL_OFFICE_DOCUMENT]
        if not office:
            raise PackageError("the package has no workbook part")
        self.part = office[0].target
        self.xml = pkg.read(self.part).decode("utf-8")
        self.rels_xml = pkg.read(rels_path(self.part)).decode("utf-8")
        self.types_xml = pkg.read("[Content_Types].xml").decode("utf-8")
        self.rels = read_rels(pkg, self.part)
        self.sheets = self._read_sheets()
        self.epoch = _EPOCH_1904 if re.search(r'date1904="(1|true)"', self.xml) else EPOCH_1900

    def _read_sheets(self) -> list[Sheet]:
        root = SafeET.fromstring(self.xml.encode("utf-8"))
        if root.tag != f"{{{NS_MAIN}}}workbook":
            raise PackageError("unsupported workbook flavour (strict OOXML or not a workbook)")
        targets = {r.id: r.target for r in self.rels}
        sheets = []
        for el in root.iter(f"{{{NS_MAIN}}}sheet"):
            rel_id = el.get(f"{{{NS_REL}}}id", "")
            sheets.append(
                Sheet(
                    el.get("name", ""), int(el.get("sheetId", "0")), rel_id, targets.get(rel_id, "")
                )
            )
        return sheets

    def find(self, name: str) -> Sheet | None:
        wanted = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == wanted), None)

    def styles_part(self) -> str:
        for rel in self.rels:
            if rel.type == NS_REL + "/styles":
                return rel.target
        raise PackageError("the workbook has no styles part")

    def add_sheet(self, name: str) -> Sheet:
        """Register a new worksheet part after the existing sheets."""
        used = {p for p in self.pkg.names() if p.startswith("xl/worksheets/")}
        number = 1 + len(self.sheets)
        while f"xl/worksheets/sheet{number}.xml" in used:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        rel_id = self.add_rel(REL_WORKSHEET, part)
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        sheets_close = re.search(r"</(\w+:)?sheets\s*>", self.xml)
        prefix = (sheets_close.group(1) or "") if sheets_close else ""
        rel_prefix = re.search(rf'xmlns:(\w+)="{re.escape(NS_REL)}"', self.xml)
        rid_attr = f"{rel_prefix.group(1)}:id" if rel_prefix else f'xmlns:r="{NS_REL}" r:id'
        element = (
            f'<{prefix}sheet name="{escape_attr(name)}" sheetId="{sheet_id}" '
            f'{rid_attr}="{rel_id}"/>'
        )
        self.xml = insert_before_close(self.xml, "sheets", element)
        self.add_override(part, CT_WORKSHEET)
        sheet = Sheet(name, sheet_id, rel_id, part)
        self.sheets.append(sheet)
        return sheet

    def add_rel(self, rel_type: str, part: str) -> str:
        taken = {r.id for r in self.rels}
        number = len(taken) + 1
        while f"rId{number}" in taken:
            number += 1
        rel_id = f"rId{number}"
        target = posixpath.relpath(part, posixpath.dirname(self.part))
        self.rels_xml = insert_before_close(
            self.rels_xml,
            "Relationships",
            f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{escape_attr(target)}"/>',
        )
        self.rels.append(_Rel(rel_id, rel_type, part, False))
        return rel_id

    def drop_rel_to(self, part: str) -> None:
        for rel in [r for r in self.rels if r.target == part and not r.external]:
            self.rels_xml = remove_element(self.rels_xml, "Relationship", "Id", rel.id)
            self.rels.remove(rel)

    def add_override(self, part: str, content_type: str) -> None:
        self.types_xml = insert_before_close(
            self.types_xml,
            "Types",
            f'<Override PartName="/{escape_attr(part)}" ContentType="{content_type}"/>',
        )

    def drop_override(self, part: str) -> None:
        self.types_xml = remove_element(self.types_xml, "Override", "PartName", "/" + part)

    def save(self) -> None:
        """Write back the three shared parts, only those whose text changed."""
        for name, text in (
            (self.part, self.xml),
            (rels_path(self.part), self.rels_xml),
            ("[Content_Types].xml", self.types_xml),
        ):
            if text.encode("utf-8") != self.pkg.read(name):
                self.pkg.write(name, text.encode("utf-8"))


def drop_stale_calc_chain(pkg: Package, book: Workbook, sheet: Sheet) -> None:
    """Delete the calculation chain when it names `sheet`, so that Excel rebuilds it."""
    chain = next((r.target for r in book.rels if r.type.endswith("/calcChain")), None)
    if chain and chain in pkg and re.search(rf'\bi="{sheet.sheet_id}"', pkg.read(chain).decode()):
        pkg.delete(chain)
        book.drop_rel_to(chain)
        book.drop_override(chain)
