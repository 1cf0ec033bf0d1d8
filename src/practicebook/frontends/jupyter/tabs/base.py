"""What every tab shares: the dashboard and its state, redrawing, and saving a row; and
what the tabs with an entry form share: the form, the core's verdict on it, its Save button."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from practicebook.errors import PracticebookError, RowRefused
from practicebook.frontends.jupyter.forms import SchemaForm
from practicebook.frontends.jupyter.markup import issue_html, note
from practicebook.frontends.jupyter.widgets import hook, widgets

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.dashboard import Dashboard

Written = TypeVar("Written")


class Tab:
    """One tab: owns its widgets (made by ``build``), reads the shared state, redraws on
    ``update`` (once when built, then whenever the dashboard reloads).

    A ``lazy`` tab is built the first time it is shown (``ensure_built``), so the page
    opens without its widgets; until then its box is empty and reloads skip it.
    """

    title = ""
    #: Build the tab's widgets only when it is first shown.
    lazy = False
    #: The tab's box in the dashboard (what ``build`` returned, inside it when lazy).
    box: Any

    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.state = dash.state
        self.built = False
        if self.lazy:
            self.box = widgets().VBox([])
        else:
            self.box = self.build(widgets())
            self.built = True
            self.update()

    def ensure_built(self) -> None:
        """Build a lazy tab's widgets (once) and draw them."""
        if self.built:
            return
        self.box.children = [self.build(widgets())]
        self.built = True
        self.update()

    def redraw(self) -> None:
        """``update``, for a tab that has been built."""
        if self.built:
            self.update()

    def build(self, w: Any) -> Any:
        """Make the tab's widgets with ipywidgets ``w``; return them laid out."""
        raise NotImplementedError

    def update(self) -> None:
        """Redraw from the current state."""

    def write_row(
        self,
        messages: Any,
        write: Callable[[], Written],
        *,
        check: Callable[[], bool] | None = None,
    ) -> Written | None:
        """Run ``write`` (a call of the writer) and reload the dashboard after it.

        With ``check``, the workbook is reloaded first and nothing is written unless
        ``check()`` accepts the entry as it stands then (showing its own verdict). When
        the writer refuses the row its issues are shown in ``messages``, any other
        failure as an error note. Returns what ``write`` returned, None when nothing was
        written; the caller shows the success.
        """
        if check is not None:
            self.dash.refresh()
            if not check():
                return None
        try:
            written = write()
        except RowRefused as exc:
            messages.value = issue_html(exc.issues)
            return None
        except PracticebookError as exc:
            messages.value = note(str(exc), "error")
            return None
        self.dash.refresh()
        return written


class FormTab(Tab):
    """A tab whose form adds a row to ``SHEET``: the core's verdict is shown as the form
    is filled in, and the Save button hands the row to the writer."""

    SHEET = ""
    #: The form's fields, in order.
    KEYS: tuple[str, ...] = ()
    #: What a row is called (``session``): in the button and the widgets' CSS hooks.
    NOUN = ""

    def build_form(self, w: Any, defaults: Mapping[str, object], save: Callable[[], None]) -> None:
        """The form (``defaults`` filled in), its messages and its Save button (``save``)."""
        self.form = SchemaForm(self.state, self.SHEET, self.KEYS, self.NOUN)
        for key, value in defaults.items():
            self.form.widget(key).value = value
        self.messages = hook(w.HTML(), f"{self.NOUN}-messages")
        self.save = hook(
            w.Button(description=f"Save {self.NOUN}", button_style="primary"), f"{self.NOUN}-save"
        )
        self.form.observe(lambda _change: self.validate())
        self.save.on_click(lambda _b: save())

    def validate(self) -> bool:
        """Show the core's verdict on the form as it stands; True if it can be saved."""
        from practicebook.core import entry

        row = entry.new_row(self.state.book, self.SHEET, self.form.values())
        self.messages.value = issue_html(row.issues)
        return row.accepted
