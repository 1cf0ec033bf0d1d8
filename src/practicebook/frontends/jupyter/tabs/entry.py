"""What the entry tabs share: a form that cannot mis-file.

``EntryTab`` gives a tab a ``SchemaForm`` whose lists start blank and show names, the
core's verdict in words once a field has been touched (every field after a Save click),
a Save button that re-reads the workbook and checks the row as it stands then, and a
visible "saved" state after which the form is cleared of what identifies the row (so a
second click cannot save the same row again).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from practicebook.errors import RowRefused
from practicebook.frontends.jupyter.forms import SchemaForm, field_messages, message_style
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.issues import Issue
from practicebook.model import Layout

Written = TypeVar("Written")


class EntryTab(Tab):
    """A tab whose form adds a row to ``SHEET`` (see the module)."""

    SHEET = ""
    #: The form's fields, in order.
    KEYS: tuple[str, ...] = ()
    #: What a row is called (``session``): in the button and the widgets' CSS hooks.
    NOUN = ""

    def build_form(
        self,
        w: Any,
        defaults: Mapping[str, object],
        save: Callable[[], None],
        lists: Mapping[str, Callable[[], dict[str, str]]] | None = None,
    ) -> None:
        """The form (``defaults`` filled in), its messages and its Save button (``save``)."""
        self.form = SchemaForm(self.state, self.SHEET, self.KEYS, self.NOUN, lists)
        for key, value in defaults.items():
            self.form.widget(key).value = value
        self.form.touched.clear()
        self.messages = hook(w.HTML(), f"{self.NOUN}-messages")
        self.save = hook(
            w.Button(description=f"Save {self.NOUN}", button_style="primary", icon="check"),
            f"{self.NOUN}-save",
        )
        self.form.observe(lambda _change: self.validate())
        self.save.on_click(lambda _b: save())

    def layout_of(self) -> dict[str, int]:
        """Where each column of the sheet is (to put an issue under its field)."""
        layout = self.state.book.layouts.get(self.SHEET) or Layout(self.SHEET)
        sheet = self.form.sheet
        return dict(layout.column_of) or {c.key: i + 1 for i, c in enumerate(sheet.columns)}

    def check(self) -> tuple[bool, list[Any]]:
        """The core's verdict on the form as it stands: (may be saved, issues)."""
        from practicebook.core import entry

        row = entry.new_row(self.state.book, self.SHEET, self.form.values())
        return row.accepted and not self.form.unmatched(), row.issues

    def validate(self, *, show_all: bool = False) -> bool:
        """Show the verdict for the touched fields (all with ``show_all``); True if the
        row can be saved."""
        ok, issues = self.check()
        self.messages.value = field_messages(
            issues, self.form, self.layout_of(), only_touched=not show_all
        )
        return ok

    def save_checked(self) -> bool:
        """Re-read the workbook and check the row before a save, showing every message."""
        self.dash.refresh()
        self.form.touch_all()
        return self.validate(show_all=True)

    def write_row(
        self,
        messages: Any,
        write: Callable[[], Written],
        *,
        check: Callable[[], bool] | None = None,
    ) -> Written | None:
        """``Tab.write_row``, with the writer's refusal said in words under the fields."""
        refused: list[Issue] = []

        def attempt() -> Written | None:
            try:
                return write()
            except RowRefused as exc:
                refused.extend(exc.issues)
                return None

        done = super().write_row(messages, attempt, check=check)
        if refused:
            self.form.touch_all()
            messages.value = field_messages(refused, self.form, self.layout_of())
            return None
        return done

    def show_saved(self, text: str, issues_html: str = "") -> None:
        """The visible saved state: what was saved, where, and what the core noted."""
        self.messages.value = (
            message_style()
            + f"<div class='pb-saved pb-{self.NOUN}-saved'>✓ {html.escape(text)}</div>"
            + issues_html
        )
