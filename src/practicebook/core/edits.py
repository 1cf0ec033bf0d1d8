"""Changes to rows already in the workbook, validated by the core before anything is written.

Pure, like ``practicebook.core.entry``: a ``Book`` and plain Python values in, an ``Edit``
(the cells to set and what the core found wrong) out; bad input never raises. Every front
door that changes a row calls these functions, and ``practicebook.workbook.edits`` writes
what they accept:

* ``edit_row`` (``edit_session``, ``edit_client``): set fields of an existing row; the
  row is typed and checked as a whole, as it would read with the new values;
* ``mark_outcome`` / ``mark_outcomes``: record what happened to past sessions (attended,
  no-show, late-cancelled) with the minutes they lasted;
* ``new_client``: a Clients row, like ``entry.new_session``;
* ``review_row``, ``finding_key``, ``reviewed_keys``: the stored "reviewed" mark of a
  finding, so a reviewed finding is not shown as new again;
* ``close_period``: setting ``lock_through_date``, refused while sessions in the period
  are unresolved;
* ``unresolved_sessions`` and ``duplicate_sessions``: what the forms and the month-end
  walk ask before a save.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from practicebook.core.closing import refusals
from practicebook.core.entry import NewRow, new_row
from practicebook.issues import CellRef, Code, Issue, Severity, sort_issues
from practicebook.model import ROW, Book, Layout
from practicebook.money import from_minor
from practicebook.schema import WORKBOOK, Kind

__all__ = [
    "OUTCOMES",
    "Closing",
    "Edit",
    "close_period",
    "duplicate_sessions",
    "edit_client",
    "edit_row",
    "edit_session",
    "finding_key",
    "mark_outcome",
    "mark_outcomes",
    "new_client",
    "review_row",
    "reviewed_keys",
    "unresolved_sessions",
]

#: What a past session can be marked as, from the page or the API.
OUTCOMES = ("attended", "no_show", "late_cancelled")
#: Outcomes the client was not seen in: their actual minutes stay blank.
_NOT_SEEN = ("no_show", "late_cancelled")


@dataclass(frozen=True)
class Edit:
    """The cells to set on an existing row, and what the core found wrong with the row.

    Attributes:
        sheet: the input sheet.
        row_id: the row's ID.
        row: its Excel row (0 when the ID is not on the sheet).
        values: the changed fields by schema key, typed as the parser reads them (money
            as ``Decimal``, dates as ``date``, blanks as ``None``); as given when refused.
        issues: findings located on the row as it would read after the change.
    """

    sheet: str
    row_id: str
    row: int
    values: dict[str, object]
    issues: list[Issue]

    @property
    def accepted(self) -> bool:
        """True when no finding is error-level: the cells may be written."""
        return not any(i.is_error for i in self.issues)


@dataclass(frozen=True)
class Closing:
    """Closing the books through a day: ``lock_through_date`` and why it may not be set.

    Attributes:
        through: the last day closed.
        previous: the day the books were closed through before (None when never).
        issues: why the period cannot be closed (error-level) or what to know.
    """

    through: dt.date
    previous: dt.date | None
    issues: list[Issue]

    @property
    def accepted(self) -> bool:
        return not any(i.is_error for i in self.issues)


# --- editing rows ---------------------------------------------------------------------


def edit_row(book: Book, sheet_name: str, row_id: str, changes: Mapping[str, object]) -> Edit:
    """Set ``changes`` (schema keys → values as typed or as Python values) on the row of
    ``sheet_name`` whose key is ``row_id``, checked as the whole row would then read."""
    sheet = WORKBOOK.sheet(sheet_name)
    key = sheet.key or ""
    rows = book.all_rows(sheet_name)
    at = rows.index[rows[key].astype(object) == row_id]
    layout = book.layouts.get(sheet_name) or Layout(sheet_name)
    given = dict(changes)
    if len(at) == 0:
        issue = Issue(
            _unknown_code(sheet_name),
            Severity.ERROR,
            f"{sheet.column(key).header} {row_id!r} is not on the {layout.sheet} sheet",
            CellRef(layout.sheet),
            f"Pick one from the {layout.sheet} sheet.",
            row_id,
        )
        return Edit(sheet_name, row_id, 0, given, [issue])
    current = rows.loc[at[0]]
    excel_row = int(current[ROW])
    if key in given and given[key] != row_id:
        given.pop(key)  # an ID is never renamed by an edit: other rows point at it
    # only the columns the sheet has: the parser fills defaults into the others, and a
    # value for a column the sheet lacks could not be stored
    present = [c for c in sheet.columns if not layout.column_of or c.key in layout.column_of]
    merged = {c.key: _python(c.kind, current[c.key], book) for c in present}
    merged.update(given)
    trial = new_row(_without(book, sheet_name, current), sheet_name, merged)
    issues = [_moved(i, excel_row) for i in trial.issues]
    issues += [i for i in refusals(book, sheet_name, rows.loc[[at[0]]]) if i not in issues]
    typed = trial.values if trial.accepted else merged
    return Edit(
        sheet_name, row_id, excel_row, {k: typed.get(k) for k in given}, sort_issues(issues)
    )


def edit_session(book: Book, session_id: str, changes: Mapping[str, object]) -> Edit:
    """``edit_row`` on the Sessions sheet."""
    return edit_row(book, "Sessions", session_id, changes)


def edit_client(book: Book, client_id: str, changes: Mapping[str, object]) -> Edit:
    """``edit_row`` on the Clients sheet."""
    return edit_row(book, "Clients", client_id, changes)


def new_client(book: Book, values: Mapping[str, object]) -> NewRow:
    """A Clients row from ``values`` (schema keys), validated against ``book``; the next
    client ID in the sheet's own pattern when none is given."""
    return new_row(book, "Clients", values)


def _unknown_code(sheet_name: str) -> Code:
    return {"Sessions": Code.UNKNOWN_SESSION, "Clients": Code.UNKNOWN_CLIENT}.get(
        sheet_name, Code.MISSING_VALUE
    )


def _python(kind: Kind, value: Any, book: Book) -> object:
    """A typed frame value as the value a person would type (money back to ``Decimal``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind is Kind.MONEY:
        return from_minor(int(value), book.settings.currency)
    if kind is Kind.DATE:
        return pd.Timestamp(value).date()
    if kind is Kind.DATETIME:
        return pd.Timestamp(value).to_pydatetime()
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.BOOL:
        return bool(value)
    return value


def _without(book: Book, sheet_name: str, current: pd.Series) -> Book:
    """The book without the edited row, so it is checked as a row of its own."""
    row = current[ROW]
    frames = dict(book.frames)
    frame = frames[sheet_name]
    frames[sheet_name] = frame[frame[ROW] != row]
    rejected = dict(book.rejected)
    if sheet_name in rejected:
        rejected[sheet_name] = rejected[sheet_name][rejected[sheet_name][ROW] != row]
    return dataclasses.replace(book, frames=frames, rejected=rejected)


def _moved(issue: Issue, row: int) -> Issue:
    """An issue about the trial row, at the edited row."""
    where = issue.where
    if not where.row:
        return issue
    return dataclasses.replace(issue, where=CellRef(where.sheet, row, where.col))


# --- outcomes of past sessions ----------------------------------------------------------


def mark_outcome(book: Book, session_id: str, status: str, actual_minutes: object = None) -> Edit:
    """Record what happened to a session: ``attended`` (with the minutes it lasted,
    default its scheduled minutes), ``no_show`` or ``late_cancelled`` (no minutes)."""
    if status not in OUTCOMES:
        sessions = book.all_rows("Sessions")
        found = sessions.index[sessions["session_id"].astype(object) == session_id]
        row = int(sessions.loc[found[0], ROW]) if len(found) else 0
        issue = Issue(
            Code.BAD_CHOICE,
            Severity.ERROR,
            f"{status!r} is not an outcome: choose {', '.join(OUTCOMES)}",
            book.cell("Sessions", "status", row) if row else CellRef("Sessions"),
            "Use the cancellation form for a cancellation with its time.",
            session_id,
        )
        return Edit("Sessions", session_id, row, {"status": status}, [issue])
    minutes = None if status in _NOT_SEEN else actual_minutes
    if status == "attended" and (minutes is None or minutes == ""):
        minutes = _scheduled_minutes(book, session_id)
    return edit_session(book, session_id, {"status": status, "actual_minutes": minutes})


def mark_outcomes(book: Book, outcomes: Iterable[tuple[str, str, object]]) -> list[Edit]:
    """``mark_outcome`` for each (session ID, status, actual minutes), in order."""
    return [mark_outcome(book, sid, status, minutes) for sid, status, minutes in outcomes]


def _scheduled_minutes(book: Book, session_id: str) -> object:
    sessions = book.sessions
    found = sessions.loc[sessions["session_id"] == session_id, "scheduled_minutes"]
    if not len(found) or pd.isna(found.iloc[0]):
        return None
    return int(found.iloc[0])


def unresolved_sessions(book: Book, as_of: dt.date) -> pd.DataFrame:
    """The sessions before ``as_of`` still marked scheduled, oldest first: what the
    month-end walk resolves first (the ``unresolved-past-session`` findings)."""
    s = book.sessions
    before = s["scheduled_start"] < pd.Timestamp(as_of)
    open_ = s[before & (s["status"] == "scheduled")]
    return open_.sort_values(["scheduled_start", "session_id"]).reset_index(drop=True)


def duplicate_sessions(book: Book, values: Mapping[str, object]) -> list[str]:
    """The IDs of sessions with the client, clinician, service and start of ``values``
    (a new session as the form holds it), not counting cancelled ones: saving it would
    enter the same session twice."""
    try:
        start = pd.Timestamp(values.get("scheduled_start"))
    except (TypeError, ValueError):
        return []
    if pd.isna(start):
        return []
    s = book.sessions
    same = (
        (s["client_id"] == values.get("client_id"))
        & (s["service_code"] == values.get("service_code"))
        & (s["scheduled_start"] == start.tz_localize(None))
        & ~s["status"].isin(("cancelled", "clinician_cancelled"))
    )
    clinician = values.get("clinician_id") or None
    same &= s["clinician_id"].isna() if clinician is None else s["clinician_id"] == clinician
    return sorted(s.loc[same, "session_id"].astype(str))


# --- reviewed findings ------------------------------------------------------------------


def finding_key(code: str, sheet: str, cell: str, row_id: object) -> tuple[str, ...]:
    """What identifies a finding across reloads: its code, sheet, column and row ID
    (its cell when it names no row), so a row that moves keeps its review."""
    column = str(cell).rstrip("0123456789")
    if row_id is None or (not isinstance(row_id, str) and pd.isna(row_id)) or row_id == "":
        return (str(code), str(sheet), str(cell))
    return (str(code), str(sheet), column, str(row_id))


def reviewed_keys(book: Book) -> set[tuple[str, ...]]:
    """The keys (``finding_key``) of every finding marked reviewed on the Reviews sheet."""
    reviews = book.frame("Reviews")
    return {
        finding_key(r.code, r.sheet, "" if pd.isna(r.cell) else r.cell, r.row_id)
        for r in reviews.itertuples(index=False)
    }


def review_row(
    book: Book,
    finding: Mapping[str, object],
    by: str,
    at: dt.datetime,
    note: str | None = None,
) -> NewRow:
    """A Reviews row marking ``finding`` (``code``, ``sheet``, ``cell``, ``row_id``, as in
    a findings frame) reviewed by ``by`` at ``at``."""
    row_id = finding.get("row_id")
    values = {
        "code": finding.get("code"),
        "sheet": finding.get("sheet"),
        "cell": finding.get("cell"),
        "row_id": None if row_id is None or pd.isna(row_id) else row_id,
        "reviewed_at": at.replace(microsecond=0, tzinfo=None),
        "reviewed_by": by,
        "note": note or None,
    }
    return new_row(book, "Reviews", values)


# --- closing the period -----------------------------------------------------------------


def close_period(book: Book, through: dt.date, as_of: dt.date) -> Closing:
    """Closing the books through ``through`` (``lock_through_date``) on day ``as_of``.

    Refused for a day after ``as_of``, on or before the day the books are already
    closed through, and while a session on or before it is still marked scheduled.
    """
    previous = book.settings.lock_through_date
    where = book.cell("Practice", "value", 0)
    issues: list[Issue] = []

    def refuse(message: str, hint: str) -> None:
        issues.append(Issue(Code.BAD_SETTING, Severity.ERROR, message, where, hint))

    if through > as_of:
        refuse(
            f"the books cannot be closed through {through.isoformat()}, after today "
            f"({as_of.isoformat()})",
            "Close a period that has ended.",
        )
    if previous is not None and through <= previous:
        refuse(
            f"the books are already closed through {previous.isoformat()}",
            "Choose a later day.",
        )
    open_ = unresolved_sessions(book, through + dt.timedelta(days=1))
    for r in open_.to_dict("records"):
        issues.append(
            Issue(
                Code.UNRESOLVED_PAST_SESSION,
                Severity.ERROR,
                f"session {r['session_id']} on {pd.Timestamp(r['scheduled_start']).date()}"
                f" is still marked scheduled; the period through {through.isoformat()} "
                "cannot be closed before it is resolved",
                book.cell("Sessions", "status", int(r[ROW])),
                "Record what happened first: attended, no-show or a cancellation.",
                str(r["session_id"]),
                str(r["client_id"]),
            )
        )
    return Closing(through, previous, sort_issues(issues))
