"""Package attributes imported on first use.

A package that must stay light to import (the public ``practicebook`` package, the Excel
and Jupyter doors) names each such attribute with the module that holds it, and loads it
from its module-level ``__getattr__``::

    def __getattr__(name: str) -> Any:
        return load_on_first_use(__name__, _LAZY, name)

May import: the standard library only.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["load_on_first_use"]


def load_on_first_use(package: str, modules: Mapping[str, str], name: str) -> Any:
    """Attribute ``name`` of ``package``, imported from its module in ``modules`` and kept
    in the package, so the next use is a plain attribute lookup.

    Raises:
        AttributeError: ``name`` is not one of ``modules``.
    """
    if name not in modules:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(modules[name]), name)
    setattr(sys.modules[package], name, value)
    return value
