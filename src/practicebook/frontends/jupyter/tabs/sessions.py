"""The Sessions tab: entering a new session (warned before it duplicates one already
there), and marking a scheduled session cancelled after showing, in one sentence, the
fee the policy gives it and the day it is charged."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

import pandas as pd
from babel.numbers import format_decimal

from practicebook import schema
from practicebook.frontends.jupyter.forms import CHOOSE, Labels, field_messages, message_style
from practicebook.frontends.jupyter.markup import note
from practicebook.frontends.jupyter.tabs.entry import EntryTab
from practicebook.frontends.jupyter.widgets import hook

if TYPE_CHECKING:
    from practicebook.core.entry import Stamp
    from practicebook.workbook.writer import Appended

#: The fields a save clears: what makes a session this session (the clinician, service
#: and status stay for the next one).
_CLEARED = ("client_id", "scheduled_start", "scheduled_minutes")


class _CancellationRequest(TypedDict):
    """The cancellation as entered: the keyword arguments of the core and the writer."""

    requested_at: object
    by: str
    channel: str


class SessionsTab(EntryTab):
    """New session entry, and marking an existing session as cancelled."""

    title = "Sessions"
    SHEET, NOUN = "Sessions", "session"
    KEYS = (
        "client_id",
        "clinician_id",
        "service_code",
        "scheduled_start",
        "scheduled_minutes",
        "status",
    )

    def build(self, w: Any) -> Any:
        self.build_form(w, {"status": "scheduled"}, self.save_session)
        self.save_anyway = hook(
            w.Button(description="Save anyway", button_style="danger"), "session-save-anyway"
        )
        self.save_anyway.layout.display = "none"
        self.save_anyway.on_click(lambda _b: self.save_session(confirmed=True))
        self.form.observe(lambda _c: self._hide_anyway())
        # cancellation
        self.cancel_session = hook(
            w.Combobox(
                description="Session",
                placeholder=CHOOSE,
                ensure_option=False,
                continuous_update=False,
                layout={"width": "520px"},
                style={"description_width": "140px"},
            ),
            "cancel-session",
        )
        self._cancellable: dict[str, str] = {}
        self.requested_at = hook(
            w.NaiveDatetimePicker(description="Requested at"), "cancel-requested"
        )
        self.cancelled_by = hook(
            w.Dropdown(description="Cancelled by", options=list(self._choices("cancelled_by"))),
            "cancel-by",
        )
        self.channel = hook(
            w.Dropdown(description="Channel", options=list(self._choices("cancel_channel"))),
            "cancel-channel",
        )
        self.preview = hook(w.Button(description="Show fee"), "cancel-preview")
        self.confirm = hook(
            w.Button(description="Save cancellation", button_style="warning", disabled=True),
            "cancel-save",
        )
        self.cancel_messages = hook(w.HTML(), "cancel-messages")
        for widget in (self.cancel_session, self.requested_at, self.cancelled_by, self.channel):
            widget.observe(lambda _c: self._unconfirm(), names="value")
        self.preview.on_click(lambda _b: self.show_fee())
        self.confirm.on_click(lambda _b: self.save_cancellation())
        return w.VBox(
            [
                w.HTML("<h4>New session</h4>"),
                self.form.box(),
                w.HBox([self.save, self.save_anyway]),
                self.messages,
                w.HTML(
                    "<h4>Mark a cancellation</h4><div>Only sessions still scheduled can be "
                    "cancelled; type part of a date, a client or an ID.</div>"
                ),
                self.cancel_session,
                self.requested_at,
                self.cancelled_by,
                self.channel,
                w.HBox([self.preview, self.confirm]),
                self.cancel_messages,
            ]
        )

    @staticmethod
    def _choices(key: str) -> tuple[str, ...]:
        return schema.WORKBOOK.sheet("Sessions").column(key).choices

    def update(self) -> None:
        self.form.refresh_options()
        sessions = self.state.book.sessions
        labels = Labels(self.state).sessions(sessions[sessions["status"] == "scheduled"])
        chosen = self.cancelled_id()
        self._cancellable = {label: sid for sid, label in labels.items()}
        self.cancel_session.options = list(labels.values())
        if chosen is not None and chosen in labels:
            self.cancel_session.value = labels[chosen]
        elif chosen is None and self.cancel_session.value:
            self.cancel_session.value = ""

    # --- a new session ----------------------------------------------------------------

    def _hide_anyway(self) -> None:
        self.save_anyway.layout.display = "none"

    def save_session(self, *, confirmed: bool = False) -> None:
        """Append the session through the writer and show where it went; a session with
        the client, clinician, service and start of one already there is saved only once
        the user confirms it with "Save anyway"."""
        from practicebook.core.edits import duplicate_sessions
        from practicebook.workbook import writer

        if not self.save_checked():
            return
        values = self.form.values()
        same = duplicate_sessions(self.state.book, values)
        if same and not confirmed:
            self.messages.value = message_style() + (
                "<div class='pb-msg-warning pb-session-duplicate'>"
                f"Session {html.escape(', '.join(same))} already has this client, clinician, "
                "service and start. Saving would enter it twice: correct the start, or click "
                "“Save anyway” if this really is a second session.</div>"
            )
            self.save_anyway.layout.display = None
            return
        done: Appended | None = self.write_row(
            self.messages,
            lambda: writer.add_session(self.state.path, values, **self.dash.write_options),
        )
        self._hide_anyway()
        if done is None:
            return
        client = Labels(self.state).client(values.get("client_id", ""))
        self.form.clear(_CLEARED)
        self.show_saved(
            f"Saved session {done.row_id} at {done.sheet} row {done.row} for {client}. "
            "The form is ready for the next session.",
            field_messages(done.issues, self.form, self.layout_of(), only_touched=False),
        )

    # --- a cancellation ---------------------------------------------------------------

    def cancelled_id(self) -> str | None:
        """The session chosen for cancelling (from its label or its ID typed exactly)."""
        text = str(self.cancel_session.value or "").strip()
        if text in self._cancellable:
            return self._cancellable[text]
        ids = {sid.casefold(): sid for sid in self._cancellable.values()}
        return ids.get(text.casefold())

    def _hours(self, hours: Decimal | None) -> str:
        """Notice hours with the workbook's decimal sign (blank without a cancel time)."""
        if hours is None:
            return ""
        return str(format_decimal(hours, locale=self.state.book.settings.locale))

    def _unconfirm(self) -> None:
        self.confirm.disabled = True
        self.cancel_messages.value = ""

    def _stamp_args(self) -> _CancellationRequest:
        return {
            "requested_at": self.requested_at.value,
            "by": self.cancelled_by.value,
            "channel": self.channel.value,
        }

    def fee_sentence(self, stamp: Stamp) -> str:
        """The cancellation in one sentence: the status it gets, the notice, the fee with
        its currency, the day it is charged, and why."""
        settings = self.state.book.settings
        day = self._session_day(stamp.session_id)
        status = str(stamp.values.get("status", "cancelled")).replace("_", " ")
        notice = (
            f" with {self._hours(stamp.notice_hours)} hours' notice" if stamp.notice_hours else ""
        )
        if stamp.fee == 0:
            fee = "no fee is charged"
        else:
            fee = (
                f"a fee of {self.state.money(stamp.fee)} ({settings.currency}) is charged on "
                f"{self.state.day(day)}, the session day"
            )
            if day > self.state.result.as_of:
                fee += (
                    f", so balances as of {self.state.day(self.state.result.as_of)} do not "
                    "show it yet"
                )
        because = f" — {stamp.basis}" if stamp.basis else ""
        return f"Cancelled{notice}, session {stamp.session_id} counts as {status}: {fee}{because}."

    def saved_sentence(self, stamp: Stamp) -> str:
        """What a saved cancellation did, in one sentence."""
        day = self._session_day(stamp.session_id)
        because = f" — {stamp.basis}" if stamp.basis else ""
        if stamp.fee == 0:
            return f"Marked {stamp.session_id} cancelled; no fee{because}."
        fee = self.state.money(stamp.fee)
        currency = self.state.book.settings.currency
        return (
            f"Marked {stamp.session_id} cancelled; fee {fee} ({currency}), charged on "
            f"{self.state.day(day)}, the session day{because}."
        )

    def _session_day(self, session_id: str) -> dt.date:
        sessions = self.state.book.sessions
        start = sessions.loc[sessions["session_id"] == session_id, "scheduled_start"]
        day: dt.date = pd.Timestamp(start.iloc[0]).date()
        return day

    def _not_cancellable(self) -> str | None:
        """Why the text typed names a session that cannot be cancelled (None: it does
        not name one)."""
        text = str(self.cancel_session.value or "").strip().casefold()
        sessions = self.state.book.sessions
        found = sessions[sessions["session_id"].astype(str).str.casefold() == text]
        if not len(found):
            return None
        status = str(found["status"].iloc[0]).replace("_", " ")
        return (
            f"Session {found['session_id'].iloc[0]} is recorded as {status}: only sessions "
            "still scheduled can be cancelled. Correct its status on the Sessions sheet if "
            "it did not take place."
        )

    def show_fee(self) -> None:
        """Show the fee and basis the policy gives this cancellation, before saving."""
        from practicebook.core import entry

        self.dash.refresh()
        sid = self.cancelled_id()
        if not sid:
            why = self._not_cancellable() or "Choose a scheduled session from the list first."
            self.cancel_messages.value = note(why, "error")
            return
        stamp = entry.cancellation_stamp(self.state.book, sid, **self._stamp_args())
        shown = (
            f"<div class='pb-cancel-fee'>{html.escape(self.fee_sentence(stamp))}</div>"
            if stamp.accepted
            else ""
        )
        self.cancel_messages.value = shown + self._issue_words(stamp)
        self.confirm.disabled = not stamp.accepted

    def _issue_words(self, stamp: Stamp) -> str:
        items = "".join(
            f"<li class='pb-msg-{i.severity.value}'>{html.escape(i.message)}."
            + (f" <small>{html.escape(i.hint)}</small>" if i.hint else "")
            + "</li>"
            for i in stamp.issues
        )
        return message_style() + f"<ul class='pb-field-messages'>{items}</ul>" if items else ""

    def save_cancellation(self) -> None:
        """Stamp the cancellation onto the session row through the writer."""
        from practicebook.workbook import writer

        # no check before writing: the button is enabled only once ``show_fee`` has checked
        # this cancellation, and the writer checks it again against the file
        sid = self.cancelled_id()
        if sid is None:
            return
        stamp = self.write_row(
            self.cancel_messages,
            lambda: writer.mark_cancellation(
                self.state.path, sid, **self._stamp_args(), **self.dash.write_options
            ),
        )
        if stamp is None:
            return
        self.cancel_messages.value = note(self.saved_sentence(stamp))
        self.confirm.disabled = True
