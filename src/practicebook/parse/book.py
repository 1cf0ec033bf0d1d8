"""The whole workbook: every input sheet typed into one ``Book``, every problem collected.

The Practice sheet is read first, since its locale and currency decide how the other
sheets' cells are read. A missing sheet becomes an empty frame (an error if it is
required); a workbook from a newer practicebook is read as far as it is understood.
When several sheets' names fold to one standard name (``Payments`` beside ``Payments_``),
one is read by the rule every medium shares (``headers.choose_sheet``: the exact name
first) and each other one is reported (``ambiguous-sheet``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import Book, Layout, RawTable
from practicebook.parse.headers import choose_sheet, label_text
from practicebook.parse.settings import parse_practice
from practicebook.parse.sheets import absent_sheet, parse_sheet
from practicebook.parse.values import CoerceContext
from practicebook.schema import PRACTICE, WORKBOOK, Sheet

__all__ = ["parse"]


def parse(
    tables: Iterable[RawTable], *, schema_version: int | None = None
) -> tuple[Book, list[Issue]]:
    """Type every input sheet of a workbook and collect every problem.

    Args:
        tables: raw tables as read from a file, a live workbook or a test.
        schema_version: the version recorded in the workbook, when known.

    Returns:
        The ``Book`` and the list of issues (not yet sorted; ``api.load`` sorts them).
    """
    by_sheet, issues = _pick_tables(list(tables))
    settings, practice_issues, practice = parse_practice(by_sheet.get(PRACTICE.name))
    issues += practice_issues
    ctx = CoerceContext(settings.locale, settings.currency)
    frames: dict[str, pd.DataFrame] = {"Practice": practice.frame}
    layouts: dict[str, Layout] = {"Practice": practice.layout}
    rejected: dict[str, pd.DataFrame] = {}
    for sheet in WORKBOOK.sheets:
        if sheet is PRACTICE:
            continue
        table = by_sheet.get(sheet.name)
        if table is None:
            absent = absent_sheet(sheet)
            frames[sheet.name] = absent.frame
            layouts[sheet.name] = absent.layout
            if sheet.required:
                issues.append(_missing_sheet(sheet))
            continue
        parsed = parse_sheet(table, sheet, ctx)
        frames[sheet.name] = parsed.frame
        layouts[sheet.name] = parsed.layout
        if parsed.rejected is not None and len(parsed.rejected):
            rejected[sheet.name] = parsed.rejected
        issues += parsed.issues
    if schema_version is not None and schema_version > WORKBOOK.version:
        issues.append(_newer_schema(schema_version))
    book = Book(settings, frames, layouts, schema_version, rejected)
    return book, issues


def _pick_tables(tables: list[RawTable]) -> tuple[dict[str, RawTable], list[Issue]]:
    """The table read for each standard sheet (``headers.choose_sheet``, as the readers
    choose), and an issue for each table passed over because another one's name folds
    to the same standard name."""
    names = [t.name for t in tables]
    picked: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for sheet in WORKBOOK.sheets:
        choice = choose_sheet(names, sheet.name)
        if choice is None:
            continue
        chosen = tables[choice.chosen]
        picked[sheet.name] = chosen
        issues += [_ambiguous_sheet(chosen.name, names[i], sheet.name) for i in choice.ignored]
    return picked, issues


def _ambiguous_sheet(chosen: str, other: str, standard: str) -> Issue:
    chosen, other = label_text(chosen), label_text(other)
    return Issue(
        Code.AMBIGUOUS_SHEET,
        Severity.ERROR,
        f"sheets {chosen!r} and {other!r} could both be the {standard} sheet; {chosen!r} is "
        f"read and {other!r} is ignored",
        CellRef(other),
        "Delete or rename the sheet that is not the real one; names that differ only in "
        "case, spaces, hyphens or underscores count as the same sheet.",
    )


def _missing_sheet(sheet: Sheet) -> Issue:
    return Issue(
        Code.MISSING_SHEET,
        Severity.ERROR,
        f"the {sheet.name} sheet is missing",
        CellRef(sheet.name),
        f"Add a sheet named {sheet.name} (practicebook new writes a workbook with every sheet).",
    )


def _newer_schema(schema_version: int) -> Issue:
    return Issue(
        Code.NEWER_SCHEMA,
        Severity.WARNING,
        f"the workbook uses schema version {schema_version}; this practicebook "
        f"understands version {WORKBOOK.version}",
        CellRef("Lists"),
        "Upgrade practicebook: pip install -U practicebook.",
    )
