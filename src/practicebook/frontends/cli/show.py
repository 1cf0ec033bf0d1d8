"""Tables for people on a terminal (rich): as wide as the terminal, amounts never cut.

On a terminal, tables take its width; piped or redirected, they take the width they need
(or ``COLUMNS`` when it is set), so no amount is ever wrapped or shortened. Text from a
workbook is shown literally, never as rich markup.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from practicebook.render.text import money_columns

__all__ = ["console", "money_table"]

#: Width of piped output when ``COLUMNS`` is not set: wide enough for any table.
_PIPED_WIDTH = 400


def console(*, stderr: bool = False) -> Console:
    """A console as wide as the terminal, or as wide as its tables when piped."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty() or "COLUMNS" in os.environ
    return Console(
        file=stream, highlight=False, width=None if terminal else _PIPED_WIDTH, soft_wrap=False
    )


def money_table(
    title: str,
    frame: pd.DataFrame,
    money: list[str],
    currency: str,
    locale: str,
    counted: str,
) -> Table:
    """``frame`` as a table, amounts right-aligned in the workbook's locale, then a totals
    row: ``TOTAL (n <counted>)`` and the exact sum of each money column."""
    sums = {c: frame[c].sum() for c in money}
    total = pd.DataFrame({c: [sums.get(c)] for c in frame.columns if c in money})
    body = money_columns(frame, money, currency, locale)
    (foot,) = money_columns(total, money, currency, locale) if len(money) else [[]]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for i, column in enumerate(frame.columns):
        widest = None  # dates and text wrap when the terminal is narrow
        if column in money:  # an amount is never wrapped, and neither is its total
            widest = max([len(row[i]) for row in body] + [len(foot[money.index(column)])])
        elif i == 0:  # nor is the ID that names the row
            widest = max((len(row[i]) for row in body), default=0)
        table.add_column(
            column.replace("_", " "),
            justify="right" if column in money else "left",
            min_width=widest,
            overflow="fold",
        )
    for row in body:
        table.add_row(*(Text(cell) for cell in row))  # workbook text, never markup
    label = f"TOTAL ({len(frame)} {counted})"
    cells = iter(foot)
    table.add_section()
    table.add_row(
        *(
            Text(next(cells) if c in money else (label if i == 0 else ""), style="bold")
            for i, c in enumerate(frame.columns)
        )
    )
    return table
