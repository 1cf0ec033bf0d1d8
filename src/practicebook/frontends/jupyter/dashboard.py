"""The Jupyter dashboard: all tabs over one workbook, with a header and a Reload button.

``Dashboard("practice.xlsx")`` shows tabs for entering sessions and payments, marking a
cancellation, reviewing balances, aging, flags and one client's ledger, charts, client
documents, the bank, and a policy what-if. Widgets only collect and display: the forms
are generated from ``practicebook.schema``, validation messages are the core's issues,
rows are written by ``practicebook.workbook.writer`` (lock, retry, atomic replace) and
every figure comes from ``practicebook.core.reconcile``/``practicebook.core.summary``. The
state is the loaded book and the last reconciliation; it is reloaded whenever the file on
disk changes.

Every interactive widget carries a stable CSS class (``pb-…``) for browser tests.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from practicebook.frontends.jupyter.state import WorkbookState
from practicebook.frontends.jupyter.tabs import (
    BalancesTab,
    BankTab,
    ChartsTab,
    DocumentsTab,
    FlagsTab,
    LedgerTab,
    PaymentsTab,
    SessionsTab,
    Tab,
    WhatIfTab,
)
from practicebook.frontends.jupyter.tabs.adjustments import AdjustmentsTab
from practicebook.frontends.jupyter.tabs.clients import ClientsTab
from practicebook.frontends.jupyter.tabs.monthend import MonthEndTab
from practicebook.frontends.jupyter.widgets import hook, widgets

__all__ = ["Dashboard"]

TOOL = "jupyter"
#: How often a dashboard in a kernel looks whether the workbook changed on disk (seconds).
WATCH_SECONDS = 2.0


class Dashboard:
    """All tabs over one workbook.

    Args:
        path: the workbook (``.xlsx``).
        password: password of a protected workbook.
        as_of: reconciliation day for balances and payments (default: today).
        actor: who is recorded in the audit log for rows written here.

    Example (in a notebook cell)::

        from practicebook.frontends.jupyter import Dashboard
        Dashboard("practice.xlsx")
    """

    TABS: tuple[type[Tab], ...] = (
        SessionsTab,
        PaymentsTab,
        ClientsTab,
        AdjustmentsTab,
        MonthEndTab,
        BalancesTab,
        FlagsTab,
        LedgerTab,
        ChartsTab,
        DocumentsTab,
        BankTab,
        WhatIfTab,
    )

    def __init__(
        self,
        path: str | Path,
        *,
        password: str | None = None,
        as_of: dt.date | None = None,
        actor: str | None = None,
    ) -> None:
        w = widgets()
        self.state = WorkbookState(path, password=password, as_of=as_of)
        self.write_options: dict[str, Any] = {"password": password, "actor": actor, "tool": TOOL}
        self.header = hook(w.HTML(), "header")
        self.reload = hook(w.Button(description="Reload", icon="refresh"), "reload")
        self.reload.on_click(lambda _b: self.refresh(force=True))
        self.tabs: list[Tab] = [cls(self) for cls in self.TABS]
        named: dict[type[Tab], Any] = {type(t): t for t in self.tabs}
        self.sessions, self.payments = named[SessionsTab], named[PaymentsTab]
        self.balances, self.flags, self.ledger = (
            named[BalancesTab],
            named[FlagsTab],
            named[LedgerTab],
        )
        self.charts, self.whatif = named[ChartsTab], named[WhatIfTab]
        self.documents, self.bank = named[DocumentsTab], named[BankTab]
        self.clients, self.adjustments = named[ClientsTab], named[AdjustmentsTab]
        self.monthend = named[MonthEndTab]
        self.tab = hook(
            w.Tab(children=[t.box for t in self.tabs], titles=[t.title for t in self.tabs]), "tabs"
        )
        self.tab.observe(lambda _c: self._selected(), names="selected_index")
        self.widget = w.VBox([w.HBox([self.header, self.reload]), self.tab])
        self._show_header()
        self.watch()

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the workbook if it changed on disk (or ``force``) and redraw every tab.

        Called before every save, fee preview and comparison, on every tab switch and by
        the Reload button.
        """
        if not self.state.refresh(force=force):
            return False
        for tab in self.tabs:
            tab.redraw()
        self._show_header()
        return True

    def _selected(self) -> None:
        """A tab was chosen: build it if it is lazy, and re-read a changed workbook."""
        index = self.tab.selected_index
        if index is not None:
            self.tabs[index].ensure_built()
        self.refresh()

    def watch(self, every: float = WATCH_SECONDS) -> bool:
        """Re-read the workbook whenever it changes on disk, checking every ``every``
        seconds on the kernel's event loop (a page kept ready in advance, or left open
        while Excel saves, shows the workbook as it is). False, and nothing scheduled,
        where no event loop runs (plain Python)."""
        import asyncio

        try:
            loop = asyncio.get_running_loop()  # a kernel runs cells inside its loop
        except RuntimeError:
            return False

        def check() -> None:
            try:
                self.refresh()
            except OSError:  # the file is being replaced: look again next time
                pass
            loop.call_later(every, check)

        loop.call_later(every, check)
        return True

    def _show_header(self) -> None:
        s, rec = self.state.book.settings, self.state.result
        errors = sum(1 for i in self.state.load_issues if i.is_error)
        name = s.practice_name or self.state.path.stem
        self.header.value = (
            f"<b class='pb-practice' data-title='{html.escape(name)}'>{html.escape(name)}</b> · "
            f"{html.escape(self.state.path.name)} · {html.escape(s.currency)} · "
            f"as of {html.escape(self.state.day(rec.as_of))} · {len(rec.balances)} clients · "
            f"{len(rec.flags)} findings · {errors} workbook errors"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
