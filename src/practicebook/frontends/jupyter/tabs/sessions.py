"""The Sessions tab: entering a new session, and marking one as cancelled after showing
the fee the policy gives it."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from babel.numbers import format_decimal

from practicebook import schema
from practicebook.frontends.jupyter.markup import issue_html, note
from practicebook.frontends.jupyter.tabs.base import FormTab
from practicebook.frontends.jupyter.widgets import hook, set_options

if TYPE_CHECKING:
    from practicebook.workbook.writer import Appended


class _CancellationRequest(TypedDict):
    """The cancellation as entered: the keyword arguments of the core and the writer."""

    requested_at: object
    by: str
    channel: str


class SessionsTab(FormTab):
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
        # cancellation
        self.cancel_session = hook(
            w.Dropdown(description="Session", options=[""]), "cancel-session"
        )
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
                w.HTML("<b>New session</b>"),
                self.form.box(),
                self.save,
                self.messages,
                w.HTML("<b>Mark cancellation</b>"),
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
        set_options(self.cancel_session, ["", *self.state.ids("Sessions", "session_id")], "")

    def save_session(self) -> None:
        """Append the session through the writer and show where it went."""
        from practicebook.workbook import writer

        def append() -> Appended:
            values = self.form.values()
            return writer.add_session(self.state.path, values, **self.dash.write_options)

        done = self.write_row(self.messages, append, check=self.validate)
        if done is None:
            return
        self.messages.value = note(
            f"Saved session {done.row_id} at {done.sheet} row {done.row}."
        ) + issue_html(done.issues)

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

    def show_fee(self) -> None:
        """Show the fee and basis the policy gives this cancellation, before saving."""
        from practicebook.core import entry

        self.dash.refresh()
        sid = self.cancel_session.value
        if not sid:
            self.cancel_messages.value = note("Choose a session first.", "error")
            return
        stamp = entry.cancellation_stamp(self.state.book, sid, **self._stamp_args())
        self.cancel_messages.value = (
            f"<div class='pb-cancel-fee'>Notice {html.escape(self._hours(stamp.notice_hours))} h; "
            f"fee {html.escape(self.state.money(stamp.fee))}: {html.escape(str(stamp.basis))}</div>"
            + issue_html(stamp.issues)
        )
        self.confirm.disabled = not stamp.accepted

    def save_cancellation(self) -> None:
        """Stamp the cancellation onto the session row through the writer."""
        from practicebook.workbook import writer

        # no check before writing: the button is enabled only once ``show_fee`` has checked
        # this cancellation, and the writer checks it again against the file
        sid = self.cancel_session.value
        stamp = self.write_row(
            self.cancel_messages,
            lambda: writer.mark_cancellation(
                self.state.path, sid, **self._stamp_args(), **self.dash.write_options
            ),
        )
        if stamp is None:
            return
        self.cancel_messages.value = note(
            f"Marked {sid} cancelled; fee {self.state.money(stamp.fee)} ({stamp.basis})."
        )
        self.confirm.disabled = True
