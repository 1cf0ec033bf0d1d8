"""The standard workbook, declared once as data.

Every other layer reads this module: the reader matches headers and coerces cells by
``Kind``, the checks follow ``required``/``unique``/``choices``/``references``, the
template writes headers, widths, number formats, dropdowns and input messages, the
widgets build forms, and the README's workbook reference is generated from it.

Nothing here imports pandas or any I/O library.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

SCHEMA_VERSION = 1


class Kind(str, Enum):
    """How a column's cells are read, validated and formatted."""

    ID = "id"  # opaque identifier, always text (``90847`` is a code, not a number)
    TEXT = "text"
    CHOICE = "choice"
    BOOL = "bool"
    INTEGER = "integer"
    DECIMAL = "decimal"  # exact number that is not money (percent points, hours)
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"  # local date-time in the practice time zone


@dataclass(frozen=True)
class Column:
    """One column of an input sheet.

    Attributes:
        key: stable snake_case name used in frames, JSON and code.
        header: header text written by the template (matching is case-, space- and
            underscore-insensitive, so ``client_id`` and ``Client ID`` both match).
        kind: how cells are coerced.
        required: a value must be present on every row.
        unique: no two rows may share a value.
        choices: allowed values for ``Kind.CHOICE`` (lower case, compared case-insensitively).
        references: ``"Sheet.key"`` the value must exist in.
        help: one sentence for input messages, widget tooltips and the README.
        width: template column width in characters.
        default: value used when the cell is blank (never for required columns).
        minimum: smallest allowed value for numeric kinds (``None`` = unbounded).
        positive: the value must be greater than zero.
        phi: the column holds client-identifying text; its values never appear in
            messages, logs or PHI-free exports.
    """

    key: str
    header: str
    kind: Kind
    required: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()
    references: str | None = None
    help: str = ""
    width: int = 14
    default: object = None
    minimum: int | None = None
    positive: bool = False
    phi: bool = False


@dataclass(frozen=True)
class Sheet:
    """One input sheet: an Excel Table named like the sheet, header in its first row."""

    name: str
    columns: tuple[Column, ...]
    help: str = ""
    key: str | None = None  # the row identifier shown in messages (e.g. ``session_id``)
    required: bool = False  # the workbook is unusable without this sheet
    periods: tuple[str, ...] = ()  # key columns whose rows must not overlap in time

    def column(self, key: str) -> Column:
        """Return the column named ``key``."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        """Column keys in sheet order."""
        return tuple(col.key for col in self.columns)

    def match(self, header: str) -> Column | None:
        """The column a header names: its header text or key, in any case or spacing."""
        return _header_index(self).get(normalize_header(header))


@lru_cache(maxsize=None)
def _header_index(sheet: Sheet) -> dict[str, Column]:
    index = {normalize_header(col.key): col for col in sheet.columns}
    index.update({normalize_header(col.header): col for col in sheet.columns})
    return index


@dataclass(frozen=True)
class Setting:
    """One row of the key/value ``Practice`` sheet."""

    key: str
    kind: Kind
    default: object = None
    choices: tuple[str, ...] = ()
    help: str = ""
    phi: bool = False


@lru_cache(maxsize=4096)
def normalize_header(text: str) -> str:
    """Fold a header for matching: case, spaces, underscores and hyphens are ignored.

    >>> normalize_header("Client ID") == normalize_header(" client_id ") == "clientid"
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not (ch.isspace() or ch in "_-"))


def _c(key: str, kind: Kind, help: str = "", **kw: object) -> Column:
    header = kw.pop("header", None) or _header_from_key(key)
    return Column(key=key, header=str(header), kind=kind, help=help, **kw)  # type: ignore[arg-type]


_ACRONYMS = {"id": "ID", "npi": "NPI", "dob": "DOB", "lc": "LC", "ns": "NS"}


def _header_from_key(key: str) -> str:
    words = key.split("_")
    out = [_ACRONYMS.get(w, w) for w in words]
    out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


STATUSES = (
    "scheduled",
    "attended",
    "cancelled",
    "late_cancelled",
    "no_show",
    "clinician_cancelled",
    "non_billable",
)
FEE_TYPES = ("none", "percent", "flat", "full")
PAYMENT_METHODS = (
    "cash",
    "check",
    "card",
    "ach",
    "e_transfer",
    "zelle",
    "venmo",
    "paypal",
    "hsa_fsa",
    "insurance",
    "other",
)
ADJUSTMENT_TYPES = (
    "write_off",
    "courtesy_discount",
    "fee_waiver",
    "balance_forward",
    "correction",
    "credit_memo",
)

PRACTICE_SETTINGS: tuple[Setting, ...] = (
    Setting("practice_name", Kind.TEXT, "", help="Name printed on reports."),
    Setting("currency", Kind.TEXT, "USD", help="ISO 4217 code of the practice currency."),
    Setting("locale", Kind.TEXT, "en_US", help="Locale for money, dates and number text."),
    Setting("timezone", Kind.TEXT, "America/New_York", help="IANA time zone of session times."),
    Setting("payment_terms_days", Kind.INTEGER, 0, help="Days after the session a fee is due."),
    Setting("aging_buckets", Kind.TEXT, "30,60,90,120", help="Upper bounds of the aging buckets."),
    Setting("default_policy_id", Kind.ID, None, help="Cancellation policy for clients without one."),
    Setting("pattern_count", Kind.INTEGER, 3, help="Late cancels/no-shows that make a pattern."),
    Setting("pattern_days", Kind.INTEGER, 90, help="Window in days for the pattern count."),
    Setting("phi_mode", Kind.CHOICE, "full", ("full", "minimal"), "minimal: no names in outputs."),
    Setting("lock_through_date", Kind.DATE, None, help="Books closed up to and including this day."),
    Setting("tax_id", Kind.TEXT, None, help="EIN, BN or other tax number."),
    Setting("npi", Kind.TEXT, None, help="Organisation NPI (type 2)."),
    Setting("address_line1", Kind.TEXT, None),
    Setting("address_line2", Kind.TEXT, None),
    Setting("city", Kind.TEXT, None),
    Setting("region", Kind.TEXT, None),
    Setting("postal_code", Kind.TEXT, None),
    Setting("country", Kind.TEXT, None, help="ISO 3166-1 alpha-2 country code."),
    Setting("phone", Kind.TEXT, None),
    Setting("email", Kind.TEXT, None),
)

PRACTICE = Sheet(
    "Practice",
    (
        _c("key", Kind.TEXT, "Setting name (see the list below).", required=True, unique=True,
           width=22),
        _c("value", Kind.TEXT, "Setting value; blank keeps the default.", width=40),
    ),
    help="Practice-wide settings, one per row.",
    key="key",
)

CLINICIANS = Sheet(
    "Clinicians",
    (
        _c("clinician_id", Kind.ID, "Short unique code, e.g. T01.", required=True, unique=True),
        _c("display_name", Kind.TEXT, "Name shown on reports.", required=True, width=24),
        _c("credentials", Kind.TEXT, "e.g. PhD, LCSW, RP."),
        _c("license_number", Kind.TEXT),
        _c("npi", Kind.TEXT, "Individual NPI (type 1)."),
    ),
    help="People who see clients.",
    key="clinician_id",
)

CLIENTS = Sheet(
    "Clients",
    (
        _c("client_id", Kind.ID, "Opaque unique code, e.g. C0042; never a name.", required=True,
           unique=True),
        _c("first_name", Kind.TEXT, required=True, phi=True, width=16),
        _c("last_name", Kind.TEXT, required=True, phi=True, width=16),
        _c("preferred_name", Kind.TEXT, phi=True),
        _c("email", Kind.TEXT, phi=True, width=24),
        _c("phone", Kind.TEXT, phi=True),
        _c("dob", Kind.DATE, "Date of birth.", phi=True),
        _c("billing_type", Kind.CHOICE, "Who pays.", default="self_pay",
           choices=("self_pay", "insurance", "third_party", "sliding")),
        _c("policy_id", Kind.ID, "Cancellation policy; blank = the practice default.",
           references="Policies.policy_id"),
        _c("fee_exempt", Kind.BOOL, "Never charge late-cancel/no-show fees.", default=False),
        _c("fee_exempt_reason", Kind.TEXT, "e.g. medicaid, contract.", width=18),
        _c("policy_ack_date", Kind.DATE, "When the client signed the cancellation policy."),
        _c("intake_date", Kind.DATE),
        _c("status", Kind.CHOICE, default="active", choices=("active", "paused", "discharged")),
    ),
    help="One row per client.",
    key="client_id",
    required=True,
)

SERVICES = Sheet(
    "Services",
    (
        _c("service_code", Kind.ID, "CPT code (90834) or your own code.", required=True),
        _c("description", Kind.TEXT, required=True, width=30),
        _c("client_description", Kind.TEXT, "Generic wording for minimal-PHI documents.",
           width=24),
        _c("min_minutes", Kind.INTEGER, "Shortest duration this code may bill.", minimum=0),
        _c("max_minutes", Kind.INTEGER, "Longest duration this code may bill.", minimum=0),
        _c("default_minutes", Kind.INTEGER, minimum=0),
        _c("base_fee", Kind.MONEY, "Standard fee per session.", required=True, minimum=0),
        _c("superbill_eligible", Kind.BOOL, default=True),
        _c("lc_fee_type", Kind.CHOICE, "Late-cancel fee when no policy tier matches.",
           choices=FEE_TYPES),
        _c("lc_fee_value", Kind.DECIMAL, "Percent points (50 = 50%) or an amount.", minimum=0),
        _c("ns_fee_type", Kind.CHOICE, "No-show fee when no policy tier matches.",
           choices=FEE_TYPES),
        _c("ns_fee_value", Kind.DECIMAL, "Percent points (50 = 50%) or an amount.", minimum=0),
        _c("effective_from", Kind.DATE, "First day this row applies (blank = always)."),
        _c("effective_to", Kind.DATE, "Last day this row applies (blank = open)."),
    ),
    help="Fee schedule; a code may have several rows with non-overlapping periods.",
    key="service_code",
    required=True,
    periods=("service_code",),
)

RATES = Sheet(
    "Rates",
    (
        _c("rate_id", Kind.ID, required=True, unique=True),
        _c("scope", Kind.CHOICE, "Whose rate this is.", required=True,
           choices=("client", "clinician")),
        _c("scope_id", Kind.ID, "The client or clinician ID.", required=True),
        _c("service_code", Kind.ID, "Blank = every service.", references="Services.service_code"),
        _c("fee", Kind.MONEY, required=True, minimum=0),
        _c("effective_from", Kind.DATE),
        _c("effective_to", Kind.DATE),
        _c("reason", Kind.TEXT, width=24),
    ),
    help="Fee overrides for a client or a clinician.",
    key="rate_id",
    periods=("scope", "scope_id", "service_code"),
)

POLICIES = Sheet(
    "Policies",
    (
        _c("policy_id", Kind.ID, required=True),
        _c("name", Kind.TEXT, width=24),
        _c("notice_hours", Kind.DECIMAL, "Cancel at least this many hours ahead to avoid a fee.",
           required=True, minimum=0),
        _c("ns_grace_minutes", Kind.INTEGER, "Minutes late before an arrival is flagged.",
           default=15, minimum=0),
        _c("cancel_after_start_is", Kind.CHOICE, "How a cancellation after the start counts.",
           default="no_show", choices=("no_show", "late_cancelled")),
        _c("grace_count", Kind.INTEGER, "First N late cancels/no-shows are free.", default=0,
           minimum=0),
        _c("grace_scope", Kind.CHOICE, "Over which span occurrences are counted.",
           default="lifetime", choices=("lifetime", "rolling_days", "calendar_year")),
        _c("grace_rolling_days", Kind.INTEGER, default=365, minimum=1),
        _c("exempt_intake", Kind.BOOL, "Never charge for the client's first session.",
           default=False),
        _c("reschedule_waiver", Kind.BOOL, "Waive the fee when the session is rescheduled.",
           default=False),
        _c("reschedule_window_days", Kind.INTEGER, default=7, minimum=0),
        _c("min_amount", Kind.MONEY, "Smallest fee charged.", minimum=0),
        _c("cap_amount", Kind.MONEY, "Largest fee charged.", minimum=0),
        _c("effective_from", Kind.DATE),
        _c("effective_to", Kind.DATE),
    ),
    help="Cancellation and no-show policies.",
    key="policy_id",
    periods=("policy_id",),
)

POLICY_TIERS = Sheet(
    "PolicyTiers",
    (
        _c("policy_id", Kind.ID, required=True, references="Policies.policy_id"),
        _c("applies_to", Kind.CHOICE, required=True, choices=("late_cancel", "no_show")),
        _c("min_notice_hours", Kind.DECIMAL, "Band start (inclusive); blank = 0.", minimum=0),
        _c("max_notice_hours", Kind.DECIMAL, "Band end (exclusive); blank = unbounded.",
           minimum=0),
        _c("occurrence_from", Kind.INTEGER, "1 = the client's first occurrence.", minimum=1),
        _c("occurrence_to", Kind.INTEGER, "Inclusive; blank = unbounded.", minimum=1),
        _c("charge_type", Kind.CHOICE, required=True, choices=FEE_TYPES),
        _c("charge_value", Kind.DECIMAL, "Percent points or an amount.", minimum=0),
    ),
    help="Tiered late-cancel/no-show fees by notice and occurrence.",
)

SESSIONS = Sheet(
    "Sessions",
    (
        _c("session_id", Kind.ID, required=True, unique=True),
        _c("client_id", Kind.ID, required=True, references="Clients.client_id"),
        _c("clinician_id", Kind.ID, references="Clinicians.clinician_id"),
        _c("service_code", Kind.ID, required=True, references="Services.service_code"),
        _c("scheduled_start", Kind.DATETIME, "Local date and time in the practice time zone.",
           required=True, width=18),
        _c("scheduled_minutes", Kind.INTEGER, minimum=0),
        _c("actual_minutes", Kind.INTEGER, minimum=0),
        _c("status", Kind.CHOICE, required=True, choices=STATUSES, width=18),
        _c("cancel_requested_at", Kind.DATETIME, "When the cancellation reached the practice.",
           width=18),
        _c("cancelled_by", Kind.CHOICE, choices=("client", "clinician", "practice")),
        _c("cancel_channel", Kind.CHOICE,
           choices=("phone", "voicemail", "email", "text", "portal", "in_person")),
        _c("arrived_minutes_late", Kind.INTEGER, minimum=0),
        _c("rescheduled_to_session_id", Kind.ID, references="Sessions.session_id"),
        _c("fee_override", Kind.MONEY, "This session's rate, overriding every other.",
           minimum=0),
        _c("fee_waived", Kind.BOOL, "Waive the late-cancel/no-show fee.", default=False),
        _c("waiver_reason", Kind.TEXT, width=18),
        _c("memo", Kind.TEXT, phi=True, width=24),
    ),
    help="Appointments: one row per scheduled session.",
    key="session_id",
    required=True,
)

PAYMENTS = Sheet(
    "Payments",
    (
        _c("payment_id", Kind.ID, required=True, unique=True),
        _c("received_date", Kind.DATE, required=True),
        _c("client_id", Kind.ID, required=True, references="Clients.client_id"),
        _c("kind", Kind.CHOICE, "payment, or refund (money paid back to the client).",
           default="payment", choices=("payment", "refund")),
        _c("method", Kind.CHOICE, choices=PAYMENT_METHODS),
        _c("reference", Kind.TEXT, "Check number or processor transaction id."),
        _c("amount", Kind.MONEY, "Always positive.", required=True, positive=True),
        _c("applies_to_session_id", Kind.ID, references="Sessions.session_id"),
        _c("refund_of_payment_id", Kind.ID, references="Payments.payment_id"),
        _c("memo", Kind.TEXT, phi=True, width=24),
    ),
    help="Money received from clients, and refunds paid back.",
    key="payment_id",
)

ADJUSTMENTS = Sheet(
    "Adjustments",
    (
        _c("adjustment_id", Kind.ID, required=True, unique=True),
        _c("date", Kind.DATE, required=True),
        _c("client_id", Kind.ID, required=True, references="Clients.client_id"),
        _c("session_id", Kind.ID, references="Sessions.session_id"),
        _c("type", Kind.CHOICE, required=True, choices=ADJUSTMENT_TYPES),
        _c("amount", Kind.MONEY, "Signed: + raises what the client owes, - lowers it.",
           required=True),
        _c("reverses_adjustment_id", Kind.ID, references="Adjustments.adjustment_id"),
        _c("reason", Kind.TEXT, width=24),
        _c("approved_by", Kind.TEXT),
    ),
    help="Write-offs, discounts, corrections; reverse one with an opposite row.",
    key="adjustment_id",
)

INPUT_SHEETS: tuple[Sheet, ...] = (
    PRACTICE,
    CLINICIANS,
    CLIENTS,
    SERVICES,
    RATES,
    POLICIES,
    POLICY_TIERS,
    SESSIONS,
    PAYMENTS,
    ADJUSTMENTS,
)

#: Sheets practicebook writes; users never type into them.
DERIVED_SHEETS: tuple[str, ...] = (
    "Balances",
    "Aging",
    "Flags",
    "Ledger",
    "CancellationLog",
    "AuditLog",
)
#: The hidden sheet holding dropdown lists and the schema version.
LISTS_SHEET = "Lists"


@dataclass(frozen=True)
class Workbook:
    """The whole standard workbook."""

    version: int
    sheets: tuple[Sheet, ...]
    settings: tuple[Setting, ...] = field(default=PRACTICE_SETTINGS)

    def sheet(self, name: str) -> Sheet:
        """Return the input sheet called ``name``."""
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(f"no input sheet named {name!r}")

    def setting(self, key: str) -> Setting:
        """Return the Practice setting called ``key``."""
        for setting in self.settings:
            if setting.key == key:
                return setting
        raise KeyError(f"no setting named {key!r}")


WORKBOOK = Workbook(version=SCHEMA_VERSION, sheets=INPUT_SHEETS)
