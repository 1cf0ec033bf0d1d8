"""The Client ledger tab: one client's ledger, explained line by line."""

from __future__ import annotations

import html
from typing import Any

from practicebook.frontends.jupyter.markup import html_table
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook, set_options


class LedgerTab(Tab):
    """One client's ledger, explained line by line."""

    title = "Client ledger"

    def build(self, w: Any) -> Any:
        self.client = hook(w.Dropdown(description="Client", options=[""]), "ledger-client")
        self.table = hook(w.HTML(), "ledger-table")
        self.client.observe(lambda _c: self.show(), names="value")
        return w.VBox([self.client, self.table])

    def update(self) -> None:
        set_options(self.client, ["", *self.state.result.balances["client_id"].astype(str)], "")
        self.show()

    def show(self) -> None:
        client = self.client.value
        if not client:
            self.table.value = ""
            return
        lines = self.state.result.explain(client).lines
        self.table.value = (
            f"<div>Balance of {html.escape(client)}: "
            f"<b class='pb-ledger-balance'>"
            f"{html.escape(self.state.money(self.state.balance_of(client)))}</b></div>"
            + html_table(
                lines,
                money=("amount", "balance", "open"),
                fmt=self.state.money,
                day=self.state.day,
            )
        )
