"""A bookkeeper's month in the page, in Chromium: entering sessions without mis-filing,
a cancellation with its fee said in one sentence, a payment, a client, a write-off, and
the month-end walk to a closed period. The workbook is re-read through the core after
every save and compared with what the page said.

The page is the packaged Voilà app over a copy of the example workbook, served as
``practicebook app`` serves it (``tests/frontends/jupyter/serve.py``). Skipped when
Chromium, Playwright or Voilà is missing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("voila")

import practicebook  # noqa: E402
from practicebook.core import edits, entry  # noqa: E402
from practicebook.core.reconcile import reconcile  # noqa: E402
from tests.frontends.jupyter.serve import CHROMIUM, chromium, serving  # noqa: E402
from tests.support.books import ROOT  # noqa: E402

expect = sync_api.expect
expect.set_options(timeout=60_000)
EXAMPLE = ROOT / "examples" / "example-practice.xlsx"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("monthend")
    book = work / "practice.xlsx"
    shutil.copy(EXAMPLE, book)
    with serving(book, work) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install-test-deps installs it)")
    with chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    errors: list[str] = []
    context = browser.new_context()
    context.set_default_timeout(60_000)
    opened = context.new_page()
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.goto(server["url"])
    expect(opened.locator(".pb-session-client-id input")).to_be_visible()
    yield opened
    context.close()
    assert errors == []


def reread(path: Path):
    """The workbook as the core reads it now, reconciled as the page does (today)."""
    book, issues = practicebook.load(path)
    assert not [i for i in issues if i.code.value.startswith("audit-")]
    return book, reconcile(book)


def label(book, client_id: str) -> str:
    c = book.clients.set_index("client_id").loc[client_id]
    return f"{c['last_name']}, {c['first_name']} ({client_id})"


def choose(page, hook: str, text: str) -> None:
    """Type into a searchable list and take the entry, as a person picking from it."""
    box = page.locator(f".pb-{hook} input")
    box.fill(text)
    box.press("Enter")


def test_journey_a_session_is_saved_once_and_a_duplicate_is_warned(page, server):
    book, _ = reread(server["book"])
    count = len(book.sessions)
    minutes = page.locator(".pb-session-scheduled-minutes input")
    minutes.fill("fifty")
    minutes.press("Enter")
    messages = page.locator(".pb-session-messages")
    expect(messages).to_contain_text("Scheduled minutes: 'fifty' is not a number")
    expect(messages).not_to_contain_text("Sessions!")
    expect(messages).not_to_contain_text("Client")  # untouched fields say nothing yet

    choose(page, "session-client-id", label(book, "C0004"))
    choose(page, "session-clinician-id", "T01")
    choose(page, "session-service-code", "90834")
    page.locator(".pb-session-scheduled-start input").fill("2027-03-09T10:00")
    minutes.fill("45")
    minutes.press("Enter")
    page.locator("button.pb-session-save").click()
    expect(page.locator(".pb-session-saved")).to_contain_text(
        f"Saved session S{count + 1:07d} at Sessions row {count + 2} for {label(book, 'C0004')}"
    )
    expect(page.locator(".pb-session-client-id input")).to_have_value("")
    page.locator("button.pb-session-save").click()  # the double click: nothing to save
    expect(messages).to_contain_text("Client ID: Choose the client id.")
    after, _ = reread(server["book"])
    assert len(after.sessions) == count + 1
    new = after.sessions.iloc[-1]
    assert (new["client_id"], new["clinician_id"], new["service_code"], new["status"]) == (
        "C0004",
        "T01",
        "90834",
        "scheduled",
    )
    assert str(new["scheduled_start"]) == "2027-03-09 10:00:00"

    # the same session again: warned, saved only when confirmed
    choose(page, "session-client-id", "C0004")
    page.locator(".pb-session-scheduled-start input").fill("2027-03-09T10:00")
    page.locator(".pb-session-scheduled-start input").press("Tab")
    page.locator("button.pb-session-save").click()
    expect(page.locator(".pb-session-duplicate")).to_contain_text(
        f"Session S{count + 1:07d} already has this client, clinician, service and start"
    )
    assert len(reread(server["book"])[0].sessions) == count + 1
    page.locator("button.pb-session-save-anyway").click()
    expect(page.locator(".pb-session-saved")).to_contain_text(f"Saved session S{count + 2:07d}")
    assert len(reread(server["book"])[0].sessions) == count + 2
    assert edits.duplicate_sessions(
        reread(server["book"])[0],
        {
            "client_id": "C0004",
            "clinician_id": "T01",
            "service_code": "90834",
            "scheduled_start": dt.datetime(2027, 3, 9, 10, 0),
        },
    ) == [f"S{count + 1:07d}", f"S{count + 2:07d}"]


def test_journey_a_cancellation_says_its_fee_and_the_day_it_is_charged(page, server):
    book, rec = reread(server["book"])
    scheduled = book.sessions[
        (book.sessions["status"] == "scheduled")
        & (book.sessions["scheduled_start"] > str(rec.as_of + dt.timedelta(days=7)))
    ]
    for _, session in scheduled.iterrows():  # the first one a fee is charged for
        start = session["scheduled_start"].to_pydatetime()
        stamp = entry.cancellation_stamp(
            book, session["session_id"], start - dt.timedelta(hours=3), "client", "phone"
        )
        if stamp.fee > 0:
            break
    page.get_by_text("Mark a cancellation").scroll_into_view_if_needed()
    choose(page, "cancel-session", session["session_id"])
    page.locator(".pb-cancel-requested input").fill(
        (start - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator(".pb-cancel-requested input").press("Tab")
    page.locator("button.pb-cancel-preview").click()
    day = f"{start:%b} {start.day}, {start.year}"
    expect(page.locator(".pb-cancel-fee")).to_contain_text(
        f"a fee of ${stamp.fee:,.2f} (USD) is charged on {day}, the session day"
    )
    page.locator("button.pb-cancel-save").click()
    expect(page.locator(".pb-cancel-messages")).to_contain_text(
        f"Marked {session['session_id']} cancelled; fee ${stamp.fee:,.2f} (USD), charged on "
        f"{day}, the session day"
    )
    after, _ = reread(server["book"])
    row = after.sessions.set_index("session_id").loc[session["session_id"]]
    assert row["status"] == stamp.values["status"]


def test_journey_payment_client_and_write_off(page, server):
    book, rec = reread(server["book"])
    balances = rec.balances.set_index("client_id")["balance"]
    page.get_by_role("tab", name="Payments").click()
    choose(page, "payment-client-id", label(book, "C0002"))
    expect(page.locator(".pb-payment-before")).to_contain_text(label(book, "C0002"))
    page.locator(".pb-payment-amount input").fill("40.00")
    page.locator(".pb-payment-amount input").press("Enter")
    page.locator(".pb-payment-method select").select_option("card")
    page.locator("button.pb-payment-save").click()
    expect(page.locator(".pb-balance-after")).to_be_visible()
    _, rec = reread(server["book"])
    now = rec.balances.set_index("client_id").loc["C0002", "balance"]
    assert now == balances["C0002"] - 40
    expect(page.locator(".pb-balance-after")).to_have_text(f"${now:,.2f}".replace("$-", "-$"))

    page.get_by_role("tab", name="Clients").click()
    page.locator(".pb-client-first-name input").fill("Ada")
    page.locator(".pb-client-last-name input").fill("Example")
    page.locator(".pb-client-last-name input").press("Enter")
    page.locator("button.pb-client-save").click()
    expect(page.locator(".pb-client-saved")).to_contain_text("Added client C0009")
    choose(page, "client-pick", "C0009")
    expect(page.locator(".pb-client-first-name input")).to_have_value("Ada")
    page.locator(".pb-client-policy-ack-date input").fill("2026-11-02")
    page.locator(".pb-client-policy-ack-date input").press("Tab")
    page.locator("button.pb-client-save").click()
    expect(page.locator(".pb-client-saved")).to_contain_text("Saved client C0009: Policy ack date")
    client = reread(server["book"])[0].clients.set_index("client_id").loc["C0009"]
    assert (client["last_name"], str(client["policy_ack_date"].date())) == ("Example", "2026-11-02")

    page.get_by_role("tab", name="Adjustments").click()
    owing = rec.balances[rec.balances["balance"] > 0].iloc[0]
    choose(page, "adjustment-client-id", label(book, owing["client_id"]))
    page.locator(".pb-adjustment-type select").select_option("write_off")
    page.locator(".pb-adjustment-amount input").fill("25.00")
    page.locator(".pb-adjustment-amount input").press("Enter")
    expect(page.locator(".pb-adjustment-effect")).to_contain_text("lowers what")
    page.locator("button.pb-adjustment-save").click()
    expect(page.locator(".pb-adjustment-messages")).to_contain_text("Reason: Say why it is made.")
    page.locator(".pb-adjustment-reason input").fill("hardship")
    page.locator(".pb-adjustment-approved-by input").fill("owner")
    page.locator(".pb-adjustment-approved-by input").press("Enter")
    page.locator("button.pb-adjustment-save").click()
    expect(page.locator(".pb-adjustment-saved")).to_be_visible()
    _, after = reread(server["book"])
    balance = after.balances.set_index("client_id").loc[owing["client_id"], "balance"]
    assert balance == owing["balance"] - 25


def test_journey_month_end_to_a_closed_period(page, server):
    book, rec = reread(server["book"])
    first = rec.as_of.replace(day=1)
    through = first - dt.timedelta(days=1)  # the last month that has ended
    unresolved = edits.unresolved_sessions(book, min(through + dt.timedelta(days=1), rec.as_of))
    assert len(unresolved) > 0
    page.get_by_role("tab", name="Month end").click()
    expect(page.locator(".pb-monthend-unresolved")).to_contain_text(
        f"{len(unresolved)} past sessions on or before {through:%b} {through.day}, {through.year}"
    )
    page.locator("button.pb-outcome-batch-review").click()
    expect(page.locator(".pb-outcome-batch-question")).to_contain_text(
        f"These {len(unresolved)} past sessions were attended"
    )
    page.locator("button.pb-outcome-batch-confirm").click()
    expect(page.locator(".pb-monthend-unresolved")).to_contain_text(
        "Every past session has an outcome"
    )
    after, _ = reread(server["book"])
    s = after.sessions.set_index("session_id").loc[list(unresolved["session_id"])]
    assert set(s["status"]) == {"attended"}
    assert list(s["actual_minutes"]) == list(unresolved["scheduled_minutes"])

    reviews = len(after.frame("Reviews"))
    summary = page.locator(".pb-monthend-findings")
    shown = summary.inner_text()
    page.locator("button.pb-monthend-review").click()
    expect(summary).to_contain_text(f"{reviews + 1} marked reviewed")
    assert summary.inner_text() != shown
    assert len(reread(server["book"])[0].frame("Reviews")) == reviews + 1

    page.locator("button.pb-monthend-close").click()
    expect(page.locator(".pb-monthend-close-question")).to_contain_text("Confirm?")
    page.locator("button.pb-monthend-close-confirm").click()
    expect(page.locator(".pb-monthend-lock")).to_contain_text(
        f"closed through {through:%b} {through.day}, {through.year}"
    )
    assert reread(server["book"])[0].settings.lock_through_date == through
