"""The style list of ``styles.xml``: number formats, the bold font and cell formats.

New formats are appended and equal ones reused; existing indices never change, so every
existing cell keeps its look. ``quoted`` gives a cell format with ``quotePrefix="1"`` for
text a spreadsheet would otherwise read as a formula when re-edited.
"""

from __future__ import annotations

import re

from practicebook.workbook.ooxml.package import Package, PackageError
from practicebook.workbook.ooxml.parts import Workbook
from practicebook.workbook.ooxml.xmltext import (
    attributes,
    children,
    escape_attr,
    insert_before_close,
    section,
    section_body,
    xml_unescape,
)

__all__ = ["Styles", "load_styles", "save_styles"]


_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "@": 49,
}
_XF_KEY_ATTRS = ("numFmtId", "fontId", "fillId", "borderId", "xfId", "quotePrefix")


class Styles:
    """Appends number formats, fonts and cell formats to `styles.xml`, reusing equal ones.

    Existing indices never change, so every existing cell keeps its look.
    """

    def __init__(self, xml: str) -> None:
        self.xml = xml
        self.num_fmts = {
            xml_unescape(a["formatCode"]): int(a["numFmtId"])
            for a in map(attributes, children(section_body(xml, "numFmts"), "numFmt"))
        }
        self.fonts = children(section_body(xml, "fonts"), "font")
        self.xfs = children(section_body(xml, "cellXfs"), "xf")
        if not self.xfs or not self.fonts:
            raise PackageError("styles.xml has no cell formats or fonts")
        self.new_fmts: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []
        self._memo: dict[tuple[object, ...], int] = {}

    def format_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        if code not in self.num_fmts:
            self.num_fmts[code] = max([163, *self.num_fmts.values()]) + 1
            self.new_fmts.append(
                f'<numFmt numFmtId="{self.num_fmts[code]}" formatCode="{escape_attr(code)}"/>'
            )
        return self.num_fmts[code]

    def bold_font(self) -> int:
        base = self.fonts[0]
        if "<b/>" in base or '<b val="1"/>' in base:
            return 0
        bold = re.sub(r"^<font\b([^>]*?)/>$", r"<font\1></font>", base)
        bold = re.sub(r"^(<font\b[^>]*>)", r"\1<b/>", bold)
        if bold not in self.fonts:
            self.fonts.append(bold)
            self.new_fonts.append(bold)
        return self.fonts.index(bold)

    def xf(self, num_fmt: int = 0, font: int = 0) -> int:
        """Index of a plain cell format with this number format and font, appended if new."""
        key = {
            "numFmtId": str(num_fmt),
            "fontId": str(font),
            "fillId": "0",
            "borderId": "0",
            "xfId": "0",
            "quotePrefix": None,
        }
        for index, xf in enumerate(self.xfs):
            if "</xf>" not in xf and _xf_key(xf) == tuple(key[a] for a in _XF_KEY_ATTRS):
                return index
        text = (
            f'<xf numFmtId="{num_fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if num_fmt else "")
            + (' applyFont="1"' if font else "")
            + "/>"
        )
        return self._append_xf(text)

    def for_column(self, code: str | None, bold: bool = False) -> int:
        return self.xf(self.format_id(code) if code else 0, self.bold_font() if bold else 0)

    def with_format(self, style: int, code: str) -> int:
        """A copy of cell format `style` showing `code` (used for dates in General columns)."""
        memo = ("fmt", style, code)
        if memo not in self._memo:
            attrs = attributes(self.xfs[style])
            if attrs.get("numFmtId", "0") != "0":
                self._memo[memo] = style
            else:
                self._memo[memo] = self.xf(self.format_id(code), int(attrs.get("fontId", "0")))
        return self._memo[memo]

    def quoted(self, style: int) -> int:
        """A copy of cell format `style` with ``quotePrefix="1"``, appended once."""
        memo = ("quote", style)
        if memo not in self._memo:
            source = self.xfs[style if style < len(self.xfs) else 0]
            if attributes(source).get("quotePrefix") in ("1", "true"):
                self._memo[memo] = style
            else:
                clone = re.sub(r'\s+quotePrefix="[^"]*"', "", source)
                clone = re.sub(r"^<xf\b", '<xf quotePrefix="1"', clone)
                self._memo[memo] = (
                    self.xfs.index(clone) if clone in self.xfs else self._append_xf(clone)
                )
        return self._memo[memo]

    def _append_xf(self, text: str) -> int:
        self.xfs.append(text)
        self.new_xfs.append(text)
        return len(self.xfs) - 1

    def render(self) -> str | None:
        """The patched styles.xml, or None when nothing was added."""
        xml = self.xml
        if self.new_fmts:
            if section(xml, "numFmts"):
                xml = _append_counted(xml, "numFmts", self.new_fmts)
            else:
                block = f'<numFmts count="{len(self.new_fmts)}">{"".join(self.new_fmts)}</numFmts>'
                root = re.search(r"<(?:\w+:)?styleSheet\b[^>]*>", xml)
                if root is None:
                    raise PackageError("styles.xml has no styleSheet element")
                xml = xml[: root.end()] + block + xml[root.end() :]
        if self.new_fonts:
            xml = _append_counted(xml, "fonts", self.new_fonts)
        if self.new_xfs:
            xml = _append_counted(xml, "cellXfs", self.new_xfs)
        return None if xml == self.xml else xml


def _xf_key(xf: str) -> tuple[str | None, ...]:
    attrs = attributes(xf)
    key = [attrs.get(a, "0") for a in _XF_KEY_ATTRS[:-1]]
    quote = attrs.get("quotePrefix")
    return (*key, "1" if quote in ("1", "true") else None)


def _append_counted(xml: str, tag: str, items: list[str]) -> str:
    """Append items inside `tag` and raise its `count` attribute accordingly."""
    xml = insert_before_close(xml, tag, "".join(items))
    opening = re.search(rf"<(?:\w+:)?{tag}\b[^>]*>", xml)
    assert opening is not None
    head = opening.group(0)
    count = re.search(r'count="(\d+)"', head)
    if count:
        new_head = head.replace(count.group(0), f'count="{int(count.group(1)) + len(items)}"')
        xml = xml[: opening.start()] + new_head + xml[opening.end() :]
    return xml


def load_styles(pkg: Package, book: Workbook) -> tuple[str, Styles]:
    """The style part's name and its editable contents."""
    part = book.styles_part()
    return part, Styles(pkg.read(part).decode("utf-8"))


def save_styles(pkg: Package, part: str, styles: Styles) -> None:
    """Write the style part back only if formats were added to it."""
    rendered = styles.render()
    if rendered is not None:
        pkg.write(part, rendered.encode("utf-8"))
