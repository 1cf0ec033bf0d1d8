"""Input forms generated from the workbook schema: one widget per column of an input sheet."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from practicebook import schema
from practicebook.frontends.jupyter.state import WorkbookState
from practicebook.frontends.jupyter.widgets import hook, widgets


@dataclass
class _Field:
    column: schema.Column
    widget: Any


class SchemaForm:
    """Input widgets for chosen columns of one input sheet, generated from the schema.

    ID columns that reference another sheet become dropdowns of that sheet's IDs,
    choices become dropdowns, dates and date-times pickers, booleans checkboxes; numbers,
    money and text are text boxes whose text the core reads as it reads a cell, in the
    workbook's locale (so a blank stays blank and ``1.250,00`` works in a German book).

    Args:
        state: the workbook state (dropdown options, locale, currency).
        sheet: the input sheet.
        keys: the columns to show, in order.
        name: prefix of the CSS hooks (``pb-<name>-<key>``).
    """

    def __init__(self, state: WorkbookState, sheet: str, keys: Iterable[str], name: str) -> None:
        self.state = state
        self.sheet = schema.WORKBOOK.sheet(sheet)
        self.fields = {
            key: _Field(
                self.sheet.column(key),
                hook(self._make(self.sheet.column(key)), f"{name}-{key.replace('_', '-')}"),
            )
            for key in keys
        }
        self.refresh_options()

    def _make(self, col: schema.Column) -> Any:
        w = widgets()
        common = {
            "description": col.header,
            "tooltip": col.help or None,
            "style": {"description_width": "140px"},
        }
        if col.kind is schema.Kind.CHOICE:
            options = ([] if col.required else [""]) + list(col.choices)
            return w.Dropdown(options=options, value=col.default or options[0], **common)
        if col.references:
            return w.Dropdown(options=[""], value="", **common)
        if col.kind is schema.Kind.DATETIME:
            return w.NaiveDatetimePicker(**common)
        if col.kind is schema.Kind.DATE:
            return w.DatePicker(**common)
        if col.kind is schema.Kind.BOOL:
            return w.Checkbox(value=bool(col.default), indent=False, **common)
        return w.Text(placeholder=col.help[:40], **common)

    def refresh_options(self) -> None:
        """Reload dropdown options of referencing columns from the current book."""
        for f in self.fields.values():
            ref = f.column.references
            if not ref:
                continue
            sheet, key = ref.split(".")
            options = ([] if f.column.required else [""]) + self.state.ids(sheet, key)
            keep = f.widget.value if f.widget.value in options else None
            f.widget.options = options or [""]
            f.widget.value = keep if keep is not None else f.widget.options[0]

    def widget(self, key: str) -> Any:
        """The input widget of column ``key``."""
        return self.fields[key].widget

    def values(self) -> dict[str, object]:
        """The filled-in values by column key, blanks left out. Text (money included) is
        passed on as typed: the core reads it in the workbook's locale."""
        return {
            key: f.widget.value
            for key, f in self.fields.items()
            if f.widget.value is not None and f.widget.value != ""
        }

    def observe(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback`` whenever any field changes."""
        for f in self.fields.values():
            f.widget.observe(callback, names="value")

    def clear(self, keys: Iterable[str]) -> None:
        """Blank the given text fields after a save."""
        for key in keys:
            self.fields[key].widget.value = ""

    def box(self) -> Any:
        """The fields stacked vertically."""
        return widgets().VBox([f.widget for f in self.fields.values()])
