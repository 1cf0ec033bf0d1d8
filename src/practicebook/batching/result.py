"""A batch's result: one frame of workbooks, one of totals per currency, kept apart.

Money is exact: pandas' Arrow-backed ``decimal128`` like every public frame, with the
precision of ``practicebook.core.amounts.PRECISION``. A batch can span currencies, so
both frames share one scale: the most minor-unit digits among the run's currencies (2
for a run of USD, GBP and EUR books; 3 once a Kuwaiti dinar book is in it; 2 when
nothing was readable). Every amount is exact at that scale; the JSON form writes each
amount with its own currency's digits. Counts are ``Int64`` and ``complete``/``written``
``boolean``, blank (``<NA>``) for a workbook that could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa

from practicebook.batching.task import Summary
from practicebook.core.amounts import PRECISION
from practicebook.money import digits

__all__ = ["MONEY", "BatchResult", "batch_result"]

#: Money columns every readable workbook has (aging buckets ``ar_<bucket>`` besides).
MONEY = (
    "charges",
    "payments",
    "refunds",
    "adjustments",
    "balance",
    "ar_total",
    "credit",
    "late_cancel_fees",
    "no_show_fees",
)
_TEXT = ("file", "practice", "status", "reason", "as_of", "currency")
_COUNTS = ("clients", "sessions", "left_out")
_TAIL = (
    "ar_total",
    "credit",
    "errors",
    "warnings",
    "notes",
    "late_cancel_charged",
    "late_cancel_fees",
    "late_cancel_waived",
    "no_show_charged",
    "no_show_fees",
    "no_show_waived",
)
_LEDGER = ("charges", "payments", "refunds", "adjustments", "balance")
#: Columns of a run that issued statements (``batch(statements=...)``): counts, summed in
#: the totals, and the folder, which is not.
_STATEMENTS = ("statements", "statements_skipped")
_STATEMENTS_FOLDER = "statements_folder"
#: The column of a run that wrote journals (``batch(export=...)``): the file(s) written.
_JOURNAL = "journal"


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class BatchResult:
    """What ``practicebook.batch`` found, workbooks and totals apart.

    * ``workbooks`` — one row per workbook in the order found: ``file`` (as found from
      the path given), ``practice``, ``status`` (ok | issues | unreadable), ``reason``,
      ``as_of``, ``currency``, ``complete`` (False: the workbook has errors and its
      figures are provisional), ``clients``, ``sessions``, ``left_out`` (rows kept out of
      the figures), charges, payments, refunds, adjustments, balance, ``ar_<bucket>``,
      ``ar_total``, credit, error/warning/note counts, late-cancel and no-show fees
      (``*_charged``, ``*_fees``, ``*_waived``), ``written`` (with ``write=True``),
      ``statements``, ``statements_skipped`` and ``statements_folder`` (with
      ``statements=``: issued, already issued, where; blank when none could be),
      ``journal`` (with ``export=``: the file written; blank when none was) and a
      ``flag_<code>`` count for every finding code seen.
    * ``totals`` — one row per currency over its readable workbooks: ``currency``,
      ``workbooks`` (how many), ``as_of`` (when they share one), ``complete``, and the
      sums of the counts and amounts above.

    Amounts of different currencies never meet in a sum: ``totals`` is
    ``workbooks.groupby("currency")`` summed.
    """

    workbooks: pd.DataFrame
    totals: pd.DataFrame

    def to_dict(self) -> dict[str, list[dict[str, object]]]:
        """``{"workbooks": [...], "totals": [...]}``, JSON-ready: amounts as exact decimal
        text with their currency's digits (``"150.00"``), blanks as ``None``."""
        return {"workbooks": records(self.workbooks), "totals": records(self.totals)}

    @property
    def scale(self) -> int:
        """Decimal places of every amount in both frames."""
        dtype = self.workbooks["balance"].dtype
        return int(dtype.pyarrow_dtype.scale)


def batch_result(summaries: Sequence[Summary]) -> BatchResult:
    """The summaries of a run (``summarise_workbook``) as the two frames."""
    readable = [s for s in summaries if s["status"] != "unreadable"]
    scale = max((digits(s["currency"]) for s in readable), default=2)
    buckets = list(dict.fromkeys(b for s in readable for b in s["aging"]))
    codes = sorted({c for s in readable for c in s["codes"]})
    written = ["written"] if any("written" in s for s in summaries) else []
    issued = any(_STATEMENTS_FOLDER in s for s in summaries)
    statements = [*_STATEMENTS, _STATEMENTS_FOLDER] if issued else []
    journal = [_JOURNAL] if any(_JOURNAL in s for s in summaries) else []
    rows = [_flat(s, buckets, codes) for s in summaries]
    columns = [*_TEXT, "complete", *_COUNTS, *_LEDGER, *buckets, *_TAIL, *written, *statements]
    columns += journal
    columns += [f"flag_{c}" for c in codes]
    workbooks = _typed(rows, columns, scale, buckets)
    totals = _typed(
        [_totals(s, buckets, codes) for s in _by_currency(readable)],
        ["currency", "workbooks", "as_of", "complete", *columns[len(_TEXT) + 1 :]],
        scale,
        buckets,
    )
    return BatchResult(workbooks, totals.drop(columns=written + statements[2:] + journal))


def _flat(summary: Summary, buckets: list[str], codes: list[str]) -> dict[str, Any]:
    """One summary as a flat row (aging buckets and codes as columns)."""
    row = {k: v for k, v in summary.items() if k not in ("aging", "codes")}
    if summary["status"] != "unreadable":
        row.update({b: summary["aging"].get(b) for b in buckets})
        row.update({f"flag_{c}": summary["codes"].get(c, 0) for c in codes})
    return row


def _by_currency(readable: list[Summary]) -> list[list[Summary]]:
    groups: dict[str, list[Summary]] = {}
    for s in readable:
        groups.setdefault(s["currency"], []).append(s)
    return list(groups.values())


def _totals(group: list[Summary], buckets: list[str], codes: list[str]) -> dict[str, Any]:
    """Column sums over one currency's readable workbooks."""
    rows = [_flat(s, buckets, codes) for s in group]
    days = {s["as_of"] for s in group}
    out: dict[str, Any] = {
        "currency": group[0]["currency"],
        "workbooks": len(group),
        "as_of": days.pop() if len(days) == 1 else None,
        "complete": all(s["complete"] for s in group),
    }
    keys = [*_COUNTS, *_LEDGER, *buckets, *_TAIL, *_STATEMENTS, *(f"flag_{c}" for c in codes)]
    for key in keys:
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = sum(values, Decimal(0) if _is_money(key, buckets) else 0)
    return out


def _is_money(column: str, buckets: Iterable[str]) -> bool:
    return column in MONEY or column in _LEDGER or column in buckets


def _typed(
    rows: list[dict[str, Any]], columns: list[str], scale: int, buckets: list[str]
) -> pd.DataFrame:
    """The rows as a frame: money exact at ``scale``, counts ``Int64``, flags ``boolean``."""
    money = pd.ArrowDtype(pa.decimal128(PRECISION, scale))
    data: dict[str, Any] = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if _is_money(column, buckets):
            data[column] = pd.array(pa.array(values, pa.decimal128(PRECISION, scale)), money)
        elif column in ("complete", "written"):
            data[column] = pd.array(values, dtype="boolean")
        elif column in ("as_of", "currency", _STATEMENTS_FOLDER, _JOURNAL, *_TEXT):
            data[column] = pd.Series(values, dtype=object)
        else:
            data[column] = pd.array(values, dtype="Int64")
    return pd.DataFrame(data, columns=columns)


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: amounts as decimal text with the row's currency digits,
    counts as ``int``, flags as ``bool``, blanks as ``None``."""
    out = []
    for row in frame.astype(object).to_dict("records"):
        places = digits(row["currency"]) if row.get("currency") else None
        out.append({k: _json_value(v, places) for k, v in row.items()})
    return out


def _json_value(value: object, places: int | None) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        return str(value if places is None else value.quantize(Decimal(1).scaleb(-places)))
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value
