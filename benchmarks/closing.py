"""Closed-period benchmark: what checking a recorded close adds to a reconciliation.

    python benchmarks/closing.py            # 100k sessions
    python benchmarks/closing.py 10000      # another size

On a generated practice (loaded once and pickled, ``_common.book_pickle``),
closed through the end of September with the snapshot a close records
(``practicebook.core.closing``), in fresh processes, interleaved:

* **open** — ``practicebook.core.reconcile`` with no closed period;
* **closed** — the same book closed through September 30: the reconciliation also
  re-digests every Payments, Adjustments and Sessions row of the closed period and
  compares it with the snapshot (nothing changed, so no finding);
* **snapshot** — taking the snapshot alone, as a close does before it writes.

Printed: each median, wall and CPU time of the measured call (CPU is steadier on a shared
machine), the ratio closed / open of each, the check alone (``closed_period_issues``, CPU)
and the size of the snapshot text the AuditLog row holds. Target: the check adds at most
half of an open reconciliation's time; the snapshot stays under 1.5 KB at any size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import pickle
import statistics
import sys
import time
from pathlib import Path

from _common import book_pickle, measure, workbook

AS_OF = "2026-12-31"
THROUGH = dt.date(2026, 9, 30)


def _closed(book: object) -> object:
    from practicebook.core.closing import snapshot

    text = snapshot(book, THROUGH).text()  # type: ignore[arg-type]
    settings = dataclasses.replace(book.settings, lock_through_date=THROUGH)  # type: ignore[attr-defined]
    event = ("2026-10-02T09:00:00.000000Z", f"books closed through {THROUGH}; {text}")
    return dataclasses.replace(book, settings=settings, closes=(event,))  # type: ignore[type-var]


def _warm(book: object) -> None:
    import practicebook

    practicebook.reconcile(book, AS_OF)  # imports, babel and time-zone data before the clock
    gc.collect()  # the setup's garbage (a snapshot taken, say) is not the measured call's


def setup_open(pickled: str) -> object:
    book = pickle.loads(Path(pickled).read_bytes())
    _warm(book)
    return book


def run_open(book: object) -> dict[str, float]:
    import practicebook

    started = time.process_time()
    found = len(practicebook.reconcile(book, AS_OF).issues)
    return {"cpu": time.process_time() - started, "issues": found}


def setup_closed(pickled: str) -> object:
    book = _closed(pickle.loads(Path(pickled).read_bytes()))
    _warm(book)
    return book


def run_closed(book: object) -> dict[str, float]:
    import practicebook
    from practicebook.core.closing import closed_period_issues

    started = time.process_time()
    issues = practicebook.reconcile(book, AS_OF).issues
    cpu = time.process_time() - started
    assert not [i for i in issues if i.code.value == "locked-period"]
    started = time.process_time()
    closed_period_issues(book)  # type: ignore[arg-type]
    return {"cpu": cpu, "check": time.process_time() - started, "issues": len(issues)}


def setup_snapshot(pickled: str) -> object:
    book = pickle.loads(Path(pickled).read_bytes())
    gc.collect()
    return book


def run_snapshot(book: object) -> dict[str, float]:
    from practicebook.core.closing import snapshot

    started = time.process_time()
    text = snapshot(book, THROUGH).text()  # type: ignore[arg-type]
    return {"cpu": time.process_time() - started, "characters": len(text)}


def _median(runs: list[dict[str, object]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]


def main(sizes: list[int], repeats: int = 3) -> None:
    names = ("open", "closed", "snapshot")
    for sessions in sizes:
        pickled = str(book_pickle(workbook(sessions)))
        runs: dict[str, list[dict[str, object]]] = {n: [] for n in names}
        for _ in range(repeats):  # interleaved, each in a fresh process
            for name in names:
                one = measure("closing", name, pickled)
                runs[name].append({"seconds": one["seconds"], **one["result"]})  # type: ignore[dict-item]
        wall = {n: _median(runs[n], "seconds") for n in names}
        cpu = {n: _median(runs[n], "cpu") for n in names}
        print(
            f"{sessions} sessions: open {wall['open']:.2f} s (CPU {cpu['open']:.2f} s), "
            f"closed {wall['closed']:.2f} s (CPU {cpu['closed']:.2f} s; "
            f"x{wall['closed'] / wall['open']:.2f} wall, x{cpu['closed'] / cpu['open']:.2f} CPU), "
            f"the check alone CPU {_median(runs['closed'], 'check'):.3f} s; "
            f"snapshot alone {wall['snapshot']:.2f} s (CPU {cpu['snapshot']:.2f} s), "
            f"snapshot text {runs['snapshot'][0]['characters']} characters"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
