"""The Practice sheet: key/value rows read into ``Settings``, each value checked.

Unknown keys are warned about and ignored; a value that cannot be read or is not valid
(an unknown currency, locale or time zone, bucket limits out of order, a negative count,
a span of days over ``MAX_DAYS``) is reported at its cell and the setting keeps its
default.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from practicebook import money
from practicebook.issues import Code, Issue, Severity
from practicebook.model import ROW, Layout, RawTable, Settings
from practicebook.parse.headers import label_text
from practicebook.parse.sheets import SheetParse, absent_sheet, parse_sheet
from practicebook.parse.values import (
    Bad,
    CoerceContext,
    clean_text,
    coerce_choice,
    coerce_datetime,
    coerce_integer,
    without_terminal_controls,
)
from practicebook.schema import PRACTICE, WORKBOOK, Kind, Setting, normalize_header

__all__ = ["MAX_DAYS", "parse_practice", "parse_settings"]

#: The longest span in days a setting may give (ten years): dates run to 2199, and a date
#: moved by a span must stay inside the dates the core computes with.
MAX_DAYS = 3650
#: Reports a setting's value as not valid (key, message, hint) and drops it.
_Reject = Callable[[str, str, str], None]


def parse_settings(table: RawTable | None) -> tuple[Settings, list[Issue]]:
    """Read the key/value Practice sheet into ``Settings``."""
    settings, issues, _ = parse_practice(table)
    return settings, issues


def parse_practice(table: RawTable | None) -> tuple[Settings, list[Issue], SheetParse]:
    """``Settings``, their issues, and the Practice sheet as parsed (for the ``Book``)."""
    if table is None:
        return Settings(), [], absent_sheet(PRACTICE)
    parsed = parse_sheet(table, PRACTICE, CoerceContext())
    issues = list(parsed.issues)
    values, rows = _read_settings(parsed, issues)
    settings, issues = _settings_from(values, rows, parsed.layout, issues)
    return settings, issues, parsed


def _read_settings(
    parsed: SheetParse, issues: list[Issue]
) -> tuple[dict[str, object], dict[str, int]]:
    """Each known setting's value and Excel row; unknown keys and unreadable values are
    added to ``issues``."""
    known = {normalize_header(s.key): s for s in WORKBOOK.settings}
    values: dict[str, object] = {}
    rows: dict[str, int] = {}
    layout = parsed.layout
    for key, raw, row in zip(
        parsed.frame["key"], parsed.frame["value"], parsed.frame[ROW], strict=True
    ):
        setting = known.get(normalize_header(str(key)))
        if setting is None:
            issues.append(_unknown_setting(key, layout, int(row)))
            continue
        if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw) == "nan":
            continue
        rows[setting.key] = int(row)
        try:
            values[setting.key] = _setting_value(setting, str(raw))
        except Bad as exc:
            issues.append(_bad_setting(setting.key, exc.message, exc.hint, layout, int(row)))
    return values, rows


def _unknown_setting(key: object, layout: Layout, row: int) -> Issue:
    """A key that is not a setting, at its key cell."""
    return Issue(
        Code.UNKNOWN_SETTING,
        Severity.WARNING,
        f"setting {key!r} is not known; it is ignored",
        layout.cell("key", row),
        "Check the spelling against the Practice settings list.",
    )


def _bad_setting(key: str, message: str, hint: str, layout: Layout, row: int) -> Issue:
    """A value that cannot be read or is not valid for setting ``key``, at its value cell."""
    where = layout.cell("value", row)
    return Issue(Code.BAD_SETTING, Severity.ERROR, f"{key}: {message}", where, hint)


def _setting_value(setting: Setting, text: str) -> object:
    ctx = CoerceContext()
    if setting.kind is Kind.INTEGER:
        return coerce_integer(text, ctx)
    if setting.kind is Kind.DATE:
        return coerce_datetime(text, ctx, date_only=True).date()
    if setting.kind is Kind.CHOICE:
        return coerce_choice(text, setting.choices)
    if setting.kind is Kind.ID:
        return label_text(clean_text(text))
    return without_terminal_controls(clean_text(text))


def _settings_from(
    values: dict[str, object], rows: dict[str, int], layout: Layout, issues: list[Issue]
) -> tuple[Settings, list[Issue]]:
    def bad(key: str, message: str, hint: str) -> None:
        issues.append(_bad_setting(key, message, hint, layout, rows[key]))
        values.pop(key, None)

    _check_currency(values, bad)
    for key, read, problem, hint in _READ_FROM_TEXT:
        if key in values:
            try:
                values[key] = read(str(values[key]))
            except ValueError:
                bad(key, f"{values[key]!r} {problem}", hint)
    for key in ("payment_terms_days", "pattern_count", "pattern_days"):
        if key in values and int(values[key]) < 0:  # type: ignore[call-overload]
            bad(key, "must not be negative", f"Set {key} to 0 or more.")
    for key in ("payment_terms_days", "pattern_days"):
        if key in values and int(values[key]) > MAX_DAYS:  # type: ignore[call-overload]
            bad(key, f"must be at most {MAX_DAYS:,} days", f"Set {key} to {MAX_DAYS:,} or less.")
    fields = {f for f in Settings.__dataclass_fields__ if f != "info"}
    known = {k: v for k, v in values.items() if k in fields}
    info = {k: v for k, v in values.items() if k not in fields}
    return Settings(**known, info=info), issues  # type: ignore[arg-type]


def _check_currency(values: dict[str, object], bad: _Reject) -> None:
    currency = str(values.get("currency", "USD")).upper()
    if not money.is_currency(currency):
        bad(
            "currency",
            f"{currency!r} is not an ISO 4217 currency code",
            "Use a three-letter code such as USD, CAD, EUR or GBP.",
        )
    else:
        values["currency"] = currency


def _locale(text: str) -> str:
    """The locale's own name (``en_US`` for ``en-us``)."""
    name = text.replace("-", "_")
    if not money.known_locale(name):
        raise ValueError(text)
    return str(Locale.parse(name))


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except ZoneInfoNotFoundError:
        raise ValueError(text) from None
    return text


def _aging_buckets(text: str) -> tuple[int, ...]:
    """The bucket limits in days, increasing (``30,60,90,120``)."""
    bounds = tuple(int(p) for p in text.split(","))
    if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise ValueError(text)
    return bounds


#: The settings whose text is read into a value, in the order they are checked: how
#: (ValueError when the text is not one), and what to say about a text that is not.
_READ_FROM_TEXT: tuple[tuple[str, Callable[[str], object], str, str], ...] = (
    (
        "locale",
        _locale,
        "is not a known locale",
        "Use a locale such as en_US, en_CA, fr_CA or de_DE.",
    ),
    (
        "timezone",
        _timezone,
        "is not an IANA time zone",
        "Use a zone such as America/New_York or Europe/London.",
    ),
    (
        "aging_buckets",
        _aging_buckets,
        "is not a list of increasing days",
        "Write the bucket limits as increasing days, e.g. 30,60,90,120.",
    ),
)
