"""Bank benchmark: a busy practice's year of statements imported and matched, and hledger
importing and checking the same lines, in one run.

    python benchmarks/bank.py            # 96k sessions: about 40k payments, 10k bank lines
    python benchmarks/bank.py 48000      # another number of sessions

The practice is generated (``practicebook.generate``) with its statements
(``generate.bank.statements``): the bank's monthly CSV files (one re-downloaded,
overlapping the next) and Stripe's itemized payout reports. In fresh processes,
interleaved three times (medians printed):

* **practicebook** — every file read, keyed and de-duplicated against what is already
  imported (``core.bank.prepare_import``, applied in memory as the writer would append),
  then every line matched and every finding made (``core.bank.match``); the book is
  loaded before the clock starts. Target: import and match <= 2 s. Its CPU time is
  printed too: on a shared machine under load the wall time is several times longer.
* **hledger** — ``hledger check`` reading the same statement files through CSV rules
  (each line converted, every running balance checked as an assertion), when hledger is
  installed; the overlapping re-download is left out, since hledger would count it twice.

Inputs are cached in ``benchmarks/.cache/bank-<sessions>/``.
"""

from __future__ import annotations

import pickle
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import CACHE, measure

AS_OF = "2026-11-30"
CHK_RULES = """skip 1
fields date, description, amount, balance
date-format %m/%d/%Y
decimal-mark .
currency $
account1 assets:bank:checking
account2 income:unknown
"""
STRIPE_RULES = """skip 1
fields txn, created, currency, gross, fee, net, category, charge, customer, payout, payout_at
date %created
date-format %Y-%m-%d %H:%M:%S
decimal-mark .
amount %net
currency $
description %category %txn
account1 assets:stripe
account2 income:unknown
"""


def inputs(sessions: int) -> Path:
    """The folder of the practice's pickled book and statement files (cached)."""
    folder = CACHE / f"bank-{sessions}"
    if (folder / "book.pickle").exists():
        return folder
    import io

    from practicebook.core.load import load_tables
    from practicebook.generate import generate
    from practicebook.generate.bank import statements
    from practicebook.workbook.reader import read_workbook

    started = time.perf_counter()
    print(f"  generating {folder.name} ...", file=sys.stderr, flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    practice = generate(sessions, seed=20240601)
    made = statements(practice, seed=20240601)
    for name, data in made.files.items():
        (folder / name).write_bytes(data)
        rules = CHK_RULES if name.startswith("chk") else STRIPE_RULES
        (folder / f"{name}.rules").write_text(rules, encoding="utf-8")
    (folder / "opening.journal").write_text(
        "2025-12-31 opening\n    assets:bank:checking  $5000.00\n    equity:opening\n",
        encoding="utf-8",
    )
    (folder / "redownload").write_text(str(made.planted["redownload"]), encoding="utf-8")
    buffer = io.BytesIO()
    practice.write(buffer)
    workbook, tables = read_workbook("practice.xlsx", buffer.getvalue())
    book, _ = load_tables(tables, schema_version=workbook.schema_version)
    (folder / "book.pickle").write_bytes(pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def _files(folder: Path) -> list[Path]:
    """The statement files in the order a bookkeeper imports them (month by month)."""
    return sorted(
        (p for p in folder.glob("*.csv")),
        key=lambda p: (p.stem.split("-")[2], p.stem.startswith("chk"), len(p.stem)),
    )


def setup_practicebook(folder: str) -> object:
    import practicebook.core.bank  # noqa: F401  (imports are not the work measured)

    book = pickle.loads((Path(folder) / "book.pickle").read_bytes())
    files = [(p.name, p.read_bytes()) for p in _files(Path(folder))]
    return book, files


def run_practicebook(state: object) -> dict[str, object]:
    from practicebook.core import bank
    from practicebook.core.bank.imports import with_import

    book, files = state  # type: ignore[misc]
    started, cpu = time.perf_counter(), time.process_time()
    present = 0
    for name, data in files:
        plan = bank.prepare_import(
            book, data, name, account="CHK" if name.startswith("chk") else None
        )
        present += plan.present
        book = with_import(book, plan)
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    result = bank.match(book, AS_OF)
    matched = time.perf_counter() - started - imported
    matched_cpu = time.process_time() - cpu - imported_cpu
    lines = result.bank.lines
    explained = result.explained()
    return {
        "import_s": round(imported, 3),
        "match_s": round(matched, 3),
        "cpu_s": round(imported_cpu + matched_cpu, 3),
        "payments": len(result.bank.payments),
        "bank_lines": sum(ln.account_id == "CHK" for ln in lines),
        "processor_lines": sum(ln.account_id == "STRIPE" for ln in lines),
        "already_there": present,
        "unmatched": sum(ln.line_id not in explained for ln in lines),
        "findings": len(result.issues),
    }


def hledger_seconds(folder: Path, repeats: int) -> float | None:
    hledger = shutil.which("hledger")
    if hledger is None:
        return None
    skip = (folder / "redownload").read_text(encoding="utf-8")
    argv = [hledger, "-f", str(folder / "opening.journal")]
    for path in _files(folder):
        if path.name != skip:
            argv += ["-f", str(path)]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run([*argv, "check"], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(f"  hledger check failed: {done.stderr.strip()[:300]}", file=sys.stderr)
    return statistics.median(times)


def bench(sessions: int, repeats: int = 3) -> None:
    folder = inputs(sessions)
    runs = []
    hledger = []
    for _ in range(repeats):  # interleaved, so a noisy machine slows both alike
        runs.append(measure("bank", "practicebook", str(folder)))
        seconds = hledger_seconds(folder, 1)
        if seconds is not None:
            hledger.append(seconds)
    total = statistics.median(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
    cpu, imported, matched = (
        statistics.median(float(r["result"][k]) for r in runs)  # type: ignore[index]
        for k in ("cpu_s", "import_s", "match_s")
    )
    result = runs[0]["result"]
    assert isinstance(result, dict)
    print(
        f"{sessions:>7,} sessions: {result['payments']:,} payments, {result['bank_lines']:,} bank "
        f"lines, {result['processor_lines']:,} Stripe lines ({result['already_there']} re-imported)"
    )
    print(
        f"  practicebook import + match {total:6.2f} s  (import {imported:.2f} s, match "
        f"{matched:.2f} s; {result['unmatched']} lines left, {result['findings']} findings)"
        f"  target <= 2 s"
    )
    print(f"  practicebook CPU time        {cpu:6.2f} s  (processor time)")
    if not hledger:
        print("  hledger not installed (apt-get install hledger): comparison skipped")
        return
    hl = statistics.median(hledger)
    print(f"  hledger check (CSV rules)   {hl:6.2f} s  -> practicebook is {hl / total:.1f}x faster")


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [96_000]
    CACHE.mkdir(exist_ok=True)
    for sessions in sizes:
        bench(sessions)


if __name__ == "__main__":
    main(sys.argv[1:])
