"""The register of issued documents (the Documents sheet): numbers, voids, what each
invoice and superbill billed, and the findings about it.

Numbers run in one series per type behind the practice's prefix (``INV-00001``,
``RB-ST-00012``); the next number is one past the highest ever issued in its series,
so a number is never given twice, even after a void. A void is a row of its own
(``VOID-00003`` voids ``INV-00002``); nothing issued is ever rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicebook.core.amounts import is_money, minor_units
from practicebook.core.documents.context import blank, days, present
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.l10n import format_money
from practicebook.model import ROW, Book
from practicebook.schema.documents import DOCUMENT_SERIES

__all__ = [
    "GFE_DISPUTE_THRESHOLD",
    "TWICE",
    "Billed",
    "billed_charges",
    "live_documents",
    "next_numbers",
    "register_findings",
    "series",
    "split_ids",
    "voided_numbers",
]

#: Billed charges at least this far (in cents) above a good-faith estimate let a US
#: self-pay client dispute the bill (No Surprises Act).
GFE_DISPUTE_THRESHOLD = 40_000


#: The code of a charge billed twice, by the kind of document that bills it.
TWICE = {"invoice": Code.INVOICE_CHARGE_TWICE, "superbill": Code.SUPERBILL_SESSION_TWICE}


@dataclass(frozen=True)
class Billed:
    """Where a charge is billed: the document's number and its cell in the register."""

    number: str
    where: CellRef


def series(kind: str, prefix: str | None) -> str:
    """The text every number of ``kind`` starts with (``RB-INV-`` for prefix ``RB-``)."""
    return f"{prefix or ''}{DOCUMENT_SERIES[kind]}-"


def next_numbers(issued: Iterable[str], kind: str, prefix: str | None, count: int = 1) -> list[str]:
    """The next ``count`` numbers of ``kind``'s series, one past the highest in ``issued``.

    >>> next_numbers(["INV-00001", "INV-00007", "ST-00009"], "invoice", None, 2)
    ['INV-00008', 'INV-00009']
    """
    head = series(kind, prefix)
    pattern = re.compile(re.escape(head) + r"(\d+)$", re.IGNORECASE)
    highest = max((int(m.group(1)) for n in issued if (m := pattern.match(n.strip()))), default=0)
    return [f"{head}{highest + k:05d}" for k in range(1, count + 1)]


def split_ids(text: object) -> list[str]:
    """The IDs of a comma-separated cell."""
    value = present(text)
    return [p.strip() for p in value.split(",") if p.strip()] if value else []


def voided_numbers(book: Book) -> set[str]:
    """The numbers a void row cancels."""
    docs = book.frame("Documents")
    return {str(v) for v in docs["voids"] if not blank(v)}


def live_documents(book: Book, kind: str | None = None) -> pd.DataFrame:
    """The register's documents that are not voids and not voided (of ``kind``)."""
    docs = book.frame("Documents")
    keep = (docs["type"] != "void") & ~docs["document_number"].isin(voided_numbers(book))
    if kind is not None:
        keep &= docs["type"] == kind
    return docs[keep.to_numpy(dtype=bool)]


def billed_charges(book: Book, kind: str) -> dict[str, Billed]:
    """Each charge on a live document of ``kind`` (invoice or superbill): the first one."""
    out: dict[str, Billed] = {}
    docs = live_documents(book, kind)
    for number, ids, row in zip(
        docs["document_number"], docs["charge_ids"], docs[ROW], strict=True
    ):
        for charge in split_ids(ids):
            out.setdefault(
                charge, Billed(str(number), book.cell("Documents", "charge_ids", int(row)))
            )
    return out


def register_findings(book: Book, charges: pd.DataFrame) -> list[Issue]:
    """The register's findings: a charge on two live invoices (or superbills), and a
    good-faith estimate exceeded by the dispute threshold (``charges``: the core's
    charge lines, money exact or in minor units)."""
    return _twice(book) + _gfe_variance(book, charges)


def _twice(book: Book) -> list[Issue]:
    issues: list[Issue] = []
    for kind in ("invoice", "superbill"):
        first: dict[str, str] = {}
        docs = live_documents(book, kind)
        for number, ids, row in zip(
            docs["document_number"], docs["charge_ids"], docs[ROW], strict=True
        ):
            for charge in split_ids(ids):
                if charge in first and first[charge] != number:
                    issues.append(
                        Issue(
                            TWICE[kind],
                            Severity.ERROR,
                            f"charge {charge} is on {kind} {first[charge]} and on {number}",
                            book.cell("Documents", "charge_ids", int(row)),
                            f"Void one of the two {kind}s (practicebook void); a charge is "
                            f"billed on one {kind} at a time.",
                            row_id=str(number),
                        )
                    )
                first.setdefault(charge, str(number))
    return issues


def _gfe_variance(book: Book, charges: pd.DataFrame) -> list[Issue]:
    settings = book.settings
    estimates = live_documents(book, "estimate")
    if settings.currency != "USD" or estimates.empty or charges.empty:
        return []
    amount = (
        minor_units(charges["amount"])
        if is_money(charges["amount"])
        else (charges["amount"].to_numpy(dtype=np.int64))
    )
    day = days(charges["date"])
    client = charges["client_id"].to_numpy(dtype=object)
    issues: list[Issue] = []
    records: list[Mapping[str, object]] = estimates.to_dict("records")
    for row in records:
        if blank(row["client_id"]) or blank(row["period_start"]) or blank(row["period_end"]):
            continue
        first = np.datetime64(pd.Timestamp(row["period_start"]).date(), "D")
        last = np.datetime64(pd.Timestamp(row["period_end"]).date(), "D")
        inside = (client == row["client_id"]) & (day >= first) & (day <= last)
        billed = int(amount[inside].sum())
        total = 0 if blank(row["total"]) else int(row["total"])  # type: ignore[call-overload]
        if billed - total < GFE_DISPUTE_THRESHOLD:
            continue
        money = [format_money(m, "USD", settings.locale) for m in (billed, total, billed - total)]
        issues.append(
            Issue(
                Code.GFE_VARIANCE,
                Severity.WARNING,
                f"charges of {row['client_id']} from {first} to {last} ({money[0]}) exceed "
                f"good-faith estimate {row['document_number']} ({money[1]}) by {money[2]}",
                book.cell("Documents", "total", int(row[ROW])),  # type: ignore[call-overload]
                "The client may dispute the bill (No Surprises Act: $400 or more above the "
                "estimate); review the charges, or give the client a new estimate before "
                "billing more.",
                row_id=str(row["document_number"]),
                client_id=str(row["client_id"]),
            )
        )
    return issues
