"""Findings and tables as text for people: the standard issue layout, a summary line,
frames with money and dates in the workbook's locale.

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

from practicebook.core.amounts import is_money, minor_units
from practicebook.core.wording import date_texts, money_texts
from practicebook.issues import Issue, Severity, sort_issues
from practicebook.money import to_minor

__all__ = ["money_columns", "render_issue", "render_issues", "summary_line"]


def render_issue(issue: Issue) -> str:
    """The standard three-part layout: where and what, an excerpt of the row, the fix."""
    lines = [f"{issue.where}: {issue.severity.value}: {issue.message} [{issue.code.value}]"]
    if issue.excerpt:
        heads = [h for h, _ in issue.excerpt]
        cells = [v for _, v in issue.excerpt]
        widths = [max(len(h), len(c)) for h, c in zip(heads, cells, strict=True)]
        lines.append(
            "  | " + " | ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + " |"
        )
        lines.append(
            "  | " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
        )
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
    return "\n\n".join(blocks)


def money_columns(
    frame: pd.DataFrame, columns: Iterable[str], currency: str, locale: str
) -> list[list[str]]:
    """Rows of a frame as text for people: the named money columns (exact amounts,
    ``Decimal`` objects or integer minor units) and every date in the workbook's locale.

    Every other column is shown as text; blanks become empty strings.
    """
    money_keys = set(columns)
    texts = []
    for key in frame.columns:
        column = frame[key]
        if key in money_keys:
            words = money_texts(_minor(column, currency), currency, locale)
            words[column.isna().to_numpy()] = ""
            texts.append(words.tolist())
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            texts.append(date_texts(column.to_numpy(dtype="datetime64[ns]"), locale).tolist())
        else:
            texts.append(["" if _blank(v) else str(v) for v in column.tolist()])
    return [list(row) for row in zip(*texts, strict=True)] if texts else [[] for _ in frame.index]


def _minor(column: pd.Series, currency: str) -> np.ndarray:
    """A money column as minor units: exact amounts, ``Decimal`` objects or integers."""
    if is_money(column):
        return minor_units(column)
    if pd.api.types.is_integer_dtype(column.dtype):
        minor: np.ndarray = column.to_numpy(dtype=np.int64, na_value=0)
        return minor
    return np.array(
        [0 if _blank(v) else to_minor(Decimal(v), currency) for v in column.tolist()],
        dtype=np.int64,
    )


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
