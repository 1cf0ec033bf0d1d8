"""Money, dates and issues for people: babel in the workbook's locale, text and JSON.

>>> format_money(123450, "USD", "en_US")
'$1,234.50'
>>> format_money(-123450, "EUR", "de_DE")
'-1.234,50\\xa0€'
>>> format_money(1235, "JPY", "ja_JP")
'￥1,235'
>>> excel_money_format("EUR", "de_DE")
'#,##0.00\\\\ "€";-#,##0.00\\\\ "€"'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, get_currency_symbol

from practicebook import money
from practicebook.issues import Issue, Severity, sort_issues

if TYPE_CHECKING:
    from practicebook.reconcile import Explanation

__all__ = [
    "excel_money_format",
    "format_date",
    "format_money",
    "issues_to_json",
    "money_columns",
    "render_explanation",
    "render_issue",
    "render_issues",
]


def format_money(minor: int, currency: str, locale: str) -> str:
    """An amount in minor units, formatted for people (quantised first, never re-rounded)."""
    amount = money.from_minor(minor, currency)
    return format_currency(amount, currency, locale=locale, currency_digits=True)


def format_date(value: dt.date, locale: str) -> str:
    """A date in the locale's medium format (``Mar 5, 2026``; ``05.03.2026``)."""
    return _babel_date(value, format="medium", locale=locale)


def excel_money_format(currency: str, locale: str) -> str:
    """An Excel number format showing the currency the way the locale writes it.

    Excel number formats always use ``,`` for grouping and ``.`` for decimals (Excel maps
    them to the reader's own separators); only the symbol and its position come from
    the locale.
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


def render_issue(issue: Issue) -> str:
    """The standard three-part layout: where and what, an excerpt of the row, the fix."""
    lines = [f"{issue.where}: {issue.severity.value}: {issue.message} [{issue.code.value}]"]
    if issue.excerpt:
        heads = [h for h, _ in issue.excerpt]
        cells = [v for _, v in issue.excerpt]
        widths = [max(len(h), len(c)) for h, c in zip(heads, cells, strict=True)]
        lines.append("  | " + " | ".join(h.ljust(w) for h, w in zip(heads, widths,
                                                                     strict=True)) + " |")
        lines.append("  | " + " | ".join(c.ljust(w) for c, w in zip(cells, widths,
                                                                     strict=True)) + " |")
    if issue.hint:
        lines.append(f"  {issue.hint}")
    return "\n".join(lines)


def summary_line(issues: Iterable[Issue]) -> str:
    """``2 errors, 1 warning, 3 notes``."""
    counts = {s: 0 for s in Severity}
    for issue in issues:
        counts[issue.severity] += 1
    parts = []
    for sev in Severity:
        n = counts[sev]
        parts.append(f"{n} {sev.value}{'' if n == 1 else 's'}")
    return ", ".join(parts)


def render_issues(issues: Iterable[Issue]) -> str:
    """Every issue in sheet and row order, then a one-line summary."""
    ordered = sort_issues(issues)
    blocks = [render_issue(i) for i in ordered]
    blocks.append(summary_line(ordered))
    return "\n\n".join(blocks[:-1] + [blocks[-1]]) if len(blocks) > 1 else blocks[0]


def issues_to_json(issues: Iterable[Issue], **extra: object) -> str:
    """``{"issues": [...], "summary": {...}}`` with the same fields as the text."""
    ordered = sort_issues(issues)
    counts = {s.value: sum(1 for i in ordered if i.severity is s) for s in Severity}
    payload = {**extra, "issues": [i.to_dict() for i in ordered], "summary": counts}
    return json_text(payload)


def json_text(payload: object) -> str:
    """JSON indented by two spaces, non-ASCII text as it is, for payloads of strings,
    whole numbers, booleans, ``None``, lists and string-keyed dicts: for those, what
    ``json.dumps(payload, indent=2, ensure_ascii=False)`` writes. orjson encodes it, many
    times faster at the size of a large practice's reconciliation; where orjson cannot be
    installed (a browser's Python), the standard library does."""
    try:
        import orjson
    except ImportError:
        return json.dumps(payload, indent=2, ensure_ascii=False)
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


# --- reconciliation -----------------------------------------------------------------


def money_columns(frame: pd.DataFrame, columns: Iterable[str], currency: str, locale: str
                  ) -> list[list[str]]:
    """Rows of a frame as text, the named money columns formatted for people.

    Every other column is shown as text; blank dates and IDs become empty strings.
    """
    keys = list(frame.columns)
    money_keys = set(columns)
    rows = []
    for values in frame.itertuples(index=False):
        row = []
        for key, value in zip(keys, values, strict=True):
            if key in money_keys:
                row.append(format_money(int(value), currency, locale))
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                row.append("")
            elif isinstance(value, pd.Timestamp):
                row.append(value.date().isoformat())
            else:
                row.append(str(value))
        rows.append(row)
    return rows


def render_explanation(explanation: Explanation, locale: str) -> str:
    """A client's ledger as aligned text, amounts in the workbook's locale."""
    cur = explanation.currency
    head = (f"client {explanation.client_id}, as of "
            f"{format_date(explanation.as_of, locale)} ({cur})")
    lines = explanation.lines
    if lines.empty:
        return f"{head}\nno entries"
    table = [["date", "entry", "amount", "balance", "source", "what"]]
    for line in lines.itertuples(index=False):
        table.append([line.date.date().isoformat(), str(line.entry_id),
                      format_money(int(line.amount), cur, locale),
                      format_money(int(line.balance), cur, locale), str(line.source),
                      str(line.description)])
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    out = [head]
    for r in table:
        cells = [r[i].rjust(widths[i]) if i in (2, 3) else r[i].ljust(widths[i])
                 for i in range(5)]
        out.append("  ".join([*cells, r[5]]).rstrip())
    return "\n".join(out)
