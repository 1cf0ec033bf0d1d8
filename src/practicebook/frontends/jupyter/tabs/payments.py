"""The Payments tab: recording a payment or refund for a client chosen by name, with the
client's balance before and after."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from practicebook.frontends.jupyter.forms import Labels, field_messages
from practicebook.frontends.jupyter.tabs.entry import EntryTab
from practicebook.frontends.jupyter.widgets import hook

if TYPE_CHECKING:
    from practicebook.workbook.writer import Appended

#: What a save clears: the client, the amount and what identifies the payment.
_CLEARED = (
    "client_id",
    "amount",
    "reference",
    "applies_to_session_id",
    "refund_of_payment_id",
)


class PaymentsTab(EntryTab):
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
        """The chosen client's balance now (nothing until a client is chosen)."""
        client = self.form.value("client_id")
        if not client:
            self.before.value = ""
            return
        credit = (
            " (a credit: the practice owes the client)" if self.state.balance_of(client) < 0 else ""
        )
        self.before.value = (
            f"<div>Balance of {html.escape(Labels(self.state).client(client))} as of "
            f"{html.escape(self.state.day(self.state.result.as_of))}: "
            f"<b>{html.escape(self._balance_text(client))}</b>{credit}</div>"
        )

    def save_payment(self) -> None:
        """Append the payment through the writer; show the balance before and after."""
        from practicebook.workbook import writer

        if not self.save_checked():
            return
        values = self.form.values()
        client = str(values.get("client_id", ""))
        before = self._balance_text(client)  # from the book as re-read for this save
        done: Appended | None = self.write_row(
            self.messages,
            lambda: writer.add_payment(self.state.path, values, **self.dash.write_options),
        )
        if done is None:
            return
        self.form.clear(_CLEARED)
        name = Labels(self.state).client(client)
        self.show_saved(
            f"Saved {done.row_id} for {name}.",
            f"<div class='pb-payment-result'>Balance of {html.escape(name)}: before "
            f"{html.escape(before)}, after <b class='pb-balance-after'>"
            f"{html.escape(self._balance_text(client))}</b></div>"
            + field_messages(done.issues, self.form, self.layout_of(), only_touched=False),
        )
