"""The vocabulary the workbook is declared in: kinds of cells, columns, sheets, settings.

Pure data types with no pandas and no I/O; ``practicebook.schema.workbook`` uses them to
declare the standard workbook.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache


class Kind(str, Enum):
    """How a column's cells are read, validated and formatted."""

    ID = "id"  # opaque identifier, always text (``90847`` is a code, not a number)
    TEXT = "text"
    CHOICE = "choice"
    BOOL = "bool"
    INTEGER = "integer"
    DECIMAL = "decimal"  # exact number that is not money (percent points, hours)
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"  # local date-time in the practice time zone


@dataclass(frozen=True)
class Column:
    """One column of an input sheet.

    Attributes:
        key: stable snake_case name used in frames, JSON and code.
        header: header text written by the template (matching is case-, space- and
            underscore-insensitive, so ``client_id`` and ``Client ID`` both match).
        kind: how cells are coerced.
        required: a value must be present on every row.
        unique: no two rows may share a value.
        choices: allowed values for ``Kind.CHOICE`` (lower case, compared case-insensitively).
        references: ``"Sheet.key"`` the value must exist in.
        help: one sentence for input messages, widget tooltips and the README.
        width: template column width in characters.
        default: value used when the cell is blank (never for required columns).
        minimum: smallest allowed value for numeric kinds (``None`` = unbounded).
        positive: the value must be greater than zero.
        phi: the column holds client-identifying text; its values never appear in
            messages, logs or PHI-free exports.
    """

    key: str
    header: str
    kind: Kind
    required: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()
    references: str | None = None
    help: str = ""
    width: int = 14
    default: object = None
    minimum: int | None = None
    positive: bool = False
    phi: bool = False


@dataclass(frozen=True)
class Sheet:
    """One input sheet: an Excel Table named like the sheet, header in its first row."""

    name: str
    columns: tuple[Column, ...]
    help: str = ""
    key: str | None = None  # the row identifier shown in messages (e.g. ``session_id``)
    required: bool = False  # the workbook is unusable without this sheet
    periods: tuple[str, ...] = ()  # key columns whose rows must not overlap in time
    #: rows are added by practicebook only (imports, issued documents): people read
    #: them, and correct them only the way the help says
    appended_by_practicebook: bool = False
    #: the schema version that introduced the sheet (older workbooks may lack it)
    since: int = 1

    def column(self, key: str) -> Column:
        """Return the column named ``key``."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        """Column keys in sheet order."""
        return tuple(col.key for col in self.columns)

    def match(self, header: str) -> Column | None:
        """The column a header names: its header text or key, in any case or spacing."""
        return _header_index(self).get(normalize_header(header))


@cache
def _header_index(sheet: Sheet) -> dict[str, Column]:
    index = {normalize_header(col.key): col for col in sheet.columns}
    index.update({normalize_header(col.header): col for col in sheet.columns})
    return index


@dataclass(frozen=True)
class Setting:
    """One row of the key/value ``Practice`` sheet."""

    key: str
    kind: Kind
    default: object = None
    choices: tuple[str, ...] = ()
    help: str = ""
    phi: bool = False


@lru_cache(maxsize=4096)
def normalize_header(text: str) -> str:
    """Fold a header for matching: case, spaces, underscores and hyphens are ignored.

    >>> normalize_header("Client ID") == normalize_header(" client_id ") == "clientid"
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not (ch.isspace() or ch in "_-"))


def column(key: str, kind: Kind, help: str = "", **kw: object) -> Column:
    """A ``Column`` whose header is made from its key (``client_id`` -> ``Client ID``)."""
    header = kw.pop("header", None) or _header_from_key(key)
    return Column(key=key, header=str(header), kind=kind, help=help, **kw)  # type: ignore[arg-type]


_ACRONYMS = {"id": "ID", "npi": "NPI", "dob": "DOB", "lc": "LC", "ns": "NS"}


def _header_from_key(key: str) -> str:
    words = key.split("_")
    out = [_ACRONYMS.get(w, w) for w in words]
    out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


@dataclass(frozen=True)
class Workbook:
    """The whole standard workbook."""

    version: int
    sheets: tuple[Sheet, ...]
    settings: tuple[Setting, ...] = ()

    def sheet(self, name: str) -> Sheet:
        """Return the input sheet called ``name``."""
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(f"no input sheet named {name!r}")

    def setting(self, key: str) -> Setting:
        """Return the Practice setting called ``key``."""
        for setting in self.settings:
            if setting.key == key:
                return setting
        raise KeyError(f"no setting named {key!r}")
