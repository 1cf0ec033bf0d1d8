"""The Jupyter front door: a dashboard of ipywidgets over one workbook, in a notebook or
as a Voilà web page (``practicebook app``).

ipywidgets is imported when a dashboard is built, so this package imports without the
``jupyter`` extra. The launcher (``voila_command``) is imported at once; the dashboard's
classes on first use, so that ``practicebook app`` loads no widget code.

Modules: ``launch`` (the Voilà command), ``state`` (the loaded workbook), ``markup``
(HTML), ``widgets`` (ipywidgets access), ``forms`` (schema-driven input), ``tabs`` (one
module per tab), ``dashboard`` (the tabs together). The package may import the façade
(``practicebook.api``), the core, render and workbook layers; never another front door.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from practicebook.frontends.jupyter.launch import APP_NOTEBOOK, BOOK_ENV, voila_command

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.dashboard import Dashboard
    from practicebook.frontends.jupyter.forms import SchemaForm
    from practicebook.frontends.jupyter.state import WorkbookState

__all__ = ["APP_NOTEBOOK", "BOOK_ENV", "Dashboard", "SchemaForm", "WorkbookState", "voila_command"]

_HOMES = {"Dashboard": "dashboard", "SchemaForm": "forms", "WorkbookState": "state"}


def __getattr__(name: str) -> object:
    """The dashboard's classes, imported from their modules when first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
