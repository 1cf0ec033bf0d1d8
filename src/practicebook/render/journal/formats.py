"""A journal in each format an accountant's tools import.

* ``hledger``: transactions with a balance assertion (``= balance``) on every posting
  to a bank or processor account;
* ``beancount``: ``open`` directives, transactions, and a ``balance`` directive for
  each statement account's end of day, dated the next day (beancount checks a balance
  at the start of its day);
* ``qbo``: QuickBooks Online's journal-entry import (Journal No., Journal Date, Account
  Name, Debits, Credits, Description, Name); receivables lines carry a customer name, as
  QuickBooks requires: ``Clients``, or the client ID with client IDs;
* ``xero``: Xero's manual-journal import (``*Narration`` … ``*Amount``, + debit), split
  into files of at most ``XERO_LINES`` lines without splitting a journal (a journal
  longer than that is imported as balanced parts, see ``_xero_parts``);
* ``csv``: one row per posting (date, journal, account, code, debit, credit).

Text cells of the CSV formats are neutralised (a leading ``= + - @``, tab or CR gets a
``'``) so a spreadsheet never reads them as a formula. Amounts have the currency's
digits and a ``.`` decimal mark in every format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence

from practicebook.money import from_minor
from practicebook.render.cells import needs_quote_prefix
from practicebook.render.journal.accounts import AccountNames, beancount_name, hledger_name
from practicebook.render.journal.entries import Journal, Posting, Transaction

__all__ = [
    "XERO_LINES",
    "render_beancount",
    "render_csv",
    "render_hledger",
    "render_qbo",
    "render_xero",
]

#: Most lines Xero takes in one manual-journal import file.
XERO_LINES = 300
_HEAD = "no client names, diagnoses or memos"


def _amount(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def _journal_title(journal: Journal) -> str:
    start = journal.start.isoformat() if journal.start else "the first entry"
    return (
        f"practicebook journal from {start} through {journal.end.isoformat()}, {journal.currency}"
    )


# --- plain-text accounting --------------------------------------------------------------


def render_hledger(journal: Journal, names: AccountNames) -> str:
    """The journal for hledger."""
    cur = journal.currency
    out = [f"; {_journal_title(journal)}", f"; {_HEAD}", ""]
    for t in journal.transactions:
        code = f" ({_code(t.code)})" if t.code else ""
        out.append(f"{t.date.isoformat()} *{code} {t.narration}")
        width = max(len(hledger_name(names.name(p.role))) for p in t.postings) + 4
        for p in t.postings:
            name = hledger_name(names.name(p.role))
            line = f"    {name:<{width}}{_amount(p.amount, cur):>14} {cur}"
            if p.balance is not None:
                line += f" = {_amount(p.balance, cur)} {cur}"
            out.append(line)
        out.append("")
    return "\n".join(out)


def _code(code: str) -> str:
    return code.replace("(", "[").replace(")", "]").replace("\n", " ")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', "'") + '"'


def render_beancount(journal: Journal, names: AccountNames) -> str:
    """The journal for beancount."""
    cur = journal.currency
    name = {role: beancount_name(names.name(role), names.root(role)) for role in journal.roles()}
    first = journal.transactions[0].date if journal.transactions else journal.end
    out = [f"; {_journal_title(journal)}", f"; {_HEAD}", f'option "operating_currency" "{cur}"', ""]
    out += [f"{first.isoformat()} open {account} {cur}" for account in sorted(set(name.values()))]
    out.append("")
    end_of_day: dict[tuple[str, dt.date], int] = {}
    for t in journal.transactions:
        out.append(f"{t.date.isoformat()} * {_quoted(t.narration)}")
        if t.code:
            out.append(f"  code: {_quoted(t.code)}")
        for p in t.postings:
            out.append(f"  {name[p.role]}  {_amount(p.amount, cur)} {cur}")
            if p.balance is not None:
                end_of_day[(p.role, t.date)] = p.balance
        out.append("")
    for (role, day), balance in sorted(end_of_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        after = (day + dt.timedelta(days=1)).isoformat()
        out.append(f"{after} balance {name[role]}  {_amount(balance, cur)} {cur}")
    return "\n".join(out) + "\n"


# --- spreadsheets -------------------------------------------------------------------------


def _cell(text: str) -> str:
    return "'" + text if needs_quote_prefix(text) else text


def _rows_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _numbered(journal: Journal) -> list[tuple[str, Transaction]]:
    """Each transaction with a journal number unique in the export (``PB-20260303-002``)."""
    count: dict[dt.date, int] = defaultdict(int)
    out = []
    for t in journal.transactions:
        count[t.date] += 1
        out.append((f"PB-{t.date:%Y%m%d}-{count[t.date]:03d}", t))
    return out


def _day_text(day: dt.date, order: str) -> str:
    return {"MDY": f"{day:%m/%d/%Y}", "DMY": f"{day:%d/%m/%Y}"}.get(order, day.isoformat())


def _customer(p: Posting) -> str:
    family, _, rest = p.role.partition(":")
    if family == "client":
        return rest
    return "Clients" if p.role == "receivables" else ""


def render_qbo(journal: Journal, names: AccountNames, date_order: str) -> str:
    """The journal as QuickBooks Online's journal-entry import."""
    cur = journal.currency
    rows = []
    for number, t in _numbered(journal):
        for p in t.postings:
            debit = _amount(p.amount, cur) if p.amount > 0 else ""
            credit = _amount(-p.amount, cur) if p.amount < 0 else ""
            rows.append(
                [
                    number,
                    _day_text(t.date, date_order),
                    _cell(names.name(p.role)),
                    debit,
                    credit,
                    _cell(t.narration),
                    _cell(_customer(p)),
                ]
            )
    header = [
        "Journal No.",
        "Journal Date",
        "Account Name",
        "Debits",
        "Credits",
        "Description",
        "Name",
    ]
    return _rows_text(header, rows)


def render_xero(journal: Journal, names: AccountNames, date_order: str) -> list[str]:
    """The journal as Xero manual-journal import files of at most ``XERO_LINES`` lines."""
    cur = journal.currency
    tax = names.names.get("xero_tax_rate", "Tax Exempt")
    header = [
        "*Narration",
        "*Date",
        "Description",
        "*AccountCode",
        "*TaxRate",
        "*Amount",
        "TrackingName1",
        "TrackingOption1",
        "TrackingName2",
        "TrackingOption2",
    ]
    files: list[list[list[str]]] = [[]]
    for number, t in _numbered(journal):
        for narration, postings in _xero_parts(f"{t.narration} {number}", t.postings):
            lines = [
                [
                    _cell(narration),
                    _day_text(t.date, date_order),
                    _cell(_customer(p) or t.narration),
                    _cell(names.code(p.role)),
                    _cell(tax),
                    _amount(p.amount, cur),
                    "",
                    "",
                    "",
                    "",
                ]
                for p in postings
            ]
            if files[-1] and len(files[-1]) + len(lines) > XERO_LINES:
                files.append([])
            files[-1] += lines
    return [_rows_text(header, rows) for rows in files]


def _xero_parts(narration: str, postings: list[Posting]) -> list[tuple[str, list[Posting]]]:
    """A journal as Xero journals of at most ``XERO_LINES`` lines: itself, or (a day's
    receivables per client can be longer) parts of ``XERO_LINES - 1`` postings, each
    balanced by a line to the ``journal_split`` clearing account, whose lines add up to
    0 over the parts."""
    if len(postings) <= XERO_LINES:
        return [(narration, postings)]
    size = XERO_LINES - 1
    chunks = [postings[i : i + size] for i in range(0, len(postings), size)]
    return [
        (
            f"{narration} part {n} of {len(chunks)}",
            [*chunk, Posting("journal_split", -total)] if (total := _total(chunk)) else chunk,
        )
        for n, chunk in enumerate(chunks, 1)
    ]


def _total(postings: list[Posting]) -> int:
    return sum(p.amount for p in postings)


def render_csv(journal: Journal, names: AccountNames) -> str:
    """One row per posting."""
    cur = journal.currency
    rows = []
    for number, t in _numbered(journal):
        for p in t.postings:
            debit = _amount(p.amount, cur) if p.amount > 0 else ""
            credit = _amount(-p.amount, cur) if p.amount < 0 else ""
            client = p.role.partition(":")[2] if p.role.startswith("client:") else ""
            rows.append(
                [
                    t.date.isoformat(),
                    number,
                    _cell(t.narration),
                    _cell(t.code or ""),
                    _cell(names.name(p.role)),
                    _cell(names.code(p.role)),
                    debit,
                    credit,
                    cur,
                    client,
                ]
            )
    header = [
        "date",
        "journal",
        "description",
        "reference",
        "account",
        "account_code",
        "debit",
        "credit",
        "currency",
        "client_id",
    ]
    return _rows_text(header, rows)
