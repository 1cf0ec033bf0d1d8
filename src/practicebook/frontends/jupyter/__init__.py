"""The Jupyter front door: a dashboard of ipywidgets over one workbook, in a notebook or
as a Voilà web page (``practicebook app``).

ipywidgets is imported when a dashboard is built, so this package imports without the
``jupyter`` extra.
"""

from __future__ import annotations

from practicebook.frontends.jupyter.dashboard import (
    APP_NOTEBOOK,
    BOOK_ENV,
    Dashboard,
    SchemaForm,
    WorkbookState,
    voila_command,
)

__all__ = ["APP_NOTEBOOK", "BOOK_ENV", "Dashboard", "SchemaForm", "WorkbookState", "voila_command"]
