"""Peers benchmark: end-to-end practicebook reconcile against other ways to get balances.

    python benchmarks/peers.py                # 100k sessions
    python benchmarks/peers.py 10000 100000   # any sizes; 1000000 only when asked

On the same generated workbook, in one run (each a fresh process, imports excluded):

* ``practicebook`` — ``practicebook.load`` + ``reconcile``: typed read, checks, rates,
  the cancellation-policy engine, ledger, allocation, balances, aging and flags.
* ``calamine`` — a raw python-calamine read of the same sheets (values only).
* ``duckdb`` — DuckDB's excel extension reading Sessions, Services, Payments and
  Adjustments from the .xlsx and computing balances in SQL (base fee or fee override
  for attended sessions, payments, refunds, adjustments: balances only).
* ``naive`` — ``pandas.read_excel(engine="openpyxl")`` and a per-row Python loop
  computing the same balances as ``duckdb`` (skipped above 100k: minutes per run).
* ``hledger`` — ``hledger balance`` on practicebook's own ledger exported as a journal
  (exported before timing; skipped with a message when hledger is not installed).
  Its peak is hledger's own (``RUSAGE_CHILDREN``).

``duckdb`` and ``naive`` must agree to the cent; ``hledger`` must agree with
practicebook's balances to the cent. Targets (issue 7): practicebook <= 1.5x calamine
and <= 1.5x duckdb at 100k, >= 3x faster than hledger, <= 1.5 GB peak at 1M.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from _common import compare, workbook
from read import run_calamine, setup_calamine  # noqa: F401  (the same raw read)

AS_OF = "2027-12-31"  # after every generated row, so all methods see the same rows
LEDGER_ACCOUNT = {
    "session": "income:fees",
    "late_cancel_fee": "income:fees",
    "no_show_fee": "income:fees",
    "payment": "assets:bank",
    "refund": "assets:bank",
    "adjustment": "income:adjustments",
    "credit_adjustment": "income:adjustments",
}


def _cents(value: object) -> int:
    return round(float(value) * 100)  # type: ignore[arg-type]


# --- practicebook ---------------------------------------------------------------------


def setup_practicebook(path: str) -> str:
    import practicebook
    import practicebook.core.reconcile  # noqa: F401

    return path


def run_practicebook(path: str) -> int:
    import practicebook
    from practicebook.core.reconcile import reconcile

    book, _ = practicebook.load(path)
    rec = reconcile(book, as_of=AS_OF)
    return int(rec.balances["balance"].sum())


# --- DuckDB ---------------------------------------------------------------------------

# all_varchar: the extension guesses types from the first rows, and a later text cell in
# a column it guessed numeric stops the read; the SQL casts what it needs.
_SQL = """
WITH fees AS (SELECT "Service code" AS svc, min(TRY_CAST("Base fee" AS DOUBLE)) AS fee
              FROM read_xlsx($path, sheet = 'Services', all_varchar = true) GROUP BY 1),
sessions AS (SELECT "Client ID" AS client, "Service code" AS svc, "Status" AS status,
                    TRY_CAST("Fee override" AS DOUBLE) AS override
             FROM read_xlsx($path, sheet = 'Sessions', all_varchar = true)),
entries AS (
    SELECT client, round(coalesce(override, fee) * 100)::BIGINT AS cents
    FROM sessions LEFT JOIN fees USING (svc) WHERE status = 'attended'
    UNION ALL
    SELECT "Client ID", (CASE WHEN "Kind" = 'refund' THEN 1 ELSE -1 END)
                        * round(TRY_CAST("Amount" AS DOUBLE) * 100)::BIGINT
    FROM read_xlsx($path, sheet = 'Payments', all_varchar = true)
    UNION ALL
    SELECT "Client ID", round(TRY_CAST("Amount" AS DOUBLE) * 100)::BIGINT
    FROM read_xlsx($path, sheet = 'Adjustments', all_varchar = true))
SELECT client, sum(cents) AS balance FROM entries GROUP BY client
"""


def setup_duckdb(path: str) -> tuple[object, str]:
    import duckdb
    import duckdb_ext

    extension = next(
        Path(next(iter(duckdb_ext.__path__))).glob("extensions/*/*/excel.duckdb_extension")
    )
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    return con, path


def run_duckdb(state: tuple[object, str]) -> int:
    con, path = state
    rows = con.execute(_SQL, {"path": path}).fetchall()  # type: ignore[attr-defined]
    return sum(int(balance) for _client, balance in rows)


# --- naive: openpyxl and a Python loop ------------------------------------------------


def setup_naive(path: str) -> str:
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    return path


def run_naive(path: str) -> int:
    import pandas as pd

    frames = pd.read_excel(
        path, sheet_name=["Services", "Sessions", "Payments", "Adjustments"], engine="openpyxl"
    )
    fee: dict[str, int] = {}
    for row in frames["Services"].to_dict("records"):
        cents = _cents(row["Base fee"])
        fee[str(row["Service code"])] = min(cents, fee.get(str(row["Service code"]), cents))
    balance: dict[str, int] = {}
    for row in frames["Sessions"].to_dict("records"):
        if row["Status"] == "attended":
            override = row["Fee override"]
            cents = fee.get(str(row["Service code"])) if pd.isna(override) else _cents(override)
            if cents is not None:
                balance[row["Client ID"]] = balance.get(row["Client ID"], 0) + cents
    for row in frames["Payments"].to_dict("records"):
        sign = 1 if row["Kind"] == "refund" else -1
        balance[row["Client ID"]] = balance.get(row["Client ID"], 0) + sign * _cents(row["Amount"])
    for row in frames["Adjustments"].to_dict("records"):
        balance[row["Client ID"]] = balance.get(row["Client ID"], 0) + _cents(row["Amount"])
    return sum(balance.values())


# --- hledger --------------------------------------------------------------------------


def journal(path: Path) -> Path:
    """practicebook's ledger of ``path`` as an hledger journal (cached next to it)."""
    target = path.with_name(f"{path.stem}-{AS_OF}.journal")  # one per as-of day
    if target.exists():
        return target
    import practicebook
    from practicebook.core.reconcile import reconcile
    from practicebook.money import from_minor

    book, _ = practicebook.load(path)
    ledger = reconcile(book, as_of=AS_OF).ledger
    lines = []
    for row in ledger[["date", "entry_id", "client_id", "kind", "amount"]].itertuples(index=False):
        lines += [
            f"{str(row.date)[:10]} {row.entry_id}",
            f"    assets:ar:{row.client_id}  {from_minor(int(row.amount), 'USD')}",
            f"    {LEDGER_ACCOUNT[row.kind]}",
            "",
        ]
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(target)
    return target


def setup_hledger(path: str) -> str:
    return str(journal(Path(path)))


def run_hledger(journal_path: str) -> list[int]:
    import resource
    from decimal import Decimal

    out = subprocess.run(
        ["hledger", "-f", journal_path, "balance", "^assets:ar", "--flat", "-N", "-E", "-O", "csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split('","') for line in out.stdout.splitlines()[1:]]
    total = sum(Decimal(r[-1].strip('"').replace(",", "")) for r in rows if len(r) > 1)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return [int(total * 100), peak_mb]


# --- the run --------------------------------------------------------------------------


def main(sizes: list[int]) -> None:
    has_hledger = shutil.which("hledger") is not None
    if not has_hledger:
        print("hledger is not installed (apt-get install hledger): skipping it")
    print(f"{'sessions':>9} {'method':<12} {'seconds':>8} {'peak MB':>8} {'x practicebook':>14}")
    for size in sizes:
        path = workbook(size)
        methods = ["practicebook", "calamine", "duckdb"]
        methods += ["naive"] if size <= 100_000 else []
        methods += ["hledger"] if has_hledger else []
        if has_hledger:
            journal(path)
        results = compare("peers", methods, str(path), repeats=3 if size <= 100_000 else 1)
        if has_hledger:  # hledger's own peak, not the Python process that ran it
            total, peak = results["hledger"]["result"]  # type: ignore[misc]
            results["hledger"].update(result=total, peak_mb=float(peak))
        ours = results["practicebook"]["seconds"]
        for name, r in results.items():
            print(
                f"{size:>9} {name:<12} {r['seconds']:>8.3f} {r['peak_mb']:>8.0f} "
                f"{r['seconds'] / ours:>14.2f}"
            )
        _report(size, results)


def _report(size: int, results: dict[str, dict[str, float]]) -> None:
    ours = results["practicebook"]
    print(
        f"  practicebook / raw calamine read: "
        f"{ours['seconds'] / results['calamine']['seconds']:.2f}x (target <= 1.5)"
    )
    print(
        f"  practicebook / duckdb balances-only: "
        f"{ours['seconds'] / results['duckdb']['seconds']:.2f}x (target <= 1.5)"
    )
    if "naive" in results:
        agree = results["naive"]["result"] == results["duckdb"]["result"]
        print(
            f"  naive / practicebook: {results['naive']['seconds'] / ours['seconds']:.1f}x"
            f" (naive and duckdb balances agree: {agree})"
        )
    if "hledger" in results:
        agree = results["hledger"]["result"] == ours["result"]
        print(
            f"  hledger / practicebook: {results['hledger']['seconds'] / ours['seconds']:.1f}x"
            f" (target >= 3; balances agree to the cent: {agree})"
        )
    print(
        f"  practicebook peak at {size}: {ours['peak_mb']:.0f} MB"
        + (" (target <= 1536)" if size >= 1_000_000 else "")
    )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
