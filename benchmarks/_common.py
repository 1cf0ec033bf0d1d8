"""Shared helpers for the benchmarks: cached generated workbooks and fresh-process timing.

Every measurement runs in a fresh Python process (imports excluded from the timed
region) so peak memory (VmHWM, the process's own high-water mark) belongs to that job;
methods are interleaved round-robin so a noisy machine slows them alike. Report ratios
from the same run.
"""

from __future__ import annotations

import json
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def workbook(sessions: int) -> Path:
    """A generated practice workbook with about ``sessions`` sessions (cached)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"practice-{sessions}.xlsx"
    if not path.exists():
        from practicebook.generate import generate

        started = time.perf_counter()
        print(f"  generating {path.name} ...", file=sys.stderr, flush=True)
        tmp = path.with_suffix(".tmp.xlsx")
        generate(sessions, seed=20240601).write(tmp)
        tmp.replace(path)
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def book_pickle(path: Path) -> Path:
    """The loaded book of a workbook, pickled once beside it so runs skip the read."""
    target = path.with_suffix(".book.pickle")
    if not target.exists():
        import practicebook

        book, _ = practicebook.load(path)
        target.write_bytes(pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL))
    return target


_RUNNER = """
import json, resource, sys, time
sys.path.insert(0, {bench!r})
import {module} as m
setup = getattr(m, "setup_" + {name!r}, None)
state = setup({arg!r}) if setup else {arg!r}
fn = getattr(m, "run_" + {name!r})
t0 = time.perf_counter()
result = fn(state)
elapsed = time.perf_counter() - t0
peak = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):  # high-water mark of this process only
        peak = int(line.split()[1]) / 1024
if not peak:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "peak_mb": peak, "result": result}}))
"""


def measure(module: str, name: str, arg: object) -> dict[str, object]:
    """Run ``module.run_<name>(arg)`` in a fresh process; seconds, peak MB, result."""
    code = _RUNNER.format(
        bench=str(Path(__file__).resolve().parent), module=module, name=name, arg=arg
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(
    module: str, names: list[str], arg: object, repeats: int = 3
) -> dict[str, dict[str, float]]:
    """Median seconds and max peak MB per method, interleaving the methods."""
    runs: dict[str, list[dict[str, object]]] = {n: [] for n in names}
    for _ in range(repeats):
        for name in names:
            runs[name].append(measure(module, name, arg))
    return {
        name: {
            "seconds": statistics.median(float(r["seconds"]) for r in rs),  # type: ignore[arg-type]
            "peak_mb": max(float(r["peak_mb"]) for r in rs),  # type: ignore[arg-type]
            "result": rs[0]["result"],  # type: ignore[dict-item]
        }
        for name, rs in runs.items()
    }
