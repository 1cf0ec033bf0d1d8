"""Whole-column helpers the reconciliation shares: the cell each row came from, text
columns end to end, blanks as ``None``, and the ID a mistyped one means.

Cell and ID columns are built in Arrow, with no Python string per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.core.lookup import arrow, text_column
from practicebook.issues import CellRef
from practicebook.model import Book

__all__ = ["blank_as_none", "cell_refs", "concat_text", "near_id"]


def cell_refs(
    book: Book, sheet: str, key: str, rows: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """``Sheet!A14`` for each Excel row, for the column holding ``key`` (a ``str`` array:
    built by Arrow in one pass, with no Python string per row)."""
    layout = book.layouts.get(sheet)
    col = (layout.column_of.get(key, 1) if layout else 1) or 1
    prefix = str(CellRef(sheet, 1, col))[:-1]
    numbers = pc.cast(pa.array(np.asarray(rows, dtype=np.int64)), pa.large_string())
    joined = pc.binary_join_element_wise(
        pa.scalar(prefix, pa.large_string()), numbers, pa.scalar("", pa.large_string())
    )
    return pd.array(joined, dtype="str")


def concat_text(parts: list[object]) -> pd.api.extensions.ExtensionArray:
    """Text columns end to end as one ``str`` array, without a Python string per row."""
    chunks: list[pa.Array] = []
    for part in parts:
        values = arrow(part)
        chunks.extend(values.chunks if isinstance(values, pa.ChunkedArray) else [values])
    return text_column(pa.chunked_array(chunks, type=pa.large_string()))


def blank_as_none(values: pd.Series) -> np.ndarray:
    """Python objects, blanks as ``None``."""
    out = values.to_numpy(dtype=object)
    # numpy's stubs read ``where(c, None, y)`` as the one-argument form
    return np.where(pd.isna(out), None, out)  # type: ignore[return-value]


def near_id(wanted: str, ids: pd.Series) -> str | None:
    """The one ID of ``ids`` that differs from ``wanted`` only in case or surrounding
    spaces (``c0001`` for ``C0001``), for a "did you mean" (None when there is not
    exactly one).

    >>> near_id("c0001", pd.Series(["C0001", "C0002", None]))
    'C0001'
    """
    key = wanted.strip().casefold()
    found = {str(i) for i in ids.dropna() if str(i).strip().casefold() == key}
    return found.pop() if len(found) == 1 else None
