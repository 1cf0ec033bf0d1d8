"""Located findings: ``Issue``, its ``Code``, ``Severity`` and the cell it points to.

Bad data never raises: every problem in a workbook becomes an ``Issue`` with a stable
reason ``Code``, a ``Severity``, the cell it points to (``Sessions!F12``), a message
naming the value and a hint saying how to fix it. All of them are collected and
returned; ``raise_for_issues`` turns them into an exception for callers who want one.
The exceptions themselves live in ``practicebook.errors``.

May import: the standard library and ``practicebook.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from practicebook.errors import IssuesFound

if TYPE_CHECKING:
    from collections.abc import Iterable


class Severity(str, Enum):
    """How serious a finding is. Errors make ``check`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for notes (sort order)."""
        return ("error", "warning", "note").index(self.value)


class Code(str, Enum):
    """Stable kebab-case reason codes, used in JSON, filters, tests and docs."""

    # workbook structure
    MISSING_SHEET = "missing-sheet"
    MISSING_COLUMN = "missing-column"
    DUPLICATE_COLUMN = "duplicate-column"
    UNKNOWN_COLUMN = "unknown-column"
    MERGED_CELLS = "merged-cells"
    NEWER_SCHEMA = "newer-schema"
    HEADER_NOT_FOUND = "header-not-found"
    AMBIGUOUS_SHEET = "ambiguous-sheet"
    # cell values
    MISSING_VALUE = "missing-value"
    CELL_ERROR = "cell-error"
    BAD_MONEY = "bad-money"
    AMBIGUOUS_MONEY = "ambiguous-money"
    AMOUNT_TOO_LARGE = "amount-too-large"
    BAD_NUMBER = "bad-number"
    BAD_DATE = "bad-date"
    AMBIGUOUS_DATE = "ambiguous-date"
    BAD_BOOL = "bad-bool"
    BAD_CHOICE = "bad-choice"
    OUT_OF_RANGE = "out-of-range"
    FORMULA_WITHOUT_VALUE = "formula-without-value"
    # settings
    UNKNOWN_SETTING = "unknown-setting"
    BAD_SETTING = "bad-setting"
    # rows and references
    DUPLICATE_ID = "duplicate-id"
    ID_CASE_VARIANT = "id-case-variant"
    UNKNOWN_CLIENT = "unknown-client"
    UNKNOWN_CLINICIAN = "unknown-clinician"
    UNKNOWN_SERVICE = "unknown-service"
    UNKNOWN_POLICY = "unknown-policy"
    UNKNOWN_SESSION = "unknown-session"
    UNKNOWN_PAYMENT = "unknown-payment"
    UNKNOWN_ADJUSTMENT = "unknown-adjustment"
    UNKNOWN_DOCUMENT = "unknown-document"
    BAD_PERIOD = "bad-period"
    OVERLAPPING_PERIODS = "overlapping-periods"
    # the audit log
    AUDIT_CHAIN_BROKEN = "audit-chain-broken"
    AUDIT_CHAIN_TRUNCATED = "audit-chain-truncated"
    AUDIT_LOG_MISSING = "audit-log-missing"
    # sessions and the cancellation policy
    UNRESOLVED_PAST_SESSION = "unresolved-past-session"
    POSSIBLE_DUPLICATE_SESSION = "possible-duplicate-session"
    CPT_DURATION_MISMATCH = "cpt-duration-mismatch"
    STATUS_MISMATCH = "status-mismatch"
    MISSING_CANCEL_TIME = "missing-cancel-time"
    NOTICE_NEAR_THRESHOLD = "notice-near-threshold"
    LATE_ARRIVAL = "late-arrival"
    NO_POLICY_IN_FORCE = "no-policy-in-force"
    FEE_EXEMPT_CLIENT = "fee-exempt-client"
    FEE_WAIVED = "fee-waived"
    WAIVER_WITHOUT_REASON = "waiver-without-reason"
    GRACE_INTAKE = "grace-intake"
    RESCHEDULE_WAIVED = "reschedule-waived"
    GRACE_APPLIED = "grace-applied"
    POLICY_NOT_ACKNOWLEDGED = "policy-not-acknowledged"
    CANCELLATION_PATTERN = "cancellation-pattern"
    # ledger
    OVER_ALLOCATED = "over-allocated"
    REFUND_EXCEEDS_PAYMENT = "refund-exceeds-payment"
    LOCKED_PERIOD = "locked-period"
    POSSIBLE_DUPLICATE_PAYMENT = "possible-duplicate-payment"
    AGING_MISMATCH = "aging-mismatch"
    # client documents
    SUPERBILL_MISSING_FIELD = "superbill-missing-field"
    SUPERBILL_MISSING_NPI = "superbill-missing-npi"
    SUPERBILL_MISSING_DIAGNOSIS = "superbill-missing-diagnosis"
    SUPERBILL_SESSION_TWICE = "superbill-session-twice"
    INVOICE_CHARGE_TWICE = "invoice-charge-twice"
    GFE_VARIANCE = "gfe-variance"
    # money in the bank
    UNDEPOSITED_PAYMENT = "undeposited-payment"
    UNRECORDED_RECEIPT = "unrecorded-receipt"
    FEE_MISMATCH = "fee-mismatch"
    AMBIGUOUS_MATCH = "ambiguous-match"
    ASSERTION_FAILED = "assertion-failed"
    STALE_RECONCILIATION = "stale-reconciliation"


#: Which code reports an unknown reference into each sheet.
UNKNOWN_REFERENCE: dict[str, Code] = {
    "Clients": Code.UNKNOWN_CLIENT,
    "Clinicians": Code.UNKNOWN_CLINICIAN,
    "Services": Code.UNKNOWN_SERVICE,
    "Policies": Code.UNKNOWN_POLICY,
    "Sessions": Code.UNKNOWN_SESSION,
    "Payments": Code.UNKNOWN_PAYMENT,
    "Adjustments": Code.UNKNOWN_ADJUSTMENT,
    "Documents": Code.UNKNOWN_DOCUMENT,
}


def column_letter(index: int) -> str:
    """Excel column letters for a 1-based column index.

    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(703)
    ('A', 'Z', 'AA', 'AAA')
    """
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """The 1-based column index of Excel column letters.

    >>> column_number("A"), column_number("Z"), column_number("AA"), column_number("AAA")
    (1, 26, 27, 703)
    """
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


@dataclass(frozen=True, order=True)
class CellRef:
    """A cell (or a whole row when ``col`` is 0) of a sheet, in Excel's own syntax.

    >>> str(CellRef("Sessions", 12, 6))
    'Sessions!F12'
    >>> str(CellRef("Policy Tiers", 3, 1))
    "'Policy Tiers'!A3"
    """

    sheet: str
    row: int = 0
    col: int = 0

    def __str__(self) -> str:
        sheet = self.sheet if self.sheet.replace("_", "").isalnum() else f"'{self.sheet}'"
        if not self.row:
            return sheet
        return f"{sheet}!{column_letter(self.col) if self.col else 'A'}{self.row}"

    @property
    def cell(self) -> str:
        """The cell part alone (``F12``), or ``""`` for a whole sheet."""
        return str(self).rpartition("!")[2] if self.row else ""


@dataclass(frozen=True)
class Issue:
    """One finding about the workbook, located at a cell.

    Messages never contain client-identifying text: they name IDs, codes, amounts and
    dates, and refer to PHI columns (names, email, memo) only by cell reference.
    """

    code: Code
    severity: Severity
    message: str
    where: CellRef
    hint: str = ""
    row_id: str | None = None
    client_id: str | None = None
    excerpt: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        """True for error-level findings."""
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[object, ...]:
        """Order by sheet, row, column, then severity and code."""
        w = self.where
        return (w.sheet, w.row, w.col, self.severity.rank, self.code.value, self.message)

    def to_dict(self) -> dict[str, object]:
        """The JSON form: the same fields the text rendering shows."""
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "sheet": self.where.sheet,
            "cell": self.where.cell,
            "ref": str(self.where),
            "row_id": self.row_id,
            "client_id": self.client_id,
            "message": self.message,
            "hint": self.hint,
        }


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in sheet and row order, duplicates removed."""
    return sorted(set(issues), key=Issue.sort_key)


def has_errors(issues: Iterable[Issue]) -> bool:
    """True when any issue is error-level."""
    return any(i.is_error for i in issues)


def raise_for_issues(issues: Iterable[Issue], at_least: Severity = Severity.ERROR) -> None:
    """Raise ``IssuesFound`` if any issue is at least as severe as ``at_least``."""
    found = [i for i in sort_issues(issues) if i.severity.rank <= at_least.rank]
    if found:
        raise IssuesFound(found)
