"""Client documents as content: statements, receipts, invoices, superbills and
good-faith estimates.

Pure: a ``Book`` and a request in, a ``Document`` out (its lines as a frame with exact
money, its totals, the blocks a printer lays out, the issues that keep it from being
issued). Every figure is the core's: statements take ``explain``'s lines and running
balance, receipts the core's allocation, invoices and superbills the charge lines.
``render.pdf`` prints a document; ``workbook.documents`` numbers, writes and records it.

Modules: ``model`` (``Document``, the requests), ``context`` (the book's facts, looked
up once), one module per document, ``register`` (numbers, voids, what is billed, the
register's findings) and ``build`` (``Builder``: any request, one reconciliation per
day).
"""

from __future__ import annotations

from practicebook.core.documents.build import Builder
from practicebook.core.documents.model import (
    Block,
    Document,
    DocumentKind,
    EstimateRequest,
    Frequency,
    InvoiceRequest,
    LineColumn,
    ReceiptRequest,
    Request,
    StatementRequest,
    SuperbillRequest,
    Table,
    Value,
)
from practicebook.core.documents.register import next_numbers, register_findings
from practicebook.core.documents.statement import statement_clients

__all__ = [
    "Block",
    "Builder",
    "Document",
    "DocumentKind",
    "EstimateRequest",
    "Frequency",
    "InvoiceRequest",
    "LineColumn",
    "ReceiptRequest",
    "Request",
    "StatementRequest",
    "SuperbillRequest",
    "Table",
    "Value",
    "next_numbers",
    "register_findings",
    "statement_clients",
]
