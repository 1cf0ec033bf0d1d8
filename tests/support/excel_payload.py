"""The JSON an Excel client (xlwings' VBA client) sends for a workbook, built from a file.

Cells are read with openpyxl as the client reads ``Range.Value``: numbers as numbers,
dates as ISO text, blanks as ``""``; formulas count as their cached value (none for a
file that was never calculated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter


def _json_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


def payload(
    path: Path,
    *,
    active: str = "Home",
    selection: str = "A1",
    edits: Mapping[tuple[str, str], object] | None = None,
) -> dict[str, object]:
    """The VBA client's request for the workbook at ``path``.

    Args:
        active: the active sheet.
        selection: the selected cell on it.
        edits: cell values typed before the button is pressed: ``{("Home", "B7"): "C1"}``.
    """
    import xlwings as xw

    wb = openpyxl.load_workbook(path, data_only=True)
    for (sheet, cell), value in (edits or {}).items():
        wb[sheet][cell] = value
    sheets = []
    for ws in wb.worksheets:
        rows, cols = ws.max_row, ws.max_column
        values = [
            [_json_value(c.value) for c in row]
            for row in ws.iter_rows(min_row=1, max_row=rows, max_col=cols)
        ]
        sheets.append(
            {
                "name": ws.title,
                "values": values,
                "pictures": [],
                "tables": [],
                "used_range_address": f"A1:{get_column_letter(cols)}{rows}",
            }
        )
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {
            "name": Path(path).name,
            "active_sheet_index": wb.sheetnames.index(active),
            "selection": selection,
        },
        "names": [],
        "sheets": sheets,
    }
