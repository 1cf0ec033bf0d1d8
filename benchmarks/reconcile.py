"""Reconciliation benchmark: the core alone, end to end, and hledger on the same ledger.

    python benchmarks/reconcile.py                  # 100k and 1M sessions
    python benchmarks/reconcile.py 10000 100000     # other sizes

For each generated workbook, in one run:

* **core** — ``practicebook.core.reconcile`` (policy, fees, allocation, balances, aging,
  flags, cancellation log) on an already loaded book, in a fresh process; peak memory
  is the process's high-water mark from the moment the book is in memory.
* **end to end** — ``practicebook reconcile BOOK.xlsx --format json`` as a command
  (start-up, guarded read, parse, checks, reconcile, JSON).
* **hledger** — ``hledger balance`` over the same transactions (every charge, payment,
  refund and adjustment of the reconciliation) exported as a journal, when hledger is
  installed (``apt-get install hledger``); skipped with a message otherwise.
* **money as exact amounts** — the share of each core run spent turning the results'
  integer minor units into the exact amounts callers see (``Reconciliation.from_core``),
  timed inside the same runs.

Targets: core <= 0.5 s at 100k and <= 5 s at 1M, <= 1 GB peak at 1M; end to end at
least 3x faster than ``hledger balance``; exact amounts <= 5% of the core run. Inputs are
cached in ``benchmarks/.cache``.
"""

from __future__ import annotations

import pickle
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import CACHE, book_pickle, measure, workbook

AS_OF = "2026-12-31"


def setup_core(pickled: str) -> object:
    import practicebook

    book = pickle.loads(Path(pickled).read_bytes())
    # One-time start-up work (imports, babel currency data, the time-zone database) is
    # not part of reconciling; a small reconciliation does it before the clock starts.
    practicebook.reconcile(_tiny(book), AS_OF)
    with open("/proc/self/clear_refs", "w") as refs:  # restart the peak-memory mark here
        refs.write("5")
    return book


def _tiny(book: object) -> object:
    """The same book cut to its first 50 sessions."""
    import dataclasses

    frames = dict(book.frames)  # type: ignore[attr-defined]
    frames["Sessions"] = frames["Sessions"].head(50)
    return dataclasses.replace(book, frames=frames)  # type: ignore[type-var]


def run_core(book: object) -> dict[str, object]:
    import practicebook
    from practicebook.core.result import Reconciliation

    # time the one step that turns minor units into exact amounts, inside this same run
    convert = Reconciliation.from_core.__func__  # type: ignore[attr-defined]
    spent: list[float] = []

    def timed(cls: type, **frames: object) -> object:
        started = time.perf_counter()
        out = convert(cls, **frames)
        spent.append(time.perf_counter() - started)
        return out

    Reconciliation.from_core = classmethod(timed)  # type: ignore[assignment,method-assign]
    rec = practicebook.reconcile(book, AS_OF)  # type: ignore[arg-type]
    return {
        "clients": len(rec.balances),
        "ledger": len(rec.ledger),
        "flags": len(rec.flags),
        "balance": str(rec.balances["balance"].sum()),
        "money_seconds": spent[0],
    }


def journal(path: Path) -> Path:
    """The reconciliation's ledger as an hledger journal (cached)."""
    target = path.with_name(f"{path.stem}-{AS_OF}.journal")  # one per as-of day
    if target.exists():
        return target
    import practicebook

    book = pickle.loads(book_pickle(path).read_bytes())
    rec = practicebook.reconcile(book, AS_OF)
    other = {
        "session": "income:sessions",
        "late_cancel_fee": "income:fees",
        "no_show_fee": "income:fees",
        "payment": "assets:bank",
        "refund": "assets:bank",
        "adjustment": "income:adjustments",
        "credit_adjustment": "income:adjustments",
    }
    lines = []
    ledger = rec.ledger
    for date, entry, client, kind, amount in zip(
        ledger["date"].dt.strftime("%Y-%m-%d"),
        ledger["entry_id"],
        ledger["client_id"],
        ledger["kind"],
        ledger["amount"],
        strict=True,
    ):
        lines.append(
            f"{date} {entry}\n    clients:{client}  "
            f"{amount}\n    {other[kind]}\n"  # exact amounts with the currency's digits
        )
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def _timed(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench(sessions: int) -> None:
    repeats = 3 if sessions <= 100_000 else 1  # hledger alone takes minutes at 1M
    path = workbook(sessions)
    pickled = book_pickle(path)
    core = [measure("reconcile", "core", str(pickled)) for _ in range(repeats)]
    seconds = statistics.median(float(r["seconds"]) for r in core)  # type: ignore[arg-type]
    peak = max(float(r["peak_mb"]) for r in core)  # type: ignore[arg-type]
    results = [dict(r["result"]) for r in core]  # type: ignore[call-overload]
    shares = [
        float(r["money_seconds"]) / float(c["seconds"])  # type: ignore[arg-type]
        for r, c in zip(results, core, strict=True)
    ]
    money = statistics.median(float(r["money_seconds"]) for r in results)
    print(
        f"{sessions:>9,} sessions  core reconcile {seconds:6.2f} s  peak {peak:6.0f} MB  "
        f"{ {k: v for k, v in results[0].items() if k != 'money_seconds'} }"
    )
    print(
        f"{'':>19}money as exact amounts {money:6.3f} s = {100 * statistics.median(shares):.1f}% "
        "of reconcile, measured in the same runs (target <= 5%)"
    )
    cli = [
        str(Path(sys.executable).with_name("practicebook")),
        "reconcile",
        str(path),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]
    end_to_end = _timed(cli, repeats)
    print(f"{'':>19}end to end     {end_to_end:6.2f} s  (practicebook reconcile, JSON)")
    hledger = shutil.which("hledger")
    if hledger is None:
        print(f"{'':>19}hledger not installed (apt-get install hledger): comparison skipped")
        return
    ledger = journal(path)
    hl = _timed([hledger, "-f", str(ledger), "balance"], repeats)
    print(
        f"{'':>19}hledger balance {hl:6.2f} s  -> practicebook is {hl / end_to_end:.1f}x "
        "faster end to end (target >= 3x)"
    )


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    CACHE.mkdir(exist_ok=True)
    print(
        "targets: core <= 0.5 s at 100k, <= 5 s and <= 1024 MB at 1M; "
        "end to end >= 3x faster than hledger balance; exact amounts <= 5% of reconcile"
    )
    for sessions in sizes:
        bench(sessions)


if __name__ == "__main__":
    main(sys.argv[1:])
