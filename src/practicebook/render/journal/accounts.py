"""Account names and codes of the accounting export, and each format's spelling of them.

A posting names a *role* (``receivables``, ``processor_fees``, ``account:CHK``,
``income:Couples``, ``adjustment:write_off``); the ExportAccounts sheet names the
accountant's account for any role, and ``schema.bank.EXPORT_ROLES`` gives the default
of the rest. A bank or processor account defaults to ``Assets:Bank:<ID>`` or
``Assets:Clearing:<ID>``, an income category to ``Income:<category>``.

beancount accepts fewer names than the others (five roots, each part starting with a
capital letter or digit, no spaces): ``beancount_name`` makes any name one it accepts,
the same way every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from practicebook.model import Book
from practicebook.schema.bank import EXPORT_ROLES

__all__ = ["AccountNames", "beancount_name", "hledger_name"]

#: Xero's standard chart codes, used when ExportAccounts gives no code.
XERO_CODES = {
    "receivables": "610",
    "income": "200",
    "cancellation_fees": "260",
    "processor_fees": "404",
}
_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
_PART = re.compile(r"[^0-9A-Za-z\u00c0-\uffff-]+")


@dataclass(frozen=True)
class AccountNames:
    """The name (and code) of each role, from the ExportAccounts sheet and the defaults."""

    names: dict[str, str]
    codes: dict[str, str]
    kinds: dict[str, str]  # account ID -> "bank" | "processor"

    @classmethod
    def of(cls, book: Book, kinds: dict[str, str]) -> AccountNames:
        """The names ``book`` sets; ``kinds`` says which accounts are processors'."""
        frame = book.frames["ExportAccounts"]
        names, codes = {}, {}
        for role, account, code in zip(
            frame["role"].tolist(), frame["account"].tolist(), frame["code"].tolist(), strict=True
        ):
            if isinstance(role, str) and isinstance(account, str) and account.strip():
                names[role.strip()] = " ".join(account.split())
                if isinstance(code, str) and code.strip():
                    codes[role.strip()] = code.strip()
        return cls(names, codes, kinds)

    def name(self, role: str) -> str:
        """The account name of ``role``."""
        if role in self.names:
            return self.names[role]
        if role in EXPORT_ROLES:
            return EXPORT_ROLES[role]
        family, _, rest = role.partition(":")
        if family == "account":
            parent = "clearing" if self.kinds.get(rest) == "processor" else "bank"
            return f"{self.name(parent)}:{rest}"
        if family == "income":
            return f"{self.name('income').rpartition(':')[0] or 'Income'}:{rest}"
        if family == "client":
            return f"{self.name('receivables')}:{rest}"
        if family == "adjustment":
            return self.name("adjustment:correction")
        raise KeyError(role)

    def code(self, role: str) -> str:
        """The account code of ``role`` (Xero): ExportAccounts' code, Xero's standard
        chart, else the account name."""
        family = role.partition(":")[0]
        for key in (role, family if family in ("income", "client") else role):
            if key in self.codes:
                return self.codes[key]
        lookup = {"income": "income", "client": "receivables"}.get(family, role)
        return self.codes.get(lookup) or XERO_CODES.get(lookup) or self.name(role)

    def root(self, role: str) -> str:
        """The beancount root a role's account belongs under."""
        first = self.name(role).split(":")[0].strip().title()
        if first in _ROOTS:
            return first
        family = role.partition(":")[0]
        if family in ("income",) or role == "cancellation_fees":
            return "Income"
        if role in ("processor_fees",) or role.startswith("adjustment:write_off"):
            return "Expenses"
        if role in ("not_client_money", "opening_balances"):
            return "Equity"
        return "Assets"


def hledger_name(name: str) -> str:
    """``name`` as hledger reads it: single spaces (two end an account name), no ``;``."""
    return " ".join(name.replace(";", ",").split())


def beancount_name(name: str, root: str) -> str:
    """``name`` as beancount accepts it, under ``root`` when its first part is not one.

    >>> beancount_name("Income:Cancellation Fees", "Income")
    'Income:Cancellation-Fees'
    >>> beancount_name("Bank fees & charges", "Expenses")
    'Expenses:Bank-fees-charges'
    >>> beancount_name("Assets:Receivables:Clients:c0001", "Assets")
    'Assets:Receivables:Clients:C0001'
    """
    parts = [p for p in (_PART.sub("-", part.strip()).strip("-") for part in name.split(":")) if p]
    if not parts or parts[0].title() not in _ROOTS:
        parts.insert(0, root)
    parts[0] = parts[0].title()
    fixed = [parts[0]]
    for part in parts[1:]:
        part = re.sub("-{2,}", "-", part)
        fixed.append(part[0].upper() + part[1:] if part[0].isalpha() else part)
    return ":".join(fixed)
