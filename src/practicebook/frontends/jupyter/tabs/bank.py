"""The Bank tab: import a statement file by upload, review how each bank line matches the
recorded payments, confirm the matches or choose for a line, and reconcile an account's
statement against its closing balance (closing the books through that day if asked).

Everything goes through ``practicebook.bank``: the same matching, findings and writes as
``practicebook bank …`` on the command line and the Excel actions.
"""

from __future__ import annotations

import html
from typing import Any

from practicebook import bank
from practicebook.errors import PracticebookError, RowRefused
from practicebook.frontends.jupyter.markup import issue_html, note
from practicebook.frontends.jupyter.table import Highlight, TableView, render, where
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook

#: Statement files the upload accepts.
ACCEPT = ".csv,.ofx,.qfx,.qif,.xml,.camt,.txt,.mt940,.sta"
HIGHLIGHTS = (
    Highlight("pb-hl-warning", "Not yet explained", where("status", "unmatched")),
    Highlight("pb-hl-new", "Matched", where("status", "matched")),
)


class BankTab(Tab):
    """Statement import, matching review and choices, statement reconciliation."""

    title = "Bank"
    lazy = True

    def build(self, w: Any) -> Any:
        self.messages = hook(w.HTML(), "bank-messages")
        parts = [self._import_part(w), self._review_part(w), self._reconcile_part(w)]
        return w.VBox([parts[0], self.messages, *parts[1:]])

    def _import_part(self, w: Any) -> Any:
        self.upload = hook(
            w.FileUpload(accept=ACCEPT, multiple=False, description="Statement file"),
            "bank-upload",
        )
        self.account = hook(
            w.Combobox(description="Account", placeholder="e.g. CHK (new or existing)"),
            "bank-account",
        )
        self.import_button = hook(
            w.Button(description="Import", button_style="primary", icon="upload"), "bank-import"
        )
        self.import_button.on_click(lambda _b: self.run_import())
        return w.VBox(
            [
                w.HTML("<h4>Import a statement</h4>"),
                w.HBox([self.upload, self.account, self.import_button]),
            ]
        )

    def _review_part(self, w: Any) -> Any:
        self.as_of = hook(
            w.DatePicker(description="As of", value=self.state.result.as_of), "bank-as-of"
        )
        self.store = hook(
            w.Button(description="Confirm matches", button_style="primary"), "bank-store"
        )
        self.accounts = hook(w.HTML(), "bank-accounts")
        self.findings = hook(w.HTML(), "bank-findings")
        self.lines = TableView(w, "bank-lines")
        self.line = hook(w.Dropdown(description="Line", options=[]), "bank-line")
        self.payments = hook(
            w.Text(description="Payments", placeholder="e.g. P0000412, P0000413"), "bank-payments"
        )
        self.choose = hook(w.Button(description="Match to these payments"), "bank-choose")
        self.not_client = hook(w.Button(description="Not client money"), "bank-not-client")
        self.explain = hook(w.HTML(), "bank-explain")
        self.store.on_click(lambda _b: self.run_store())
        self.choose.on_click(lambda _b: self.run_choose(not_client=False))
        self.not_client.on_click(lambda _b: self.run_choose(not_client=True))
        self.as_of.observe(lambda _c: self.update(), names="value")
        self.line.observe(lambda _c: self._explain(), names="value")
        return w.VBox(
            [
                w.HTML("<h4>Accounts</h4>"),
                w.HBox([self.as_of, self.store]),
                self.accounts,
                self.findings,
                w.HTML("<h4>Bank lines</h4>"),
                self.lines.box,
                w.HTML("<h4>Choose for a line</h4>"),
                self.line,
                w.HBox([self.payments, self.choose, self.not_client]),
                self.explain,
            ]
        )

    def _reconcile_part(self, w: Any) -> Any:
        self.rec_account = hook(w.Dropdown(description="Account", options=[]), "bank-rec-account")
        self.through = hook(
            w.DatePicker(description="Through", value=self.state.result.as_of), "bank-through"
        )
        self.closing = hook(
            w.Text(description="Closing", placeholder="statement balance (blank: assertion)"),
            "bank-closing",
        )
        self.close_books = hook(
            w.Checkbox(description="Close the books through this day", value=False),
            "bank-close-books",
        )
        self.reconcile = hook(w.Button(description="Reconcile", icon="check"), "bank-reconcile")
        self.reconcile.on_click(lambda _b: self.run_reconcile())
        return w.VBox(
            [
                w.HTML("<h4>Reconcile a statement</h4>"),
                w.HBox([self.rec_account, self.through, self.closing]),
                w.HBox([self.close_books, self.reconcile]),
            ]
        )

    def _options(self) -> dict[str, Any]:
        options = self.dash.write_options
        return {
            "password": options.get("password"),
            "actor": options.get("actor"),
            "tool": "jupyter",
        }

    def update(self) -> None:
        result = bank.match(self.state.book, self.as_of.value or self.state.result.as_of)
        self.result = result
        accounts = result.accounts
        ids = [str(a) for a in accounts["account_id"]]
        self.account.options = ids
        keep = self.rec_account.value
        self.rec_account.options = ids
        self.rec_account.value = keep if keep in ids else (ids[0] if ids else None)
        if accounts.empty:
            self.accounts.value = (
                "<div class='pb-empty'>No bank account yet: import a statement file above "
                "(give the account a short name such as CHK).</div>"
            )
        else:
            self.accounts.value = render(
                accounts, money=("balance",), fmt=self.state.money, day=self.state.day
            )
        self.findings.value = issue_html(result.issues)
        lines = result.lines
        self.lines.show(
            lines.drop(columns=["tied"], errors="ignore"),
            sort=("posted_date", True),
            money=("amount", "fee", "net"),
            fmt=self.state.money,
            day=self.state.day,
            highlights=HIGHLIGHTS,
        )
        if lines.empty:
            self.lines.html.value = "<div class='pb-empty'>No bank lines imported yet.</div>"
        open_lines = lines[lines["status"] == "unmatched"] if not lines.empty else lines
        keep = self.line.value
        options = [
            (
                f"{r.line_id} · {self.state.day(r.posted_date)} · {self.state.money(r.net)}",
                r.line_id,
            )
            for r in open_lines.itertuples(index=False)
        ]
        self.line.options = options
        ids = [v for _l, v in options]
        self.line.value = keep if keep in ids else (ids[0] if ids else None)
        self._explain()

    def _explain(self) -> None:
        line = self.line.value
        self.explain.value = (
            f"<pre class='pb-bank-explain'>{html.escape(str(self.result.explain(line)))}</pre>"
            if line
            else ""
        )

    def _done(self, text: str) -> None:
        self.dash.refresh(force=True)
        self.update()
        self.messages.value = note(text, "ok")

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except RowRefused as exc:
            self.messages.value = issue_html(exc.issues) + note("Nothing was written.", "error")
        except (PracticebookError, OSError, ValueError) as exc:
            self.messages.value = note(str(exc), "error")
        return None

    def run_import(self) -> None:
        files = list(self.upload.value)
        if not files:
            self.messages.value = note("Choose a statement file first.", "warning")
            return
        upload = files[0]
        account = self.account.value.strip() or None
        report = self._guard(
            lambda: bank.import_statement(
                self.state.path,
                bytes(upload["content"]),
                name=str(upload["name"]),
                account=account,
                **self._options(),
            )
        )
        if report is None:
            return
        plan = report.plan
        text = (
            f"{upload['name']}: added {len(report.added)} lines, {plan.present} already there, "
            f"{len(plan.conflicts)} conflicting."
        )
        self._done(text)
        self.messages.value += issue_html(report.issues)

    def run_store(self) -> None:
        as_of = self.as_of.value or self.state.result.as_of
        stored = self._guard(
            lambda: bank.store_matches(self.state.path, as_of=as_of, **self._options())
        )
        if stored is not None:
            self._done(
                f"Matches confirmed as of {self.state.day(as_of)}: {stored.lines} lines recorded."
            )

    def run_choose(self, *, not_client: bool) -> None:
        line = self.line.value
        if not line:
            self.messages.value = note("There is no line left to choose for.", "warning")
            return
        payments = [
            p.strip() for p in self.payments.value.replace(";", ",").split(",") if p.strip()
        ]
        if not not_client and not payments:
            self.messages.value = note(
                "Name the payments this line pays in (their IDs).", "warning"
            )
            return
        chosen = self._guard(
            lambda: bank.choose(
                self.state.path,
                line,
                payments=payments,
                not_client_money=not_client,
                as_of=self.as_of.value,
                **self._options(),
            )
        )
        if chosen is not None:
            self.payments.value = ""
            what = "not client money" if not_client else "matched to " + ", ".join(payments)
            self._done(f"Line {line} recorded as {what}.")

    def run_reconcile(self) -> None:
        account, through = self.rec_account.value, self.through.value
        if not account or through is None:
            self.messages.value = note("Choose an account and the statement's last day.", "warning")
            return
        balance = self.closing.value.strip() or None
        done = self._guard(
            lambda: bank.reconcile_statement(
                self.state.path,
                account,
                through,
                balance=balance,
                close=self.close_books.value,
                **self._options(),
            )
        )
        if done is None:
            return
        check = done.check
        closed = f" Books closed through {self.state.day(through)}." if done.closed else ""
        self._done(
            f"{account} reconciled through {self.state.day(through)}: opening "
            f"{self.state.minor(check.opening)}, lines {self.state.minor(check.total)}, closing "
            f"{self.state.minor(check.closing or 0)}.{closed}"
        )
