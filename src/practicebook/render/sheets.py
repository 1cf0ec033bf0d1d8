"""The derived sheets practicebook writes (Balances, Aging, Flags, Ledger,
CancellationLog, Summary), described as ``SheetSpec``s: pure, shared by the file writer and the
Excel door, so a sheet looks the same whichever door wrote it.

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from babel import Locale
from babel.dates import format_time, get_datetime_format
from babel.numbers import get_currency_symbol

from practicebook import money
from practicebook.core.amounts import is_money
from practicebook.core.explain import explained_ledger
from practicebook.core.findings import combine, from_issues
from practicebook.core.result import Reconciliation
from practicebook.core.summary import monthly_summary
from practicebook.issues import CellRef, Issue
from practicebook.l10n import format_date
from practicebook.model import Book
from practicebook.render.cells import SheetSpec

__all__ = ["DATE_FORMAT", "RESULT_SHEETS", "excel_money_format", "result_sheets", "sheet_title"]

RESULT_SHEETS = ("Balances", "Aging", "Flags", "Ledger", "CancellationLog", "Summary")
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


def result_sheets(
    rec: Reconciliation,
    book: Book,
    issues: Sequence[Issue] = (),
    written: dt.datetime | None = None,
) -> list[SheetSpec]:
    """The derived sheets (``RESULT_SHEETS``) as ``SheetSpec``s, formatted for the practice.

    ``issues`` (the workbook's own findings from loading it) join the reconciliation's
    flags on the Flags sheet, so it lists every finding once. Each sheet starts with a
    title line saying when it was true: the practice, the as-of day and ``written`` (the
    moment of writing; default now in the practice time zone), in the workbook's locale.
    """
    settings = book.settings
    money = excel_money_format(settings.currency, settings.locale)
    flags = combine([from_issues(issues), rec.flags]) if issues else rec.flags
    ledger = explained_ledger(rec)
    when = written or dt.datetime.now(ZoneInfo(settings.timezone)).replace(tzinfo=None)

    def title(what: str) -> list[str]:
        return [sheet_title(settings.practice_name, what, rec.as_of, when, settings.locale)]

    return [
        _frame_sheet("Balances", rec.balances, money, title("Balances"), tab="1F6F43"),
        _frame_sheet("Aging", rec.aging, money, title("Aging"), tab="1F6F43"),
        _flags_sheet(flags, title("Findings")),
        _frame_sheet("Ledger", ledger, money, title("Ledger"), link="source", tab="3A5F8F"),
        _frame_sheet(
            "CancellationLog",
            rec.cancellations,
            money,
            title("Cancellation log"),
            link="source",
            tab="3A5F8F",
        ),
        _frame_sheet(
            "Summary",
            monthly_summary(rec, book.sessions, book.payments),
            money,
            title("Summary by month, clinician and payment method"),
            tab="1F6F43",
        ),
    ]


def sheet_title(practice: str, what: str, as_of: dt.date, written: dt.datetime, locale: str) -> str:
    """The title line of a derived sheet: whose, what, as of which day, written when.

    >>> sheet_title("Riverbend", "Balances", dt.date(2026, 3, 31),
    ...             dt.datetime(2026, 4, 2, 9, 15), "en_US")
    'Riverbend · Balances as of Mar 31, 2026 · written Apr 2, 2026, 9:15\u202fAM'
    >>> sheet_title("", "Aging", dt.date(2026, 3, 31), dt.datetime(2026, 4, 2, 9, 15), "de_DE")
    'Aging as of 31.03.2026 · written 02.04.2026, 09:15'
    """
    pattern = str(get_datetime_format("medium", locale=locale))  # "{1}, {0}": date, time
    time = format_time(written, "short", locale=locale)
    when = pattern.format(time, format_date(written.date(), locale))
    head = f"{practice} · " if practice else ""
    return f"{head}{what} as of {format_date(as_of, locale)} · written {when}"


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
    money_format: str,
    title: Sequence[str],
    *,
    link: str | None = None,
    tab: str | None = None,
) -> SheetSpec:
    keys = list(frame.columns)
    money = [is_money(frame[k]) for k in keys]
    columns = [_cells(frame[k]) for k in keys]
    rows = [list(r) for r in zip(*columns, strict=True)] if keys else []
    formats = [
        money_format if m else (DATE_FORMAT if _is_dates(frame[k]) else None)
        for k, m in zip(keys, money, strict=True)
    ]
    links = {}
    if link is not None and link in keys:
        col = keys.index(link)
        links = {(r, col): str(v) for r, v in enumerate(frame[link]) if isinstance(v, str) and v}
    widths = [_width(k) for k in keys]
    return SheetSpec(
        name,
        [_header(k) for k in keys],
        rows,
        formats,
        widths,
        links,
        tab_color=tab,
        title=title,
    )


def _flags_sheet(flags: pd.DataFrame, title: Sequence[str]) -> SheetSpec:
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
        title=title,
    )


def _is_dates(series: pd.Series) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(series.dtype))


def _cells(series: pd.Series) -> list[Any]:
    """A column's values as cell values: money as exact Decimals (as the frames hold it),
    days as dates, blanks as None, numpy numbers as Python ones."""
    values = _python_values(series)
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
