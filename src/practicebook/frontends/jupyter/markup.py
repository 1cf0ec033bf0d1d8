"""The dashboard's HTML: issue lists, notes, tables, download links, and the bytes of an
``.xlsx`` download.

Every text that reaches the page is escaped here; the style sheet the tables and charts
share is ``STYLE``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from practicebook.issues import Issue

STYLE = """<style>
.pb-table { max-width: 100%; overflow-x: auto; }
.pb-table table { border-collapse: collapse; font-size: 13px; }
.pb-table th { text-align: left; border-bottom: 2px solid #999; padding: 3px 8px;
  white-space: nowrap; position: sticky; top: 0; background: var(--jp-layout-color0, #fff); }
.pb-table th.pb-money { text-align: right; }
.pb-table td { border-bottom: 1px solid #ddd; padding: 2px 8px; vertical-align: top; }
.pb-table td.pb-money, .pb-table td.pb-date { text-align: right; white-space: nowrap; }
.pb-table td.pb-date { text-align: left; }
.pb-table tfoot td { font-weight: bold; border-top: 2px solid #999; border-bottom: none; }
.pb-hl-error td { background: #f8d7da; } .pb-hl-warning td { background: #fff3cd; }
.pb-hl-note td { background: #e7f1fb; } .pb-hl-new td { background: #e2f3e5; }
.pb-legend { font-size: 12px; margin: 4px 0; }
.pb-legend-item { margin-right: 14px; white-space: nowrap; }
.pb-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
  vertical-align: middle; border: 1px solid #bbb; }
.pb-swatch.pb-hl-error { background: #f8d7da; } .pb-swatch.pb-hl-warning { background: #fff3cd; }
.pb-swatch.pb-hl-note { background: #e7f1fb; } .pb-swatch.pb-hl-new { background: #e2f3e5; }
.pb-table tr.pb-flagged td { background: #fff3cd; }
.pb-msg-error { color: #a00; } .pb-msg-warning { color: #a60; } .pb-msg-ok { color: #070; }
.pb-empty { color: #666; font-style: italic; padding: 8px 0; }
a.pb-download { display: inline-block; padding: 4px 12px; margin: 2px 6px 2px 0;
  border: 1px solid #2f6fb0; border-radius: 3px; background: #2f6fb0; color: #fff;
  text-decoration: none; font-size: 13px; }
a.pb-download:hover { background: #245a91; }
a.pb-download:focus { outline: 2px solid #f0b400; outline-offset: 1px; }
</style>"""


def issue_html(issues: Iterable[Issue]) -> str:
    """The issues as a list, one line per issue coloured by severity (empty when none)."""
    items = [
        f"<li class='pb-msg-{i.severity.value}'>{html.escape(str(i.where))}: "
        f"{html.escape(i.message)} [{i.code.value}]"
        + (f"<br><small>{html.escape(i.hint)}</small>" if i.hint else "")
        + "</li>"
        for i in issues
    ]
    return f"<ul class='pb-issues'>{''.join(items)}</ul>" if items else ""


def note(text: str, kind: str = "ok") -> str:
    """One message coloured as ``kind``: ``ok``, ``warning`` or ``error``."""
    return f"<div class='pb-msg-{kind}'>{html.escape(text)}</div>"


def is_blank(value: object) -> bool:
    """None, NaN, NaT or pandas' NA: a cell with nothing in it."""
    return value is None or (not isinstance(value, str) and pd.isna(value))


def cell_text(value: object, day: Callable[[dt.date], str]) -> str:
    """A cell as text: blank, a day in the locale, a time to the minute, or ``str``."""
    if is_blank(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return day(value.date()) if value == value.normalize() else str(value)[:16]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return day(value)
    return str(value)


def html_table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    fmt: Callable[[object], str] = str,
    day: Callable[[dt.date], str] = dt.date.isoformat,
    flagged: Callable[[Mapping[str, Any]], bool] | None = None,
) -> str:
    """An HTML table (text, escaped), money columns formatted with ``fmt`` and days with
    ``day`` (the workbook's locale, from ``WorkbookState``), chosen rows highlighted."""
    money = set(money)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for col, value in record.items():
            if col in money:
                shown = "" if is_blank(value) else fmt(value)
                cells.append(f"<td class='pb-money'>{html.escape(shown)}</td>")
            else:
                cells.append(f"<td>{html.escape(cell_text(value, day))}</td>")
        cls = " class='pb-flagged'" if flagged and flagged(record) else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f"{STYLE}<div class='pb-table'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    """A button-styled link that downloads ``data`` as ``filename`` (the bytes carried in
    the page)."""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f"<a download='{html.escape(filename)}' href='data:{mime};base64,{encoded}' "
        f"class='pb-download' role='button'>{html.escape(label)}</a>"
    )


def xlsx_bytes(frame: pd.DataFrame, sheet: str, money_cols: list[str], money_format: str) -> bytes:
    """One sheet: text written as text (never a formula), money as numbers in the
    practice's money format, dates as dates."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    money, day = (
        book.add_format({"num_format": money_format}),
        book.add_format({"num_format": "yyyy-mm-dd"}),
    )
    for c, name in enumerate(frame.columns):
        ws.write_string(0, c, str(name))
        for r, value in enumerate(frame[name], start=1):
            if is_blank(value):
                continue
            if name in money_cols:
                ws.write_number(r, c, value, money)
            elif isinstance(value, pd.Timestamp):
                ws.write_datetime(r, c, value.to_pydatetime(), day)
            else:
                ws.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
