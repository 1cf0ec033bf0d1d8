"""Every example in a docstring of the package runs as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import practicebook
from practicebook.errors import MissingDependency


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(practicebook.__path__, "practicebook.")]
    return [*sorted(names), "tests.support.textables"]


def _with_examples() -> list[str]:
    found = []
    for name in _modules():
        try:
            module = importlib.import_module(name)
        except MissingDependency:  # an extra that is not installed here
            continue
        if doctest.DocTestFinder().find(module) and any(
            t.examples for t in doctest.DocTestFinder().find(module)
        ):
            found.append(name)
    return found


MODULES = _with_examples()


def test_the_modules_with_examples_are_found():
    assert {
        "practicebook.money",
        "practicebook.l10n",
        "practicebook.issues",
        "practicebook.render.sheets",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
