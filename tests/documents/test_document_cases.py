"""The gallery cases of the document codes: each minimal workbook, the document (or the
register's findings) its ``document:`` option names, and the cells it must report.

``document: superbill C1 2026-03-01 2026-03-31`` builds that superbill and takes its
issues; ``document: findings`` takes the register's findings as of the case's ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from practicebook import api, documents
from tests.test_gallery import CASES, load_case

DOCUMENT_CASES = [p for p in sorted(CASES.glob("*.md")) if "document:" in p.read_text()]


def document_findings(tables, options):
    book, issues = api.load_tables(tables)
    what = options["document"].split()
    if what[0] == "findings":
        return issues + documents.findings(book, options["as_of"])
    kind, client, start, end = what
    assert kind == "superbill"
    doc = documents.superbill(
        book,
        client,
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        issued_on=dt.date(2026, 4, 2),
    )
    return issues + list(doc.issues)


def test_every_document_code_has_a_case():
    codes = {
        "superbill-missing-field",
        "superbill-missing-npi",
        "superbill-missing-diagnosis",
        "superbill-session-twice",
        "invoice-charge-twice",
        "gfe-variance",
    }
    assert codes <= {p.stem for p in DOCUMENT_CASES}


@pytest.mark.parametrize("path", DOCUMENT_CASES, ids=lambda p: Path(p).stem)
def test_document_case(path):
    tables, options, wanted = load_case(path)
    found = {(str(i.where), i.code.value) for i in document_findings(tables, options)}
    assert wanted <= found, f"not reported: {sorted(wanted - found)}"
