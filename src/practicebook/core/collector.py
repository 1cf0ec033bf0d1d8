"""Pausing Python's cyclic garbage collector while the core builds large acyclic records.

The collector runs after every few hundred container objects allocated, and a full
collection walks every live object. Importing a year of statements and matching it
builds tens of thousands of records (lines, payments, keys, candidate lists), none of
them in a reference cycle: the collections it triggers free nothing and took about a
sixth of the time (``benchmarks/bank.py``). Reference counting frees everything as
usual while the collector is paused; it resumes when the work is done, also when it
fails, and is left alone when something else had already paused it.

The switch belongs to the whole process: a thread that pauses the collector while this
work runs finds it resumed when the work ends. Results never depend on it; only memory
held in cycles waits a little longer to be freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block (or, as ``@collector_paused()``, the function) with the cyclic
    collector paused.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
