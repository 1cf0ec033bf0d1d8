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
    *,
    width: int | None = None,
) -> Table:
    """``frame`` as a table, amounts right-aligned in the workbook's locale, then a totals
    row: ``TOTAL (n <counted>)`` and the exact sum of each money column.

    An amount is never wrapped or cut, nor a word of its heading. Given the ``width`` of
    the terminal, columns of other text that would not fit whole (dates) are left out,
    last first, and the table's caption names them; the first column always stays.
    """
    sums = {c: frame[c].sum() for c in money}
    total = pd.DataFrame({c: [sums.get(c)] for c in frame.columns if c in money})
    body = money_columns(frame, money, currency, locale)
    (foot,) = money_columns(total, money, currency, locale) if len(money) else [[]]
    label = f"TOTAL ({len(frame)} {counted})"
    sums_shown = dict(zip([c for c in frame.columns if c in money], foot, strict=True))
    # each column's cells, its totals row last
    texts = {
        c: [row[i] for row in body] + [sums_shown.get(c, label if i == 0 else "")]
        for i, c in enumerate(frame.columns)
    }
    layout = _Layout(texts, set(money), width)
    table = Table(
        title=title,
        title_justify="left",
        caption=layout.caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, layout.gap - 1),
        collapse_padding=True,
        width=layout.total,
    )
    for column in layout.columns:
        table.add_column(
            column.replace("_", " "),
            justify="right" if column in money else "left",
            width=layout.fixed[column],
            min_width=layout.least(column),
            no_wrap=column in money,
            overflow="fold",
        )
    for n in range(len(frame)):  # workbook text, never markup
        table.add_row(*(Text(texts[c][n]) for c in layout.columns))
    table.add_section()
    table.add_row(*(Text(texts[c][-1], style="bold") for c in layout.columns))
    return table


class _Layout:
    """How a table of ``texts`` (each column's cells) fits ``width``: the columns kept,
    the width of each (None: as rich likes), the spaces between columns, the table's
    width. Amounts never narrow; the first column folds at its spaces, other text
    columns are kept whole or left out, last first."""

    def __init__(self, texts: dict[str, list[str]], money: set[str], width: int | None) -> None:
        self.texts, self.money = texts, money
        self.columns = list(texts)
        self.left_out: list[str] = []
        optional = [c for c in self.columns[1:] if c not in money]
        least = [self.least(c) for c in self.columns]
        while width is not None and optional and _needed(least, 2) > width:
            dropped = optional.pop()
            least.pop(self.columns.index(dropped))
            self.columns.remove(dropped)
            self.left_out.insert(0, dropped.replace("_", " "))
        self.fixed: dict[str, int | None] = dict.fromkeys(self.columns)
        self.total: int | None
        self.gap, self.total = 2, None  # as rich lays it out
        natural = [max([len(c), *map(len, texts[c])]) for c in self.columns]
        if width is not None and _needed(natural, 2) > width:
            # amounts keep their width and what is left goes to the text columns, the
            # first one first; columns move closer before an amount would be cut, and
            # the table is wider than the terminal only when its amounts alone are
            self.gap = 2 if _needed(least, 2) <= width else 1
            widths = dict(zip(self.columns, least, strict=True))
            for c, most in zip(self.columns, natural, strict=True):
                if c not in money:
                    widths[c] += min(
                        most - widths[c], max(0, width - _needed(list(widths.values()), self.gap))
                    )
            self.fixed = dict(widths)
            self.total = max(width, _needed(list(widths.values()), self.gap))

    def least(self, column: str) -> int:
        """The narrowest ``column`` may be: its heading's words and whole cells (the
        first column's words)."""
        heading = [len(w) for w in column.replace("_", " ").split()]
        cells = self.texts[column]
        if column == next(iter(self.texts)):
            cells = [w for cell in cells for w in cell.split()]
        return max([*heading, *map(len, cells)], default=0)

    @property
    def caption(self) -> str | None:
        if not self.left_out:
            return None
        return f"left out to fit the terminal: {', '.join(self.left_out)}"


def _needed(widths: list[int], gap: int) -> int:
    """The width of columns ``widths`` wide, ``gap`` apart, with no edges."""
    return sum(widths) + gap * (len(widths) - 1)
