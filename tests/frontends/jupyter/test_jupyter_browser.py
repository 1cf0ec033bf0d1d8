"""The Voilà app in a real browser: Debian's Chromium driven by Playwright.

A Voilà server is started on a free loopback port with the same command line as
``practicebook app`` (``voila_command``), serving the packaged dashboard notebook for a
generated workbook. Start and stop are bounded; kernels the server started are killed
if they outlive it. Skipped when Chromium, Playwright or Voilà is missing; CI installs
them (``scripts/install-test-deps``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("voila")

import practicebook  # noqa: E402
from practicebook.core.reconcile import reconcile  # noqa: E402
from practicebook.generate import generate  # noqa: E402
from practicebook.l10n import format_money  # noqa: E402
from practicebook.money import to_minor  # noqa: E402
from tests.frontends.jupyter.serve import CHROMIUM, chromium, serving  # noqa: E402

sync_api.expect.set_options(timeout=60_000)  # expect() has its own 5 s default


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("voila")
    book = work / "practice.xlsx"
    generate(300, problems=True).write(book)
    with serving(book, work) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install-test-deps installs it)")
    with chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def open_page(browser, server):
    contexts, errors = [], []

    def open_one():
        context = browser.new_context()
        context.set_default_timeout(60_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server["url"])
        sync_api.expect(page.locator(".pb-tabs")).to_be_visible()
        return page

    yield open_one
    for context in contexts:
        context.close()
    assert errors == []


def _choose(page, css: str, row_id: str) -> None:
    """Pick a row in a searchable list by typing its ID (the lists take an exact ID)."""
    box = page.locator(f"{css} input")
    box.fill(row_id)
    box.press("Enter")


def _fill_session(page, client: str, start: str) -> None:
    _choose(page, ".pb-session-client-id", client)
    _choose(page, ".pb-session-service-code", "90834")
    page.locator(".pb-session-scheduled-start input").fill(start)
    minutes = page.locator(".pb-session-scheduled-minutes input")
    minutes.fill("50")
    minutes.press("Enter")
    page.locator(".pb-session-status select").select_option("attended")


def _balance(book: Path, client: str) -> int:
    """The client's balance in minor units, as the core has it."""
    rec = reconcile(practicebook.load(book)[0])
    return to_minor(rec.balances.set_index("client_id").loc[client, "balance"], "USD")


def test_enter_a_session_and_a_payment(open_page, server):
    book = server["book"]
    page = open_page()
    _fill_session(page, "C0002", "2026-11-20T10:00")
    page.locator("button.pb-session-save").click()
    sync_api.expect(page.locator(".pb-session-messages")).to_contain_text("Saved session")

    page.get_by_role("tab", name="Payments").click()
    _choose(page, ".pb-payment-client-id", "C0002")
    page.locator(".pb-payment-amount input").fill("40.00")
    page.locator(".pb-payment-method select").select_option("card")
    page.locator("button.pb-payment-save").click()
    after = page.locator(".pb-balance-after")
    sync_api.expect(after).to_be_visible()

    loaded = practicebook.load(book)[0]
    session = loaded.sessions.iloc[-1]
    assert (
        session["client_id"],
        session["service_code"],
        session["status"],
        str(session["scheduled_start"]),
    ) == ("C0002", "90834", "attended", "2026-11-20 10:00:00")
    payment = loaded.payments.iloc[-1]
    assert (payment["client_id"], payment["method"], int(payment["amount"])) == (
        "C0002",
        "card",
        4000,
    )
    sync_api.expect(after).to_have_text(format_money(_balance(book, "C0002"), "USD", "en_US"))


def test_flags_tab_lists_a_known_flag(open_page):
    page = open_page()
    page.get_by_role("tab", name="Flags").click()
    table = page.locator(".pb-flags-table")
    page.locator(".pb-flags-code select").select_option("unknown-client")
    sync_api.expect(table).to_contain_text("unknown-client")
    sync_api.expect(table.locator("tr", has_text="Sessions!B5")).to_contain_text("C9999")
    sync_api.expect(page.locator(".pb-flags-count")).to_contain_text("1 of ")


def test_two_tabs_saving_at_once_keep_both_rows(open_page, server):
    book = server["book"]
    before = len(practicebook.load(book)[0].sessions)
    pages = [open_page(), open_page()]
    for page, client in zip(pages, ("C0005", "C0006"), strict=True):
        _fill_session(page, client, "2026-11-21T09:00")
    for page in pages:
        page.locator("button.pb-session-save").click(no_wait_after=True)
    for page in pages:
        sync_api.expect(page.locator(".pb-session-messages")).to_contain_text("Saved session")
    sessions = practicebook.load(book)[0].sessions
    assert len(sessions) == before + 2
    assert sorted(sessions["client_id"].iloc[-2:]) == ["C0005", "C0006"]
