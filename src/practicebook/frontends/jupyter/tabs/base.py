"""What every tab shares: the dashboard and its state, redrawing, and saving a row."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from practicebook.errors import PracticebookError, RowRefused
from practicebook.frontends.jupyter.markup import issue_html, note

if TYPE_CHECKING:
    from practicebook.frontends.jupyter.dashboard import Dashboard

Written = TypeVar("Written")


class Tab:
    """One tab: owns its widgets, reads the shared state, redraws on ``update``."""

    title = ""
    #: The tab's widgets, laid out (set by each tab).
    box: Any

    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.state = dash.state

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
