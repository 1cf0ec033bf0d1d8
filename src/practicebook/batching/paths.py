"""Which workbooks a batch names: files, folders searched recursively, glob patterns."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

__all__ = ["SUFFIXES", "expand_paths"]

#: Workbook suffixes a folder or glob is searched for.
SUFFIXES = (".xlsx", ".xlsm")


def _is_workbook(path: Path) -> bool:
    return (
        path.suffix.lower() in SUFFIXES and path.is_file() and not path.name.startswith("~$")
    )  # Excel's lock files


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Workbook files named by ``paths``: files as given, folders searched recursively
    for ``.xlsx``/``.xlsm``, and glob patterns (``**`` allowed) expanded.

    Each path found is the argument it came from joined with the path below it
    (``clients/north/practice.xlsx`` for the argument ``clients``), so two workbooks of
    the same name in different folders stay apart and every path can be opened as shown.
    A name that is neither an existing file, a folder, nor a pattern matching anything
    is kept, so the run reports it as unreadable ("no such file"). Order is the order
    given, each folder or pattern sorted; duplicates are dropped.
    """
    found: dict[Path, None] = {}
    for item in paths:
        path = Path(item)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if _is_workbook(p))
        elif path.exists() or not glob.has_magic(str(item)):
            matches = [path]
        else:
            matches = sorted(
                p for p in map(Path, glob.glob(str(item), recursive=True)) if _is_workbook(p)
            )
        found.update(dict.fromkeys(matches))
    return list(found)
