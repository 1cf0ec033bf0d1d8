from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["practicebook.money", "practicebook.issues", "practicebook.schema",
           "practicebook.formatting", "practicebook.textables"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
