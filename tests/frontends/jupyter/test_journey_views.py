"""Journeys through the dashboard's page in Chromium, as a bookkeeper reads it: the page
opens offline and titled with the practice, the tables (names, totals, legends, sorting,
paging, the severity filter, the ledger newest first), the charts (their figures and
tooltips against the core's), issuing a statement, importing a bank statement by upload,
and a closed page's kernel ending within a minute.

Served exactly as ``practicebook app`` serves it (``serve.serving``); every figure is
compared with the core's, computed here from the workbook on disk.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("voila")
pytest.importorskip("bqplot")

import practicebook  # noqa: E402
from practicebook import bank, documents  # noqa: E402
from practicebook.core import summary  # noqa: E402
from practicebook.core.reconcile import reconcile  # noqa: E402
from practicebook.generate import generate  # noqa: E402
from practicebook.generate.bank import statements  # noqa: E402
from practicebook.l10n import format_money  # noqa: E402
from practicebook.money import to_minor  # noqa: E402
from tests.frontends.jupyter.serve import CHROMIUM, chromium, descendants, serving  # noqa: E402

expect = sync_api.expect
expect.set_options(timeout=60_000)
LOCAL = {"127.0.0.1", "localhost"}


def shown(amount: Decimal) -> str:
    return format_money(to_minor(amount, "USD"), "USD", "en_US")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    practice = generate(300, problems=True)
    practice.write(folder / "practice.xlsx")
    for name, data in statements(practice).files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def server(office):
    with serving(office / "practice.xlsx", office) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install-test-deps installs it)")
    with chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    """The dashboard, loaded; every request it makes is recorded, and a request to any
    other machine fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    opened = context.new_page()
    errors: list[str] = []
    outside: list[str] = []

    def record(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL:
            outside.append(request.url)

    opened.on("request", record)
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    free_slot(server)
    opened.goto(server["url"])
    expect(opened.locator(".pb-tabs")).to_be_visible()
    expect(opened.locator(".pb-header")).to_contain_text("clients")
    yield opened
    context.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert errors == []


def core(server):
    book, issues = practicebook.load(server["book"])
    return book, issues, reconcile(book)


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def choose_client(page, box: str, book, client_id: str) -> None:
    """Type a client into a searchable list as a bookkeeper does: "Last, Given (ID)",
    the preferred name when there is one."""
    clients = book.frame("Clients").set_index("client_id")
    given = clients.loc[client_id, "preferred_name"]
    given = given if isinstance(given, str) else clients.loc[client_id, "first_name"]
    field = page.locator(f"{box} input")
    field.fill(f"{clients.loc[client_id, 'last_name']}, {given} ({client_id})")
    field.press("Enter")


def test_journey_the_page_opens_offline_with_the_practices_name(page, server):
    book, _issues, _rec = core(server)
    expect(page).to_have_title(book.settings.practice_name)
    tab(page, "Balances")
    link = page.locator("a.pb-download", has_text="Download CSV")
    expect(link).to_be_visible()
    looks = link.evaluate(
        "a => { const s = getComputedStyle(a); return [s.display, s.backgroundColor,"
        " s.paddingLeft, s.borderTopStyle, a.getAttribute('role')]; }"
    )
    assert looks[0] == "inline-block" and looks[1] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert looks[2] != "0px" and looks[3] == "solid" and looks[4] == "button"
    fonts = page.evaluate("document.fonts.size")  # Font Awesome comes with the local bundle
    assert fonts >= 1


def test_journey_balances_read_as_a_table_of_clients(page, server):
    book, _issues, rec = core(server)
    tab(page, "Balances")
    table = page.locator(".pb-balances-table")
    expect(table.locator("th", has_text="Oldest open date")).to_be_visible()
    clients = book.frame("Clients").set_index("client_id")
    top = rec.balances.sort_values("balance", ascending=False).iloc[0]
    name = f"{clients.loc[top['client_id'], 'last_name']}, "
    first_row = table.locator("tbody tr").first
    expect(first_row.locator("td").first).to_contain_text(name)
    expect(first_row.locator("td").first).to_contain_text(f"({top['client_id']})")
    total = table.locator("tfoot tr")
    expect(total).to_contain_text("Total")
    expect(total).to_contain_text(shown(rec.balances["balance"].sum()))
    expect(table.locator(".pb-legend")).to_contain_text("Client has a warning")
    # every highlighted row is explained by the legend; a note alone colours nothing
    classes = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.className)")
    assert set(classes) <= {"", "pb-hl-error", "pb-hl-warning"}
    legend = table.locator(".pb-legend").inner_text()
    assert f"Client has a warning ({classes.count('pb-hl-warning')})" in legend
    assert f"Client has an error finding ({classes.count('pb-hl-error')})" in legend
    # dates do not wrap
    date_cell = table.locator("td.pb-date").first
    assert date_cell.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    # sort by client, A first
    page.locator(".pb-balances-sort select").select_option(label="Client")
    page.locator(".pb-balances-order").get_by_text("ascending", exact=True).click()
    labels = table.locator("tbody tr td:first-child").all_inner_texts()
    expect(table.locator("tbody tr td").first).to_have_text(sorted(labels)[0])


def test_journey_flags_filter_by_severity_and_page_through(page, server):
    _book, issues, rec = core(server)
    tab(page, "Flags")
    every = len(rec.flags) + len(issues)
    expect(page.locator(".pb-flags-count")).to_have_text(f"{every} findings")
    position = page.locator(".pb-flags-position")
    expect(position).to_have_text(f"Rows 1–{min(every, 50)} of {every}")
    if every > 50:
        page.locator("button.pb-flags-next").click()
        expect(position).to_have_text(f"Rows 51–{min(every, 100)} of {every}")
    errors = sum(1 for i in issues if i.is_error) + int((rec.flags["severity"] == "error").sum())
    page.locator(".pb-flags-severity select").select_option("error")
    expect(page.locator(".pb-flags-count")).to_have_text(f"{errors} of {every} findings")
    rows = page.locator(".pb-flags-table tbody tr")
    expect(rows).to_have_count(min(errors, 50))
    assert set(rows.evaluate_all("rs => rs.map(r => r.className)")) == {"pb-hl-error"}
    expect(page.locator(".pb-flags-table .pb-legend")).to_contain_text("Error")


def test_journey_a_clients_ledger_newest_first(page, server):
    book, _issues, rec = core(server)
    tab(page, "Client ledger")
    choose_client(page, ".pb-ledger-client", book, "C0003")
    balance = rec.balances.set_index("client_id").loc["C0003", "balance"]
    expect(page.locator(".pb-ledger-balance")).to_have_text(shown(balance))
    lines = rec.explain("C0003").lines.sort_values("date", ascending=False, kind="stable")
    first = page.locator(".pb-ledger-table tbody tr").first
    expect(first).to_contain_text(str(lines["source"].iloc[0]))
    expect(page.locator(".pb-ledger-table tfoot")).to_contain_text(shown(balance))


def test_journey_charts_show_the_cores_figures(page, server):
    _book, _issues, rec = core(server)
    tab(page, "Charts")
    monthly = summary.monthly_money(rec)
    chart = page.locator(".pb-chart-monthly")
    bars = chart.locator("rect.bar")
    expect(bars).to_have_count(2 * len(monthly))
    ticks = chart.locator("g.tick text").evaluate_all("ts => ts.map(t => t.textContent)")
    assert [m for m in monthly["month"]] == [t for t in ticks if re.fullmatch(r"\d{4}-\d\d", t)]
    # the bars' data are the core's, in order (charged, collected per month)
    drawn = bars.evaluate_all(
        "rs => rs.map(r => [r.__data__.index, r.__data__.subIndex, r.__data__.y])"
    )
    for index, series, value in drawn:
        column = "charged" if series == 0 else "collected"
        expected = max(monthly[column].iloc[index], 0)
        assert Decimal(str(value)).quantize(Decimal("0.01")) == expected
    # hovering a bar reads the exact amount
    index = int(monthly["charged"].astype(float).to_numpy().argmax())
    bars.nth(2 * index).hover()
    expect(page.locator(".pb-tooltip")).to_contain_text(
        f"{monthly['month'].iloc[index]} · Charged: {shown(monthly['charged'].iloc[index])}"
    )
    figures = page.locator(".pb-chart-aging-figures")
    figures.locator("summary").click()
    for bucket, amount in summary.aging_totals(rec).items():
        label = "current" if bucket == "current" else str(bucket).replace("-", "–")
        expect(figures.locator("tr", has_text=label).first).to_contain_text(shown(amount))
    weekday = summary.cancellations_by_weekday(rec)
    drawn = page.locator(".pb-chart-cancel-weekday rect.bar").evaluate_all(
        "rs => rs.map(r => [r.__data__.index, r.__data__.subIndex, r.__data__.y])"
    )
    for index, series, value in drawn:
        assert value == int(weekday.iloc[index, series])


def test_journey_issue_a_statement(page, server):
    tab(page, "Documents")
    book, _issues, _rec = core(server)
    choose_client(page, ".pb-doc-client", book, "C0002")
    page.locator(".pb-doc-month select").select_option("2026-04")
    page.locator("button.pb-doc-preview").click()
    expected = documents.statement(book, "C0002", month="2026-04")
    closing = dict(expected.summary)["Closing balance"]
    preview = page.locator(".pb-doc-preview-area")
    expect(preview).to_contain_text("Statement for")
    expect(preview.locator(".pb-doc-summary")).to_contain_text(shown(closing))
    issue = page.locator("button.pb-doc-issue")
    expect(issue).to_be_enabled()
    issue.click()
    expect(page.locator(".pb-doc-issued")).to_contain_text("Issued ST-")
    register = documents.register(practicebook.load(server["book"])[0])
    number = register["document_number"].iloc[-1]
    expect(page.locator(".pb-doc-register-table")).to_contain_text(number)
    assert (server["book"].parent / "documents" / register["file_name"].iloc[-1]).exists()


def test_journey_issue_a_good_faith_estimate(page, server):
    tab(page, "Documents")
    book, _issues, _rec = core(server)
    page.locator(".pb-doc-kind select").select_option(label="Good-faith estimate")
    choose_client(page, ".pb-doc-client", book, "C0003")
    page.locator(".pb-doc-start input").fill("2027-01-01")
    page.locator(".pb-doc-end input").fill("2027-06-30")
    page.locator(".pb-doc-services input").fill("90791=1, 90834")
    page.locator(".pb-doc-frequency select").select_option(label="Weekly")
    page.locator("button.pb-doc-preview").click()
    expected = documents.estimate(
        book,
        "C0003",
        services=[("90791", 1), ("90834", None)],
        frequency="weekly",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 6, 30),
    )
    assert expected.total > 0
    preview = page.locator(".pb-doc-preview-area")
    expect(preview).to_contain_text("estimate", ignore_case=True)
    expect(preview.locator(".pb-doc-summary")).to_contain_text(shown(expected.total))
    issue = page.locator("button.pb-doc-issue")
    expect(issue).to_be_enabled()
    issue.click()
    expect(page.locator(".pb-doc-issued")).to_contain_text("Issued ")
    register = documents.register(practicebook.load(server["book"])[0])
    last = register.iloc[-1]
    assert last["type"] == "estimate" and Decimal(str(last["total"])) == expected.total
    expect(page.locator(".pb-doc-register-table")).to_contain_text(str(last["document_number"]))


def test_journey_import_a_bank_statement_by_upload(page, server, office):
    tab(page, "Bank")
    with page.expect_file_chooser() as chooser:
        page.locator(".pb-bank-upload").click()
    chooser.value.set_files(str(office / "chk-2026-03.csv"))
    page.locator(".pb-bank-account input").fill("CHK")
    page.locator("button.pb-bank-import").click()
    message = page.locator(".pb-bank-messages")
    expect(message).to_contain_text("0 already there, 0 conflicting.")
    book = practicebook.load(server["book"])[0]
    lines = bank.match(book).lines
    added = int((lines["account_id"] == "CHK").sum())
    assert added > 0
    expect(message).to_contain_text(f"chk-2026-03.csv: added {added} lines, 0 already there")
    expect(page.locator(".pb-bank-lines-table")).to_contain_text(str(lines["line_id"].iloc[0]))
    balance = bank.match(book).accounts.set_index("account_id").loc["CHK", "balance"]
    expect(page.locator(".pb-bank-accounts")).to_contain_text(shown(balance))


def _kernels(server) -> set[int]:
    return {
        pid
        for pid, _started in descendants(server["proc"].pid)
        if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }


def free_slot(server) -> None:
    """Wait (at most 90 s) until a page may start a kernel: the pages earlier tests
    closed hold theirs until the server ends idle kernels."""
    from practicebook.frontends.jupyter.launch import MAX_KERNELS

    waited = time.monotonic()
    while time.monotonic() - waited < 90 and len(_kernels(server)) >= MAX_KERNELS:
        time.sleep(1)


def test_journey_a_closed_pages_kernel_ends_within_a_minute(browser, server):
    free_slot(server)
    context = browser.new_context()
    opened = context.new_page()
    opened.goto(server["url"])
    expect(opened.locator(".pb-tabs")).to_be_visible()
    time.sleep(3)  # the next pre-heated kernel is started
    with_page = _kernels(server)
    context.close()
    closed_at = time.monotonic()
    while time.monotonic() - closed_at < 60 and len(_kernels(server)) >= len(with_page):
        time.sleep(1)
    assert len(_kernels(server)) < len(with_page), "the closed page's kernel is still running"


def test_journey_a_payment_saved_elsewhere_shows_without_reloading(page, server):
    tab(page, "Balances")
    before = core(server)[2].balances.set_index("client_id").loc["C0004", "balance"]
    practicebook.add_payment(
        server["book"],
        {"client_id": "C0004", "amount": "12.34", "method": "cash", "received_date": "2026-11-02"},
    )
    after = core(server)[2].balances.set_index("client_id").loc["C0004", "balance"]
    assert after == before - Decimal("12.34")
    row = page.locator(".pb-balances-table tbody tr", has_text="(C0004)")
    expect(row).to_contain_text(shown(after), timeout=20_000)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("empty")
    practicebook.new_workbook(folder / "empty.xlsx")
    with serving(folder / "empty.xlsx", folder) as served:
        yield served


def test_journey_an_empty_workbook_says_why_there_is_nothing_to_show(browser, empty_server):
    context = browser.new_context()
    opened = context.new_page()
    opened.goto(empty_server["url"])
    expect(opened.locator(".pb-tabs")).to_be_visible()
    tab(opened, "Charts")
    expect(opened.locator(".pb-chart-monthly-empty")).to_contain_text(
        "nothing charged or collected yet"
    )
    expect(opened.locator(".pb-chart-method-empty")).to_contain_text(
        "no payments have been received yet"
    )
    expect(opened.locator(".pb-chart-monthly")).to_be_hidden()
    tab(opened, "Client ledger")
    expect(opened.locator(".pb-ledger-summary")).to_contain_text("Choose a client")
    tab(opened, "Documents")
    expect(opened.locator(".pb-doc-register-table")).to_contain_text("No documents issued yet")
    context.close()
