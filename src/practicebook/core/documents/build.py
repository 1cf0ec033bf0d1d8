"""Building any document from its request, reconciling once per as-of day.

A ``Builder`` serves one book: a month's statements for a whole practice share one
reconciliation (as of the month's last day) and one ``Context``. Which day the figures
are taken as of is part of each document's definition:

* a statement: its period's last day (closing balance = the balance on that day);
* a receipt: the day the payment was received (what it paid when it came in);
* an invoice or a superbill: the day it is issued, unless ``as_of`` says otherwise
  (what is paid so far).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from practicebook.core.documents.context import Context
from practicebook.core.documents.estimate import estimate
from practicebook.core.documents.invoice import invoice
from practicebook.core.documents.model import (
    Document,
    EstimateRequest,
    InvoiceRequest,
    ReceiptRequest,
    Request,
    StatementRequest,
    SuperbillRequest,
)
from practicebook.core.documents.receipt import receipt, receipt_day
from practicebook.core.documents.statement import Lines, statement
from practicebook.core.documents.superbill import superbill
from practicebook.core.explain import explained_ledger
from practicebook.core.result import Reconciliation
from practicebook.errors import UnknownClient
from practicebook.model import Book

__all__ = ["Builder"]


class Builder:
    """Builds documents from one book.

    Args:
        book: the parsed workbook.
    """

    def __init__(self, book: Book) -> None:
        self.book = book
        self.context = Context(book)
        self._reconciled: dict[dt.date, Reconciliation] = {}
        self._statements: dict[dt.date, int] = {}
        self._bulk: dict[dt.date, tuple[Lines, dict[str, tuple[int, int]]]] = {}

    def reconciliation(self, as_of: dt.date) -> Reconciliation:
        """The book reconciled as of ``as_of`` (once per day)."""
        # imported here, so that ``core.reconcile`` can report the register's findings
        # (``register.register_findings``, in this package) without an import cycle
        from practicebook.core.reconcile import reconcile

        if as_of not in self._reconciled:
            self._reconciled[as_of] = reconcile(self.book, as_of)
        return self._reconciled[as_of]

    def _explained(self, as_of: dt.date, client_id: str) -> Lines:
        """A client's ``explain`` lines, sliced from every client's explained once (a run
        of statements for a whole practice shares them)."""
        if as_of not in self._bulk:
            every = explained_ledger(self.reconciliation(as_of))
            ids = every["client_id"].to_numpy(dtype=object)
            starts: list[int] = (
                np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]).tolist() if len(ids) else []
            )
            ends = [*starts[1:], len(ids)]
            spans = {str(ids[a]): (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}
            self._bulk[as_of] = (Lines.of(every), spans)
        every_line, spans = self._bulk[as_of]
        if self.context.client(client_id) is None:
            raise UnknownClient(client_id)
        return every_line.part(*spans.get(client_id, (0, 0)))

    def build(
        self, request: Request, *, issued_on: dt.date, as_of: dt.date | None = None
    ) -> Document:
        """The document ``request`` asks for, dated ``issued_on``.

        Args:
            request: which document.
            issued_on: the document's date.
            as_of: for an invoice or a superbill, the day the payments shown are counted
                to (default: ``issued_on``); the other documents' days are fixed.

        Raises:
            UnknownClient: the client is not on the Clients sheet.
            LookupError: the request names a payment or session that cannot be used, or
                leaves nothing to bill.
            ValueError: the request is not a possible one (an empty period…).
        """
        ctx = self.context
        if isinstance(request, StatementRequest):
            rec = self.reconciliation(request.end)
            seen = self._statements[request.end] = self._statements.get(request.end, 0) + 1
            if seen < 2:  # one statement: the client's explanation alone
                return statement(ctx, rec, request, issued_on)
            lines = self._explained(request.end, request.client_id)
            return statement(ctx, rec, request, issued_on, lines=lines)
        if isinstance(request, ReceiptRequest):
            day = receipt_day(ctx, request)
            if day is None:
                raise LookupError(f"{request.payment_id!r} is not on the Payments sheet")
            return receipt(ctx, self.reconciliation(day), request, issued_on)
        if isinstance(request, InvoiceRequest):
            return invoice(ctx, self.reconciliation(as_of or issued_on), request, issued_on)
        if isinstance(request, SuperbillRequest):
            return superbill(ctx, self.reconciliation(as_of or issued_on), request, issued_on)
        if isinstance(request, EstimateRequest):
            s = self.book.settings
            return estimate(ctx, request, issued_on, s.currency, s.locale)
        raise TypeError(f"not a document request: {type(request).__name__}")
