"""The issue gallery: one minimal workbook per reason code, and where it is reported.

Each ``tests/cases/<code>.md`` holds ``## Sheet`` tables (required sheets left out are
added empty), optional ``## Options`` (``as_of`` — reconcile as of that day and include
its findings —, ``schema_version``, ``merged``, ``invariant``) and an ``## Expected``
list of ``Sheet!A1 code`` lines that must all be reported. ``audit_head`` is the audit
log's head as a workbook records it (``practicebook_audit_head``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from practicebook import api
from practicebook.core.reconcile import reconcile
from practicebook.issues import Code
from practicebook.schema import WORKBOOK
from tests.support.textables import read_tables

CASES = Path(__file__).parent / "cases"
# Cases whose findings come from a document or from bank matching, not from loading and
# reconciling: tests/documents/test_document_cases.py and tests/bank/test_bank_cases.py.
ELSEWHERE = ("document:", "bank:")


def general_cases() -> list[Path]:
    """The cases this module runs: those reported by loading and reconciling a book."""
    return [p for p in sorted(CASES.glob("*.md")) if not any(o in p.read_text() for o in ELSEWHERE)]


def load_case(path: Path):
    text = path.read_text(encoding="utf-8")
    body, _, expected = text.partition("## Expected")
    body, _, options_text = body.partition("## Options")
    options = dict(line.split(":", 1) for line in options_text.strip().splitlines() if line)
    options = {k.strip(): v.strip() for k, v in options.items()}
    tables = read_tables(body)
    if "merged" in options:
        sheet, _, ref = options["merged"].partition("!")
        first, _, last = ref.partition(":")
        cells = [(int("".join(c for c in x if c.isdigit())), ord(x[0]) - 64) for x in (first, last)]
        tables = [
            dataclasses.replace(t, merged=((*cells[0], *cells[1]),)) if t.name == sheet else t
            for t in tables
        ]
    present = {t.name for t in tables}
    for sheet in WORKBOOK.sheets:
        if sheet.required and sheet.name not in present and options.get("keep_missing") != "yes":
            tables += read_tables(f"## {sheet.name}\n| {' | '.join(sheet.keys)} |\n")
    wanted = {tuple(line.split()) for line in expected.strip().splitlines() if line.strip()}
    return tables, options, wanted


def findings(tables, options) -> set[tuple[str, str]]:
    version = int(options["schema_version"]) if "schema_version" in options else None
    head = options.get("audit_head")  # the head a workbook records in its properties
    book, issues = api.load_tables(tables, schema_version=version, audit_head=head)
    if "as_of" in options:
        issues = issues + reconcile(book, dt.date.fromisoformat(options["as_of"])).issues
    return {(str(i.where), i.code.value) for i in issues}


@pytest.mark.parametrize("path", general_cases(), ids=lambda p: p.stem)
def test_gallery_case(path):
    tables, options, wanted = load_case(path)
    assert wanted, f"{path.name} lists no expected findings"
    assert path.stem in {code for _, code in wanted}, "a case must show its own code"
    if options.get("invariant") == "yes":
        pytest.skip("an internal invariant no workbook can break; tested directly")
    missing = wanted - findings(tables, options)
    assert not missing, f"not reported: {sorted(missing)}"


def test_every_code_has_a_gallery_case():
    cases = {p.stem for p in CASES.glob("*.md")}
    assert {c.value for c in Code} - cases == set()
