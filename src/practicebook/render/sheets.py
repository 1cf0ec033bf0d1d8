"""The derived sheets practicebook writes (Balances, Aging, Flags, Ledger,
CancellationLog), described as ``SheetSpec``s: pure, shared by the file writer and the
Excel door, so a sheet looks the same whichever door wrote it.

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from babel import Locale
from babel.numbers import get_currency_symbol

from practicebook import money
from practicebook.core.explain import explained_ledger
from practicebook.core.findings import combine, from_issues
from practicebook.core.result import Reconciliation
from practicebook.issues import CellRef, Issue
from practicebook.model import Book
from practicebook.money import from_minor
from practicebook.render.cells import SheetSpec

__all__ = ["DATE_FORMAT", "RESULT_SHEETS", "excel_money_format", "result_sheets"]

RESULT_SHEETS = ("Balances", "Aging", "Flags", "Ledger", "CancellationLog")
DATE_FORMAT = "yyyy-mm-dd"


def excel_money_format(currency: str, locale: str) -> str:
    """An Excel number format showing the currency the way the locale writes it.

    Excel number formats always use ``,`` for grouping and ``.`` for decimals (Excel maps
    them to the reader's own separators); only the symbol and its position come from
    the locale.

    >>> excel_money_format("EUR", "de_DE")
    '#,##0.00\\\\ "€";-#,##0.00\\\\ "€"'
    >>> excel_money_format("USD", "en_US")
    '"$"#,##0.00;-"$"#,##0.00'
    """
    loc = Locale.parse(locale)
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    symbol = get_currency_symbol(currency, locale=loc).replace('"', "")
    places = money.digits(currency)
    number = "#,##0" + ("." + "0" * places if places else "")
    before = pattern.index("¤") < pattern.index("#" if "#" in pattern else "0")
    spaced = "\xa0¤" in pattern or " ¤" in pattern or "¤\xa0" in pattern or "¤ " in pattern
    gap = "\\ " if spaced else ""
    positive = f'"{symbol}"{gap}{number}' if before else f'{number}{gap}"{symbol}"'
    return f"{positive};-{positive}"


def result_sheets(rec: Reconciliation, book: Book, issues: Sequence[Issue] = ()) -> list[SheetSpec]:
    """The five derived sheets as ``SheetSpec``s, formatted for the practice.

    ``issues`` (the workbook's own findings from loading it) join the reconciliation's
    flags on the Flags sheet, so it lists every finding once.
    """
    settings = book.settings
    money = excel_money_format(settings.currency, settings.locale)
    currency = settings.currency
    flags = combine([from_issues(issues), rec.flags]) if issues else rec.flags
    ledger = explained_ledger(rec)
    return [
        _frame_sheet("Balances", rec.balances, currency, money, tab="1F6F43"),
        _frame_sheet("Aging", rec.aging, currency, money, tab="1F6F43"),
        _flags_sheet(flags),
        _frame_sheet("Ledger", ledger, currency, money, link="source", tab="3A5F8F"),
        _frame_sheet(
            "CancellationLog", rec.cancellations, currency, money, link="source", tab="3A5F8F"
        ),
    ]


_MONEY_COLUMNS = {
    "charges",
    "payments",
    "refunds",
    "adjustments",
    "balance",
    "credit",
    "amount",
    "open",
    "fee",
    "total",
}
_HEADERS = {
    "client_id": "Client ID",
    "session_id": "Session ID",
    "entry_id": "Entry",
    "row_id": "Row ID",
    "policy_id": "Policy ID",
    "fee_code": "Fee code",
}


def _header(key: str) -> str:
    return _HEADERS.get(key) or (key[0].upper() + key[1:]).replace("_", " ")


def _frame_sheet(
    name: str,
    frame: pd.DataFrame,
    currency: str,
    money_format: str,
    *,
    link: str | None = None,
    tab: str | None = None,
) -> SheetSpec:
    keys = list(frame.columns)
    aging = name == "Aging"
    is_money = [k in _MONEY_COLUMNS or (aging and k != "client_id") for k in keys]
    columns = [
        _cells(frame[k], currency if m else None) for k, m in zip(keys, is_money, strict=True)
    ]
    rows = [list(r) for r in zip(*columns, strict=True)] if keys else []
    formats = [
        money_format if m else (DATE_FORMAT if _is_dates(frame[k]) else None)
        for k, m in zip(keys, is_money, strict=True)
    ]
    links = {}
    if link is not None and link in keys:
        col = keys.index(link)
        links = {(r, col): str(v) for r, v in enumerate(frame[link]) if isinstance(v, str) and v}
    widths = [_width(k) for k in keys]
    return SheetSpec(name, [_header(k) for k in keys], rows, formats, widths, links, tab_color=tab)


def _flags_sheet(flags: pd.DataFrame) -> SheetSpec:
    """One row per finding; a finding on a cell links to that cell."""
    keys = ["code", "severity", "sheet", "cell", "row_id", "client_id", "message", "hint"]
    rows = [[_text(v) for v in r] for r in flags[keys].itertuples(index=False)]
    where = keys.index("cell")
    links = {
        (r, where): str(CellRef(str(sheet), int(row), int(col) or 1))
        for r, (sheet, row, col) in enumerate(
            zip(flags["sheet"], flags["row"], flags["col"], strict=True)
        )
        if int(row) > 0
    }
    return SheetSpec(
        "Flags",
        [_header(k) for k in keys],
        rows,
        widths=[_width(k) for k in keys],
        links=links,
        tab_color="B03A2E",
    )


def _is_dates(series: pd.Series) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(series.dtype))


def _cells(series: pd.Series, currency: str | None) -> list[Any]:
    """A column's values as cell values: money as exact Decimals, days as dates, blanks
    as None, numpy numbers as Python ones."""
    values = _python_values(series)
    if currency is not None:
        return [None if v is None else from_minor(v, currency) for v in values]
    if _is_dates(series):
        return [None if v is None else _day_or_moment(v) for v in values]
    return values


def _python_values(series: pd.Series) -> list[Any]:
    present = series.notna().to_numpy()
    values = series.astype(object).tolist()
    return [v if keep else None for v, keep in zip(values, present, strict=True)]


def _day_or_moment(value: pd.Timestamp) -> dt.date | dt.datetime:
    moment: dt.datetime = pd.Timestamp(value).to_pydatetime()
    return moment.date() if moment.time() == dt.time() else moment


def _text(value: object) -> Any:
    """A plain cell value: pandas blanks become empty cells, numpy numbers Python ones."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _width(key: str) -> float:
    return {"message": 60, "hint": 50, "description": 50, "basis": 60}.get(key, 14)
