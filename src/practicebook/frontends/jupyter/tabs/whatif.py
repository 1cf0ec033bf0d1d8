"""The What-if tab: the workbook's history replayed under changed policy settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from practicebook.core.simulate import simulate
from practicebook.frontends.jupyter.markup import html_table, note
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook


class WhatIfTab(Tab):
    """Replay the workbook's history under changed policy settings (``simulate``)."""

    title = "What-if"

    def build(self, w: Any) -> Any:
        style = {"description_width": "140px"}

        def number(description: str, name: str) -> Any:
            box = w.Text(description=description, placeholder="unchanged", style=style)
            return hook(box, name)

        self.notice = number("Notice hours", "whatif-notice")
        self.grace = number("Grace count", "whatif-grace")
        self.tier = number("Tier percent", "whatif-tier")
        self.intake = hook(
            w.Dropdown(
                description="Exempt intake", options=["unchanged", "yes", "no"], style=style
            ),
            "whatif-intake",
        )
        self.run = hook(w.Button(description="Compare", button_style="info"), "whatif-run")
        self.result = hook(w.HTML(), "whatif-result")
        self.run.on_click(lambda _b: self.compare())
        return w.VBox([self.notice, self.grace, self.tier, self.intake, self.run, self.result])

    def changes(self) -> tuple[dict[str, object], list[str]]:
        """The policy changes asked for, and what could not be read."""
        changes: dict[str, object] = {}
        errors = []
        for key, widget, read in (
            ("notice_hours", self.notice, Decimal),
            ("grace_count", self.grace, int),
            ("tier_percent", self.tier, Decimal),
        ):
            text = widget.value.strip()
            if not text:
                continue
            try:
                value = read(text)
            except (ArithmeticError, ValueError):
                errors.append(f"{widget.description}: {text!r} is not a number")
                continue
            if value < 0:
                errors.append(f"{widget.description}: must not be negative")
                continue
            changes[key] = value
        if self.intake.value != "unchanged":
            changes["exempt_intake"] = self.intake.value == "yes"
        return changes, errors

    def compare(self) -> None:
        """Run the simulation and show totals and the clients whose fees change."""
        self.dash.refresh()
        changes, errors = self.changes()
        if errors or not changes:
            self.result.value = "".join(note(e, "error") for e in errors) or note(
                "Change at least one setting.", "warning"
            )
            return
        sim = simulate(self.state.book, changes, as_of=self.state.result.as_of)
        t, money = sim.totals, self.state.money
        moved = sim.per_client[sim.per_client["fees_change"] != 0]
        self.result.value = (
            f"<div class='pb-whatif-totals'>Fees {money(t['fees_before'])} → "
            f"{money(t['fees_after'])} (change {money(t['fees_change'])}); clients charged "
            f"{t['clients_charged_before']} → {t['clients_charged_after']}</div>"
            + html_table(
                moved[
                    [
                        "client_id",
                        "fees_before",
                        "fees_after",
                        "fees_change",
                        "charged_before",
                        "charged_after",
                    ]
                ],
                money=("fees_before", "fees_after", "fees_change"),
                fmt=money,
            )
        )
