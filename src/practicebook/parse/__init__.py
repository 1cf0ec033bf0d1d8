"""Raw tables to a typed ``Book``: one-value coercion, columns, sheets, Practice settings,
and the named cross-sheet checks (``checks``). Every problem becomes an ``Issue``.

May import: ``practicebook.schema`` and the base modules; pandas, numpy, pyarrow, babel.
"""

from __future__ import annotations

from practicebook.parse.sheets import CoerceContext, empty_frame, parse, parse_settings, parse_sheet

__all__ = ["CoerceContext", "empty_frame", "parse", "parse_settings", "parse_sheet"]
