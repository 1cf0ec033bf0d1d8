"""Writing the bank to a user's workbook: imported lines, stored matches, a person's
choice, a reconciled statement period and the books closed through it.

Every write goes through ``safewrite.update_workbook`` (locks, verification, atomic
replace, backup) and logs to the AuditLog; the work is recomputed from the file as it
is at write time, so a save by another program meanwhile is never lost. Only the
cells each write owns change:

* ``import_statement`` appends BankLines rows (and the account's BankAccounts row when
  it is new, its saved CSV mapping, and the balances the statement states as Assertions);
* ``store_matches`` records each line's status, matches and rule, and fills each matched
  payment's blank deposit date, payout ID, processor fee and processor;
* ``choose_match`` records what a person chose for one line (payments, a payout, not
  client money, or nothing), releasing the payments from any line that held them;
* ``reconcile_statement`` marks a balanced period's lines reconciled, records the
  closing balance and the account's ``reconciled_through``, and with ``close`` sets
  the Practice sheet's ``lock_through_date`` once every account is reconciled that far.

A workbook without the bank sheets (made before them) is refused with one line: run
``practicebook upgrade`` first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from practicebook.core import bank as core_bank
from practicebook.core import entry
from practicebook.core.audit import AuditEntry, Tool
from practicebook.core.bank import BankMatch, ImportPlan, MatchOptions, StatementCheck
from practicebook.core.bank.choice import Choice, choose
from practicebook.core.closing import snapshot
from practicebook.errors import RowRefused, WriteFailed
from practicebook.issues import Issue
from practicebook.model import ROW, Book
from practicebook.parse.book import parse
from practicebook.render.cells import CellValue
from practicebook.schema import normalize_header
from practicebook.workbook import ooxml
from practicebook.workbook.auditkey import audit_key as resolve_audit_key
from practicebook.workbook.auditlog import finish
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.safewrite import Transform, update_workbook
from practicebook.workbook.writer import actor_name, package_errors

__all__ = [
    "ImportReport",
    "Reconciled",
    "Stored",
    "choose_match",
    "import_statement",
    "read_bank",
    "reconcile_statement",
    "store_matches",
]

_SHEETS = ("Practice", "BankAccounts", "BankLines", "Assertions", "Payments")


@dataclass(frozen=True)
class ImportReport:
    """What importing a statement did (or, with ``dry_run``, would do).

    Attributes:
        plan: the import as planned from the file (rows, already present, conflicts).
        written: whether the workbook was changed.
        backup: the kept copy of the previous version, if any.
    """

    plan: ImportPlan
    written: bool
    backup: Path | None = None

    @property
    def added(self) -> list[str]:
        """The IDs of the lines added."""
        return [str(r["line_id"]) for r in self.plan.rows]

    @property
    def issues(self) -> list[Issue]:
        return self.plan.issues


@dataclass(frozen=True)
class Stored:
    """What a write of matches or a choice changed: rows per sheet, and the matching."""

    matching: BankMatch
    lines: int
    payments: int
    backup: Path | None = None


@dataclass(frozen=True)
class Reconciled:
    """A reconciled statement period, and whether the books were closed through it."""

    check: StatementCheck
    closed: bool
    backup: Path | None = None
    lines: list[str] = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------


def read_bank(path: str | Path, plain: bytes | None = None, *, password: str | None = None) -> Book:
    """The sheets the bank needs, parsed (no whole-book checks)."""
    workbook, tables = read_workbook(path, plain, password=password, sheets=_SHEETS, audit=False)
    return parse(tables, schema_version=workbook.schema_version)[0]


def _require(path: str | Path, plain: bytes, book: Book, sheet: str, keys: Sequence[str]) -> None:
    """Refuse a workbook without ``sheet`` or its columns ``keys``."""
    present = {normalize_header(n): n for n in ooxml.sheet_names(plain)}
    missing = [k for k in keys if k not in book.layouts[sheet].column_of]
    if normalize_header(sheet) not in present or missing:
        what = (
            f"no {sheet} sheet"
            if normalize_header(sheet) not in present
            else (f"no {', '.join(missing)} column{'s' if len(missing) > 1 else ''} on {sheet}")
        )
        raise WriteFailed(Path(path), f"it has {what}; run practicebook upgrade on it first")


def _cells(
    book: Book, sheet: str, rows: Mapping[int, Mapping[str, object]]
) -> dict[tuple[int, int], CellValue]:
    """Values by schema key on Excel rows, as cells; keys the sheet lacks are left out."""
    column_of = book.layouts[sheet].column_of
    return {
        (row, column_of[key]): cast("CellValue", value)
        for row, values in rows.items()
        for key, value in values.items()
        if key in column_of
    }


def _append(plain: bytes, book: Book, sheet: str, rows: Sequence[Mapping[str, object]]) -> bytes:
    if not rows:
        return plain
    layout = book.layouts[sheet]
    cells = [cast("list[CellValue]", entry.cell_values(sheet, r, layout)) for r in rows]
    return ooxml.append_rows(plain, layout.sheet, cells, header_row=layout.header_row)[0]


def _set(plain: bytes, book: Book, sheet: str, rows: Mapping[int, Mapping[str, object]]) -> bytes:
    cells = _cells(book, sheet, rows)
    return ooxml.set_cells(plain, book.layouts[sheet].sheet, cells) if cells else plain


def _write(path: str | Path, transform: Transform, password: str | None) -> Path | None:
    guarded = package_errors(path, transform)
    return update_workbook(path, guarded, retry_on_change=True, password=password).backup


# --- import -----------------------------------------------------------------------------


def import_statement(
    path: str | Path,
    data: bytes,
    name: str,
    *,
    account: str | None = None,
    fmt: str = "auto",
    mapping: str | None = None,
    dry_run: bool = False,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> ImportReport:
    """Import a statement file's new lines into the workbook (see the module docstring).

    Nothing is written when the file has an error, when every line is already there, or
    with ``dry_run``; the report says what was (or would be) added.

    Raises:
        UnreadableWorkbook, WriteError: the workbook cannot be read or written safely.
    """
    plan = core_bank.prepare_import(
        read_bank(path, password=password), data, name, account=account, fmt=fmt, mapping=mapping
    )
    if (
        dry_run
        or not plan.ok
        or not (plan.rows or plan.assertions or plan.new_account or plan.mapping)
    ):
        return ImportReport(plan, False)
    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, ImportPlan] = {}

    def transform(plain: bytes) -> bytes:
        book = read_bank(path, plain)
        fresh = core_bank.prepare_import(
            book, data, name, account=account, fmt=fmt, mapping=mapping
        )
        if not fresh.ok:
            raise RowRefused([i for i in fresh.issues if i.is_error])
        _require(path, plain, book, "BankLines", ("line_id", "import_key", "status"))
        package = _account_row(plain, book, fresh)
        package = _append(package, book, "BankLines", fresh.rows)
        if fresh.assertions:
            _require(path, plain, book, "Assertions", ("account_id",))
            package = _append(package, book, "Assertions", fresh.assertions)
        summary = (
            f"{len(fresh.rows)} lines added, {fresh.present} already there, "
            f"{len(fresh.conflicts)} conflicting, {len(fresh.assertions)} balances; "
            f"{fresh.statement.format} file {fresh.statement.sha256[:12]}"
        )
        event = AuditEntry(who, tool, "BankLines", fresh.account_id, "import", summary)
        done["plan"] = fresh
        return finish(package, Path(path), [], [event], key)

    backup = _write(path, transform, password)
    return ImportReport(done["plan"], True, backup)


def _account_row(plain: bytes, book: Book, plan: ImportPlan) -> bytes:
    """Add the account when it is new; save the CSV mapping it was read with."""
    if plan.new_account is None and plan.mapping is None:
        return plain
    _require("", plain, book, "BankAccounts", ("account_id", "csv_mapping"))
    if plan.new_account is not None:
        return _append(
            plain, book, "BankAccounts", [{**plan.new_account, "csv_mapping": plan.mapping}]
        )
    frame = book.frames["BankAccounts"]
    rows = frame[frame["account_id"] == plan.account_id][ROW].tolist()
    return _set(plain, book, "BankAccounts", {int(rows[0]): {"csv_mapping": plan.mapping}})


# --- matches ------------------------------------------------------------------------------


def store_matches(
    path: str | Path,
    *,
    as_of: dt.date | str | None = None,
    options: MatchOptions | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Stored:
    """Match the workbook's lines as of ``as_of`` and record the matches in it.

    Raises:
        UnreadableWorkbook, WriteError: the workbook cannot be read or written safely.
    """
    preview = core_bank.match(read_bank(path, password=password), as_of, options)
    if not preview.updates():
        return Stored(preview, 0, 0)
    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, Stored] = {}

    def transform(plain: bytes) -> bytes:
        book = read_bank(path, plain)
        result = core_bank.match(book, as_of, options)
        updates = result.updates()
        _require(path, plain, book, "BankLines", ("status", "matched_payment_ids", "match_rule"))
        package = _set(plain, book, "BankLines", updates.lines)
        package = _set(package, book, "Payments", updates.payments)
        summary = (
            f"{len(updates.lines)} lines, {len(updates.payments)} payments "
            f"as of {result.as_of.isoformat()}"
        )
        event = AuditEntry(who, tool, "BankLines", "matches", "match", summary)
        done["stored"] = Stored(result, len(updates.lines), len(updates.payments))
        return finish(package, Path(path), [], [event], key)

    backup = _write(path, transform, password)
    stored = done["stored"]
    return Stored(stored.matching, stored.lines, stored.payments, backup)


def choose_match(
    path: str | Path,
    line_id: str,
    *,
    payments: Sequence[str] = (),
    line: str | None = None,
    not_client_money: bool = False,
    unmatch: bool = False,
    as_of: dt.date | str | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Choice:
    """Record what a person chose for line ``line_id``: ``payments``, the payout or deposit
    ``line``, ``not_client_money``, or ``unmatch`` (back to unmatched).

    Raises:
        RowRefused: the choice does not add up, names unknown rows, or touches a
            reconciled line (nothing written).
        UnreadableWorkbook, WriteError: the workbook cannot be read or written safely.
    """
    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, Choice] = {}

    def transform(plain: bytes) -> bytes:
        book = read_bank(path, plain)
        result = core_bank.match(book, as_of)
        choice = choose(
            result, line_id, payments, line, not_client_money=not_client_money, unmatch=unmatch
        )
        if not choice.accepted:
            raise RowRefused(choice.issues)
        package = _set(plain, book, "BankLines", choice.cells)
        event = AuditEntry(who, tool, "BankLines", line_id, "choose", choice.summary)
        done["choice"] = choice
        return finish(package, Path(path), [], [event], key)

    _write(path, transform, password)
    return done["choice"]


# --- reconciling a statement ----------------------------------------------------------------


def reconcile_statement(
    path: str | Path,
    account: str,
    through: dt.date,
    *,
    balance: str | int | None = None,
    close: bool = False,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Reconciled:
    """Mark ``account``'s statement period through ``through`` reconciled, when it
    balances (``balance``: the statement's closing balance, minor units or text in the
    workbook's locale; default: the assertion dated ``through``); with ``close``, close
    the books through that day once every account is reconciled through it.

    Raises:
        RowRefused: the period does not balance, or (``close``) an account is not
            reconciled that far (nothing written).
        UnreadableWorkbook, WriteError: the workbook cannot be read or written safely.
    """
    from practicebook.core.bank.closing import plan_reconcile

    who, key = actor_name(actor), resolve_audit_key(audit_key)
    done: dict[str, Reconciled] = {}

    def transform(plain: bytes) -> bytes:
        book = read_bank(path, plain)
        plan = plan_reconcile(book, account, through, balance, close=close)
        if not plan.accepted:
            raise RowRefused(plan.issues)
        _require(path, plain, book, "BankAccounts", ("reconciled_through",))
        package = _set(plain, book, "BankLines", plan.lines)
        package = _set(package, book, "BankAccounts", plan.accounts)
        package = _append(package, book, "BankAccounts", plan.new_accounts)
        package = _append(package, book, "Assertions", plan.assertions)
        events = [AuditEntry(who, tool, "BankAccounts", account, "reconcile", plan.summary)]
        if plan.lock is not None:
            package = _lock(package, book, plan.lock)
            closed = snapshot(_whole_book(path, plain), plan.lock).text()
            events.append(
                AuditEntry(
                    who,
                    tool,
                    "Practice",
                    "lock_through_date",
                    "close",
                    f"books closed through {plan.lock.isoformat()}; {closed}",
                )
            )
        done["done"] = Reconciled(plan.check, plan.lock is not None, None, sorted(plan.line_ids))
        return finish(package, Path(path), [], events, key)

    backup = _write(path, transform, password)
    result = done["done"]
    return Reconciled(result.check, result.closed, backup, result.lines)


def _whole_book(path: str | Path, plain: bytes) -> Book:
    """Every sheet, parsed: what a close records the closed period from."""
    workbook, tables = read_workbook(path, plain, audit=False)
    return parse(tables, schema_version=workbook.schema_version)[0]


def _lock(plain: bytes, book: Book, day: dt.date) -> bytes:
    """Set the Practice sheet's ``lock_through_date``."""
    practice = book.frames["Practice"]
    rows = practice[practice["key"].astype(str).str.strip() == "lock_through_date"][ROW].tolist()
    value = {"key": "lock_through_date", "value": day.isoformat()}
    if rows:
        return _set(plain, book, "Practice", {int(rows[0]): {"value": day.isoformat()}})
    return _append(plain, book, "Practice", [value])
