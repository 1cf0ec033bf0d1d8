"""The sheets money in the bank needs: accounts, imported statement lines, balance
assertions, and the account names of the accounting export.

Bank lines are added by imports only (each keyed by the statement's own ID, so a
re-import adds nothing); people mark what is not client money and choose between
matches the matcher would not guess.
"""

from __future__ import annotations

from practicebook.schema.spec import Kind, Sheet, column

ACCOUNT_KINDS = ("bank", "processor")
PROCESSORS = ("stripe", "square", "paypal", "other")
LINE_STATUSES = ("unmatched", "matched", "not_client_money", "reconciled")

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
        column("opening_balance", Kind.MONEY),
        column("opening_date", Kind.DATE),
        column(
            "csv_mapping", Kind.TEXT, "Saved column mapping for this account's CSV files.", width=30
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
        column("account_id", Kind.ID, required=True, references="BankAccounts.account_id"),
        column("posted_date", Kind.DATE, required=True),
        column("amount", Kind.MONEY, "Signed: + money in, - money out.", required=True),
        column("description", Kind.TEXT, "As the statement says it, masked.", phi=True, width=30),
        column("external_id", Kind.TEXT, "The statement's own ID (FITID, payout, transaction)."),
        column("payout_id", Kind.TEXT, "The processor payout a line belongs to."),
        column("fee", Kind.MONEY, "The processor's fee on this line.", minimum=0),
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
    ),
    help="Imported bank and processor statement lines.",
    key="line_id",
    appended_by_practicebook=True,
    since=2,
)

ASSERTIONS = Sheet(
    "Assertions",
    (
        column("account_id", Kind.ID, required=True, references="BankAccounts.account_id"),
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
            "What the account holds, e.g. income, fees, receivables.",
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
    ),
    help="Account names of the accounting export (defaults apply to roles left out).",
    key="role",
    since=2,
)
