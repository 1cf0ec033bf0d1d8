"""The reconciliation core: fees, ledger, allocation, balances, aging and flags as of a day.

Pure: a ``Book`` in, a ``Reconciliation`` out, no file I/O. The rules (docs/rules.md),
each in its own module:

* ``inputs`` — the rows dated on or before the as-of day; rows after it are ignored
  everywhere.
* ``rates`` — the Services row in effect and each session's rate and its source;
  late cancellations and no-shows are priced by ``practicebook.core.policy``.
* ``ledger`` — the charge lines and every entry signed, debits raising what the
  client owes.
* ``allocation`` — targeted credits to their session's charge first, the rest to the
  oldest open debit; what is left is the client's credit.
* ``balances`` — balances, the per-client dates, and aging into the practice's
  buckets.
* ``controls`` — the ledger findings; ``cancellations`` — the cancellation log.

All money is ``int64`` minor units of the practice currency until the end, where
``Reconciliation.from_core`` makes every money column an exact amount; all work is on
whole columns, with Python loops only over findings and over one client in ``explain``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from practicebook.core import policy
from practicebook.core.allocation import allocate
from practicebook.core.balances import client_aging, client_balances
from practicebook.core.cancellations import cancellation_log
from practicebook.core.controls import aging_mismatch, ledger_issues
from practicebook.core.documents.register import register_findings
from practicebook.core.findings import combine, from_issues
from practicebook.core.inputs import rows_as_of
from practicebook.core.ledger import CHARGE_INPUTS, charge_lines, session_codes, signed_ledger
from practicebook.core.rates import priced_sessions
from practicebook.core.result import Reconciliation
from practicebook.model import Book

__all__ = ["as_of_day", "reconcile"]


def as_of_day(as_of: dt.date | str | None, timezone: str) -> dt.date:
    """The reconciliation day: ``as_of`` as a date, or today in ``timezone``.

    A text day is written ``YYYY-MM-DD`` (``2026-03-31``); every door reports a bad one
    with this function's message.

    Raises:
        ValueError: ``as_of`` is text that is not a day in that form, or not a date.
    """
    if as_of is None:
        return dt.datetime.now(ZoneInfo(timezone)).date()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    if not isinstance(as_of, str):
        raise ValueError(f"as_of must be a date or YYYY-MM-DD text, not {type(as_of).__name__}")
    text = as_of.strip()
    shape = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if shape is None:
        raise ValueError(f"{as_of!r} is not a day: write it as YYYY-MM-DD, e.g. 2026-03-31")
    year, month, day = map(int, shape.groups())
    if year < 1:
        why = "there is no year 0"
    elif not 1 <= month <= 12:
        why = f"there is no month {month}"
    elif not 1 <= day <= (days := calendar.monthrange(year, month)[1]):
        why = f"{calendar.month_name[month]} {year} has {days} days"
    else:
        return dt.date(year, month, day)
    raise ValueError(f"{as_of!r} is not a day ({why}); write it as YYYY-MM-DD, e.g. 2026-03-31")


def reconcile(book: Book, as_of: dt.date | str | None = None) -> Reconciliation:
    """Derive charges, ledger, balances, aging, flags and the cancellation log.

    Args:
        book: a parsed workbook (``practicebook.load``).
        as_of: the reconciliation day (default: today in the practice time zone). The
            whole day is included; rows dated after it are ignored everywhere.
    """
    settings = book.settings
    day_of = as_of_day(as_of, settings.timezone)
    end = pd.Timestamp(day_of)
    (w, payments, adjustments), client_index = rows_as_of(book, day_of)
    w, day, source = priced_sessions(book, w, client_index)
    assessment = policy.assess(book, w, end, client_index)
    cancellations = cancellation_log(book, w, assessment, day)
    w = w[list(CHARGE_INPUTS)]  # the rest of the sessions' columns can go
    session_code, targets = session_codes(w, payments, adjustments)
    charges = charge_lines(book, w, assessment, source, day, session_code)
    owner = w["client_id"].to_numpy(dtype=object)  # the client of each session code
    session_flags = assessment.flags
    # the sessions' working columns are done with: let them go before the ledger is built
    del w, assessment, source, day, session_code
    ledger = signed_ledger(book, charges, payments, adjustments, *targets)
    open_debit, unallocated = allocate(ledger)
    balances = client_balances(ledger, open_debit, unallocated, client_index)
    aging = client_aging(
        ledger,
        open_debit,
        balances["credit"].to_numpy(dtype=np.int64),
        end,
        settings.payment_terms_days,
        settings.aging_buckets,
        client_index,
    )
    flags = combine(
        [
            *session_flags,
            from_issues(
                ledger_issues(book, payments, adjustments, ledger, charges, owner, targets)
                + aging_mismatch(book, balances, aging)
                + register_findings(book, charges)  # documents: charged twice, estimates
            ),
        ]
    )
    ledger = ledger.assign(open=open_debit + unallocated)
    return Reconciliation.from_core(  # money becomes exact amounts there, once
        as_of=day_of,
        currency=settings.currency,
        locale=settings.locale,
        charges=charges.drop(columns=["_client", "_kind", "_session"]),
        ledger=ledger.drop(columns=["_client", "_phase", "_pos", "_kind", "_session", "_target"]),
        balances=balances,
        aging=aging,
        flags=flags,
        cancellations=cancellations,
    )
