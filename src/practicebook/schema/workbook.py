"""The standard workbook, declared once as data.

Every other layer reads this module: the reader matches headers and coerces cells by
``Kind``, the checks follow ``required``/``unique``/``choices``/``references``, the
template writes headers, widths, number formats, dropdowns and input messages, the
widgets build forms, and the workbook reference in ``docs/`` is generated from it.

Nothing here imports pandas or any I/O library.
"""

from __future__ import annotations

from practicebook.schema.bank import (
    ASSERTIONS,
    BANK_ACCOUNTS,
    BANK_LINES,
    EXPORT_ACCOUNTS,
    PROCESSORS,
)
from practicebook.schema.documents import DIAGNOSES, DOCUMENTS
from practicebook.schema.spec import Column, Kind, Setting, Sheet, Workbook, column

SCHEMA_VERSION = 2
#: Custom document property recording the schema version a workbook was written with.
SCHEMA_PROPERTY = "practicebook_schema_version"

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
RATE_SCOPES = ("client", "clinician")
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
    Setting(
        "default_policy_id", Kind.ID, None, help="Cancellation policy for clients without one."
    ),
    Setting("pattern_count", Kind.INTEGER, 3, help="Late cancels/no-shows that make a pattern."),
    Setting("pattern_days", Kind.INTEGER, 90, help="Window in days for the pattern count."),
    Setting("phi_mode", Kind.CHOICE, "full", ("full", "minimal"), "minimal: no names in outputs."),
    Setting(
        "lock_through_date", Kind.DATE, None, help="Books closed up to and including this day."
    ),
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
    # documents
    Setting("payment_instructions", Kind.TEXT, None, help="How to pay, printed on documents."),
    Setting("statement_footer", Kind.TEXT, None, help="A closing line on statements."),
    Setting(
        "document_prefix",
        Kind.TEXT,
        None,
        help="Put before every document number: RB- makes invoice numbers RB-INV-00001.",
    ),
    Setting(
        "tax_registration",
        Kind.TEXT,
        None,
        help="e.g. a VAT number, or 'exempt from GST/HST', printed on documents.",
    ),
    Setting(
        "paper_size",
        Kind.CHOICE,
        None,
        ("a4", "letter"),
        "Paper of documents; blank = the locale's usual paper.",
    ),
    Setting(
        "place_of_service",
        Kind.ID,
        None,
        help="Place-of-service code for sessions whose own is blank, e.g. 11 (office).",
    ),
)

PRACTICE = Sheet(
    "Practice",
    (
        column(
            "key",
            Kind.TEXT,
            "Setting name (see the list below).",
            required=True,
            unique=True,
            width=22,
        ),
        column("value", Kind.TEXT, "Setting value; blank keeps the default.", width=40),
    ),
    help="Practice-wide settings, one per row.",
    key="key",
)

CLINICIANS = Sheet(
    "Clinicians",
    (
        column("clinician_id", Kind.ID, "Short unique code, e.g. T01.", required=True, unique=True),
        column("display_name", Kind.TEXT, "Name shown on reports.", required=True, width=24),
        column("credentials", Kind.TEXT, "e.g. PhD, LCSW, RP."),
        column("license_number", Kind.TEXT),
        column("npi", Kind.TEXT, "Individual NPI (type 1)."),
        # documents
        column("license_state", Kind.TEXT, "State or province of the licence."),
        column("registration_body", Kind.TEXT, "e.g. CRPO, HCPC."),
        column("registration_number", Kind.TEXT),
    ),
    help="People who see clients.",
    key="clinician_id",
)

CLIENTS = Sheet(
    "Clients",
    (
        column(
            "client_id",
            Kind.ID,
            "Opaque unique code, e.g. C0042; never a name.",
            required=True,
            unique=True,
        ),
        column("first_name", Kind.TEXT, required=True, phi=True, width=16),
        column("last_name", Kind.TEXT, required=True, phi=True, width=16),
        column("preferred_name", Kind.TEXT, phi=True),
        column("email", Kind.TEXT, phi=True, width=24),
        column("phone", Kind.TEXT, phi=True),
        column("dob", Kind.DATE, "Date of birth.", phi=True),
        column(
            "billing_type",
            Kind.CHOICE,
            "Who pays.",
            default="self_pay",
            choices=("self_pay", "insurance", "third_party", "sliding"),
        ),
        column(
            "policy_id",
            Kind.ID,
            "Cancellation policy; blank = the practice default.",
            references="Policies.policy_id",
        ),
        column("fee_exempt", Kind.BOOL, "Never charge late-cancel/no-show fees.", default=False),
        column("fee_exempt_reason", Kind.TEXT, "e.g. medicaid, contract.", width=18),
        column("policy_ack_date", Kind.DATE, "When the client signed the cancellation policy."),
        column("intake_date", Kind.DATE),
        column("status", Kind.CHOICE, default="active", choices=("active", "paused", "discharged")),
        # documents
        column("address_line1", Kind.TEXT, phi=True, width=24),
        column("address_line2", Kind.TEXT, phi=True),
        column("city", Kind.TEXT, phi=True),
        column("region", Kind.TEXT, "State, province or county."),
        column("postal_code", Kind.TEXT, phi=True),
        column("country", Kind.TEXT, "ISO 3166-1 alpha-2 code, e.g. US."),
    ),
    help="One row per client.",
    key="client_id",
    required=True,
)


def _untiered_fee(type_key: str, value_key: str, fee: str) -> tuple[Column, Column]:
    """A service's late-cancel or no-show fee when no policy tier matches: its type, and
    the value the type applies."""
    return (
        column(type_key, Kind.CHOICE, f"{fee} fee when no policy tier matches.", choices=FEE_TYPES),
        column(value_key, Kind.DECIMAL, "Percent points (50 = 50%) or an amount.", minimum=0),
    )


SERVICES = Sheet(
    "Services",
    (
        column("service_code", Kind.ID, "CPT code (90834) or your own code.", required=True),
        column("description", Kind.TEXT, required=True, width=30),
        column(
            "client_description", Kind.TEXT, "Generic wording for minimal-PHI documents.", width=24
        ),
        column("min_minutes", Kind.INTEGER, "Shortest duration this code may bill.", minimum=0),
        column("max_minutes", Kind.INTEGER, "Longest duration this code may bill.", minimum=0),
        column("default_minutes", Kind.INTEGER, minimum=0),
        column("base_fee", Kind.MONEY, "Standard fee per session.", required=True, minimum=0),
        column("superbill_eligible", Kind.BOOL, default=True),
        *_untiered_fee("lc_fee_type", "lc_fee_value", "Late-cancel"),
        *_untiered_fee("ns_fee_type", "ns_fee_value", "No-show"),
        column("effective_from", Kind.DATE, "First day this row applies (blank = always)."),
        column("effective_to", Kind.DATE, "Last day this row applies (blank = open)."),
        # the accounting export
        column("category", Kind.TEXT, "Income category in the accounting export.", width=18),
    ),
    help="Fee schedule; a code may have several rows with non-overlapping periods.",
    key="service_code",
    required=True,
    periods=("service_code",),
)

RATES = Sheet(
    "Rates",
    (
        column("rate_id", Kind.ID, required=True, unique=True),
        column("scope", Kind.CHOICE, "Whose rate this is.", required=True, choices=RATE_SCOPES),
        column("scope_id", Kind.ID, "The client or clinician ID.", required=True),
        column(
            "service_code", Kind.ID, "Blank = every service.", references="Services.service_code"
        ),
        column("fee", Kind.MONEY, required=True, minimum=0),
        column("effective_from", Kind.DATE),
        column("effective_to", Kind.DATE),
        column("reason", Kind.TEXT, width=24),
    ),
    help="Fee overrides for a client or a clinician.",
    key="rate_id",
    periods=("scope", "scope_id", "service_code"),
)

POLICIES = Sheet(
    "Policies",
    (
        column("policy_id", Kind.ID, required=True),
        column("name", Kind.TEXT, width=24),
        column(
            "notice_hours",
            Kind.DECIMAL,
            "Cancel at least this many hours ahead to avoid a fee.",
            required=True,
            minimum=0,
        ),
        column(
            "ns_grace_minutes",
            Kind.INTEGER,
            "Minutes late before an arrival is flagged.",
            default=15,
            minimum=0,
        ),
        column(
            "cancel_after_start_is",
            Kind.CHOICE,
            "How a cancellation after the start counts.",
            default="no_show",
            choices=("no_show", "late_cancelled"),
        ),
        column(
            "grace_count",
            Kind.INTEGER,
            "First N late cancels/no-shows are free.",
            default=0,
            minimum=0,
        ),
        column(
            "grace_scope",
            Kind.CHOICE,
            "Over which span occurrences are counted.",
            default="lifetime",
            choices=("lifetime", "rolling_days", "calendar_year"),
        ),
        column("grace_rolling_days", Kind.INTEGER, default=365, minimum=1),
        column(
            "exempt_intake",
            Kind.BOOL,
            "Never charge for the client's first session.",
            default=False,
        ),
        column(
            "reschedule_waiver",
            Kind.BOOL,
            "Waive the fee when the session is rescheduled.",
            default=False,
        ),
        column("reschedule_window_days", Kind.INTEGER, default=7, minimum=0),
        column("min_amount", Kind.MONEY, "Smallest fee charged.", minimum=0),
        column("cap_amount", Kind.MONEY, "Largest fee charged.", minimum=0),
        column("effective_from", Kind.DATE),
        column("effective_to", Kind.DATE),
    ),
    help="Cancellation and no-show policies.",
    key="policy_id",
    periods=("policy_id",),
)

POLICY_TIERS = Sheet(
    "PolicyTiers",
    (
        column("policy_id", Kind.ID, required=True, references="Policies.policy_id"),
        column("applies_to", Kind.CHOICE, required=True, choices=("late_cancel", "no_show")),
        column("min_notice_hours", Kind.DECIMAL, "Band start (inclusive); blank = 0.", minimum=0),
        column(
            "max_notice_hours", Kind.DECIMAL, "Band end (exclusive); blank = unbounded.", minimum=0
        ),
        column("occurrence_from", Kind.INTEGER, "1 = the client's first occurrence.", minimum=1),
        column("occurrence_to", Kind.INTEGER, "Inclusive; blank = unbounded.", minimum=1),
        column("charge_type", Kind.CHOICE, required=True, choices=FEE_TYPES),
        column("charge_value", Kind.DECIMAL, "Percent points or an amount.", minimum=0),
    ),
    help="Tiered late-cancel/no-show fees by notice and occurrence.",
)

SESSIONS = Sheet(
    "Sessions",
    (
        column("session_id", Kind.ID, required=True, unique=True),
        column("client_id", Kind.ID, required=True, references="Clients.client_id"),
        column("clinician_id", Kind.ID, references="Clinicians.clinician_id"),
        column("service_code", Kind.ID, required=True, references="Services.service_code"),
        column(
            "scheduled_start",
            Kind.DATETIME,
            "Local date and time in the practice time zone.",
            required=True,
            width=18,
        ),
        column("scheduled_minutes", Kind.INTEGER, minimum=0),
        column("actual_minutes", Kind.INTEGER, minimum=0),
        column("status", Kind.CHOICE, required=True, choices=STATUSES, width=18),
        column(
            "cancel_requested_at",
            Kind.DATETIME,
            "When the cancellation reached the practice.",
            width=18,
        ),
        column("cancelled_by", Kind.CHOICE, choices=("client", "clinician", "practice")),
        column(
            "cancel_channel",
            Kind.CHOICE,
            choices=("phone", "voicemail", "email", "text", "portal", "in_person"),
        ),
        column("arrived_minutes_late", Kind.INTEGER, minimum=0),
        column("rescheduled_to_session_id", Kind.ID, references="Sessions.session_id"),
        column(
            "fee_override", Kind.MONEY, "This session's rate, overriding every other.", minimum=0
        ),
        column("fee_waived", Kind.BOOL, "Waive the late-cancel/no-show fee.", default=False),
        column("waiver_reason", Kind.TEXT, width=18),
        column("memo", Kind.TEXT, phi=True, width=24),
        # documents
        column(
            "place_of_service",
            Kind.ID,
            "CMS place-of-service code: 11 office, 02 telehealth away from home, 10 at home.",
        ),
        column("modifiers", Kind.TEXT, "CPT modifiers, comma-separated: 95 video, 93 audio."),
    ),
    help="Appointments: one row per scheduled session.",
    key="session_id",
    required=True,
)

PAYMENTS = Sheet(
    "Payments",
    (
        column("payment_id", Kind.ID, required=True, unique=True),
        column("received_date", Kind.DATE, required=True),
        column("client_id", Kind.ID, required=True, references="Clients.client_id"),
        column(
            "kind",
            Kind.CHOICE,
            "payment, or refund (money paid back to the client).",
            default="payment",
            choices=("payment", "refund"),
        ),
        column("method", Kind.CHOICE, choices=PAYMENT_METHODS),
        column("reference", Kind.TEXT, "Check number or processor transaction id."),
        column("amount", Kind.MONEY, "Always positive.", required=True, positive=True),
        column("applies_to_session_id", Kind.ID, references="Sessions.session_id"),
        column("refund_of_payment_id", Kind.ID, references="Payments.payment_id"),
        column("memo", Kind.TEXT, phi=True, width=24),
        # money in the bank
        column(
            "processor", Kind.CHOICE, "The card processor, for card payments.", choices=PROCESSORS
        ),
        column("processor_fee", Kind.MONEY, "The processor's fee on this payment.", minimum=0),
        column("payout_id", Kind.TEXT, "The processor payout that carried it to the bank."),
        column("deposit_date", Kind.DATE, "When it reached the bank (filled by matching)."),
    ),
    help="Money received from clients, and refunds paid back.",
    key="payment_id",
)

ADJUSTMENTS = Sheet(
    "Adjustments",
    (
        column("adjustment_id", Kind.ID, required=True, unique=True),
        column("date", Kind.DATE, required=True),
        column("client_id", Kind.ID, required=True, references="Clients.client_id"),
        column("session_id", Kind.ID, references="Sessions.session_id"),
        column("type", Kind.CHOICE, required=True, choices=ADJUSTMENT_TYPES),
        column(
            "amount",
            Kind.MONEY,
            "Signed: + raises what the client owes, - lowers it.",
            required=True,
        ),
        column("reverses_adjustment_id", Kind.ID, references="Adjustments.adjustment_id"),
        column("reason", Kind.TEXT, width=24),
        column("approved_by", Kind.TEXT),
    ),
    help="Write-offs, discounts, corrections; reverse one with an opposite row.",
    key="adjustment_id",
)

REVIEWS = Sheet(
    "Reviews",
    (
        column("review_id", Kind.ID, required=True, unique=True),
        column("code", Kind.TEXT, "The finding's code, e.g. cpt-duration-mismatch.", required=True),
        column("sheet", Kind.TEXT, "The sheet the finding points at.", required=True),
        column("cell", Kind.TEXT, "The cell it pointed at when reviewed, e.g. G14."),
        column("row_id", Kind.ID, "The ID of the row it is about (session, payment, client…)."),
        column("reviewed_at", Kind.DATETIME, "When it was reviewed.", required=True, width=18),
        column("reviewed_by", Kind.TEXT, "Who reviewed it."),
        column("note", Kind.TEXT, "Why it needs no change.", phi=True, width=30),
    ),
    help="Findings a person reviewed: a reviewed finding is no longer shown as new.",
    key="review_id",
    appended_by_practicebook=True,
    since=2,
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
    DIAGNOSES,
    DOCUMENTS,
    BANK_ACCOUNTS,
    BANK_LINES,
    ASSERTIONS,
    EXPORT_ACCOUNTS,
    REVIEWS,
)

#: Sheets practicebook writes; users never type into them.
DERIVED_SHEETS: tuple[str, ...] = (
    "Balances",
    "Aging",
    "Flags",
    "Ledger",
    "CancellationLog",
    "Summary",
    "AuditLog",
)
#: The hidden sheet holding dropdown lists and the schema version.
LISTS_SHEET = "Lists"


WORKBOOK = Workbook(version=SCHEMA_VERSION, sheets=INPUT_SHEETS, settings=PRACTICE_SETTINGS)
