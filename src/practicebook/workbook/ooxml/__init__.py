"""Part-level editing of ``.xlsx``/``.xlsm`` packages without a spreadsheet library."""

from __future__ import annotations

from practicebook.workbook.ooxml.editor import (
    PackageError,
    append_rows,
    changed_members,
    read_sheet,
    set_cells,
    sheet_names,
    write_sheets,
)

__all__ = [
    "PackageError",
    "append_rows",
    "changed_members",
    "read_sheet",
    "set_cells",
    "sheet_names",
    "write_sheets",
]
