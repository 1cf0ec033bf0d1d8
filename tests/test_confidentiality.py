"""No value of a personal column leaves the workbook, however the workbook is damaged.

Every personal column (``phi=True`` in the schema: names, email, phone, address, date of
birth, memos, diagnoses) of a generated practice is filled with markers; its tables are
then damaged in every way the tests know (a sheet without a header row, near-duplicate
sheets, wrong types, values out of range, formulas without their results, Excel errors,
merged cells, dropped, doubled and extra columns, repeated IDs), alone and combined, and
no marker may appear in any output: issues and their text and JSON, the reconciliation's
JSON, every client's explanation, the derived sheets, a what-if, the documents' issues
and the whole of a minimal-PHI document, the bank's findings and explanations, the
accountant's journal in every format, exceptions, warnings and logs.
``tests.test_confidentiality_files`` does the same through files and the command line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import random
import re
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from babel.dates import format_date
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from practicebook import api, bank, documents
from practicebook.core.reconcile import reconcile
from practicebook.core.simulate import simulate
from practicebook.generate import GeneratedPractice, generate
from practicebook.model import CellErrorValue, FormulaWithoutValue, RawTable
from practicebook.render.journal import export
from practicebook.render.json import issues_to_json, json_text
from practicebook.render.sheets import result_sheets
from practicebook.render.text import render_issues
from practicebook.schema import PRACTICE, WORKBOOK, Kind

#: Every text marker holds this; none of practicebook's own words or IDs does.
MARK = "Qzv"
AS_OF = dt.date(2026, 12, 31)
PERSONAL = [(s.name, c) for s in WORKBOOK.sheets for c in s.columns if c.phi]
#: Dates of birth, in a year no generated date or amount comes near, and two a damaged
#: cell may hold, outside the range of dates practicebook (and pandas) reads.
BIRTHDAYS = [dt.date(1913, 4, 27) + dt.timedelta(days=37 * i) for i in range(40)]
ODD_BIRTHDAYS = [dt.datetime(2513, 4, 27), dt.datetime(1813, 4, 27)]


def marked_practice(seed: int = 11) -> GeneratedPractice:
    """A generated practice whose every personal cell holds a marker (a date of birth
    from ``BIRTHDAYS``), with a row on every sheet that has personal columns."""
    practice = generate(60, seed=seed)
    rows = practice.rows
    wanted = {s for s, _ in PERSONAL}
    for sheet in list(wanted):  # and the sheets their required references point to
        for col in WORKBOOK.sheet(sheet).columns:
            if col.required and col.references:
                wanted.add(col.references.partition(".")[0])
    for sheet in sorted(wanted):
        if not rows.get(sheet):
            rows[sheet] = [_filled(WORKBOOK.sheet(sheet).columns, i) for i in range(3)]
    for sheet, col in PERSONAL:
        for i, row in enumerate(rows.get(sheet, [])):
            if col.kind in (Kind.DATE, Kind.DATETIME):
                row[col.key] = BIRTHDAYS[i % len(BIRTHDAYS)]
            else:
                row[col.key] = f"{MARK}{col.key.replace('_', '')}{i}x"
    return practice


def _filled(columns, i: int) -> dict[str, object]:
    """A row with every required value of ``columns`` filled with something plausible."""
    plain = {
        Kind.ID: f"X{i}",
        Kind.TEXT: "text",
        Kind.DATE: dt.date(2026, 3, 2),
        Kind.DATETIME: dt.datetime(2026, 3, 2, 10),
        Kind.MONEY: Decimal("10.00"),
        Kind.DECIMAL: Decimal(1),
        Kind.INTEGER: 1,
        Kind.BOOL: False,
    }
    return {
        c.key: c.choices[0] if c.kind is Kind.CHOICE else plain[c.kind]
        for c in columns
        if c.required
    }


def leaks(text: str) -> list[str]:
    """The markers (or dates of birth) found in ``text``."""
    found = [m.group(0) for m in re.finditer(f"(?i){MARK}\\w*", text)]
    for day in [*BIRTHDAYS, *ODD_BIRTHDAYS]:
        forms = {
            f"{day:%Y-%m-%d}",
            f"{day:%m/%d/%Y}",
            f"{day:%d/%m/%Y}",
            f"{day:%d.%m.%Y}",
            f"{day.month}/{day.day}/{day.year}",
            format_date(day, "medium", locale="en_US"),
            format_date(day, "long", locale="en_US"),
        }
        found += [form for form in forms if form in text]
    return found


# --- the workbook as raw tables, and how it is damaged -------------------------------


def raw_tables(practice: GeneratedPractice) -> list[RawTable]:
    """The practice as a reader would hand it over: one table per sheet, every value a
    plain Python value in an ``object`` column."""
    settings = {s.key: s.default for s in WORKBOOK.settings} | practice.settings
    tables = [
        _table(
            PRACTICE.name,
            ("key", "value"),
            [{"key": k, "value": v} for k, v in settings.items() if v is not None],
        )
    ]
    for sheet in WORKBOOK.sheets:
        if sheet is not PRACTICE and practice.rows.get(sheet.name):
            tables.append(_table(sheet.name, sheet.keys, practice.rows[sheet.name]))
    return tables


def _table(name: str, keys: tuple[str, ...], rows: list[dict[str, object]]) -> RawTable:
    data = pd.DataFrame(
        {i: pd.Series([r.get(k) for r in rows], dtype=object) for i, k in enumerate(keys)}
    )
    headers = tuple(WORKBOOK.sheet(name).column(k).header for k in keys)
    return RawTable(name, headers, data)


#: What a damaged cell may hold instead of its value.
ODD_VALUES: list[object] = [
    *(True, 1e300, -5.0, 9.2e16, 10**30, float("nan"), float("inf"), Decimal("NaN"), 60.0),
    *(dt.time(10, 30), dt.datetime(2500, 1, 2), dt.datetime(1, 1, 1), dt.date(1850, 6, 1)),
    *(dt.datetime(1899, 12, 31, 10, 30), np.datetime64("2500-01-02", "ms")),
    *("", "   ", "=1+1", "1e3", "6_90", "1234567890123456789", "\u200b"),
    *(CellErrorValue("#N/A"), FormulaWithoutValue()),
]

Damage = Callable[[list[RawTable], random.Random], list[RawTable]]


def _replace(tables: list[RawTable], name: str, **changes: object) -> list[RawTable]:
    return [dataclasses.replace(t, **changes) if t.name == name else t for t in tables]  # type: ignore[arg-type]


def _pick(tables: list[RawTable], rng: random.Random) -> RawTable:
    return rng.choice([t for t in tables if len(t.data)])


def odd_cells(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """Odd values in a dozen cells, personal ones among them, some as cells a typed read
    could not type (``raw_cells``)."""
    for _ in range(12):
        table = _pick(tables, rng)
        data = table.data.copy()
        row, col = rng.randrange(len(data)), rng.randrange(len(data.columns))
        personal = [i for i, h in enumerate(table.headers) if _is_personal(table.name, h)]
        if personal and rng.random() < 0.5:
            col = rng.choice(personal)
        value = rng.choice(ODD_VALUES)
        if rng.random() < 0.3:
            raw = dict(table.raw_cells)
            raw[(row, col)] = value if not isinstance(value, float) else str(value)
            tables = _replace(tables, table.name, raw_cells=raw)
        else:
            data[col] = data[col].astype(object)
            data.iat[row, col] = value
            tables = _replace(tables, table.name, data=data)
    return tables


def _is_personal(sheet: str, header: str) -> bool:
    try:
        col = WORKBOOK.sheet(sheet).match(header)
    except KeyError:
        return False
    return bool(col and col.phi)


def marker_in_wrong_kind(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """A marker typed into a personal date column, and dates of birth as a typed column
    with values outside pandas' range (a reader hands date columns over as datetime64)."""
    clients = next(t for t in tables if t.name == "Clients")
    if WORKBOOK.sheet("Clients").column("dob").header not in clients.headers:
        return tables  # an earlier damage took the header row: nothing to type into
    dob = clients.headers.index(WORKBOOK.sheet("Clients").column("dob").header)
    data = clients.data.copy()
    data[dob] = data[dob].astype(object)
    data.iat[0, dob] = f"{MARK}dobtext"
    data.iat[1, dob] = ODD_BIRTHDAYS[0]
    data.iat[2, dob] = ODD_BIRTHDAYS[1]
    if rng.random() < 0.5:
        typed = np.array([np.datetime64(d, "ms") for d in BIRTHDAYS[: len(data)]])
        typed[-2:] = [np.datetime64(d, "ms") for d in ODD_BIRTHDAYS]
        data[dob] = typed
    return _replace(tables, "Clients", data=data)


def no_header(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """A sheet whose header row the reader could not find."""
    table = _pick(tables, rng)
    return _replace(
        tables, table.name, headers=(), data=pd.DataFrame(), header_found=False, header_row=20
    )


def near_duplicate_sheet(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """A copy of a sheet under a name that folds to the same standard name."""
    table = _pick(tables, rng)
    copy = dataclasses.replace(table, name=rng.choice([f"{table.name}_", table.name.upper()]))
    return [copy, *tables] if rng.random() < 0.5 else [*tables, copy]


def columns_moved(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """A required column dropped, a personal column doubled, a user's own column of
    personal notes added."""
    table = next(t for t in tables if t.name == "Clients")
    headers, data = list(table.headers), table.data.copy()
    if WORKBOOK.sheet("Clients").column("first_name").header not in headers:
        return tables  # an earlier damage took the header row (or this column): no columns
    first = headers.index(WORKBOOK.sheet("Clients").column("first_name").header)
    choice = rng.randrange(3)
    if choice == 0:
        del headers[first]
        data = data.drop(columns=first)
    elif choice == 1:
        headers.append(headers[first])
        data[len(data.columns)] = data[first]
    else:
        headers.append("Private notes")
        data[len(data.columns)] = [f"{MARK}note{i}" for i in range(len(data))]
    data.columns = range(len(data.columns))
    return _replace(tables, "Clients", headers=tuple(headers), data=data)


def merged_personal_cells(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """First and last names of two clients merged into one cell."""
    return _replace(tables, "Clients", merged=((2, 2, 4, 3),))


def duplicate_ids(tables: list[RawTable], rng: random.Random) -> list[RawTable]:
    """Repeated and case-variant IDs on a sheet with personal columns."""
    table = rng.choice([t for t in tables if t.name in ("Clients", "Sessions", "Diagnoses")])
    data = table.data.copy()
    if len(data) > 2:
        data.iat[1, 0] = data.iat[0, 0]
        data.iat[2, 0] = str(data.iat[0, 0]).lower()
    return _replace(tables, table.name, data=data)


DAMAGES: list[Damage] = [odd_cells, marker_in_wrong_kind, no_header, near_duplicate_sheet]
DAMAGES += [columns_moved, merged_personal_cells, duplicate_ids]


# --- everything the core and the renderers say ---------------------------------------


@contextmanager
def captured() -> Iterator[list[str]]:
    """Log records (every level) and warnings raised inside, as text."""
    out: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            out.append(self.format(record))

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield out
        out += [str(w.message) for w in caught]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def everything_said(tables: list[RawTable]) -> str:
    """Every text practicebook produces from ``tables`` without a file."""
    book, issues = api.load_tables(tables)
    said = [render_issues(issues), issues_to_json(issues)]
    said += [repr(i) for i in issues]
    rec = reconcile(book, AS_OF)
    said += [json_text(rec.to_dict()), render_issues(rec.issues), repr(rec.issues)]
    for client in rec.balances["client_id"]:
        said.append(str(rec.explain(client)))
    said += [repr(spec) for spec in result_sheets(rec, book, [*issues, *rec.issues])]
    what_if = simulate(book, {"notice_hours": 48}, as_of=AS_OF)
    said += [repr(what_if), what_if.per_client.to_string(), what_if.sessions.to_string()]
    said.append(what_if.flags.to_string())
    return "\n".join(said + _documents_said(book) + _bank_said(book, rec))


def _documents_said(book) -> list[str]:
    """The register's findings, every document's issues, and the whole content of the
    minimal-PHI documents (which name a client by ID only)."""
    said = [render_issues(documents.findings(book, AS_OF))]
    march = {"month": "2026-03"}
    for client in sorted(book.clients["client_id"].dropna())[:2]:
        made = [
            (documents.statement, {"minimal": True}),
            (documents.invoice, {"minimal": True, "as_of": AS_OF}),
            (documents.superbill, {"draft": True, "as_of": AS_OF}),
        ]
        for make, options in made:
            try:
                document = make(book, client, **march, **options)
            except LookupError as exc:  # nothing to bill: the refusal is said too
                said.append(str(exc))
                continue
            said += [render_issues(document.issues), repr(document.issues)]
            if document.minimal:
                said.append(repr(document))
    return said


def _bank_said(book, rec) -> list[str]:
    """The bank's findings, each line's explanation and the accountant's journal in every
    format (with client IDs, the most it ever says)."""
    matched = bank.match(book, AS_OF)
    said = [render_issues(matched.issues), repr(matched.issues)]
    said += [str(matched.explain(line.line_id)) for line in matched.bank.lines]
    for fmt in bank.EXPORT_FORMATS:
        _, files = export(book, rec, matched, fmt, per_client=True)
        said += [f.text for f in files]
    return said


def assert_nothing_leaks(tables: list[RawTable]) -> None:
    failure = None
    with captured() as logs:
        try:
            said = everything_said(tables)
        except Exception:
            said, failure = "", traceback.format_exc()
    assert not leaks(said), leaks(said)
    assert not leaks("\n".join(logs)), leaks("\n".join(logs))
    if failure is not None:
        assert not leaks(failure), f"an exception shows personal data: {leaks(failure)}"
        pytest.fail(f"bad data raised instead of becoming issues:\n{failure}")


# --- the tests -----------------------------------------------------------------------


@functools.cache
def _marked_tables() -> tuple[RawTable, ...]:
    return tuple(raw_tables(marked_practice()))


@pytest.fixture
def marked_tables() -> list[RawTable]:
    return list(_marked_tables())


def test_the_markers_are_in_the_workbook(marked_tables):
    # the check below would pass vacuously if the markers never reached the tables
    text = "\n".join(t.data.to_string() for t in marked_tables)
    assert len(set(leaks(text))) > 40
    assert {s for s, _ in PERSONAL} <= {t.name for t in marked_tables}


def test_nothing_personal_is_said_about_an_undamaged_workbook(marked_tables):
    assert_nothing_leaks(marked_tables)


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: d.__name__)
def test_nothing_personal_is_said_after_each_damage(marked_tables, damage):
    for seed in range(3):
        assert_nothing_leaks(damage(list(marked_tables), random.Random(seed)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    damages=st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
@example(damages=[no_header, columns_moved], seed=1)  # Clients lost its header first
@example(damages=[no_header, marker_in_wrong_kind], seed=1)
def test_nothing_personal_is_said_whatever_the_damage(damages, seed):
    rng = random.Random(seed)
    tables = list(_marked_tables())
    for damage in damages:
        tables = damage(tables, rng)
    assert_nothing_leaks(tables)
