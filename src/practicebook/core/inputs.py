"""The rows the reconciliation reads as of a day, and the client numbering they share.

Sessions, payments and adjustments dated after the as-of day are left out; the columns
the core never reads are dropped; text with few distinct values is shared, row IDs stay
in Arrow; each choice column gets the code of its value (``choice_is`` tests it) and
every row the position of its client among all client IDs (``_client``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from practicebook import schema
from practicebook.core.lookup import any_of, take
from practicebook.model import Book

__all__ = ["choice_is", "rows_as_of"]

#: Columns the core never reads (free text, and how a cancellation arrived).
_UNUSED = ("memo", "cancel_channel", "reason", "approved_by")
#: Text columns the core only tests for blanks, factorises, or reads for a few rows:
#: they stay as read (Arrow), with no Python string per row.
_AS_READ = ("clinician_id", "rescheduled_to_session_id", "waiver_reason", "reference")
#: Sheets whose IDs name one row each: a column of them has nearly as many distinct
#: values as rows.
_ROW_IDS = ("Sessions.session_id", "Payments.payment_id", "Adjustments.adjustment_id")


def choice_is(frame: pd.DataFrame, sheet: str, column: str, *names: str) -> np.ndarray:
    """Rows whose choice ``column`` holds one of ``names`` (by the codes ``rows_as_of``
    keeps beside the text)."""
    choices = schema.WORKBOOK.sheet(sheet).column(column).choices
    return any_of(frame["_" + column].to_numpy(), [choices.index(n) for n in names])


def rows_as_of(book: Book, end: dt.date) -> tuple[list[pd.DataFrame], pd.Index]:
    """The sessions, payments and adjustments dated on or before the day ``end``, as the
    core reads them, and the index of every client ID their ``_client`` points into."""
    sessions, payments, adjustments = book.sessions, book.payments, book.adjustments
    return _number_clients(
        book,
        [
            _rows_read(sessions, sessions["scheduled_start"], end, "Sessions"),
            _rows_read(payments, payments["received_date"], end, "Payments"),
            _rows_read(adjustments, adjustments["date"], end, "Adjustments"),
        ],
    )


def _rows_read(
    frame: pd.DataFrame, dated: pd.Series, end: dt.date, sheet: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows dated on or before the day ``end`` and the columns the core reads.

    Text with few distinct values (clients, services, statuses, methods) becomes Python
    strings, one object per distinct value shared by its rows: the engines compare and
    join them many times over. Row IDs (``session_id``, ``payment_id``, and the session
    and payment IDs other rows name) and text read only for blanks stay as read, in
    Arrow, with no Python string per row. Each choice column gets ``_<column>``, the position of its
    value among the schema's choices (``-1`` when blank), and ``_client`` is the
    position of the row's client among the distinct client IDs, which come back beside
    the frame. Rows are copied only when some are dated after ``end``.
    """
    spec = schema.WORKBOOK.sheet(sheet)
    keep = [c for c in frame.columns if c not in _UNUSED]
    clients = np.empty(0, dtype=object)
    days = dated.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    inside = days <= np.datetime64(end, "D")  # the whole day counts
    rows = slice(None) if inside.all() else np.flatnonzero(inside)
    columns = {}
    for column in keep:
        values = frame[column]
        col = spec.column(column) if column in spec.keys else None
        as_read = column in _AS_READ or (
            col is not None and (col.unique or col.references in _ROW_IDS)
        )
        shared = not as_read and (
            pd.api.types.is_string_dtype(values.dtype)
            or column == "client_id"
            or (col is not None and bool(col.choices))
        )
        if not shared:
            columns[column] = pd.Series(values.array[rows], copy=False)
            continue
        found, uniques = pd.factorize(values)  # whole column: then only codes are filtered
        found = found[rows]
        columns[column] = pd.Series(
            np.append(np.asarray(uniques, dtype=object), [None])[found], dtype=object, copy=False
        )
        if col is not None and col.choices:  # and its position among the choices
            choice = pd.Index(col.choices, dtype=object).get_indexer(uniques)
            columns["_" + column] = take(choice, found, -1).astype(np.int8)
        if column == "client_id":  # the clients of the rows read, and which
            present = np.unique(found[found >= 0])
            clients = np.asarray(uniques, dtype=object)[present]
            columns["_client"] = np.where(found >= 0, np.searchsorted(present, found), -1).astype(
                np.int64
            )
    return pd.DataFrame(columns, copy=False), clients


def _number_clients(
    book: Book, parts: list[tuple[pd.DataFrame, np.ndarray]]
) -> tuple[list[pd.DataFrame], pd.Index]:
    """Every client ID once, sorted, and each frame's ``_client`` turned from a position
    among that frame's own IDs into a position in that index."""
    index = pd.Index(
        np.sort(
            pd.unique(
                np.concatenate(
                    [
                        book.clients["client_id"].dropna().to_numpy(dtype=object),
                        *(ids for _, ids in parts),
                    ]
                )
            )
        ),
        dtype=object,
    )
    frames = []
    for frame, ids in parts:
        where = index.get_indexer(pd.Index(ids, dtype=object)).astype(np.int64)
        frames.append(frame.assign(_client=take(where, frame["_client"].to_numpy(), -1)))
    return frames, index
