"""The Practice sheet: key/value rows read into ``Settings``, each value checked.

Unknown keys are warned about and ignored; a value that cannot be read or is not valid
(an unknown currency, locale or time zone, bucket limits out of order, a negative count)
is reported at its cell and the setting keeps its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from practicebook import money
from practicebook.issues import CellRef, Code, Issue, Severity
from practicebook.model import ROW, Layout, RawTable, Settings
from practicebook.parse.sheets import SheetParse, absent_sheet, parse_sheet
from practicebook.parse.values import (
    Bad,
    CoerceContext,
    clean_text,
    coerce_choice,
    coerce_datetime,
    coerce_integer,
)
from practicebook.schema import PRACTICE, WORKBOOK, Kind, Setting, normalize_header

__all__ = ["parse_practice", "parse_settings"]

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
            issues.append(_unknown_setting(key, layout.cell("key", int(row))))
            continue
        if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw) == "nan":
            continue
        rows[setting.key] = int(row)
        try:
            values[setting.key] = _setting_value(setting, str(raw))
        except Bad as exc:
            issues.append(
                Issue(
                    Code.BAD_SETTING,
                    Severity.ERROR,
                    f"{setting.key}: {exc.message}",
                    layout.cell("value", int(row)),
                    exc.hint,
                )
            )
    return values, rows


def _unknown_setting(key: object, where: CellRef) -> Issue:
    return Issue(
        Code.UNKNOWN_SETTING,
        Severity.WARNING,
        f"setting {key!r} is not known; it is ignored",
        where,
        "Check the spelling against the Practice settings list.",
    )


def _setting_value(setting: Setting, text: str) -> object:
    ctx = CoerceContext()
    if setting.kind is Kind.INTEGER:
        return coerce_integer(text, ctx)
    if setting.kind is Kind.DATE:
        return coerce_datetime(text, ctx, date_only=True).date()
    if setting.kind is Kind.CHOICE:
        return coerce_choice(text, setting.choices)
    return clean_text(text)


def _settings_from(
    values: dict[str, object], rows: dict[str, int], layout: Layout, issues: list[Issue]
) -> tuple[Settings, list[Issue]]:
    def bad(key: str, message: str, hint: str) -> None:
        issues.append(
            Issue(
                Code.BAD_SETTING,
                Severity.ERROR,
                f"{key}: {message}",
                layout.cell("value", rows[key]),
                hint,
            )
        )
        values.pop(key, None)

    _check_currency(values, bad)
    _check_locale(values, bad)
    _check_timezone(values, bad)
    _check_aging_buckets(values, bad)
    for key in ("payment_terms_days", "pattern_count", "pattern_days"):
        if key in values and int(values[key]) < 0:  # type: ignore[call-overload]
            bad(key, "must not be negative", f"Set {key} to 0 or more.")
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


def _check_locale(values: dict[str, object], bad: _Reject) -> None:
    if "locale" in values:
        loc = str(values["locale"]).replace("-", "_")
        if money.known_locale(loc):
            values["locale"] = str(Locale.parse(loc))
        else:
            bad(
                "locale",
                f"{values['locale']!r} is not a known locale",
                "Use a locale such as en_US, en_CA, fr_CA or de_DE.",
            )


def _check_timezone(values: dict[str, object], bad: _Reject) -> None:
    if "timezone" in values:
        try:
            ZoneInfo(str(values["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            bad(
                "timezone",
                f"{values['timezone']!r} is not an IANA time zone",
                "Use a zone such as America/New_York or Europe/London.",
            )


def _check_aging_buckets(values: dict[str, object], bad: _Reject) -> None:
    if "aging_buckets" in values:
        try:
            bounds = tuple(int(p) for p in str(values["aging_buckets"]).split(","))
            if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
                raise ValueError
            values["aging_buckets"] = bounds
        except ValueError:
            bad(
                "aging_buckets",
                f"{values['aging_buckets']!r} is not a list of increasing days",
                "Write the bucket limits as increasing days, e.g. 30,60,90,120.",
            )
