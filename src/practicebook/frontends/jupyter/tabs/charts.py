"""The Charts tab: charged vs collected per month, late cancellations and no-shows per
month and weekday, receivables by age; drawn as HTML bars."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from practicebook.core import summary
from practicebook.core.amounts import minor_units
from practicebook.frontends.jupyter.markup import STYLE
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook


class ChartsTab(Tab):
    """Monthly charges vs collected, cancellations by month and weekday, A/R by bucket,
    drawn as HTML bars (no plotting library)."""

    title = "Charts"

    def build(self, w: Any) -> Any:
        self.html = hook(w.HTML(), "charts")
        return w.VBox([self.html])

    @staticmethod
    def _bars(
        rows: list[tuple[str, list[tuple[str, int, str]]]], top: int, color: list[str]
    ) -> str:
        out = ["<table class='pb-chart'>"]
        for label, series in rows:
            bars = "".join(
                f"<div><span class='pb-bar' style='width:{int(240 * v / top) if top else 0}px;"
                f"background:{color[i]}'></span> {html.escape(text)}</div>"
                for i, (_name, v, text) in enumerate(series)
            )
            out.append(f"<tr><td>{html.escape(label)}</td><td>{bars}</td></tr>")
        return "".join(out) + "</table>"

    def update(self) -> None:
        rec = self.state.result
        money = self.state.money
        monthly = summary.monthly_money(rec)
        charged, collected = minor_units(monthly["charged"]), minor_units(monthly["collected"])
        top = int(np.abs(np.r_[charged, collected]).max(initial=0))
        parts = [
            "<h4>Charged vs collected per month</h4>",
            self._bars(
                [
                    (
                        r.month,
                        [
                            ("charged", int(charged[i]), f"charged {money(r.charged)}"),
                            (
                                "collected",
                                max(int(collected[i]), 0),
                                f"collected {money(r.collected)}",
                            ),
                        ],
                    )
                    for i, r in enumerate(monthly.itertuples(index=False))
                ],
                top,
                ["#4a78b5", "#5aa55a"],
            ),
        ]
        for title, counts in (
            ("per month", summary.cancellations_by_month(rec)),
            ("per weekday", summary.cancellations_by_weekday(rec)),
        ):
            peak = int(counts.to_numpy().max(initial=0))
            parts += [
                f"<h4>Late cancellations and no-shows {title}</h4>",
                self._bars(
                    [
                        (
                            str(label),
                            [
                                (
                                    "late",
                                    int(r["late_cancelled"]),
                                    f"late cancelled {int(r['late_cancelled'])}",
                                ),
                                ("no_show", int(r["no_show"]), f"no-show {int(r['no_show'])}"),
                            ],
                        )
                        for label, r in counts.iterrows()
                    ],
                    peak,
                    ["#d08b2c", "#b54a4a"],
                ),
            ]
        aging = summary.aging_totals(rec)
        sizes = minor_units(aging)
        parts += [
            "<h4>Receivables by age (days past due)</h4>",
            self._bars(
                [
                    (str(label), [("open", int(size), money(amount))])
                    for (label, amount), size in zip(aging.items(), sizes, strict=True)
                ],
                int(sizes.max(initial=0)),
                ["#7a5ab5"],
            ),
        ]
        self.html.value = STYLE + "".join(parts)
