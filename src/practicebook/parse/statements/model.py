"""What a statement file becomes: its lines, the balances it states, and its problems.

A ``Statement`` holds no value of a column that can name a client: descriptions are
masked when read (``mask``), and the processors' customer, email, note and metadata
columns are never read at all. Amounts are integer minor units of the currency the
statement was read in, signed from the account holder's side (+ money in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from practicebook.issues import CellRef, Code, Issue, Severity

__all__ = ["Problems", "Statement", "StatementBalance", "StatementLine"]


class StatementLine(NamedTuple):
    """One line of a statement (a named tuple: a year's statements hold tens of thousands).

    Attributes:
        row: where it is in the file (the CSV line, or the OFX/CAMT entry's number).
        posted: the day it was posted.
        amount: minor units, + money in, - money out (a processor's line: its gross).
        fee: the processor's fee on it (+ taken), 0 for a bank's line.
        description: masked (``mask.mask_description``).
        external_id: the statement's own ID of the line (FITID, balance transaction…).
        reference: the processor's IDs of the payment, which a recorded payment may quote.
        payout_id: the payout it went out in (a processor's line).
        type: ``payment``, ``refund``, ``payout``, ``fee`` or ``adjustment`` for a
            processor's line, None for a bank's.
    """

    row: int
    posted: dt.date
    amount: int
    fee: int = 0
    description: str = ""
    external_id: str | None = None
    reference: tuple[str, ...] = ()
    payout_id: str | None = None
    type: str | None = None

    @property
    def net(self) -> int:
        """What the line moves the account's balance by."""
        return self.amount - self.fee


@dataclass(frozen=True)
class StatementBalance:
    """A balance the statement states: the account's balance at the end of ``date``."""

    date: dt.date
    amount: int
    source: str


@dataclass(frozen=True)
class Statement:
    """A statement file as read.

    Attributes:
        name: the file's name (issues are located in it: ``'march.csv'!C5``).
        format: ``csv``, ``ofx``, ``camt``, ``stripe``, ``square`` or ``paypal``.
        sha256: the file's SHA-256, recorded on every line imported from it.
        lines: the lines, in file order.
        balances: balances the statement states (closing balance, running balance).
        currency: the currency the file names, when it names one.
        mapping: the column mapping a generic CSV was read with (text form), to save.
        issues: problems; any error means nothing of the file should be imported.
    """

    name: str
    format: str
    sha256: str
    lines: tuple[StatementLine, ...] = ()
    balances: tuple[StatementBalance, ...] = ()
    currency: str | None = None
    mapping: str | None = None
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the file was read without an error-level problem."""
        return not any(i.is_error for i in self.issues)

    @property
    def unreadable(self) -> bool:
        """True when the file as a whole could not be read (not a statement, damaged)."""
        return any(i.is_error and i.where.row == 0 for i in self.issues)

    @property
    def processor(self) -> str | None:
        """The processor a processor's file comes from, None for a bank's file."""
        return self.format if self.format in ("stripe", "square", "paypal") else None


@dataclass
class Problems:
    """The issues of one file being read, each located in it."""

    name: str
    issues: list[Issue] = field(default_factory=list)

    def file(self, message: str, hint: str, code: Code = Code.HEADER_NOT_FOUND) -> None:
        """The whole file cannot be read."""
        self.issues.append(Issue(code, Severity.ERROR, message, CellRef(self.name), hint))

    def cell(self, code: Code, row: int, col: int, message: str, hint: str = "") -> None:
        """One value of the file cannot be read."""
        self.issues.append(Issue(code, Severity.ERROR, message, CellRef(self.name, row, col), hint))

    def note(self, code: Code, row: int, message: str, hint: str = "") -> None:
        """Something the reader passed over on purpose, worth saying."""
        where = CellRef(self.name, row)
        self.issues.append(Issue(code, Severity.NOTE, message, where, hint))

    @property
    def failed(self) -> bool:
        """True once any error was recorded."""
        return any(i.is_error for i in self.issues)
