"""The Charts tab: charged vs collected by month, late cancellations and no-shows by month
and by weekday, receivables by age, charged by clinician, collected by payment method.

Drawn with bqplot: its charts are ipywidgets, so they come with the dashboard's kernel
connection, are served by the local Voilà server (no CDN) and redraw when the workbook
changes. Bar heights are drawn from the amounts as floats (pixels only); what a reader
reads is exact: hovering a bar shows its amount from the core's figures, and each chart
carries its figures as a table. Every figure comes from ``practicebook.core.summary``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from practicebook.core import summary
from practicebook.core.amounts import minor_units
from practicebook.frontends.jupyter.markup import STYLE
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.money import digits

#: Series colours: first, second.
COLOURS = ("#4a78b5", "#5aa55a", "#d08b2c", "#b54a4a", "#7a5ab5")


@dataclass(frozen=True)
class Series:
    """What one chart shows: categories, one or more named series of exact values (money
    as ``Decimal``, counts as ``int``), the text each value reads as, and why the chart
    is empty when it is."""

    categories: list[str]
    names: list[str]
    values: list[list[Any]]  # per series, per category
    texts: list[list[str]]  # per series, per category: what the tooltip and table say
    empty: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.categories or all(not v for row in self.values for v in row)


class Chart:
    """One bqplot bar chart with a tooltip that reads the exact figure, its figures as a
    table, and an empty state that says why."""

    def __init__(self, w: Any, name: str, title: str, axis: str, unit: str) -> None:
        bq = _bqplot()
        self.name, self.title, self.unit = name, title, unit
        # the y domain is set from the data (the front end bqplot ships loses grouped
        # bars' heights when it computes the domain itself)
        self.x, self.y = bq.OrdinalScale(), bq.LinearScale(min=0.0, max=1.0)
        self.tip = w.HTML(layout=w.Layout(padding="2px 6px"))
        self.bars = bq.Bars(
            x=[],
            y=[],
            scales={"x": self.x, "y": self.y},
            type="grouped",
            colors=list(COLOURS),
            display_legend=True,
            tooltip=self.tip,
            padding=0.15,
        )
        self.bars.on_hover(lambda _m, content: self._hover(content))
        axes = [
            bq.Axis(scale=self.x, label=axis),
            bq.Axis(scale=self.y, side="left", label=unit, tick_format=",~r"),
        ]
        self.figure = hook(
            bq.Figure(
                marks=[self.bars],
                axes=axes,
                title=title,
                layout=w.Layout(width="100%", max_width="760px", height="300px"),
                fig_margin={"top": 40, "bottom": 40, "left": 70, "right": 20},
                legend_location="top-right",
            ),
            f"chart-{name}",
        )
        self.figures = hook(w.HTML(), f"chart-{name}-figures")
        self.empty = hook(w.HTML(), f"chart-{name}-empty")
        self.box = hook(w.VBox([self.empty, self.figure, self.figures]), f"chart-{name}-box")
        self.series: Series | None = None

    def show(self, series: Series) -> None:
        self.series = series
        if series.is_empty:
            self.figure.layout.display = "none"
            self.figures.value = ""
            self.empty.value = (
                f"<div class='pb-empty'><b>{html.escape(self.title)}</b>: "
                f"{html.escape(series.empty)}</div>"
            )
            return
        self.empty.value = ""
        self.figure.layout.display = None
        heights = np.array([[float(v) for v in row] for row in series.values], dtype=float)
        with self.bars.hold_sync(), self.y.hold_sync():
            self.y.max = _ceiling(float(heights.max(initial=0.0)))
            self.bars.x = series.categories
            self.bars.y = heights
            self.bars.labels = series.names
            self.bars.display_legend = len(series.names) > 1
        self.figures.value = self._table(series)

    def _table(self, series: Series) -> str:
        head = "".join(f"<th>{html.escape(n)}</th>" for n in series.names)
        rows = "".join(
            f"<tr><td>{html.escape(c)}</td>"
            + "".join(
                f"<td class='pb-money'>{html.escape(texts[i])}</td>" for texts in series.texts
            )
            + "</tr>"
            for i, c in enumerate(series.categories)
        )
        return (
            f"{STYLE}<details class='pb-chart-figures'><summary>Figures</summary>"
            f"<div class='pb-table'><table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div></details>"
        )

    def _hover(self, content: dict[str, Any]) -> None:
        """Show the exact figure of the bar under the pointer."""
        point = content.get("point") or content.get("data") or {}
        if self.series is None or not isinstance(point, dict):
            return
        i = int(point.get("index", 0) or 0)
        j = int(point.get("subIndex", point.get("sub_index", 0)) or 0)
        if not (0 <= i < len(self.series.categories)) or not 0 <= j < len(self.series.names):
            return
        self.tip.value = (
            f"<div class='pb-tooltip'>{html.escape(self.series.categories[i])} · "
            f"{html.escape(self.series.names[j])}: "
            f"<b>{html.escape(self.series.texts[j][i])}</b></div>"
        )


class ChartsTab(Tab):
    """Charged vs collected by month, cancellations by month and weekday, receivables by
    age, charged by clinician, collected by payment method."""

    title = "Charts"
    lazy = True

    def build(self, w: Any) -> Any:
        currency = self.state.book.settings.currency
        self.monthly = Chart(w, "monthly", "Charged and collected by month", "Month", currency)
        self.cancel_month = Chart(
            w,
            "cancel-month",
            "Late cancellations and no-shows by month",
            "Month",
            "sessions",
        )
        self.cancel_weekday = Chart(
            w,
            "cancel-weekday",
            "Late cancellations and no-shows by weekday",
            "Weekday",
            "sessions",
        )
        self.aging = Chart(w, "aging", "Receivables by age", "Days past due", currency)
        self.clinician = Chart(w, "clinician", "Charged by clinician", "Clinician", currency)
        self.method = Chart(w, "method", "Collected by payment method", "Method", currency)
        self.charts = [
            self.monthly,
            self.cancel_month,
            self.cancel_weekday,
            self.aging,
            self.clinician,
            self.method,
        ]
        return w.VBox([c.box for c in self.charts])

    def _money(self, values: pd.Series | Sequence[Any]) -> tuple[list[Any], list[str]]:
        """Exact amounts as drawn (in major units) and as read (the locale's money)."""
        places = digits(self.state.book.settings.currency)
        minor = minor_units(pd.Series(values)) if len(values) else np.array([], dtype=np.int64)
        drawn = [int(m) / 10**places for m in minor]
        return drawn, [self.state.money(v) for v in values]

    def update(self) -> None:
        rec = self.state.result
        day = self.state.day(rec.as_of)
        monthly = summary.monthly_money(rec)
        charged, charged_text = self._money(monthly["charged"])
        collected, collected_text = self._money(monthly["collected"])
        self.monthly.show(
            Series(
                list(monthly["month"]),
                ["Charged", "Collected"],
                [charged, [max(v, 0.0) for v in collected]],
                [charged_text, collected_text],
                "nothing charged or collected yet: sessions and payments appear here by "
                "month once they are entered.",
            )
        )
        for chart, counts in (
            (self.cancel_month, summary.cancellations_by_month(rec)),
            (self.cancel_weekday, summary.cancellations_by_weekday(rec)),
        ):
            late, shows = list(counts["late_cancelled"]), list(counts["no_show"])
            chart.show(
                Series(
                    [str(i) for i in counts.index],
                    ["Late cancelled", "No-show"],
                    [[int(v) for v in late], [int(v) for v in shows]],
                    [[str(int(v)) for v in late], [str(int(v)) for v in shows]],
                    f"no late cancellations or no-shows as of {day}.",
                )
            )
        self._show_money(
            self.aging,
            summary.aging_totals(rec),
            "Open",
            f"nothing is owed as of {day}: every charge is paid.",
            label=_bucket,
        )
        self._show_money(
            self.clinician,
            summary.charged_by_clinician(rec, self.state.book.sessions),
            "Charged",
            "nothing has been charged yet.",
            label=self.state.clinician,
        )
        self._show_money(
            self.method,
            summary.collected_by_method(rec, self.state.book.payments),
            "Collected",
            "no payments have been received yet.",
            label=lambda m: str(m).replace("_", " "),
        )

    def _show_money(
        self,
        chart: Chart,
        totals: pd.Series,
        name: str,
        empty: str,
        label: Callable[[object], str] = str,
    ) -> None:
        drawn, texts = self._money(totals)
        chart.show(
            Series(
                [label(k) for k in totals.index],
                [name],
                [[max(v, 0.0) for v in drawn]],
                [texts],
                empty,
            )
        )


def _bqplot() -> Any:
    """bqplot, imported on first use; its scales package's import-time deprecation
    notices (traitlets metadata) are not this package's to show."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bqplot  # type: ignore[import-untyped]

    return bqplot


def _ceiling(top: float) -> float:
    """A round top for an axis a little above ``top`` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return 1.0
    step = 10 ** np.floor(np.log10(top * 1.05))
    return float(next(m * step for m in (1, 2, 5, 10) if m * step >= top * 1.05))


def _bucket(key: object) -> str:
    """An aging bucket as the chart's axis reads it: ``1-30`` → ``1–30``."""
    text = str(key)
    return "current" if text == "current" else text.replace("-", "–")
