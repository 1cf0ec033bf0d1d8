"""Every exception practicebook raises on purpose, documented once.

Bad data never raises: a problem in a workbook becomes an ``Issue`` (see
``practicebook.issues``). Exceptions are for programmer and environment errors; each
carries a one-line message that names files, sheets, cells and IDs, never a value of a
personal column. All of them are importable from ``practicebook``::

    PracticebookError
     ├── UnreadableWorkbook      the file cannot be opened as a workbook (not a zip, .xls,
     │                           password-protected, truncated, zip bomb, DTD in a part)
     ├── IssuesFound             raised on request by ``raise_for_issues``
     ├── RowRefused              a new row or stamp has error-level issues; nothing written
     ├── MissingDependency       an optional integration is not installed
     ├── UnknownClient           ``explain`` of an ID that is no client of the workbook
     ├── BadAuditKey             the audit key given or configured cannot be used
     └── WriteError              a write could not be done safely; the file is unchanged
          ├── WorkbookBusy       open in Excel/LibreOffice, or locked by another run
          ├── WorkbookChanged    another program saved the file since it was read
          ├── SheetConflict      a sheet of the user's own has a derived sheet's name
          ├── PasswordRequired   the workbook is encrypted and no password was given
          ├── WrongPassword      the password does not open the workbook
          └── WriteFailed        the new version could not be written
               ├── DiskFull      no space left for the new version
               ├── VerifyFailed  the written copy failed verification
               └── WorkbookReadOnly  the file is read-only, or this user may not write it

May import: the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from practicebook.issues import Issue


class PracticebookError(Exception):
    """Base of every exception practicebook raises on purpose."""


class UnreadableWorkbook(PracticebookError):
    """The file cannot be read as a workbook; ``reason`` says why in one line."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class IssuesFound(PracticebookError):
    """Raised by ``raise_for_issues`` when issues at or above a severity exist."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{first.where}: {first.message}{more}")


class MissingDependency(PracticebookError):
    """An optional integration is used without its extra installed."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{module} is not installed; install it with: pip install 'practicebook[{extra}]'"
        )


class RowRefused(PracticebookError):
    """The row or stamp has error-level issues; nothing was written."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        errors = [i for i in self.issues if i.is_error]
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"nothing was written: {first.where}: {first.message}{more}")


class UnknownClient(PracticebookError):
    """``explain`` was asked about an ID that is no client of the workbook: neither on the
    Clients sheet nor named by a row dated by the as-of day.

    ``suggestion`` is the client ID that differs from it only in case or surrounding
    spaces, when there is one (``did you mean C0001``).
    """

    def __init__(self, client_id: str, suggestion: str | None = None) -> None:
        self.client_id = client_id
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        super().__init__(f"{client_id!r} is not a client in this workbook{hint}")


class BadAuditKey(PracticebookError):
    """The audit key (``audit_key=``, ``PRACTICEBOOK_AUDIT_KEY`` or the file named by
    ``PRACTICEBOOK_AUDIT_KEY_FILE``) cannot be used; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the audit key cannot be used: {reason}")


class WriteError(PracticebookError):
    """Base of every error raised while writing a workbook; the message is one line."""


class WorkbookBusy(WriteError):
    """The workbook is open in a spreadsheet program or locked by another practicebook run."""

    def __init__(self, path: Path, owner: str | None = None, *, by: str = "a spreadsheet program"):
        who = f" by {owner}" if owner else ""
        super().__init__(f"{path.name} is open in {by}{who}; close it and try again")
        self.path, self.owner = path, owner


class WorkbookChanged(WriteError):
    """The file changed after practicebook read it; writing now would lose that change."""

    def __init__(self, path: Path):
        super().__init__(
            f"{path.name} was changed by another program since it was read; "
            "nothing was written, run again"
        )
        self.path = path


class SheetConflict(WriteError):
    """The workbook has a sheet of its user's own under the name of a sheet practicebook
    writes wholesale; replacing it would lose that sheet, so nothing is written."""

    def __init__(self, path: Path, sheet: str):
        super().__init__(
            f"{path.name} has a sheet {sheet!r} that practicebook did not write; rename it "
            f"(for example to '{sheet} (mine)') and run again, practicebook then writes its "
            f"own {sheet} sheet; nothing was written"
        )
        self.path, self.sheet = path, sheet


class WriteFailed(WriteError):
    """The new version could not be written; the original file is unchanged."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"could not write {path.name}: {reason}; the file is unchanged")
        self.path, self.reason = path, reason


class DiskFull(WriteFailed):
    """No space left for the temporary copy."""

    def __init__(self, path: Path):
        super().__init__(path, "the disk is full")


class VerifyFailed(WriteFailed):
    """The written copy did not pass verification, so it was not installed."""

    def __init__(self, path: Path, check: str):
        super().__init__(path, f"verification failed ({check})")
        self.check = check


class PasswordRequired(WriteError):
    """The workbook is encrypted and no password was given."""

    def __init__(self) -> None:
        super().__init__("the workbook is password-protected; a password is needed")


class WrongPassword(WriteError):
    """The password does not open the encrypted workbook."""

    def __init__(self) -> None:
        super().__init__("the password does not open this workbook")


class WorkbookReadOnly(WriteFailed):
    """The workbook file is read-only, or the user running practicebook may not write it."""

    def __init__(self, path: Path, reason: str | None = None):
        default = "the file is read-only (allow writing to it, then run again)"
        super().__init__(path, reason or default)


#: Every exception above: the names ``practicebook`` exports from here.
__all__ = sorted(
    name
    for name, value in list(globals().items())
    if isinstance(value, type) and issubclass(value, PracticebookError)
)
