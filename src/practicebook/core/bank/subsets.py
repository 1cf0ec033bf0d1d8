"""Which sets of amounts add up exactly to a total: the bounded search behind a deposit
of several cash and cheque payments.

Meet in the middle: the sums of every subset of each half of the amounts are listed
(``2 ** (n / 2)`` each), and the two halves are joined on ``total - sum``. With the
matcher's bound of 16 candidates that is 256 sums a half, whatever the amounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

__all__ = ["exact_subsets"]


def _sums(amounts: Sequence[int], offset: int) -> dict[int, list[int]]:
    """Every subset sum of ``amounts``, with the subsets (bit masks over positions
    ``offset``…) that make it."""
    sums: dict[int, list[int]] = defaultdict(list)
    sums[0].append(0)
    for i, amount in enumerate(amounts):
        bit = 1 << (i + offset)
        # a copy of each list: a sum reached in this round must not be extended again
        for total, masks in [(t, list(m)) for t, m in sums.items()]:
            sums[total + amount].extend(m | bit for m in masks)
    return sums


def exact_subsets(amounts: Sequence[int], total: int, *, limit: int = 2) -> list[tuple[int, ...]]:
    """Up to ``limit`` different non-empty sets of positions of ``amounts`` whose amounts
    add up to ``total`` exactly, each as sorted positions.

    >>> exact_subsets([100, 50, 70, 30], 150, limit=5)
    [(0, 1), (1, 2, 3)]
    >>> exact_subsets([50, 50, 100], 150, limit=1)
    [(0, 2)]
    >>> exact_subsets([75, 150, 100, 300, 150, 250, 590], 1615)
    [(0, 1, 2, 3, 4, 5, 6)]
    """
    half = len(amounts) // 2
    left, right = _sums(amounts[:half], 0), _sums(amounts[half:], half)
    found: list[int] = []
    for total_right in sorted(right):
        for mask_left in left.get(total - total_right, ()):
            for mask_right in right[total_right]:
                mask = mask_left | mask_right
                if mask:
                    found.append(mask)
    found = sorted(set(found))[:limit]
    return [tuple(i for i in range(len(amounts)) if m >> i & 1) for m in found]
