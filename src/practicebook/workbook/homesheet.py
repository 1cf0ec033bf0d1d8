"""The Home sheet's formula balances, written with their cached values.

The formulas come from ``practicebook.schema.home``; Excel recalculates them on open,
but a viewer that does not (a file preview, a mail client, a phone) shows the values
saved with them. Those are computed here from the rows being written, by the very rule
the formulas follow (not by the core: where the book uses what formulas cannot express,
the formula's estimate is what the cell holds until Excel recalculates it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from practicebook import money
from practicebook.issues import column_letter
from practicebook.schema import home

__all__ = ["balance_rows", "formula_values", "write_balances"]

Rows = Sequence[Mapping[str, object]]
_DAY = dt.timedelta(days=1)
_NOT_CHARGED_BY = ("clinician", "practice")
_FEE_STATUSES = ("late_cancelled", "no_show")
_FEE_IF_TIMED = ("cancelled", "clinician_cancelled")


def balance_rows(clients: int) -> int:
    """How many formula rows a book with ``clients`` Clients rows gets."""
    return clients + home.SPARE_ROWS


def write_balances(
    wb: Any,
    ws: Any,
    rows: Mapping[str, Rows],
    *,
    money_format: Any,
    date_format: Any,
    currency: str,
    today: dt.date | None = None,
) -> None:
    """The As-of cell, the reconciled-as-of and overlap cells, and the formula table on
    Home, each formula saved with the value it has on ``today`` (default: today)."""
    today = today or dt.date.today()
    digits = money.digits(currency)
    heading = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    note = wb.add_format({"italic": True, "text_wrap": True, "valign": "top"})
    estimate = wb.add_format({"bg_color": "#FFEB9C", "num_format": _marked(money_format)})
    row, col = home.AS_OF_CELL
    ws.write_string(
        row - 3, 0, "Balances by formula (no Python needed)", wb.add_format({"bold": True})
    )
    ws.merge_range(row - 2, 0, row - 2, 7, home.BALANCE_NOTE, note)
    ws.set_row(row - 2, 62)
    ws.write_string(row - 1, col - 2, "As of")
    ws.write_formula(row - 1, col - 1, "=TODAY()", date_format, _serial(today))
    r, c = home.LAST_RECONCILED_CELL
    ws.write_string(r - 1, c - 2, "Last reconciled (Balances sheet)")
    ws.write_formula(r - 1, c - 1, home.last_reconciled_formula(), None, "not yet: press Reconcile")
    overlaps = _overlaps(rows.get("Services", ()))
    r, c = home.OVERLAP_CELL
    ws.write_string(r - 1, c - 2, "Overlapping Services rows")
    cell = f"{column_letter(c)}{r}"
    ws.write_array_formula(f"{cell}:{cell}", home.overlap_formula(), None, overlaps)
    count = balance_rows(len(rows.get("Clients", ())))
    r, c = home.OVERFLOW_CELL
    ws.write_formula(r - 1, c - 1, home.overflow_formula(count), None, "")
    ws.set_row(home.BALANCE_HEADER_ROW - 1, 30)
    for c, header in enumerate(home.BALANCE_COLUMNS):
        ws.write_string(home.BALANCE_HEADER_ROW - 1, c, header, heading)
    ws.write_string(home.BALANCE_HEADER_ROW - 1, home.LEFT_OUT_COLUMN - 1, "left out", heading)
    values = formula_values(rows, today, digits, overlaps)
    columns = [*range(len(home.BALANCE_COLUMNS)), home.LEFT_OUT_COLUMN - 1]
    for n in range(count):
        r = home.BALANCE_HEADER_ROW + 1 + n
        cached = values[n] if n < len(values) else [""] * len(columns)
        for c, formula, value in zip(
            columns, home.balance_formulas(r, digits), cached, strict=True
        ):
            fmt = money_format if c in (1, 2, 3, 4, 5, 7) else None
            ws.write_formula(r - 1, c, formula, fmt, value)
    first, last = home.BALANCE_HEADER_ROW + 1, home.BALANCE_HEADER_ROW + count
    helper = column_letter(home.LEFT_OUT_COLUMN)
    ws.conditional_format(  # the balance leaves out something
        f"F{first}:F{last}",
        {"type": "formula", "criteria": f'=${helper}{first}<>""', "format": estimate},
    )
    ws.conditional_format(  # the session charges do: rates, overlapping rows
        f"B{first}:B{last}",
        {
            "type": "formula",
            "criteria": f'=OR(ISNUMBER(SEARCH("rates",${helper}{first})),'
            f'ISNUMBER(SEARCH("overlapping",${helper}{first})))',
            "format": estimate,
        },
    )
    ws.set_column(home.LEFT_OUT_COLUMN - 1, home.LEFT_OUT_COLUMN - 1, None, None, {"hidden": True})


def _marked(money_format: Any) -> str:
    """The money format with ``≈`` before every amount, positive or negative."""
    text = str(getattr(money_format, "num_format", "") or "#,##0.00")
    return ";".join('"≈ "' + part for part in text.split(";"))


def _serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def _text(value: object) -> str:
    """A cell's text as the criteria compare it (case-insensitive)."""
    return "" if value is None else str(value).casefold()


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None


def _amount(value: object) -> Decimal:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(0)


def _period(row: Mapping[str, object]) -> tuple[dt.datetime, dt.datetime]:
    """A Services row's first moment and the moment after its last day."""
    first = _moment(row.get("effective_from")) or dt.datetime(1899, 12, 30)
    last = _moment(row.get("effective_to"))
    return first, (last + _DAY if last else dt.datetime(9999, 12, 31))


def _overlaps(services: Rows) -> int:
    """Ordered pairs of distinct Services rows of one code whose periods overlap."""
    spans = [(_text(s.get("service_code")), *_period(s)) for s in services]
    return sum(
        1
        for i, (code, first, end) in enumerate(spans)
        for j, (other, first2, end2) in enumerate(spans)
        if i != j and code and code == other and first < end2 and first2 < end
    )


def formula_values(
    rows: Mapping[str, Rows], as_of: dt.date, digits: int, overlaps: int | None = None
) -> list[list[object]]:
    """What each formula line shows on ``as_of``: per Clients row, the ``BALANCE_COLUMNS``
    values and then the hidden left-out text, as the formulas compute them."""
    end = dt.datetime.combine(as_of, dt.time()) + _DAY
    sessions = [
        s for s in rows.get("Sessions", ()) if (_moment(s.get("scheduled_start")) or end) < end
    ]
    overlaps = _overlaps(rows.get("Services", ())) if overlaps is None else overlaps
    out: list[list[object]] = []
    for client in rows.get("Clients", ()):
        cid = client.get("client_id")
        if cid is None or cid == "":
            out.append([""] * (len(home.BALANCE_COLUMNS) + 1))
            continue
        key = _text(cid)
        own = [s for s in sessions if _text(s.get("client_id")) == key]
        charges = _charges(own, rows.get("Services", ()))
        paid = [
            p
            for p in rows.get("Payments", ())
            if _text(p.get("client_id")) == key and (_moment(p.get("received_date")) or end) < end
        ]
        refunds = sum(
            (_amount(p.get("amount")) for p in paid if _text(p.get("kind")) == "refund"), Decimal(0)
        )
        payments = sum((_amount(p.get("amount")) for p in paid), Decimal(0)) - refunds
        adjustments = sum(
            (
                _amount(a.get("amount"))
                for a in rows.get("Adjustments", ())
                if _text(a.get("client_id")) == key and (_moment(a.get("date")) or end) < end
            ),
            Decimal(0),
        )
        left_out = _left_out(key, own, rows.get("Rates", ()), overlaps)
        balance = charges - payments + refunds + adjustments
        amounts = [round(v, digits) for v in (charges, payments, refunds, adjustments, balance)]
        note = "estimate: leaves out " + left_out[2:] if left_out else "exact"
        line: list[object] = [str(cid), *(float(v) for v in amounts), note, "", left_out]
        out.append(line)
    return out


def _charges(sessions: Rows, services: Rows) -> Decimal:
    attended = [
        s
        for s in sessions
        if _text(s.get("status")) == "attended"
        and _text(s.get("cancelled_by")) not in _NOT_CHARGED_BY
    ]
    total = sum(
        (_amount(s["fee_override"]) for s in attended if s.get("fee_override") not in (None, "")),
        Decimal(0),
    )
    plain = [s for s in attended if s.get("fee_override") in (None, "")]
    for service in services:
        code = _text(service.get("service_code"))
        first, end = _period(service)
        count = sum(
            1
            for s in plain
            if _text(s.get("service_code")) == code
            and first <= (_moment(s.get("scheduled_start")) or end) < end
        )
        total += _amount(service.get("base_fee")) * count
    return total


def _left_out(client: str, sessions: Rows, rates: Rows, overlaps: int) -> str:
    items = []
    status = [_text(s.get("status")) for s in sessions]
    timed = [s.get("cancel_requested_at") not in (None, "") for s in sessions]
    if any(
        st in _FEE_STATUSES or (st in _FEE_IF_TIMED and t)
        for st, t in zip(status, timed, strict=True)
    ):
        items.append("late-cancel and no-show fees")
    if any(_text(r.get("scope")) == "client" and _text(r.get("scope_id")) == client for r in rates):
        items.append("client rates")
    clinicians = {_text(r.get("scope_id")) for r in rates if _text(r.get("scope")) == "clinician"}
    if any(
        st == "attended"
        and s.get("fee_override") in (None, "")
        and _text(s.get("clinician_id")) in clinicians
        for s, st in zip(sessions, status, strict=True)
    ):
        items.append("clinician rates")
    if overlaps:
        items.append("overlapping Services rows")
    return "".join(", " + item for item in items)
