"""The Flags tab: every finding with code, severity, cell and message, filtered by code
and client."""

from __future__ import annotations

from typing import Any

import pandas as pd

from practicebook.frontends.jupyter.markup import html_table
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook, set_options

#: The filter choice that lets every value through.
ALL = "(all)"


class FlagsTab(Tab):
    """Every finding with code, severity, cell and message; filter by code and client."""

    title = "Flags"

    def build(self, w: Any) -> Any:
        self.code = hook(w.Dropdown(description="Code", options=[ALL]), "flags-code")
        self.client = hook(w.Dropdown(description="Client", options=[ALL]), "flags-client")
        self.table = hook(w.HTML(), "flags-table")
        self.code.observe(lambda _c: self.show(), names="value")
        self.client.observe(lambda _c: self.show(), names="value")
        return w.VBox([w.HBox([self.code, self.client]), self.table])

    def update(self) -> None:
        flags = self.state.findings
        for widget, column in ((self.code, "code"), (self.client, "client_id")):
            set_options(widget, [ALL, *sorted(flags[column].dropna().astype(str).unique())], ALL)
        self.show()

    def rows(self) -> pd.DataFrame:
        """The findings the filters let through."""
        flags = self.state.findings
        keep = pd.Series(True, index=flags.index)
        if self.code.value != ALL:
            keep &= flags["code"] == self.code.value
        if self.client.value != ALL:
            keep &= flags["client_id"] == self.client.value
        shown = flags.loc[keep, ["code", "severity", "sheet", "cell", "client_id", "message"]]
        return shown.assign(cell=shown["sheet"].astype(str) + "!" + shown["cell"].astype(str)).drop(
            columns="sheet"
        )

    def show(self) -> None:
        rows = self.rows()
        self.table.value = f"<div class='pb-flags-count'>{len(rows)} findings</div>" + html_table(
            rows
        )
