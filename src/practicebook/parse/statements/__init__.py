"""Statement files read into lines: banks' CSV, OFX/QFX and CAMT.053, and the card
processors' exports (Stripe, Square, PayPal).

Pure: bytes in, a ``Statement`` out, nothing written and nothing raised for a bad file
(its problems are ``Issue``s located in the file: ``'march.csv'!C5``). Modules:
``text`` (decoding, CSV rows, amounts, days), ``mask`` (descriptions kept only as far
as they say what kind of line it is), ``model`` (``Statement``, ``StatementLine``),
``generic`` (a bank's CSV through a saved column mapping), ``ofx``, ``camt`` and
``processors``.

May import: ``practicebook.parse.headers``, the schema and the base modules; defusedxml.
"""

from __future__ import annotations

import hashlib

from practicebook.parse.statements.camt import looks_like_camt, read_camt
from practicebook.parse.statements.generic import (
    CsvMapping,
    MappingProblem,
    guess_mapping,
    parse_mapping,
    read_generic,
)
from practicebook.parse.statements.mask import mask_description
from practicebook.parse.statements.model import (
    Problems,
    Statement,
    StatementBalance,
    StatementLine,
)
from practicebook.parse.statements.ofx import looks_like_ofx, read_ofx
from practicebook.parse.statements.processors import (
    read_paypal,
    read_square,
    read_stripe,
    recognise,
)
from practicebook.parse.statements.text import MAX_BYTES, TextProblem, decode

__all__ = [
    "FORMATS",
    "CsvMapping",
    "MappingProblem",
    "Statement",
    "StatementBalance",
    "StatementLine",
    "detect_format",
    "guess_mapping",
    "mask_description",
    "parse_mapping",
    "read_statement",
]

#: The formats a statement can be read in; ``auto`` recognises them by content.
FORMATS = ("auto", "csv", "ofx", "camt", "stripe", "square", "paypal")


def detect_format(text: str) -> str:
    """The format of a statement's text: OFX and CAMT by their markup, a processor's
    export by its header row, anything else a bank's CSV."""
    if looks_like_ofx(text):
        return "ofx"
    if looks_like_camt(text):
        return "camt"
    try:
        return recognise(text) or "csv"
    except TextProblem:
        return "csv"


def read_statement(
    data: bytes,
    name: str,
    *,
    fmt: str = "auto",
    mapping: CsvMapping | None = None,
    locale: str = "en_US",
    currency: str = "USD",
    date_order: str = "MDY",
) -> Statement:
    """Read a statement file.

    Args:
        data: the file's bytes.
        name: its name (where its issues are located).
        fmt: one of ``FORMATS``.
        mapping: the column mapping of a bank's CSV (default: recognise the usual headers).
        locale, currency: the workbook's; amounts are read in ``currency``'s minor units,
            and text in the locale's number convention unless the format fixes one.
        date_order: how the workbook's locale writes numeric days (``MDY``, ``DMY``), used
            when a file's day column could be read either way.
    """
    digest = hashlib.sha256(data).hexdigest()
    problems = Problems(name)
    if len(data) > MAX_BYTES:
        problems.file(
            f"the file is {len(data) // 2**20} MB; a statement is at most {MAX_BYTES // 2**20} MB",
            "Export a shorter period.",
        )
        return Statement(name, fmt, digest, issues=tuple(problems.issues))
    try:
        text = decode(data)
        chosen = detect_format(text) if fmt == "auto" else fmt
        return _read(text, name, chosen, digest, problems, mapping, locale, currency, date_order)
    except TextProblem as exc:
        problems.file(
            f"the file cannot be read: {exc}", "Export the statement again as CSV or OFX."
        )
        return Statement(name, fmt, digest, issues=tuple(problems.issues))


def _read(
    text: str,
    name: str,
    fmt: str,
    digest: str,
    problems: Problems,
    mapping: CsvMapping | None,
    locale: str,
    currency: str,
    date_order: str,
) -> Statement:
    if fmt in ("ofx", "camt"):
        reader = read_ofx if fmt == "ofx" else read_camt
        lines, balances, found = reader(text, problems, currency=currency, locale=locale)
        return Statement(name, fmt, digest, lines, balances, found, None, tuple(problems.issues))
    if fmt in ("stripe", "square", "paypal"):
        read = {"stripe": read_stripe, "square": read_square, "paypal": read_paypal}[fmt]
        got = read(text, problems, currency=currency, locale=locale, date_order=date_order)
        return Statement(
            name, fmt, digest, got.lines, got.balances, got.currency, None, tuple(problems.issues)
        )
    generic = read_generic(
        text, mapping, problems, currency=currency, locale=locale, date_order=date_order
    )
    used = generic.mapping.text() if generic.mapping is not None else None
    return Statement(
        name, "csv", digest, generic.lines, generic.balances, None, used, tuple(problems.issues)
    )
