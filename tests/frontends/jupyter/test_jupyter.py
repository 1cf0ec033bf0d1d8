"""The dashboard driven from plain Python: set ``.value``, ``.click()``, read the HTML.

Saving goes through ``practicebook.workbook.writer``; these tests put a recording writer in its
place so they check exactly what the dashboard hands over and shows. The real writer is
exercised end to end in ``test_jupyter_app.py`` and the browser tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")

import practicebook.workbook
from practicebook import schema
from practicebook.core import entry, summary
from practicebook.core.reconcile import reconcile
from practicebook.core.simulate import simulate
from practicebook.errors import MissingDependency, RowRefused
from practicebook.frontends.jupyter import Dashboard, SchemaForm
from practicebook.generate import generate
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money
from practicebook.money import to_minor

AS_OF = dt.date(2026, 11, 30)


def shown(amount: Decimal, currency: str = "USD", locale: str = "en_US") -> str:
    """An exact amount as the dashboard shows it."""
    return format_money(to_minor(amount, currency), currency, locale)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("dash") / "template.xlsx"
    generate(300, problems=True).write(path)
    return path


@pytest.fixture
def book_path(template, tmp_path):
    path = tmp_path / "practice.xlsx"
    shutil.copy(template, path)
    return path


class RecordingWriter:
    """Stands in for ``practicebook.workbook.writer``: records calls, answers like the writer."""

    def __init__(self):
        self.calls = []
        self.refuse_with = None

    def _append(self, sheet, path, values, **options):
        self.calls.append((sheet, path, dict(values), options))
        if self.refuse_with:
            raise RowRefused(self.refuse_with)
        return SimpleNamespace(sheet=sheet, row_id="X0001", row=302, issues=[])

    def add_session(self, path, values, **options):
        return self._append("Sessions", path, values, **options)

    def add_payment(self, path, values, **options):
        return self._append("Payments", path, values, **options)

    def mark_cancellation(self, path, session_id, **options):
        self.calls.append(("cancel", path, session_id, options))
        return SimpleNamespace(
            session_id=session_id, fee=Decimal("60.00"), basis="late cancel (test)"
        )


@pytest.fixture
def writer(monkeypatch):
    fake = RecordingWriter()
    monkeypatch.setitem(sys.modules, "practicebook.workbook.writer", fake)
    monkeypatch.setattr(practicebook.workbook, "writer", fake, raising=False)
    return fake


@pytest.fixture
def dash(book_path):
    return Dashboard(book_path, as_of=AS_OF, actor="tester")


def fill_session(tab, **values):
    defaults = {
        "client_id": "C0002",
        "service_code": "90834",
        "scheduled_start": dt.datetime(2026, 12, 2, 10, 0),
        "scheduled_minutes": "50",
        "status": "scheduled",
    }
    for key, value in {**defaults, **values}.items():
        tab.form.widget(key).value = value


def test_without_ipywidgets_an_install_hint(book_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(MissingDependency, match=r"practicebook\[jupyter\]"):
        Dashboard(book_path)


def test_session_form_is_generated_from_the_schema(dash):
    form = dash.sessions.form
    sessions = schema.WORKBOOK.sheet("Sessions")
    assert [f.widget.description for f in form.fields.values()] == [
        sessions.column(k).header for k in dash.sessions.KEYS
    ]
    book = practicebook.load(dash.state.path)[0]
    clients = book.clients.sort_values(["last_name", "first_name"])
    assert list(form.widget("client_id").options) == [  # names with IDs, by last name
        f"{c.last_name}, {c.first_name} ({c.client_id})" for c in clients.itertuples()
    ]
    assert form.widget("client_id").value == ""  # nothing chosen until the user chooses
    assert [form.fields["service_code"].ids[o] for o in form.widget("service_code").options] == [
        "90791",
        "90832",
        "90834",
        "90837",
        "90846",
        "90847",
    ]
    assert form.widget("clinician_id").value == ""
    assert tuple(form.widget("status").options) == schema.STATUSES
    assert type(form.widget("scheduled_start")).__name__ == "NaiveDatetimePicker"
    assert "pb-session-client-id" in form.widget("client_id")._dom_classes


def test_incomplete_session_shows_the_core_issue_and_is_not_saved(dash, writer):
    tab = dash.sessions
    tab.form.widget("client_id").value = "C0003"
    assert "Scheduled start" not in tab.messages.value  # untouched fields wait
    tab.save.click()
    assert writer.calls == []
    assert "<b>Scheduled start</b>" in tab.messages.value  # a save shows every message
    assert "Sessions!" not in tab.messages.value and "missing-value" not in tab.messages.value


def test_unreadable_minutes_are_refused_at_their_cell(dash, writer):
    tab = dash.sessions
    fill_session(tab, scheduled_minutes="fifty")
    assert "<b>Scheduled minutes</b>: &#x27;fifty&#x27; is not a number" in tab.messages.value
    tab.save.click()
    assert writer.calls == []


def test_complete_session_is_handed_to_the_writer(dash, writer, book_path):
    tab = dash.sessions
    fill_session(tab)
    assert tab.messages.value == ""  # the core found nothing
    tab.save.click()
    ((sheet, path, values, options),) = writer.calls
    assert (sheet, path) == ("Sessions", book_path)
    assert values == {
        "client_id": "C0002",
        "service_code": "90834",
        "scheduled_start": dt.datetime(2026, 12, 2, 10, 0),
        "scheduled_minutes": "50",
        "status": "scheduled",
    }
    assert options == {"password": None, "actor": "tester", "tool": "jupyter"}
    assert "Saved session X0001 at Sessions row 302" in tab.messages.value


def test_a_refusal_by_the_writer_is_shown(dash, writer):
    issue = Issue(
        Code.DUPLICATE_ID,
        Severity.ERROR,
        "session ID 'S1' is used twice",
        CellRef("Sessions", 302, 1),
    )
    writer.refuse_with = [issue]
    fill_session(dash.sessions)
    dash.sessions.save.click()
    assert "Session ID &#x27;S1&#x27; is used twice." in dash.sessions.messages.value


def test_ambiguous_money_text_is_refused_with_the_cell(dash, writer):
    tab = dash.payments
    tab.form.widget("client_id").value = "C0002"
    tab.form.widget("amount").value = "12,34.5"
    assert "&#x27;12,34.5&#x27; does not follow en_US number format" in tab.messages.value
    assert "ambiguous-money" not in tab.messages.value  # words, not codes
    tab.save.click()
    assert writer.calls == []


def test_payment_shows_balance_before_and_hands_text_to_the_writer(dash, writer, book_path):
    tab = dash.payments
    tab.form.widget("client_id").value = "C0004"
    rec = reconcile(practicebook.load(book_path)[0], AS_OF)
    balance = rec.balances.set_index("client_id").loc["C0004", "balance"]
    assert shown(balance) in tab.before.value
    tab.form.widget("amount").value = "1,250.00"
    tab.form.widget("method").value = "card"
    tab.save.click()
    ((sheet, _path, values, _options),) = writer.calls
    assert sheet == "Payments"
    assert values == {
        "client_id": "C0004",
        "received_date": AS_OF,
        "kind": "payment",
        "method": "card",
        "amount": "1,250.00",
    }
    assert "before " + shown(balance) in tab.messages.value
    assert tab.form.widget("amount").value == ""


def test_cancellation_fee_and_basis_shown_before_saving(dash, writer, book_path):
    tab = dash.sessions
    tab.cancel_session.value = "S0000179"  # scheduled 2026-12-01 09:00
    tab.requested_at.value = dt.datetime(2026, 12, 1, 3, 0)  # 6 hours' notice
    tab.channel.value = "email"
    assert tab.confirm.disabled
    tab.preview.click()
    book = practicebook.load(book_path)[0]
    stamp = entry.cancellation_stamp(
        book, "S0000179", dt.datetime(2026, 12, 1, 3, 0), "client", "email"
    )
    assert stamp.fee == Decimal("190.00")
    message = tab.cancel_messages.value
    assert f"Cancelled with {stamp.notice_hours:g} hours&#x27; notice" in message
    assert "full rate $190.00 (tier 0\u201312 h, 3rd occurrence" in message
    assert not tab.confirm.disabled
    tab.confirm.click()
    (call,) = writer.calls
    assert call == (
        "cancel",
        book_path,
        "S0000179",
        {
            "requested_at": dt.datetime(2026, 12, 1, 3, 0),
            "by": "client",
            "channel": "email",
            "password": None,
            "actor": "tester",
            "tool": "jupyter",
        },
    )
    assert (
        "Marked S0000179 cancelled; fee $60.00 (USD), charged on Dec 1, 2026, the session day"
        in tab.cancel_messages.value
    )


def test_an_attended_session_cannot_be_cancelled(dash):
    tab = dash.sessions
    tab.cancel_session.value = "S0000001"
    tab.requested_at.value = dt.datetime(2026, 2, 25, 9, 0)
    tab.preview.click()
    assert "pb-msg-error" in tab.cancel_messages.value
    assert "attended" in tab.cancel_messages.value
    assert tab.confirm.disabled


def _link(html_text: str, suffix: str) -> bytes:
    (encoded,) = re.findall(
        rf"download='[^']*{suffix}' href='data:[^;]+;base64,([^']+)'", html_text
    )
    return base64.b64decode(encoded)


def test_balances_in_the_workbook_locale_flagged_and_downloadable(tmp_path):
    path = tmp_path / "eur.xlsx"
    generate(300, problems=True, currency="EUR", locale="de_DE").write(path)
    dash = Dashboard(path, as_of=AS_OF)
    rec = reconcile(practicebook.load(path)[0], AS_OF)
    balances = rec.balances.set_index("client_id")
    dash.balances.view.page_size = 1000
    dash.balances.view.draw()
    table = dash.balances.table.value
    for client in ("C0001", "C0005"):
        text = shown(balances.loc[client, "balance"], "EUR", "de_DE")
        assert f"<td class='pb-money'>{text}</td>" in table
    errors = re.findall(r"<tr class='pb-hl-error'><td>([^<]+)</td>", table)
    assert "C9999" in errors  # sessions of an unknown client: an error finding
    csv = pd.read_csv(
        io.BytesIO(_link(dash.balances.downloads.value, ".csv")), dtype={"balance": str}
    )
    assert csv.set_index("client_id").loc["C0001", "balance"] == str(
        balances.loc["C0001", "balance"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(_link(dash.balances.downloads.value, ".xlsx"))).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "C0005")
    cell = row[header.index("balance")]
    assert Decimal(str(cell.value)) == balances.loc["C0005", "balance"]
    assert "€" in cell.number_format


def test_balances_as_of_an_earlier_day(dash, book_path):
    dash.balances.as_of.value = dt.date(2026, 3, 1)
    table, rec = dash.balances.frame()
    expected = reconcile(practicebook.load(book_path)[0], dt.date(2026, 3, 1))
    assert rec.as_of == dt.date(2026, 3, 1)
    assert table["balance"].tolist() == expected.balances["balance"].tolist()
    assert "balances-2026-03-01.csv" in dash.balances.downloads.value


def test_flags_filter_by_code_and_client(dash):
    tab = dash.flags
    assert "unknown-client" in tab.code.options and "late-arrival" in tab.code.options
    tab.code.value = "unknown-client"
    rows = tab.rows()
    assert rows[["code", "severity", "cell", "client_id"]].values.tolist() == [
        ["unknown-client", "error", "Sessions!B5", "C9999"]
    ]
    assert "1 of " in tab.count.value and "Sessions!B5" in tab.table.value
    tab.code.value = "(all)"
    tab.client.value = "C0001"
    assert set(tab.rows()["client_id"]) == {"C0001"}
    assert len(tab.rows()) == (dash.state.findings["client_id"] == "C0001").sum()


def test_client_ledger_explains_the_balance_newest_first(dash, book_path):
    tab = dash.ledger
    tab.client.value = dash.state.client("C0003")
    rec = reconcile(practicebook.load(book_path)[0], AS_OF)
    lines = rec.explain("C0003").lines
    balance = rec.balances.set_index("client_id").loc["C0003", "balance"]
    assert lines["balance"].iloc[-1] == balance
    assert shown(balance) in tab.summary.value
    body = tab.table.value.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr") == min(len(lines), tab.view.page_size)
    newest = lines.sort_values("date", ascending=False, kind="stable")
    assert re.search(r"<tr class=''><td class='pb-date'>([^<]+)</td>", body).group(1) == (
        dash.state.day(newest["date"].iloc[0].date())
    )
    assert str(newest["source"].iloc[0]) in body


def test_charts_show_the_cores_figures(dash):
    assert dash.charts.box.children == ()  # built when first shown
    dash.tab.selected_index = dash.tabs.index(dash.charts)
    rec = dash.state.result
    monthly = summary.monthly_money(rec)
    chart = dash.charts.monthly
    assert chart.series.categories == list(monthly["month"])
    assert chart.series.texts[0] == [shown(v) for v in monthly["charged"]]
    assert chart.series.texts[1] == [shown(v) for v in monthly["collected"]]
    assert list(chart.bars.x) == list(monthly["month"])
    march = list(monthly["month"]).index("2026-03")
    assert chart.bars.y[0][march] == pytest.approx(float(monthly["charged"].iloc[march]))
    weekday = summary.cancellations_by_weekday(rec)
    assert dash.charts.cancel_weekday.series.categories == list(weekday.index)
    assert dash.charts.cancel_weekday.series.values[1] == list(weekday["no_show"])
    aging = summary.aging_totals(rec)
    assert dash.charts.aging.series.texts[0] == [shown(v) for v in aging]
    chart._hover({"event": "hover", "point": {"index": march, "subIndex": 1}})
    assert shown(monthly["collected"].iloc[march]) in chart.tip.value
    assert "2026-03" in chart.figures.value


def test_what_if_refuses_unreadable_input(dash):
    tab = dash.whatif
    tab.run.click()
    assert "Change at least one setting" in tab.result.value
    tab.notice.value = "two days"
    tab.run.click()
    assert "Notice hours: &#x27;two days&#x27; is not a number" in tab.result.value


def test_what_if_shows_the_simulated_difference(dash, book_path):
    tab = dash.whatif
    tab.grace.value = "0"
    tab.tier.value = "100"
    tab.run.click()
    sim = simulate(
        practicebook.load(book_path)[0], {"grace_count": 0, "tier_percent": 100}, as_of=AS_OF
    )
    t = sim.totals
    assert t["fees_change"] != 0
    assert (
        f"Fees under the current policy {shown(t['fees_before'])} → under the changed policy "
        f"{shown(t['fees_after'])} (change +{shown(t['fees_change'])})"
    ) in tab.result.value
    clients = tab.result.value.split("<h4>")[1]
    changed = sim.per_client[
        (sim.per_client["fees_change"] != 0).to_numpy() | (sim.per_client["sessions_changed"] > 0)
    ]
    assert clients.count("<tr") == len(changed) + 1
    sessions = tab.result.value.split("<h4>")[2]
    assert sessions.count("<tr") == len(sim.sessions) + 1


EXAMPLE = Path(__file__).parents[3] / "examples" / "example-practice.xlsx"


def test_journey_what_if_48_hours_on_the_example(tmp_path):
    """The question the tour notebook asks: every policy requires 48 hours' notice."""
    path = tmp_path / "example.xlsx"
    shutil.copy(EXAMPLE, path)
    dash = Dashboard(path, as_of=dt.date(2026, 12, 31))
    tab = dash.whatif
    # the current values beside the inputs, and which tiers a percentage would change
    assert "now: POL-STD 24 h; POL-48 48 h" in tab.notice_now.value
    assert "now: POL-STD 1; POL-48 0" in tab.grace_now.value
    assert "POL-STD late_cancel 12\u201324 h (PolicyTiers row 2, now 50%)" in tab.tier_now.value
    tab.policy.value = "POL-48"
    assert "POL-STD" not in tab.tier_now.value
    tab.policy.value = "every policy"
    assert tab.mode.value == "replay" and "as if that policy had been applied" in (
        tab.mode_note.value
    )
    tab.notice.value = "48"
    tab.run.click()
    sim = simulate(practicebook.load(path)[0], {"notice_hours": 48}, as_of="2026-12-31")
    t = sim.totals
    assert t["fees_change"] == Decimal("785.00")  # figures by hand: tests/core/test_simulate.py
    result = tab.result.value
    assert (
        "Fees under the current policy $2,247.50 → under the changed policy $3,032.50 "
        "(change +$785.00)"
    ) in result
    assert "6 sessions change status" in result and "(1 newly charged" in result
    for session_id, fee in sim.sessions[["session_id", "fee_after"]].itertuples(index=False):
        assert session_id in result and shown(fee) in result
    # statuses held as recorded: the old answer, and the tab says why
    tab.mode.value = "recorded"
    assert "changes findings (status-mismatch), not fees" in tab.mode_note.value
    tab.run.click()
    assert "(change $0.00)" in tab.result.value


def test_reload_only_when_the_file_changed(dash, book_path, tmp_path):
    assert dash.refresh() is False
    book_path.write_bytes(book_path.read_bytes())  # new mtime, same content
    assert dash.refresh() is False
    bigger = tmp_path / "bigger.xlsx"
    generate(1200, problems=True).write(bigger)
    shutil.copy(bigger, book_path)
    assert dash.refresh() is True
    assert len(dash.sessions.form.widget("client_id").options) == 12
    assert "12 clients" in dash.header.value or "13 clients" in dash.header.value


def test_schema_form_for_another_sheet(dash):
    form = SchemaForm(
        dash.state, "Adjustments", ("client_id", "date", "type", "amount"), "adjustment"
    )
    assert tuple(form.widget("type").options) == schema.ADJUSTMENT_TYPES
    form.choose("client_id", "C0001")
    form.widget("amount").value = "-10.00"
    form.widget("date").value = dt.date(2026, 3, 1)
    assert form.widget("client_id").value.endswith("(C0001)")  # shown with its name
    assert form.values() == {
        "client_id": "C0001",
        "date": dt.date(2026, 3, 1),
        "type": "write_off",
        "amount": "-10.00",
    }


def test_a_change_on_disk_is_seen_before_the_next_save(dash, writer, book_path, template, tmp_path):
    other = tmp_path / "other.xlsx"
    generate(1200).write(other)
    shutil.copy(other, book_path)
    fill_session(dash.sessions, client_id="C0002")
    dash.sessions.save.click()
    assert len(dash.sessions.form.widget("client_id").options) == 12  # re-read first
    shutil.copy(template, book_path)
    dash.tab.selected_index = 3  # switching tabs re-reads a changed workbook too
    assert len(dash.sessions.form.widget("client_id").options) == 8


class RecordingComm:
    """Stands in for the kernel's comm and keeps what the widgets send to the page."""

    kernel = "kernel"  # ipywidgets sends state only through a comm with a kernel

    def __init__(self, *args, **kwargs):
        self.comm_id = kwargs.get("comm_id") or f"c{id(self)}"
        self.sent = []

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def close(self, *args, **kwargs):
        pass

    def send(self, data=None, metadata=None, buffers=None):
        self.sent.append(data)


def test_front_end_messages_fill_the_form_and_save(book_path, writer, monkeypatch):
    import comm

    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    dash = Dashboard(book_path, as_of=AS_OF)
    form = dash.sessions.form

    def from_page(widget, data):
        widget._handle_msg({"content": {"data": data}, "buffers": []})

    client = form.widget("client_id")
    # a searchable list sends the text shown: a client's label, a service typed by code
    label = next(o for o in client.options if o.endswith("(C0003)"))
    from_page(client, {"method": "update", "state": {"value": label}})
    from_page(form.widget("service_code"), {"method": "update", "state": {"value": "90834"}})
    from_page(
        form.widget("scheduled_start"),
        {
            "method": "update",
            "state": {
                "value": {
                    "year": 2026,
                    "month": 11,
                    "date": 2,
                    "hours": 9,
                    "minutes": 30,
                    "seconds": 0,
                    "milliseconds": 0,
                }
            },
        },
    )
    from_page(dash.sessions.save, {"method": "custom", "content": {"event": "click"}})
    ((_sheet, _path, values, _options),) = writer.calls
    assert (values["client_id"], values["service_code"]) == ("C0003", "90834")
    assert values["scheduled_start"] == dt.datetime(2026, 12, 2, 9, 30)  # JS months count from 0
    told = [
        m["state"]["value"]
        for m in dash.sessions.messages.comm.sent
        if m.get("method") == "update" and "value" in m.get("state", {})
    ]
    assert any("Saved session X0001" in v for v in told)
