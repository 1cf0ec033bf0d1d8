"""Findings and tables as text for people: the standard issue layout, a summary line,
frames with money in the workbook's locale.

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from practicebook.issues import Issue, Severity, sort_issues
from practicebook.l10n import format_money

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
