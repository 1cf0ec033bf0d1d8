"""Raw tables to a typed ``Book``; every problem becomes an ``Issue`` at its cell.

Modules, each importing only those before it:

- ``values``: one value at a time (``Bad``, ``CoerceContext``, ``coerce_*``);
- ``columns``: whole columns typed by distinct value, and frames with their dtypes;
- ``rows``: row validation (required, ranges, duplicates; unusable rows kept apart);
- ``sheets``: one input sheet (headers, blank rows, merged cells, ``parse_sheet``);
- ``settings``: the Practice sheet into ``Settings``;
- ``book``: ``parse`` over the whole workbook;
- ``checks``: the named cross-sheet checks, run on a parsed ``Book``.

May import: ``practicebook.schema`` and the base modules; pandas, numpy, pyarrow, babel.
"""

from __future__ import annotations

from practicebook.parse.book import parse
from practicebook.parse.columns import empty_frame
from practicebook.parse.settings import parse_settings
from practicebook.parse.sheets import parse_sheet
from practicebook.parse.values import CoerceContext

__all__ = ["CoerceContext", "empty_frame", "parse", "parse_settings", "parse_sheet"]
