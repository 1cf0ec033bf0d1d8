"""OFX and QFX bank statements (OFX 1.x SGML and 2.x XML), read by a small tokenizer.

OFX 1 is SGML: a leaf element's value runs to the next tag, with no closing tag. Rather
than an XML parser (which cannot read it), a tokenizer reads tags and text and closes a
leaf at the next tag; OFX 2 XML reads the same way. No entity is ever expanded beyond
the character references and the five XML names, no DTD is read and nothing is
fetched, so a hostile file can only fail to be a statement. Depth is bounded.

Read: the currency (``CURDEF``), every ``STMTTRN`` (``DTPOSTED``, ``TRNAMT``, ``FITID``,
``NAME``/``MEMO`` masked, ``CHECKNUM``/``REFNUM`` as references) and the closing balance
(``LEDGERBAL``). A file holding several accounts' statements is refused: each account is
imported on its own.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from practicebook.issues import Code
from practicebook.parse.statements.mask import mask_description
from practicebook.parse.statements.model import Problems, StatementBalance, StatementLine
from practicebook.parse.statements.text import AmountReader, TextProblem

__all__ = ["looks_like_ofx", "read_ofx"]

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9._]*)\s*(/?)>")
_DAY = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})")
MAX_DEPTH = 64


def looks_like_ofx(text: str) -> bool:
    """True for an OFX/QFX file (its header, or an ``<OFX>`` element near the top)."""
    head = text[:4096].upper()
    return head.lstrip().startswith("OFXHEADER") or "<OFX>" in head


@dataclass
class _Element:
    name: str
    text: str = ""
    children: list[_Element] = field(default_factory=list)

    def find(self, name: str) -> _Element | None:
        return next(self.iter(name), None)

    def iter(self, name: str) -> Iterator[_Element]:
        for child in self.children:
            if child.name == name:
                yield child
            yield from child.iter(name)

    def value(self, name: str) -> str:
        found = self.find(name)
        return found.text if found is not None else ""


class _Damaged(ValueError):
    """The OFX body cannot be read as elements."""


def _tree(body: str) -> _Element:
    """The elements of an OFX body; a leaf's value is the text up to the next tag."""
    root = _Element("#root")
    stack = [root]
    leaf: _Element | None = None
    position = 0
    for match in _TAG.finditer(body):
        text = body[position : match.start()].strip()
        position = match.end()
        closing, name, empty = match.group(1), match.group(2).upper(), match.group(3)
        if leaf is not None:  # a leaf ends at the next tag: its own closing tag, or any
            leaf.text = html.unescape(text)
            stack.pop()
            own_end = closing and name == leaf.name
            leaf = None
            if own_end:
                continue
        if closing:
            _close(stack, name)
            continue
        element = _Element(name)
        stack[-1].children.append(element)
        if empty:
            continue
        stack.append(element)
        if len(stack) > MAX_DEPTH:
            raise _Damaged("its elements are nested deeper than any statement")
        leaf = element if _is_leaf_next(body, position) else None
    if leaf is not None:
        leaf.text = html.unescape(body[position:].strip())
    return root


def _is_leaf_next(body: str, position: int) -> bool:
    """True when text (not another tag) follows the tag ending at ``position``."""
    following = body[position : position + 256].lstrip()
    return bool(following) and not following.startswith("<")


def _close(stack: list[_Element], name: str) -> None:
    for depth in range(len(stack) - 1, 0, -1):
        if stack[depth].name == name:
            del stack[depth:]
            return


def read_ofx(
    text: str, problems: Problems, *, currency: str, locale: str
) -> tuple[tuple[StatementLine, ...], tuple[StatementBalance, ...], str | None]:
    """The lines, closing balance and currency of an OFX/QFX statement."""
    start = text.upper().find("<OFX>")
    try:
        if start < 0:
            raise _Damaged("it has no <OFX> element")
        root = _tree(text[start:])
    except _Damaged as exc:
        problems.file(f"the OFX file cannot be read: {exc}", "Download the statement again.")
        return (), (), None
    statements = list(root.iter("STMTRS")) + list(root.iter("CCSTMTRS"))
    if not statements:
        problems.file(
            "the OFX file holds no bank statement (no STMTRS)",
            "Download the statement again; choose the account's transactions.",
        )
        return (), (), None
    accounts = {s.value("ACCTID") for s in statements}
    if len(accounts) > 1:
        problems.file(
            f"the OFX file holds the statements of {len(accounts)} accounts",
            "Download one account's statement at a time, and import each into its account.",
        )
        return (), (), None
    found = statements[0].value("CURDEF").upper() or None
    amounts = AmountReader(found or currency, locale, ".")
    commas = AmountReader(found or currency, locale, ",")
    lines: list[StatementLine] = []
    for number, trn in enumerate((t for s in statements for t in s.iter("STMTTRN")), 1):
        line = _line(trn, number, amounts, commas, problems)
        if line is not None:
            lines.append(line)
    return tuple(lines), _closing(statements, amounts, problems), found


def _line(
    trn: _Element, number: int, amounts: AmountReader, commas: AmountReader, problems: Problems
) -> StatementLine | None:
    try:
        posted = _day(trn.value("DTPOSTED"))
    except TextProblem as exc:
        problems.cell(Code.BAD_DATE, number, 0, f"transaction {number}: {exc}")
        return None
    raw = trn.value("TRNAMT")
    try:
        amount = _amount(raw, amounts, commas)
    except TextProblem as exc:
        problems.cell(Code.BAD_MONEY, number, 0, f"transaction {number}: {exc}")
        return None
    name, memo = trn.value("NAME"), trn.value("MEMO")
    words = name if memo in ("", name) else f"{name} {memo}"
    refs = tuple(r for r in (trn.value("CHECKNUM"), trn.value("REFNUM")) if r)
    return StatementLine(
        number,
        posted,
        amount,
        description=mask_description(f"{trn.value('TRNTYPE')} {words}".strip()),
        external_id=trn.value("FITID") or None,
        reference=refs,
    )


def _amount(raw: str, amounts: AmountReader, commas: AmountReader) -> int:
    try:
        return amounts.minor(raw)
    except TextProblem:
        return commas.minor(raw)


def _day(text: str) -> dt.date:
    match = _DAY.match(text)
    if match is None:
        raise TextProblem(f"{text[:20]!r} is not an OFX date (YYYYMMDD…)")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise TextProblem(f"{text[:20]!r} is not a valid date") from None


def _closing(
    statements: list[_Element], amounts: AmountReader, problems: Problems
) -> tuple[StatementBalance, ...]:
    out = []
    for statement in statements:
        ledger = statement.find("LEDGERBAL")
        if ledger is None:
            continue
        try:
            out.append(
                StatementBalance(
                    _day(ledger.value("DTASOF")),
                    amounts.minor(ledger.value("BALAMT")),
                    "statement ending balance",
                )
            )
        except TextProblem as exc:
            problems.note(Code.BAD_MONEY, 0, f"the closing balance is left out: {exc}")
    return tuple(out)
