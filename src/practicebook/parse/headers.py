"""Which row of a sheet is its header, which sheet stands for a standard one, and labels
from a file made safe to print: the rules every medium shares.

The file reader (``practicebook.workbook.reader``) and the live Excel book
(``practicebook.frontends.excel.livebook``) both decide with these functions, so a sheet
is read the same way whichever door it came through.

**The header rule.** The header is searched in the first ``HEADER_SEARCH_ROWS`` rows.
Rows with no value are skipped, and so are rows with a single value that names no column
(a title or a note above the table). The first other row decides: it is the header when
it names columns of the sheet well enough, and otherwise the sheet has no header (a data
row at the top means the header row was deleted, or sorted into the data; taking that
row for a header would quote client data as column names). A row names the sheet's
columns well enough when

- it names three or more different columns, or
- it names two, and they are more than half of its filled cells or include every
  required column of the sheet, or
- its only filled cell names a column.

A header may therefore carry any number of a user's own columns beside the standard
ones, and still be found with a required column deleted (the parser then reports the
missing column).

**Sheet names.** Several sheets may fold to one standard name (``Payments``,
``payments_``, ``Payments ``). ``choose_sheet`` reads the one whose name is exactly the
standard name, else the closest (trimmed, then case-insensitive), else the
alphabetically first; the others are reported and never read.

May import: ``practicebook.schema`` and the standard library.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from practicebook.schema import Sheet, normalize_header

__all__ = [
    "HEADER_SEARCH_ROWS",
    "HeaderSearch",
    "SheetChoice",
    "choose_sheet",
    "find_header",
    "is_header",
    "label_text",
]

#: How many rows from the top of a sheet may hold its header.
HEADER_SEARCH_ROWS = 20

_REPLACEMENT = "\ufffd"


def label_text(text: str) -> str:
    """A sheet name or header cell from a file, safe to print in a message or a terminal.

    White space other than the plain space (new lines, tabs…) becomes a space, so a header
    typed on two lines still matches; control, format (bidirectional overrides,
    zero-width) and unassigned characters become U+FFFD, so no terminal escape or
    reordering reaches a message. Header matching is unchanged: a header that matched
    before still matches, one that did not still does not.

    >>> label_text("Client\\nID"), label_text("Pay\\x1b[2Jments"), label_text("Amount")
    ('Client ID', 'Pay\\ufffd[2Jments', 'Amount')
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        else:
            out.append(_REPLACEMENT)
    return "".join(out)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_header(values: Sequence[object], sheet: Sheet) -> bool:
    """True when a row holding ``values`` names ``sheet``'s columns well enough to be its
    header (see the module docstring); blank values are ignored, non-text values are
    filled cells that name nothing."""
    filled = [v for v in values if not _blank(v)]
    named = [col for v in filled if isinstance(v, str) and (col := sheet.match(v.strip()))]
    distinct = {col.key for col in named}
    if len(filled) == 1:
        return len(distinct) == 1
    if len(distinct) >= 3:
        return True
    if len(distinct) < 2:
        return False
    required = {col.key for col in sheet.columns if col.required}
    return 2 * len(named) > len(filled) or required <= distinct


@dataclass(frozen=True)
class HeaderSearch:
    """Where the header is among a sheet's first rows.

    Attributes:
        index: 0-based index of the header among the rows given, or None.
        last_row: Excel row number of the last row looked at: the header, the data row
            that ended the search, or ``HEADER_SEARCH_ROWS`` when no row decided.
    """

    index: int | None
    last_row: int


def find_header(rows: Iterable[Sequence[object]], sheet: Sheet, first_row: int = 1) -> HeaderSearch:
    """The header among ``rows``: a sheet's rows in order from Excel row ``first_row``
    (blank rows included), as far down as ``HEADER_SEARCH_ROWS``."""
    for i, row in enumerate(islice(rows, max(HEADER_SEARCH_ROWS - first_row + 1, 0))):
        filled = [v for v in row if not _blank(v)]
        if not filled:
            continue
        if is_header(filled, sheet):
            return HeaderSearch(i, first_row + i)
        if len(filled) >= 2:
            return HeaderSearch(None, first_row + i)
    return HeaderSearch(None, HEADER_SEARCH_ROWS)


@dataclass(frozen=True)
class SheetChoice:
    """Which of a workbook's sheets is read for one standard sheet.

    Attributes:
        chosen: position (in the list of names given) of the sheet read.
        ignored: positions of the other sheets whose names fold to the same standard name,
            in the order given.
    """

    chosen: int
    ignored: tuple[int, ...]


def _closeness(name: str, wanted: str) -> int:
    """3 for the exact name, 2 trimmed, 1 also ignoring case, 0 otherwise."""
    trimmed = name.strip()
    if name == wanted:
        return 3
    if trimmed == wanted:
        return 2
    return int(unicodedata.normalize("NFKC", trimmed).casefold() == wanted.casefold())


def choose_sheet(names: Sequence[str], wanted: str) -> SheetChoice | None:
    """The sheet among ``names`` (a workbook's sheet names, in workbook order) read for
    the standard sheet ``wanted``; None when no name folds to it.

    The choice depends only on the names, not on their order, except between identical
    names, where the last one is read.

    >>> choose_sheet(["Payments_", "Clients", "Payments"], "Payments")
    SheetChoice(chosen=2, ignored=(0,))
    >>> choose_sheet(["payments ", "Payments_"], "Payments")
    SheetChoice(chosen=0, ignored=(1,))
    """
    folded = normalize_header(wanted)
    candidates = [i for i, name in enumerate(names) if normalize_header(name) == folded]
    if not candidates:
        return None

    def rank(i: int) -> tuple[int, str, int]:
        # the closest name first, then the alphabetically first, then the last position
        return -_closeness(names[i], wanted), names[i], -i

    chosen = min(candidates, key=rank)
    return SheetChoice(chosen, tuple(i for i in candidates if i != chosen))
