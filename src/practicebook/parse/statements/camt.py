"""ISO 20022 CAMT.053 bank-to-customer statements (XML), read with defusedxml.

Any version of the message reads the same: elements are found by local name, whatever
the namespace. Booked entries (``Ntry`` with status ``BOOK``) become lines: amount and
its credit/debit sign, booking date, the bank's reference (``AcctSvcrRef``, else the
entry reference) as the external ID, the remittance text masked as the description.
The debtor's and creditor's names are never read. The closing booked balance
(``CLBD``) becomes the statement's closing balance. DTDs and entities are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from practicebook.issues import Code
from practicebook.parse.statements.mask import mask_description
from practicebook.parse.statements.model import Problems, StatementBalance, StatementLine
from practicebook.parse.statements.text import AmountReader, DayReader, TextProblem

__all__ = ["looks_like_camt", "read_camt"]

_ISO_DAYS = DayReader("YMD")


def looks_like_camt(text: str) -> bool:
    """True for a CAMT.053 statement."""
    head = text[:4096]
    return "BkToCstmrStmt" in head or "camt.053" in head


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _children(element: Any, name: str) -> Iterator[Any]:
    return (c for c in element if _local(c.tag) == name)


def _all(element: Any, name: str) -> Iterator[Any]:
    return (e for e in element.iter() if _local(e.tag) == name)


def _text(element: Any, *path: str) -> str:
    for name in path:
        element = next(_children(element, name), None)
        if element is None:
            return ""
    return (element.text or "").strip()


def read_camt(
    text: str, problems: Problems, *, currency: str, locale: str
) -> tuple[tuple[StatementLine, ...], tuple[StatementBalance, ...], str | None]:
    """The booked lines, closing balance and currency of a CAMT.053 statement."""
    try:
        root = fromstring(text.encode("utf-8"), forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        problems.file(
            f"the CAMT file cannot be read as XML ({type(exc).__name__})",
            "Download the statement again.",
        )
        return (), (), None
    statements = list(_all(root, "Stmt"))
    if len(statements) != 1:
        problems.file(
            f"the CAMT file holds {len(statements)} statements; practicebook reads one at a time",
            "Download one account's statement for one period.",
        )
        return (), (), None
    statement = statements[0]
    found = {a.get("Ccy") for a in _all(statement, "Amt") if a.get("Ccy")}
    currency_found = found.pop() if len(found) == 1 else None
    amounts = AmountReader(currency_found or currency, locale, ".")
    lines = []
    for number, entry in enumerate(_children(statement, "Ntry"), 1):
        status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
        if status and status.upper() != "BOOK":
            continue
        try:
            lines.append(_line(entry, number, amounts))
        except TextProblem as exc:
            problems.cell(Code.BAD_MONEY, number, 0, f"entry {number}: {exc}")
    return tuple(lines), _closing(statement, amounts, problems), currency_found


def _signed(element: Any, amounts: AmountReader) -> int:
    amount = amounts.minor(_text(element, "Amt"))
    return -amount if _text(element, "CdtDbtInd").upper() == "DBIT" else amount


def _day(element: Any, name: str) -> dt.date:
    return _ISO_DAYS.day(_text(element, name, "Dt") or _text(element, name, "DtTm"))


def _line(entry: Any, number: int, amounts: AmountReader) -> StatementLine:
    remittance = " ".join(u.text or "" for u in _all(entry, "Ustrd"))
    words = remittance or _text(entry, "AddtlNtryInf")
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    end_to_end = [e.text.strip() for e in _all(entry, "EndToEndId") if e.text]
    return StatementLine(
        number,
        _day(entry, "BookgDt"),
        _signed(entry, amounts),
        description=mask_description(words),
        external_id=reference or None,
        reference=tuple(r for r in end_to_end if r.upper() != "NOTPROVIDED"),
    )


def _closing(
    statement: Any, amounts: AmountReader, problems: Problems
) -> tuple[StatementBalance, ...]:
    for balance in _children(statement, "Bal"):
        code = _text(balance, "Tp", "CdOrPrtry", "Cd")
        if code.upper() != "CLBD":
            continue
        try:
            return (
                StatementBalance(
                    _day(balance, "Dt"), _signed(balance, amounts), "statement closing balance"
                ),
            )
        except TextProblem as exc:
            problems.note(Code.BAD_MONEY, 0, f"the closing balance is left out: {exc}")
    return ()
