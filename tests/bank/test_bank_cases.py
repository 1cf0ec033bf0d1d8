"""The gallery cases of the bank's codes: each minimal workbook (option ``bank: match``)
matched as of its ``as_of``, and the cells it must report."""

from __future__ import annotations

from pathlib import Path

import pytest

from practicebook import api
from practicebook.core import bank
from tests.test_gallery import CASES, load_case

BANK_CASES = [p for p in sorted(CASES.glob("*.md")) if "bank: match" in p.read_text()]
CODES = {
    "undeposited-payment",
    "unrecorded-receipt",
    "fee-mismatch",
    "ambiguous-match",
    "assertion-failed",
    "stale-reconciliation",
}


def test_every_bank_code_has_a_case():
    assert {p.stem for p in BANK_CASES} == CODES


@pytest.mark.parametrize("path", BANK_CASES, ids=lambda p: Path(p).stem)
def test_bank_case(path):
    tables, options, wanted = load_case(path)
    book, issues = api.load_tables(tables)
    assert not [i for i in issues if i.is_error], [i.message for i in issues]
    found = {(str(i.where), i.code.value) for i in bank.match(book, options["as_of"]).issues}
    assert wanted <= found, f"not reported: {sorted(wanted - found)}"
