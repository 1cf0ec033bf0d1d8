"""Damaged and hostile workbooks through the command line, each in a process of its own.

Whatever the file (bits flipped, cut short, cells far outside the grid, sheets with odd
names or no header, values out of every range, DTDs, other encodings, pipes and
devices), ``practicebook check`` and ``reconcile`` either report located issues (exit 0
or 1) or refuse in one line (exit 2): never a traceback, a crash, a hang, or a personal
value of the workbook in what they print. Every personal text cell holds a marker
first, so a leak is a marker in the output.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import hostile
from tests.support.hostile import MARK

TIMEOUT = 90  # seconds per command; the slowest file here takes a few
CLI = "import sys; from practicebook.frontends.cli import main; main(sys.argv[1:])"


@pytest.fixture(scope="module")
def marked() -> bytes:
    return hostile.marked_book()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )


def judge(path: Path, command: str) -> str | None:
    """What is wrong with ``command`` on ``path``, or None when it behaved."""
    args = [command, str(path), "--format", "json"]
    if command == "reconcile":
        args += ["--as-of", "2026-12-31"]
    try:
        done = run(*args)
    except subprocess.TimeoutExpired:
        return f"{command} {path.name}: no answer within {TIMEOUT} s"
    said = done.stdout + done.stderr
    if done.returncode < 0:
        return f"{command} {path.name}: killed by signal {-done.returncode}"
    if "Traceback" in said:
        return f"{command} {path.name}: traceback\n{done.stderr[-1500:]}"
    if MARK.lower() in said.lower():
        return f"{command} {path.name}: a personal value leaked"
    if done.returncode == 2:
        lines = done.stderr.strip().splitlines()
        if len(lines) != 1 or done.stdout.strip():
            return f"{command} {path.name}: refusal not one line: {done.stderr!r}"
    elif done.returncode not in (0, 1):
        return f"{command} {path.name}: exit {done.returncode}: {done.stderr[-500:]}"
    return None


def verdicts(paths: list[Path], commands: tuple[str, ...] = ("check", "reconcile")) -> list[str]:
    jobs = [(p, c) for p in paths for c in commands]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return [v for v in pool.map(lambda job: judge(*job), jobs) if v]


def hostile_books(marked: bytes) -> dict[str, bytes]:
    """One file per way a workbook has been seen to go wrong."""
    sessions = hostile.sheet_part(marked, "Sessions")
    clients = hostile.sheet_part(marked, "Clients")
    payments = hostile.sheet_part(marked, "Payments")

    def drop_first_row(xml: bytes) -> bytes:  # the header row deleted: data on top
        start = xml.index(b"<row ")
        return xml[:start] + xml[xml.index(b"</row>", start) + 6 :]

    def value_in(ref: str, inner: bytes, kind: bytes = b"") -> hostile.Change:
        cell = b'<c r="%s"%s>%s</c>' % (ref.encode(), kind, inner)
        row = b'<row r="%s">' % ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").encode()
        return lambda name, xml: xml.replace(row, row + cell, 1) if name == payments else xml

    return {
        "far-cell": hostile.add_cell(marked, "Sessions", "XFD1048576"),
        "deep-row": hostile.add_cell(marked, "Payments", "A2000000000"),
        "wide-dimension": hostile.dimension(marked, "Clients", "A1:XFE9"),
        "prefixed-far-cell": hostile.prefixed(
            hostile.add_cell(marked, "Sessions", "XFD1048576"), "Sessions"
        ),
        "no-references": hostile.without_references(marked, "Clients"),
        "no-header": hostile.edit_sheet(marked, "Clients", drop_first_row),
        "rows-above-header": hostile.rows_above(marked, "Clients", 30),
        "near-namesake": hostile.rename_sheet(marked, "Adjustments", "Payments_"),
        "odd-sheet-name": hostile.rename_sheet(marked, "Clients", "Clients\u0085\u202e"),
        "dtd": hostile.dtd_after(marked, clients, 10),
        "utf-16": hostile.encoded(marked, sessions, "utf-16"),
        "strict": hostile.strict(marked),
        "duplicate-part": hostile.duplicate_member(marked, clients),
        "huge-number": hostile.rezip(marked, value_in("G2", b"<v>1e308</v>")),
        "not-a-number": hostile.rezip(marked, value_in("G2", b"<v>NaN</v>")),
        "text-amount": hostile.rezip(
            marked, value_in("G2", b"<is><t>1.234</t></is>", b' t="inlineStr"')
        ),
        "formula-no-value": hostile.rezip(marked, value_in("G2", b"<f>1/0</f>")),
        "date-far-away": hostile.rezip(marked, value_in("B2", b"<v>2958466</v>")),
        "bad-shared-string": hostile.rezip(marked, value_in("G2", b"<v>99999999</v>", b' t="s"')),
        "bad-boolean": hostile.rezip(marked, value_in("G2", b"<v>7</v>", b' t="b"')),
        "sheet-is-shared-strings": hostile.retarget(marked, "Clients", "sharedStrings.xml"),
        "sheet-is-another-sheet": hostile.retarget(
            marked, "Payments", "worksheets/" + sessions.rpartition("/")[2]
        ),
        "sheet-outside-package": hostile.retarget(marked, "Clients", "../../../etc/passwd"),
        "bad-reference": hostile.rezip(
            marked,
            lambda name, xml: xml.replace(b'r="A2"', b'r="$$"', 1) if name == payments else xml,
        ),
    }


def _written(tmp_path: Path, books: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in books.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        paths.append(path)
    return paths


#: the files that once crashed or leaked, checked on every run (all of them: slow)
QUICK = ("far-cell", "deep-row", "prefixed-far-cell", "no-header", "text-amount")


def test_the_worst_workbooks_get_issues_or_one_line(tmp_path, marked):
    with zipfile.ZipFile(io.BytesIO(marked)) as z:  # the leak check is not vacuous
        assert MARK.encode() in b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml"))
    books = hostile_books(marked)
    assert verdicts(_written(tmp_path, {k: books[k] for k in QUICK}), ("check",)) == []


@pytest.mark.slow
def test_hostile_workbooks_get_issues_or_one_line(tmp_path, marked):
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(marked)
    assert judge(plain, "check") is None and judge(plain, "reconcile") is None
    assert verdicts(_written(tmp_path, hostile_books(marked))) == []


def test_what_is_not_a_workbook_file_gets_one_line(tmp_path, marked):
    (tmp_path / "book.xlsx").write_bytes(marked)
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(tmp_path / "loop2.xlsx")
    (tmp_path / "loop2.xlsx").symlink_to(loop)
    paths = [
        tmp_path / "book.xlsx" / "x",
        loop,
        tmp_path / ("n" * 300 + ".xlsx"),
        Path("/dev/zero"),
        fifo,
    ]
    for path in paths:
        done = run("check", str(path))
        assert done.returncode == 2, (path, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def damaged(marked: bytes, rng: random.Random) -> bytes:
    """A copy with a few bytes changed, and perhaps cut short."""
    data = bytearray(marked)
    for _ in range(rng.randint(1, 12)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        del data[rng.randrange(len(data) // 2, len(data)) :]
    return bytes(data)


@pytest.mark.slow
def test_damaged_copies_get_issues_or_one_line(tmp_path, marked):
    rng = random.Random(20260412)
    paths = []
    for i in range(30):
        path = tmp_path / f"damaged-{i}.xlsx"
        path.write_bytes(damaged(marked, rng))
        paths.append(path)
    assert verdicts(paths, ("check",)) == []


@pytest.mark.slow
def test_damaged_parts_get_issues_or_one_line(tmp_path, marked):
    """Bytes changed inside the XML of the parts (the zip stays sound, so the damage
    reaches the parsers instead of the zip reader)."""
    rng = random.Random(7)
    paths = []
    for i in range(20):

        def flip(name: str, xml: bytes) -> bytes:
            if not name.endswith(".xml") or rng.random() < 0.6:
                return xml
            data = bytearray(xml)
            for _ in range(rng.randint(1, 6)):
                # markup only: a changed letter or digit could move a personal value into
                # another column, where quoting it back is by design
                data[rng.randrange(len(data))] = rng.choice(b'<>"/=&; \x00\xff')
            return bytes(data)

        path = tmp_path / f"parts-{i}.xlsx"
        path.write_bytes(hostile.rezip(marked, flip))
        paths.append(path)
    assert verdicts(paths, ("check",)) == []


@pytest.mark.slow
def test_journey_batch_over_a_folder_of_hostile_workbooks_reports_each(tmp_path, marked):
    """``practicebook batch`` over a folder where every file is hostile: one row each,
    the readable ones with their issues, the others unreadable with a one-line reason;
    no traceback, no personal value, and the run ends with its summary."""
    import json

    books = {"plain": marked, **hostile_books(marked)}
    _written(tmp_path, books)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "batch",
            str(tmp_path),
            "--as-of",
            "2026-12-31",
            "--jobs",
            "2",
            "--timeout",
            "60",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said, said[-2000:]
    assert MARK.lower() not in said.lower()
    rows = {Path(w["file"]).stem: w for w in json.loads(done.stdout)["workbooks"]}
    assert set(rows) == set(books)
    assert rows["plain"]["status"] == "ok"
    for name in ("far-cell", "deep-row", "strict", "duplicate-part", "utf-16", "dtd"):
        assert rows[name]["status"] == "unreadable", (name, rows[name])
        assert rows[name]["reason"] and "\n" not in rows[name]["reason"]
    assert rows["no-header"]["status"] == "issues"
