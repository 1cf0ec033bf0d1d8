"""The bundled example is clean; planted problems are all found at their cells."""

from __future__ import annotations

from practicebook import api
from practicebook.issues import column_letter
from practicebook.schema import WORKBOOK
from tests.support.books import ROOT


def test_bundled_example_has_no_errors():
    book, issues = api.load(ROOT / "examples" / "example-practice.xlsx")
    assert not [i for i in issues if i.is_error]
    assert len(book.sessions) == 600
    assert book.settings.practice_name.endswith("(example)")


def test_every_planted_problem_is_reported_at_its_cell(damaged_book, example_practice):
    _, issues = api.load(damaged_book)
    found = {(str(i.where), i.code.value) for i in issues}
    expected = set()
    for p in example_practice.problems:
        col = WORKBOOK.sheet(p.sheet).keys.index(p.key) + 1
        expected.add((f"{p.sheet}!{column_letter(col)}{p.row}", p.code))
    assert len(expected) == 12
    assert expected <= found
    assert not [i for i in issues if i.is_error and (str(i.where), i.code.value) not in expected]


def test_the_generator_is_deterministic():
    from practicebook.generate import generate

    assert generate(300, seed=7).rows == generate(300, seed=7).rows
    assert generate(300, seed=7).rows != generate(300, seed=8).rows
