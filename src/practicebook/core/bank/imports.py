"""Importing a statement: which of its lines are new, and the rows that add them.

**Idempotent.** Every line gets an import key: the statement's own ID of it (FITID,
balance transaction, payout, transaction ID) where the format has one, and otherwise a
digest of the account, day, amount, fee, masked description and the line's occurrence
number among identical lines *in that file*. Importing the same file again, or one
that overlaps it, adds nothing; two genuinely identical lines of one file (two
deposits of the same amount on the same day) are two lines, never one. A line whose
key is already taken by a line with a different day or amount is *conflicting* and is
not added (a bank that re-used an ID, or changed a posted line): the report names it.

Pure: the ``Book`` and the file's bytes in, an ``ImportPlan`` (rows to append, what
was already there, what conflicts) out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.core.collector import collector_paused
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import ROW, Book
from practicebook.money import from_minor, to_minor
from practicebook.parse.statements import (
    CsvMapping,
    MappingProblem,
    Statement,
    StatementLine,
    parse_mapping,
    read_statement,
)
from practicebook.parse.values import CoerceContext

__all__ = [
    "Conflict",
    "ImportPlan",
    "import_key",
    "plan_import",
    "prepare_import",
    "with_import",
    "with_rows",
]


@dataclass(frozen=True)
class Conflict:
    """A statement line not added: its key is taken by a different line."""

    row: int
    line_id: str | None
    why: str


@dataclass
class ImportPlan:
    """What importing a statement into an account does.

    Attributes:
        statement: the file as read.
        account_id: the account its lines go to.
        new_account: a BankAccounts row to add first (the account was not there), or None.
        rows: BankLines rows to append, as schema keys to values.
        present: how many of the file's lines were already imported.
        conflicts: lines not added, and why.
        assertions: Assertions rows to append (the balances the statement states).
        mapping: a column mapping to save on the account (read with a new one).
        issues: why nothing can be imported (any error), and notes.
    """

    statement: Statement
    account_id: str
    new_account: dict[str, object] | None = None
    rows: list[dict[str, object]] = field(default_factory=list)
    present: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    assertions: list[dict[str, object]] = field(default_factory=list)
    mapping: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the lines can be imported (no error)."""
        return not any(i.is_error for i in self.issues)


def import_key(account_id: str, line: StatementLine, occurrence: int) -> str:
    """The key that makes ``line`` unique among its account's lines (see the module)."""
    if line.external_id:
        return line.external_id
    text = "|".join(
        (
            account_id,
            line.posted.isoformat(),
            str(line.amount),
            str(line.fee),
            line.type or "",
            line.description,
            str(occurrence),
        )
    )
    return "k:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def keyed(account_id: str, lines: Iterable[StatementLine]) -> list[tuple[str, StatementLine]]:
    """Each line of one file with its key: the occurrence counts identical lines without
    an ID of their own, in file order."""
    seen: Counter[tuple[object, ...]] = Counter()
    out = []
    for line in lines:
        occurrence = 0
        if not line.external_id:
            identity = (line.posted, line.amount, line.fee, line.type, line.description)
            seen[identity] += 1
            occurrence = seen[identity]
        out.append((import_key(account_id, line, occurrence), line))
    return out


@collector_paused()
def prepare_import(
    book: Book,
    data: bytes,
    name: str,
    *,
    account: str | None = None,
    fmt: str = "auto",
    mapping: str | None = None,
) -> ImportPlan:
    """Read a statement file for ``book`` and plan its import (nothing is written).

    ``account`` defaults to the only account the file can belong to; ``mapping`` (the
    one-line text of ``parse.statements.generic``) to the account's saved mapping.
    """
    settings = book.settings
    accounts = book.frames["BankAccounts"]
    saved = _saved_mapping(book, account)
    problem = None
    try:
        columns = parse_mapping(mapping) if mapping else saved
    except MappingProblem as exc:
        columns, problem = None, str(exc)
    statement = read_statement(
        data,
        name,
        fmt=fmt,
        mapping=columns,
        locale=settings.locale,
        currency=settings.currency,
        date_order=CoerceContext(settings.locale, settings.currency).date_order,
    )
    chosen, why = _account_for(accounts, statement, account)
    plan = ImportPlan(statement, chosen or "")
    plan.issues += statement.issues
    if problem is not None:
        plan.issues.append(_file_issue(name, f"the mapping cannot be used: {problem}"))
    if chosen is None:
        plan.issues.append(_file_issue(name, why))
    if plan.ok:
        plan_import(book, statement, chosen or "", plan)
        if statement.mapping and statement.mapping != (saved.text() if saved else None):
            plan.mapping = statement.mapping
    return plan


def _saved_mapping(book: Book, account: str | None) -> CsvMapping | None:
    if account is None:
        return None
    row = _account(book, account, "csv_mapping")
    if row is None or not isinstance(row["csv_mapping"], str):
        return None
    try:
        return parse_mapping(row["csv_mapping"])
    except MappingProblem:
        return None


def _account_for(
    frame: pd.DataFrame, statement: Statement, account: str | None
) -> tuple[str | None, str]:
    """The account the statement's lines go to, or None and why not."""
    processor = statement.processor
    if account is not None:
        row = _account_in(frame, account, ("kind",))
        if row is not None:
            kind = row["kind"]
            if processor and kind != "processor":
                return (
                    None,
                    f"{account} is a bank account; a {processor.title()} export goes into a "
                    "processor account",
                )
            if not processor and kind == "processor":
                return (
                    None,
                    f"{account} is a processor account; a bank statement goes into a bank account",
                )
        return account, ""
    rows = list(zip(frame["account_id"], frame["kind"], frame["processor"], strict=True))
    if processor:
        same = [a for a, kind, by in rows if kind == "processor" and by == processor]
        if len(same) == 1:
            return str(same[0]), ""
        if not same:
            return processor.upper(), ""
        return None, f"several {processor.title()} accounts: name one with --account"
    banks = [a for a, kind, _ in rows if ("bank" if pd.isna(kind) else kind) == "bank"]
    if len(banks) == 1:
        return str(banks[0]), ""
    return None, "name the account the statement belongs to (--account CHK; a new one is added)"


def _account(book: Book, account_id: str | None, *columns: str) -> dict[str, object] | None:
    """The values of ``columns`` on the BankAccounts row of ``account_id``, or None when
    there is no such row."""
    return _account_in(book.frames["BankAccounts"], account_id, columns)


def _account_in(
    frame: pd.DataFrame, account_id: str | None, columns: tuple[str, ...]
) -> dict[str, object] | None:
    ids = frame["account_id"].tolist()  # a few accounts: a list beats a frame filter
    if account_id not in ids:
        return None
    at = ids.index(account_id)
    return {c: frame[c].iat[at] for c in columns}


def _file_issue(name: str, message: str) -> Issue:
    return Issue(
        Code.HEADER_NOT_FOUND, Severity.ERROR, message, CellRef(name), "Nothing was imported."
    )


def plan_import(book: Book, statement: Statement, account_id: str, plan: ImportPlan) -> None:
    """Fill ``plan`` with the rows that import ``statement`` into ``account_id``."""
    currency = book.settings.currency
    plan.new_account = _new_account(book, statement, account_id)
    if statement.currency and statement.currency != _account_currency(book, account_id):
        plan.issues.append(
            _file_issue(
                statement.name,
                f"the statement is in {statement.currency}; {account_id} is in "
                f"{_account_currency(book, account_id)}",
            )
        )
        return
    numbers = _line_numbers(book, account_id)
    taken_here: dict[str, StatementLine] = {}
    lines = keyed(account_id, statement.lines)
    existing = _Existing(book, account_id, (key for key, _ in lines))
    for key, line in lines:
        old = existing.get(key) or taken_here.get(key)
        if old is not None:
            if _same_line(old, line):
                plan.present += 1
            else:
                plan.conflicts.append(
                    Conflict(
                        line.row,
                        _old_id(old),
                        "its ID is taken by a line with another day or amount",
                    )
                )
            continue
        taken_here[key] = line
        numbers += 1
        plan.rows.append(
            _row(f"{account_id}-{numbers:05d}", account_id, key, line, statement, currency)
        )
    plan.assertions = _assertions(book, account_id, statement, currency, plan)


def _old_id(old: object) -> str | None:
    return old.line_id if isinstance(old, _Stored) else None


@dataclass(frozen=True)
class _Stored:
    line_id: str
    posted: dt.date | None
    amount: int
    fee: int


def _same_line(old: object, line: StatementLine) -> bool:
    if isinstance(old, _Stored):
        return (old.posted, old.amount, old.fee) == (line.posted, line.amount, line.fee)
    return old == line


#: The BankLines columns of a line already imported that a new line is compared with.
_STORED = ("line_id", "posted_date", "amount", "fee")


class _Existing:
    """The account's lines that hold one of ``keys`` (statement lines' keys) as their
    import key or external ID; a line's day and amounts are read only for those."""

    def __init__(self, book: Book, account_id: str, keys: Iterable[str]) -> None:
        lines = book.all_rows("BankLines")
        wanted = pa.array(set(keys), type=pa.large_string())
        mine = pc.equal(_strings(lines["account_id"]), account_id)
        at: dict[str, int] = {}
        for column in ("external_id", "import_key"):  # an import key wins over an ID
            values = _strings(lines[column])
            found_in = pc.is_in(values, value_set=wanted.cast(values.type))
            hit = pc.fill_null(pc.and_(mine, found_in), False)
            rows = np.flatnonzero(hit.to_numpy(zero_copy_only=False)).tolist()
            found = pc.take(values, pa.array(rows, type=pa.int64())).to_pylist()
            at.update(zip(found, rows, strict=True))
        found_rows = sorted(set(at.values()))  # the lines found, read once
        held = [lines[c].take(found_rows).tolist() for c in _STORED]
        stored = {
            row: _Stored(
                str(line_id),
                None if pd.isna(posted) else pd.Timestamp(posted).date(),
                _minor(amount),
                _minor(fee),
            )
            for row, line_id, posted, amount, fee in zip(found_rows, *held, strict=True)
        }
        self.by_key = {key: stored[row] for key, row in at.items()}

    def get(self, key: str) -> _Stored | None:
        return self.by_key.get(key)


def _strings(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow strings (blanks null), the frame's own when it has them."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        return pa.array(values, from_pandas=True)
    cells = values.astype(object).where(values.notna(), None).tolist()
    return pa.array([None if v is None else str(v) for v in cells], type=pa.string())


def _minor(value: object) -> int:
    """An amount cell's minor units (0 when blank)."""
    return 0 if value is None or pd.isna(value) else int(str(value))


def _line_numbers(book: Book, account_id: str) -> int:
    """The highest number of the account's line IDs (``CHK-00042`` → 42)."""
    ids = _strings(book.all_rows("BankLines")["line_id"])
    prefix = f"{account_id}-"
    numbers = pc.utf8_slice_codeunits(
        pc.filter(ids, pc.starts_with(ids, prefix)), start=len(prefix)
    )
    numbers = pc.filter(numbers, pc.utf8_is_digit(numbers))
    return int(pc.max(pc.cast(numbers, pa.int64())).as_py() or 0) if len(numbers) else 0


def _row(
    line_id: str,
    account_id: str,
    key: str,
    line: StatementLine,
    statement: Statement,
    currency: str,
) -> dict[str, object]:
    return {
        "line_id": line_id,
        "account_id": account_id,
        "posted_date": line.posted,
        "amount": _amount(line.amount, currency),
        "description": line.description or None,
        "external_id": line.external_id,
        "payout_id": line.payout_id,
        "fee": _amount(line.fee, currency) if line.fee else None,
        "source_hash": statement.sha256,
        "status": "unmatched",
        "type": line.type,
        "reference": ",".join(line.reference) or None,
        "import_key": key,
    }


#: An amount of a statement line as the sheet holds it (a statement repeats its amounts).
_amount = functools.lru_cache(maxsize=4096)(from_minor)


def _account_currency(book: Book, account_id: str) -> str:
    row = _account(book, account_id, "currency")
    currency = None if row is None else row["currency"]
    if isinstance(currency, str) and currency.strip():
        return currency.strip().upper()
    return book.settings.currency


def _new_account(book: Book, statement: Statement, account_id: str) -> dict[str, object] | None:
    if _account(book, account_id) is not None:
        return None
    processor = statement.processor
    row: dict[str, object] = {
        "account_id": account_id,
        "name": f"{processor.title()} balance" if processor else account_id,
        "kind": "processor" if processor else "bank",
        "processor": processor,
    }
    if statement.balances and statement.lines:
        closing = max(statement.balances, key=lambda b: b.date)
        counted = sum(ln.net for ln in statement.lines if ln.posted <= closing.date)
        row["opening_date"] = min(ln.posted for ln in statement.lines)
        row["opening_balance"] = from_minor(closing.amount - counted, book.settings.currency)
    return row


def _assertions(
    book: Book, account_id: str, statement: Statement, currency: str, plan: ImportPlan
) -> list[dict[str, object]]:
    frame = book.all_rows("Assertions")
    mine = frame[frame["account_id"] == account_id]
    pairs = zip(mine["date"].tolist(), mine["expected_balance"].tolist(), strict=True)
    known = {(pd.Timestamp(d).date(), _minor(v)) for d, v in pairs if not pd.isna(d)}
    days = {d for d, _ in known}
    out = []
    for balance in statement.balances:
        if (balance.date, balance.amount) in known:
            continue
        if balance.date in days:
            plan.issues.append(
                Issue(
                    Code.ASSERTION_FAILED,
                    Severity.WARNING,
                    f"the statement states another balance for {account_id} at the end of "
                    f"{balance.date.isoformat()} than the Assertions sheet; it was not added",
                    CellRef(statement.name),
                    "Check which one is right and correct the Assertions row.",
                )
            )
            continue
        out.append(
            {
                "account_id": account_id,
                "date": balance.date,
                "expected_balance": from_minor(balance.amount, currency),
                "source": f"{balance.source} ({statement.sha256[:8]})",
            }
        )
    return out


def _typed(
    sheet_name: str, rows: list[dict[str, object]], currency: str, first: int
) -> pd.DataFrame:
    """Rows of schema keys to values, as ``sheet_name``'s frame holds them."""
    from practicebook.schema import WORKBOOK, Kind

    sheet = WORKBOOK.sheet(sheet_name)
    by_key = _transposed(rows, [col.key for col in sheet.columns])
    columns: dict[str, object] = {}
    for col in sheet.columns:
        values = by_key[col.key]
        if col.kind is Kind.MONEY:
            blank = np.fromiter((v is None for v in values), bool, len(values))
            minor = [0 if v is None else _minor_units(v, currency) for v in values]
            columns[col.key] = pd.arrays.IntegerArray(np.array(minor, dtype=np.int64), blank)
        elif col.kind is Kind.DATE and all(
            v is None or (type(v) is dt.date and _NS_FIRST <= v <= _NS_LAST) for v in values
        ):  # days a nanosecond timestamp holds: Arrow converts them in bulk
            days = pa.array(values, type=pa.date32()).to_numpy(zero_copy_only=False)
            columns[col.key] = pd.Series(days.astype("datetime64[ns]"))
        elif col.kind in (Kind.DATE, Kind.DATETIME):
            columns[col.key] = pd.to_datetime(pd.Series(values, dtype=object))
        elif col.kind is Kind.BOOL:
            columns[col.key] = pd.Series([bool(v) for v in values], dtype=bool)
        else:
            columns[col.key] = _text(values)
    columns[ROW] = np.arange(first, first + len(rows), dtype=np.int64)
    return pd.DataFrame(columns)


#: The days a nanosecond timestamp can hold (pandas refuses the others).
_NS_FIRST, _NS_LAST = pd.Timestamp.min.date() + dt.timedelta(days=1), pd.Timestamp.max.date()


def _text(values: list[object]) -> pd.Series:
    """A text column (blanks None) as the frames hold text: Arrow strings."""
    try:
        text = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas converts the rest
        return pd.Series(values, dtype="str")
    return pd.Series(pd.array(text, dtype="str"))


def _transposed(rows: list[dict[str, object]], keys: list[str]) -> dict[str, list[object]]:
    """The values of each of ``keys`` in ``rows`` (None where a row has none)."""
    shared = rows[0].keys()
    have = [k for k in keys if k in shared]
    if len(have) > 1 and all(r.keys() == shared for r in rows):  # rows alike: the usual case
        values = zip(*map(operator.itemgetter(*have), rows), strict=True)
        found = dict(zip(have, map(list, values), strict=True))
        return {k: found[k] if k in found else [None] * len(rows) for k in keys}
    return {k: [r.get(k) for r in rows] for k in keys}


@functools.lru_cache(maxsize=4096, typed=True)  # amounts repeat: each converted once
def _minor_units(value: object, currency: str) -> int:
    return to_minor(value if isinstance(value, Decimal) else Decimal(str(value)), currency)


def with_rows(book: Book, sheet: str, rows: list[dict[str, object]]) -> Book:
    """``book`` with ``rows`` (schema keys to values, as a writer gets them) added below
    the last row of ``sheet``, typed as the parser types them."""
    if not rows:
        return book
    frame = book.frames[sheet]
    first = int(frame[ROW].max()) + 1 if len(frame) else 2
    added = _typed(sheet, rows, book.settings.currency, first)
    other = {k: d for k, d in frame.dtypes.items() if k in added and added[k].dtype != d}
    added = added.astype(other) if other else added  # most columns are typed alike already
    merged = pd.concat([frame, added], ignore_index=True) if len(frame) else added
    return dataclasses.replace(book, frames={**book.frames, sheet: merged})


@collector_paused()
def with_import(book: Book, plan: ImportPlan) -> Book:
    """``book`` as it will be once ``plan`` is written: the lines, the new account and
    the balances added in memory (to preview matching before anything is written)."""
    if plan.new_account is not None:
        book = with_rows(book, "BankAccounts", [{**plan.new_account, "csv_mapping": plan.mapping}])
    book = with_rows(book, "BankLines", plan.rows)
    return with_rows(book, "Assertions", plan.assertions)
