"""Worksheet functions (xlwings UDFs): the core's figures in a cell.

``=PB_BALANCE("C0001")``, ``=PB_BALANCE("C0001", TODAY()-30)``,
``=PB_SESSION_FEE("S0001")``, ``=PB_FLAGS("C0001")``. Import them with xlwings'
*Import Functions* (Windows desktop; the module is
``practicebook.frontends.excel.functions``), or load this module in xlwings Lite.

* Days: an Excel date, a date serial (what ``=TODAY()-30`` passes), ISO text
  (``"2026-03-31"``) or nothing (today).
* An ID the workbook does not have is an error, not 0: the function raises, so Excel
  shows an error value (``#VALUE!``) and the message says which ID (in Excel on the
  desktop xlwings shows the message in the cell).
* Recalculation: the functions read the whole workbook, which Excel cannot see as
  their inputs, so they are **volatile**: they recalculate whenever anything in the
  workbook changes (and on F9). The reconciliation is computed once per state of the
  workbook and shared by every function cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from typing import Any

from practicebook.core.amounts import money_total
from practicebook.core.reconcile import reconcile as reconcile_book
from practicebook.core.result import Reconciliation
from practicebook.errors import MissingDependency, PracticebookError, UnknownClient
from practicebook.frontends.excel import UDF_NAMES, livebook
from practicebook.frontends.excel.livebook import as_day
from practicebook.frontends.excel.macros import _tables
from practicebook.model import Book, RawTable

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

from practicebook import api

__all__ = [*UDF_NAMES, "as_day"]

_CACHE: OrderedDict[tuple[str, dt.date | None], tuple[Book, Reconciliation]] = OrderedDict()
_CACHE_SIZE = 4


def _fingerprint(tables: list[RawTable]) -> str:
    """A digest of what was read: equal digests, equal books."""
    digest = hashlib.blake2b(digest_size=16)
    for table in tables:
        shape = (table.name, table.headers, table.header_row, table.columns, table.raw_cells)
        digest.update(repr(shape).encode())
        digest.update(table.data.to_csv(index=False).encode())
    return digest.hexdigest()


def _caller_result(as_of: object = None) -> tuple[Book, Reconciliation]:
    """The calling workbook reconciled as of ``as_of``, computed once per state."""
    try:
        day = as_day(as_of)
    except ValueError as exc:
        raise PracticebookError(str(exc)) from None
    tables = _tables(xw.Book.caller())
    key = (_fingerprint(tables), day)
    if key not in _CACHE:
        core_book, _ = api.load_tables(tables)
        _CACHE[key] = (core_book, reconcile_book(core_book, day))
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key]


def _client(book: Book, client_id: Any) -> str:
    wanted = livebook.id_text(client_id)
    if wanted is None or wanted not in {str(c) for c in book.clients["client_id"]}:
        raise UnknownClient(str(wanted or ""))
    return wanted


@xw.func(volatile=True)
def PB_BALANCE(client_id: Any, as_of: Any = None) -> Any:
    """The client's balance as of a day (default today), as the core computes it."""
    book, result = _caller_result(as_of)
    wanted = _client(book, client_id)
    rows = result.balances[result.balances["client_id"] == wanted]
    return float(money_total(rows["balance"], result.currency))


@xw.func(volatile=True)
def PB_SESSION_FEE(session_id: Any) -> Any:
    """What a session costs: its fee line plus any late-cancel or no-show fee."""
    book, result = _caller_result()
    wanted = livebook.id_text(session_id)
    if wanted is None or wanted not in {str(s) for s in book.sessions["session_id"]}:
        raise PracticebookError(f"session {wanted or ''!r} is not on the Sessions sheet")
    charges = result.charges[result.charges["session_id"] == wanted]
    return float(money_total(charges["amount"], result.currency))


@xw.func(volatile=True)
def PB_FLAGS(client_id: Any) -> Any:
    """The client's findings, one per line: ``code at cell``."""
    book, result = _caller_result()
    wanted = _client(book, client_id)
    flags = result.flags[result.flags["client_id"] == wanted]
    lines = [f"{f.code} at {f.sheet}!{f.cell}" for f in flags.itertuples(index=False)]
    return livebook.text_cell("\n".join(lines)) if lines else ""
