"""XML handled as text: namespaces, escaping, attributes and elements found by regex.

Shared parts are edited by minimal textual insertion instead of being re-serialised (see
the package docstring), so these helpers find, insert and remove elements in the text.
Column helpers convert between Excel column letters and 0-based indices.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _xml_escape

from practicebook.issues import column_letter, column_number
from practicebook.render.cells import clean_text
from practicebook.workbook.ooxml.package import PackageError

__all__ = [
    "ATTRS",
    "CELL_REF",
    "NS_MAIN",
    "NS_PKG_REL",
    "NS_REL",
    "attributes",
    "children",
    "col_index",
    "col_letter",
    "escape_attr",
    "insert_before_close",
    "remove_element",
    "section",
    "section_body",
    "xml_unescape",
]


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def escape_attr(text: str) -> str:
    """Escape text for an attribute value; whitespace controls survive attribute normalisation."""
    return _xml_escape(
        clean_text(text), {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
    )


def xml_unescape(text: str) -> str:
    """Undo the five XML entity escapes (attribute values read by regex)."""
    return (
        text.replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


ATTRS = re.compile(r'([\w:]+)="([^"]*)"')


def attributes(element: str) -> dict[str, str]:
    """The attributes of an element's start tag, values still escaped."""
    head = element.split(">", 1)[0]
    return dict(ATTRS.findall(head))


def section(xml: str, tag: str) -> re.Match[str] | None:
    """The first element `tag` (any prefix); group 1 is its content, None when self-closed."""
    return re.search(rf"<(?:\w+:)?{tag}\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?{tag}>)", xml, re.DOTALL)


def section_body(xml: str, tag: str) -> str | None:
    """The content of the first element `tag`, or None."""
    match = section(xml, tag)
    return match.group(1) if match else None


def children(body: str | None, tag: str) -> list[str]:
    """The unprefixed elements `tag` in `body`, each as its full text."""
    if not body:
        return []
    return re.findall(rf"<{tag}\b[^>]*?(?:/>|>.*?</{tag}>)", body, re.DOTALL)


def insert_before_close(xml: str, tag: str, fragment: str) -> str:
    """Insert `fragment` before the closing tag of the (single) element `tag`, any prefix."""
    match = re.search(rf"</(?:\w+:)?{tag}\s*>", xml)
    if match is None:
        empty = re.search(rf"<((?:\w+:)?{tag})\b([^>]*?)/>", xml)
        if empty is None:
            raise PackageError(f"cannot find <{tag}> to extend")
        opened = f"<{empty.group(1)}{empty.group(2)}>{fragment}</{empty.group(1)}>"
        return xml[: empty.start()] + opened + xml[empty.end() :]
    return xml[: match.start()] + fragment + xml[match.start() :]


def remove_element(xml: str, tag: str, attr: str, value: str) -> str:
    """Remove every empty element `<tag ... attr="value" .../>` (attribute order free)."""
    pattern = rf'<(?:\w+:)?{tag}\b[^>]*\b{attr}="{re.escape(escape_attr(value))}"[^>]*/>'
    return re.sub(pattern, "", xml)


def col_letter(index: int) -> str:
    """Column letters for a 0-based column index (0 -> A, 26 -> AA)."""
    return column_letter(index + 1)


def col_index(letters: str) -> int:
    """The 0-based column index of Excel column letters."""
    return column_number(letters) - 1


CELL_REF = re.compile(r"([A-Z]+)(\d+)")
