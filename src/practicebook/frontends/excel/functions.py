"""Worksheet functions (xlwings UDFs, Windows desktop): the core's figures in a cell.

``=PB_BALANCE("C0001")``, ``=PB_SESSION_FEE("S0001")``, ``=PB_FLAGS("C0001")``. Import
them with xlwings' *Import Functions* (the module is
``practicebook.frontends.excel.functions``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from practicebook.core.amounts import money_total
from practicebook.core.reconcile import reconcile as reconcile_book
from practicebook.core.result import Reconciliation
from practicebook.errors import MissingDependency
from practicebook.frontends.excel import UDF_NAMES, livebook
from practicebook.frontends.excel.macros import read_book
from practicebook.model import Book

try:
    import xlwings as xw
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependency("xlwings", "excel") from None

__all__ = list(UDF_NAMES)


def _caller_result(as_of: object = None) -> tuple[Book, Reconciliation]:
    core_book, _ = read_book(xw.Book.caller())
    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    return core_book, reconcile_book(core_book, day or None)  # type: ignore[arg-type]


@xw.func
def PB_BALANCE(client_id: Any, as_of: Any = None) -> Any:
    """The client's balance as of a day (default today), as the core computes it."""
    _, result = _caller_result(as_of)
    rows = result.balances[result.balances["client_id"] == livebook.id_text(client_id)]
    return float(money_total(rows["balance"], result.currency))  # 0 for an unknown client


@xw.func
def PB_SESSION_FEE(session_id: Any) -> Any:
    """What a session costs: its fee line plus any late-cancel or no-show fee."""
    _, result = _caller_result()
    charges = result.charges[result.charges["session_id"] == livebook.id_text(session_id)]
    return float(money_total(charges["amount"], result.currency))


@xw.func
def PB_FLAGS(client_id: Any) -> Any:
    """The client's findings, one per line: ``code at cell``."""
    _, result = _caller_result()
    flags = result.flags[result.flags["client_id"] == livebook.id_text(client_id)]
    lines = [f"{f.code} at {f.sheet}!{f.cell}" for f in flags.itertuples(index=False)]
    return livebook.text_cell("\n".join(lines)) if lines else ""
