"""Batch benchmark: ``practicebook.batch`` over many small workbooks, 2 processes vs 1,
and what running each workbook in a worker process (so a crash stays that workbook's)
costs against the same task called in the parent.

    python benchmarks/batch.py                # 200 workbooks of 100 sessions
    python benchmarks/batch.py 200 100 3      # workbooks, sessions each, repeats

Each run is a fresh process (imports excluded from the timed region, as in
``_common``); ``jobs1``/``jobs2`` include starting their worker processes. Peak MB is
the parent process's own high-water mark (workers are separate processes). Targets:
>= 1.8x speed-up with 2 jobs on 2 cores; isolation overhead (``jobs1`` over
``in_process``) <= 1.10x.
"""

from __future__ import annotations

import sys
import time

from _common import CACHE, compare

AS_OF = "2026-12-31"


def fleet(count: int, sessions: int) -> str:
    """A folder of ``count`` generated practices (cached), each with its own seed."""
    folder = CACHE / f"batch-{count}x{sessions}"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(count) if not (folder / f"practice-{i:04d}.xlsx").exists()]
    if missing:
        from practicebook.generate import generate

        started = time.perf_counter()
        print(f"  generating {len(missing)} workbooks in {folder.name} ...", file=sys.stderr)
        for i in missing:
            tmp = folder / f"practice-{i:04d}.tmp"
            generate(sessions, seed=i).write(tmp)
            tmp.replace(folder / f"practice-{i:04d}.xlsx")
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return str(folder)


def setup_jobs1(folder: str) -> str:
    import practicebook.batching  # noqa: F401  (imports are not part of the measured run)

    return folder


def _outcome(result: object) -> list[object]:
    workbooks, totals = result.workbooks, result.totals  # type: ignore[attr-defined]
    return [len(workbooks), str(totals.iloc[0]["balance"])]


def run_jobs1(folder: str) -> list[object]:
    from practicebook import batch

    return _outcome(batch(folder, as_of=AS_OF, jobs=1))


setup_jobs2 = setup_jobs1


def run_jobs2(folder: str) -> list[object]:
    from practicebook import batch

    return _outcome(batch(folder, as_of=AS_OF, jobs=2))


setup_in_process = setup_jobs1


def run_in_process(folder: str) -> list[object]:
    """The same task called in this process, one workbook after another (no isolation)."""
    from practicebook.batching import expand_paths, summarise_workbook
    from practicebook.batching.result import batch_result

    files = expand_paths([folder])
    return _outcome(batch_result([summarise_workbook(str(f), AS_OF) for f in files]))


def main(count: int, sessions: int, repeats: int) -> None:
    folder = fleet(count, sessions)
    results = compare("batch", ["in_process", "jobs1", "jobs2"], folder, repeats=repeats)
    inline, one, two = results["in_process"], results["jobs1"], results["jobs2"]
    assert inline["result"] == one["result"] == two["result"], "the summaries differ"
    print(f"{'method':<10} {'seconds':>8} {'workbooks/s':>12} {'peak MB':>8}")
    for name, r in results.items():
        print(f"{name:<10} {r['seconds']:>8.2f} {count / r['seconds']:>12.1f} {r['peak_mb']:>8.0f}")
    speedup = one["seconds"] / two["seconds"]
    overhead = one["seconds"] / inline["seconds"]
    print(f"  {count} workbooks x {sessions} sessions, total balance {one['result'][1]}")
    print(f"  speed-up --jobs 2 / --jobs 1: {speedup:.2f}x (target >= 1.8)")
    print(f"  isolation overhead --jobs 1 / in process: {overhead:.2f}x (target <= 1.10)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [200, 100, 1][len(args) :]))
