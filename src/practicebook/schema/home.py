"""The Home sheet of the macro workbook, declared once as data.

The template writes it (buttons, entry forms, formula balances) and the Excel adapter
reads the forms back, so both take cell positions from here. Nothing here imports an
I/O library. The formula balances are plain Excel (``SUMIFS``, ``COUNTIFS``,
``SUMPRODUCT`` over structured references to the input tables, so they grow with them)
and show on a machine with no Python at all; only the As-of cell (``TODAY()``) and the
look-ups of the Balances sheet (``INDIRECT``, which may not exist yet) are volatile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from practicebook.issues import column_letter
from practicebook.schema import WORKBOOK

__all__ = [
    "AS_OF_CELL",
    "BALANCES_BALANCE_COLUMN",
    "BALANCE_COLUMNS",
    "BALANCE_HEADER_ROW",
    "BALANCE_NOTE",
    "BANK_FORM",
    "BUTTON_COLUMN",
    "CANCEL_FORM",
    "CLIENT_FORM",
    "ESTIMATE_FORM",
    "FORMS",
    "FORM_DEFAULTS",
    "FORM_LABELS",
    "FREE_FIELDS",
    "HOME",
    "LAST_RECONCILED_CELL",
    "LEFT_OUT_COLUMN",
    "MACROS",
    "OVERFLOW_CELL",
    "OVERLAP_CELL",
    "RESULT_CELL",
    "SPARE_ROWS",
    "Form",
    "Macro",
    "balance_formulas",
    "last_reconciled_formula",
    "macros_on",
    "overflow_formula",
    "overlap_formula",
    "ref",
]

HOME = "Home"


@dataclass(frozen=True)
class Macro:
    """One button: the VBA sub it runs, the Python entry point behind it, and the sheets
    that show it (the macro acts on where it is pressed: a form on Home, the selected
    row elsewhere)."""

    sub: str
    caption: str
    entry: str  # function of ``practicebook.frontends.excel`` the sub calls through RunPython
    help: str
    sheets: tuple[str, ...] = ("Home",)


MACROS: tuple[Macro, ...] = (
    Macro(
        "Reconcile",
        "Reconcile",
        "reconcile_main",
        "Writes Balances, Aging, Flags, Ledger, CancellationLog and Summary.",
    ),
    Macro(
        "AddSession",
        "Add session",
        "add_session_main",
        "Adds the New session form as a row of Sessions.",
    ),
    Macro(
        "RecordPayment",
        "Record payment",
        "record_payment_main",
        "Adds the New payment form as a row of Payments.",
    ),
    Macro(
        "PreviewCancellation",
        "Preview cancellation fee",
        "preview_cancellation_main",
        "Shows what the Late cancellation form would record and the fee, writing nothing.",
    ),
    Macro(
        "MarkLateCancellation",
        "Mark late cancellation",
        "mark_cancellation_main",
        "On Home: records the Late cancellation form on its session and shows the fee. "
        "On Sessions: puts the selected session in the form and previews the fee.",
        ("Home", "Sessions"),
    ),
    Macro(
        "ExplainBalance",
        "Explain balance",
        "explain_balance_main",
        "Explains the balance of the client in the Client form, or on the selected row.",
        ("Home", "Clients", "Sessions", "Payments"),
    ),
    Macro(
        "CheckWorkbook",
        "Check workbook",
        "check_workbook_main",
        "Lists problems on Flags and selects the first offending cell.",
    ),
    Macro(
        "Statement",
        "Statement",
        "statement_main",
        "The statement of the client in the Client form, or on the selected row, for the "
        "form's period (blank: last month), as a PDF in documents/ beside the workbook.",
        ("Home", "Clients", "Sessions"),
    ),
    Macro(
        "Superbill",
        "Superbill",
        "superbill_main",
        "The superbill of the client in the Client form, or on the selected row, for the "
        "form's period (blank: last month).",
        ("Home", "Clients"),
    ),
    Macro(
        "Invoice",
        "Invoice",
        "invoice_main",
        "On Sessions: the selected session's invoice. Elsewhere: the client's charges in "
        "the Client form's period (blank: last month) not on another invoice yet.",
        ("Home", "Clients", "Sessions"),
    ),
    Macro(
        "Estimate",
        "Good-faith estimate",
        "estimate_main",
        "The good-faith estimate of the client in the Client form, or on the selected row: "
        "the services and frequency of the estimate form, over the Client form's period "
        "(blank: a year from today).",
        ("Home", "Clients"),
    ),
    Macro(
        "MatchDeposits",
        "Match deposits",
        "match_deposits_main",
        "Writes Deposits: where each payment's money is, and what each bank line matched.",
    ),
    Macro(
        "ImportBankFile",
        "Import bank file",
        "import_bank_file_main",
        "Imports the statement file in the Import bank file form (blank: asks for one) "
        "into BankLines: new lines only, never one twice.",
    ),
    Macro(
        "Receipt",
        "Receipt",
        "receipt_main",
        "The receipt of the payment on the selected row, as a PDF beside the workbook.",
        ("Payments",),
    ),
)


def macros_on(sheet: str) -> tuple[Macro, ...]:
    """The buttons a sheet shows, in order."""
    return tuple(m for m in MACROS if sheet in m.sheets)


@dataclass(frozen=True)
class Form:
    """An entry form on Home: one labelled input cell per field, under a title.

    Rows and columns are 1-based Excel numbers; the label is in ``column`` and the
    value in ``column + 1``; field ``i`` is on row ``first_row + i``.
    """

    sheet: str
    title: str
    column: int
    first_row: int
    fields: tuple[str, ...]

    def value_cell(self, key: str) -> tuple[int, int]:
        """Row and column of the input cell of field ``key``."""
        return self.first_row + self.fields.index(key), self.column + 1

    @property
    def status_cell(self) -> tuple[int, int]:
        """Row and column where the outcome of the form's button is written."""
        return self.first_row + len(self.fields), self.column

    @property
    def value_range(self) -> tuple[int, int, int]:
        """First row, last row and column of the input cells."""
        return self.first_row, self.first_row + len(self.fields) - 1, self.column + 1


FORMS: dict[str, Form] = {
    "Sessions": Form(
        "Sessions",
        "New session",
        1,
        6,
        (
            "session_id",
            "client_id",
            "clinician_id",
            "service_code",
            "scheduled_start",
            "scheduled_minutes",
            "status",
            "fee_override",
            "memo",
        ),
    ),
    "Payments": Form(
        "Payments",
        "New payment",
        4,
        6,
        (
            "payment_id",
            "received_date",
            "client_id",
            "kind",
            "method",
            "reference",
            "amount",
            "applies_to_session_id",
            "memo",
        ),
    ),
}
#: Home's Late cancellation form: which session, who cancelled, by which channel and
#: when it was heard (blank: the moment the button is pressed).
CANCEL_FORM = Form(
    "Sessions",
    "Late cancellation",
    7,
    6,
    ("session_id", "cancelled_by", "cancel_channel", "cancel_requested_at"),
)
#: Home's Client form: the client Explain balance and the documents act on, and the
#: documents' period (both blank: last calendar month).
CLIENT_FORM = Form("Documents", "Client", 7, 14, ("client_id", "period_start", "period_end"))
#: Home's Import bank file form: the statement file (a full path, or one beside the
#: workbook) and the account its lines go to (blank: the one the file belongs to).
BANK_FORM = Form("BankLines", "Import bank file", 13, 6, ("statement_file", "account_id"))
#: Home's Good-faith estimate form: the services expected (``90791=1, 90834``: a count,
#: or as often as the frequency says) and how often.
ESTIMATE_FORM = Form(
    "Documents", "Good-faith estimate", 13, 11, ("estimate_services", "estimate_frequency")
)
#: Form fields that are no column of their form's sheet: plain text cells.
FREE_FIELDS = ("statement_file", "estimate_services", "estimate_frequency")
FORM_DEFAULTS = {
    ("Sessions", "status"): "scheduled",
    ("Payments", "kind"): "payment",
    ("Documents", "estimate_frequency"): "weekly",
}
#: Form labels other than the column's header, by form title and field.
FORM_LABELS = {
    ("Late cancellation", "cancel_requested_at"): "Heard at (blank = now)",
    ("Client", "period_start"): "Documents from (blank: last month)",
    ("Client", "period_end"): "Documents to",
    ("Import bank file", "statement_file"): "Statement file",
    ("Import bank file", "account_id"): "Account ID (blank: the file's)",
    ("Good-faith estimate", "estimate_services"): "Services (90791=1, 90834)",
    ("Good-faith estimate", "estimate_frequency"): "Frequency (weekly, biweekly, monthly)",
}
#: A3: the one-line outcome of the last button pressed.
RESULT_CELL = (3, 1)
#: Where the buttons of Home are: column J, help beside them in K.
BUTTON_COLUMN = 10

AS_OF_CELL = (19, 2)  # B19: the day the formula balances are taken on (default: today)
LAST_RECONCILED_CELL = (19, 8)  # H19: the as-of day of the Balances sheet, as it says
OVERLAP_CELL = (20, 8)  # H20: pairs of Services rows of one code whose periods overlap
OVERFLOW_CELL = (20, 1)  # A20: a warning when Clients outgrew the formula rows
BALANCE_HEADER_ROW = 21
BALANCE_COLUMNS = (
    "Client ID",
    "Session charges",
    "Payments",
    "Refunds",
    "Adjustments",
    "Balance by formula (≈ estimate)",
    "What the formula leaves out",
    "Last reconciled balance",
)
#: Hidden helper column: what the formula leaves out, as ``, item, item`` (empty: nothing).
LEFT_OUT_COLUMN = 9
BALANCE_NOTE = (
    "These balances are plain formulas and need no Python: attended sessions at the fee "
    "override or the base fee of the Services row in effect on the session's day, "
    "payments, refunds and adjustments up to the as-of day. Formulas cannot apply client "
    "or clinician rates, the cancellation policy (late-cancel and no-show fees) or "
    "overlapping Services rows: a client affected shows ≈ before the balance and names "
    "what is left out. Press Reconcile for the full balances (the Balances sheet); the "
    "last reconciled balance is shown beside each client."
)
#: Rows the formula table has beyond the Clients rows when it is written; any button
#: extends it when Clients outgrows it, and A20 says so meanwhile.
SPARE_ROWS = 200
#: The Balances sheet column of the balance (``render.sheets``: client_id, charges,
#: payments, refunds, adjustments, balance, …).
BALANCES_BALANCE_COLUMN = 6
_LAST_DAY = 2958465  # 9999-12-31, the last day Excel knows: an open period's end


def ref(sheet: str, key: str) -> str:
    """The structured reference of a schema column: ``Sessions[Client ID]``. Each input
    sheet is an Excel Table named like the sheet, so the reference grows with it."""
    header = WORKBOOK.sheet(sheet).column(key).header
    escaped = re.sub(r"([\[\]#'])", r"'\1", header)
    return f"{sheet}[{escaped}]"


def _cell(rc: tuple[int, int], absolute: bool = True) -> str:
    row, col = rc
    mark = "$" if absolute else ""
    return f"{mark}{column_letter(col)}{mark}{row}"


def _day_end() -> str:
    """The criterion text "before the day after the as-of day"."""
    return f'"<"&(INT({_cell(AS_OF_CELL)})+1)'


def _attended(client: str) -> str:
    """COUNTIFS/SUMIFS criteria: the client's attended sessions up to the as-of day that
    are charged (the core charges none cancelled by the clinician or the practice)."""
    start, by = ref("Sessions", "scheduled_start"), ref("Sessions", "cancelled_by")
    return (
        f'{ref("Sessions", "client_id")},{client},{ref("Sessions", "status")},"attended",'
        f'{start},{_day_end()},{by},"<>clinician",{by},"<>practice"'
    )


def _charges(client: str, digits: int) -> str:
    """Fee overrides, plus each Services row's base fee times the client's sessions of
    its code dated within its period that have no override."""
    attended = _attended(client)
    start = ref("Sessions", "scheduled_start")
    first = f"({ref('Services', 'effective_from')}+0)"
    end = ref("Services", "effective_to")
    in_period = (
        f"{ref('Sessions', 'service_code')},{ref('Services', 'service_code')},"
        f'{start},">="&{first},{start},"<"&({end}+({end}="")*{_LAST_DAY}+1)'
    )
    override = ref("Sessions", "fee_override")
    counted = f'COUNTIFS({attended},{in_period})-COUNTIFS({attended},{in_period},{override},"<>")'
    return (
        f"ROUND(SUMIFS({override},{attended})"
        f"+SUMPRODUCT({ref('Services', 'base_fee')},{counted}),{digits})"
    )


def _received(client: str, digits: int, kind: str | None) -> str:
    criteria = (
        f"{ref('Payments', 'amount')},{ref('Payments', 'client_id')},{client},"
        f"{ref('Payments', 'received_date')},{_day_end()}"
    )
    if kind is not None:
        criteria += f',{ref("Payments", "kind")},"{kind}"'
    return f"ROUND(SUMIFS({criteria}),{digits})"


def _left_out(client: str) -> str:
    """``, item, item`` naming what the formula cannot apply to this client."""
    sessions = ref("Sessions", "client_id")
    status, start = ref("Sessions", "status"), ref("Sessions", "scheduled_start")
    asked = ref("Sessions", "cancel_requested_at")
    dated = f"{start},{_day_end()}"
    may_charge_fee = "+".join(
        [
            *(f'COUNTIFS({sessions},{client},{status},"{s}",{dated})' for s in _FEE_STATUSES),
            *(
                f'COUNTIFS({sessions},{client},{status},"{s}",{asked},"<>",{dated})'
                for s in _FEE_IF_TIMED
            ),
        ]
    )
    client_rates = f'COUNTIFS({ref("Rates", "scope")},"client",{ref("Rates", "scope_id")},{client})'
    clinician_rates = (
        f'SUMPRODUCT(({sessions}={client})*({status}="attended")'
        f'*({start}<INT({_cell(AS_OF_CELL)})+1)*({ref("Sessions", "fee_override")}="")'
        f'*(COUNTIFS({ref("Rates", "scope")},"clinician",{ref("Rates", "scope_id")},'
        f"{ref('Sessions', 'clinician_id')})>0))"
    )
    return (
        f'IF({may_charge_fee}>0,", late-cancel and no-show fees","")'
        f'&IF({client_rates}>0,", client rates","")'
        f'&IF({clinician_rates}>0,", clinician rates","")'
        f'&IF({_cell(OVERLAP_CELL)}>0,", overlapping Services rows","")'
    )


#: Statuses the policy may charge a fee for; and those it may when a cancel time is set.
_FEE_STATUSES = ("late_cancelled", "no_show")
_FEE_IF_TIMED = ("cancelled", "clinician_cancelled")


def overlap_formula() -> str:
    """An array formula: how many pairs of Services rows of one code overlap in time."""
    code = ref("Services", "service_code")
    first = f"({ref('Services', 'effective_from')}+0)"
    end = ref("Services", "effective_to")
    last = f'({end}+({end}="")*{_LAST_DAY})'
    pairs = (
        f'({code}=TRANSPOSE({code}))*({code}<>"")*({first}<=TRANSPOSE({last}))'
        f"*(TRANSPOSE({first})<={last})"
    )
    return f'{{=SUM({pairs})-SUM(({code}<>"")*({first}<={last}))}}'


def last_reconciled_formula() -> str:
    """The as-of day the Balances sheet states in its title line, or that there is none."""
    title = 'INDIRECT("Balances!A1")'
    after = f'FIND(" as of ",{title})+7'
    return (
        f'=IFERROR("as of "&MID({title},{after},FIND(" · written",{title})-({after})),'
        '"not yet: press Reconcile")'
    )


def overflow_formula(rows: int) -> str:
    """A warning when the Clients table has more rows than the formula table."""
    clients = f"ROWS({ref('Clients', 'client_id')})"
    return (
        f'=IF({clients}>{rows},"Clients has "&{clients}&" rows; the table below shows the '
        f'first {rows}: press any button to extend it.","")'
    )


def balance_formulas(row: int, digits: int = 2) -> tuple[str, ...]:
    """The formulas of the formula-balance line on Excel row ``row``.

    Returns one formula per ``BALANCE_COLUMNS`` column, then the hidden helper naming
    what is left out (``LEFT_OUT_COLUMN``). ``digits`` are the currency's: amounts are
    rounded to them, so sums of cents come out as exact cents.
    """
    n = row - BALANCE_HEADER_ROW  # the n-th client of the Clients table
    clients = ref("Clients", "client_id")
    client = f"$A{row}"
    b, c, d, e = (f"{letter}{row}" for letter in "BCDE")
    j = f"{column_letter(LEFT_OUT_COLUMN)}{row}"
    guard = f'=IF({client}="","",'
    balances = 'INDIRECT("Balances!{}:{}")'
    balance_col = column_letter(BALANCES_BALANCE_COLUMN)
    return (
        f'=IFERROR(IF(INDEX({clients},{n})="","",INDEX({clients},{n})),"")',
        f"{guard}{_charges(client, digits)})",
        f"{guard}{_received(client, digits, None)}-{d})",
        f"{guard}{_received(client, digits, 'refund')})",
        f"{guard}ROUND(SUMIFS({ref('Adjustments', 'amount')},{ref('Adjustments', 'client_id')},"
        f"{client},{ref('Adjustments', 'date')},{_day_end()}),{digits}))",
        f"{guard}ROUND({b}-{c}+{d}+{e},{digits}))",
        f'{guard}IF({j}="","exact","estimate: leaves out "&MID({j},3,200)))',
        f"{guard}IFERROR(INDEX({balances.format(balance_col, balance_col)},"
        f'MATCH({client},{balances.format("A", "A")},0)),""))',
        f"{guard}{_left_out(client)})",
    )
