"""What a close of the books records about the closed period, and what changed since.

``lock_through_date`` closes the books up to and including a day: from then on nothing
dated in that period may be entered or changed; corrections are dated in the open period.
So that practicebook can tell what happened after a close, every audited close (the
month-end close, a bank statement closed through its last day) records a ``Snapshot`` of
the protected sheets in its AuditLog row: per sheet, how many data rows it had, the last
one's Excel row, how many were dated in the closed period, a SHA-256 digest of those rows
and 32 short digests of groups of them (for each of 16 bits of a hash of the row's ID,
the rows with that bit set and those with it clear), which locate a single changed row.

A row's canonical text is its typed values (money in minor units, days and times in ISO
form, so a re-save by Excel does not change it), its personal columns left out (the
snapshot lives in the AuditLog next to everything else, and holds IDs, counts and
digests only), and on Payments what the bank's matching records later about how the
money arrived (processor, fee, payout, deposit day). Pure: no I/O.

``closed_period_issues`` is the rule: with a snapshot for the current lock day, each row
dated in the closed period below the rows that existed at the close is an error at its
date cell, and a sheet whose closed rows no longer match the digest gets one error (at
the changed row when the group digests single it out); without one (a day typed by hand,
an older workbook) a single note at the setting says the close was not recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_date
from practicebook.model import ROW, Book
from practicebook.schema import WORKBOOK, Column, Kind, normalize_header

__all__ = [
    "PROTECTED",
    "Protected",
    "SheetSnapshot",
    "Snapshot",
    "close_events",
    "closed_period_issues",
    "recorded_closes",
    "refusals",
    "snapshot",
]

#: Bits of an ID's hash the group digests cover, and the hex digits kept of each.
BITS = 16
GROUP_DIGITS = 6
#: Changed rows named in a finding, at most.
NAMED = 5
_MARK = "closed rows v1"


@dataclass(frozen=True)
class Protected:
    """A sheet whose rows a close protects: its date and ID columns, and the columns
    left out of the digest besides the personal ones."""

    sheet: str
    date: str
    key: str
    noun: str
    left_out: tuple[str, ...] = ()


PROTECTED: tuple[Protected, ...] = (
    Protected(
        "Payments",
        "received_date",
        "payment_id",
        "payment",
        ("processor", "processor_fee", "payout_id", "deposit_date"),
    ),
    Protected("Adjustments", "date", "adjustment_id", "adjustment"),
    Protected("Sessions", "scheduled_start", "session_id", "session"),
)


@dataclass(frozen=True)
class SheetSnapshot:
    """One protected sheet as it was closed."""

    sheet: str
    rows: int  # data rows
    last: int  # Excel row of the last data row (0: none)
    closed: int  # rows dated in the closed period
    digest: str  # SHA-256 of those rows' canonical texts
    groups: str  # 2 * BITS group digests of GROUP_DIGITS hex digits each


@dataclass(frozen=True)
class Snapshot:
    """What a close recorded: the day closed through and each protected sheet."""

    through: dt.date
    sheets: tuple[SheetSnapshot, ...]

    def text(self) -> str:
        """The compact form an AuditLog row stores (IDs, counts and digests only)."""
        parts = [f"{_MARK} through {self.through.isoformat()}"]
        parts += [
            f"{s.sheet} rows={s.rows} last={s.last} closed={s.closed} "
            f"sha256={s.digest} groups={s.groups}"
            for s in self.sheets
        ]
        return "; ".join(parts)

    @classmethod
    def parse(cls, text: str) -> Snapshot | None:
        """The snapshot in an AuditLog summary, or None when it holds none (or a
        damaged one)."""
        start = text.find(_MARK)
        if start < 0:
            return None
        head, *rest = text[start:].split("; ")
        found = re.fullmatch(rf"{_MARK} through (\d{{4}}-\d{{2}}-\d{{2}})", head)
        if found is None:
            return None
        sheets = []
        for part in rest:
            one = _SHEET.fullmatch(part)
            if one is None:
                return None
            name, rows, last, closed, digest, groups = one.groups()
            sheets.append(SheetSnapshot(name, int(rows), int(last), int(closed), digest, groups))
        try:
            through = dt.date.fromisoformat(found.group(1))
        except ValueError:
            return None
        return cls(through, tuple(sheets))


_SHEET = re.compile(
    r"(\w+) rows=(\d+) last=(\d+) closed=(\d+) sha256=([0-9a-f]{64}) "
    rf"groups=([0-9a-f]{{{2 * BITS * GROUP_DIGITS}}})"
)


def snapshot(book: Book, through: dt.date) -> Snapshot:
    """The snapshot of ``book``'s protected sheets when closing through ``through``."""
    sheets = []
    for p in PROTECTED:
        frame = book.all_rows(p.sheet)
        rows = frame[ROW].to_numpy(dtype=np.int64)
        last = int(rows.max()) if len(rows) else 0
        kept = _rows(frame, p, _in_period(frame, p, through))
        texts = _texts(kept, p)
        digest, groups = _digests(texts, kept[p.key].tolist())
        sheets.append(SheetSnapshot(p.sheet, len(frame), last, len(kept), digest, groups))
    return Snapshot(through, tuple(sheets))


def close_events(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[tuple[str, str]]:
    """The close events of an AuditLog table (its header texts and rows of values) as
    (time, summary)."""
    at = {normalize_header(h): j for j, h in enumerate(headers)}
    if not {"time", "action", "summary"} <= at.keys():
        return []

    def text(row: Sequence[object], key: str) -> str:
        value = row[at[key]] if at[key] < len(row) else None
        return "" if value is None else str(value)

    return [(text(r, "time"), text(r, "summary")) for r in rows if text(r, "action") == "close"]


def recorded_closes(events: Iterable[tuple[str, str]]) -> dict[dt.date, tuple[str, Snapshot]]:
    """The snapshot each audited close recorded (``Book.closes``), by the day closed
    through, with the day (UTC, ISO) the close was made; a later close of the same day
    replaces an earlier one."""
    closes: dict[dt.date, tuple[str, Snapshot]] = {}
    for time, summary in events:
        found = Snapshot.parse(summary)
        if found is not None:
            closes[found.through] = (time[:10], found)
    return closes


def refusals(book: Book, sheet_name: str, rows: pd.DataFrame) -> list[Issue]:
    """Rows of ``sheet_name`` (typed, with ``_row``) a writer is about to enter or change
    that are dated in the closed period: refused, each at its date cell."""
    lock = book.settings.lock_through_date
    p = next((p for p in PROTECTED if p.sheet == sheet_name), None)
    if lock is None or p is None or p.date not in rows:
        return []
    closed = format_date(lock, book.settings.locale)
    return [
        _at_row(
            book,
            p,
            r,
            f"the books are closed through {closed}: a {p.noun} dated "
            f"{format_date(_date_of(r[p.date]), book.settings.locale)} can no longer be "
            "entered or changed",
            f"Date the correction after {closed}, in the open period.",
        )
        for r in rows[_in_period(rows, p, lock)].to_dict("records")
    ]


# --- the rule ---------------------------------------------------------------------------


def closed_period_issues(book: Book) -> list[Issue]:
    """The findings about the closed period (see the module)."""
    lock = book.settings.lock_through_date
    if lock is None:
        return []
    recorded = recorded_closes(book.closes).get(lock)
    if recorded is None:
        return [_unrecorded(book, lock)]
    day, snap = recorded
    on = _day(day, book.settings.locale)
    issues: list[Issue] = []
    for p in PROTECTED:
        seal = next((s for s in snap.sheets if s.sheet == p.sheet), None)
        if seal is not None:
            issues += _sheet_issues(book, p, seal, lock, on)
    return issues


def _sheet_issues(
    book: Book, p: Protected, seal: SheetSnapshot, lock: dt.date, on: str
) -> list[Issue]:
    frame = book.all_rows(p.sheet)
    in_period = _in_period(frame, p, lock)
    beyond = frame[ROW].to_numpy(dtype=np.int64) > seal.last
    locale = book.settings.locale
    closed = format_date(lock, locale)
    issues = []
    added = in_period & beyond
    for r in frame[added].to_dict("records") if added.any() else []:
        issues.append(
            _at_row(
                book,
                p,
                r,
                f"{p.noun} {r[p.key]} is dated {format_date(_date_of(r[p.date]), locale)}, in the "
                f"period closed through {closed} on {on}, and was entered after the close",
                f"Date it after {closed}: corrections belong in the open period.",
            )
        )
    kept = _rows(frame, p, in_period & ~beyond)
    texts = _texts(kept, p)
    digest, order, ordered = _whole(texts)
    if digest != seal.digest:  # only then are the group digests worth computing
        ids = kept[p.key].tolist()
        groups = _groups(texts[0], ordered, order, ids)
        issues.append(_changed(book, p, seal, kept, _suspects(ids, groups, seal.groups), on))
    return issues


def _changed(
    book: Book, p: Protected, seal: SheetSnapshot, kept: pd.DataFrame, suspects: list[int], on: str
) -> Issue:
    message = (
        f"{p.sheet}: rows of the closed period changed since it was closed on {on}; "
        "corrections belong in the open period"
    )
    if 0 < len(suspects) <= NAMED:
        named = ", ".join(str(kept[p.key].iat[j]) for j in suspects)
        message += f" (changed: {p.noun} {named})"
    if seal.closed != len(kept):
        message += f"; {seal.closed} rows were dated in it at the close, {len(kept)} are now"
    hint = (
        "Put the closed rows back as they were and record the correction in the open period, "
        "or reopen the period on purpose and close it again."
    )
    if 0 < len(suspects) <= NAMED:
        return _at_row(book, p, kept.iloc[suspects[0]].to_dict(), message, hint)
    where = book.layouts[p.sheet].sheet if p.sheet in book.layouts else p.sheet
    return Issue(Code.LOCKED_PERIOD, Severity.ERROR, message, CellRef(where), hint)


def _unrecorded(book: Book, lock: dt.date) -> Issue:
    practice = book.frames["Practice"]
    keys = practice["key"].astype(str).map(normalize_header)
    rows = practice[ROW][keys == normalize_header("lock_through_date")].tolist()
    where = book.cell("Practice", "value", int(rows[0]) if rows else 0)
    return Issue(
        Code.LOCKED_PERIOD,
        Severity.NOTE,
        f"the books are closed through {format_date(lock, book.settings.locale)}, but the close "
        "was not recorded, so practicebook cannot tell which rows of the closed period were "
        "entered or changed after it",
        where,
        "Close the period with practicebook (the dashboard's month-end close, "
        "practicebook.close_period, or practicebook bank reconcile --close) so what was "
        "closed is recorded.",
    )


def _at_row(book: Book, p: Protected, row: Mapping[str, object], message: str, hint: str) -> Issue:
    return Issue(
        Code.LOCKED_PERIOD,
        Severity.ERROR,
        message,
        book.cell(p.sheet, p.date, int(str(row[ROW]))),
        hint,
        str(row[p.key]),
        None if pd.isna(row.get("client_id")) else str(row.get("client_id")),
    )


def _suspects(ids: Sequence[object], now: str, then: str) -> list[int]:
    """Positions of the rows whose ID hash fits the group digests that differ: the
    changed row when one changed (more when several did, or when one was removed)."""
    n = GROUP_DIGITS
    differs = [now[g * n : (g + 1) * n] != then[g * n : (g + 1) * n] for g in range(2 * BITS)]
    # bit b of the changed rows' hash: 0 when only the "clear" group differs, 1 when only
    # the "set" group does, either when both do (several rows, unlike at that bit)
    wanted = {
        b: int(differs[2 * b + 1]) for b in range(BITS) if differs[2 * b] != differs[2 * b + 1]
    }
    if not wanted:  # every group differs: the columns changed, or rows unlike at every bit
        return []
    return [
        j
        for j, row_id in enumerate(ids)
        if all((_id_hash(row_id) >> b) & 1 == bit for b, bit in wanted.items())
    ]


# --- canonical rows and digests ------------------------------------------------------------


def _in_period(frame: pd.DataFrame, p: Protected, through: dt.date) -> np.ndarray:
    days = pd.to_datetime(frame[p.date], errors="coerce").dt.normalize()
    inside: np.ndarray = (days <= pd.Timestamp(through)).to_numpy(dtype=bool, na_value=False)
    return inside


def _rows(frame: pd.DataFrame, p: Protected, which: np.ndarray) -> pd.DataFrame:
    """The rows ``which`` selects, with only the columns a digest or a finding reads."""
    read = {ROW, p.key, p.date, "client_id", *(c.key for c in _digested(p))}
    return frame.loc[which, [k for k in frame.columns if k in read]]


def _digested(p: Protected) -> list[Column]:
    """The columns of ``p``'s sheet its digests may cover: all but the personal ones and
    those left out."""
    return [c for c in WORKBOOK.sheet(p.sheet).columns if not c.phi and c.key not in p.left_out]


def _texts(frame: pd.DataFrame, p: Protected) -> tuple[str, pa.Array]:
    """The rows' canonical texts: the keys of the columns holding a value in any of them
    (so a column added blank by an upgrade changes nothing), and each row's values in
    those columns, separated by a unit separator (escaped inside values)."""
    keys, arrays = [], []
    for c in _digested(p):
        if c.key not in frame:
            continue
        values = _canonical(frame[c.key], c.kind)
        if len(values) and pc.any(pc.not_equal(values, "")).as_py():
            keys.append(c.key)
            arrays.append(values)
    if not arrays:
        return "", pa.array([""] * len(frame), type=pa.string())
    return "\x1f".join(keys), pc.binary_join_element_wise(*arrays, "\x1f")


def _canonical(values: pd.Series, kind: Kind) -> pa.Array:
    """A column's values as canonical text ("" for a blank)."""
    if kind in (Kind.DATE, Kind.DATETIME):
        # ISO text, to the second: "2026-03-02" or "2026-03-02T09:15:00" (Arrow's text of
        # a timestamp has a space where ISO has the T)
        stamps = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[s]")
        moments = pa.array(stamps, mask=np.isnat(stamps))
        if kind is Kind.DATE:
            out = pc.cast(pc.cast(moments, pa.date32()), pa.string())
        else:
            out = pc.binary_replace_slice(
                pc.cast(moments, pa.string()), start=10, stop=11, replacement="T"
            )
    elif kind in (Kind.MONEY, Kind.INTEGER) and pd.api.types.is_integer_dtype(values.dtype):
        out = pc.cast(pa.array(values.astype("Int64"), from_pandas=True), pa.string())
    elif kind is Kind.BOOL and pd.api.types.is_bool_dtype(values.dtype) and not values.hasnans:
        out = pc.if_else(pa.array(values.to_numpy(dtype=bool)), "true", "false")
    elif kind in (Kind.ID, Kind.TEXT, Kind.CHOICE) and pd.api.types.is_string_dtype(values):
        out = _escaped(pc.cast(pa.array(values, from_pandas=True), pa.string()))
    else:
        out = _escaped(pa.array([_value(v) for v in values.tolist()], type=pa.string()))
    return pc.fill_null(out, "")


def _escaped(text: pa.Array) -> pa.Array:
    """Text with the separators (and the escape character) escaped."""
    if not _may_hold(text, b"\\\x1f\n"):
        return text
    for raw, escaped in (("\\", "\\\\"), ("\x1f", "\\x1f"), ("\n", "\\n")):
        text = pc.replace_substring(text, raw, escaped)
    return text


def _may_hold(text: pa.Array, characters: bytes) -> bool:
    """Whether any of the (ASCII) ``characters`` may occur in ``text``: a scan of its data
    buffer (all of it for a slice, so at worst a false "may")."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    data = text.buffers()[2] if len(text) else None
    if data is None:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    return any(bool((raw == c).any()) for c in characters)


def _value(value: object) -> str:
    """One value as canonical text (booleans, exact decimals, text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _id_hash(row_id: object) -> int:
    """The hash of a row's ID whose bits place it in the groups (CRC-32: stable, fast)."""
    return zlib.crc32(str(row_id).encode())


def _digests(texts: tuple[str, pa.Array], ids: Sequence[object]) -> tuple[str, str]:
    """The SHA-256 of the column keys and the rows' texts in sorted order (so sorting the
    sheet changes nothing), and the group digests: for each bit of a CRC-32 of the row's
    ID (stable, fast), the SHA-256 of the column keys and of the rows' own SHA-256
    digests (in the same order) with it clear, then with it set."""
    whole, order, ordered = _whole(texts)
    return whole, _groups(texts[0], ordered, order, ids)


def _whole(texts: tuple[str, pa.Array]) -> tuple[str, np.ndarray, pa.Array]:
    """The whole digest, the sort order of the rows and their texts in that order.

    The digest is of ``"\\n".join([keys, *ordered])``, hashed from Arrow's UTF-8 data
    (each row with its newline appended, the last newline dropped) without a Python
    string per row."""
    keys, rows = texts
    order = pc.sort_indices(rows).to_numpy()
    ordered = rows.take(order)
    sha = hashlib.sha256(keys.encode())
    if len(ordered):
        lines = pc.binary_join_element_wise(ordered, "", "\n")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        wide = pa.types.is_large_string(lines.type)
        ends = np.frombuffer(lines.buffers()[1], dtype=np.int64 if wide else np.int32)
        start, stop = int(ends[lines.offset]), int(ends[lines.offset + len(lines)])
        sha.update(b"\n")
        sha.update(memoryview(lines.buffers()[2])[start : stop - 1])
    return sha.hexdigest(), order, ordered


def _groups(keys: str, ordered: pa.Array, order: np.ndarray, ids: Sequence[object]) -> str:
    """The group digests (see ``_digests``): needed only to say which row changed."""
    sha = hashlib.sha256
    texts = ordered.to_numpy(zero_copy_only=False).tolist()
    own = np.array([sha(t.encode()).digest() for t in texts], dtype="S32")
    hashes = np.array([_id_hash(i) for i in ids], dtype=np.uint32)[order]
    head = keys.encode() + b"\n"
    groups = []
    for b in range(BITS):
        bit = (hashes >> b) & 1
        for side in (0, 1):
            part = sha(head + own[bit == side].tobytes()).hexdigest()
            groups.append(part[:GROUP_DIGITS])
    return "".join(groups)


def _date_of(value: object) -> dt.date:
    day: dt.date = pd.Timestamp(str(value)).date()
    return day


def _day(iso: str, locale: str) -> str:
    try:
        return format_date(dt.date.fromisoformat(iso), locale)
    except ValueError:
        return "an unrecorded day"
