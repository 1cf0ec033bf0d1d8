"""The card processors' exports: Stripe's itemized payout reconciliation report, Square's
transactions CSV and PayPal's activity download.

Each row becomes a line of the processor's clearing account: its gross as the amount
and the processor's fee beside it, so the account moves by the net. A payout is a line
too (money leaving the processor for the bank): PayPal writes it as a row; Stripe and
Square name each transaction's payout, and the payout line is made from its
transactions (``-Σ net``, on the payout's day), so the payout identity holds by
construction and the bank deposit it matches proves it.

Columns that can carry a client's name (customer name and email, description, notes,
item titles, metadata) are never read. Descriptions are the processor's kind of line
(``STRIPE CHARGE``), not the file's text.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from practicebook.issues import Code
from practicebook.parse.statements.model import Problems, StatementBalance, StatementLine
from practicebook.parse.statements.text import (
    AmountReader,
    CsvTable,
    DayReader,
    TextProblem,
    find_header,
    read_csv,
)

__all__ = ["Processed", "read_paypal", "read_square", "read_stripe", "recognise"]

#: Header names that identify each processor's export (all of a group must be there).
SIGNATURES: dict[str, tuple[tuple[str, ...], ...]] = {
    "stripe": (("balance_transaction_id",), ("reporting_category",), ("gross",), ("fee",)),
    "square": (("Transaction ID",), ("Net Total",), ("Fees",), ("Deposit ID",)),
    "paypal": (("Transaction ID",), ("Gross",), ("Fee",), ("Net",), ("Balance Impact", "Type")),
}
#: Lines of a file searched for a processor's header row.
_HEAD_LINES = 200

_STRIPE_KIND = {
    "charge": "payment",
    "payment": "payment",
    "refund": "refund",
    "payment_reversal": "refund",
    "partial_capture_reversal": "refund",
    "dispute": "adjustment",
    "dispute_reversal": "adjustment",
    "fee": "fee",
    "platform_earning": "fee",
    "tax": "fee",
    "payout": "payout",
    "payout_reversal": "payout",
}


@dataclass(frozen=True)
class Processed:
    """What a processor's export holds."""

    lines: tuple[StatementLine, ...]
    balances: tuple[StatementBalance, ...] = ()
    currency: str | None = None


def recognise(text: str) -> str | None:
    """The processor whose export ``text`` is, by its header row, or None."""
    head = "\n".join(text.splitlines()[:_HEAD_LINES])
    try:
        rows = read_csv(head)  # the header is among the top rows: read only those
    except TextProblem:  # cut inside a quoted cell
        rows = read_csv(text)
    for name, groups in SIGNATURES.items():
        if find_header(rows, groups) is not None:
            return name
    return None


def _table(text: str, name: str, problems: Problems) -> CsvTable | None:
    table = find_header(read_csv(text), SIGNATURES[name])
    if table is None:
        wanted = ", ".join(g[0] for g in SIGNATURES[name])
        problems.file(
            f"this is not a {name.title()} export practicebook reads (no header with {wanted})",
            "Export the file again from the processor's dashboard, or name its format.",
        )
    return table


class _Row:
    """One data row of a processor's table, its cells by header name (``columns``: the
    positions of the names looked up so far, shared by the table's rows)."""

    def __init__(
        self,
        table: CsvTable,
        cells: tuple[str, ...],
        line: int,
        columns: dict[tuple[str, ...], int | None],
    ) -> None:
        self.table, self.cells, self.line, self.columns = table, cells, line, columns

    def _at(self, names: tuple[str, ...]) -> int | None:
        if names not in self.columns:
            self.columns[names] = self.table.column(*names)
        return self.columns[names]

    def get(self, *names: str) -> str:
        at = self._at(names)
        return self.cells[at].strip() if at is not None else ""

    def col(self, *names: str) -> int:
        at = self._at(names)
        return at + 1 if at is not None else 0


def _rows(table: CsvTable) -> list[_Row]:
    columns: dict[tuple[str, ...], int | None] = {}
    return [
        _Row(table, cells, line, columns)
        for cells, line in zip(table.rows, table.lines, strict=True)
    ]


def _reader(
    table: CsvTable, date_names: tuple[str, ...], default_order: str
) -> Callable[[str], dt.date]:
    return DayReader.for_column(map(_pick(table, *date_names), table.rows), default_order).day


def _payouts(
    lines: list[StatementLine], dates: dict[str, dt.date], label: str
) -> list[StatementLine]:
    """A payout line per payout named by the lines and not written as a row itself."""
    written = {ln.payout_id for ln in lines if ln.type == "payout"}
    net: dict[str, int] = defaultdict(int)
    rows: dict[str, int] = {}
    for ln in lines:
        if ln.payout_id and ln.payout_id not in written:
            net[ln.payout_id] += ln.net
            rows.setdefault(ln.payout_id, ln.row)
    made = []
    for payout, total in sorted(net.items()):
        day = dates.get(payout)
        if day is None:
            continue  # the payout's day is not in the file: it has not gone out yet
        made.append(
            StatementLine(
                rows[payout],
                day,
                -total,
                description=f"{label} PAYOUT",
                external_id=payout,
                payout_id=payout,
                type="payout",
            )
        )
    return made


def _pick(table: CsvTable, *names: str) -> Callable[[tuple[str, ...]], str]:
    """A row's cell of the first column named like one of ``names`` ("" without one);
    cells are stripped when read."""
    at = table.column(*names)
    return operator.itemgetter(at) if at is not None else _blank


def _blank(_cells: tuple[str, ...]) -> str:
    return ""


def _picks(table: CsvTable, *names: str) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A row's cells of the columns ``names`` that the table has, in that order."""
    found = [at for at in (table.column(n) for n in names) if at is not None]
    if len(found) > 1:
        return cast("Callable[[tuple[str, ...]], tuple[str, ...]]", operator.itemgetter(*found))
    return lambda cells: tuple(cells[at] for at in found)


def read_stripe(
    text: str, problems: Problems, *, currency: str, locale: str, date_order: str
) -> Processed:
    """Stripe's itemized payout reconciliation report (``payout_reconciliation.itemized``)."""
    table = _table(text, "stripe", problems)
    if table is None:
        return Processed(())
    created = ("created_utc", "created", "created (UTC)", "charge_created_utc")
    effective = ("automatic_payout_effective_at_utc", "automatic_payout_effective_at")
    day_of = _reader(table, created, date_order)
    payout_day = _reader(table, effective, date_order)
    amounts = AmountReader(currency, locale, ".")
    category_of, created_of = _pick(table, "reporting_category"), _pick(table, *created)
    gross_of, fee_of = _pick(table, "gross"), _pick(table, "fee")
    payout_of, effective_of = _pick(table, "automatic_payout_id"), _pick(table, *effective)
    txn_of = _pick(table, "balance_transaction_id")
    ids_of = _picks(table, "charge_id", "payment_intent_id", "source_id")
    lines: list[StatementLine] = []
    dates: dict[str, dt.date] = {}
    labels: dict[str, str] = {}  # each category's description, made once
    for cells, line in zip(table.rows, table.lines, strict=True):
        category = category_of(cells).casefold()
        kind = _STRIPE_KIND.get(category, "adjustment")
        try:
            posted = day_of(created_of(cells))
            gross, fee = amounts.minor(gross_of(cells)), amounts.optional(fee_of(cells))
            payout = payout_of(cells) or None
            if payout and effective_of(cells):
                dates[payout] = payout_day(effective_of(cells))
        except TextProblem as exc:
            problems.cell(Code.BAD_MONEY, line, 0, str(exc))
            continue
        if kind == "fee":  # a fee of its own: no gross, the whole net is fee
            gross, fee = 0, -(gross - fee)
        label = labels.get(category) or labels.setdefault(
            category, f"STRIPE {category.upper() or 'LINE'}"
        )
        ids = [i for i in ids_of(cells) if i]
        lines.append(
            StatementLine(
                line,
                posted,
                gross,
                fee,
                label,
                txn_of(cells) or None,
                tuple(dict.fromkeys(ids)) if len(ids) > 1 else tuple(ids),
                payout,
                kind,
            )
        )
    lines += _payouts(lines, dates, "STRIPE")
    return Processed(tuple(lines), currency=_currency(table, "currency"))


def read_square(
    text: str, problems: Problems, *, currency: str, locale: str, date_order: str
) -> Processed:
    """Square's transactions CSV: fees negative, a Deposit ID per transaction."""
    table = _table(text, "square", problems)
    if table is None:
        return Processed(())
    rows = _rows(table)
    day_of = _reader(table, ("Date",), date_order)
    deposit_day = _reader(table, ("Deposit Date",), date_order)
    amounts = AmountReader(currency, locale)
    lines: list[StatementLine] = []
    dates: dict[str, dt.date] = {}
    seen: Counter[tuple[object, ...]] = Counter()
    for row in rows:
        try:
            posted = day_of(row.get("Date"))
            collected = amounts.optional(row.get("Total Collected", "Net Total"))
            cash = amounts.optional(row.get("Cash"))
            fee = -amounts.optional(row.get("Fees"))
            deposit = row.get("Deposit ID") or None
            if deposit and row.get("Deposit Date"):
                dates[deposit] = deposit_day(row.get("Deposit Date"))
        except TextProblem as exc:
            problems.cell(Code.BAD_MONEY, row.line, 0, str(exc))
            continue
        gross = collected - cash  # cash taken at the till never enters Square's balance
        if gross == 0 and fee == 0:
            continue
        refund = "refund" in row.get("Event Type").casefold() or gross < 0
        txn = row.get("Transaction ID")
        key = (txn, refund, posted, gross)
        seen[key] += 1
        external = f"{txn}:refund:{posted}:{gross}:{seen[key]}" if refund else txn
        lines.append(
            StatementLine(
                row.line,
                posted,
                gross,
                fee,
                "SQUARE REFUND" if refund else "SQUARE PAYMENT",
                external or None,
                tuple(dict.fromkeys(i for i in (row.get("Payment ID"), txn) if i)),
                deposit,
                "refund" if refund else "payment",
            )
        )
    lines += _payouts(lines, dates, "SQUARE")
    return Processed(tuple(lines))


def read_paypal(
    text: str, problems: Problems, *, currency: str, locale: str, date_order: str
) -> Processed:
    """PayPal's activity download: completed rows that move the balance."""
    table = _table(text, "paypal", problems)
    if table is None:
        return Processed(())
    rows = _rows(table)
    day_of = _reader(table, ("Date",), date_order)
    amounts = AmountReader(currency, locale)
    lines: list[StatementLine] = []
    balances: list[tuple[dt.date, int]] = []
    for row in rows:
        if row.get("Status").casefold() not in ("", "completed"):
            continue
        if row.get("Balance Impact").casefold() == "memo":
            continue
        if row.get("Currency") and row.get("Currency").upper() != currency:
            problems.note(
                Code.BAD_MONEY,
                row.line,
                f"a {row.get('Currency').upper()} line is left out: the account is in {currency}",
            )
            continue
        try:
            posted = day_of(row.get("Date"))
            gross, fee = amounts.minor(row.get("Gross")), -amounts.optional(row.get("Fee"))
            balance = amounts.minor(row.get("Balance")) if row.get("Balance") else None
        except TextProblem as exc:
            problems.cell(Code.BAD_MONEY, row.line, 0, str(exc))
            continue
        kind = _paypal_kind(row.get("Type"), gross)
        txn = row.get("Transaction ID") or None
        lines.append(
            StatementLine(
                row.line,
                posted,
                gross,
                fee,
                f"PAYPAL {kind.upper()}",
                txn,
                tuple(i for i in (txn, row.get("Reference Txn ID")) if i),
                txn if kind == "payout" else None,
                kind,
            )
        )
        if balance is not None:
            balances.append((posted, balance))
    return Processed(tuple(lines), _paypal_closing(lines, balances))


def _paypal_kind(kind: str, gross: int) -> str:
    folded = kind.casefold()
    if "withdraw" in folded or "transfer to bank" in folded or "bank deposit" in folded:
        return "payout"
    if "refund" in folded or "reversal" in folded:
        return "refund"
    if "fee" in folded:
        return "fee"
    return "payment" if gross > 0 else "adjustment"


def _paypal_closing(
    lines: list[StatementLine], balances: list[tuple[dt.date, int]]
) -> tuple[StatementBalance, ...]:
    if not balances or len(balances) != len(lines):
        return ()
    days = [line.posted for line in lines]
    if days == sorted(days):
        day, balance = balances[-1]
    elif days == sorted(days, reverse=True):
        day, balance = balances[0]
    else:
        return ()
    return (StatementBalance(day, balance, "PayPal balance"),)


def _currency(table: CsvTable, name: str) -> str | None:
    found = {c.upper() for c in map(_pick(table, name), table.rows) if c}
    return found.pop() if len(found) == 1 else None
