"""Input forms generated from the workbook schema: one widget per column of an input sheet,
lists that show names with IDs, and messages in words once a field has been touched.

* ``Labels``: how a row of another sheet is named in a list: ``Brookhart, Sol (C0004)``
  (only the ID when the practice's ``phi_mode`` is ``minimal``), a clinician's display
  name, a service's description, a session's day, time and client.
* ``SchemaForm``: the fields of chosen columns. A column that references another sheet
  is a searchable list (a combobox: type part of a name, an ID or a date) that starts
  blank ("choose…"); choices are drop-downs, dates and date-times pickers, booleans
  checkboxes; numbers, money and text are text boxes read by the core as it reads a cell.
* ``field_messages``: the core's issues about a form, in words, each under the name of its
  field, without cell references or codes; only for the fields the user has touched.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from practicebook import schema
from practicebook.frontends.jupyter.state import WorkbookState
from practicebook.frontends.jupyter.widgets import hook, widgets
from practicebook.issues import Code, Issue, Severity

__all__ = ["CHOOSE", "Labels", "SchemaForm", "field_messages", "message_style"]

#: What an empty list says.
CHOOSE = "choose…"
#: The style of the messages under a form (the page may show no table to carry it).
_STYLE = (
    "<style>.pb-field-messages{margin:4px 0 4px 148px;padding:0;list-style:none}"
    ".pb-field-messages li{margin:2px 0}.pb-msg-error{color:#a00}.pb-msg-warning{color:#a60}"
    ".pb-msg-note{color:#555}.pb-msg-ok{color:#070}.pb-saved{color:#070;font-weight:600}"
    "</style>"
)


#: What an empty list says: where its rows come from.
_NONE_YET = {
    "Clients": "no clients yet: add one in the Clients tab",
    "Clinicians": "no clinicians yet: add them on the Clinicians sheet",
    "Services": "no services yet: add them on the Services sheet",
    "Sessions": "no sessions yet",
    "Policies": "no policies yet: add them on the Policies sheet",
}


def message_style() -> str:
    """The style sheet of the forms' messages, for a tab that shows them elsewhere."""
    return _STYLE


class Labels:
    """How rows of the book are named in lists, by ID, as the practice allows.

    Args:
        state: the workbook state (the book, its settings and locale).
    """

    def __init__(self, state: WorkbookState) -> None:
        self.state = state

    @property
    def minimal(self) -> bool:
        """True when the practice shows no names (``phi_mode = minimal``)."""
        return self.state.book.settings.phi_mode == "minimal"

    def of(self, sheet: str) -> dict[str, str]:
        """Each ID of ``sheet`` and its label, in the order a list shows them."""
        book = self.state.book
        if sheet == "Clients":
            return self.clients()
        if sheet == "Clinicians":
            frame = book.clinicians
            return _labelled(frame["clinician_id"], frame["display_name"], "{1} ({0})")
        if sheet == "Services":
            frame = book.services.drop_duplicates("service_code")
            return _labelled(frame["service_code"], frame["description"], "{0} · {1}")
        if sheet == "Sessions":
            return self.sessions(book.sessions)
        if sheet == "Policies":
            frame = book.policies.drop_duplicates("policy_id")
            return _labelled(frame["policy_id"], frame["name"], "{0} · {1}")
        key = schema.WORKBOOK.sheet(sheet).key or ""
        ids = book.frame(sheet)[key].dropna().astype(str)
        return {i: i for i in sorted(ids.unique())}

    def clients(self) -> dict[str, str]:
        """``Brookhart, Sol (C0004)`` by ID (as the page names clients everywhere), sorted
        by name; IDs alone under minimal PHI."""
        ids = self.state.book.clients["client_id"].dropna().astype(str).unique()
        labels = {i: self.state.client(i) for i in ids}
        return dict(sorted(labels.items(), key=lambda kv: (kv[1].casefold(), kv[0])))

    def client(self, client_id: object) -> str:
        """One client's label (the ID when unknown or under minimal PHI)."""
        return self.clients().get(str(client_id), str(client_id))

    def sessions(self, frame: pd.DataFrame) -> dict[str, str]:
        """``S0000123 · Tue Mar 3, 2026 10:00 · <client>`` by session ID, in time order."""
        clients = self.clients()
        frame = frame.sort_values(["scheduled_start", "session_id"])
        return {
            str(sid): f"{sid} · {self.when(start)} · {clients.get(str(cid), str(cid))}"
            for sid, start, cid in zip(
                frame["session_id"], frame["scheduled_start"], frame["client_id"], strict=True
            )
        }

    def when(self, moment: Any) -> str:
        """A session's weekday, day and time in the workbook's locale (``Tue Mar 3, 2026
        10:00``)."""
        from babel.dates import format_date

        stamp = pd.Timestamp(moment)
        weekday = format_date(stamp.date(), "EEE", locale=self.state.book.settings.locale)
        return f"{weekday} {self.state.day(stamp.date())} {stamp.strftime('%H:%M')}"


def _labelled(ids: pd.Series, names: pd.Series, pattern: str) -> dict[str, str]:
    out = {}
    for i, n in zip(ids.astype(str), names, strict=True):
        blank = n is None or (not isinstance(n, str) and pd.isna(n)) or not str(n).strip()
        out[i] = i if blank else pattern.format(i, str(n).strip())
    return dict(sorted(out.items(), key=lambda kv: kv[1].casefold()))


@dataclass
class _Field:
    column: schema.Column
    widget: Any
    #: label → ID, for a list of rows of another sheet
    ids: dict[str, str] = field(default_factory=dict)


class SchemaForm:
    """Input widgets for chosen columns of one input sheet, generated from the schema.

    Args:
        state: the workbook state (list options, locale, currency).
        sheet: the input sheet.
        keys: the columns to show, in order.
        name: prefix of the CSS hooks (``pb-<name>-<key>``).
        lists: the rows a referencing column offers, by key (default: every row of the
            sheet it references), as a function of the state returning ID → label.
    """

    def __init__(
        self,
        state: WorkbookState,
        sheet: str,
        keys: Iterable[str],
        name: str,
        lists: Mapping[str, Callable[[], dict[str, str]]] | None = None,
    ) -> None:
        self.state = state
        self.labels = Labels(state)
        self.lists = dict(lists or {})
        self.sheet = schema.WORKBOOK.sheet(sheet)
        self.touched: set[str] = set()
        self.fields = {
            key: _Field(
                self.sheet.column(key),
                hook(self._make(self.sheet.column(key)), f"{name}-{key.replace('_', '-')}"),
            )
            for key in keys
        }
        for key, f in self.fields.items():
            f.widget.observe(lambda _c, key=key: self.touched.add(key), names="value")
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
            return w.Combobox(
                placeholder=CHOOSE,
                options=[],
                ensure_option=False,
                continuous_update=False,
                layout={"width": "420px"},
                **common,
            )
        if col.kind is schema.Kind.DATETIME:
            return w.NaiveDatetimePicker(**common)
        if col.kind is schema.Kind.DATE:
            return w.DatePicker(**common)
        if col.kind is schema.Kind.BOOL:
            return w.Checkbox(value=bool(col.default), indent=False, **common)
        return w.Text(placeholder=col.help[:40], **common)

    def refresh_options(self) -> None:
        """Reload the lists of referencing columns from the current book, keeping each
        choice that is still offered."""
        for key, f in self.fields.items():
            ref = f.column.references
            if not ref:
                continue
            sheet = ref.split(".")[0]
            labels = self.lists[key]() if key in self.lists else self.labels.of(sheet)
            chosen = self.value(key)
            f.ids = {label: i for i, label in labels.items()}
            f.widget.options = list(labels.values())
            f.widget.placeholder = CHOOSE if labels else _NONE_YET.get(sheet, "none yet")
            if chosen is not None and chosen in labels:
                f.widget.value = labels[chosen]
            elif f.widget.value and f.widget.value not in f.ids:
                f.widget.value = ""

    def widget(self, key: str) -> Any:
        """The input widget of column ``key``."""
        return self.fields[key].widget

    def value(self, key: str) -> str | None:
        """The ID chosen in the list ``key``: from its label, or an ID typed exactly
        (None while blank or when nothing offered matches)."""
        f = self.fields[key]
        text = str(f.widget.value or "").strip()
        if not text:
            return None
        if text in f.ids:
            return f.ids[text]
        by_id = {i.casefold(): i for i in f.ids.values()}
        return by_id.get(text.casefold())

    def choose(self, key: str, row_id: str) -> None:
        """Choose the row ``row_id`` in the list ``key`` (as if picked from it)."""
        f = self.fields[key]
        label = next((label for label, i in f.ids.items() if i == row_id), row_id)
        f.widget.value = label

    def unmatched(self) -> list[str]:
        """The lists whose text matches nothing they offer."""
        return [
            key
            for key, f in self.fields.items()
            if f.column.references and f.widget.value and self.value(key) is None
        ]

    def values(self) -> dict[str, object]:
        """The filled-in values by column key, blanks left out; lists give the chosen ID.
        Text (money included) is passed on as typed: the core reads it in the workbook's
        locale."""
        out: dict[str, object] = {}
        for key, f in self.fields.items():
            if f.column.references:
                chosen = self.value(key)
                if chosen is not None:
                    out[key] = chosen
                elif f.widget.value:
                    out[key] = str(f.widget.value)  # the core names what does not match
            elif f.widget.value is not None and f.widget.value != "":
                out[key] = f.widget.value
        return out

    def observe(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback`` whenever any field changes."""
        for f in self.fields.values():
            f.widget.observe(callback, names="value")

    def clear(self, keys: Iterable[str]) -> None:
        """Blank the given fields after a save (text, lists and pickers; checkboxes back to
        their default; choices keep theirs); they count as untouched again."""
        keys = list(keys)
        for key in keys:
            f = self.fields[key]
            kind = f.column.kind
            if kind is schema.Kind.CHOICE:
                continue  # a choice keeps its value: it is never blank to begin with
            if kind is schema.Kind.BOOL:
                f.widget.value = bool(f.column.default)
            elif kind in (schema.Kind.DATE, schema.Kind.DATETIME):
                f.widget.value = None
            else:
                f.widget.value = ""
        self.touched.difference_update(keys)

    def touch_all(self) -> None:
        """Count every field as touched: a save shows every message."""
        self.touched.update(self.fields)

    def box(self) -> Any:
        """The fields stacked vertically."""
        return widgets().VBox([f.widget for f in self.fields.values()])


# --- messages ----------------------------------------------------------------------------


def field_messages(
    issues: Iterable[Issue],
    form: SchemaForm,
    layout_of: Mapping[str, int],
    *,
    only_touched: bool = True,
) -> str:
    """The issues about a form, in words under the name of their field (its header), for
    the touched fields only; issues about no field of the form are shown as they are."""
    field_at = {layout_of[k]: k for k in form.fields if k in layout_of}
    items = []
    for name in form.unmatched():
        if name in form.touched or not only_touched:
            col = form.fields[name].column
            sheet = (col.references or "").split(".")[0]
            items.append(
                _item(
                    "error",
                    col.header,
                    f"nothing on the {sheet} sheet matches “{form.widget(name).value}”",
                    "Type part of a name or an ID, then pick from the list.",
                )
            )
    unmatched = set(form.unmatched())
    for issue in issues:
        key: str | None = field_at.get(issue.where.col)
        if key is not None and (key in unmatched or (only_touched and key not in form.touched)):
            continue
        header = form.fields[key].column.header if key else ""
        # a missing value's hint speaks of the sheet's rows; at a form the words suffice
        hint = (
            ""
            if issue.code is Code.MISSING_VALUE and key and "required" in issue.message
            else issue.hint
        )
        items.append(_item(issue.severity.value, header, _words(issue, form, key), hint))
    if not items:
        return ""
    return _STYLE + f"<ul class='pb-field-messages'>{''.join(items)}</ul>"


def _words(issue: Issue, form: SchemaForm, key: str | None) -> str:
    """What is wrong, for a person at the form: a missing value says what to fill in."""
    if issue.code is Code.MISSING_VALUE and key is not None and "required" in issue.message:
        col = form.fields[key].column
        verb = "choose" if col.references or col.kind is schema.Kind.CHOICE else "fill in"
        return f"{verb} the {col.header.lower()}"
    message = issue.message
    if key is not None:
        header = form.fields[key].column.header
        if message.startswith(header + ": "):
            message = message[len(header) + 2 :]
    return message


def _item(severity: str, header: str, text: str, hint: str) -> str:
    label = f"<b>{html.escape(header)}</b>: " if header else ""
    tip = f" <small>{html.escape(hint)}</small>" if hint else ""
    kind = severity if severity in {s.value for s in Severity} else "error"
    text = text.rstrip(". ")
    return f"<li class='pb-msg-{kind}'>{label}{html.escape(text[:1].upper() + text[1:])}.{tip}</li>"
