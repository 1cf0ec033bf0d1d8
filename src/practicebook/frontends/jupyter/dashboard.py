"""The Jupyter front door: a dashboard of ipywidgets over one workbook.

``Dashboard("practice.xlsx")`` shows tabs for entering sessions and payments, marking a
cancellation, reviewing balances, aging, flags and one client's ledger, charts, and a
policy what-if. Widgets only collect and display: the forms are generated from
``practicebook.schema``, validation messages are the core's issues, rows are written
by ``practicebook.workbook.writer`` (lock, retry, atomic replace) and every figure comes from
``practicebook.core.reconcile``/``practicebook.core.summary``. The state is the loaded book and
the last reconciliation; it is reloaded whenever the file on disk changes.

Every interactive widget carries a stable CSS class (``pb-…``) for browser tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from practicebook import api, schema
from practicebook.core import summary
from practicebook.core.findings import combine, from_issues
from practicebook.core.reconcile import Reconciliation, reconcile, simulate
from practicebook.errors import MissingDependency, PracticebookError, RowRefused
from practicebook.issues import Issue
from practicebook.l10n import format_money
from practicebook.model import Book
from practicebook.money import from_minor, to_minor
from practicebook.render.sheets import excel_money_format

__all__ = ["APP_NOTEBOOK", "BOOK_ENV", "Dashboard", "SchemaForm", "WorkbookState", "voila_command"]

#: The dashboard notebook the ``practicebook app`` command serves.
APP_NOTEBOOK = Path(__file__).resolve().parent / "app" / "dashboard.ipynb"
#: Environment variable that passes the workbook path to the app's kernels.
BOOK_ENV = "PRACTICEBOOK_BOOK"

ALL = "(all)"
TOOL = "jupyter"
_STYLE = """<style>
.pb-table table { border-collapse: collapse; font-size: 13px; }
.pb-table th, .pb-table td { border-bottom: 1px solid #ddd; padding: 2px 8px; }
.pb-table td.pb-money { text-align: right; white-space: nowrap; }
.pb-table tr.pb-flagged td { background: #fff3cd; }
.pb-msg-error { color: #a00; } .pb-msg-warning { color: #a60; } .pb-msg-ok { color: #070; }
.pb-bar { display: inline-block; height: 10px; vertical-align: middle; }
</style>"""


def _widgets() -> ModuleType:
    """ipywidgets, or an install hint when the ``jupyter`` extra is missing."""
    try:
        import ipywidgets
    except ImportError:
        raise MissingDependency("ipywidgets", "jupyter") from None
    return ipywidgets


def _hook(widget: Any, name: str) -> Any:
    widget.add_class(f"pb-{name}")
    return widget


# --- state ---------------------------------------------------------------------------


class WorkbookState:
    """The loaded book and its reconciliation, reloaded when the file changes.

    ``findings`` holds every finding as flag rows: the workbook checks' issues and the
    reconciliation's flags together.

    Args:
        path: the workbook.
        password: password of a protected workbook.
        as_of: reconciliation day (default: today in the practice time zone).
    """

    def __init__(
        self, path: str | Path, *, password: str | None = None, as_of: dt.date | None = None
    ) -> None:
        self.path = Path(path)
        self.password = password
        self.as_of = as_of
        self._stamp: tuple[int, int] | None = None
        self._digest = ""
        self.book: Book
        self.load_issues: list[Issue] = []
        self.result: Reconciliation
        self.findings: pd.DataFrame
        self.refresh(force=True)

    def _changed(self) -> bool:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        changed, self._digest = digest != self._digest, digest
        return changed

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the workbook if it changed on disk (or ``force``); True if reloaded."""
        if not self._changed() and not force:
            return False
        self.book, self.load_issues = api.load(self.path, password=self.password)
        self.result = reconcile(self.book, self.as_of)
        self.findings = combine([self.result.flags, from_issues(self.load_issues)])
        return True

    def reconcile_as_of(self, day: dt.date | None) -> Reconciliation:
        """The reconciliation as of ``day`` (the current one when it is the same day)."""
        if day is None or day == self.result.as_of:
            return self.result
        return reconcile(self.book, day)

    def money(self, minor: object) -> str:
        """Minor units formatted in the workbook's currency and locale."""
        settings = self.book.settings
        return format_money(int(minor), settings.currency, settings.locale)

    def balance_of(self, client_id: str) -> int:
        """The client's balance in minor units as of the state's day (0 when unknown)."""
        b = self.result.balances
        found = b.loc[b["client_id"] == client_id, "balance"]
        return int(found.iloc[0]) if len(found) else 0

    def ids(self, sheet: str, key: str) -> list[str]:
        """The distinct values of an ID column, sorted (dropdown options)."""
        return sorted(self.book.frame(sheet)[key].dropna().astype(str).unique())


# --- rendering -----------------------------------------------------------------------


def _issue_html(issues: Iterable[Issue]) -> str:
    items = [
        f"<li class='pb-msg-{i.severity.value}'>{html.escape(str(i.where))}: "
        f"{html.escape(i.message)} [{i.code.value}]"
        + (f"<br><small>{html.escape(i.hint)}</small>" if i.hint else "")
        + "</li>"
        for i in issues
    ]
    return f"<ul class='pb-issues'>{''.join(items)}</ul>" if items else ""


def _note(text: str, kind: str = "ok") -> str:
    return f"<div class='pb-msg-{kind}'>{html.escape(text)}</div>"


def _cell_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)[:16]
    return str(value)


def _table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    fmt: Callable[[object], str] = str,
    flagged: Callable[[Mapping], bool] | None = None,
) -> str:
    """An HTML table (text, escaped), money columns formatted, chosen rows highlighted."""
    money = set(money)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for col, value in record.items():
            if col in money:
                cells.append(f"<td class='pb-money'>{html.escape(fmt(value))}</td>")
            else:
                cells.append(f"<td>{html.escape(_cell_text(value))}</td>")
        cls = " class='pb-flagged'" if flagged and flagged(record) else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f"{_STYLE}<div class='pb-table'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f"<a download='{html.escape(filename)}' href='data:{mime};base64,{encoded}' "
        f"class='pb-download'>{html.escape(label)}</a>"
    )


def _xlsx_bytes(frame: pd.DataFrame, sheet: str, money_cols: list[str], money_format: str) -> bytes:
    """One sheet: text written as text (never a formula), money as numbers in the
    practice's money format, dates as dates."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    money, day = (
        book.add_format({"num_format": money_format}),
        book.add_format({"num_format": "yyyy-mm-dd"}),
    )
    for c, name in enumerate(frame.columns):
        ws.write_string(0, c, str(name))
        for r, value in enumerate(frame[name], start=1):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if name in money_cols:
                ws.write_number(r, c, value, money)
            elif isinstance(value, pd.Timestamp):
                ws.write_datetime(r, c, value.to_pydatetime(), day)
            else:
                ws.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


# --- schema-driven forms -------------------------------------------------------------


@dataclass
class _Field:
    column: schema.Column
    widget: Any


class SchemaForm:
    """Input widgets for chosen columns of one input sheet, generated from the schema.

    ID columns that reference another sheet become dropdowns of that sheet's IDs,
    choices become dropdowns, dates and date-times pickers, booleans checkboxes; numbers,
    money and text are text boxes whose text the core reads as it reads a cell, in the
    workbook's locale (so a blank stays blank and ``1.250,00`` works in a German book).

    Args:
        state: the workbook state (dropdown options, locale, currency).
        sheet: the input sheet.
        keys: the columns to show, in order.
        name: prefix of the CSS hooks (``pb-<name>-<key>``).
    """

    def __init__(self, state: WorkbookState, sheet: str, keys: Iterable[str], name: str) -> None:
        self.state = state
        self.sheet = schema.WORKBOOK.sheet(sheet)
        self.fields = {
            key: _Field(
                self.sheet.column(key),
                _hook(self._make(self.sheet.column(key)), f"{name}-{key.replace('_', '-')}"),
            )
            for key in keys
        }
        self.refresh_options()

    def _make(self, col: schema.Column) -> Any:
        w = _widgets()
        common = {
            "description": col.header,
            "tooltip": col.help or None,
            "style": {"description_width": "140px"},
        }
        if col.kind is schema.Kind.CHOICE:
            options = ([] if col.required else [""]) + list(col.choices)
            return w.Dropdown(options=options, value=col.default or options[0], **common)
        if col.references:
            return w.Dropdown(options=[""], value="", **common)
        if col.kind is schema.Kind.DATETIME:
            return w.NaiveDatetimePicker(**common)
        if col.kind is schema.Kind.DATE:
            return w.DatePicker(**common)
        if col.kind is schema.Kind.BOOL:
            return w.Checkbox(value=bool(col.default), indent=False, **common)
        return w.Text(placeholder=col.help[:40], **common)

    def refresh_options(self) -> None:
        """Reload dropdown options of referencing columns from the current book."""
        for f in self.fields.values():
            ref = f.column.references
            if not ref:
                continue
            sheet, key = ref.split(".")
            options = ([] if f.column.required else [""]) + self.state.ids(sheet, key)
            keep = f.widget.value if f.widget.value in options else None
            f.widget.options = options or [""]
            f.widget.value = keep if keep is not None else f.widget.options[0]

    def widget(self, key: str) -> Any:
        """The input widget of column ``key``."""
        return self.fields[key].widget

    def values(self) -> dict[str, object]:
        """The filled-in values by column key, blanks left out. Text (money included) is
        passed on as typed: the core reads it in the workbook's locale."""
        return {
            key: f.widget.value
            for key, f in self.fields.items()
            if f.widget.value is not None and f.widget.value != ""
        }

    def observe(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback`` whenever any field changes."""
        for f in self.fields.values():
            f.widget.observe(callback, names="value")

    def clear(self, keys: Iterable[str]) -> None:
        """Blank the given text fields after a save."""
        for key in keys:
            self.fields[key].widget.value = ""

    def box(self) -> Any:
        """The fields stacked vertically."""
        return _widgets().VBox([f.widget for f in self.fields.values()])


# --- tabs ------------------------------------------------------------------------------


class _Tab:
    """One tab: owns its widgets, reads the shared state, redraws on ``update``."""

    title = ""

    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.state = dash.state

    def update(self) -> None:
        """Redraw from the current state."""


class SessionsTab(_Tab):
    """New session entry, and marking an existing session as cancelled."""

    title = "Sessions"
    KEYS = (
        "client_id",
        "clinician_id",
        "service_code",
        "scheduled_start",
        "scheduled_minutes",
        "status",
    )

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        self.form = SchemaForm(self.state, "Sessions", self.KEYS, "session")
        self.form.widget("status").value = "scheduled"
        self.messages = _hook(w.HTML(), "session-messages")
        self.save = _hook(
            w.Button(description="Save session", button_style="primary"), "session-save"
        )
        self.form.observe(lambda _change: self.validate())
        self.save.on_click(lambda _b: self.save_session())
        # cancellation
        self.cancel_session = _hook(
            w.Dropdown(description="Session", options=[""]), "cancel-session"
        )
        self.requested_at = _hook(
            w.NaiveDatetimePicker(description="Requested at"), "cancel-requested"
        )
        self.cancelled_by = _hook(
            w.Dropdown(description="Cancelled by", options=list(self._choices("cancelled_by"))),
            "cancel-by",
        )
        self.channel = _hook(
            w.Dropdown(description="Channel", options=list(self._choices("cancel_channel"))),
            "cancel-channel",
        )
        self.preview = _hook(w.Button(description="Show fee"), "cancel-preview")
        self.confirm = _hook(
            w.Button(description="Save cancellation", button_style="warning", disabled=True),
            "cancel-save",
        )
        self.cancel_messages = _hook(w.HTML(), "cancel-messages")
        for widget in (self.cancel_session, self.requested_at, self.cancelled_by, self.channel):
            widget.observe(lambda _c: self._unconfirm(), names="value")
        self.preview.on_click(lambda _b: self.show_fee())
        self.confirm.on_click(lambda _b: self.save_cancellation())
        self.box = w.VBox(
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
        self.update()

    @staticmethod
    def _choices(key: str) -> tuple[str, ...]:
        return schema.WORKBOOK.sheet("Sessions").column(key).choices

    def update(self) -> None:
        self.form.refresh_options()
        keep = self.cancel_session.value
        options = ["", *self.state.ids("Sessions", "session_id")]
        self.cancel_session.options = options
        self.cancel_session.value = keep if keep in options else ""

    def validate(self) -> bool:
        """Show the core's verdict on the form as it stands; True if it can be saved."""
        from practicebook.core import entry

        row = entry.new_session(self.state.book, self.form.values())
        self.messages.value = _issue_html(row.issues)
        return row.accepted

    def save_session(self) -> None:
        """Append the session through the writer and show where it went."""
        from practicebook.workbook import writer

        self.dash.refresh()
        if not self.validate():
            return
        values = self.form.values()
        try:
            done = writer.add_session(self.state.path, values, **self.dash.write_options)
        except RowRefused as exc:
            self.messages.value = _issue_html(exc.issues)
            return
        except PracticebookError as exc:
            self.messages.value = _note(str(exc), "error")
            return
        self.dash.refresh()
        self.messages.value = _note(
            f"Saved session {done.row_id} at {done.sheet} row {done.row}."
        ) + _issue_html(done.issues)

    def _unconfirm(self) -> None:
        self.confirm.disabled = True
        self.cancel_messages.value = ""

    def _stamp_args(self) -> dict[str, object]:
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
            self.cancel_messages.value = _note("Choose a session first.", "error")
            return
        stamp = entry.cancellation_stamp(self.state.book, sid, **self._stamp_args())
        fee = to_minor(stamp.fee, self.state.book.settings.currency)
        self.cancel_messages.value = (
            f"<div class='pb-cancel-fee'>Notice {html.escape(str(stamp.notice_hours))} h; "
            f"fee {html.escape(self.state.money(fee))}: {html.escape(str(stamp.basis))}</div>"
            + _issue_html(stamp.issues)
        )
        self.confirm.disabled = not stamp.accepted

    def save_cancellation(self) -> None:
        """Stamp the cancellation onto the session row through the writer."""
        from practicebook.workbook import writer

        sid = self.cancel_session.value
        try:
            stamp = writer.mark_cancellation(
                self.state.path, sid, **self._stamp_args(), **self.dash.write_options
            )
        except RowRefused as exc:
            self.cancel_messages.value = _issue_html(exc.issues)
            return
        except PracticebookError as exc:
            self.cancel_messages.value = _note(str(exc), "error")
            return
        self.dash.refresh()
        fee = to_minor(stamp.fee, self.state.book.settings.currency)
        self.cancel_messages.value = _note(
            f"Marked {sid} cancelled; fee {self.state.money(fee)} ({stamp.basis})."
        )
        self.confirm.disabled = True


class PaymentsTab(_Tab):
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
        w = _widgets()
        self.form = SchemaForm(self.state, "Payments", self.KEYS, "payment")
        self.form.widget("received_date").value = self.state.result.as_of
        self.before = _hook(w.HTML(), "payment-before")
        self.messages = _hook(w.HTML(), "payment-messages")
        self.save = _hook(
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
        self.messages.value = _issue_html(row.issues)
        return row.accepted

    def save_payment(self) -> None:
        """Append the payment through the writer; show the balance before and after."""
        from practicebook.workbook import writer

        self.dash.refresh()
        if not self.validate():
            return
        values = self.form.values()
        client = str(values.get("client_id", ""))
        before = self._balance_text(client)
        try:
            done = writer.add_payment(self.state.path, values, **self.dash.write_options)
        except RowRefused as exc:
            self.messages.value = _issue_html(exc.issues)
            return
        except PracticebookError as exc:
            self.messages.value = _note(str(exc), "error")
            return
        self.dash.refresh()
        self.form.clear(("amount", "reference"))
        self.messages.value = (
            f"<div class='pb-msg-ok pb-payment-result'>Saved {html.escape(done.row_id)}. "
            f"Balance of {html.escape(client)}: before {html.escape(before)}, after "
            f"<b class='pb-balance-after'>{html.escape(self._balance_text(client))}</b>"
            f"</div>" + _issue_html(done.issues)
        )


class BalancesTab(_Tab):
    """Balances and aging as of a chosen day; flagged clients highlighted; downloads."""

    title = "Balances"

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        self.as_of = _hook(
            w.DatePicker(description="As of", value=self.state.result.as_of), "balances-as-of"
        )
        self.table = _hook(w.HTML(), "balances-table")
        self.downloads = _hook(w.HTML(), "balances-downloads")
        self.as_of.observe(lambda _c: self.update(), names="value")
        self.box = w.VBox([self.as_of, self.downloads, self.table])
        self.update()

    def frame(self) -> tuple[pd.DataFrame, Reconciliation]:
        """Balances joined with aging as of the chosen day (money in minor units)."""
        rec = self.state.reconcile_as_of(self.as_of.value)
        aging = rec.aging.drop(columns=["credit", "total"])
        return rec.balances.merge(aging, on="client_id", how="left"), rec

    def update(self) -> None:
        table, rec = self.frame()
        flagged = summary.flagged_clients(rec) | {
            i.client_id for i in self.state.load_issues if i.client_id
        }
        money_cols = [c for c in table.columns if str(table[c].dtype) == "Int64"]
        self.table.value = _table(
            table,
            money=money_cols,
            fmt=self.state.money,
            flagged=lambda r: r["client_id"] in flagged,
        )
        self.downloads.value = " · ".join(
            [
                _download_link(
                    self._csv(table, money_cols, rec.currency),
                    f"balances-{rec.as_of}.csv",
                    "text/csv",
                    "Download CSV",
                ),
                _download_link(
                    self._xlsx(table, money_cols, rec.currency),
                    f"balances-{rec.as_of}.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "Download XLSX",
                ),
            ]
        )

    @staticmethod
    def _decimals(table: pd.DataFrame, money_cols: list[str], currency: str) -> pd.DataFrame:
        return table.assign(
            **{c: [from_minor(int(v), currency) for v in table[c]] for c in money_cols}
        )

    def _csv(self, table: pd.DataFrame, money_cols: list[str], currency: str) -> bytes:
        return self._decimals(table, money_cols, currency).to_csv(index=False).encode()

    def _xlsx(self, table: pd.DataFrame, money_cols: list[str], currency: str) -> bytes:
        return _xlsx_bytes(
            self._decimals(table, money_cols, currency),
            "Balances",
            money_cols,
            excel_money_format(currency, self.state.book.settings.locale),
        )


class FlagsTab(_Tab):
    """Every finding with code, severity, cell and message; filter by code and client."""

    title = "Flags"

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        self.code = _hook(w.Dropdown(description="Code", options=[ALL]), "flags-code")
        self.client = _hook(w.Dropdown(description="Client", options=[ALL]), "flags-client")
        self.table = _hook(w.HTML(), "flags-table")
        self.code.observe(lambda _c: self.show(), names="value")
        self.client.observe(lambda _c: self.show(), names="value")
        self.box = w.VBox([w.HBox([self.code, self.client]), self.table])
        self.update()

    def update(self) -> None:
        flags = self.state.findings
        for widget, column in ((self.code, "code"), (self.client, "client_id")):
            keep = widget.value
            options = [ALL, *sorted(flags[column].dropna().astype(str).unique())]
            widget.options = options
            widget.value = keep if keep in options else ALL
        self.show()

    def rows(self) -> pd.DataFrame:
        """The findings the filters let through."""
        flags = self.state.findings
        keep = pd.Series(True, index=flags.index)
        if self.code.value != ALL:
            keep &= flags["code"] == self.code.value
        if self.client.value != ALL:
            keep &= flags["client_id"] == self.client.value
        shown = flags.loc[keep, ["code", "severity", "sheet", "cell", "client_id", "message"]]
        return shown.assign(cell=shown["sheet"].astype(str) + "!" + shown["cell"].astype(str)).drop(
            columns="sheet"
        )

    def show(self) -> None:
        rows = self.rows()
        self.table.value = f"<div class='pb-flags-count'>{len(rows)} findings</div>" + _table(rows)


class LedgerTab(_Tab):
    """One client's ledger, explained line by line."""

    title = "Client ledger"

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        self.client = _hook(w.Dropdown(description="Client", options=[""]), "ledger-client")
        self.table = _hook(w.HTML(), "ledger-table")
        self.client.observe(lambda _c: self.show(), names="value")
        self.box = w.VBox([self.client, self.table])
        self.update()

    def update(self) -> None:
        keep = self.client.value
        options = ["", *self.state.result.balances["client_id"].astype(str)]
        self.client.options = options
        self.client.value = keep if keep in options else ""
        self.show()

    def show(self) -> None:
        client = self.client.value
        if not client:
            self.table.value = ""
            return
        lines = self.state.result.explain(client).lines
        self.table.value = (
            f"<div>Balance of {html.escape(client)}: "
            f"<b class='pb-ledger-balance'>"
            f"{html.escape(self.state.money(self.state.balance_of(client)))}</b></div>"
            + _table(lines, money=("amount", "balance", "open"), fmt=self.state.money)
        )


class ChartsTab(_Tab):
    """Monthly charges vs collected, cancellations by month and weekday, A/R by bucket,
    drawn as HTML bars (no plotting library)."""

    title = "Charts"

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        self.html = _hook(w.HTML(), "charts")
        self.box = w.VBox([self.html])
        self.update()

    @staticmethod
    def _bars(
        rows: list[tuple[str, list[tuple[str, int, str]]]], top: int, color: list[str]
    ) -> str:
        out = ["<table class='pb-chart'>"]
        for label, series in rows:
            bars = "".join(
                f"<div><span class='pb-bar' style='width:{int(240 * v / top) if top else 0}px;"
                f"background:{color[i]}'></span> {html.escape(text)}</div>"
                for i, (_name, v, text) in enumerate(series)
            )
            out.append(f"<tr><td>{html.escape(label)}</td><td>{bars}</td></tr>")
        return "".join(out) + "</table>"

    def update(self) -> None:
        rec = self.state.result
        money = self.state.money
        monthly = summary.monthly_money(rec)
        top = int(monthly[["charged", "collected"]].abs().to_numpy().max(initial=0))
        parts = [
            "<h4>Charged vs collected per month</h4>",
            self._bars(
                [
                    (
                        r.month,
                        [
                            ("charged", r.charged, f"charged {money(r.charged)}"),
                            ("collected", max(r.collected, 0), f"collected {money(r.collected)}"),
                        ],
                    )
                    for r in monthly.itertuples(index=False)
                ],
                top,
                ["#4a78b5", "#5aa55a"],
            ),
        ]
        for title, counts in (
            ("per month", summary.cancellations_by_month(rec)),
            ("per weekday", summary.cancellations_by_weekday(rec)),
        ):
            peak = int(counts.to_numpy().max(initial=0))
            parts += [
                f"<h4>Late cancellations and no-shows {title}</h4>",
                self._bars(
                    [
                        (
                            str(label),
                            [
                                (
                                    "late",
                                    int(r["late_cancelled"]),
                                    f"late cancelled {int(r['late_cancelled'])}",
                                ),
                                ("no_show", int(r["no_show"]), f"no-show {int(r['no_show'])}"),
                            ],
                        )
                        for label, r in counts.iterrows()
                    ],
                    peak,
                    ["#d08b2c", "#b54a4a"],
                ),
            ]
        aging = summary.aging_totals(rec)
        peak = int(aging.max()) if len(aging) else 0
        parts += [
            "<h4>Receivables by age (days past due)</h4>",
            self._bars(
                [(str(label), [("open", int(v), money(int(v)))]) for label, v in aging.items()],
                peak,
                ["#7a5ab5"],
            ),
        ]
        self.html.value = _STYLE + "".join(parts)


class WhatIfTab(_Tab):
    """Replay the workbook's history under changed policy settings (``simulate``)."""

    title = "What-if"

    def __init__(self, dash: Dashboard) -> None:
        super().__init__(dash)
        w = _widgets()
        style = {"description_width": "140px"}
        self.notice = _hook(
            w.Text(description="Notice hours", placeholder="unchanged", style=style),
            "whatif-notice",
        )
        self.grace = _hook(
            w.Text(description="Grace count", placeholder="unchanged", style=style), "whatif-grace"
        )
        self.tier = _hook(
            w.Text(description="Tier percent", placeholder="unchanged", style=style), "whatif-tier"
        )
        self.intake = _hook(
            w.Dropdown(
                description="Exempt intake", options=["unchanged", "yes", "no"], style=style
            ),
            "whatif-intake",
        )
        self.run = _hook(w.Button(description="Compare", button_style="info"), "whatif-run")
        self.result = _hook(w.HTML(), "whatif-result")
        self.run.on_click(lambda _b: self.compare())
        self.box = w.VBox([self.notice, self.grace, self.tier, self.intake, self.run, self.result])

    def changes(self) -> tuple[dict[str, object], list[str]]:
        """The policy changes asked for, and what could not be read."""
        changes: dict[str, object] = {}
        errors = []
        for key, widget, read in (
            ("notice_hours", self.notice, Decimal),
            ("grace_count", self.grace, int),
            ("tier_percent", self.tier, Decimal),
        ):
            text = widget.value.strip()
            if not text:
                continue
            try:
                value = read(text)
            except (ArithmeticError, ValueError):
                errors.append(f"{widget.description}: {text!r} is not a number")
                continue
            if value < 0:
                errors.append(f"{widget.description}: must not be negative")
                continue
            changes[key] = value
        if self.intake.value != "unchanged":
            changes["exempt_intake"] = self.intake.value == "yes"
        return changes, errors

    def compare(self) -> None:
        """Run the simulation and show totals and the clients whose fees change."""
        self.dash.refresh()
        changes, errors = self.changes()
        if errors or not changes:
            self.result.value = "".join(_note(e, "error") for e in errors) or _note(
                "Change at least one setting.", "warning"
            )
            return
        sim = simulate(self.state.book, changes, as_of=self.state.result.as_of)
        t, money = sim.totals, self.state.money
        moved = sim.per_client[sim.per_client["fees_change"] != 0]
        self.result.value = (
            f"<div class='pb-whatif-totals'>Fees {money(t['fees_before'])} → "
            f"{money(t['fees_after'])} (change {money(t['fees_change'])}); clients charged "
            f"{t['clients_charged_before']} → {t['clients_charged_after']}</div>"
            + _table(
                moved[
                    [
                        "client_id",
                        "fees_before",
                        "fees_after",
                        "fees_change",
                        "charged_before",
                        "charged_after",
                    ]
                ],
                money=("fees_before", "fees_after", "fees_change"),
                fmt=money,
            )
        )


# --- the dashboard ---------------------------------------------------------------------


class Dashboard:
    """All tabs over one workbook.

    Args:
        path: the workbook (``.xlsx``).
        password: password of a protected workbook.
        as_of: reconciliation day for balances and payments (default: today).
        actor: who is recorded in the audit log for rows written here.

    Example (in a notebook cell)::

        from practicebook.frontends.jupyter import Dashboard
        Dashboard("practice.xlsx")
    """

    TABS = (SessionsTab, PaymentsTab, BalancesTab, FlagsTab, LedgerTab, ChartsTab, WhatIfTab)

    def __init__(
        self,
        path: str | Path,
        *,
        password: str | None = None,
        as_of: dt.date | None = None,
        actor: str | None = None,
    ) -> None:
        w = _widgets()
        self.state = WorkbookState(path, password=password, as_of=as_of)
        self.write_options: dict[str, Any] = {"password": password, "actor": actor, "tool": TOOL}
        self.header = _hook(w.HTML(), "header")
        self.reload = _hook(w.Button(description="Reload", icon="refresh"), "reload")
        self.reload.on_click(lambda _b: self.refresh(force=True))
        self.tabs: list[_Tab] = [cls(self) for cls in self.TABS]
        (
            self.sessions,
            self.payments,
            self.balances,
            self.flags,
            self.ledger,
            self.charts,
            self.whatif,
        ) = self.tabs
        self.tab = _hook(
            w.Tab(children=[t.box for t in self.tabs], titles=[t.title for t in self.tabs]), "tabs"
        )
        self.tab.observe(lambda _c: self.refresh(), names="selected_index")
        self.widget = w.VBox([w.HBox([self.header, self.reload]), self.tab])
        self._show_header()

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the workbook if it changed on disk (or ``force``) and redraw every tab.

        Called before every save, fee preview and comparison, on every tab switch and by
        the Reload button.
        """
        if not self.state.refresh(force=force):
            return False
        for tab in self.tabs:
            tab.update()
        self._show_header()
        return True

    def _show_header(self) -> None:
        s, rec = self.state.book.settings, self.state.result
        errors = sum(1 for i in self.state.load_issues if i.is_error)
        self.header.value = (
            f"<b>{html.escape(self.state.path.name)}</b> · {html.escape(s.currency)} · "
            f"as of {rec.as_of.isoformat()} · {len(rec.balances)} clients · "
            f"{len(rec.flags)} findings · {errors} workbook errors"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


# --- the Voilà app -----------------------------------------------------------------------


def voila_command(
    book: str | Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the dashboard for ``book`` with Voilà.

    Voilà listens on 127.0.0.1 only, never moves to another port, and hides code. Each
    browser tab gets its own kernel; their writes meet in the writer's lock.

    Raises:
        MissingDependency: Voilà is not installed (``pip install 'practicebook[jupyter]'``).
        FileNotFoundError: ``book`` does not exist.
    """
    import importlib.util
    import os
    import sys

    if importlib.util.find_spec("voila") is None:
        raise MissingDependency("voila", "jupyter")
    path = Path(book).resolve(strict=True)
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(APP_NOTEBOOK),
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=300",
    ]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    env = dict(os.environ if environ is None else environ)
    env[BOOK_ENV] = str(path)
    return argv, env
