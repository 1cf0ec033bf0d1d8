"""The Balances tab: balances and aging as of a chosen day, flagged clients highlighted,
with CSV and XLSX downloads."""

from __future__ import annotations

from typing import Any

import pandas as pd

from practicebook.core import summary
from practicebook.core.amounts import is_money
from practicebook.core.result import Reconciliation
from practicebook.frontends.jupyter.markup import download_link, html_table, xlsx_bytes
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.render.sheets import excel_money_format


class BalancesTab(Tab):
    """Balances and aging as of a chosen day; flagged clients highlighted; downloads."""

    title = "Balances"

    def build(self, w: Any) -> Any:
        self.as_of = hook(
            w.DatePicker(description="As of", value=self.state.result.as_of), "balances-as-of"
        )
        self.table = hook(w.HTML(), "balances-table")
        self.downloads = hook(w.HTML(), "balances-downloads")
        self.as_of.observe(lambda _c: self.update(), names="value")
        return w.VBox([self.as_of, self.downloads, self.table])

    def frame(self) -> tuple[pd.DataFrame, Reconciliation]:
        """Balances joined with aging as of the chosen day (money as exact amounts)."""
        rec = self.state.reconcile_as_of(self.as_of.value)
        aging = rec.aging.drop(columns=["credit", "total"])
        return rec.balances.merge(aging, on="client_id", how="left"), rec

    def update(self) -> None:
        table, rec = self.frame()
        flagged = summary.flagged_clients(rec) | {
            i.client_id for i in self.state.load_issues if i.client_id
        }
        money_cols = [c for c in table.columns if is_money(table[c])]
        self.table.value = html_table(
            table,
            money=money_cols,
            fmt=self.state.money,
            day=self.state.day,
            flagged=lambda r: r["client_id"] in flagged,
        )
        self.downloads.value = " · ".join(
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
