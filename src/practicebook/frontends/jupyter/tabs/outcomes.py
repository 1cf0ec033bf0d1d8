"""Recording what happened to past sessions still marked scheduled: one at a time
(attended with its actual minutes, no-show, late-cancelled), or as a reviewed batch
("these 19 past sessions were attended — confirm"). The first step of the month end.

Every change is checked by ``practicebook.core.edits`` and written in one safe write by
``practicebook.workbook.edits.mark_outcomes``; the dashboard reloads after it.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from practicebook.frontends.jupyter.forms import CHOOSE, Labels, message_style
from practicebook.frontends.jupyter.markup import note
from practicebook.frontends.jupyter.widgets import hook

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.tabs.base import Tab

#: The outcomes offered, as the page names them.
OUTCOME_NAMES = {"Attended": "attended", "No-show": "no_show", "Late-cancelled": "late_cancelled"}


class OutcomesPanel:
    """The unresolved sessions through a day, and the widgets that resolve them.

    Args:
        tab: the tab it is shown in (its state, dashboard and ``write_row``).
        w: ipywidgets.
    """

    def __init__(self, tab: Tab, w: Any) -> None:
        self.tab = tab
        self.state = tab.state
        self.through: dt.date = self.state.result.as_of
        self.summary = hook(w.HTML(), "monthend-unresolved")
        # one at a time
        self.session = hook(
            w.Combobox(
                description="Session",
                placeholder=CHOOSE,
                ensure_option=False,
                continuous_update=False,
                layout={"width": "520px"},
                style={"description_width": "120px"},
            ),
            "outcome-session",
        )
        self.outcome = hook(
            w.ToggleButtons(options=list(OUTCOME_NAMES), value="Attended"), "outcome-status"
        )
        self.minutes = hook(
            w.Text(
                description="Actual minutes",
                placeholder="as scheduled",
                style={"description_width": "120px"},
            ),
            "outcome-minutes",
        )
        self.save = hook(
            w.Button(description="Save outcome", button_style="primary"), "outcome-save"
        )
        # the batch
        self.batch = hook(
            w.SelectMultiple(
                description="Attended",
                rows=8,
                layout={"width": "640px"},
                style={"description_width": "120px"},
            ),
            "outcome-batch",
        )
        self.review = hook(
            w.Button(description="Mark selected as attended…", icon="list"), "outcome-batch-review"
        )
        self.confirm_text = hook(w.HTML(), "outcome-batch-question")
        self.confirm = hook(
            w.Button(description="Confirm", button_style="success", icon="check"),
            "outcome-batch-confirm",
        )
        self.cancel = hook(w.Button(description="Cancel"), "outcome-batch-cancel")
        self.confirm_box = w.VBox([self.confirm_text, w.HBox([self.confirm, self.cancel])])
        self.confirm_box.layout.display = "none"
        self.messages = hook(w.HTML(), "outcome-messages")
        self._labels: dict[str, str] = {}
        self.outcome.observe(lambda _c: self._minutes_enabled(), names="value")
        self.save.on_click(lambda _b: self.save_one())
        self.review.on_click(lambda _b: self.ask())
        self.confirm.on_click(lambda _b: self.save_batch())
        self.cancel.on_click(lambda _b: self._hide_question())
        self.box = w.VBox(
            [
                self.summary,
                w.HTML("<b>One at a time</b>"),
                self.session,
                self.outcome,
                self.minutes,
                self.save,
                w.HTML(
                    "<b>As a batch</b><div>Select the sessions that took place as scheduled "
                    "(all are selected; Ctrl-click to leave one out), review, confirm.</div>"
                ),
                self.batch,
                self.review,
                self.confirm_box,
                self.messages,
            ]
        )

    def unresolved(self) -> pd.DataFrame:
        """The sessions on or before ``through`` still marked scheduled, oldest first."""
        from practicebook.core.edits import unresolved_sessions

        cutoff = min(self.through + dt.timedelta(days=1), self.state.result.as_of)
        return unresolved_sessions(self.state.book, cutoff)

    def update(self, through: dt.date) -> None:
        """Show the unresolved sessions on or before ``through``."""
        self.through = through
        open_ = self.unresolved()
        labels = Labels(self.state).sessions(open_)
        self._labels = {label: sid for sid, label in labels.items()}
        self.session.options = list(labels.values())
        if self.session.value not in self._labels:
            self.session.value = ""
        self.batch.options = list(labels.values())
        self.batch.value = tuple(labels.values())
        self._hide_question()
        count = len(open_)
        self.summary.value = (
            f"<div class='pb-step-status'>{count} past session{'s' if count != 1 else ''} "
            f"on or before {html.escape(self.state.day(through))} "
            f"{'are' if count != 1 else 'is'} still marked scheduled.</div>"
            if count
            else "<div class='pb-step-status pb-msg-ok'>✓ Every past session has an outcome.</div>"
        )

    def _minutes_enabled(self) -> None:
        self.minutes.disabled = OUTCOME_NAMES[self.outcome.value] != "attended"
        if self.minutes.disabled:
            self.minutes.value = ""

    def _chosen(self) -> str | None:
        text = str(self.session.value or "").strip()
        if text in self._labels:
            return self._labels[text]
        ids = {sid.casefold(): sid for sid in self._labels.values()}
        return ids.get(text.casefold())

    def save_one(self) -> None:
        """Record the chosen session's outcome."""
        sid = self._chosen()
        if sid is None:
            self.messages.value = note("Choose a session from the list first.", "error")
            return
        status = OUTCOME_NAMES[self.outcome.value]
        minutes = self.minutes.value.strip() or None
        if self._write([(sid, status, minutes)]):
            self.minutes.value = ""
            self.messages.value = note(f"Saved: session {sid} marked {self.outcome.value.lower()}.")

    def ask(self) -> None:
        """The reviewed batch: say what will be recorded and wait for a confirmation."""
        chosen = [self._labels[label] for label in self.batch.value]
        if not chosen:
            self.messages.value = note("Select at least one session.", "error")
            return
        items = "".join(f"<li>{html.escape(label)}</li>" for label in self.batch.value)
        self.confirm_text.value = (
            f"<div class='pb-msg-warning'>These {len(chosen)} past sessions were attended, "
            "for their scheduled minutes — confirm:</div>"
            f"<ul class='pb-batch-list'>{items}</ul>"
        )
        self.confirm_box.layout.display = None

    def _hide_question(self) -> None:
        self.confirm_box.layout.display = "none"
        self.confirm_text.value = ""

    def save_batch(self) -> None:
        """Mark every selected session attended, in one write."""
        chosen = [self._labels[label] for label in self.batch.value if label in self._labels]
        if self._write([(sid, "attended", None) for sid in chosen]):
            self.messages.value = note(f"Saved: {len(chosen)} sessions marked attended.")

    def _write(self, outcomes: list[tuple[str, str, object]]) -> bool:
        from practicebook.core.edits import mark_outcomes
        from practicebook.workbook import edits

        self.tab.dash.refresh()
        planned = mark_outcomes(self.state.book, outcomes)
        refused = [i for e in planned if not e.accepted for i in e.issues]
        if refused:
            self.messages.value = message_style() + "".join(
                f"<div class='pb-msg-error'>{html.escape(i.message)}. "
                f"<small>{html.escape(i.hint)}</small></div>"
                for i in refused
            )
            return False
        done = self.tab.write_row(
            self.messages,
            lambda: edits.mark_outcomes(self.state.path, outcomes, **self.tab.dash.write_options),
        )
        return done is not None
