"""Reading a statement file's text: decoding, CSV rows and their header, amounts, days.

Amounts are read with ``practicebook.money.parse_money_text``, the same strict reader
that reads amounts typed as text in a workbook, in the convention the file is written
in; days in the order the whole column is written in (a column with ``25/03/2026`` is
day first, one with ``03/25/2026`` month first; otherwise the locale's order decides).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from babel.numbers import get_decimal_symbol, get_group_symbol

from practicebook.money import (
    MoneyTextError,
    digits,
    max_minor,
    parse_money_text,
    to_minor,
    within_limit,
)
from practicebook.parse.headers import label_text
from practicebook.schema import normalize_header

__all__ = [
    "MAX_BYTES",
    "AmountReader",
    "CsvTable",
    "DayReader",
    "TextProblem",
    "decode",
    "find_header",
    "read_csv",
]

#: Largest statement file read: years of a busy practice's lines fit many times over.
MAX_BYTES = 64 * 1024 * 1024
_HEADER_ROWS = 30
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        )
    )
    for m in names.split()
}
_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[ T].*)?$")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T].*")  # an ISO day, a time on one line
_NUMERIC = re.compile(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ T,].*)?$")
_NAMED = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -,]*(\d{2,4})(?:[ T,].*)?$")
_NAMED_US = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})(?:[ T,].*)?$")


class TextProblem(ValueError):
    """A value of a statement that cannot be read; the message says why."""


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), else Windows-1252 as
    banks' older exports are written.

    Raises:
        TextProblem: the file is not text (it holds NUL bytes: a spreadsheet, a PDF…).
    """
    if b"\x00" in data[:65536]:
        raise TextProblem("it is not a text file (a spreadsheet or PDF? export CSV or OFX)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's rows below its header, with the file line number of each."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    header_line: int

    def column(self, *names: str) -> int | None:
        """The position of the first header named like one of ``names`` (any case,
        spacing or underscores), or None."""
        folded = _folded(self.headers)
        for name in names:
            at = folded.get(normalize_header(name))
            if at is not None:
                return at
        return None

    def header_label(self, position: int) -> str:
        """The header at ``position``, safe to print."""
        return label_text(self.headers[position])


@functools.lru_cache(maxsize=64)
def _folded(headers: tuple[str, ...]) -> dict[str, int]:
    """Each folded header's first position."""
    out: dict[str, int] = {}
    for i, h in enumerate(headers):
        out.setdefault(normalize_header(h), i)
    return out


def read_csv(text: str) -> list[tuple[int, list[str]]]:
    """Every non-blank row of CSV ``text`` with its line number; the delimiter (comma,
    semicolon or tab) is the one the first lines use most consistently."""
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            cells = list(map(str.strip, row))
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise TextProblem(f"it is not a CSV file practicebook can read ({exc})") from None
    return rows


def find_header(
    rows: Sequence[tuple[int, list[str]]], wanted: Iterable[Iterable[str]]
) -> CsvTable | None:
    """The table whose header is the first of the top rows naming one of each group of
    ``wanted`` header names (a bank may put account details above its table)."""
    groups = [{normalize_header(n) for n in group} for group in wanted]
    for at, (line, cells) in enumerate(rows[:_HEADER_ROWS]):
        folded = {normalize_header(c) for c in cells}
        if all(group & folded for group in groups):
            width = len(cells)
            body = rows[at + 1 :]
            return CsvTable(
                tuple(cells),
                tuple(
                    tuple(r) if len(r) == width else tuple((r + [""] * width)[:width])
                    for _, r in body
                ),
                tuple(n for n, _ in body),
                line,
            )
    return None


class AmountReader:
    """Amounts written as text in one convention, to minor units of ``currency``.

    ``decimal`` is the decimal mark the file uses (``.`` or ``,``); None reads in the
    workbook's locale. Accounting parentheses, a sign at either end, the currency's
    symbol or code and a trailing ``CR``/``DR`` are understood.
    """

    _LOCALES: ClassVar[dict[str, tuple[str, ...]]] = {
        ".": ("en_US", "de_CH"),
        ",": ("de_DE", "fr_FR", "de_AT"),
    }

    def __init__(self, currency: str, locale: str, decimal: str | None = None) -> None:
        self.currency = currency
        self.locales = self._LOCALES[decimal] if decimal in self._LOCALES else (locale,)
        self._read: dict[str, int] = {}  # a statement repeats its amounts: read each once
        dot = all(get_decimal_symbol(loc) == "." for loc in self.locales)
        places = digits(currency)
        plain = (
            rf"^-?[0-9]{{1,13}}(\.[0-9]{{1,{places}}})?$" if dot and places else r"^-?[0-9]{1,13}$"
        )
        self._plain = re.compile(plain)
        self._places, self._most = places, max_minor(currency)
        first = self.locales[0]  # the convention that reads a grouped amount first
        grouped = get_decimal_symbol(first) == "." and get_group_symbol(first) == ","
        self._grouped = (
            re.compile(rf"^-?[0-9]{{1,3}}(,[0-9]{{3}})+(\.[0-9]{{1,{places}}})?$")
            if grouped and places
            else None
        )

    def minor(self, text: str) -> int:
        """``text`` in minor units.

        Raises:
            TextProblem: it is not an amount in this convention, or too large.
        """
        if text in self._read:
            return self._read[text]
        minor = self._minor(text)
        self._read[text] = minor
        return minor

    def _minor(self, text: str) -> int:
        raw = text.strip()
        if self._plain.match(raw) is not None:  # 1234.56 in any dot convention
            minor = _plain_minor(raw, self._places)
            if abs(minor) <= self._most:
                return minor
        if self._grouped is not None and self._grouped.match(raw):
            minor = _plain_minor(raw.replace(",", ""), self._places)  # 1,234.56 where usual
            if abs(minor) <= self._most:
                return minor
        sign = 1
        marker = raw[-2:].upper()
        if marker in ("CR", "DR") and len(raw) > 2:
            raw, sign = raw[:-2].strip(), (1 if marker == "CR" else -1)
        reason = ""
        for locale in self.locales:
            try:
                value = parse_money_text(raw, locale, self.currency)
            except MoneyTextError as exc:
                reason = reason or exc.reason
                continue
            if not within_limit(value, self.currency):
                raise TextProblem(f"{label_text(raw)!r} is larger than an amount can be")
            return sign * to_minor(value, self.currency)
        raise TextProblem(reason or f"{label_text(raw)!r} is not an amount")

    def optional(self, text: str) -> int:
        """``text`` in minor units, 0 when blank."""
        return self.minor(text) if text.strip() else 0


def _plain_minor(text: str, places: int) -> int:
    """The minor units of a plain amount (``-1234.5``: ASCII digits, at most ``places``
    after the point), exactly as ``to_minor(Decimal(text))`` has them.

    >>> _plain_minor("-1234.5", 2), _plain_minor("7", 2), _plain_minor("-0.07", 2)
    (-123450, 700, -7)
    """
    negative = text.startswith("-")
    whole, _, fraction = (text[1:] if negative else text).partition(".")
    minor = int(whole) * int(10**places) + (int(fraction.ljust(places, "0")) if fraction else 0)
    return -minor if negative else minor


class DayReader:
    """Days written as text, all in one order (``YMD``, ``MDY`` or ``DMY``).

    ISO days (``2026-03-04``, ``20260304`` and either with a time) read the same in
    every order; month names (``04 Mar 2026``, ``Mar 4, 2026``) too.
    """

    def __init__(self, order: str) -> None:
        self.order = order
        self._read: dict[str, dt.date] = {}  # a statement repeats its days: read each once

    @classmethod
    def for_column(cls, texts: Iterable[str], default: str) -> DayReader:
        """The reader for a whole column: day first when some value's first number is
        above 12, month first when some second number is, else ``default``."""
        first = second = False
        for text in {t.strip()[:10] for t in texts}:  # the day part, each once
            m = _NUMERIC.match(text)
            if m and len(m.group(1)) <= 2:
                first |= int(m.group(1)) > 12
                second |= int(m.group(2)) > 12
        if first and not second:
            return cls("DMY")
        if second and not first:
            return cls("MDY")
        return cls(default if default in ("MDY", "DMY") else "MDY")

    def day(self, text: str) -> dt.date:
        """The day ``text`` names.

        Raises:
            TextProblem: it is not a day.
        """
        key = text
        if len(text) > 10 and _ISO_TIME.fullmatch(text):
            key = text[:10]  # a time of day says nothing about the day: read each day once
        day = self._read.get(key)
        if day is None:
            day = self._read[key] = self._day(text)
        return day

    def _day(self, text: str) -> dt.date:
        raw = text.strip()
        try:
            if m := _ISO.match(raw):
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if m := _NUMERIC.match(raw):
                a, b, c = m.groups()
                if len(a) == 4:
                    return dt.date(int(a), int(b), int(c))
                year = _full_year(c)
                month, day = (int(a), int(b)) if self.order == "MDY" else (int(b), int(a))
                return dt.date(year, month, day)
            if m := _NAMED.match(raw):
                return dt.date(_full_year(m.group(3)), _month(m.group(2)), int(m.group(1)))
            if m := _NAMED_US.match(raw):
                return dt.date(int(m.group(3)), _month(m.group(1)), int(m.group(2)))
        except (ValueError, KeyError):
            pass
        raise TextProblem(f"{label_text(raw)!r} is not a day")


def _month(name: str) -> int:
    return _MONTHS[name.casefold()]


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year
