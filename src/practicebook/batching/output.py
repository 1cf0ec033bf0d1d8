"""A batch's result written to a new file: ``.xlsx``, ``.csv`` or ``.json``.

Text from workbooks stays text: XlsxWriter writes strings as strings (never formulas,
links or numbers), and in CSV text a spreadsheet would run as a formula (starting with
``= + - @``, tab or carriage return) is prefixed with ``'``. Amounts keep their
currency's digits in every form.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from practicebook.batching.result import BatchResult, records
from practicebook.errors import PracticebookError

__all__ = ["OUT_SUFFIXES", "total_label", "write_summary"]

#: The forms ``write_summary`` writes, by suffix.
OUT_SUFFIXES = (".xlsx", ".csv", ".json")
#: Leading characters that make a spreadsheet read text as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_summary(
    result: BatchResult, path: str | Path, meta: Mapping[str, object] | None = None
) -> None:
    """Write the result as a new ``.xlsx`` (sheets Workbooks and Totals), ``.csv`` (one
    table; ``row`` says ``workbook`` or ``total``) or ``.json`` (the ``to_dict`` shape,
    with ``meta`` beside it).

    Raises:
        PracticebookError: another suffix, or the file cannot be written (one line).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        raise PracticebookError(f"{path}: the summary can be written as .xlsx, .csv or .json")
    try:
        if suffix == ".json":
            document = {**result.to_dict(), **(meta or {})}
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
            path.write_text(text, encoding="utf-8")
        elif suffix == ".csv":
            _write_csv(result, path)
        else:
            _write_xlsx(result, path)
    except OSError as exc:
        raise PracticebookError(f"cannot write {path}: {exc.strerror or exc}") from None


def total_label(row: Mapping[str, object]) -> str:
    """``TOTAL GBP (2 workbooks)``: what a totals row is called in tables."""
    n = row["workbooks"]
    return f"TOTAL {row['currency']} ({n} workbook{'' if n == 1 else 's'})"


def _safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_rows(result: BatchResult) -> tuple[list[str], list[list[object]]]:
    columns = list(result.workbooks.columns)
    rows = [["workbook", *(r.get(c) for c in columns)] for r in records(result.workbooks)]
    for total in records(result.totals):
        total = {**total, "practice": total_label(total), "status": None}
        rows.append(["total", *(total.get(c) for c in columns)])
    return ["row", *columns], rows


def _write_csv(result: BatchResult, path: Path) -> None:
    header, rows = _csv_rows(result)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else _safe_text(v) for v in row])


def _write_xlsx(result: BatchResult, path: Path) -> None:
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as workbook:
        bold = workbook.add_format({"bold": True})
        formats: dict[int, object] = {}

        def money_format(places: int) -> object:
            if places not in formats:
                decimals = "." + "0" * places if places else ""
                formats[places] = workbook.add_format({"num_format": "#,##0" + decimals})
            return formats[places]

        for name, frame in (("Workbooks", result.workbooks), ("Totals", result.totals)):
            sheet = workbook.add_worksheet(name)
            sheet.write_row(0, 0, list(frame.columns), bold)
            for r, row in enumerate(records(frame), start=1):
                for c, value in enumerate(row.values()):
                    _write_cell(sheet, r, c, value, frame.dtypes.iloc[c], money_format)
            sheet.freeze_panes(1, 1)
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _write_cell(
    sheet: Any, r: int, c: int, value: object, dtype: object, fmt: Callable[[int], object]
) -> None:
    """One cell: amounts as numbers with their currency's digits, counts as numbers,
    everything else as text."""
    if value is None:
        return
    if isinstance(dtype, pd.ArrowDtype) and isinstance(value, str):
        amount = Decimal(value)
        places = max(0, -int(amount.as_tuple().exponent))
        # the shortest double that round-trips is exact decimal text
        sheet.write_number(r, c, float(amount), fmt(places))
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, int):
        sheet.write_number(r, c, value)
    else:
        sheet.write_string(r, c, str(value))
