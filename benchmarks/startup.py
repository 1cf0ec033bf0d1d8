"""Start-up benchmark: how long a whole ``practicebook`` command takes, as a therapist
running ``check`` or ``reconcile`` on a small book many times a day feels it.

    python benchmarks/startup.py              # a 1,000-session book, 5 runs each
    python benchmarks/startup.py 1000 7       # sessions, runs

Each command is a whole process (interpreter start, imports, reading, output to a
pipe) run as an installed package runs, from compiled bytecode (cached under
``benchmarks/.cache/pycache``); the commands are interleaved round-robin and the median
of the runs is reported beside this machine's idle ``python -c pass`` and
``python -c "import pandas"`` for scale.
Targets: ``practicebook --help`` <= 0.3 s, ``check`` <= 0.8 s; ``import practicebook``
loads no pandas.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import CACHE, workbook

TARGETS = {"practicebook --help": 0.3, "practicebook check": 0.8}


def commands(book: Path) -> dict[str, list[str]]:
    python = [sys.executable]
    cli = [*python, "-c", "import sys; from practicebook.frontends.cli import main; main()"]
    return {
        "python -c pass": [*python, "-c", "pass"],
        "python -c 'import pandas'": [*python, "-c", "import pandas"],
        "import practicebook": [*python, "-c", "import practicebook"],
        "practicebook --help": [*cli, "--help"],
        "practicebook check": [*cli, "check", str(book)],
        "practicebook reconcile": [*cli, "reconcile", str(book), "--as-of", "2026-12-31"],
    }


#: As an installed package runs: with compiled bytecode (kept in the benchmark cache, so
#: the source tree is untouched, even where ``PYTHONDONTWRITEBYTECODE`` is set).
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(CACHE / "pycache"),
}


def wall(argv: list[str]) -> float:
    """Seconds from starting the process to its exit (its output to a pipe)."""
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False, env=ENV)
    return time.perf_counter() - started


def pandas_free() -> bool:
    code = "import practicebook, sys; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    return done.stdout.strip() == "False"


def main(sessions: int, runs: int) -> None:
    book = workbook(sessions)
    argvs = commands(book)
    for argv in argvs.values():  # warm the file cache and the bytecode once
        wall(argv)
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            times[name].append(wall(argv))
    idle = statistics.median(times["python -c pass"])
    print(f"{'command':<28} {'median s':>9} {'x python':>9} {'target s':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        mark = (
            "" if target is None else f"{target:>9.2f}" + (" ok" if median <= target else " MISSED")
        )
        print(f"{name:<28} {median:>9.3f} {median / idle:>9.1f} {mark}")
    pandas = statistics.median(times["python -c 'import pandas'"])
    beyond = statistics.median(times["practicebook check"]) - pandas
    print(f"  {sessions} sessions, median of {runs} runs, each command a fresh process")
    print(f"  check beyond importing pandas: {beyond:.3f} s (reading, parsing, practicebook)")
    print(f"  import practicebook without pandas: {'yes' if pandas_free() else 'NO'}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [1000, 5][len(args) :]))
