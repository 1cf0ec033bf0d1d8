"""Helpers for reconciliation tests: a small practice to build scenarios on.

A test writes only the sheets it is about; ``reconciled`` adds the base sheets it
leaves out (a 24-hour policy, one client who signed it, the 90834 service at 150.00).
"""

from __future__ import annotations

import re
from decimal import Decimal

from practicebook.core.reconcile import reconcile
from practicebook.core.result import Reconciliation
from tests.support.books import book_from

BASE = {
    "Practice": """
| key               | value            |
| default_policy_id | P1               |
| timezone          | America/New_York |
""",
    "Clients": """
| client_id | first_name | last_name | policy_ack_date |
| C1        | Ada        | Example   | 2025-01-01      |
| C2        | Bo         | Example   | 2025-01-01      |
""",
    "Services": """
| service_code | description      | base_fee | min_minutes | max_minutes | superbill_eligible |
| 90834        | Psychotherapy 45 | 150      | 38          | 52          | TRUE               |
| 90837        | Psychotherapy 60 | 190      | 53          |             | TRUE               |
""",
    "Policies": """
| policy_id | notice_hours |
| P1        | 24           |
""",
}


def book_text(text: str) -> str:
    """``text`` plus every base sheet it does not write itself."""
    present = set(re.findall(r"^\s*## (\S+)", text, flags=re.MULTILINE))
    extra = "".join(f"\n## {name}\n{table}" for name, table in BASE.items() if name not in present)
    return text + extra


def reconciled(text: str, as_of: str = "2026-12-31") -> Reconciliation:
    """Parse the tables (failing on any load error) and reconcile them."""
    book, issues = book_from(book_text(text))
    errors = [i for i in issues if i.is_error]
    assert not errors, errors
    return reconcile(book, as_of)


def loaded(text: str):
    """The parsed book of ``text`` with the base sheets."""
    return book_from(book_text(text))


def log_row(rec: Reconciliation, session_id: str) -> dict[str, object]:
    """The cancellation-log row of one session."""
    rows = rec.cancellations[rec.cancellations["session_id"] == session_id]
    assert len(rows) == 1, f"{session_id} is not in the cancellation log"
    return rows.iloc[0].to_dict()


def fee(rec: Reconciliation, session_id: str) -> Decimal:
    """The late-cancel/no-show fee of a session, as the cancellation log holds it."""
    found = log_row(rec, session_id)["fee"]
    assert isinstance(found, Decimal), type(found)
    return found


def codes_at(rec: Reconciliation, row_id: str) -> set[str]:
    """Flag codes raised on a row."""
    return set(rec.flags.loc[rec.flags["row_id"] == row_id, "code"])


def balance(rec: Reconciliation, client_id: str) -> dict[str, object]:
    row = rec.balances[rec.balances["client_id"] == client_id]
    assert len(row) == 1
    return row.iloc[0].to_dict()


__all__ = ["BASE", "balance", "book_text", "codes_at", "fee", "loaded", "log_row", "reconciled"]
