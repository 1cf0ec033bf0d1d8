"""The Adjustments tab: a write-off, courtesy discount or correction for a client, with
its reason and approver, and what it does to the balance said in one sentence first."""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from practicebook.frontends.jupyter.forms import Labels, field_messages
from practicebook.frontends.jupyter.tabs.entry import EntryTab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.issues import CellRef, Code, Issue, Severity

if TYPE_CHECKING:
    from practicebook.workbook.writer import Appended

#: Adjustments that lower what the client owes: an amount typed without a sign is
#: entered negative (the sentence before saving says so).
LOWERING = ("write_off", "courtesy_discount", "fee_waiver", "credit_memo")
#: Adjustments a bookkeeper must give a reason and an approver for.
NEEDS_APPROVAL = ("write_off", "courtesy_discount", "fee_waiver", "correction", "credit_memo")
_CLEARED = ("client_id", "amount", "session_id", "reason")


class AdjustmentsTab(EntryTab):
    """Record a write-off, courtesy discount or correction, with reason and approver."""

    title = "Adjustments"
    SHEET, NOUN = "Adjustments", "adjustment"
    KEYS = ("client_id", "date", "type", "amount", "session_id", "reason", "approved_by")

    def build(self, w: Any) -> Any:
        self.build_form(
            w,
            {"date": self.state.result.as_of},
            self.save_adjustment,
            lists={"session_id": self._client_sessions},
        )
        self.effect = hook(w.HTML(), "adjustment-effect")
        self.form.widget("client_id").observe(lambda _c: self._client_changed(), names="value")
        self.form.observe(lambda _c: self.show_effect())
        return w.VBox(
            [
                w.HTML(
                    "<div>Type the amount without a sign for a write-off, discount, fee "
                    "waiver or credit memo: it lowers what the client owes. A correction "
                    "or balance forward is entered as typed (- lowers, + raises).</div>"
                ),
                self.form.box(),
                self.effect,
                self.save,
                self.messages,
            ]
        )

    def _client_sessions(self) -> dict[str, str]:
        """The chosen client's sessions (every session while no client is chosen)."""
        sessions = self.state.book.sessions
        client = self.form.value("client_id") if hasattr(self, "form") else None
        if client:
            sessions = sessions[sessions["client_id"] == client]
        return Labels(self.state).sessions(sessions)

    def _client_changed(self) -> None:
        self.form.refresh_options()

    def update(self) -> None:
        self.form.refresh_options()
        self.show_effect()

    def values(self) -> dict[str, object]:
        """The form's values, the amount signed as its type says."""
        values = self.form.values()
        amount = str(values.get("amount", "")).strip()
        if amount and values.get("type") in LOWERING and not amount.startswith(("-", "\u2212")):
            values["amount"] = "-" + amount
        return values

    def check(self) -> tuple[bool, list[Any]]:
        from practicebook.core import entry

        values = self.values()
        row = entry.new_row(self.state.book, self.SHEET, values)
        issues = list(row.issues)
        if values.get("type") in NEEDS_APPROVAL:
            layout = self.layout_of()
            for key, why in (("reason", "why it is made"), ("approved_by", "who approved it")):
                if not str(values.get(key, "")).strip():
                    issues.append(
                        Issue(
                            Code.MISSING_VALUE,
                            Severity.ERROR,
                            f"say {why}",
                            CellRef(
                                "Adjustments",
                                entry.next_row(self.state.book, self.SHEET),
                                layout.get(key, 0),
                            ),
                            "",
                        )
                    )
        ok = row.accepted and not self.form.unmatched() and not any(i.is_error for i in issues)
        return ok, issues

    def _amount(self) -> Decimal | None:
        from practicebook.core import entry

        row = entry.new_row(self.state.book, self.SHEET, self.values())
        amount = row.values.get("amount") if row.accepted else None
        try:
            return Decimal(str(amount)) if amount is not None else None
        except InvalidOperation:
            return None

    def show_effect(self) -> None:
        """What the adjustment does to the client's balance, in one sentence."""
        client = self.form.value("client_id")
        amount = self._amount()
        if not client or amount is None:
            self.effect.value = ""
            return
        name = Labels(self.state).client(client)
        now = self.state.balance_of(client)
        verb = "lowers" if amount < 0 else "raises"
        self.effect.value = (
            f"<div class='pb-adjustment-sentence'>This {html.escape(verb)} what "
            f"{html.escape(name)} owes by {html.escape(self.state.money(abs(amount)))} "
            f"({html.escape(self.state.book.settings.currency)}): balance "
            f"{html.escape(self.state.money(now))} → "
            f"{html.escape(self.state.money(now + amount))}.</div>"
        )

    def save_adjustment(self) -> None:
        """Append the adjustment through the writer."""
        from practicebook.workbook import writer

        if not self.save_checked():
            return
        values = self.values()
        done: Appended | None = self.write_row(
            self.messages,
            lambda: writer.add_adjustment(self.state.path, values, **self.dash.write_options),
        )
        if done is None:
            return
        client = str(values.get("client_id", ""))
        name = Labels(self.state).client(client)
        self.form.clear(_CLEARED)
        self.show_saved(
            f"Saved adjustment {done.row_id} for {name}; balance now "
            f"{self.state.money(self.state.balance_of(client))}.",
            field_messages(done.issues, self.form, self.layout_of(), only_touched=False),
        )
