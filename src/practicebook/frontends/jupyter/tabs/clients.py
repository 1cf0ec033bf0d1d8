"""The Clients tab: adding a client, and editing one chosen by name (the policy
acknowledgement, fee exemption, billing type, status…)."""

from __future__ import annotations

from typing import Any

from practicebook.frontends.jupyter.forms import CHOOSE, Labels, field_messages
from practicebook.frontends.jupyter.tabs.entry import EntryTab
from practicebook.frontends.jupyter.widgets import hook
from practicebook.schema import WORKBOOK, Kind

_CLIENTS = WORKBOOK.sheet("Clients")


class ClientsTab(EntryTab):
    """Add a client, or choose one and change its fields."""

    title = "Clients"
    SHEET, NOUN = "Clients", "client"
    KEYS = tuple(c.key for c in _CLIENTS.columns if c.key != "client_id")

    def build(self, w: Any) -> Any:
        self.pick = hook(
            w.Combobox(
                description="Client",
                placeholder=f"{CHOOSE} (blank: a new client)",
                ensure_option=False,
                continuous_update=False,
                layout={"width": "420px"},
                style={"description_width": "140px"},
            ),
            "client-pick",
        )
        self._picked: dict[str, str] = {}
        self._original: dict[str, object] = {}
        self.build_form(w, {}, self.save_client)
        self.heading = hook(w.HTML(), "client-heading")
        self.pick.observe(lambda _c: self.load_client(), names="value")
        return w.VBox([self.pick, self.heading, self.form.box(), self.save, self.messages])

    def update(self) -> None:
        self.form.refresh_options()
        labels = Labels(self.state).clients()
        chosen = self.client_id()
        self._picked = {label: cid for cid, label in labels.items()}
        self.pick.options = list(labels.values())
        if chosen is not None and chosen in labels and self.pick.value != labels[chosen]:
            self.pick.value = labels[chosen]
        self._show_heading()

    def client_id(self) -> str | None:
        """The client being edited (None: a new client)."""
        text = str(self.pick.value or "").strip()
        if text in self._picked:
            return self._picked[text]
        ids = {cid.casefold(): cid for cid in self._picked.values()}
        return ids.get(text.casefold())

    def _show_heading(self) -> None:
        cid = self.client_id()
        self.heading.value = (
            f"<div class='pb-client-mode'>Editing client {cid}: change a field and save.</div>"
            if cid
            else "<div class='pb-client-mode'>A new client: the next client ID is "
            "assigned when you save.</div>"
        )

    def load_client(self) -> None:
        """Fill the form with the chosen client's fields (personal ones stay blank when
        the practice shows no names: left blank, they are kept as they are)."""
        cid = self.client_id()
        self._show_heading()
        self._original = {}
        if cid is None:
            return
        clients = self.state.book.all_rows("Clients")
        row = clients[clients["client_id"] == cid].iloc[0]
        hidden = Labels(self.state).minimal
        for key, f in self.form.fields.items():
            col = f.column
            value = row[key]
            blank = value is None or (not isinstance(value, str) and value != value)
            if col.phi and hidden:
                f.widget.placeholder = "(kept; not shown)"
                value, blank = "", True
            if col.references:
                f.widget.value = ""
                if not blank:
                    self.form.choose(key, str(value))
            elif col.kind in (Kind.DATE, Kind.DATETIME):
                f.widget.value = None if blank else value.date()
            elif col.kind is Kind.BOOL:
                f.widget.value = False if blank else bool(value)
            elif col.kind is Kind.CHOICE:
                f.widget.value = col.default or "" if blank else str(value)
            else:
                f.widget.value = "" if blank else str(value)
            self._original[key] = f.widget.value
        self.form.touched.clear()
        self.messages.value = ""

    def changes(self) -> dict[str, object]:
        """The fields changed since the client was loaded (a cleared one as None)."""
        out: dict[str, object] = {}
        for key, f in self.form.fields.items():
            if f.widget.value == self._original.get(key):
                continue
            if f.column.references:
                out[key] = self.form.value(key) or (f.widget.value or None)
            else:
                value = f.widget.value
                out[key] = None if value in ("", None) else value
        return out

    def check(self) -> tuple[bool, list[Any]]:
        cid = self.client_id()
        if cid is None:
            return super().check()
        from practicebook.core.edits import edit_client

        edit = edit_client(self.state.book, cid, self.changes())
        return edit.accepted and not self.form.unmatched(), edit.issues

    def save_client(self) -> None:
        """Add the client, or write the changed fields of the chosen one."""
        from practicebook.workbook import edits

        if not self.save_checked():
            return
        cid = self.client_id()
        options = self.dash.write_options
        if cid is None:
            values = self.form.values()
            done = self.write_row(
                self.messages, lambda: edits.add_client(self.state.path, values, **options)
            )
            if done is None:
                return
            self.form.clear(
                k for k, f in self.form.fields.items() if f.column.kind is not Kind.BOOL
            )
            self.show_saved(
                f"Added client {done.row_id} at Clients row {done.row}.",
                field_messages(done.issues, self.form, self.layout_of(), only_touched=False),
            )
            return
        changed = self.changes()
        if not changed:
            self.show_saved(f"Nothing changed for client {cid}.")
            return
        edit = self.write_row(
            self.messages,
            lambda: edits.update_client(self.state.path, cid, changed, **options),
        )
        if edit is None:
            return
        self.load_client()
        fields = ", ".join(_CLIENTS.column(k).header for k in edit.values)
        self.show_saved(f"Saved client {cid}: {fields}.")
