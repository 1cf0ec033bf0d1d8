"""Closed-period benchmark: what checking a recorded close adds to a reconciliation.

    python benchmarks/closing.py            # 100k sessions
    python benchmarks/closing.py 10000      # another size

On a generated practice (loaded once and pickled, as ``benchmarks/reconcile.py`` does),
closed through the end of September with the snapshot a close records
(``practicebook.core.closing``), in fresh processes, interleaved:

* **open** — ``practicebook.core.reconcile`` with no closed period;
* **closed** — the same book closed through September 30: the reconciliation also
  re-digests every Payments, Adjustments and Sessions row of the closed period and
  compares it with the snapshot (nothing changed, so no finding);
* **snapshot** — taking the snapshot alone, as a close does before it writes.

Printed: each median, the ratio closed / open, and the size of the snapshot text the
AuditLog row holds. Target: the check adds at most half of an open reconciliation's time;
the snapshot stays under 1.5 KB at any size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import sys
from pathlib import Path

from _common import compare, workbook

AS_OF = "2026-12-31"
THROUGH = dt.date(2026, 9, 30)


def _pickled(sessions: int) -> Path:
    path = workbook(sessions)
    target = path.with_suffix(".book.pickle")
    if not target.exists():
        import practicebook

        book, _ = practicebook.load(path)
        target.write_bytes(pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL))
    return target


def _closed(book: object) -> object:
    from practicebook.core.closing import snapshot

    text = snapshot(book, THROUGH).text()  # type: ignore[arg-type]
    settings = dataclasses.replace(book.settings, lock_through_date=THROUGH)  # type: ignore[attr-defined]
    event = ("2026-10-02T09:00:00.000000Z", f"books closed through {THROUGH}; {text}")
    return dataclasses.replace(book, settings=settings, closes=(event,))  # type: ignore[type-var]


def _warm(book: object) -> None:
    import practicebook

    practicebook.reconcile(book, AS_OF)  # imports, babel and time-zone data before the clock


def setup_open(pickled: str) -> object:
    book = pickle.loads(Path(pickled).read_bytes())
    _warm(book)
    return book


def run_open(book: object) -> int:
    import practicebook

    return len(practicebook.reconcile(book, AS_OF).issues)


def setup_closed(pickled: str) -> object:
    book = _closed(pickle.loads(Path(pickled).read_bytes()))
    _warm(book)
    return book


def run_closed(book: object) -> int:
    import practicebook

    issues = practicebook.reconcile(book, AS_OF).issues
    assert not [i for i in issues if i.code.value == "locked-period"]
    return len(issues)


def setup_snapshot(pickled: str) -> object:
    return pickle.loads(Path(pickled).read_bytes())


def run_snapshot(book: object) -> int:
    from practicebook.core.closing import snapshot

    return len(snapshot(book, THROUGH).text())  # type: ignore[arg-type]


def main(sizes: list[int]) -> None:
    for sessions in sizes:
        pickled = str(_pickled(sessions))
        got = compare("closing", ["open", "closed", "snapshot"], pickled)
        open_, closed, snap = (got[n]["seconds"] for n in ("open", "closed", "snapshot"))
        print(
            f"{sessions} sessions: open {open_:.2f} s, closed {closed:.2f} s "
            f"(x{closed / open_:.2f}), snapshot alone {snap:.2f} s, "
            f"snapshot text {got['snapshot']['result']} characters"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
