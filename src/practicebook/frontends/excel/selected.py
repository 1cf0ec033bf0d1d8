"""Macros that act on where their button is pressed: a form on Home, or the selected row.

Mark late cancellation, its preview and Explain balance each have a button on Home
(acting on Home's Late cancellation or Client form) and on the sheets where their data
is (acting on the selected row). The target is checked before anything is written: an
unknown session or client, or a row that names none, gets one clear message and no
change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_decimal

from practicebook.core import entry
from practicebook.core.reconcile import reconcile as reconcile_book
from practicebook.errors import MissingDependency, UnknownClient
from practicebook.frontends.excel import livebook
from practicebook.frontends.excel.macros import (
    DATE_FORMAT,
    ERROR_COLOR,
    EXPLAIN_SHEET,
    OK_COLOR,
    _excel_value,
    _log,
    _money_format,
    _on_caller,
    _select,
    _sheet,
    _tables,
    _write_grid,
    read_book,
)
from practicebook.issues import CellRef, column_letter
from practicebook.l10n import format_date, format_money
from practicebook.model import Book
from practicebook.money import to_minor
from practicebook.schema import SESSIONS, home, normalize_header

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

__all__ = [
    "explain_balance",
    "explain_balance_main",
    "mark_cancellation",
    "mark_cancellation_main",
    "preview_cancellation",
    "preview_cancellation_main",
]

CANCEL_TITLE = "Mark late cancellation"
EXPLAIN_TITLE = "Explain balance"
_BY = "cancelled_by"
_CHANNEL = "cancel_channel"
_HEARD = "cancel_requested_at"


def _pressed(book: xw.Book) -> tuple[str, int]:
    """The sheet the button was pressed on (the active one) and the selected row there
    (0 when a shape, not a cell, is selected)."""
    sheet = book.sheets.active
    selection = book.selection
    if selection is None or selection.sheet.name != sheet.name:
        return sheet.name, 0
    return sheet.name, selection.row


def _cell_name(form: home.Form, key: str) -> str:
    row, col = form.value_cell(key)
    return f"{home.HOME}!{column_letter(col)}{row}"


def _form(book: xw.Book, form: home.Form) -> dict[str, object]:
    first, last, column = form.value_range
    cells = book.sheets[home.HOME].range((first, column), (last, column))
    return livebook.form_values(form.fields, cells.options(ndim=2).value)


def _status(book: xw.Book, form: home.Form, text: str, ok: bool) -> None:
    """One line under a Home form, green when it went through, red when it did not."""
    cell = book.sheets[home.HOME].range(form.status_cell)
    cell.value = livebook.text_cell(text)
    cell.color = OK_COLOR if ok else ERROR_COLOR


def _refuse(book: xw.Book, title: str, message: str, form: home.Form | None = None) -> None:
    if form is not None:
        _status(book, form, message, ok=False)
    book.app.alert(message, title)


# --- late cancellation ----------------------------------------------------------------


def _session_on_row(book: xw.Book, row: int) -> str | None:
    tables = _tables(book)
    sessions = next((t for t in tables if livebook.input_sheet(t.name) is SESSIONS), None)
    if sessions is None or not row:
        return None
    values = livebook.row_values(sessions, row)
    return livebook.id_text(values.get(normalize_header("session_id")))


def _describe(core_book: Book, stamp: entry.Stamp) -> str:
    """``S0042: late_cancelled (client, phone, heard 2026-03-02 09:15), 5 hours notice.
    Fee $75.00: basis``."""
    settings = core_book.settings
    fee = format_money(to_minor(stamp.fee, settings.currency), settings.currency, settings.locale)
    notice = stamp.notice_hours
    hours = "no" if notice is None else format_decimal(notice, locale=settings.locale)
    heard = stamp.values.get(_HEARD)
    when = heard.strftime("%Y-%m-%d %H:%M") if isinstance(heard, dt.datetime) else str(heard)
    return (
        f"{stamp.session_id}: {stamp.values['status']} ({stamp.values[_BY]}, "
        f"{stamp.values[_CHANNEL]}, heard {when}), {hours} hours notice. "
        f"Fee {fee}: {stamp.basis}"
    )


def _request(
    book: xw.Book,
    requested_at: dt.datetime | None,
    by: str | None,
    channel: str | None,
    session_id: str | None = None,
) -> tuple[dict[str, object], list[str]]:
    """The Late cancellation form with the arguments filled in, and what is missing."""
    values = _form(book, home.CANCEL_FORM)
    given_values = (
        ("session_id", session_id),
        (_HEARD, requested_at),
        (_BY, by),
        (_CHANNEL, channel),
    )
    for key, given in given_values:
        if given is not None:
            values[key] = given
    form = home.CANCEL_FORM
    missing = [
        f"{label} ({_cell_name(form, key)})"
        for key, label in (
            ("session_id", "the session"),
            (_BY, "who cancelled"),
            (_CHANNEL, "the channel"),
        )
        if values.get(key) is None
    ]
    return values, missing


def _stamp(book: xw.Book, values: dict[str, object]) -> tuple[Book, entry.Stamp | None]:
    core_book, _ = read_book(book)
    session_id = livebook.id_text(values.get("session_id")) or ""
    stamp = entry.cancellation_stamp(
        core_book,
        session_id,
        values.get(_HEARD),
        str(values.get(_BY)),
        str(values.get(_CHANNEL)),
    )
    if not stamp.accepted:
        errors = [i for i in stamp.issues if i.is_error]
        _refuse(book, CANCEL_TITLE, f"Not stamped: {errors[0].message}", home.CANCEL_FORM)
        return core_book, None
    return core_book, stamp


def _fill_form(book: xw.Book, session_id: str) -> None:
    """Put the selected session in the form, keep who/channel if already chosen, and
    clear the heard-at time (blank: now) and the previous outcome."""
    sheet = book.sheets[home.HOME]
    form = home.CANCEL_FORM
    sheet.range(form.value_cell("session_id")).value = livebook.text_cell(session_id)
    sheet.range(form.value_cell(_HEARD)).clear_contents()


def preview_cancellation(
    book: xw.Book,
    requested_at: dt.datetime | None = None,
    by: str | None = None,
    channel: str | None = None,
) -> entry.Stamp | None:
    """What Mark late cancellation would record for the Late cancellation form (status,
    notice, fee and its basis), shown under the form; nothing is written to Sessions."""
    values, missing = _request(book, requested_at, by, channel)
    if missing:
        _refuse(book, CANCEL_TITLE, "Fill in " + ", ".join(missing) + ".", home.CANCEL_FORM)
        return None
    core_book, stamp = _stamp(book, values)
    if stamp is not None:
        preview = "Preview, not recorded: " + _describe(core_book, stamp)
        _status(book, home.CANCEL_FORM, preview, True)
    return stamp


def mark_cancellation(
    book: xw.Book,
    requested_at: dt.datetime | None = None,
    by: str | None = None,
    channel: str | None = None,
) -> entry.Stamp | None:
    """Record a cancellation where the button was pressed.

    On Home: the Late cancellation form (session, who cancelled, channel, heard at; blank
    heard-at = now) is checked and written to its Sessions row (``cancel_requested_at``,
    ``cancelled_by``, ``cancel_channel`` and the status the policy gives the notice);
    the fee and its basis are shown. On Sessions: the selected session goes into the
    form, the fee is previewed if who and channel are chosen, and Home's form is
    selected so they can be; with ``by`` and ``channel`` given (a caller that knows
    them) it is recorded at once. Nothing is written when the target is not a session
    or the stamp is refused.

    Returns:
        The stamp recorded or previewed, or ``None`` when there was nothing to stamp.
    """
    sheet, row = _pressed(book)
    if sheet != home.HOME:
        on_sessions = livebook.input_sheet(sheet) is SESSIONS
        session_id = _session_on_row(book, row) if on_sessions else None
        if session_id is None:
            _refuse(
                book,
                CANCEL_TITLE,
                "Select a session's row on the Sessions sheet, or fill in the Late "
                "cancellation form on Home.",
            )
            return None
        if by is None or channel is None:
            return _prepare(book, session_id, requested_at, by, channel)
        values: dict[str, object] = {
            "session_id": session_id,
            _HEARD: requested_at,
            _BY: by,
            _CHANNEL: channel,
        }
    else:
        values, missing = _request(book, requested_at, by, channel)
        if missing:
            _refuse(book, CANCEL_TITLE, "Fill in " + ", ".join(missing) + ".", home.CANCEL_FORM)
            return None
    core_book, stamp = _stamp(book, values)
    if stamp is None:
        return None
    _write_stamp(book, core_book, stamp)
    message = "Recorded " + _describe(core_book, stamp)
    if sheet == home.HOME:
        _status(book, home.CANCEL_FORM, message, True)
    book.app.alert(message, CANCEL_TITLE)
    return stamp


def _prepare(
    book: xw.Book,
    session_id: str,
    requested_at: dt.datetime | None,
    by: str | None,
    channel: str | None,
) -> entry.Stamp | None:
    """Pressed on a Sessions row: the session goes into Home's form, the fee is
    previewed when who cancelled and the channel are known, and the form's Cancelled by
    cell is selected to ask for them."""
    _fill_form(book, session_id)
    values, missing = _request(book, requested_at, by, channel, session_id)
    stamp = None
    if missing:
        _status(
            book,
            home.CANCEL_FORM,
            f"{session_id}: choose {', '.join(missing)}, then press Mark late cancellation.",
            True,
        )
    else:
        core_book, stamp = _stamp(book, values)
        if stamp is not None:
            preview = "Preview, not recorded: " + _describe(core_book, stamp)
            _status(book, home.CANCEL_FORM, preview, True)
    _select(book, CellRef(home.HOME, *home.CANCEL_FORM.value_cell(_BY)))
    return stamp


def _write_stamp(book: xw.Book, core_book: Book, stamp: entry.Stamp) -> None:
    layout = core_book.layouts["Sessions"]
    target = book.sheets[layout.sheet]
    for key, value in stamp.values.items():
        cell = target.range((stamp.row, layout.column_of[key]))
        cell.value = _excel_value(value)
        if key == _HEARD:
            cell.number_format = DATE_FORMAT + " hh:mm"
    _log(book, "Sessions", stamp.session_id, "cancel", "fields: " + ", ".join(stamp.values))


# --- explain balance ------------------------------------------------------------------


def explain_balance(book: xw.Book, as_of: dt.date | str | None = None) -> str | None:
    """Write the Explain sheet for the client where the button was pressed: Home's
    Client form, or the selected row of any sheet with a Client ID column.

    Returns:
        The client ID explained, or ``None`` (with a message) when there is none or it
        is not a client of the workbook.
    """
    sheet, row = _pressed(book)
    if sheet == home.HOME:
        client_id = livebook.id_text(_form(book, home.CLIENT_FORM).get("client_id"))
        if client_id is None:
            cell = _cell_name(home.CLIENT_FORM, "client_id")
            _refuse(
                book,
                EXPLAIN_TITLE,
                f"Type a Client ID in {cell}, or press Explain balance on a client's row of "
                "Clients, Sessions or Payments.",
                home.CLIENT_FORM,
            )
            return None
    else:
        used = book.sheets[sheet].used_range
        client_id = livebook.client_at(used.options(ndim=2).value, used.row, row) if row else None
        if client_id is None:
            _refuse(book, EXPLAIN_TITLE, "Select a row that has a Client ID first.")
            return None
    core_book, _ = read_book(book)
    known = {str(c) for c in core_book.clients["client_id"]}
    if client_id not in known:
        _refuse(
            book,
            EXPLAIN_TITLE,
            f"Client {client_id} is not on the Clients sheet.",
            home.CLIENT_FORM if sheet == home.HOME else None,
        )
        return None
    result = reconcile_book(core_book, as_of)
    try:
        explanation = result.explain(client_id)
    except UnknownClient as exc:  # pragma: no cover - every Clients row is reconciled
        _refuse(book, EXPLAIN_TITLE, str(exc))
        return None
    out = _sheet(book, EXPLAIN_SHEET)
    day = format_date(explanation.as_of, result.locale)
    out.range((1, 1)).value = livebook.text_cell(
        f"client {client_id}, as of {day} ({result.currency})"
    )
    grid = livebook.frame_grid(explanation.lines, result.currency, ("amount", "balance", "open"))
    _write_grid(out, grid, _money_format(core_book), top=3)
    if sheet == home.HOME:
        lines = explanation.lines
        balance = lines["balance"].iloc[-1] if len(lines) else Decimal(0)
        shown = format_money(to_minor(balance, result.currency), result.currency, result.locale)
        _status(book, home.CLIENT_FORM, f"{client_id}: balance {shown}; see Explain", True)
    _select(book, CellRef(EXPLAIN_SHEET, 1, 1))
    return client_id


# --- RunPython entry points (PracticeBook.bas) -------------------------------------

mark_cancellation_main = _on_caller(
    mark_cancellation, "RunPython: Mark late cancellation where it was pressed."
)
preview_cancellation_main = _on_caller(
    preview_cancellation, "RunPython: Preview the Late cancellation form's fee."
)
explain_balance_main = _on_caller(
    explain_balance, "RunPython: Explain balance where it was pressed."
)
