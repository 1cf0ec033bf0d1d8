"""The Jupyter front door: a dashboard of ipywidgets over one workbook, in a notebook or
as a Voilà web page (``practicebook app``).

ipywidgets is imported when a dashboard is built, so this package imports without the
``jupyter`` extra. The launcher (``voila_command``) is imported at once; the dashboard's
classes on first use, so that ``practicebook app`` loads no widget code.

Modules: ``launch`` (the Voilà command), ``kernels`` (the server's kernel limit, loaded
by Voilà), ``state`` (the loaded workbook), ``markup`` (HTML), ``table`` (sortable, paged
tables with totals and legends), ``widgets`` (ipywidgets access), ``forms``
(schema-driven input), ``tabs`` (one module per tab), ``dashboard`` (the tabs together).
The page's Voilà template is ``app/share/voila/templates/practicebook``. The package may
import the façade (``practicebook.api``), the core, render and workbook layers; never
another front door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from practicebook.frontends.jupyter.launch import APP_NOTEBOOK, BOOK_ENV, voila_command
from practicebook.lazy import load_on_first_use

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.dashboard import Dashboard
    from practicebook.frontends.jupyter.forms import SchemaForm
    from practicebook.frontends.jupyter.state import WorkbookState

__all__ = ["APP_NOTEBOOK", "BOOK_ENV", "Dashboard", "SchemaForm", "WorkbookState", "voila_command"]

#: The dashboard's classes, imported from their modules when first asked for.
_LAZY = {
    "Dashboard": "practicebook.frontends.jupyter.dashboard",
    "SchemaForm": "practicebook.frontends.jupyter.forms",
    "WorkbookState": "practicebook.frontends.jupyter.state",
}


def __getattr__(name: str) -> Any:
    return load_on_first_use(__name__, _LAZY, name)
