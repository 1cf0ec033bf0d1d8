"""The façade every front door calls: load a workbook, check it, create a new one.

Only ``load`` and ``new_workbook`` touch the disk (through ``practicebook.workbook``);
``load_tables`` is the pure path every medium shares (``practicebook.core.load``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import IO

from practicebook.core.load import load_tables
from practicebook.issues import Issue
from practicebook.model import Book

__all__ = ["SHIPPED_VBA_PROJECT", "check", "load", "load_tables", "new_workbook"]

#: The macros of the macro-enabled workbook, built by the Excel door
#: (``python -m practicebook.frontends.excel.build``) and shipped as package data.
SHIPPED_VBA_PROJECT = resources.files("practicebook").joinpath(
    "frontends", "excel", "vba", "vbaProject.bin"
)


def load(
    path: str | Path,
    *,
    password: str | None = None,
    data: bytes | None = None,
    audit_key: str | bytes | None = None,
) -> tuple[Book, list[Issue]]:
    """Read and check a workbook file.

    The AuditLog is checked against the head the workbook records (a log cut short or
    deleted is reported); with an audit key (``audit_key``, else ``PRACTICEBOOK_AUDIT_KEY``
    or the file ``PRACTICEBOOK_AUDIT_KEY_FILE`` names) keyed rows are verified too.

    Args:
        path: the workbook (named in messages even when ``data`` is given).
        password: the password of a protected workbook.
        data: the file's bytes, when already read: the caller can then hash exactly the
            bytes it checked (``write_results(..., source_sha256=...)``).
        audit_key: the audit key (see ``practicebook.workbook.auditkey``).

    Raises:
        UnreadableWorkbook: the file cannot be read as a workbook (one-line reason).
        BadAuditKey: the audit key given or configured cannot be used.
    """
    # live-workbook callers never need the file reader
    from practicebook.core.audit import AUDIT_HEAD_PROPERTY
    from practicebook.workbook.auditkey import audit_key as resolve_audit_key
    from practicebook.workbook.reader import read_workbook

    key = resolve_audit_key(audit_key)
    workbook, tables = read_workbook(path, data, password=password)
    return load_tables(
        tables,
        schema_version=workbook.schema_version,
        audit_head=workbook.properties.get(AUDIT_HEAD_PROPERTY),
        audit_key=key,
    )


def check(
    path: str | Path, *, password: str | None = None, audit_key: str | bytes | None = None
) -> list[Issue]:
    """Every issue in a workbook file, in sheet and row order (see ``load``)."""
    return load(path, password=password, audit_key=audit_key)[1]


def new_workbook(
    target: str | Path | IO[bytes],
    *,
    currency: str = "USD",
    locale: str = "en_US",
    timezone: str = "America/New_York",
    practice_name: str = "",
    macros: bool | None = None,
) -> None:
    """Write an empty standard workbook with the given practice settings.

    Args:
        macros: write the macro-enabled workbook (Home sheet with buttons, entry forms
            and formula balances; see ``practicebook.frontends.excel``). Default: when ``target``
            is a path ending in ``.xlsm``.
    """
    from practicebook.workbook.template import write_workbook

    if macros is None:
        macros = isinstance(target, (str, Path)) and str(target).lower().endswith(".xlsm")
    vba_project = SHIPPED_VBA_PROJECT.read_bytes() if macros else None
    write_workbook(
        target,
        settings={
            "currency": currency,
            "locale": locale,
            "timezone": timezone,
            "practice_name": practice_name,
        },
        vba_project=vba_project,
    )
