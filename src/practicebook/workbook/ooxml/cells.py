"""Cell XML: Python values as ``<c>`` elements.

Text is an inline string (never a formula) with ECMA-376's ``_xHHHH_`` escape, numbers are
written exactly, booleans as ``t="b"``, and dates and datetimes as serial numbers of the
workbook's date system in a cell format that shows them as dates.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from decimal import Decimal
from xml.sax.saxutils import escape as _xml_escape

from practicebook.render.cells import MAX_TEXT, CellValue, clean_text, needs_quote_prefix
from practicebook.workbook.ooxml.parts import EPOCH_1900
from practicebook.workbook.ooxml.styles import Styles

__all__ = [
    "DEFAULT_DATETIME_FORMAT",
    "DEFAULT_DATE_FORMAT",
    "ECMA_UNESCAPE",
    "CellRefused",
    "CellWriter",
    "style_attr",
]


class CellRefused(ValueError):
    """A value, or a row, that Excel cannot hold; ``ref`` is the cell (A1) it was meant for
    and ``reason`` says why in words a person can act on (never the value itself)."""

    def __init__(self, ref: str, reason: str) -> None:
        self.ref, self.reason = ref, reason
        super().__init__(f"{ref}: {reason}")


DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


_ECMA_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
ECMA_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text_xml(text: str) -> str:
    """Escape cleaned text for a `<t>` element, including ECMA-376's ``_xHHHH_`` escape.

    CR is written as a character reference: a literal CR would be normalised to LF by every
    XML parser, changing the value.
    """
    return _xml_escape(_ECMA_ESCAPE.sub(r"_x005F_\1", text), {"\r": "&#13;"})


def _serial(value: dt.date, epoch: dt.datetime) -> str:
    """Excel serial number of a date (exact) or naive datetime (float, to about 1 µs)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("timezone-aware datetimes cannot be stored in Excel")
        moment = value
    else:
        moment = dt.datetime(value.year, value.month, value.day)
    if moment < dt.datetime(1900, 3, 1) and epoch == EPOCH_1900:
        raise ValueError("dates before 1900-03-01 are not representable in Excel")
    delta = moment - epoch
    if delta.seconds == 0 and delta.microseconds == 0:
        return str(delta.days)
    return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)


class CellWriter:
    """Turns Python values into `<c>` elements, choosing cell formats through `Styles`."""

    def __init__(self, styles: Styles, epoch: dt.datetime) -> None:
        self.styles = styles
        self.epoch = epoch

    def cell(self, ref: str, value: CellValue, style: int) -> str:
        """Return the XML of one cell, or "" for an empty one.

        Args:
            ref: A1-style reference.
            value: The value; None, "" and text of only illegal characters leave the cell empty.
            style: The column's cell format index. A date in a column without a number format
                gets a copy of that format showing an ISO date, so it does not read as a number.
        """
        if value is None:
            return ""
        if isinstance(value, str):
            text = clean_text(value)
            if not text:
                return ""
            if len(text) > MAX_TEXT:
                raise CellRefused(
                    ref,
                    f"the text is {len(text):,} characters long; an Excel cell holds at most "
                    f"{MAX_TEXT:,}",
                )
            if needs_quote_prefix(text):
                style = self.styles.quoted(style)
            return (
                f'<c r="{ref}"{style_attr(style)} t="inlineStr"><is><t xml:space="preserve">'
                f"{_text_xml(text)}</t></is></c>"
            )
        if isinstance(value, bool):
            return f'<c r="{ref}"{style_attr(style)} t="b"><v>{int(value)}</v></c>'
        try:
            if isinstance(value, dt.date):
                serial = _serial(value, self.epoch)
                is_datetime = isinstance(value, dt.datetime)
                style = self.styles.with_format(
                    style, DEFAULT_DATETIME_FORMAT if is_datetime else DEFAULT_DATE_FORMAT
                )
                return f'<c r="{ref}"{style_attr(style)}><v>{serial}</v></c>'
            return f'<c r="{ref}"{style_attr(style)}><v>{_number(value)}</v></c>'
        except ValueError as exc:
            raise CellRefused(ref, str(exc)) from None
        except TypeError as exc:
            raise TypeError(f"{ref}: {exc}") from None


def style_attr(style: int) -> str:
    """The `s` attribute of a cell in cell format `style` (none for the default format)."""
    return f' s="{style}"' if style else ""


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, numbers.Integral):  # also numpy integers from pandas frames
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN or infinite numbers cannot be stored")
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN or infinite numbers cannot be stored")
        return repr(value)
    raise TypeError(f"unsupported cell value type {type(value).__name__}")
