"""Money in public frames: exact decimals that print and sum as money.

Inside the core every amount is an ``int64`` count of the currency's minor units. Every
frame a caller sees (balances, aging, ledger, charges, cancellations, a what-if, a batch
summary) carries money as pandas' Arrow-backed ``decimal128(19, digits)`` instead, with
the currency's digits as its scale (``PRECISION`` says why 19 digits): ``770.00`` prints
as ``770.00``, a column sums to an exact ``Decimal``, and columns add and subtract
exactly. The two forms hold the same integer (Arrow's decimal stores the unscaled value),
so the conversion is a reinterpretation of memory, not arithmetic.

>>> import numpy as np
>>> amounts = as_money(np.array([77000, -12550, 5]), "USD")
>>> [str(a) for a in amounts]
['770.00', '-125.50', '0.05']
>>> minor_units(amounts).tolist()
[77000, -12550, 5]
>>> str(pd.Series(amounts).sum())
'644.55'
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from practicebook.money import digits

__all__ = [
    "PRECISION",
    "as_money",
    "is_money",
    "minor_units",
    "money_dtype",
    "money_total",
    "with_money",
]

#: Digits a money column holds in all: 19, every ``int64`` count of minor units, so any
#: amount the core can hold converts exactly. Not Arrow's maximum of 38: Arrow widens the
#: precision of a sum of two columns by one digit, so money columns at 38 digits could not
#: even be added to each other (``balances["charges"] - balances["payments"]``); at 19,
#: chains of additions and subtractions work (a column's ``sum()`` is a ``Decimal``).
PRECISION = 19


def money_dtype(currency: str) -> pd.ArrowDtype:
    """The dtype of a money column in ``currency`` (its scale is the currency's digits)."""
    return pd.ArrowDtype(pa.decimal128(PRECISION, digits(currency)))


def as_money(
    minor: Any, currency: str, missing: np.ndarray | None = None
) -> pd.arrays.ArrowExtensionArray:
    """Integer minor units as a money array (``missing``: True where there is no amount)."""
    values = np.ascontiguousarray(np.asarray(minor, dtype=np.int64))
    words = np.empty(2 * len(values), dtype=np.int64)  # 128-bit little-endian integers
    words[0::2] = values
    words[1::2] = np.where(values < 0, -1, 0)
    validity = None
    if missing is not None and np.asarray(missing, dtype=bool).any():
        validity = pa.array(~np.asarray(missing, dtype=bool)).buffers()[1]
    array = pa.Array.from_buffers(
        pa.decimal128(PRECISION, digits(currency)),
        len(values),
        [validity, pa.py_buffer(words.tobytes())],
    )
    return pd.arrays.ArrowExtensionArray(array)


def with_money(frame: pd.DataFrame, columns: Iterable[str], currency: str) -> pd.DataFrame:
    """``frame`` with the named columns (integer minor units, blank allowed) as money."""
    converted = {}
    for name in columns:
        column = frame[name]
        missing = column.isna().to_numpy() if column.hasnans else None
        minor = column.to_numpy(dtype=np.int64, na_value=0)
        converted[name] = as_money(minor, currency, missing)
    return frame.assign(**converted)


def is_money(values: Any) -> bool:
    """True for a money column (Arrow decimal)."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype)


def minor_units(values: Any, fill: int = 0) -> np.ndarray:
    """A money column back as ``int64`` minor units (``fill`` where there is no amount)."""
    array = values.array if isinstance(values, pd.Series) else values
    arrow = pa.array(array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if not pa.types.is_decimal(arrow.type):
        raise TypeError(f"not a money column: {arrow.type}")
    words = np.frombuffer(arrow.buffers()[1], dtype=np.int64)
    low = words[2 * arrow.offset : 2 * (arrow.offset + len(arrow)) : 2].copy()
    if arrow.null_count:
        low[np.asarray(arrow.is_null())] = fill
    return low


def money_total(values: Any, currency: str) -> Decimal:
    """The exact sum of a money column, with the currency's digits (``0.00`` when empty)."""
    total = int(minor_units(values).sum())
    return Decimal(total).scaleb(-digits(currency)).quantize(Decimal(1).scaleb(-digits(currency)))
