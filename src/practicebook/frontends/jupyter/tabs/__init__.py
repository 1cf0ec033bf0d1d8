"""The dashboard's tabs, one module each, and the base classes they share (``base``).

A tab may import the package's state, forms, markup and widget helpers, the core, the
render layer, and (when a row is saved) ``practicebook.workbook.writer``. It reaches the
dashboard only through the instance it is given (the dashboard module is imported for its
type alone).
"""

from __future__ import annotations

from practicebook.frontends.jupyter.tabs.balances import BalancesTab
from practicebook.frontends.jupyter.tabs.bank import BankTab
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.tabs.charts import ChartsTab
from practicebook.frontends.jupyter.tabs.documents import DocumentsTab
from practicebook.frontends.jupyter.tabs.flags import FlagsTab
from practicebook.frontends.jupyter.tabs.ledger import LedgerTab
from practicebook.frontends.jupyter.tabs.payments import PaymentsTab
from practicebook.frontends.jupyter.tabs.sessions import SessionsTab
from practicebook.frontends.jupyter.tabs.whatif import WhatIfTab

__all__ = [
    "BalancesTab",
    "BankTab",
    "ChartsTab",
    "DocumentsTab",
    "FlagsTab",
    "LedgerTab",
    "PaymentsTab",
    "SessionsTab",
    "Tab",
    "WhatIfTab",
]
