"""The Home sheet of the macro workbook, declared once as data.

The template writes it (buttons, entry forms, formula balances) and the Excel adapter
reads the forms back, so both take cell positions from here. Nothing here imports an
I/O library; the formula text is plain Excel (``SUMIFS``, ``COUNTIFS``, ``SUMPRODUCT``:
nothing volatile) so balances show on a machine with no Python at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from practicebook.issues import column_letter
from practicebook.schema import WORKBOOK

__all__ = [
    "AS_OF_CELL",
    "BALANCE_COLUMNS",
    "BALANCE_HEADER_ROW",
    "BALANCE_NOTE",
    "FORMS",
    "HOME",
    "MACROS",
    "Form",
    "Macro",
    "balance_formulas",
]

HOME = "Home"


@dataclass(frozen=True)
class Macro:
    """One button: the VBA sub it runs and the Python entry point behind it."""

    sub: str
    caption: str
    entry: str  # function of ``practicebook.frontends.excel`` the sub calls through RunPython
    help: str


MACROS: tuple[Macro, ...] = (
    Macro(
        "Reconcile",
        "Reconcile",
        "reconcile_main",
        "Writes Balances, Aging, Flags, Ledger and CancellationLog.",
    ),
    Macro(
        "AddSession",
        "Add session",
        "add_session_main",
        "Adds the New session form below as a row of Sessions.",
    ),
    Macro(
        "RecordPayment",
        "Record payment",
        "record_payment_main",
        "Adds the New payment form below as a row of Payments.",
    ),
    Macro(
        "MarkLateCancellation",
        "Mark late cancellation",
        "mark_cancellation_main",
        "Stamps the selected Sessions row as cancelled now and shows the fee.",
    ),
    Macro(
        "ExplainBalance",
        "Explain balance",
        "explain_balance_main",
        "Explains the balance of the client on the selected row.",
    ),
    Macro(
        "CheckWorkbook",
        "Check workbook",
        "check_workbook_main",
        "Lists problems on Flags and selects the first offending cell.",
    ),
)


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
FORM_DEFAULTS = {("Sessions", "status"): "scheduled", ("Payments", "kind"): "payment"}

AS_OF_CELL = (19, 2)  # B19: the day the formula balances are taken on
BALANCE_HEADER_ROW = 21
BALANCE_COLUMNS = ("Client ID", "Session charges", "Payments", "Refunds", "Adjustments", "Balance")
BALANCE_NOTE = (
    "Formula balances work without Python: attended sessions at the fee override or the "
    "service's base fee (first 20 Services rows, one row per code), payments, refunds and "
    "adjustments up to the as-of day. They cannot "
    "apply client or clinician rates, dated fee schedules or the cancellation policy "
    "(late-cancel and no-show fees); press Reconcile for the full balances on the "
    "Balances sheet."
)
SERVICE_ROWS = 20  # Services rows the base-fee formulas read (Excel caps formula length)
FORMULA_CLIENTS = 300  # Clients rows the formula area covers when the book has fewer


def _col(sheet: str, key: str) -> str:
    """``Sessions!$B:$B`` for a schema column (whole column: the header never matches)."""
    letter = column_letter(WORKBOOK.sheet(sheet).keys.index(key) + 1)
    return f"{sheet}!${letter}:${letter}"


def balance_formulas(row: int) -> tuple[str, ...]:
    """The formulas of the formula-balance line on Excel row ``row`` (client in A).

    Returns the client cell and the five amounts, in ``BALANCE_COLUMNS`` order. No
    criterion can match an empty cell (``""``, ``"<>x"``): those make spreadsheet
    engines scan every row of a whole column instead of the used part.
    """
    clients_row = row - BALANCE_HEADER_ROW + 1  # data row n of Clients is Excel row n + 1
    as_of = f"${column_letter(AS_OF_CELL[1])}${AS_OF_CELL[0]}"
    client = f"$A{row}"
    attended = (
        f"{_col('Sessions', 'client_id')},{client},{_col('Sessions', 'status')},"
        f'"attended",{_col("Sessions", "scheduled_start")},"<"&({as_of}+1)'
    )
    charges = "+".join(
        [
            f"SUMIFS({_col('Sessions', 'fee_override')},{attended})",
            *(_base_fee_term(attended, n) for n in range(2, SERVICE_ROWS + 2)),
        ]
    )
    paid = (
        f"{_col('Payments', 'amount')},{_col('Payments', 'client_id')},{client},"
        f'{_col("Payments", "received_date")},"<="&{as_of}'
    )
    refunds = f'SUMIFS({paid},{_col("Payments", "kind")},"refund")'
    adjustments = (
        f"SUMIFS({_col('Adjustments', 'amount')},{_col('Adjustments', 'client_id')},"
        f'{client},{_col("Adjustments", "date")},"<="&{as_of})'
    )
    b, c, d, e = (f"{column_letter(i)}{row}" for i in range(2, 6))
    guard = f'=IF({client}="","",'
    return (
        f'=IF(Clients!$A{clients_row}="","",Clients!$A{clients_row})',
        f"{guard}{charges})",
        f"{guard}SUMIFS({paid})-{refunds})",
        f"{guard}{refunds})",
        f"{guard}{adjustments})",
        f"{guard}{b}-{c}+{d}+{e})",
    )


def _base_fee_term(attended: str, service_row: int) -> str:
    """Base fee of Services row ``service_row`` times the client's attended sessions of
    that code without a fee override (all of them minus those with one)."""
    code = f"Services!$A${service_row}"
    fee = (
        f"Services!${column_letter(WORKBOOK.sheet('Services').keys.index('base_fee') + 1)}"
        f"${service_row}"
    )
    service = f"{_col('Sessions', 'service_code')},{code}"
    return (
        f'IF({code}="",0,{fee}*(COUNTIFS({attended},{service})'
        f'-COUNTIFS({attended},{service},{_col("Sessions", "fee_override")},"<>")))'
    )
