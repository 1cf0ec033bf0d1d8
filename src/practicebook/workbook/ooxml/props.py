"""Custom document properties (``docProps/custom.xml``): read them, and set text ones.

practicebook keeps small facts about a workbook there (the audit log's head, the sheets
it derives), where Excel and LibreOffice keep them across saves and show them under
File > Properties. Setting one edits the part by minimal textual insertion, like the
other shared parts; a package without the part gets one, with its content type and
package relationship.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape as _xml_escape

import defusedxml.ElementTree as SafeET

from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.parts import read_rels
from practicebook.workbook.ooxml.xmltext import NS_REL, escape_attr, insert_before_close

__all__ = ["custom_properties", "set_custom_properties"]

NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
REL_CUSTOM = NS_REL + "/custom-properties"
CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_DEFAULT_PART = "docProps/custom.xml"


def _part(pkg: Package) -> str | None:
    found = next((r.target for r in read_rels(pkg, "") if r.type == REL_CUSTOM), None)
    return found if found is not None and found in pkg else None


def custom_properties(package: bytes | Package) -> dict[str, str]:
    """Every custom document property as text (numbers and dates as written), by name."""
    pkg = package if isinstance(package, Package) else Package(package)
    part = _part(pkg)
    if part is None:
        return {}
    root = SafeET.fromstring(pkg.read(part))
    found = {}
    for prop in root.iter(f"{{{NS_CUSTOM}}}property"):
        name = prop.get("name")
        if name is not None:
            found[name] = "".join(prop.itertext())
    return found


def set_custom_properties(package: bytes, values: Mapping[str, str]) -> bytes:
    """Set text custom properties (replacing a property of the same name, whatever its
    type); every other part stays byte-identical."""
    if not values:
        return package
    pkg = Package(package)
    part = _part(pkg)
    if part is None:
        part = _create_part(pkg)
    xml = pkg.read(part).decode("utf-8")
    for name, value in values.items():
        xml = _set(xml, name, value)
    pkg.write(part, xml.encode("utf-8"))
    return pkg.to_bytes()


def _set(xml: str, name: str, value: str) -> str:
    root = re.search(r"<(\w+:)?Properties\b[^>]*>", xml)
    if root is None:
        raise PackageError("the custom properties part has no <Properties> element")
    prefix = root.group(1) or ""
    vt = re.search(rf'xmlns:(\w+)="{re.escape(NS_VT)}"', xml)
    vt_open = f"{vt.group(1)}:lpwstr" if vt else f'vt:lpwstr xmlns:vt="{NS_VT}"'
    vt_close = f"{vt.group(1)}:lpwstr" if vt else "vt:lpwstr"
    text = _xml_escape(value)
    existing = re.search(
        rf'<{prefix}property\b[^>]*\bname="{re.escape(escape_attr(name))}"[^>]*>.*?'
        rf"</{prefix}property>",
        xml,
        re.DOTALL,
    )
    if existing is not None:
        opening = re.match(r"<[^>]*>", existing.group(0))
        assert opening is not None
        element = f"{opening.group(0)}<{vt_open}>{text}</{vt_close}></{prefix}property>"
        return xml[: existing.start()] + element + xml[existing.end() :]
    pids = [int(p) for p in re.findall(r'\bpid="(\d+)"', xml)]
    element = (
        f'<{prefix}property fmtid="{_FMTID}" pid="{max(pids, default=1) + 1}" '
        f'name="{escape_attr(name)}"><{vt_open}>{text}</{vt_close}></{prefix}property>'
    )
    return insert_before_close(xml, "Properties", element)


def _create_part(pkg: Package) -> str:
    part = _DEFAULT_PART
    if part in pkg:
        raise PackageError("docProps/custom.xml exists but is not the custom properties part")
    pkg.write(
        part,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{NS_CUSTOM}" xmlns:vt="{NS_VT}"></Properties>'
        ).encode(),
    )
    rels = "_rels/.rels"
    rels_xml = pkg.read(rels).decode("utf-8")
    taken = set(re.findall(r'\bId="([^"]+)"', rels_xml))
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    rels_xml = insert_before_close(
        rels_xml,
        "Relationships",
        f'<Relationship Id="rId{number}" Type="{REL_CUSTOM}" Target="{part}"/>',
    )
    pkg.write(rels, rels_xml.encode("utf-8"))
    types = pkg.read("[Content_Types].xml").decode("utf-8")
    types = insert_before_close(
        types, "Types", f'<Override PartName="/{part}" ContentType="{CT_CUSTOM}"/>'
    )
    pkg.write("[Content_Types].xml", types.encode("utf-8"))
    return part
