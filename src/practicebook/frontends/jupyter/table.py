"""The dashboard's tables: human headers, a totals row, a legend for every highlight,
sorting and paging, dates and amounts that do not wrap.

``render`` turns one page of a frame into HTML (pure, escaped: it is what the tests read);
``TableView`` owns the widgets around it (sort column, order, page buttons) and keeps
the frame it shows, so sorting and paging never recompute the figures.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from practicebook.frontends.jupyter.markup import STYLE, cell_text, is_blank
from practicebook.frontends.jupyter.widgets import hook

__all__ = ["AS_LISTED", "Highlight", "TableView", "header", "render", "where"]

#: The sort choice that keeps the table's own order (sheet and row, date…).
AS_LISTED = "(as listed)"

#: Words written otherwise than capitalised in a header.
_WORDS = {"id": "ID", "phi": "PHI", "npi": "NPI", "cpt": "CPT", "gfe": "GFE"}
#: Headers that say more than the column's key.
_HEADERS = {
    "client_id": "Client",
    "clinician_id": "Clinician",
    "session_id": "Session",
    "payment_id": "Payment",
    "entry_id": "Entry",
    "row_id": "Row",
    "cell": "Cell",
    "1-30": "1–30 days",
    "31-60": "31–60 days",
    "61-90": "61–90 days",
    "91-120": "91–120 days",
    "120+": "Over 120 days",
    "current": "Current",
}


def header(column: object) -> str:
    """The column's header as people read it: ``oldest_open_date`` → ``Oldest open date``,
    ``client_id`` → ``Client``."""
    key = str(column)
    if key in _HEADERS:
        return _HEADERS[key]
    words = [_WORDS.get(w, w) for w in key.split("_") if w]
    if not words:
        return key
    first = words[0] if words[0] in _WORDS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


@dataclass(frozen=True)
class Highlight:
    """Rows a table colours, and what the colour means (shown in the legend).

    ``css`` is one of the classes the style sheet colours: ``pb-hl-error``,
    ``pb-hl-warning``, ``pb-hl-note``, ``pb-hl-new``.
    """

    css: str
    meaning: str
    test: Callable[[Mapping[str, Any]], bool] = field(compare=False)


def where(column: str, value: object) -> Callable[[Mapping[str, Any]], bool]:
    """A highlight's test: the row's ``column`` is ``value``."""
    return lambda row: bool(row.get(column) == value)


def _legend(highlights: Iterable[Highlight], counts: Mapping[str, int]) -> str:
    items = [
        f"<span class='pb-legend-item'><span class='pb-swatch {h.css}'></span>"
        f"{html.escape(h.meaning)} ({counts.get(h.css, 0)})</span>"
        for h in highlights
    ]
    return f"<div class='pb-legend'>{''.join(items)}</div>" if items else ""


def render(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    fmt: Callable[[object], str] = str,
    day: Callable[[dt.date], str] = dt.date.isoformat,
    highlights: Iterable[Highlight] = (),
    totals: Mapping[str, object] | None = None,
    counts: Mapping[str, int] | None = None,
    hidden: Iterable[str] = (),
) -> str:
    """One page of a table as HTML: human headers, money right-aligned through ``fmt``,
    days through ``day``, each row in the first highlight it matches, a totals row
    (``totals``: column → value; the first column says "Total") and the legend (with how
    many rows of the whole table each highlight marks: ``counts``). ``hidden`` columns
    are not shown; the highlights may test them."""
    money, highlights, hidden = set(money), list(highlights), set(hidden)
    columns = [c for c in frame.columns if c not in hidden]
    head = "".join(
        f"<th class='{'pb-money' if c in money else ''}' data-key='{html.escape(str(c))}'>"
        f"{html.escape(header(c))}</th>"
        for c in columns
    )
    rows = []
    for record in frame.to_dict("records"):
        css = next((h.css for h in highlights if h.test(record)), "")
        shown_cells = {c: record[c] for c in columns}
        rows.append(f"<tr class='{css}'>{_cells(shown_cells, money, fmt, day)}</tr>")
    foot = ""
    if totals is not None and columns:
        shown = {str(columns[0]): "Total", **{str(k): v for k, v in totals.items()}}
        cells = _cells({c: shown.get(str(c)) for c in columns}, money, fmt, day)
        foot = f"<tfoot><tr class='pb-total'>{cells}</tr></tfoot>"
    return (
        f"{STYLE}{_legend(highlights, counts or {})}<div class='pb-table'><table>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>{foot}</table></div>"
    )


def _cells(
    record: Mapping[str, Any],
    money: set[str],
    fmt: Callable[[object], str],
    day: Callable[[dt.date], str],
) -> str:
    cells = []
    for col, value in record.items():
        if col in money and not isinstance(value, str):
            shown = "" if is_blank(value) else fmt(value)
            cells.append(f"<td class='pb-money'>{html.escape(shown)}</td>")
        elif isinstance(value, pd.Timestamp | dt.date):
            cells.append(f"<td class='pb-date'>{html.escape(cell_text(value, day))}</td>")
        else:
            cells.append(f"<td>{html.escape(cell_text(value, day))}</td>")
    return "".join(cells)


class TableView:
    """A table with its sort column, order and page buttons.

    ``show`` gives it a frame (the whole table); the widgets sort and page it. The first
    sort is ``sort`` (a column, ``descending``); ``page_size`` rows a page.
    """

    def __init__(self, w: Any, name: str, *, page_size: int = 50) -> None:
        self.page_size = page_size
        self.page = 0
        self.frame = pd.DataFrame()
        self.options: dict[str, Any] = {}
        self.sort_by = hook(w.Dropdown(description="Sort by", options=[]), f"{name}-sort")
        self.order = hook(
            w.ToggleButtons(options=["ascending", "descending"], value="ascending"),
            f"{name}-order",
        )
        self.order.style.button_width = "90px"
        self.previous = hook(w.Button(description="Previous", icon="chevron-left"), f"{name}-prev")
        self.next = hook(w.Button(description="Next", icon="chevron-right"), f"{name}-next")
        self.position = hook(w.HTML(), f"{name}-position")
        self.html = hook(w.HTML(), f"{name}-table")
        self.sort_by.observe(lambda _c: self._first_page(), names="value")
        self.order.observe(lambda _c: self._first_page(), names="value")
        self.previous.on_click(lambda _b: self._turn(-1))
        self.next.on_click(lambda _b: self._turn(1))
        controls = w.HBox([self.sort_by, self.order, self.previous, self.position, self.next])
        self.box = w.VBox([controls, self.html])

    def show(
        self,
        frame: pd.DataFrame,
        *,
        sort: tuple[str, bool] | None = None,
        **options: Any,
    ) -> None:
        """Show ``frame`` (``options`` as ``render`` takes them); keep the reader's sort
        when the frame has the same columns, else sort by ``sort``."""
        same = list(frame.columns) == list(self.frame.columns)
        self.frame, self.options = frame, options
        hidden = set(options.get("hidden", ()))
        labels = [(header(c), str(c)) for c in frame.columns if c not in hidden]
        if not same:
            self.sort_by.options = [(AS_LISTED, ""), *labels]
            self.sort_by.value = sort[0] if sort is not None else ""
            if sort is not None:
                self.order.value = "descending" if sort[1] else "ascending"
        self.page = min(self.page, self.pages - 1)
        self.draw()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.frame) // self.page_size))

    def rows(self) -> pd.DataFrame:
        """The whole table in the chosen order."""
        key = self.sort_by.value
        if not key or key not in self.frame.columns or self.frame.empty:
            return self.frame
        return self.frame.sort_values(
            key, ascending=self.order.value == "ascending", na_position="last", kind="stable"
        )

    def draw(self) -> None:
        ordered = self.rows()
        start = self.page * self.page_size
        shown = ordered.iloc[start : start + self.page_size]
        highlights = self.options.get("highlights", ())
        counts = {
            h.css: sum(1 for r in ordered.to_dict("records") if h.test(r)) for h in highlights
        }
        self.html.value = render(shown, counts=counts, **self.options)
        total = len(ordered)
        first = start + 1 if total else 0
        self.position.value = (
            f"<span class='pb-position'>Rows {first}–{start + len(shown)} of {total}</span>"
        )
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    def _first_page(self) -> None:
        self.page = 0
        self.draw()

    def _turn(self, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))
        self.draw()
