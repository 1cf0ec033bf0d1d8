"""The Payments tab: recording a payment or refund, with the client's balance before and
after."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from practicebook.frontends.jupyter.markup import issue_html
from practicebook.frontends.jupyter.tabs.base import FormTab
from practicebook.frontends.jupyter.widgets import hook

if TYPE_CHECKING:
    from practicebook.workbook.writer import Appended


class PaymentsTab(FormTab):
    """Record a payment or refund; the client's balance before and after."""

    title = "Payments"
    SHEET, NOUN = "Payments", "payment"
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

    def build(self, w: Any) -> Any:
        self.build_form(w, {"received_date": self.state.result.as_of}, self.save_payment)
        self.before = hook(w.HTML(), "payment-before")
        self.form.widget("client_id").observe(lambda _c: self.show_before(), names="value")
        return w.VBox([self.form.box(), self.before, self.save, self.messages])

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
