"""The Client ledger tab: one client's ledger, explained line by line, newest first."""

from __future__ import annotations

import html
from typing import Any

from practicebook.frontends.jupyter.table import TableView
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook

#: The client list's first entry: no client chosen yet.
CHOOSE = "choose…"


class LedgerTab(Tab):
    """One client's ledger, explained line by line; newest first unless re-sorted."""

    title = "Client ledger"

    def build(self, w: Any) -> Any:
        self.client = hook(
            w.Combobox(
                description="Client",
                placeholder=CHOOSE,
                options=[],
                ensure_option=True,
            ),
            "ledger-client",
        )
        self.summary = hook(w.HTML(), "ledger-summary")
        self.view = TableView(w, "ledger")
        self.table = self.view.html
        self.client.observe(lambda _c: self.show(), names="value")
        return w.VBox([self.client, self.summary, self.view.box])

    def labels(self) -> dict[str, str]:
        """The client list: how each client is named → its ID."""
        ids = self.state.result.balances["client_id"].astype(str)
        return {self.state.client(c): c for c in ids}

    def update(self) -> None:
        labels = self.labels()
        self.client.options = list(labels)
        if self.client.value not in labels:
            self.client.value = ""
        self.show()

    def chosen(self) -> str:
        """The chosen client's ID ("" when none)."""
        return self.labels().get(self.client.value, "")

    def show(self) -> None:
        client = self.chosen()
        if not client:
            self.summary.value = (
                "<div class='pb-empty'>Choose a client (type a name or an ID) to see "
                "their ledger.</div>"
            )
            self.view.show(self.view.frame.iloc[0:0])
            return
        lines = self.state.result.explain(client).lines
        self.summary.value = (
            f"<div>Balance of {html.escape(self.state.client(client))}: "
            f"<b class='pb-ledger-balance'>"
            f"{html.escape(self.state.money(self.state.balance_of(client)))}</b></div>"
        )
        self.view.show(
            lines,
            sort=("date", True),
            money=("amount", "balance", "open"),
            fmt=self.state.money,
            day=self.state.day,
            totals={"amount": lines["amount"].sum(), "open": lines["open"].sum()},
        )
