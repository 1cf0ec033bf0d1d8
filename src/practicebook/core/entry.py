"""New rows and cancellation stamps, validated by the core before anything is written.

Pure: a ``Book`` and plain Python values in, a ``NewRow`` or ``Stamp`` out. Every front
door (the writer, the Excel macros, the Jupyter forms) calls these functions, so a row is
accepted or refused by the same rules everywhere::

    row = new_payment(book, {"client_id": "C0001", "received_date": "2026-03-02",
                             "amount": "150.00", "method": "card"})
    row.row_id, row.accepted, row.issues

A new row is typed by the workbook parser (``parse.parse_sheet``) as if it were the next
row of its sheet, then checked with the same duplicate and reference checks as the whole
workbook; only the findings located on that row are kept. Bad input never raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from practicebook.core.closing import refusals
from practicebook.core.reconcile import reconcile
from practicebook.issues import CellRef, Code, Issue, Severity, sort_issues
from practicebook.model import ROW, Book, Layout, RawTable
from practicebook.money import from_minor, quantize
from practicebook.parse import checks
from practicebook.parse.rows import duplicate_issues
from practicebook.parse.sheets import parse_sheet
from practicebook.parse.values import Bad, CoerceContext, coerce_choice, coerce_datetime
from practicebook.schema import WORKBOOK, Kind, Sheet

__all__ = [
    "NewRow",
    "Stamp",
    "cancellation_stamp",
    "cell_values",
    "new_adjustment",
    "new_payment",
    "new_session",
    "next_id",
]

#: Prefix of the first ID on an empty sheet (``S0001``, ``P0001``, ``A0001``).
ID_PREFIX = {"Sessions": "S", "Payments": "P", "Adjustments": "A"}
FRESH_DIGITS = 4
_NUMBERED = re.compile(r"^(.*?)(\d+)$")
#: Recorded statuses a cancellation cannot be stamped on.
_HELD = ("attended", "non_billable")


@dataclass(frozen=True)
class NewRow:
    """A row to append to an input sheet, with what the core found wrong with it.

    Attributes:
        sheet: the input sheet (``Sessions``, ``Payments`` or ``Adjustments``).
        row_id: the row's ID, assigned when none was given.
        values: the row in schema keys, as typed by the parser with defaults applied:
            text as ``str``, money as ``Decimal`` in the practice currency, dates as
            ``date``, date-times as naive local ``datetime``, blanks as ``None``. For a
            refused row, the values as given (with defaults), since they did not parse.
        issues: findings located on the new row.
    """

    sheet: str
    row_id: str
    values: dict[str, object]
    issues: list[Issue]

    @property
    def accepted(self) -> bool:
        """True when no finding is error-level: the row may be written."""
        return not any(i.is_error for i in self.issues)


@dataclass(frozen=True)
class Stamp:
    """The cells to set on a Sessions row to record a cancellation, and what it costs.

    Attributes:
        session_id: the cancelled session.
        row: its Excel row (0 when the session is not in the book).
        values: ``cancel_requested_at``, ``cancelled_by``, ``cancel_channel`` and
            ``status``: the status the policy gives the notice (cancelled or
            late_cancelled; clinician_cancelled when the clinician or practice cancelled;
            the policy's ``cancel_after_start_is`` for a request after the start).
        notice_hours: hours between the request and the scheduled start (``None`` when
            the stamp was refused).
        fee: the late-cancellation fee the policy charges, in the practice currency.
        basis: the policy engine's one-line explanation of the fee.
        issues: why the stamp cannot be applied (error-level) or what to know about it.
    """

    session_id: str
    row: int
    values: dict[str, object]
    notice_hours: Decimal | None
    fee: Decimal
    basis: str
    issues: list[Issue]

    @property
    def accepted(self) -> bool:
        """True when no finding is error-level: the cells may be written."""
        return not any(i.is_error for i in self.issues)


# --- new rows -----------------------------------------------------------------------


def new_session(book: Book, values: Mapping[str, object]) -> NewRow:
    """A Sessions row from ``values`` (schema keys), validated against ``book``."""
    return new_row(book, "Sessions", values)


def new_payment(book: Book, values: Mapping[str, object]) -> NewRow:
    """A Payments row from ``values`` (schema keys), validated against ``book``."""
    return new_row(book, "Payments", values)


def new_adjustment(book: Book, values: Mapping[str, object]) -> NewRow:
    """An Adjustments row from ``values`` (schema keys), validated against ``book``."""
    return new_row(book, "Adjustments", values)


def new_row(book: Book, sheet_name: str, values: Mapping[str, object]) -> NewRow:
    """A row for any keyed input sheet, typed and checked as the sheet's next row."""
    sheet = WORKBOOK.sheet(sheet_name)
    key = sheet.key or ""
    layout = book.layouts.get(sheet.name) or Layout(sheet.name)
    unknown = sorted(set(values) - set(sheet.keys))
    given = {k: _plain(v, book.settings.timezone) for k, v in values.items() if k in sheet.keys}
    if _blank(given.get(key)):
        given[key] = next_id(book, sheet.name)
    row_id = str(given[key])
    row = next_row(book, sheet.name)
    parsed = parse_sheet(
        _one_row_table(sheet, layout, given, row),
        sheet,
        CoerceContext(book.settings.locale, book.settings.currency),
    )
    issues = [i for i in parsed.issues if i.where.row == row]
    issues += _unknown_keys(unknown, layout, row, row_id)
    issues += _absent_columns(sheet, given, layout, row, row_id)
    issues += _duplicates(book, sheet, layout, row, row_id)
    issues += _reference_issues(book, sheet.name, parsed.frame, parsed.rejected, row)
    issues += refusals(book, sheet.name, parsed.frame)  # dated in the closed period
    accepted = len(parsed.frame) == 1
    typed = (
        _python_row(sheet, parsed.frame, book.settings.currency)
        if accepted
        else {c.key: given.get(c.key, c.default) for c in sheet.columns}
    )
    return NewRow(sheet.name, row_id, typed, sort_issues(issues))


def next_id(book: Book, sheet_name: str) -> str:
    """The next ID in the sheet's own pattern: ``S0000600`` → ``S0000601``, ``P12`` →
    ``P13``; the pattern of the last row wins, and the number follows the highest ID with
    its prefix. An empty sheet starts at ``S0001`` / ``P0001`` / ``A0001``."""
    sheet = WORKBOOK.sheet(sheet_name)
    rows = book.all_rows(sheet_name)
    ids = rows.sort_values(ROW)[sheet.key].dropna().astype(str).tolist()
    taken = set(ids)
    pattern = next((m for m in map(_NUMBERED.match, reversed(ids)) if m), None)
    if pattern is None:
        prefix, width, number = ID_PREFIX.get(sheet_name, sheet_name[0]), FRESH_DIGITS, 1
    else:
        prefix, width = pattern.group(1), len(pattern.group(2))
        same = [int(m.group(2)) for m in map(_NUMBERED.match, ids) if m and m.group(1) == prefix]
        number = max(same) + 1
    while f"{prefix}{number:0{width}d}" in taken:
        number += 1
    return f"{prefix}{number:0{width}d}"


def next_row(book: Book, sheet_name: str) -> int:
    """The Excel row a new record of the sheet lands on (below its last record)."""
    layout = book.layouts.get(sheet_name) or Layout(sheet_name)
    rows = book.all_rows(sheet_name)[ROW]
    return max(int(rows.max()) if len(rows) else 0, layout.header_row) + 1


def cell_values(sheet_name: str, values: Mapping[str, object], layout: Layout) -> list[object]:
    """A row's cells from column A to its last schema column, placed by ``layout``."""
    sheet = WORKBOOK.sheet(sheet_name)
    column_of = layout.column_of or {c.key: i + 1 for i, c in enumerate(sheet.columns)}
    width = max(column_of.values())
    cells: list[object] = [None] * width
    for key, col in column_of.items():
        cells[col - 1] = values.get(key)
    return cells


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value: object, timezone: str) -> object:
    """A value as a cell would hold it: aware times become local wall-clock times."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return value


def _one_row_table(
    sheet: Sheet, layout: Layout, values: Mapping[str, object], row: int
) -> RawTable:
    column_of = layout.column_of or {c.key: i + 1 for i, c in enumerate(sheet.columns)}
    keys = sorted(column_of, key=column_of.__getitem__)
    data = pd.DataFrame({i: pd.Series([values.get(k)], dtype=object) for i, k in enumerate(keys)})
    return RawTable(
        layout.sheet,
        tuple(sheet.column(k).header for k in keys),
        data,
        header_row=row - 1,
        columns=tuple(column_of[k] for k in keys),
    )


def _unknown_keys(unknown: list[str], layout: Layout, row: int, row_id: str) -> list[Issue]:
    return _row_errors(
        [
            (
                Code.UNKNOWN_COLUMN,
                f"{key!r} is not a column of the {layout.sheet} sheet",
                "Use the sheet's column keys.",
            )
            for key in unknown
        ],
        layout,
        row,
        row_id,
    )


def _absent_columns(
    sheet: Sheet, values: Mapping[str, object], layout: Layout, row: int, row_id: str
) -> list[Issue]:
    """A value for a standard column the sheet does not have could not be stored."""
    if not layout.column_of:
        return []
    absent = [
        sheet.column(key).header
        for key, value in values.items()
        if key not in layout.column_of and not _blank(value)
    ]
    return _row_errors(
        [
            (
                Code.MISSING_COLUMN,
                f"the {layout.sheet} sheet has no {header!r} column for this value",
                f"Add a column headed {header!r}, or leave the value out.",
            )
            for header in absent
        ],
        layout,
        row,
        row_id,
    )


def _row_errors(
    found: list[tuple[Code, str, str]], layout: Layout, row: int, row_id: str
) -> list[Issue]:
    """Errors (code, message, hint) about a new row as a whole, at its row."""
    where = CellRef(layout.sheet, row)
    return [
        Issue(code, Severity.ERROR, message, where, hint, row_id) for code, message, hint in found
    ]


def _duplicates(book: Book, sheet: Sheet, layout: Layout, row: int, row_id: str) -> list[Issue]:
    existing = book.all_rows(sheet.name)
    ids = pd.concat(
        [existing[sheet.key].astype(object), pd.Series([row_id], dtype=object)], ignore_index=True
    )
    rows = pd.concat([existing[ROW], pd.Series([row])], ignore_index=True)
    return [i for i in duplicate_issues(sheet, ids, layout, rows) if i.where.row == row]


def _reference_issues(
    book: Book, sheet_name: str, frame: pd.DataFrame, rejected: pd.DataFrame | None, row: int
) -> list[Issue]:
    frames = {
        **book.frames,
        sheet_name: pd.concat([book.frames[sheet_name], frame], ignore_index=True),
    }
    others = dict(book.rejected)
    if rejected is not None and len(rejected):
        others[sheet_name] = pd.concat(
            [book.all_rows(sheet_name).iloc[:0], rejected], ignore_index=True
        )
    else:
        others.pop(sheet_name, None)
    grown = dataclasses.replace(book, frames=frames, rejected=others)
    where = book.layouts.get(sheet_name, Layout(sheet_name)).sheet
    return [
        i
        for i in checks.run(grown, (sheet_name, row))
        if i.where.sheet == where and i.where.row == row
    ]


def _python_row(sheet: Sheet, frame: pd.DataFrame, currency: str) -> dict[str, object]:
    record = frame.iloc[0]
    return {col.key: _python_value(col.kind, record[col.key], currency) for col in sheet.columns}


def _python_value(kind: Kind, value: Any, currency: str) -> object:
    if value is None or (not isinstance(value, (str, Decimal)) and pd.isna(value)):
        return None
    if kind is Kind.MONEY:
        return from_minor(int(value), currency)
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.DATE:
        return pd.Timestamp(value).date()
    if kind is Kind.DATETIME:
        return pd.Timestamp(value).to_pydatetime()
    return value


# --- cancellation stamps ------------------------------------------------------------


def cancellation_stamp(
    book: Book,
    session_id: str,
    requested_at: object = None,
    by: str = "client",
    channel: str = "phone",
    as_of: dt.date | None = None,
) -> Stamp:
    """The cells that record a cancellation of ``session_id``, and its fee and basis.

    The status is the one the policy in force gives the notice (``clinician_cancelled``
    when the clinician or practice cancelled); fee and basis come from running the
    reconciliation core on the book with the stamp applied.

    Args:
        book: the parsed workbook.
        session_id: the session to cancel.
        requested_at: when the cancellation reached the practice (a ``datetime``, naive
            local or aware, or text as typed); default: now in the practice time zone.
        by: ``client``, ``clinician`` or ``practice``.
        channel: ``phone``, ``voicemail``, ``email``, ``text``, ``portal`` or ``in_person``.
        as_of: the day the policy is evaluated on; default (and never earlier than) the
            last day any session of the client is scheduled, so later sessions count
            for reschedule waivers as they will in the reconciliation.
    """
    settings = book.settings
    sessions = book.sessions
    match = sessions.index[sessions["session_id"] == session_id]
    layout = book.layouts.get("Sessions") or Layout("Sessions")
    if len(match) == 0:
        return _refused(
            session_id,
            0,
            {},
            [
                Issue(
                    Code.UNKNOWN_SESSION,
                    Severity.ERROR,
                    f"session {session_id!r} is not on the Sessions sheet (or its row has errors)",
                    CellRef(layout.sheet),
                    "Pick a session ID from the Sessions sheet.",
                    session_id,
                )
            ],
        )
    pos = int(match[0])
    row = int(sessions[ROW].iat[pos])
    stamp, issues = _stamp_values(book, requested_at, by, channel, row, session_id)
    issues += _absent_columns(
        WORKBOOK.sheet("Sessions"), {**stamp, "status": "cancelled"}, layout, row, session_id
    )
    issues += refusals(book, "Sessions", sessions.iloc[[pos]])  # dated in the closed period
    recorded = sessions["status"].iat[pos]
    if recorded in _HELD:
        issues.append(
            Issue(
                Code.BAD_CHOICE,
                Severity.ERROR,
                f"session {session_id!r} is recorded as {recorded}; a held session cannot be "
                "cancelled",
                book.cell("Sessions", "status", row),
                "Correct the status first if the session did not take place.",
                session_id,
            )
        )
    if any(i.is_error for i in issues):
        return _refused(session_id, row, stamp, issues)
    client_id = sessions["client_id"].iat[pos]
    requested = stamp["cancel_requested_at"]
    assert isinstance(requested, dt.datetime)  # a stamp without errors has read it
    day = _stamp_day(sessions, client_id, requested, as_of)
    trial = _assess(book, pos, client_id, {**stamp, "status": "cancelled"}, day)
    stamp["status"] = trial.computed_status
    found = _assess(book, pos, client_id, stamp, day)
    fee = quantize(Decimal(0) if pd.isna(found.fee) else found.fee, settings.currency)
    return Stamp(
        session_id, row, stamp, found.notice_hours, fee, str(found.basis or ""), sort_issues(issues)
    )


def _refused(session_id: str, row: int, values: dict[str, object], issues: list[Issue]) -> Stamp:
    return Stamp(session_id, row, values, None, Decimal(0), "", sort_issues(issues))


def _stamp_values(
    book: Book, requested_at: object, by: str, channel: str, row: int, session_id: str
) -> tuple[dict[str, object], list[Issue]]:
    settings = book.settings
    sheet = WORKBOOK.sheet("Sessions")
    ctx = CoerceContext(settings.locale, settings.currency)
    if requested_at is None:
        requested_at = dt.datetime.now(ZoneInfo(settings.timezone))
    issues: list[Issue] = []
    values: dict[str, object] = {}
    readers: dict[str, Callable[[object], object]] = {
        "cancel_requested_at": lambda v: coerce_datetime(v, ctx, date_only=False),
        "cancelled_by": lambda v: coerce_choice(v, sheet.column("cancelled_by").choices),
        "cancel_channel": lambda v: coerce_choice(v, sheet.column("cancel_channel").choices),
    }
    given = {
        "cancel_requested_at": _plain(requested_at, settings.timezone),
        "cancelled_by": by,
        "cancel_channel": channel,
    }
    for key, read in readers.items():
        try:
            values[key] = read(given[key])
        except Bad as exc:
            col = sheet.column(key)
            issues.append(
                Issue(
                    exc.code,
                    Severity.ERROR,
                    f"{col.header}: {exc.message}",
                    book.cell("Sessions", key, row),
                    exc.hint,
                    session_id,
                )
            )
    moment = values.get("cancel_requested_at")
    if isinstance(moment, dt.datetime):
        values["cancel_requested_at"] = moment.replace(microsecond=0)
    return values, issues


def _stamp_day(
    sessions: pd.DataFrame, client_id: str, requested: dt.datetime, as_of: dt.date | None
) -> dt.date:
    last = sessions.loc[sessions["client_id"] == client_id, "scheduled_start"].max()
    days: list[dt.date] = [pd.Timestamp(last).date(), requested.date()]
    if as_of is not None:
        days.append(as_of)
    return max(days)


def _assess(
    book: Book, pos: int, client_id: str, stamp: Mapping[str, object], day: dt.date
) -> pd.Series:
    """The cancellation-log line of the stamped session, from the core's reconciliation of
    the client's own rows (policy outcomes depend on nothing else)."""
    sessions = book.sessions.copy()
    for key, value in stamp.items():
        sessions.loc[sessions.index[pos], key] = value
    frames = {**book.frames, "Sessions": sessions[sessions["client_id"] == client_id]}
    for name in ("Payments", "Adjustments"):
        frames[name] = book.frames[name].iloc[:0]
    log = reconcile(dataclasses.replace(book, frames=frames), day).cancellations
    return log[log["session_id"] == sessions["session_id"].iat[pos]].iloc[0]
