"""Findings of the reconciliation as one frame, built a whole rule at a time.

A large practice can raise tens of thousands of notes (every grace, waiver and late
arrival); building an ``Issue`` object and a message per row in Python would cost more
than reconciling. Each rule therefore writes its messages as whole text columns
(``practicebook.core.wording.text``, ``rule_flags``), all rules become one sorted frame
(``combine``), and ``Issue`` objects are made from the frame only when someone asks for them
(``to_issues``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.core.lookup import frame, sort_order
from practicebook.issues import CellRef, Code, Issue, Severity, column_letter

__all__ = ["COLUMNS", "combine", "from_issues", "rule_flags", "to_issues"]

COLUMNS = (
    "code",
    "severity",
    "sheet",
    "cell",
    "row_id",
    "client_id",
    "message",
    "hint",
    "row",
    "col",
)
_RANK = {s.value: s.rank for s in Severity}


def rule_flags(
    code: Code,
    severity: Severity,
    where: CellRef,
    rows: np.ndarray,
    row_ids: np.ndarray,
    client_ids: np.ndarray | None,
    message: np.ndarray,
    hint: str,
) -> dict[str, np.ndarray]:
    """One rule's findings as columns (``combine`` makes the frame): ``where`` gives the
    sheet and column, ``rows`` the Excel rows."""
    n = len(rows)
    rows = np.asarray(rows, dtype=np.int64)
    letter = column_letter(where.col or 1)
    cells = pc.binary_join_element_wise(letter, pc.cast(pa.array(rows), pa.string()), "")
    return {
        "code": np.full(n, code.value, dtype=object),
        "severity": np.full(n, severity.value, dtype=object),
        "sheet": np.full(n, where.sheet, dtype=object),
        "cell": cells.to_numpy(zero_copy_only=False).astype(object, copy=False),
        "row_id": np.asarray(row_ids, dtype=object),
        "client_id": (
            np.asarray(client_ids, dtype=object)
            if client_ids is not None
            else np.full(n, None, dtype=object)
        ),
        "message": np.asarray(message, dtype=object),
        "hint": np.full(n, hint, dtype=object),
        "row": rows,
        "col": np.full(n, where.col, dtype=np.int64),
    }


def from_issues(issues: Iterable[Issue]) -> pd.DataFrame:
    """Findings already made as ``Issue`` objects, as flag rows."""
    items = list(issues)
    return pd.DataFrame(
        {
            "code": [i.code.value for i in items],
            "severity": [i.severity.value for i in items],
            "sheet": [i.where.sheet for i in items],
            "cell": [i.where.cell for i in items],
            "row_id": [i.row_id for i in items],
            "client_id": [i.client_id for i in items],
            "message": [i.message for i in items],
            "hint": [i.hint for i in items],
            "row": np.array([i.where.row for i in items], dtype=np.int64),
            "col": np.array([i.where.col for i in items], dtype=np.int64),
        },
        columns=list(COLUMNS),
    ).astype({c: object for c in COLUMNS[:8]})


def combine(parts: Sequence[pd.DataFrame | Mapping[str, np.ndarray]]) -> pd.DataFrame:
    """All findings in the order ``sort_issues`` uses: sheet, row, column, severity,
    code, message; exact repeats removed. ``parts`` are flag frames or the columns of
    one (``rule_flags``)."""
    parts = [p for p in parts if len(p["code"])]
    if not parts:
        return from_issues([])
    columns = {
        c: np.concatenate([np.asarray(p[c], dtype=object if i < 8 else np.int64) for p in parts])
        for i, c in enumerate(COLUMNS)
    }
    sheet = pd.factorize(columns["sheet"], sort=True)[0]
    code = pd.factorize(columns["code"], sort=True)[0]
    severity, severities = pd.factorize(columns["severity"])
    rank = np.array([_RANK[s] for s in severities], dtype=np.int64)[severity]
    keys = [sheet, columns["row"], columns["col"], rank, code]
    order = sort_order(keys, columns["message"])
    flags = frame({c: v[order] for c, v in columns.items()})
    repeat = flags.duplicated(subset=["code", "sheet", "row", "col", "message"]).to_numpy()
    return flags[~repeat].reset_index(drop=True) if repeat.any() else flags


def to_issues(flags: pd.DataFrame) -> list[Issue]:
    """The flag rows as ``Issue`` objects, in the same order."""
    return [
        Issue(
            Code(code),
            Severity(sev),
            message,
            CellRef(sheet, int(row), int(col)),
            hint,
            row_id,
            client_id,
        )
        for code, sev, sheet, row, col, message, hint, row_id, client_id in zip(
            flags["code"],
            flags["severity"],
            flags["sheet"],
            flags["row"],
            flags["col"],
            flags["message"],
            flags["hint"],
            flags["row_id"],
            flags["client_id"],
            strict=True,
        )
    ]
