"""Client documents benchmark: a month's statements for a whole generated practice.

    python benchmarks/documents.py            # 1,000 statements (a 100k-session practice)
    python benchmarks/documents.py 250 1000   # other counts

For one generated practice (about 100 sessions a client over a year), the month of
May's statements for the first N clients with activity or a balance, each method in a
fresh process, interleaved:

* **data** — the statements' content alone (``practicebook.core.documents``: lines,
  running balances, totals, aging) from a loaded book, one reconciliation shared;
* **pdf** — the same, each laid out as a one-page PDF (``render.pdf``), bytes discarded;
* **issue** — end to end, what ``practicebook statement BOOK --all --month`` does:
  read the workbook, build, lay out, write every file, number them and record them in
  the Documents sheet in one safe write.

The first line says whether ReportLab's C accelerator (``pip install
'practicebook[documents]'``) was in use: the same bytes, laid out faster.

Targets: 1,000 statements issued end to end in <= 30 s; memory bounded (the peak does
not grow with the number of statements: the PDFs are written as they are made).
Inputs are cached in ``benchmarks/.cache``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import CACHE, book_pickle, compare, workbook

SESSIONS = 100_000
FIRST, LAST = dt.date(2026, 5, 1), dt.date(2026, 5, 31)
ISSUED = dt.datetime(2026, 6, 1, 9, 0)


def _warm() -> None:
    """Imports, fonts and babel data loaded before the clock starts."""
    from practicebook import documents
    from practicebook.render.pdf.fonts import register

    register()
    assert documents.month("2026-05")


def setup_data(arg: str) -> tuple[object, int]:
    pickled, count = arg.split("|")
    _warm()
    book = pickle.loads(Path(pickled).read_bytes())
    _restart_peak()
    return book, int(count)


setup_pdf = setup_data


def _restart_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:  # the peak counts from here
        refs.write("5")


def _requests(book: object, count: int) -> list[object]:
    from practicebook.core.documents import StatementRequest
    from practicebook.core.documents.statement import statement_clients
    from practicebook.core.reconcile import reconcile

    clients = statement_clients(reconcile(book, LAST), FIRST, LAST)[:count]  # type: ignore[arg-type]
    return [StatementRequest(c, FIRST, LAST) for c in clients]


def run_data(state: tuple[object, int]) -> dict[str, object]:
    from practicebook.core.documents import Builder

    started = time.process_time()
    book, count = state
    builder = Builder(book)  # type: ignore[arg-type]
    docs = [builder.build(r, issued_on=ISSUED.date()) for r in _requests(book, count)]  # type: ignore[arg-type]
    lines = sum(len(d.lines) for d in docs)
    return {"statements": len(docs), "lines": lines, "cpu": time.process_time() - started}


def run_pdf(state: tuple[object, int]) -> dict[str, object]:
    from practicebook.core.documents import Builder
    from practicebook.render.pdf import to_pdf

    started = time.process_time()
    book, count = state
    builder = Builder(book)  # type: ignore[arg-type]
    size = pages = 0
    for request in _requests(book, count):
        data = to_pdf(builder.build(request, issued_on=ISSUED.date()))  # type: ignore[arg-type]
        size += len(data)
        pages += data.count(b"/Type /Page\n") or data.count(b"/Type /Page ")
    return {"bytes": size, "pages": pages, "cpu": time.process_time() - started}


def setup_issue(arg: str) -> tuple[Path, int]:
    path, count = arg.split("|")
    _warm()
    folder = Path(tempfile.mkdtemp(prefix="pb-documents-"))
    copy = folder / "practice.xlsx"
    shutil.copyfile(path, copy)
    _restart_peak()
    return copy, int(count)


def run_issue(state: tuple[Path, int]) -> dict[str, object]:
    import practicebook
    from practicebook import documents

    started = time.process_time()
    path, count = state
    book, _ = practicebook.load(path)
    requests = _requests(book, count)
    done = documents.issue_many(path, requests, issued_at=ISSUED)  # type: ignore[arg-type]
    files = sum(1 for _ in (path.parent / "documents").glob("ST-*.pdf"))
    shutil.rmtree(path.parent, ignore_errors=True)
    cpu = time.process_time() - started
    return {"issued": len(done), "files": files, "last": done[-1].number, "cpu": cpu}


def bench(count: int) -> None:
    path = workbook(SESSIONS)
    pickled = book_pickle(path)
    data = compare("documents", ["data", "pdf"], f"{pickled}|{count}")
    issued = compare("documents", ["issue"], f"{path}|{count}", repeats=1)["issue"]
    d, p = data["data"], data["pdf"]
    cpu = {k: float(v["result"]["cpu"]) for k, v in (("data", d), ("pdf", p), ("issue", issued))}
    accel = "with" if importlib.util.find_spec("_rl_accel") else "without"
    print(
        f"{count:>6,} statements ({path.name}, May 2026): {p['result']['pages']} pages, "
        f"{accel} ReportLab's accelerator (the documents extra)"
    )
    print(
        f"{'':>8}data only  {d['seconds']:6.2f} s ({cpu['data']:5.2f} s CPU)  "
        f"peak {d['peak_mb']:5.0f} MB"
    )
    print(
        f"{'':>8}data + PDF {p['seconds']:6.2f} s ({cpu['pdf']:5.2f} s CPU)  "
        f"peak {p['peak_mb']:5.0f} MB  -> {p['seconds'] / d['seconds']:.1f}x the data alone "
        f"({cpu['pdf'] / cpu['data']:.1f}x in CPU), "
        f"{1000 * (cpu['pdf'] - cpu['data']) / count:.1f} ms CPU a page"
    )
    print(
        f"{'':>8}issued     {issued['seconds']:6.2f} s ({cpu['issue']:5.2f} s CPU)  peak "
        f"{issued['peak_mb']:5.0f} MB  (read, build, PDF, files, register: "
        f"{issued['result']['issued']} issued, last {issued['result']['last']})"
    )


def main(argv: list[str]) -> None:
    counts = [int(a) for a in argv] or [1000]
    CACHE.mkdir(exist_ok=True)
    print("targets: 1,000 statements issued end to end <= 30 s; peak not growing with the count")
    for count in counts:
        bench(count)


if __name__ == "__main__":
    main(sys.argv[1:])
