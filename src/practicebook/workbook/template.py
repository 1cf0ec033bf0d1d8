"""Write a standard workbook from the schema: the template, and generated example books.

Every input sheet becomes an Excel Table named like the sheet, with a frozen header row,
schema widths, number formats by kind (money in the practice currency via babel),
dropdowns for choices and references, the schema help as input messages, a hidden
``Lists`` sheet and the schema version as a custom document property. New files are
written with XlsxWriter; it never turns text into formulas (``write_string``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from practicebook.issues import column_letter
from practicebook.render.sheets import excel_money_format
from practicebook.schema import (
    LISTS_SHEET,
    PRACTICE,
    SCHEMA_PROPERTY,
    WORKBOOK,
    Column,
    Kind,
    Sheet,
    home,
)
from practicebook.workbook import homesheet

__all__ = ["describe_workbook", "write_workbook"]

Rows = Sequence[Mapping[str, object]]
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
VALIDATED_ROWS = 5000  # rows below the data that keep their dropdowns and messages
REFERENCE_ROWS = 100_000  # how far down a referenced ID column a dropdown looks


def write_workbook(
    target: str | Path | IO[bytes],
    rows: Mapping[str, Rows] | None = None,
    *,
    settings: Mapping[str, object] | None = None,
    vba_project: bytes | None = None,
) -> None:
    """Write a standard workbook.

    Args:
        target: a path or a binary file object (a path must end in ``.xlsm`` when
            ``vba_project`` is given).
        rows: optional data per sheet name: one mapping of column key to value per row
            (text as ``str``, money as ``Decimal``, dates as ``date``/``datetime``).
        settings: Practice settings overriding the schema defaults (``currency`` …).
        vba_project: the bytes of a ``vbaProject.bin`` holding the macros of
            ``practicebook.schema.home.MACROS``; makes a macro-enabled workbook whose first
            sheet, Home, has a button per macro, entry forms and formula balances.
    """
    rows = rows or {}
    values = {s.key: s.default for s in WORKBOOK.settings}
    values.update(settings or {})
    currency = str(values.get("currency") or "USD")
    locale = str(values.get("locale") or "en_US")
    options: dict[str, Any] = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    if not isinstance(target, (str, Path)):
        options["in_memory"] = True
    wb = xlsxwriter.Workbook(target, options)
    try:
        formats = _Formats(wb, currency, locale)
        lists = _list_columns()
        if vba_project is not None:
            _write_home(wb, formats, rows, lists, currency)
            wb.add_vba_project(io.BytesIO(vba_project), is_stream=True)
            wb.set_vba_name("ThisWorkbook")
        _write_practice(wb, formats, values)
        for sheet in WORKBOOK.sheets:
            if sheet is not PRACTICE:
                _write_sheet(
                    wb, formats, sheet, rows.get(sheet.name, ()), lists, vba_project is not None
                )
        _write_lists(wb, lists)
        wb.set_properties({"title": "practicebook workbook", "comments": "Created by practicebook"})
        wb.set_custom_property(SCHEMA_PROPERTY, str(WORKBOOK.version))
    finally:
        wb.close()


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook, currency: str, locale: str) -> None:
        self.header = wb.add_format({"bold": True})
        self.by_kind = {
            Kind.MONEY: wb.add_format({"num_format": excel_money_format(currency, locale)}),
            Kind.DATE: wb.add_format({"num_format": DATE_FORMAT}),
            Kind.DATETIME: wb.add_format({"num_format": DATETIME_FORMAT}),
            Kind.INTEGER: wb.add_format({"num_format": "0"}),
            Kind.ID: wb.add_format({"num_format": "@"}),
        }

    def of(self, kind: Kind) -> Any:
        return self.by_kind.get(kind)


def _list_columns() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Lists-sheet column letter and values for every choice column, by ``Sheet.key``."""
    lists: dict[str, tuple[str, tuple[str, ...]]] = {}
    for sheet in WORKBOOK.sheets:
        for col in sheet.columns:
            if col.choices:
                lists[f"{sheet.name}.{col.key}"] = (column_letter(len(lists) + 1), col.choices)
    return lists


def _input_message(col: Column) -> tuple[str, str]:
    title = col.header[:32]
    parts = []
    if col.required:
        parts.append("Required.")
    if col.help:
        parts.append(col.help)
    if col.choices:
        parts.append("One of: " + ", ".join(col.choices) + ".")
    if col.references:
        parts.append(f"Must exist on the {col.references.split('.')[0]} sheet.")
    return title, " ".join(parts)[:255]


def _write_sheet(
    wb: xlsxwriter.Workbook,
    formats: _Formats,
    sheet: Sheet,
    data: Rows,
    lists: Mapping[str, tuple[str, tuple[str, ...]]],
    buttons: bool = False,
) -> None:
    ws = wb.add_worksheet(sheet.name)
    ws.freeze_panes(1, 0)
    for c, col in enumerate(sheet.columns):
        ws.set_column(c, c, col.width, formats.of(col.kind))
    for r, row in enumerate(data, start=1):
        for c, col in enumerate(sheet.columns):
            _write_cell(ws, r, c, col, row.get(col.key), formats)
    last = max(len(data), 1)
    ws.add_table(
        0,
        0,
        last,
        len(sheet.columns) - 1,
        {
            "name": sheet.name,
            "style": "Table Style Light 9",
            "columns": [{"header": col.header} for col in sheet.columns],
        },
    )
    bottom = last + VALIDATED_ROWS
    for c, col in enumerate(sheet.columns):
        _validate(ws, c, bottom, sheet, col, lists)
    if buttons:
        _write_buttons(ws, sheet)


def _validate(
    ws: Any,
    c: int,
    bottom: int,
    sheet: Sheet,
    col: Column,
    lists: Mapping[str, tuple[str, tuple[str, ...]]],
) -> None:
    ws.data_validation(1, c, bottom, c, _validation(sheet, col, lists))


def _validation(
    sheet: Sheet, col: Column, lists: Mapping[str, tuple[str, tuple[str, ...]]]
) -> dict[str, Any]:
    """A column's dropdown (choices, TRUE/FALSE, referenced IDs) and input message."""
    title, message = _input_message(col)
    options: dict[str, Any] = {"input_title": title, "input_message": message, "ignore_blank": True}
    key = f"{sheet.name}.{col.key}"
    if key in lists:
        letter, values = lists[key]
        options.update(
            validate="list",
            source=f"={LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}",
            error_title="Not in the list",
            error_message=f"Pick one of: {', '.join(values)}"[:255],
        )
    elif col.kind is Kind.BOOL:
        options.update(validate="list", source=["TRUE", "FALSE"])
    elif col.references:
        target, _, target_key = col.references.partition(".")
        letter = xl_col_to_name(WORKBOOK.sheet(target).keys.index(target_key))
        options.update(
            validate="list",
            source=f"='{target}'!${letter}$2:${letter}${REFERENCE_ROWS}",
            error_type="warning",
            error_title="Unknown ID",
            error_message=f"This ID is not on the {target} sheet yet.",
        )
    else:
        options["validate"] = "any"
    return options


def _write_cell(ws: Any, r: int, c: int, col: Column, value: object, formats: _Formats) -> None:
    if value is None or value == "":
        return
    fmt = formats.of(col.kind)
    if isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, value, fmt)
    elif isinstance(value, (int, float, Decimal)) and col.kind not in (Kind.ID, Kind.TEXT):
        ws.write_number(r, c, float(value), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _write_practice(
    wb: xlsxwriter.Workbook, formats: _Formats, values: Mapping[str, object]
) -> None:
    ws = wb.add_worksheet(PRACTICE.name)
    ws.freeze_panes(1, 0)
    ws.set_column(0, 0, PRACTICE.columns[0].width)
    ws.set_column(1, 1, PRACTICE.columns[1].width)
    settings = WORKBOOK.settings
    for r, setting in enumerate(settings, start=1):
        ws.write_string(r, 0, setting.key)
        value = values.get(setting.key)
        if isinstance(value, dt.date):
            ws.write_datetime(r, 1, value, formats.of(Kind.DATE))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r, 1, value)
        elif value is not None:
            ws.write_string(r, 1, str(value))
        message = setting.help or f"Practice setting {setting.key}."
        if setting.choices:
            message += " One of: " + ", ".join(setting.choices) + "."
        ws.data_validation(
            r,
            1,
            r,
            1,
            {"validate": "any", "input_title": setting.key[:32], "input_message": message[:255]},
        )
    ws.add_table(
        0,
        0,
        len(settings),
        1,
        {
            "name": PRACTICE.name,
            "style": "Table Style Light 9",
            "columns": [{"header": col.header} for col in PRACTICE.columns],
        },
    )


def _write_home(
    wb: xlsxwriter.Workbook,
    formats: _Formats,
    rows: Mapping[str, Rows],
    lists: Mapping[str, tuple[str, tuple[str, ...]]],
    currency: str,
) -> None:
    """Home: title, one button per macro, the entry forms and the formula balances."""
    ws = wb.add_worksheet(home.HOME)
    ws.activate()
    title = wb.add_format({"bold": True, "font_size": 14})
    heading = wb.add_format({"bold": True})
    ws.write_string(0, 0, "practicebook", title)
    ws.write_string(
        1,
        0,
        "Type on the input sheets, then press a button: here they act on the forms below; "
        "on Sessions, Clients and Payments, on the selected row.",
    )
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 18)
    ws.set_column(3, 3, 22)
    ws.set_column(4, 4, 18)
    ws.set_column(5, 5, 20)
    ws.set_column(6, 6, 44)
    ws.set_column(6, 6, 24)
    ws.set_column(7, 7, 24)
    ws.set_column(home.BUTTON_COLUMN - 1, home.BUTTON_COLUMN - 1, 26)
    ws.set_column(home.BUTTON_COLUMN, home.BUTTON_COLUMN, 60)
    for i, macro in enumerate(home.macros_on(home.HOME)):
        ws.insert_button(1 + 2 * i, home.BUTTON_COLUMN - 1, _button(macro))
        ws.write_string(1 + 2 * i, home.BUTTON_COLUMN, macro.help)
    ws.set_column(home.BANK_FORM.column - 1, home.BANK_FORM.column - 1, 30)
    ws.set_column(home.BANK_FORM.column, home.BANK_FORM.column, 40)
    forms = (home.CANCEL_FORM, home.CLIENT_FORM, home.BANK_FORM, home.ESTIMATE_FORM)
    for form in (*home.FORMS.values(), *forms):
        _write_form(ws, formats, form, heading, lists)
    homesheet.write_balances(
        wb,
        ws,
        rows,
        money_format=formats.of(Kind.MONEY),
        date_format=formats.of(Kind.DATE),
        currency=currency,
    )


def _button(macro: home.Macro) -> dict[str, Any]:
    return {"macro": macro.sub, "caption": macro.caption, "width": 180, "height": 30}


def _write_buttons(ws: Any, sheet: Sheet) -> None:
    """The buttons of an input sheet, right of its table, one under the other."""
    for i, macro in enumerate(home.macros_on(sheet.name)):
        ws.insert_button(1 + 2 * i, len(sheet.columns) + 1, _button(macro))


def _write_form(
    ws: Any,
    formats: _Formats,
    form: home.Form,
    heading: Any,
    lists: Mapping[str, tuple[str, tuple[str, ...]]],
) -> None:
    sheet = WORKBOOK.sheet(form.sheet)
    ws.write_string(form.first_row - 2, form.column - 1, form.title, heading)
    for key in form.fields:
        r, c = form.value_cell(key)
        if key in home.FREE_FIELDS:
            ws.write_string(r - 1, c - 2, home.FORM_LABELS[(form.title, key)])
            value = home.FORM_DEFAULTS.get((form.sheet, key))
            if value is None:
                ws.write_blank(r - 1, c - 1, None, formats.of(Kind.ID))
            else:
                ws.write_string(r - 1, c - 1, value, formats.of(Kind.ID))
            continue
        col = sheet.column(key)
        ws.write_string(r - 1, c - 2, home.FORM_LABELS.get((form.title, key), col.header))
        default = home.FORM_DEFAULTS.get((form.sheet, key))
        if default is not None:
            ws.write_string(r - 1, c - 1, default, formats.of(col.kind))
        else:
            ws.write_blank(r - 1, c - 1, None, formats.of(col.kind))
        ws.data_validation(r - 1, c - 1, r - 1, c - 1, _validation(sheet, col, lists))


def _write_lists(wb: xlsxwriter.Workbook, lists: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    for c, (key, (_, values)) in enumerate(lists.items()):
        ws.write_string(0, c, key)
        for r, value in enumerate(values, start=1):
            ws.write_string(r, c, value)
    c = len(lists)
    ws.write_string(0, c, "schema_version")
    ws.write_number(1, c, WORKBOOK.version)
    ws.hide()


def describe_workbook(path: str | Path | IO[bytes]) -> dict[str, Any]:
    """A by-value description of a workbook's structure, for comparing templates.

    Lists each sheet's visibility, header row, tables, frozen panes, column number
    formats (first data row), data validations (type, formula, prompt) and the schema
    version property. Two workbooks built from the same schema describe equal.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": {}, "schema_version": None}
    for prop in wb.custom_doc_props.props:
        if prop.name == SCHEMA_PROPERTY:
            out["schema_version"] = prop.value
    for ws in wb.worksheets:
        headers = [cell.value for cell in ws[1]]
        out["sheets"][ws.title] = {
            "state": ws.sheet_state,
            "headers": headers,
            "freeze": ws.freeze_panes,
            "tables": dict(ws.tables.items()),
            "formats": [
                ws.column_dimensions[column_letter(i + 1)].number_format
                for i in range(len(headers))
            ],
            "validations": sorted(
                (
                    str(dv.sqref).split(":")[0],
                    dv.type or "any",
                    dv.formula1 or "",
                    dv.promptTitle or "",
                    dv.prompt or "",
                )
                for dv in ws.data_validations.dataValidation
            ),
        }
    return out
