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
    entry: str  # function of ``practicebook.excel`` the sub calls through RunPython
    help: str


MACROS: tuple[Macro, ...] = (
    Macro("Reconcile", "Reconcile", "reconcile_main",
          "Writes Balances, Aging, Flags, Ledger and CancellationLog."),
    Macro("AddSession", "Add session", "add_session_main",
          "Adds the New session form below as a row of Sessions."),
    Macro("RecordPayment", "Record payment", "record_payment_main",
          "Adds the New payment form below as a row of Payments."),
    Macro("MarkLateCancellation", "Mark late cancellation", "mark_cancellation_main",
          "Stamps the selected Sessions row as cancelled now and shows the fee."),
    Macro("ExplainBalance", "Explain balance", "explain_balance_main",
          "Explains the balance of the client on the selected row."),
    Macro("CheckWorkbook", "Check workbook", "check_workbook_main",
          "Lists problems on Flags and selects the first offending cell."),
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
    def value_range(self) -> tuple[int, int, int]:
        """First row, last row and column of the input cells."""
        return self.first_row, self.first_row + len(self.fields) - 1, self.column + 1


FORMS: dict[str, Form] = {
    "Sessions": Form("Sessions", "New session", 1, 6, (
        "session_id", "client_id", "clinician_id", "service_code", "scheduled_start",
        "scheduled_minutes", "status", "fee_override", "memo")),
    "Payments": Form("Payments", "New payment", 4, 6, (
        "payment_id", "received_date", "client_id", "kind", "method", "reference",
        "amount", "applies_to_session_id", "memo")),
}
FORM_DEFAULTS = {("Sessions", "status"): "scheduled", ("Payments", "kind"): "payment"}

AS_OF_CELL = (17, 2)  # B17: the day the formula balances are taken on
BALANCE_HEADER_ROW = 19
BALANCE_COLUMNS = ("Client ID", "Session charges", "Payments", "Refunds", "Adjustments",
                   "Balance")
BALANCE_NOTE = (
    "Formula balances work without Python: attended sessions at the fee override or the "
    "service's base fee, payments, refunds and adjustments up to the as-of day. They cannot "
    "apply client or clinician rates, dated fee schedules or the cancellation policy "
    "(late-cancel and no-show fees); press Reconcile for the full balances on the "
    "Balances sheet.")
SERVICE_ROWS = 500  # Services rows the base-fee lookup reads
FORMULA_CLIENTS = 300  # Clients rows the formula area covers when the book has fewer


def _col(sheet: str, key: str) -> str:
    """``Sessions!$B:$B`` for a schema column (whole column: the header never matches)."""
    letter = column_letter(WORKBOOK.sheet(sheet).keys.index(key) + 1)
    return f"{sheet}!${letter}:${letter}"


def _bounded(sheet: str, key: str, rows: int) -> str:
    letter = column_letter(WORKBOOK.sheet(sheet).keys.index(key) + 1)
    return f"{sheet}!${letter}$2:${letter}${rows + 1}"


def balance_formulas(row: int) -> tuple[str, ...]:
    """The formulas of the formula-balance line on Excel row ``row`` (client in A).

    Returns the client cell and the five amounts, in ``BALANCE_COLUMNS`` order.
    """
    client_row = row - BALANCE_HEADER_ROW + 1  # data row n of Clients is row n + 1
    as_of = f"${column_letter(AS_OF_CELL[1])}${AS_OF_CELL[0]}"
    client = f"$A{row}"
    day_end = f'"<"&({as_of}+1)'
    through = f'"<="&{as_of}'
    session = dict(client=_col("Sessions", "client_id"), status=_col("Sessions", "status"),
                   start=_col("Sessions", "scheduled_start"),
                   override=_col("Sessions", "fee_override"),
                   service=_col("Sessions", "service_code"))
    attended = (f'{session["client"]},{client},{session["status"]},"attended",'
                f'{session["start"]},{day_end}')
    charges = (
        f'=SUMIFS({session["override"]},{attended})'
        f'+SUMPRODUCT({_bounded("Services", "base_fee", SERVICE_ROWS)},'
        f'COUNTIFS({attended},{session["override"]},"",{session["service"]},'
        f'{_bounded("Services", "service_code", SERVICE_ROWS)}))')
    pay = dict(amount=_col("Payments", "amount"), client=_col("Payments", "client_id"),
               kind=_col("Payments", "kind"), date=_col("Payments", "received_date"))
    paid = f'{pay["client"]},{client},{pay["date"]},{through}'
    adjustments = (f'=SUMIFS({_col("Adjustments", "amount")},{_col("Adjustments", "client_id")},'
                   f'{client},{_col("Adjustments", "date")},{through})')
    letters = [column_letter(i + 1) for i in range(len(BALANCE_COLUMNS))]
    b, c, d, e = (f"{letter}{row}" for letter in letters[1:5])
    return (
        f'=IF(Clients!$A{client_row + 1}="","",Clients!$A{client_row + 1})',
        f'=IF($A{row}="","",{charges[1:]})',
        f'=IF($A{row}="","",SUMIFS({pay["amount"]},{paid},{pay["kind"]},"<>refund"))',
        f'=IF($A{row}="","",SUMIFS({pay["amount"]},{paid},{pay["kind"]},"refund"))',
        f'=IF($A{row}="","",{adjustments[1:]})',
        f'=IF($A{row}="","",{b}-{c}+{d}+{e})',
    )
