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

All money is ``int64`` minor units of the practice currency; all work is on whole
columns, with Python loops only over findings and over one client in ``explain``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from practicebook.core import policy
from practicebook.core.allocation import allocate
from practicebook.core.balances import client_aging, client_balances
from practicebook.core.cancellations import cancellation_log
from practicebook.core.controls import aging_mismatch, ledger_issues
from practicebook.core.findings import combine, from_issues
from practicebook.core.inputs import rows_as_of
from practicebook.core.ledger import CHARGE_INPUTS, charge_lines, session_codes, signed_ledger
from practicebook.core.rates import priced_sessions
from practicebook.core.result import Reconciliation
from practicebook.model import Book

__all__ = ["as_of_day", "reconcile"]


def as_of_day(as_of: dt.date | str | None, timezone: str) -> dt.date:
    """The reconciliation day: ``as_of`` as a date, or today in ``timezone``."""
    if as_of is None:
        return dt.datetime.now(ZoneInfo(timezone)).date()
    if isinstance(as_of, str):
        return dt.date.fromisoformat(as_of)
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    return as_of


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
            ),
        ]
    )
    ledger = ledger.assign(
        open=pd.array(open_debit + unallocated, dtype="Int64"),
        amount=pd.array(ledger["amount"], dtype="Int64"),
    )
    return Reconciliation(
        as_of=day_of,
        currency=settings.currency,
        locale=settings.locale,
        charges=charges.drop(columns=["_client", "_kind", "_session"]).astype({"amount": "Int64"}),
        ledger=ledger.drop(columns=["_client", "_phase", "_pos", "_kind", "_session", "_target"]),
        balances=balances,
        aging=aging,
        flags=flags,
        cancellations=cancellations,
    )
