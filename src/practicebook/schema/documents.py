"""The sheets client documents need: diagnoses for superbills, and the register of
issued documents.

A document, once issued, is never rewritten: the Documents sheet records each one
(number, type, client, period, total, the file's SHA-256), and a correction is a void
row plus a new number. Document numbers run in one series per type (``INV-00001``,
``ST-00001``…), behind the practice's ``document_prefix``.
"""

from __future__ import annotations

from practicebook.schema.spec import Kind, Sheet, column

#: The kinds of document practicebook issues, with the series each one's numbers run in.
DOCUMENT_SERIES = {
    "statement": "ST",
    "receipt": "RC",
    "invoice": "INV",
    "superbill": "SB",
    "estimate": "GFE",
    "void": "VOID",
}
DOCUMENT_TYPES = tuple(DOCUMENT_SERIES)

DIAGNOSES = Sheet(
    "Diagnoses",
    (
        column("client_id", Kind.ID, required=True, references="Clients.client_id"),
        column(
            "icd10_code",
            Kind.ID,
            "ICD-10-CM code, e.g. F41.1.",
            required=True,
            phi=True,
            header="ICD-10 code",
        ),
        column("description", Kind.TEXT, "The diagnosis in words.", phi=True, width=30),
        column("rank", Kind.INTEGER, "1 = primary, 2 = secondary…", default=1, minimum=1),
        column(
            "effective_from",
            Kind.DATE,
            "First day the diagnosis applies (blank = always); a superbill lists it for "
            "sessions on or after this day.",
        ),
        column("effective_to", Kind.DATE, "Last day it applies (blank = open)."),
    ),
    help="Diagnoses per client and period, printed on superbills only.",
    periods=("client_id", "icd10_code"),
    since=2,
)

DOCUMENTS = Sheet(
    "Documents",
    (
        column(
            "document_number",
            Kind.ID,
            "Sequential per type and never reused, e.g. INV-00012.",
            required=True,
            unique=True,
        ),
        column("type", Kind.CHOICE, required=True, choices=DOCUMENT_TYPES),
        column("client_id", Kind.ID, references="Clients.client_id"),
        column("period_start", Kind.DATE),
        column("period_end", Kind.DATE),
        column("issued_at", Kind.DATETIME, required=True, width=18),
        column("total", Kind.MONEY, "The document's total (a statement: its closing balance)."),
        column("sha256", Kind.TEXT, "SHA-256 of the issued file.", width=20, header="SHA-256"),
        column("file_name", Kind.TEXT, width=30),
        column(
            "voids",
            Kind.ID,
            "The document a void row cancels.",
            references="Documents.document_number",
        ),
        column(
            "payment_id", Kind.ID, "The payment a receipt is for.", references="Payments.payment_id"
        ),
        column(
            "charge_ids",
            Kind.TEXT,
            "The charges an invoice or a superbill bills, comma-separated.",
            width=24,
            header="Charge IDs",
        ),
        column("minimal", Kind.BOOL, "Issued in minimal-PHI mode.", default=False),
        column("reason", Kind.TEXT, "Why a document was voided.", phi=True, width=24),
    ),
    help="Every document practicebook issued; a correction is a void and a new number.",
    key="document_number",
    appended_by_practicebook=True,
    since=2,
)
