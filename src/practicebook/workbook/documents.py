"""Issuing documents: numbering, the PDF file, the Documents row, voids and drafts.

``issue_many`` builds every requested document from the workbook as it is on disk at
write time, numbers them one past the highest number ever issued in each series (the
register and the AuditLog both count, so a deleted row never frees a number), writes
each PDF beside the workbook, and appends their Documents rows and AuditLog events in
one safe write (``safewrite``). It is all or nothing: a document with an error-level
issue refuses the whole run (``RowRefused``) before anything is written, and a file
is only put in place once the workbook records it. A file is never overwritten.

File names carry the number, the type, the client ID and the period, never a name:
``INV-00012_invoice_C0001_2026-03.pdf``. Drafts (superbills only) are written as
``DRAFT_superbill_C0001_2026-03.pdf``, with no number and no row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from practicebook.core.audit import AUDIT_SHEET, AuditEntry, Tool
from practicebook.core.documents import Builder, Document, Request, next_numbers
from practicebook.core.documents.register import voided_numbers
from practicebook.core.load import load_tables
from practicebook.errors import RowRefused, WriteFailed
from practicebook.issues import CellRef, Code, Issue, Severity, sort_issues
from practicebook.model import Book
from practicebook.render.cells import CellValue
from practicebook.render.pdf import to_pdf
from practicebook.schema import WORKBOOK
from practicebook.workbook import ooxml
from practicebook.workbook.auditkey import audit_key as resolve_audit_key
from practicebook.workbook.auditlog import finish
from practicebook.workbook.reader import read_workbook
from practicebook.workbook.safewrite import update_workbook
from practicebook.workbook.writer import actor_name, cells_refused, package_errors

__all__ = [
    "Issued",
    "Progress",
    "Voided",
    "actor_name",
    "documents_folder",
    "draft",
    "file_name",
    "issue",
    "issue_many",
    "issued_numbers",
    "paper_of",
    "void",
]

#: ``progress(done, total)``, called as each document is laid out.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Issued:
    """A document issued: its number, its file, the file's SHA-256 and the document."""

    number: str
    path: Path
    sha256: str
    document: Document


@dataclass(frozen=True)
class Voided:
    """A void recorded: the void's own number and the number it cancels."""

    number: str
    voids: str


def documents_folder(book_path: str | Path) -> Path:
    """The default folder of a workbook's documents: ``documents/`` beside it."""
    return Path(book_path).absolute().parent / "documents"


def file_name(number: str, doc: Document) -> str:
    """``INV-00012_invoice_C0001_2026-03.pdf``: number, type, client ID and period, never
    a name (characters a file name cannot hold become ``_``)."""
    parts = [number, doc.kind, doc.client_id]
    if doc.period is not None:
        first, last = doc.period
        month_end = (last + dt.timedelta(days=1)).day == 1
        if first.day == 1 and month_end and (first.year, first.month) == (last.year, last.month):
            parts.append(f"{first:%Y-%m}")
        elif first == last:
            parts.append(f"{first:%Y-%m-%d}")
        else:
            parts.append(f"{first:%Y-%m-%d}_{last:%Y-%m-%d}")
    elif doc.payment_id:
        parts.append(doc.payment_id)
    return "_".join(re.sub(r"[^A-Za-z0-9.-]", "_", p) for p in parts) + ".pdf"


def paper_of(book: Book) -> str | None:
    """The Practice setting ``paper_size`` (``None``: the locale's usual paper)."""
    value = book.settings.info.get("paper_size")
    return str(value) if value else None


def issued_numbers(book: Book, package: bytes) -> set[str]:
    """Every number the register holds or the AuditLog says was issued."""
    numbers = {str(n) for n in book.frame("Documents")["document_number"].dropna()}
    name = next(
        (n for n in ooxml.sheet_names(package) if n.casefold() == AUDIT_SHEET.casefold()), None
    )
    if name is not None:
        for row in ooxml.read_sheet(package, name)[1:]:
            if len(row) > 5 and row[3] == "Documents" and row[5] in ("issue", "void") and row[4]:
                numbers.add(str(row[4]))
    return numbers


def _now(book: Book) -> dt.datetime:
    zone = ZoneInfo(book.settings.timezone)
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def _book(path: str | Path, plain: bytes) -> Book:
    workbook, tables = read_workbook(path, plain, audit=False)
    return load_tables(tables, schema_version=workbook.schema_version)[0]


def _register_layout(book: Book, package: bytes) -> None:
    """Refuse when the workbook has no Documents sheet (a version 1 workbook)."""
    name = book.layouts["Documents"].sheet.casefold()
    if not any(n.casefold() == name for n in ooxml.sheet_names(package)):
        raise RowRefused(
            [
                Issue(
                    Code.MISSING_SHEET,
                    Severity.ERROR,
                    "the workbook has no Documents sheet to record issued documents in",
                    CellRef("Documents"),
                    "Run `practicebook upgrade` on the workbook: it adds the Documents sheet "
                    "and the other version 2 columns, and changes nothing else.",
                )
            ]
        )


def issue(
    path: str | Path,
    request: Request,
    *,
    out: str | Path | None = None,
    issued_at: dt.datetime | None = None,
    as_of: dt.date | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Issued:
    """Issue one document: see ``issue_many``."""
    return issue_many(
        path,
        [request],
        out=out,
        issued_at=issued_at,
        as_of=as_of,
        password=password,
        actor=actor,
        tool=tool,
        audit_key=audit_key,
    )[0]


def issue_many(
    path: str | Path,
    requests: Sequence[Request],
    *,
    out: str | Path | None = None,
    issued_at: dt.datetime | None = None,
    as_of: dt.date | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
    progress: Progress | None = None,
) -> list[Issued]:
    """Issue documents: number them, write their PDFs and record them, all or nothing.

    Args:
        path: the workbook.
        requests: the documents (``practicebook.core.documents`` requests).
        out: the folder for the files (default: ``documents/`` beside the workbook).
        issued_at: the issue time (local to the practice; default: now).
        as_of: for invoices and superbills, the day payments are counted to (default:
            the issue day).
        password, actor, tool, audit_key: as for ``practicebook.add_session``.
        progress: called as each document is laid out.

    Raises:
        RowRefused: a document has error-level issues (a superbill's missing fields…),
            or the workbook has no Documents sheet; nothing was written.
        UnknownClient, LookupError, ValueError: a request cannot be built.
        WriteError: the workbook or a file could not be written safely.
    """
    if not requests:
        return []
    folder = Path(out) if out is not None else documents_folder(path)
    key = resolve_audit_key(audit_key)
    who = actor_name(actor)
    done: list[Issued] = []
    temps: list[tuple[Path, Path]] = []

    def transform(plain: bytes) -> bytes:
        _discard(temps)
        done.clear()
        book = _book(path, plain)
        _register_layout(book, plain)
        when = issued_at or _now(book)
        builder = Builder(book)
        docs = [builder.build(r, issued_on=when.date(), as_of=as_of) for r in requests]
        if any(d.draft for d in docs):
            raise ValueError("a draft is never issued: write it with draft()")
        blocking = [i for d in docs for i in d.issues if i.is_error]
        if blocking:
            raise RowRefused(sort_issues(blocking))
        numbered = _number(book, plain, docs)
        _make_folder(folder)  # only once there is something to write
        rows, events = [], []
        for k, doc in enumerate(numbered):
            pdf = to_pdf(doc, paper=paper_of(book))
            digest = hashlib.sha256(pdf).hexdigest()
            target = folder / file_name(str(doc.number), doc)
            temps.append((_write_temp(folder, target, pdf, flush=False), target))
            done.append(Issued(str(doc.number), target, digest, doc))
            rows.append(_row(book, doc, when, digest, target.name))
            events.append(
                AuditEntry(
                    who,
                    tool,
                    "Documents",
                    str(doc.number),
                    "issue",
                    f"{doc.kind} for {doc.client_id}, total {doc.total}, sha256 {digest[:16]}",
                )
            )
            if progress is not None:
                progress(k + 1, len(numbered))
        _flush(temps)  # on disk before the workbook records them
        return _append(path, plain, book, rows, events, key)

    try:
        update_workbook(
            path, package_errors(path, transform), retry_on_change=True, password=password
        )
    except BaseException:
        _discard(temps)
        raise
    for temp, target in temps:
        _install(temp, target)
    return list(done)


def _number(book: Book, plain: bytes, docs: list[Document]) -> list[Document]:
    issued = issued_numbers(book, plain)
    prefix = book.settings.info.get("document_prefix")
    prefix_text = str(prefix) if prefix else None
    wanted: dict[str, list[str]] = {}
    for doc in docs:
        wanted.setdefault(doc.kind, [])
    for kind in wanted:
        count = sum(d.kind == kind for d in docs)
        wanted[kind] = next_numbers(issued, kind, prefix_text, count)
    return [replace(doc, number=wanted[doc.kind].pop(0)) for doc in docs]


def _row(book: Book, doc: Document, when: dt.datetime, digest: str, name: str) -> dict[str, object]:
    first, last = doc.period if doc.period is not None else (None, None)
    return {
        "document_number": doc.number,
        "type": doc.kind,
        "client_id": doc.client_id,
        "period_start": first,
        "period_end": last,
        "issued_at": when,
        "total": doc.total,
        "sha256": digest,
        "file_name": name,
        "payment_id": doc.payment_id,
        "charge_ids": ",".join(doc.charge_ids) or None,
        "minimal": doc.minimal,
    }


def _append(
    path: str | Path,
    plain: bytes,
    book: Book,
    rows: Iterable[dict[str, object]],
    events: list[AuditEntry],
    key: bytes | None,
) -> bytes:
    layout = book.layouts["Documents"]
    sheet = WORKBOOK.sheet("Documents")
    width = max(layout.column_of.values())
    cells: list[list[CellValue]] = []
    for values in rows:
        line: list[CellValue] = [None] * width
        for col in sheet.columns:
            if col.key in layout.column_of:
                line[layout.column_of[col.key] - 1] = cast("CellValue", values.get(col.key))
        cells.append(line)
    with cells_refused(layout.sheet, str(events[0].row_id)):
        package, _ = ooxml.append_rows(
            plain,
            layout.sheet,
            cells,
            header_row=layout.header_row,
        )
    return finish(package, Path(path), [], events, key)


def void(
    path: str | Path,
    number: str,
    *,
    reason: str | None = None,
    voided_at: dt.datetime | None = None,
    password: str | None = None,
    actor: str | None = None,
    tool: Tool = "api",
    audit_key: str | bytes | None = None,
) -> Voided:
    """Void an issued document: a ``void`` row with a number of its own (the document's
    file and row stay as they were; its charges may then be billed again).

    Raises:
        LookupError: ``number`` is not in the register, is a void, or is voided already.
        RowRefused: the workbook has no Documents sheet.
        WriteError: the workbook could not be written safely.
    """
    key = resolve_audit_key(audit_key)
    who = actor_name(actor)
    done: dict[str, Voided] = {}

    def transform(plain: bytes) -> bytes:
        book = _book(path, plain)
        _register_layout(book, plain)
        docs = book.frame("Documents")
        found = docs[docs["document_number"] == number]
        if found.empty:
            raise LookupError(f"{number!r} is not in the Documents register")
        row = found.iloc[0]
        if row["type"] == "void":
            raise LookupError(f"{number} is a void; a void cannot be voided")
        if number in voided_numbers(book):
            raise LookupError(f"{number} is voided already")
        prefix = book.settings.info.get("document_prefix")
        own = next_numbers(issued_numbers(book, plain), "void", str(prefix) if prefix else None)[0]
        values = {
            "document_number": own,
            "type": "void",
            "client_id": row["client_id"],
            "issued_at": voided_at or _now(book),
            "voids": number,
            "reason": reason,
        }
        event = AuditEntry(who, tool, "Documents", own, "void", f"voids {number}")
        done["void"] = Voided(own, number)
        return _append(path, plain, book, [values], [event], key)

    update_workbook(path, package_errors(path, transform), retry_on_change=True, password=password)
    return done["void"]


def draft(
    path: str | Path,
    request: Request,
    *,
    out: str | Path | None = None,
    issued_on: dt.date | None = None,
    as_of: dt.date | None = None,
    password: str | None = None,
) -> tuple[Path, Document]:
    """Write a draft (a superbill with ``draft=True``): watermarked DRAFT, never numbered
    nor recorded; the workbook is only read. An existing draft of the same name is
    replaced.

    Raises:
        ValueError: the request is not a draft.
    """
    if not getattr(request, "draft", False):
        raise ValueError("only a draft superbill request can be drafted")
    from practicebook.workbook.guard import read_workbook_bytes

    raw = read_workbook_bytes(Path(path))
    workbook, tables = read_workbook(path, raw, password=password, audit=False)
    book = load_tables(tables, schema_version=workbook.schema_version)[0]
    day = issued_on or _now(book).date()
    doc = Builder(book).build(request, issued_on=day, as_of=as_of)
    folder = Path(out) if out is not None else documents_folder(path)
    _make_folder(folder)
    target = folder / file_name("DRAFT", doc)
    temp = _write_temp(folder, target, to_pdf(doc, paper=paper_of(book)), replace_ok=True)
    os.replace(temp, target)
    return target, doc


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(folder, exc.strerror or type(exc).__name__) from None


def _write_temp(
    folder: Path, target: Path, data: bytes, *, replace_ok: bool = False, flush: bool = True
) -> Path:
    """``data`` in a temporary file beside ``target``, flushed to disk (``flush=False``:
    the caller flushes it, with the others of a run, by ``_flush``)."""
    if target.exists() and not replace_ok:
        raise WriteFailed(target, "a file of that name exists already; nothing was issued")
    fd, name = tempfile.mkstemp(prefix=".practicebook-doc-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if flush:
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise WriteFailed(target, exc.strerror or type(exc).__name__) from None
    return Path(name)


def _flush(temps: Sequence[tuple[Path, Path]]) -> None:
    """Every temporary file of ``temps`` (with its target) flushed to disk, a few at a
    time: the file system commits concurrent flushes together, where one after the
    other each waits for the disk."""

    def flush(pair: tuple[Path, Path]) -> None:
        temp, target = pair
        try:
            fd = os.open(temp, os.O_RDWR)  # Windows flushes only what may be written
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise WriteFailed(target, exc.strerror or type(exc).__name__) from None

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(flush, temps))  # the first failure raises here


def _install(temp: Path, target: Path) -> None:
    """Put an issued document's file in place, never over another file."""
    try:
        os.link(temp, target)  # fails when the name is taken: never overwrites
    except FileExistsError:
        raise WriteFailed(target, "a file of that name appeared meanwhile") from None
    except OSError:
        os.replace(temp, target)  # a file system without hard links
        return
    with contextlib.suppress(OSError):
        os.unlink(temp)


def _discard(temps: list[tuple[Path, Path]]) -> None:
    for temp, _ in temps:
        with contextlib.suppress(OSError):
            temp.unlink()
    temps.clear()
