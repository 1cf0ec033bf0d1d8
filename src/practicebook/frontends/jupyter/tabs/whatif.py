"""The What-if tab: the workbook's history under changed policy settings (``simulate``),
with the policy's current values beside each input."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pandas as pd
from babel.numbers import format_decimal

from practicebook.core.simulate import (
    Simulation,
    changed_tiers,
    policy_settings,
    simulate,
    typed_changes,
)
from practicebook.frontends.jupyter.markup import html_table, note
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook, set_options

#: The policy choice that changes every policy.
EVERY = "every policy"
MODES = {
    "Replay: statuses follow the policy": "replay",
    "Recorded: statuses as recorded": "recorded",
}
_MODE_NOTES = {
    "replay": "Each client cancellation with a cancel time gets the status each policy gives "
    "its notice, as if that policy had been applied; fees follow.",
    "recorded": "Recorded statuses are kept, and the recorded status decides the fee: a "
    "changed notice period changes findings (status-mismatch), not fees.",
}


class WhatIfTab(Tab):
    """Replay the workbook's history under changed policy settings and compare."""

    title = "What-if"

    def build(self, w: Any) -> Any:
        style = {"description_width": "140px"}

        def field(description: str, name: str, widget: Any = None) -> tuple[Any, Any]:
            box = widget or w.Text(description=description, placeholder="unchanged", style=style)
            return hook(box, f"whatif-{name}"), hook(w.HTML(), f"whatif-{name}-now")

        self.mode = hook(
            w.Dropdown(description="Mode", options=list(MODES.items()), style=style),
            "whatif-mode",
        )
        self.policy = hook(
            w.Dropdown(description="Policy", options=[EVERY], style=style), "whatif-policy"
        )
        self.notice, self.notice_now = field("Notice hours", "notice")
        self.grace, self.grace_now = field("Grace count", "grace")
        self.tier, self.tier_now = field("Tier percent", "tier")
        self.intake, self.intake_now = field(
            "Exempt intake",
            "intake",
            w.Dropdown(
                description="Exempt intake", options=["unchanged", "yes", "no"], style=style
            ),
        )
        self.mode_note = hook(w.HTML(), "whatif-mode-note")
        self.run = hook(w.Button(description="Compare", button_style="info"), "whatif-run")
        self.result = hook(w.HTML(), "whatif-result")
        self.run.on_click(lambda _b: self.compare())
        self.policy.observe(lambda _c: self.show_policy(), names="value")
        self.mode.observe(lambda _c: self.show_policy(), names="value")
        rows = [
            w.HBox([widget, now])
            for widget, now in (
                (self.notice, self.notice_now),
                (self.grace, self.grace_now),
                (self.tier, self.tier_now),
                (self.intake, self.intake_now),
            )
        ]
        return w.VBox([self.mode, self.mode_note, self.policy, *rows, self.run, self.result])

    def update(self) -> None:
        ids = [str(p) for p in self.state.book.policies["policy_id"].dropna()]
        set_options(self.policy, [EVERY, *ids], EVERY)
        self.show_policy()

    def _policy_id(self) -> str | None:
        return None if self.policy.value == EVERY else str(self.policy.value)

    def _number(self, value: object) -> str:
        if value is None or pd.isna(value):
            return "blank"
        return str(format_decimal(Decimal(str(value)), locale=self.state.book.settings.locale))

    def show_policy(self) -> None:
        """The current value of each setting beside its input, and which tiers a tier
        percentage changes."""
        book, chosen = self.state.book, self._policy_id()
        now = policy_settings(book, chosen)

        def values(key: str, show: Any) -> str:
            listed = "; ".join(
                f"{html.escape(str(p))} {html.escape(show(v))}"
                for p, v in zip(now["policy_id"], now[key], strict=True)
            )
            return f"<span class='pb-now'>now: {listed or 'no policy'}</span>"

        self.notice_now.value = values("notice_hours", lambda v: f"{self._number(v)} h")
        self.grace_now.value = values("grace_count", self._number)
        self.intake_now.value = values("exempt_intake", lambda v: "yes" if v is True else "no")
        tiers = changed_tiers(book, chosen)
        listed = "; ".join(
            f"{html.escape(str(t.policy_id))} {html.escape(str(t.applies_to))} "
            f"{html.escape(str(t.band))} (PolicyTiers row {t.row}, now "
            f"{html.escape(self._number(t.percent))}%)"
            for t in tiers.itertuples(index=False)
        )
        self.tier_now.value = (
            f"<span class='pb-now'>changes {listed}</span>"
            if listed
            else "<span class='pb-now'>no percent tier to change</span>"
        )
        self.mode_note.value = f"<small>{html.escape(_MODE_NOTES[self.mode.value])}</small>"

    def changes(self) -> tuple[dict[str, object], list[str]]:
        """The policy changes asked for, read in the workbook's locale, and what could
        not be read."""
        widgets = {"notice_hours": self.notice, "grace_count": self.grace}
        widgets["tier_percent"] = self.tier
        typed = {key: str(widget.value) for key, widget in widgets.items()}
        changes, problems = typed_changes(typed, self.state.book.settings.locale)
        errors = [f"{widgets[key].description}: {why}" for key, why in problems.items()]
        if self.intake.value != "unchanged":
            changes["exempt_intake"] = self.intake.value == "yes"
        return changes, errors

    def compare(self) -> None:
        """Run the simulation; show totals, the clients and sessions that change, and
        the findings that change."""
        self.dash.refresh()
        changes, errors = self.changes()
        if errors or not changes:
            self.result.value = "".join(note(e, "error") for e in errors) or note(
                "Change at least one setting.", "warning"
            )
            return
        sim = simulate(
            self.state.book,
            changes,
            mode=self.mode.value,
            policy_id=self._policy_id(),
            as_of=self.state.result.as_of,
        )
        self.result.value = self._totals(sim) + self._tables(sim)

    def _totals(self, sim: Simulation) -> str:
        t, money = sim.totals, self.state.money
        change = money(t["fees_change"])
        lines = [
            f"Fees under the current policy {money(t['fees_before'])} → under the changed "
            f"policy {money(t['fees_after'])} (change "
            f"{'+' if Decimal(t['fees_change']) > 0 else ''}{change})",
            f"{t['sessions_changed']} sessions change status, {t['sessions_repriced']} "
            f"change fee; clients charged {t['clients_charged_before']} → "
            f"{t['clients_charged_after']} ({t['clients_newly_charged']} newly charged, "
            f"{t['clients_no_longer_charged']} no longer charged)",
        ]
        if t["fees_recorded"] != t["fees_before"]:
            lines.append(
                f"The books as recorded charge {money(t['fees_recorded'])}: some recorded "
                "statuses differ from what the current policy gives (see status-mismatch)."
            )
        return "".join(f"<div class='pb-whatif-totals'>{html.escape(line)}</div>" for line in lines)

    def _tables(self, sim: Simulation) -> str:
        money, day = self.state.money, self.state.day
        per = sim.per_client
        moved = per[(per["fees_change"] != 0).to_numpy() | (per["sessions_changed"] > 0)]
        fees = ("fees_before", "fees_after", "fees_change")
        shown = moved[["client_id", *fees, "sessions_changed", "charged_before", "charged_after"]]
        shown = shown.assign(newly_charged=["yes" if n else "" for n in moved["newly_charged"]])
        out = "<h4>Clients</h4>" + html_table(
            shown, money=fees, fmt=money, day=day, flagged=lambda r: r["newly_charged"] == "yes"
        )
        columns = ["session_id", "client_id", "date", "notice_hours", "status_before"]
        columns += ["status_after", "fee_before", "fee_after", "basis"]
        sessions = sim.sessions[columns]
        sessions = sessions.assign(
            notice_hours=["" if h is None else self._number(h) for h in sessions["notice_hours"]]
        )
        out += "<h4>Sessions</h4>" + html_table(
            sessions, money=("fee_before", "fee_after"), fmt=money, day=day
        )
        flags = sim.flags[sim.flags["change"] != 0]
        return out + "<h4>Findings</h4>" + html_table(flags)
