"""Part-level editing of `.xlsx`/`.xlsm` packages without a spreadsheet library.

Loading a workbook into openpyxl and saving it again rewrites every part and silently drops what
openpyxl does not model (shapes, x14 extensions, VML, cached formula values, ...). This package
instead treats the workbook as a zip of XML parts and touches only what a write needs:

* every zip member that is not changed is copied as its raw compressed bytes, so it stays
  byte-identical, in its original order;
* the worksheet parts practicebook owns are generated wholesale (`write_sheets`) or extended at
  the end of `<sheetData>` by byte search (`append_rows`), never parsed into a tree;
* `xl/workbook.xml`, relationship parts, `[Content_Types].xml` and `xl/styles.xml` are edited by
  minimal textual insertion. Re-serialising them with ElementTree would rename namespace
  prefixes and break `mc:Ignorable`, which Excel reports as a corrupt file.

Text is always written as an inline string (`t="inlineStr"`), so `sharedStrings.xml` is never
touched and no cell this package writes can become a formula. Text that a spreadsheet would treat
as a formula when re-edited (first character ``= + - @``, tab, CR or LF) additionally gets a cell
format with ``quotePrefix="1"``.

Text rule: characters that XML 1.0 forbids (C0 controls other than tab, LF and CR, lone
surrogates, U+FFFE and U+FFFF) are removed, because no XML reader would accept them. Literal
``_xHHHH_`` sequences are escaped as ``_x005F_xHHHH_`` as ECMA-376 requires, so Excel shows them
unchanged. Text longer than Excel's 32,767 characters is rejected.

Modules, each using only those listed before it: ``package`` (the zip package, members
copied as raw compressed bytes), ``xmltext`` (namespaces, escaping, elements found by regex),
``parts`` (the workbook part, relationships, content types), ``styles`` (number formats,
fonts, cell formats), ``cells`` (values as cell XML), and the operations ``write``
(``write_sheets``), ``append`` (``append_rows``, ``set_cells``), ``read`` (``read_sheet``,
``sheet_names``, ``sheet_ids``) and ``props`` (custom document properties).

May import: ``practicebook.render.cells`` and the base modules; defusedxml.
"""

from __future__ import annotations

from practicebook.workbook.ooxml.append import append_rows, set_cells
from practicebook.workbook.ooxml.cells import CellRefused
from practicebook.workbook.ooxml.package import PackageError, changed_members
from practicebook.workbook.ooxml.props import custom_properties, set_custom_properties
from practicebook.workbook.ooxml.read import read_sheet, sheet_ids, sheet_names
from practicebook.workbook.ooxml.write import write_sheets

__all__ = [
    "CellRefused",
    "PackageError",
    "append_rows",
    "changed_members",
    "custom_properties",
    "read_sheet",
    "set_cells",
    "set_custom_properties",
    "sheet_ids",
    "sheet_names",
    "write_sheets",
]
