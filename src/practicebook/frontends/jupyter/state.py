"""The dashboard's state: the loaded workbook and its reconciliation, reloaded when the
file on disk changes."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from practicebook import api
from practicebook.core.findings import combine, from_issues
from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from practicebook.issues import Issue
from practicebook.l10n import format_date, format_money
from practicebook.model import Book
from practicebook.money import to_minor


def _client_names(book: Book) -> dict[str, str]:
    """Client ID → ``Last, First`` (the preferred name when there is one)."""
    clients = book.frame("Clients")
    names: dict[str, str] = {}
    for cid, first, preferred, last in zip(
        clients["client_id"],
        clients["first_name"],
        clients.get("preferred_name", clients["first_name"]),
        clients["last_name"],
        strict=True,
    ):
        if not isinstance(cid, str):
            continue
        given = preferred if isinstance(preferred, str) and preferred.strip() else first
        parts = [str(x).strip() for x in (last, given) if isinstance(x, str) and x.strip()]
        names[cid] = ", ".join(parts)
    return names


class WorkbookState:
    """The loaded book and its reconciliation, reloaded when the file changes.

    ``findings`` holds every finding as flag rows: the workbook checks' issues and the
    reconciliation's flags together.

    Args:
        path: the workbook.
        password: password of a protected workbook.
        as_of: reconciliation day (default: today in the practice time zone).
    """

    def __init__(
        self, path: str | Path, *, password: str | None = None, as_of: dt.date | None = None
    ) -> None:
        self.path = Path(path)
        self.password = password
        self.as_of = as_of
        self._stamp: tuple[int, int] | None = None
        self._digest = ""
        self.book: Book
        self.load_issues: list[Issue] = []
        self.result: Reconciliation
        self.findings: pd.DataFrame
        self._names: dict[str, str] = {}
        self.refresh(force=True)

    def _changed(self) -> bool:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        changed, self._digest = digest != self._digest, digest
        return changed

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the workbook if it changed on disk (or ``force``); True if reloaded."""
        if not self._changed() and not force:
            return False
        self.book, self.load_issues = api.load(self.path, password=self.password)
        self.result = reconcile(self.book, self.as_of)
        self.findings = combine([self.result.flags, from_issues(self.load_issues)])
        self._names = _client_names(self.book)
        return True

    @property
    def shows_names(self) -> bool:
        """Whether the page may show clients' names (not under ``phi_mode = minimal``)."""
        return self.book.settings.phi_mode != "minimal"

    def client(self, client_id: object) -> str:
        """How the page names a client: ``Brookhart, Sol (C0004)``, or ``C0004`` alone
        when the practice's ``phi_mode`` is ``minimal`` or the client has no name."""
        key = "" if client_id is None or pd.isna(client_id) else str(client_id)
        name = self._names.get(key, "") if self.shows_names else ""
        return f"{name} ({key})" if name else key

    def clinician(self, clinician_id: object) -> str:
        """How the page names a clinician: ``Bex Ambervale (T01)`` (the name shown on
        reports), or the ID when there is no name."""
        key = str(clinician_id)
        clinicians = self.book.frame("Clinicians")
        found = clinicians.loc[clinicians["clinician_id"] == key, "display_name"]
        name = found.iloc[0] if len(found) and isinstance(found.iloc[0], str) else ""
        return f"{name} ({key})" if name.strip() else key

    def with_clients(self, frame: pd.DataFrame, column: str = "client_id") -> pd.DataFrame:
        """``frame`` with its client IDs shown as ``client`` names them (for display only:
        downloads and exports keep the IDs)."""
        if column not in frame.columns or not self.shows_names:
            return frame
        return frame.assign(**{column: frame[column].map(self.client)})

    def reconcile_as_of(self, day: dt.date | None) -> Reconciliation:
        """The reconciliation as of ``day`` (the current one when it is the same day)."""
        if day is None or day == self.result.as_of:
            return self.result
        return reconcile(self.book, day)

    def money(self, amount: Any) -> str:
        """An exact amount (``Decimal``, as the core's frames hold money) in the workbook's
        currency and locale."""
        settings = self.book.settings
        return format_money(
            to_minor(Decimal(amount), settings.currency), settings.currency, settings.locale
        )

    def minor(self, amount: int) -> str:
        """An amount in integer minor units (as the book's input frames hold money)."""
        settings = self.book.settings
        return format_money(int(amount), settings.currency, settings.locale)

    def day(self, value: dt.date) -> str:
        """A day in the workbook's locale."""
        return format_date(value, self.book.settings.locale)

    def balance_of(self, client_id: str) -> Decimal:
        """The client's balance as of the state's day (0 when unknown)."""
        b = self.result.balances
        found = b.loc[b["client_id"] == client_id, "balance"]
        return Decimal(found.iloc[0]) if len(found) else Decimal(0)

    def ids(self, sheet: str, key: str) -> list[str]:
        """The distinct values of an ID column, sorted (dropdown options)."""
        return sorted(self.book.frame(sheet)[key].dropna().astype(str).unique())
