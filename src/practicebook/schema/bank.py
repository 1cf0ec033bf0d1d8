"""The sheets money in the bank needs: accounts, imported statement lines, balance
assertions, and the account names of the accounting export.

Bank lines are added by imports only (each keyed by the statement's own ID, or by its
date, amount, masked description and occurrence in the file, so a re-import adds
nothing); people mark what is not client money and choose between matches the matcher
would not guess (``practicebook bank choose``), and matching records what it joined.

An account's balance on a day is its opening balance plus every line posted from the
opening date through that day, each line counted net of its fee (``amount - fee``).
"""

from __future__ import annotations

from practicebook.schema.spec import Kind, Sheet, column

ACCOUNT_KINDS = ("bank", "processor")
PROCESSORS = ("stripe", "square", "paypal", "other")
LINE_STATUSES = ("unmatched", "matched", "not_client_money", "reconciled")
#: What a processor's line is; bank lines leave it blank.
LINE_TYPES = ("payment", "refund", "payout", "fee", "adjustment")

BANK_ACCOUNTS = Sheet(
    "BankAccounts",
    (
        column(
            "account_id", Kind.ID, "Short code, e.g. CHK or STRIPE.", required=True, unique=True
        ),
        column("name", Kind.TEXT, width=24),
        column(
            "kind",
            Kind.CHOICE,
            "A bank account, or a processor's clearing balance.",
            required=True,
            default="bank",
            choices=ACCOUNT_KINDS,
        ),
        column("processor", Kind.CHOICE, "For a processor account.", choices=PROCESSORS),
        column("currency", Kind.TEXT, "Blank = the practice currency."),
        column("opening_balance", Kind.MONEY, "The balance at the start of the opening date."),
        column("opening_date", Kind.DATE, "Lines before this day are not counted."),
        column(
            "csv_mapping", Kind.TEXT, "Saved column mapping for this account's CSV files.", width=30
        ),
        column(
            "payout_account",
            Kind.ID,
            "For a processor: the bank account its payouts land in (blank = any).",
        ),
        column(
            "reconciled_through",
            Kind.DATE,
            "Statements reconciled up to and including this day (set by reconciling).",
        ),
    ),
    help="Bank accounts and payment processors' balances.",
    key="account_id",
    since=2,
)

BANK_LINES = Sheet(
    "BankLines",
    (
        column("line_id", Kind.ID, required=True, unique=True),
        # an account missing from BankAccounts is used as a bank account with no opening
        # balance, so a line is never lost to a deleted account row
        column("account_id", Kind.ID, required=True),
        column("posted_date", Kind.DATE, required=True),
        column("amount", Kind.MONEY, "Signed: + money in, - money out.", required=True),
        column("description", Kind.TEXT, "As the statement says it, masked.", phi=True, width=30),
        column("external_id", Kind.TEXT, "The statement's own ID (FITID, payout, transaction)."),
        column("payout_id", Kind.TEXT, "The processor payout a line belongs to."),
        column("fee", Kind.MONEY, "The processor's fee on this line (+ taken, - given back)."),
        column("source_hash", Kind.TEXT, "SHA-256 of the file it came from.", width=20),
        column("status", Kind.CHOICE, default="unmatched", choices=LINE_STATUSES),
        column(
            "matched_payment_ids",
            Kind.TEXT,
            "Payments this line matched, comma-separated.",
            width=24,
        ),
        column(
            "matched_line_ids", Kind.TEXT, "Lines this line matched (a payout's deposit).", width=24
        ),
        column("match_rule", Kind.TEXT, "The rule that made the match, or chosen."),
        column("type", Kind.CHOICE, "What a processor's line is.", choices=LINE_TYPES),
        column(
            "reference",
            Kind.TEXT,
            "The processor's IDs of the payment (charge, payment intent), comma-separated.",
            width=20,
        ),
        column(
            "import_key",
            Kind.TEXT,
            "What makes the line unique across imports (kept so a re-import adds nothing).",
            width=20,
        ),
    ),
    help="Imported bank and processor statement lines.",
    key="line_id",
    appended_by_practicebook=True,
    since=2,
)

ASSERTIONS = Sheet(
    "Assertions",
    (
        # an unknown account has no lines, so its assertion fails and says so
        column("account_id", Kind.ID, required=True),
        column("date", Kind.DATE, "The balance at the end of this day.", required=True),
        column("expected_balance", Kind.MONEY, required=True),
        column("source", Kind.TEXT, "e.g. statement ending balance.", width=24),
    ),
    help="Balances a statement states, checked against the imported lines.",
    since=2,
)

EXPORT_ACCOUNTS = Sheet(
    "ExportAccounts",
    (
        column(
            "role",
            Kind.ID,
            "What the account holds, e.g. receivables, processor_fees, income:Couples.",
            required=True,
            unique=True,
        ),
        column(
            "account",
            Kind.TEXT,
            "Its name in the accountant's chart of accounts.",
            required=True,
            width=30,
        ),
        column("code", Kind.TEXT, "Its code there (Xero journals need the code)."),
    ),
    help="Account names of the accounting export (defaults apply to roles left out).",
    key="role",
    since=2,
)

#: The roles of the accounting export and the account each one defaults to. A bank or
#: processor account's role is ``account:<account_id>``; an income category's is
#: ``income:<category>`` (Services' category); an adjustment type's is
#: ``adjustment:<type>``.
EXPORT_ROLES: dict[str, str] = {
    "receivables": "Assets:Receivables:Clients",
    "undeposited": "Assets:Undeposited Funds",
    "in_transit": "Assets:Transfers in Transit",
    "suspense": "Assets:Suspense:Unidentified",
    "bank": "Assets:Bank",
    "clearing": "Assets:Clearing",
    "income": "Income:Therapy",
    "cancellation_fees": "Income:Cancellation Fees",
    "processor_fees": "Expenses:Processor Fees",
    "not_client_money": "Equity:Not Client Money",
    "opening_balances": "Equity:Opening Balances",
    "journal_split": "Equity:Journal Split",  # Xero: a journal too long for one import
    "adjustment:write_off": "Expenses:Bad Debts",
    "adjustment:courtesy_discount": "Income:Discounts",
    "adjustment:fee_waiver": "Income:Discounts",
    "adjustment:balance_forward": "Equity:Opening Balances",
    "adjustment:correction": "Income:Adjustments",
    "adjustment:credit_memo": "Income:Adjustments",
}
