"""The dashboard's tables, charts, Documents and Bank tabs and its kernel limit, driven
from plain Python (the browser journeys are in ``test_journey_views.py``).

Every figure is compared with the core's (``reconcile``, ``summary``, ``documents``,
``bank``) computed here independently of the dashboard.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import shutil
from decimal import Decimal

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("bqplot")

import practicebook
from practicebook import bank, documents
from practicebook.core import summary
from practicebook.core.reconcile import reconcile
from practicebook.frontends.jupyter import Dashboard
from practicebook.frontends.jupyter.table import TableView, header, render
from practicebook.frontends.jupyter.widgets import widgets
from practicebook.generate import generate
from practicebook.generate.bank import statements
from practicebook.l10n import format_money
from practicebook.money import to_minor

AS_OF = dt.date(2026, 11, 30)


def shown(amount: Decimal) -> str:
    return format_money(to_minor(amount, "USD"), "USD", "en_US")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("views")
    practice = generate(300, problems=True)
    practice.write(folder / "template.xlsx")
    return folder / "template.xlsx", statements(practice)


@pytest.fixture
def book_path(made, tmp_path):
    path = tmp_path / "practice.xlsx"
    shutil.copy(made[0], path)
    return path


@pytest.fixture
def dash(book_path):
    return Dashboard(book_path, as_of=AS_OF)


def body_rows(table_html: str) -> list[str]:
    body = table_html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr class='[^']*'>(.*?)</tr>", body)


def test_headers_read_as_words():
    assert header("oldest_open_date") == "Oldest open date"
    assert header("client_id") == "Client" and header("document_number") == "Document number"
    assert header("1-30") == "1–30 days" and header("npi") == "NPI"


def test_a_table_has_a_totals_row_a_legend_and_dates_that_do_not_wrap():
    frame = pd.DataFrame(
        {"client_id": ["C1", "C2"], "day": pd.to_datetime(["2026-03-01", "2026-03-02"])}
    ).assign(amount=pd.array([Decimal("1.10"), Decimal("2.25")], dtype="object"))
    from practicebook.frontends.jupyter.table import Highlight, where

    out = render(
        frame,
        money=["amount"],
        fmt=lambda v: f"${v}",
        highlights=[Highlight("pb-hl-error", "Broken", where("client_id", "C2"))],
        totals={"amount": Decimal("3.35")},
        counts={"pb-hl-error": 1},
    )
    assert "<tfoot><tr class='pb-total'><td>Total</td><td></td>" in out
    assert "<td class='pb-money'>$3.35</td></tr></tfoot>" in out
    assert "Broken (1)" in out and "<tr class='pb-hl-error'><td>C2</td>" in out
    assert "<td class='pb-date'>2026-03-01</td>" in out
    assert "white-space: nowrap" in out


def test_a_table_view_sorts_and_pages():
    w = widgets()
    view = TableView(w, "t", page_size=2)
    frame = pd.DataFrame({"n": [3, 1, 2, 5, 4]})
    view.show(frame, sort=("n", True))
    assert [r.count("<td>") for r in body_rows(view.html.value)] == [1, 1]
    assert re.findall(r"<td>(\d)</td>", view.html.value) == ["5", "4"]
    assert "Rows 1–2 of 5" in view.position.value and view.previous.disabled
    view.next.click()
    view.next.click()
    assert re.findall(r"<td>(\d)</td>", view.html.value) == ["1"] and view.next.disabled
    view.order.value = "ascending"  # a new order starts at the first page
    assert re.findall(r"<td>(\d)</td>", view.html.value) == ["1", "2"]


def test_balances_name_clients_total_the_core_and_explain_each_highlight(dash, book_path):
    book = practicebook.load(book_path)[0]
    rec = reconcile(book, AS_OF)
    tab = dash.balances
    tab.view.page_size = 1000
    tab.view.draw()
    table = tab.table.value
    assert "<th class='' data-key='oldest_open_date'>Oldest open date</th>" in table
    clients = book.frame("Clients").set_index("client_id")
    first = clients.loc["C0001"]
    assert f"{first['last_name']}, " in table and "(C0001)</td>" in table
    total = rec.balances["balance"].sum()
    assert re.search(r"<tfoot>.*" + re.escape(shown(total)), table)
    loaded = {(i.client_id, i.severity.value) for i in practicebook.load(book_path)[1]}
    found = {*zip(rec.flags["client_id"], rec.flags["severity"], strict=True), *loaded}
    worst = pd.DataFrame(sorted(found, key=str), columns=["client_id", "severity"])
    worst = worst.dropna().groupby("client_id")["severity"].agg(set)
    worst = worst[worst.index.isin(rec.balances["client_id"])]
    warned = [c for c, s in worst.items() if "warning" in s and "error" not in s]
    assert warned
    assert f"Client has a warning ({len(warned)})" in table
    rows = body_rows(table)
    balances = [
        Decimal(re.sub(r"[^0-9.-]", "", re.findall(r"pb-money'>([^<]*)<", r)[4])) for r in rows
    ]
    assert balances == sorted(balances, reverse=True)  # biggest balance first
    note_only = [c for c, s in worst.items() if s == {"note"}]
    for client in note_only:  # a note alone colours nothing
        assert not re.search(rf"<tr class='pb-hl-[a-z]+'><td>[^<]*\({client}\)</td>", table)


def test_minimal_phi_shows_ids_only(dash):
    state = dash.state
    settings = dataclasses.replace(state.book.settings, phi_mode="minimal")
    state.book = dataclasses.replace(state.book, settings=settings)
    assert state.client("C0001") == "C0001"
    dash.balances.update()
    assert (
        "<td>C0001</td>" in dash.balances.view.html.value
        or "C0001" in dash.balances.view.html.value
    )
    assert ", " not in "".join(
        re.findall(r"<tr class='[^']*'><td>([^<]*)</td>", dash.balances.table.value)
    )


def test_flags_filter_by_severity(dash):
    tab = dash.flags
    findings = dash.state.findings
    assert tab.severity.options[0] == "(all)" and "error" in tab.severity.options
    tab.severity.value = "error"
    assert set(tab.rows()["severity"]) == {"error"}
    assert len(tab.rows()) == (findings["severity"] == "error").sum()
    assert f"{len(tab.rows())} of {len(findings)} findings" in tab.count.value


def test_charts_say_why_they_are_empty(tmp_path):
    path = tmp_path / "empty.xlsx"
    practicebook.new_workbook(path)
    dash = Dashboard(path)
    dash.charts.ensure_built()
    for chart in dash.charts.charts:
        assert chart.figure.layout.display == "none"
        assert "pb-empty" in chart.empty.value
    assert "nothing charged or collected yet" in dash.charts.monthly.empty.value
    assert "no payments have been received yet" in dash.charts.method.empty.value


def test_income_charts_add_up_to_the_core(dash, book_path):
    book = practicebook.load(book_path)[0]
    rec = reconcile(book, AS_OF)
    dash.charts.ensure_built()
    by_clinician = dash.charts.clinician.series
    charged = sum(rec.charges["amount"])
    assert sum(Decimal(str(v)) for v in by_clinician.values[0]) == charged
    collected = summary.monthly_money(rec)["collected"].sum()
    method = summary.collected_by_method(rec, book.payments)
    assert method.sum() == collected
    assert dash.charts.method.series.texts[0] == [shown(v) for v in method]


def test_documents_preview_issue_and_register(dash, book_path):
    tab = dash.documents
    tab.ensure_built()
    tab.client.value = dash.state.client("C0001")
    tab.month.value = "2026-03"
    tab.preview_button.click()
    book = practicebook.load(book_path)[0]
    expected = documents.statement(book, "C0001", month="2026-03", issued_on=AS_OF)
    closing = dict(expected.summary)["Closing balance"]
    assert shown(closing) in tab.preview.value and not tab.issue_button.disabled
    tab.issue_button.click()
    assert "Issued <b>ST-00001</b>" in tab.messages.value
    register = documents.register(practicebook.load(book_path)[0])
    assert list(register["document_number"]) == ["ST-00001"]
    assert "ST-00001" in tab.register.html.value and shown(closing) in tab.register.html.value
    assert (book_path.parent / "documents" / "ST-00001_statement_C0001_2026-03.pdf").exists()


def test_documents_good_faith_estimate_preview_and_issue(dash, book_path):
    tab = dash.documents
    tab.ensure_built()
    tab.kind.value = "estimate"
    assert tab.estimate_box.layout.display is None and tab.month.layout.display == "none"
    tab.client.value = dash.state.client("C0001")
    tab.services.value = "90791=1, 90834"
    tab.frequency.value = "biweekly"
    tab.start.value = dt.date(2027, 1, 1)
    tab.preview_button.click()
    book = practicebook.load(book_path)[0]
    expected = documents.estimate(
        book,
        "C0001",
        services=[("90791", 1), ("90834", None)],
        frequency="biweekly",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 12, 31),  # a year when To is blank
        issued_on=AS_OF,
    )
    assert expected.total > 0
    assert shown(expected.total) in tab.preview.value and not tab.issue_button.disabled
    # every line on screen as the builder made it; every two weeks through 2027: 27 sessions
    lines = expected.lines.set_index("service_code")
    assert int(lines.loc["90834", "sessions"]) == len(
        pd.date_range("2027-01-01", "2027-12-31", freq="14D")
    )
    assert lines.loc["90834", "total"] == lines.loc["90834", "fee"] * 27
    assert sum(lines["total"]) == expected.total
    for code, line in lines.iterrows():
        row = re.search(
            rf"<tr[^>]*>(?:(?!</tr>).)*<td>{code}</td>(?:(?!</tr>).)*</tr>", tab.preview.value, re.S
        )
        assert row is not None, code
        for key in ("fee", "total"):
            assert shown(line[key]) in row.group(0), (code, key)
        assert f">{int(line['sessions'])}<" in row.group(0), code
    tab.issue_button.click()
    register = documents.register(practicebook.load(book_path)[0])
    assert list(register["type"]) == ["estimate"]
    assert Decimal(str(register["total"].iloc[0])) == expected.total
    number = register["document_number"].iloc[0]
    assert f"Issued <b>{number}</b>" in tab.messages.value


@pytest.mark.parametrize(
    ("services", "end", "why"),
    [
        ("", None, "Name the services expected"),
        ("90834=weekly", None, "write CODE or CODE=COUNT"),
        ("90834", dt.date(2026, 1, 1), "The period ends before it starts."),
        ("99999=1", None, "Nothing to preview: service &#x27;99999&#x27; has no Services row"),
    ],
)
def test_documents_estimate_says_what_is_missing(dash, services, end, why):
    tab = dash.documents
    tab.ensure_built()
    tab.kind.value = "estimate"
    tab.client.value = dash.state.client("C0001")
    tab.services.value = services
    tab.end.value = end
    tab.preview_button.click()
    assert why in tab.messages.value and tab.issue_button.disabled


def test_documents_ask_for_a_client_first(dash):
    dash.documents.ensure_built()
    dash.documents.preview_button.click()
    assert "Choose a client first" in dash.documents.messages.value
    assert dash.documents.issue_button.disabled


def test_bank_import_review_choose_and_reconcile(dash, book_path, made):
    files = made[1].files
    tab = dash.bank
    tab.ensure_built()
    assert "No bank lines imported yet" in tab.lines.html.value
    tab.upload.value = [
        {
            "name": "chk-2026-03.csv",
            "type": "text/csv",
            "size": 1,
            "content": files["chk-2026-03.csv"],
            "last_modified": dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        }
    ]
    tab.account.value = "CHK"
    tab.import_button.click()
    added = len(bank.match(practicebook.load(book_path)[0], AS_OF).lines)
    assert f"added {added} lines, 0 already there, 0 conflicting" in tab.messages.value
    tab.import_button.click()  # the same file again adds nothing
    assert f"added 0 lines, {added} already there" in tab.messages.value
    result = bank.match(practicebook.load(book_path)[0], tab.as_of.value)
    balance = result.accounts.set_index("account_id").loc["CHK", "balance"]
    assert shown(balance) in tab.accounts.value
    unmatched = list(result.lines.loc[result.lines["status"] == "unmatched", "line_id"])
    assert [v for _l, v in tab.line.options] == unmatched[::-1] or set(
        v for _l, v in tab.line.options
    ) == set(unmatched)
    fee = next(
        r.line_id for r in result.lines.itertuples() if r.status == "unmatched" and r.amount < 0
    )
    tab.line.value = fee
    tab.not_client.click()
    assert f"Line {fee} recorded as not client money" in tab.messages.value
    status = bank.match(practicebook.load(book_path)[0], tab.as_of.value).lines.set_index("line_id")
    assert status.loc[fee, "status"] == "not_client_money"
    tab.store.click()
    assert "Matches confirmed" in tab.messages.value
    tab.rec_account.value = "CHK"
    tab.through.value = dt.date(2026, 3, 31)
    tab.closing.value = "1.00"
    tab.reconcile.click()
    assert "Nothing was written" in tab.messages.value


class FakeKernel:
    def __init__(self, last: dt.datetime) -> None:
        self.last_activity = last


def test_the_kernel_limit_makes_room_from_closed_pages_then_refuses():
    from tornado import web

    from practicebook.frontends.jupyter.kernels import BoundedKernelManager

    now = dt.datetime.now(dt.UTC)
    manager = BoundedKernelManager(max_kernels=2)
    kernels = {
        "open": FakeKernel(now - dt.timedelta(minutes=5)),
        "closed": FakeKernel(now - dt.timedelta(minutes=1)),
    }
    manager._kernel_connections = {"open": 1, "closed": 0}
    manager.list_kernel_ids = lambda: list(kernels)
    manager.get_kernel = kernels.__getitem__
    shut: list[str] = []

    async def shutdown(kernel_id, *args, **kwargs):
        shut.append(kernel_id)
        del kernels[kernel_id]

    async def started(self, *args, **kwargs):
        kernels["new"] = FakeKernel(dt.datetime.now(dt.UTC))
        return "new"

    manager.shutdown_kernel = shutdown
    base = BoundedKernelManager.__mro__[1]
    original = base.start_kernel
    base.start_kernel = started
    try:
        assert manager.orphans(now) == ["closed"]
        assert asyncio.run(manager.start_kernel()) == "new"
        assert shut == ["closed"]  # the closed page's kernel made room
        manager._kernel_connections["new"] = 1
        with pytest.raises(web.HTTPError) as refused:
            asyncio.run(manager.start_kernel())
        assert refused.value.status_code == 503 and "pages are open" in refused.value.reason
    finally:
        base.start_kernel = original
