"""The Payments tab: recording a payment or refund, with the client's balance before and
after."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from practicebook.frontends.jupyter.forms import SchemaForm
from practicebook.frontends.jupyter.markup import issue_html
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook, widgets

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.dashboard import Dashboard
    from practicebook.workbook.writer import Appended


class PaymentsTab(Tab):
    """Record a payment or refund; the client's balance before and after."""

    title = "Payments"
    KEYS = (
        "client_id",
        "received_date",
        "kind",
        "method",
        "amount",
        "reference",
        "applies_to_session_id",
        "refund_of_payment_id",
    )

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = widgets()
        self.form = SchemaForm(self.state, "Payments", self.KEYS, "payment")
        self.form.widget("received_date").value = self.state.result.as_of
        self.before = hook(w.HTML(), "payment-before")
        self.messages = hook(w.HTML(), "payment-messages")
        self.save = hook(
            w.Button(description="Save payment", button_style="primary"), "payment-save"
        )
        self.form.widget("client_id").observe(lambda _c: self.show_before(), names="value")
        self.form.observe(lambda _change: self.validate())
        self.save.on_click(lambda _b: self.save_payment())
        self.box = w.VBox([self.form.box(), self.before, self.save, self.messages])
        self.update()

    def update(self) -> None:
        self.form.refresh_options()
        self.show_before()

    def _balance_text(self, client_id: str) -> str:
        return self.state.money(self.state.balance_of(client_id))

    def show_before(self) -> None:
        """The chosen client's balance now."""
        client = self.form.widget("client_id").value
        self.before.value = (
            f"<div>Balance of {html.escape(client)} now: "
            f"<b>{html.escape(self._balance_text(client))}</b></div>"
            if client
            else ""
        )

    def validate(self) -> bool:
        """Show the core's verdict on the form as it stands; True if it can be saved."""
        from practicebook.core import entry

        row = entry.new_payment(self.state.book, self.form.values())
        self.messages.value = issue_html(row.issues)
        return row.accepted

    def save_payment(self) -> None:
        """Append the payment through the writer; show the balance before and after."""
        from practicebook.workbook import writer

        # the balance before is read from the book as reloaded and checked for this save
        def append() -> tuple[Appended, str, str]:
            values = self.form.values()
            client = str(values.get("client_id", ""))
            before = self._balance_text(client)
            done = writer.add_payment(self.state.path, values, **self.dash.write_options)
            return done, client, before

        saved = self.write_row(self.messages, append, check=self.validate)
        if saved is None:
            return
        done, client, before = saved
        self.form.clear(("amount", "reference"))
        self.messages.value = (
            f"<div class='pb-msg-ok pb-payment-result'>Saved {html.escape(done.row_id)}. "
            f"Balance of {html.escape(client)}: before {html.escape(before)}, after "
            f"<b class='pb-balance-after'>{html.escape(self._balance_text(client))}</b>"
            f"</div>" + issue_html(done.issues)
        )
