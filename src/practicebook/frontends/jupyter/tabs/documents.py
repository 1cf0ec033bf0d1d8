"""The Documents tab: choose a client, a period and a kind of document, preview it (its
lines, totals and what is missing, and the PDF), issue it (numbered, written beside the
workbook, recorded in the Documents sheet), and see every document issued. A good-faith
estimate takes its period (default: a year from the as-of day), the services expected
(``90791=1, 90834``: a count, or as often as the frequency says) and the frequency.

Everything goes through ``practicebook.documents``: the same figures, numbers and files
as the command line's ``practicebook statement`` and the Excel actions.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any, cast

import pandas as pd

from practicebook import documents
from practicebook.core import summary
from practicebook.core.documents import Document, Frequency, Request
from practicebook.errors import PracticebookError, RowRefused
from practicebook.frontends.jupyter.markup import download_link, issue_html, note
from practicebook.frontends.jupyter.table import TableView, render
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook

KINDS = [
    ("Statement", "statement"),
    ("Invoice", "invoice"),
    ("Superbill", "superbill"),
    ("Receipt", "receipt"),
    ("Good-faith estimate", "estimate"),
]
FREQUENCIES = [("Weekly", "weekly"), ("Every two weeks", "biweekly"), ("Monthly", "monthly")]
PDF = "application/pdf"


class DocumentsTab(Tab):
    """Preview and issue client documents; the register of documents issued."""

    title = "Documents"
    lazy = True

    def build(self, w: Any) -> Any:
        self.kind = hook(w.Dropdown(description="Document", options=KINDS), "doc-kind")
        self.client = hook(
            w.Combobox(description="Client", placeholder="choose…", ensure_option=True),
            "doc-client",
        )
        self.month = hook(w.Dropdown(description="Month", options=[]), "doc-month")
        self.payment = hook(w.Dropdown(description="Payment", options=[]), "doc-payment")
        self.start = hook(w.DatePicker(description="From"), "doc-start")
        self.end = hook(w.DatePicker(description="To"), "doc-end")
        self.services = hook(
            w.Text(description="Services", placeholder="90791=1, 90834"), "doc-services"
        )
        self.frequency = hook(
            w.Dropdown(description="Frequency", options=FREQUENCIES), "doc-frequency"
        )
        self.estimate_box = w.VBox([self.start, self.end, self.services, self.frequency])
        self.preview_button = hook(w.Button(description="Preview", icon="eye"), "doc-preview")
        self.issue_button = hook(
            w.Button(description="Issue", button_style="primary", disabled=True), "doc-issue"
        )
        self.preview = hook(w.HTML(), "doc-preview-area")
        self.messages = hook(w.HTML(), "doc-messages")
        self.register = TableView(w, "doc-register", page_size=25)
        self.kind.observe(lambda _c: self._choices(), names="value")
        self.client.observe(lambda _c: self._choices(), names="value")
        for widget in (self.month, self.payment, *self.estimate_box.children):
            widget.observe(lambda _c: self._stale(), names="value")
        self.preview_button.on_click(lambda _b: self.show_preview())
        self.issue_button.on_click(lambda _b: self.issue())
        self.document: Document | None = None
        form = w.VBox(
            [
                self.kind,
                self.client,
                self.month,
                self.payment,
                self.estimate_box,
                w.HBox([self.preview_button, self.issue_button]),
            ]
        )
        heading = w.HTML("<h4>Documents issued</h4>")
        return w.VBox([form, self.messages, self.preview, heading, self.register.box])

    # --- choices ------------------------------------------------------------------------

    def client_id(self) -> str:
        ids = self.state.result.balances["client_id"].astype(str)
        return str({self.state.client(c): c for c in ids}.get(self.client.value, ""))

    def update(self) -> None:
        ids = self.state.result.balances["client_id"].astype(str)
        self.client.options = [self.state.client(c) for c in ids]
        if self.client.value not in self.client.options:
            self.client.value = ""
        months = list(summary.monthly_money(self.state.result)["month"])[::-1]
        keep = self.month.value
        self.month.options = months
        self.month.value = keep if keep in months else (months[0] if months else None)
        self._choices()
        self._show_register()

    def _choices(self) -> None:
        receipt, estimate = self.kind.value == "receipt", self.kind.value == "estimate"
        self.month.layout.display = "none" if receipt or estimate else None
        self.payment.layout.display = None if receipt else "none"
        self.estimate_box.layout.display = None if estimate else "none"
        client = self.client_id()
        payments = self.state.book.payments
        mine = payments[(payments["client_id"] == client) & (payments["kind"] == "payment")]
        mine = mine.sort_values("received_date", kind="stable")  # newest last: listed first
        self.payment.options = [
            (
                f"{pid} · {self.state.day(day.date())} · {self.state.minor(int(amount))}",
                pid,
            )
            for pid, day, amount in zip(
                mine["payment_id"], mine["received_date"], mine["amount"], strict=True
            )
            if isinstance(pid, str) and not pd.isna(day) and not pd.isna(amount)
        ][::-1]
        self._stale()

    def _stale(self) -> None:
        self.document = None
        self.issue_button.disabled = True

    # --- preview and issue --------------------------------------------------------------

    def request(self) -> Request | None:
        """The document asked for, or None (with a message) when something is missing."""
        client = self.client_id()
        if not client:
            self.messages.value = note("Choose a client first.", "warning")
            return None
        kind = self.kind.value
        if kind == "receipt":
            if not self.payment.value:
                self.messages.value = note(
                    "This client has no payment to give a receipt for.", "warning"
                )
                return None
            return documents.ReceiptRequest(self.payment.value)
        if kind == "estimate":
            return self._estimate(client)
        if not self.month.value:
            self.messages.value = note("There is no month with activity yet.", "warning")
            return None
        first, last = documents.month(self.month.value)
        if kind == "invoice":
            return documents.InvoiceRequest(client, first, last)
        if kind == "superbill":
            return documents.SuperbillRequest(client, first, last)
        return documents.StatementRequest(client, first, last)

    def _estimate(self, client: str) -> Request | None:
        try:
            wanted = documents.estimate_services(self.services.value)
        except ValueError as exc:
            self.messages.value = note(str(exc), "warning")
            return None
        first = self.start.value or self.state.result.as_of
        last = self.end.value or documents.a_year_from(first)
        if last < first:
            self.messages.value = note("The period ends before it starts.", "warning")
            return None
        frequency = cast("Frequency", self.frequency.value)
        return documents.EstimateRequest(client, first, last, wanted, frequency)

    def show_preview(self) -> None:
        self.dash.refresh()
        request = self.request()
        if request is None:
            self.preview.value = ""
            self._stale()
            return
        try:
            doc = documents.Builder(self.state.book).build(
                request, issued_on=self.state.result.as_of
            )
        except (LookupError, ValueError) as exc:  # nothing to bill, an unknown service…
            self.messages.value = note(f"Nothing to preview: {exc}.", "warning")
            self.preview.value = ""
            self._stale()
            return
        self.document = doc
        self.messages.value = ""
        self.preview.value = self._preview_html(doc)
        self.issue_button.disabled = doc.blocked

    def _preview_html(self, doc: Document) -> str:
        money = [c.key for c in doc.columns if c.kind == "money"]
        lines = doc.lines[[c.key for c in doc.columns]]
        facts = "".join(
            f"<tr><th>{html.escape(label)}</th><td>{html.escape(self._value(v))}</td></tr>"
            for label, v in doc.facts
        )
        totals = "".join(
            f"<tr><th>{html.escape(label)}</th>"
            f"<td class='pb-money pb-doc-total'>{html.escape(self._value(v))}</td></tr>"
            for label, v in doc.summary
        )
        state = (
            note("It cannot be issued until what is listed below is fixed.", "error")
            if doc.blocked
            else note("Ready to issue.", "ok")
        )
        pdf = download_link(
            documents.to_pdf(doc, book=self.state.book),
            f"preview-{doc.kind}-{doc.client_id}.pdf",
            PDF,
            "Download PDF preview",
        )
        empty = "<div class='pb-empty'>No lines in this period.</div>" if lines.empty else ""
        table = render(lines, money=money, fmt=self.state.money, day=self.state.day)
        return (
            f"<div class='pb-doc-preview'><h4>{html.escape(doc.title)} for "
            f"{html.escape(self.state.client(doc.client_id))}</h4>{state}"
            f"{issue_html(doc.issues)}<table class='pb-doc-facts'>{facts}</table>"
            f"{empty}{table if not lines.empty else ''}"
            f"<table class='pb-doc-summary'>{totals}</table>{pdf}</div>"
        )

    def _value(self, value: object) -> str:
        if isinstance(value, Decimal):
            return self.state.money(value)
        if isinstance(value, tuple) and len(value) == 2:
            return f"{self._value(value[0])} – {self._value(value[1])}"
        if isinstance(value, dt.date):
            return self.state.day(value)
        return str(value)

    def issue(self) -> None:
        if self.document is None:
            return
        request = self.request()
        if request is None:
            return
        options = self.dash.write_options
        try:
            done = documents.issue(
                self.state.path,
                request,
                password=options.get("password"),
                actor=options.get("actor"),
                tool="jupyter",
            )
        except RowRefused as exc:
            self.messages.value = issue_html(exc.issues)
            return
        except (PracticebookError, OSError, LookupError, ValueError) as exc:
            self.messages.value = note(str(exc), "error")
            return
        self._stale()
        self.dash.refresh()
        link = download_link(done.path.read_bytes(), done.path.name, PDF, f"Download {done.number}")
        self.messages.value = (
            f"<div class='pb-msg-ok pb-doc-issued'>Issued <b>{html.escape(done.number)}</b> "
            f"({html.escape(done.path.name)}, saved in {html.escape(done.path.parent.name)}/)."
            f"</div>{link}"
        )
        self._show_register()

    def _show_register(self) -> None:
        register = documents.register(self.state.book)
        columns = ["document_number", "type", "client_id", "period_start", "period_end"]
        shown = register[[*columns, "issued_at", "total", "voided_by"]]
        self.register.show(
            self.state.with_clients(shown),
            sort=("document_number", True),
            money=("total",),
            fmt=self.state.money,
            day=self.state.day,
        )
        if register.empty:
            self.register.html.value = (
                "<div class='pb-empty'>No documents issued yet: preview one above and "
                "issue it.</div>"
            )
