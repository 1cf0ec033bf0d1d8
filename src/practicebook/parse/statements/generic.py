"""A bank's own CSV export, read through a column mapping saved per account.

The mapping is one line of text, kept in the account's ``csv_mapping`` cell::

    date=Posting Date; description=Details; amount=Amount; date_order=DMY; decimal=,

Keys: ``date`` (required); ``amount`` (one signed column) or ``debit`` and/or
``credit`` (money out / money in, either sign written); ``description``, ``balance``
(a running balance: its last value becomes the statement's closing balance) and ``id``
(the bank's own ID of each line), all optional; ``date_order`` (``DMY``, ``MDY`` or
``YMD``; default: what the column shows, else the workbook's locale); ``decimal`` (``.``
or ``,``; default: the workbook's locale); ``invert=yes`` for a card account that
writes purchases as positive amounts. Column names match in any case and spacing.

Without a mapping, the usual headers are recognised (Date / Posting Date, Description /
Payee / Details, Amount or Debit and Credit, Balance), and the mapping found is returned
so it can be saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from practicebook.issues import Code
from practicebook.parse.statements.mask import mask_description
from practicebook.parse.statements.model import Problems, StatementBalance, StatementLine
from practicebook.parse.statements.text import (
    AmountReader,
    CsvTable,
    DayReader,
    TextProblem,
    find_header,
    read_csv,
)

__all__ = ["CsvMapping", "MappingProblem", "guess_mapping", "parse_mapping", "read_generic"]

_COLUMNS = ("date", "description", "amount", "debit", "credit", "balance", "id")
_OPTIONS = ("date_order", "decimal", "invert")
#: Headers recognised without a mapping, most specific first.
_USUAL: dict[str, tuple[str, ...]] = {
    "date": ("Posting Date", "Posted Date", "Transaction Date", "Booking Date", "Date"),
    "description": (
        "Description",
        "Transaction Description",
        "Details",
        "Narrative",
        "Payee",
        "Memo",
        "Name",
    ),
    "amount": ("Amount", "Transaction Amount", "Amount (USD)", "Value"),
    "debit": ("Debit", "Debit Amount", "Withdrawal", "Withdrawals", "Money Out", "Paid Out"),
    "credit": ("Credit", "Credit Amount", "Deposit", "Deposits", "Money In", "Paid In"),
    "balance": ("Balance", "Running Balance", "Running Bal."),
    "id": ("Transaction ID", "FITID", "Reference Number", "Bank Reference"),
}


class MappingProblem(ValueError):
    """A mapping that cannot be used; the message says why."""


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what, and how the file writes days and amounts."""

    columns: Mapping[str, str]
    date_order: str | None = None
    decimal: str | None = None
    invert: bool = False

    def text(self) -> str:
        """The mapping as the one line saved in the account's ``csv_mapping`` cell."""
        parts = [f"{k}={self.columns[k]}" for k in _COLUMNS if k in self.columns]
        if self.date_order:
            parts.append(f"date_order={self.date_order}")
        if self.decimal:
            parts.append(f"decimal={self.decimal}")
        if self.invert:
            parts.append("invert=yes")
        return "; ".join(parts)


def parse_mapping(text: str) -> CsvMapping:
    """A mapping from its one-line text.

    >>> parse_mapping("date=Date; amount=Amount; decimal=,").text()
    'date=Date; amount=Amount; decimal=,'

    Raises:
        MappingProblem: an unknown key, a missing date or amount, a bad option.
    """
    columns: dict[str, str] = {}
    options: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().casefold(), value.strip()
        if not sep or not value:
            raise MappingProblem(f"{part.strip()!r} is not key=value")
        if key in _COLUMNS:
            columns[key] = value
        elif key in _OPTIONS:
            options[key] = value
        else:
            known = ", ".join(_COLUMNS + _OPTIONS)
            raise MappingProblem(f"{key!r} is not a mapping key (known: {known})")
    if "date" not in columns:
        raise MappingProblem("the mapping names no date column (date=…)")
    if not {"amount", "debit", "credit"} & set(columns):
        raise MappingProblem("the mapping names no amount column (amount=… or debit=/credit=…)")
    order = options.get("date_order", "").upper() or None
    if order not in (None, "DMY", "MDY", "YMD"):
        raise MappingProblem("date_order is DMY, MDY or YMD")
    decimal = options.get("decimal") or None
    if decimal not in (None, ".", ","):
        raise MappingProblem("decimal is . or ,")
    invert = options.get("invert", "no").casefold() in ("yes", "true", "1")
    return CsvMapping(columns, order, decimal, invert)


def guess_mapping(table: CsvTable) -> CsvMapping | None:
    """The mapping the usual headers of ``table`` make, or None when there is no date or
    no amount among them."""
    columns: dict[str, str] = {}
    for key, names in _USUAL.items():
        at = table.column(*names)
        if at is not None and table.headers[at] not in columns.values():
            columns[key] = table.headers[at]
    if "amount" in columns:
        columns.pop("debit", None)
        columns.pop("credit", None)
    if "date" not in columns or not {"amount", "debit", "credit"} & set(columns):
        return None
    return CsvMapping(columns)


@dataclass(frozen=True)
class Generic:
    """What ``read_generic`` read."""

    lines: tuple[StatementLine, ...]
    balances: tuple[StatementBalance, ...]
    mapping: CsvMapping | None


def read_generic(
    text: str,
    mapping: CsvMapping | None,
    problems: Problems,
    *,
    currency: str,
    locale: str,
    date_order: str,
) -> Generic:
    """The lines of a bank's CSV; problems are recorded in ``problems``."""
    rows = read_csv(text)
    if mapping is None:
        table = _first_table(rows)
        mapping = guess_mapping(table) if table is not None else None
        if mapping is None:
            problems.file(
                "the columns of this CSV file are not ones practicebook recognises",
                "Give the mapping once, e.g. --mapping 'date=Posting Date; description=Details; "
                "amount=Amount'; it is saved for the account.",
            )
            return Generic((), (), None)
    else:
        table = find_header(rows, [[mapping.columns["date"]]])
        if table is None:
            problems.file(
                f"no header row names the mapping's date column {mapping.columns['date']!r}",
                "Check the account's csv_mapping against the file's header row.",
            )
            return Generic((), (), mapping)
    if table is None:
        return Generic((), (), mapping)
    at = {}
    for key, header in mapping.columns.items():
        position = table.column(header)
        if position is None:
            problems.file(
                f"the file has no column {header!r} (the mapping's {key})",
                "Check the account's csv_mapping against the file's header row.",
                Code.MISSING_COLUMN,
            )
            return Generic((), (), mapping)
        at[key] = position
    return _read_rows(table, at, mapping, problems, currency, locale, date_order)


def _first_table(rows: list[tuple[int, list[str]]]) -> CsvTable | None:
    for names in _USUAL["date"]:
        table = find_header(rows, [[names]])
        if table is not None and guess_mapping(table) is not None:
            return table
    return None


def _read_rows(
    table: CsvTable,
    at: Mapping[str, int],
    mapping: CsvMapping,
    problems: Problems,
    currency: str,
    locale: str,
    date_order: str,
) -> Generic:
    amounts = AmountReader(currency, locale, mapping.decimal)
    dates = [r[at["date"]] for r in table.rows]
    days = (
        DayReader(mapping.date_order)
        if mapping.date_order
        else DayReader.for_column(dates, date_order)
    )
    lines: list[StatementLine] = []
    running: list[tuple[int, int]] = []  # (position in lines, balance)
    for row, line in zip(table.rows, table.lines, strict=True):
        try:
            posted = days.day(row[at["date"]])
        except TextProblem as exc:
            problems.cell(Code.BAD_DATE, line, at["date"] + 1, str(exc), "Check date_order.")
            continue
        try:
            amount = _amount(row, at, amounts)
            balance = amounts.minor(row[at["balance"]]) if "balance" in at else None
        except TextProblem as exc:
            column = next(at[k] for k in ("amount", "credit", "debit", "balance") if k in at)
            problems.cell(
                Code.BAD_MONEY, line, column + 1, str(exc), "Check the mapping's decimal."
            )
            continue
        if amount is None:
            continue  # a row with no amount: a heading or a pending line
        description = row[at["description"]] if "description" in at else ""
        external = row[at["id"]].strip() if "id" in at else ""
        lines.append(
            StatementLine(
                line,
                posted,
                -amount if mapping.invert else amount,
                description=mask_description(description),
                external_id=external or None,
            )
        )
        if balance is not None:
            running.append((len(lines) - 1, balance))
    return Generic(tuple(lines), _closing(lines, running, mapping.invert), mapping)


def _amount(row: tuple[str, ...], at: Mapping[str, int], amounts: AmountReader) -> int | None:
    if "amount" in at:
        text = row[at["amount"]]
        return amounts.minor(text) if text.strip() else None
    debit = row[at["debit"]] if "debit" in at else ""
    credit = row[at["credit"]] if "credit" in at else ""
    if not debit.strip() and not credit.strip():
        return None
    return abs(amounts.optional(credit)) - abs(amounts.optional(debit))


def _closing(
    lines: list[StatementLine], running: list[tuple[int, int]], invert: bool
) -> tuple[StatementBalance, ...]:
    """The balance after the latest day's last line, when the file is in date order (either
    way) and every line carries a running balance."""
    if not running or len(running) != len(lines):
        return ()
    days = [line.posted for line in lines]
    if days == sorted(days):
        _, balance = running[-1]
    elif days == sorted(days, reverse=True):
        _, balance = running[0]
    else:
        return ()
    return (StatementBalance(max(days), -balance if invert else balance, "running balance"),)
