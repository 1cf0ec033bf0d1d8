"""Read benchmark: practicebook's read + parse against a raw python-calamine read.

    python benchmarks/read.py                 # 10k and 100k sessions
    python benchmarks/read.py 10000 100000 1000000

For each generated workbook, in one run: ``practicebook.load`` (guard, typed read,
parse, checks) versus reading the same sheets with python-calamine's ``to_python``
(values only, no typing, no checks) and with ``pandas.read_excel(engine="openpyxl")``.
Targets: practicebook <= 1.0x the raw calamine read at 100k; <= 1.5 GB peak at 1M.
"""

from __future__ import annotations

import sys

from _common import compare, workbook

SHEETS = (
    "Practice",
    "Clinicians",
    "Clients",
    "Services",
    "Rates",
    "Policies",
    "PolicyTiers",
    "Sessions",
    "Payments",
    "Adjustments",
)


def setup_practicebook(path: str) -> str:
    import practicebook  # noqa: F401  (imports are not part of the measured read)

    return path


def run_practicebook(path: str) -> int:
    import practicebook

    book, issues = practicebook.load(path)
    assert not [i for i in issues if i.is_error]
    return len(book.sessions)


def setup_calamine(path: str) -> str:
    import python_calamine  # noqa: F401

    return path


def run_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    rows = {name: wb.get_sheet_by_name(name).to_python() for name in SHEETS}
    return len(rows["Sessions"]) - 1


def setup_openpyxl(path: str) -> str:
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    return path


def run_openpyxl(path: str) -> int:
    import pandas as pd

    frames = pd.read_excel(path, sheet_name=list(SHEETS), engine="openpyxl")
    return len(frames["Sessions"])


def main(sizes: list[int]) -> None:
    print(f"{'sessions':>9} {'method':<12} {'seconds':>8} {'peak MB':>8} {'x calamine':>10}")
    for size in sizes:
        path = str(workbook(size))
        methods = ["practicebook", "calamine"] + (["openpyxl"] if size <= 100_000 else [])
        results = compare("read", methods, path, repeats=3 if size <= 100_000 else 1)
        base = results["calamine"]["seconds"]
        for name, r in results.items():
            print(
                f"{size:>9} {name:<12} {r['seconds']:>8.3f} {r['peak_mb']:>8.0f} "
                f"{r['seconds'] / base:>10.2f}"
            )
        ratio = results["practicebook"]["seconds"] / base
        print(f"  ratio practicebook / raw calamine at {size}: {ratio:.2f} (target <= 1.0)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
