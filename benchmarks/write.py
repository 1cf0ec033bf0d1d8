"""Benchmark the safe part-level writer against an openpyxl load + save.

Run: python benchmarks/write.py

(a) write 3 derived sheets (1,000 balance rows, 1,000 aging rows, 5,000 flag rows with
    hyperlinks) into a 100k-session workbook through `update_workbook` (lock, temp file, fsync,
    verification, backup, replace), versus `openpyxl.load_workbook` + the same sheets + `save`;
(b) append one row to a 10k-session workbook through `update_workbook`;
(c) `practicebook.add_payment` on a generated 10k-session practice (validation included).

Generated inputs are cached under benchmarks/.cache/.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlsxwriter
from _common import workbook as practice_workbook

from practicebook.render.cells import SheetSpec
from practicebook.workbook.ooxml import append_rows, write_sheets
from practicebook.workbook.safewrite import update_workbook
from practicebook.workbook.writer import add_payment

CACHE = Path(__file__).parent / ".cache"
HEADER = [
    "session_id",
    "client_id",
    "therapist_id",
    "date",
    "start",
    "minutes",
    "fee",
    "paid",
    "status",
    "kind",
    "location",
    "insurer",
    "invoice_id",
    "late_cancel",
    "note",
]


def sessions_workbook(rows: int) -> Path:
    """A Sessions-like workbook (15 columns) plus a Clients sheet, built once and cached."""
    path = CACHE / f"sessions-{rows}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = random.Random(rows)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": '"$"#,##0.00'})
    ws = wb.add_worksheet("Sessions")
    ws.write_row(0, 0, HEADER)
    start = dt.date(2022, 1, 1)
    for r in range(1, rows + 1):
        fee = rng.choice([80, 95, 120, 150])
        ws.write_number(r, 0, r)
        ws.write_string(r, 1, f"C{rng.randrange(1000):04d}")
        ws.write_string(r, 2, f"T{rng.randrange(8)}")
        ws.write_datetime(
            r, 3, dt.datetime.combine(start + dt.timedelta(days=r % 900), dt.time()), day
        )
        ws.write_string(r, 4, f"{rng.randrange(8, 19):02d}:00")
        ws.write_number(r, 5, rng.choice([45, 50, 60]))
        ws.write_number(r, 6, fee, money)
        ws.write_number(r, 7, fee if rng.random() < 0.9 else 0, money)
        ws.write_string(r, 8, rng.choice(["attended", "cancelled", "no-show"]))
        ws.write_string(r, 9, rng.choice(["individual", "couple", "group"]))
        ws.write_string(r, 10, rng.choice(["office", "video"]))
        ws.write_string(r, 11, rng.choice(["self", "AOK", "TK", "Barmer"]))
        ws.write_string(r, 12, f"INV-{r // 4:06d}")
        ws.write_boolean(r, 13, rng.random() < 0.03)
        ws.write_string(r, 14, rng.choice(["", "follow-up", "intake", "report sent"]))
    clients = wb.add_worksheet("Clients")
    clients.write_row(0, 0, ["client_id", "name"])
    for i in range(1000):
        clients.write_row(i + 1, 0, [f"C{i:04d}", f"Client {i}"])
    wb.close()
    return path


def derived_sheets() -> list[SheetSpec]:
    rng = random.Random(7)
    money = '"$"#,##0.00'
    balances = [
        [
            f"C{i:04d}",
            Decimal(rng.randrange(0, 500000)) / 100,
            Decimal(rng.randrange(0, 500000)) / 100,
            Decimal(rng.randrange(-9000, 9000)) / 100,
            dt.date(2024, 1, 1) + dt.timedelta(days=i % 300),
        ]
        for i in range(1000)
    ]
    aging = [
        [f"C{i:04d}", *(Decimal(rng.randrange(0, 50000)) / 100 for _ in range(4))]
        for i in range(1000)
    ]
    flags = [
        [
            rng.randrange(1, 100_000),
            rng.choice(["late_cancel_uncharged", "fee_mismatch", "duplicate_session"]),
            "check fee",
        ]
        for _ in range(5000)
    ]
    links = {(i, 0): f"'Sessions'!A{row[0] + 1}" for i, row in enumerate(flags)}
    return [
        SheetSpec(
            "Balances",
            ["client_id", "charged", "paid", "balance", "last_session"],
            balances,
            number_formats=[None, money, money, money, "yyyy-mm-dd"],
        ),
        SheetSpec(
            "Aging",
            ["client_id", "0-30", "31-60", "61-90", "91+"],
            aging,
            number_formats=[None, money, money, money, money],
        ),
        SheetSpec(
            "Flags", ["session_id", "flag", "detail"], flags, links=links, widths=[12, 26, 30]
        ),
    ]


def openpyxl_rewrite(path: Path, sheets: list[SheetSpec]) -> None:
    """The baseline: what `pandas.ExcelWriter(mode="a")` and openpyxl scripts do."""
    wb = openpyxl.load_workbook(path)
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        ws.append(list(spec.header))
        for row in spec.rows:
            ws.append(list(row))
        for (r, c), location in spec.links.items():
            ws.cell(row=r + 2, column=c + 1).hyperlink = f"#{location}"
    wb.save(path)


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    big, small = sessions_workbook(100_000), sessions_workbook(10_000)
    sheets = derived_sheets()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "practice.xlsx"

        def results_write() -> None:
            shutil.copyfile(big, work)
            update_workbook(
                work, lambda data: write_sheets(data, sheets), retry_on_change=False, keep_backups=1
            )

        ours = timed(results_write, 5) - timed(lambda: shutil.copyfile(big, work), 5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shutil.copyfile(big, work)
            baseline = timed(lambda: openpyxl_rewrite(work, sheets), 1)

        shutil.copyfile(small, work)
        counter = iter(range(10**9))

        def append_one() -> None:
            n = next(counter)
            update_workbook(
                work,
                lambda data: append_rows(
                    data,
                    "Sessions",
                    [
                        [
                            200_000 + n,
                            "C0001",
                            "T1",
                            dt.date(2024, 6, 1),
                            "10:00",
                            50,
                            Decimal("95.00"),
                            0,
                            "attended",
                            "individual",
                            "office",
                            "self",
                            "INV-X",
                            False,
                            "=added",
                        ]
                    ],
                )[0],
                retry_on_change=True,
                keep_backups=1,
            )

        append = timed(append_one, 7)

        # (c) the public append API on a generated practice of 10k sessions: the row is
        # validated against the whole workbook first, then appended as in (b)
        shutil.copyfile(practice_workbook(10_000), work)
        payment = {
            "client_id": "C0001",
            "received_date": dt.date(2026, 11, 20),
            "amount": Decimal("50.00"),
            "method": "card",
        }
        api_append = timed(lambda: add_payment(work, payment), 5)

    ratio = ours / baseline
    print(
        f"inputs: {big.name} {big.stat().st_size / 1e6:.1f} MB, "
        f"{small.name} {small.stat().st_size / 1e6:.1f} MB"
    )
    print(f"(a) results write via update_workbook : {ours:8.3f} s  (target <= 1 s)")
    print(f"    openpyxl load + add sheets + save : {baseline:8.3f} s")
    print(f"    ratio                             : {ratio:8.1%}  (target <= 5%)")
    print(f"(b) append one row via update_workbook: {append:8.3f} s  (target <= 0.3 s)")
    print(f"(c) practicebook.add_payment (validated): {api_append:7.3f} s  (target <= 0.3 s)")


if __name__ == "__main__":
    main()
