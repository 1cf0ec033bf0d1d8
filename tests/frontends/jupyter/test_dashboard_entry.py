"""The entry tabs and the month-end walk driven from Python (``.value``, ``.click()``),
with the real writer: the workbook is re-read through the core after every save.

The same steps in Chromium are in ``test_journey_monthend.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("ipywidgets")

import practicebook
from practicebook.core import edits, entry
from practicebook.core.reconcile import reconcile
from practicebook.frontends.jupyter import Dashboard
from tests.support.books import ROOT

EXAMPLE = ROOT / "examples" / "example-practice.xlsx"
AS_OF = dt.date(2026, 12, 4)
START = dt.datetime(2026, 12, 9, 10, 0)


@pytest.fixture
def book_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PRACTICEBOOK_AUDIT_KEY_FILE", raising=False)
    path = tmp_path / "practice.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


@pytest.fixture
def dash(book_path) -> Dashboard:
    return Dashboard(book_path, as_of=AS_OF, actor="bookkeeper")


def reread(path: Path):
    book, issues = practicebook.load(path)
    assert not [i for i in issues if i.is_error]
    return book, reconcile(book, AS_OF)


def text(html_text: str) -> str:
    """What the page says: tags dropped, entities read, spaces collapsed."""
    bare = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html_text)
    return re.sub(r"\s+", " ", html.unescape(bare)).replace(" :", ":").strip()


def fill_session(tab, client_label: str) -> None:
    form = tab.form
    form.widget("client_id").value = client_label
    form.choose("clinician_id", "T01")
    form.choose("service_code", "90834")
    form.widget("scheduled_start").value = START
    form.widget("scheduled_minutes").value = "45"


def label(book, client_id: str) -> str:
    c = book.clients.set_index("client_id").loc[client_id]
    return f"{c['last_name']}, {c['first_name']} ({client_id})"


# --- lists and messages --------------------------------------------------------------------


def test_lists_show_names_with_ids_start_blank_and_accept_an_id(dash, book_path):
    book, _ = reread(book_path)
    client = dash.sessions.form.widget("client_id")
    assert client.value == "" and client.placeholder == "choose…"
    assert label(book, "C0004") in client.options
    assert list(client.options) == sorted(client.options, key=str.casefold)
    assert dash.payments.form.widget("client_id").value == ""  # no client pre-selected
    assert dash.payments.before.value == ""
    client.value = "c0004"  # an ID typed exactly chooses it too
    assert dash.sessions.form.values()["client_id"] == "C0004"


def test_minimal_phi_lists_show_ids_only(book_path):
    wb = openpyxl.load_workbook(book_path)
    practice = wb["Practice"]
    row = next(r for r in practice.iter_rows(min_row=2) if r[0].value == "phi_mode")
    row[1].value = "minimal"
    wb.save(book_path)
    dash = Dashboard(book_path, as_of=AS_OF)
    book, _ = reread(book_path)
    assert list(dash.sessions.form.widget("client_id").options) == sorted(book.clients["client_id"])
    names = set(book.clients["last_name"])
    shown = " ".join(dash.sessions.cancel_session.options)
    assert not any(n in shown for n in names)
    # editing a client shows no personal field; left blank, each is kept
    clients = dash.clients
    clients.pick.value = "C0001"
    assert clients.form.widget("last_name").value == ""
    assert clients.form.widget("last_name").placeholder == "(kept; not shown)"
    clients.form.widget("policy_ack_date").value = dt.date(2026, 12, 2)
    clients.save.click()
    after = reread(book_path)[0].clients.set_index("client_id").loc["C0001"]
    before = book.clients.set_index("client_id").loc["C0001"]
    assert (after["first_name"], after["last_name"]) == (before["first_name"], before["last_name"])
    assert after["policy_ack_date"].date() == dt.date(2026, 12, 2)


def test_messages_wait_for_a_touch_and_speak_in_words(dash, book_path):
    tab = dash.sessions
    assert tab.messages.value == ""
    tab.form.widget("scheduled_minutes").value = "fifty"
    said = text(tab.messages.value)
    assert "Scheduled minutes" in said and "'fifty' is not a number" in said
    assert "Client" not in said  # not touched yet
    assert "Sessions!" not in tab.messages.value and "[" not in said
    tab.save.click()  # a save shows every message, and saves nothing
    said = text(tab.messages.value)
    assert "Client ID: Choose the client id." in said
    assert len(reread(book_path)[0].sessions) == 600


# --- sessions ---------------------------------------------------------------------------------


def test_a_saved_session_clears_the_form_so_a_second_click_saves_nothing(dash, book_path):
    book, _ = reread(book_path)
    tab = dash.sessions
    fill_session(tab, label(book, "C0004"))
    tab.save.click()
    assert "Saved session S0000601" in text(tab.messages.value)
    assert "pb-session-saved" in tab.messages.value
    assert tab.form.widget("client_id").value == ""
    assert tab.form.widget("scheduled_start").value is None
    tab.save.click()  # the double click of the past
    after, _ = reread(book_path)
    assert len(after.sessions) == 601
    new = after.sessions.iloc[-1]
    assert (new["session_id"], new["client_id"], new["clinician_id"], new["scheduled_start"]) == (
        "S0000601",
        "C0004",
        "T01",
        START,
    )


def test_a_duplicate_session_is_warned_and_saved_only_when_confirmed(dash, book_path):
    book, _ = reread(book_path)
    original = book.sessions[book.sessions["clinician_id"].notna()].iloc[10]
    tab = dash.sessions
    tab.form.widget("client_id").value = label(book, original["client_id"])
    tab.form.choose("clinician_id", original["clinician_id"])
    tab.form.choose("service_code", original["service_code"])
    tab.form.widget("scheduled_start").value = original["scheduled_start"].to_pydatetime()
    tab.save.click()
    warning = text(tab.messages.value)
    assert f"Session {original['session_id']} already has this client" in warning
    assert tab.save_anyway.layout.display is None
    assert len(reread(book_path)[0].sessions) == 600
    tab.save_anyway.click()
    after, rec = reread(book_path)
    assert len(after.sessions) == 601
    found = rec.flags[rec.flags["code"] == "possible-duplicate-session"]
    if original["scheduled_start"].date() < AS_OF:  # the core reconciles the past only
        assert "S0000601" in set(found["row_id"])


def test_the_cancellation_list_offers_only_scheduled_sessions(dash, book_path):
    book, _ = reread(book_path)
    offered = {o.split(" · ")[0] for o in dash.sessions.cancel_session.options}
    scheduled = set(book.sessions.loc[book.sessions["status"] == "scheduled", "session_id"])
    assert offered == scheduled
    first = dash.sessions.cancel_session.options[0]
    sid, when, client = first.split(" · ")
    row = book.sessions.set_index("session_id").loc[sid]
    assert when.endswith(row["scheduled_start"].strftime("%H:%M"))
    assert client == label(book, row["client_id"])


def test_a_cancellation_fee_is_one_sentence_with_currency_and_day(dash, book_path):
    book, _ = reread(book_path)
    tab = dash.sessions
    later = book.sessions[
        (book.sessions["status"] == "scheduled") & (book.sessions["scheduled_start"] > "2026-12-10")
    ]
    for _, future in later.iterrows():  # the first one with a fee (some clients are exempt)
        start = future["scheduled_start"].to_pydatetime()
        ahead = start - dt.timedelta(hours=3)
        stamp = entry.cancellation_stamp(book, future["session_id"], ahead, "client", "phone")
        if stamp.fee > 0:
            break
    assert stamp.fee > 0
    tab.cancel_session.value = future["session_id"]
    tab.requested_at.value = ahead
    tab.preview.click()
    said = text(tab.cancel_messages.value)
    day = f"{start:%b} {start.day}, {start.year}"
    assert f"${stamp.fee:,.2f} (USD) is charged on {day}, the session day" in said
    assert "do not show it yet" in said  # the session is after the as-of day
    assert said.count(".") >= 1 and "Notice" not in said
    tab.confirm.click()
    after, _ = reread(book_path)
    row = after.sessions.set_index("session_id").loc[future["session_id"]]
    assert row["status"] == stamp.values["status"]


# --- payments, clients, adjustments ---------------------------------------------------------


def test_a_payment_for_a_client_chosen_by_name(dash, book_path):
    book, rec = reread(book_path)
    tab = dash.payments
    tab.form.widget("client_id").value = label(book, "C0004")
    before = rec.balances.set_index("client_id").loc["C0004", "balance"]
    said = text(tab.before.value)
    assert said.startswith(
        f"Balance of {label(book, 'C0004')} as of Dec 4, 2026: {dash.state.money(before)}"
    )
    assert ("a credit" in said) == (before < 0)
    tab.form.widget("amount").value = "40.00"
    tab.form.widget("method").value = "card"
    tab.save.click()
    _, after = reread(book_path)
    now = after.balances.set_index("client_id").loc["C0004", "balance"]
    assert now == before - Decimal("40.00")
    assert tab.form.widget("client_id").value == "" and tab.form.widget("amount").value == ""


def test_a_client_is_added_and_the_policy_acknowledgement_recorded(dash, book_path):
    tab = dash.clients
    tab.form.widget("first_name").value = "Ada"
    tab.form.widget("last_name").value = "Example"
    tab.save.click()
    assert "Added client C0009" in text(tab.messages.value)
    book, _ = reread(book_path)
    tab.pick.value = label(book, "C0009")
    assert tab.form.widget("first_name").value == "Ada"
    tab.form.widget("policy_ack_date").value = dt.date(2026, 12, 1)
    tab.save.click()
    assert "Saved client C0009: Policy ack date." in text(tab.messages.value)
    book, _ = reread(book_path)
    client = book.clients.set_index("client_id").loc["C0009"]
    assert (client["first_name"], client["policy_ack_date"].date()) == ("Ada", dt.date(2026, 12, 1))


def test_a_write_off_needs_reason_and_approver_and_lowers_the_balance(dash, book_path):
    book, rec = reread(book_path)
    owing = rec.balances[rec.balances["balance"] > 0].iloc[0]
    tab = dash.adjustments
    tab.form.widget("client_id").value = label(book, owing["client_id"])
    tab.form.widget("type").value = "write_off"
    tab.form.widget("amount").value = "25.00"
    assert "This lowers what" in tab.effect.value and "by $25.00 (USD)" in tab.effect.value
    tab.save.click()
    said = text(tab.messages.value)
    assert "Reason: Say why it is made." in said
    assert "Approved by: Say who approved it." in said
    assert len(reread(book_path)[0].adjustments) == len(book.adjustments)
    tab.form.widget("reason").value = "hardship"
    tab.form.widget("approved_by").value = "owner"
    tab.save.click()
    after, rec2 = reread(book_path)
    new = after.adjustments.iloc[-1]
    assert (new["type"], new["reason"], new["approved_by"]) == ("write_off", "hardship", "owner")
    balance = rec2.balances.set_index("client_id").loc[owing["client_id"], "balance"]
    assert balance == owing["balance"] - Decimal("25.00")


# --- the month end ----------------------------------------------------------------------------


def test_month_end_batch_review_and_close(dash, book_path):
    tab = dash.monthend
    assert tab.through == dt.date(2026, 11, 30)
    book, _ = reread(book_path)
    expected = edits.unresolved_sessions(book, dt.date(2026, 12, 1))
    assert len(tab.outcomes.batch.options) == len(expected) > 0
    assert "still marked scheduled" in tab.outcomes.summary.value
    tab.outcomes.review.click()
    question = text(tab.outcomes.confirm_text.value)
    assert f"These {len(expected)} past sessions were attended" in question
    assert len(reread(book_path)[0].sessions.query("status == 'attended'")) == len(
        book.sessions.query("status == 'attended'")
    )  # nothing saved before the confirmation
    tab.outcomes.confirm.click()
    after, _ = reread(book_path)
    s = after.sessions.set_index("session_id")
    assert set(s.loc[list(expected["session_id"]), "status"]) == {"attended"}
    assert list(s.loc[list(expected["session_id"]), "actual_minutes"]) == list(
        expected["scheduled_minutes"]
    )
    assert "Every past session has an outcome" in tab.outcomes.summary.value

    # review a finding: stored, and not offered again
    count = len(tab.finding.options)
    first = tab.state.findings.loc[tab.finding.value]
    tab.review.click()
    assert len(tab.finding.options) == count - 1
    reviews = reread(book_path)[0].frame("Reviews")
    assert (reviews.iloc[-1]["code"], reviews.iloc[-1]["cell"]) == (first["code"], first["cell"])
    reopened = Dashboard(book_path, as_of=AS_OF).monthend
    assert len(reopened.finding.options) == count - 1

    # close November
    tab.close.click()
    assert "Confirm?" in text(tab.close_question.value)
    tab.close_confirm.click()
    assert reread(book_path)[0].settings.lock_through_date == dt.date(2026, 11, 30)
    assert "closed through Nov 30, 2026" in text(tab.closing.value)


def test_month_end_refuses_to_close_over_unresolved_sessions(dash, book_path):
    tab = dash.monthend
    tab.close.click()
    assert "cannot be closed yet" in text(tab.close_question.value)
    assert tab.close_confirm.layout.display == "none"
    assert reread(book_path)[0].settings.lock_through_date is None


def test_an_empty_workbook_says_what_to_enter_first(tmp_path):
    path = tmp_path / "new.xlsx"
    practicebook.new_workbook(path)
    dash = Dashboard(path, as_of=AS_OF)
    said = text(dash.monthend.empty.value)
    assert "Enter first" in said and "first client in the Clients tab" in said
    assert dash.monthend.steps.layout.display == "none"
    client = dash.sessions.form.widget("client_id")
    assert (client.options, client.placeholder) == (
        (),
        "no clients yet: add one in the Clients tab",
    )


def test_a_refusal_by_the_writer_is_said_in_words(dash, book_path, monkeypatch):
    from practicebook.errors import RowRefused
    from practicebook.issues import CellRef, Code, Issue, Severity
    from practicebook.workbook import writer

    def refuse(*_args, **_kwargs):
        where = CellRef("Sessions", 602, 1)
        raise RowRefused([Issue(Code.DUPLICATE_ID, Severity.ERROR, "ID 'S1' is used twice", where)])

    monkeypatch.setattr(writer, "add_session", refuse)
    book, _ = reread(book_path)
    fill_session(dash.sessions, label(book, "C0004"))
    dash.sessions.save.click()
    said = text(dash.sessions.messages.value)
    assert "ID 'S1' is used twice." in said and "Sessions!" not in said
    assert dash.sessions.form.widget("client_id").value == label(book, "C0004")  # kept
