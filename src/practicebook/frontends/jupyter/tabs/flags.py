"""The Flags tab: every finding with severity, code, cell, client and message; filtered
by severity, code and client; coloured by severity with a legend; sorted and paged."""

from __future__ import annotations

from typing import Any

import pandas as pd

from practicebook.frontends.jupyter.table import Highlight, TableView, where
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook, set_options

#: The filter choice that lets every value through.
ALL = "(all)"
#: Severities worst first, with their colour in the table.
SEVERITIES = (
    ("error", "pb-hl-error", "Error: the figures cannot be trusted until it is fixed"),
    ("warning", "pb-hl-warning", "Warning: check it"),
    ("note", "pb-hl-note", "Note: for information"),
)


class FlagsTab(Tab):
    """Every finding; filter by severity, code and client."""

    title = "Flags"

    def build(self, w: Any) -> Any:
        self.severity = hook(w.Dropdown(description="Severity", options=[ALL]), "flags-severity")
        self.code = hook(w.Dropdown(description="Code", options=[ALL]), "flags-code")
        self.client = hook(w.Dropdown(description="Client", options=[ALL]), "flags-client")
        self.count = hook(w.HTML(), "flags-count")
        self.view = TableView(w, "flags")
        self.table = self.view.html
        for widget in (self.severity, self.code, self.client):
            widget.observe(lambda _c: self.show(), names="value")
        filters = w.HBox([self.severity, self.code, self.client])
        return w.VBox([filters, self.count, self.view.box])

    def update(self) -> None:
        flags = self.state.findings
        present = set(flags["severity"].dropna().astype(str))
        set_options(self.severity, [ALL, *(s for s, _c, _m in SEVERITIES if s in present)], ALL)
        set_options(self.code, [ALL, *sorted(flags["code"].dropna().astype(str).unique())], ALL)
        clients = sorted(flags["client_id"].dropna().astype(str).unique())
        keep = self.client.value
        self.client.options = [(ALL, ALL), *((self.state.client(c), c) for c in clients)]
        self.client.value = keep if keep in clients else ALL
        self.show()

    def rows(self) -> pd.DataFrame:
        """The findings the filters let through (client IDs as in the workbook)."""
        flags = self.state.findings
        keep = pd.Series(True, index=flags.index)
        for widget, column in (
            (self.severity, "severity"),
            (self.code, "code"),
            (self.client, "client_id"),
        ):
            if widget.value not in (ALL, None):
                keep &= flags[column] == widget.value
        shown = flags.loc[keep, ["severity", "code", "sheet", "cell", "client_id", "message"]]
        return shown.assign(cell=shown["sheet"].astype(str) + "!" + shown["cell"].astype(str)).drop(
            columns="sheet"
        )

    def show(self) -> None:
        rows = self.rows()
        total = len(self.state.findings)
        self.count.value = (
            f"<div>{len(rows)} of {total} findings</div>"
            if len(rows) != total
            else f"<div>{total} findings</div>"
        )
        highlights = [
            Highlight(css, meaning, where("severity", severity))
            for severity, css, meaning in SEVERITIES
        ]
        self.view.show(self.state.with_clients(rows), highlights=highlights)
