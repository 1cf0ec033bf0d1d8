"""Carry a practice's data into a new workbook: ``practicebook new BOOK.xlsm --from old.xlsx``.

The old workbook is read and checked like any other; its input sheets are copied by
value (the typed values the parser accepted: money as exact amounts, dates as dates, no
formulas, no formats) and its Practice settings as they were typed. What cannot be
carried is said, one line each, at its cell: a value the parser refused, a row left out
for a missing required value, a sheet practicebook does not know. Derived sheets are
not carried: Reconcile writes them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from practicebook import money
from practicebook.issues import Issue
from practicebook.model import ROW, Book
from practicebook.render.sheets import RESULT_SHEETS
from practicebook.schema import DERIVED_SHEETS, LISTS_SHEET, PRACTICE, WORKBOOK, Kind, home

__all__ = ["EXCEL_SHEETS", "Carried", "carry"]

#: Sheets the Excel door writes besides the derived ones (rewritten on demand).
EXCEL_SHEETS = ("Explain", "Deposits")


@dataclass
class Carried:
    """What goes into the new workbook, and what does not.

    Attributes:
        rows: per input sheet, one mapping of column key to value per row.
        settings: the Practice settings, key to the text typed.
        counts: rows carried per sheet (sheets with rows only).
        left_out: one line per thing not carried, each naming its cell or sheet.
    """

    rows: dict[str, list[dict[str, object]]]
    settings: dict[str, object]
    counts: dict[str, int] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


def carry(book: Book, issues: Sequence[Issue], sheet_names: Sequence[str] = ()) -> Carried:
    """The rows and settings of ``book`` for a new workbook, and what stays behind.

    Args:
        book: the old workbook, parsed.
        issues: what parsing it found; error-level ones at a cell are values not carried.
        sheet_names: every sheet of the old workbook, to name the ones not carried.
    """
    digits = money.digits(book.settings.currency)
    rows: dict[str, list[dict[str, object]]] = {}
    for sheet in WORKBOOK.sheets:
        if sheet is PRACTICE or sheet.name not in book.frames:
            continue
        frame = book.frames[sheet.name]
        kinds = {c.key: c.kind for c in sheet.columns if c.key in frame.columns}
        rows[sheet.name] = [
            {key: _value(record[key], kind, digits) for key, kind in kinds.items()}
            for record in frame.to_dict("records")
        ]
    practice = book.frames.get(PRACTICE.name)
    settings = {} if practice is None else _settings(practice)
    out = Carried(rows, settings, {name: len(r) for name, r in rows.items() if r})
    for name, rejected in book.rejected.items():
        for row in rejected[ROW] if ROW in rejected else ():
            out.left_out.append(f"{name}!A{int(row)}: row left out (a required value is missing)")
    for issue in issues:
        if issue.is_error and issue.where.row:
            out.left_out.append(f"{issue.where}: {issue.message}")
    known = {s.name for s in WORKBOOK.sheets} | set(DERIVED_SHEETS) | set(RESULT_SHEETS)
    known |= {LISTS_SHEET, home.HOME, *EXCEL_SHEETS}
    for name in sheet_names:
        if name not in known:
            out.left_out.append(f"sheet {name!r}: not a practicebook sheet")
    return out


def _settings(practice: pd.DataFrame) -> dict[str, object]:
    values = {}
    for key, value in zip(practice["key"], practice["value"], strict=True):
        if isinstance(key, str) and value is not None and not pd.isna(value):
            values[key] = value
    return values


def _value(value: Any, kind: Kind, digits: int) -> object:
    """A parsed cell as ``write_workbook`` takes it."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if kind is Kind.MONEY:
        return Decimal(int(value)).scaleb(-digits)
    if kind in (Kind.DATE, Kind.DATETIME):
        moment: dt.datetime = pd.Timestamp(value).to_pydatetime()
        return moment.date() if kind is Kind.DATE else moment
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.DECIMAL:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if hasattr(value, "item"):
        return value.item()
    return value
