"""The Balances tab: balances and aging as of a chosen day, clients named as the practice
allows, a totals row, clients with findings highlighted (with a legend), sorting and
paging, and CSV and XLSX downloads (client IDs only)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from practicebook.core.amounts import is_money
from practicebook.core.result import Reconciliation
from practicebook.frontends.jupyter.markup import download_link, xlsx_bytes
from practicebook.frontends.jupyter.table import Highlight, TableView, where
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.render.sheets import excel_money_format

#: Highlighted severities, worst first, and what the legend says of them.
SEVERITIES = (
    ("error", "pb-hl-error", "Client has an error finding"),
    ("warning", "pb-hl-warning", "Client has a warning"),
)


class BalancesTab(Tab):
    """Balances and aging as of a chosen day; clients with findings highlighted; totals;
    downloads."""

    title = "Balances"

    def build(self, w: Any) -> Any:
        self.as_of = hook(
            w.DatePicker(description="As of", value=self.state.result.as_of), "balances-as-of"
        )
        self.view = TableView(w, "balances")
        self.table = self.view.html
        self.downloads = hook(w.HTML(), "balances-downloads")
        self.as_of.observe(lambda _c: self.update(), names="value")
        return w.VBox([w.HBox([self.as_of, self.downloads]), self.view.box])

    def frame(self) -> tuple[pd.DataFrame, Reconciliation]:
        """Balances joined with aging as of the chosen day (money as exact amounts)."""
        rec = self.state.reconcile_as_of(self.as_of.value)
        aging = rec.aging.drop(columns=["credit", "total"])
        return rec.balances.merge(aging, on="client_id", how="left"), rec

    def worst(self, rec: Reconciliation) -> dict[str, str]:
        """Client ID → the worst severity among its findings (errors and warnings only)."""
        found = pd.concat(
            [
                rec.flags[["client_id", "severity"]],
                self.state.findings[["client_id", "severity"]],
            ]
        ).dropna(subset=["client_id"])
        worst: dict[str, str] = {}
        for severity, _css, _meaning in reversed(SEVERITIES):
            for cid in found.loc[found["severity"] == severity, "client_id"].astype(str):
                worst[cid] = severity
        return worst

    def update(self) -> None:
        table, rec = self.frame()
        money_cols = [c for c in table.columns if is_money(table[c])]
        worst = self.worst(rec)
        shown = table.assign(_severity=table["client_id"].astype(str).map(worst))
        shown = self.state.with_clients(shown)
        highlights = [
            Highlight(css, meaning, where("_severity", severity))
            for severity, css, meaning in SEVERITIES
        ]
        self.view.show(
            shown,
            sort=("balance", True),
            money=money_cols,
            fmt=self.state.money,
            day=self.state.day,
            highlights=highlights,
            totals={c: table[c].sum() for c in money_cols},
            hidden=("_severity",),
        )
        self.downloads.value = " ".join(
            [
                download_link(
                    self._csv(table),
                    f"balances-{rec.as_of}.csv",
                    "text/csv",
                    "Download CSV",
                ),
                download_link(
                    self._xlsx(table, money_cols, rec.currency),
                    f"balances-{rec.as_of}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "Download XLSX",
                ),
            ]
        )

    @staticmethod
    def _csv(table: pd.DataFrame) -> bytes:
        """Exact amounts with the currency's digits (``770.00``), days as ISO dates."""
        data: bytes = table.to_csv(index=False, date_format="%Y-%m-%d").encode()
        return data

    def _xlsx(self, table: pd.DataFrame, money_cols: list[str], currency: str) -> bytes:
        return xlsx_bytes(
            table.astype({c: object for c in money_cols}),
            "Balances",
            money_cols,
            excel_money_format(currency, self.state.book.settings.locale),
        )
