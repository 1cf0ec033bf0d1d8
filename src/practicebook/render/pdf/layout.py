"""A ``Document`` laid out as a PDF with ReportLab, byte for byte reproducible.

Layout: the practice (left) and the title, number and facts (right); the recipient;
the blocks and tables placed above the lines; the lines (their header repeated on
every page); the summary; the other tables; the notes and the signature line; a footer
with the number and ``page x of y`` on every page; a DRAFT watermark on drafts.

Amounts and days are written by babel in the document's locale (``practicebook.l10n``);
text goes through ``fonts.markup``, so a name in any script the fonts draw prints as
typed and is never read as markup. ReportLab's invariant mode fixes the creation date
and the file identifier, so the same document gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from babel import Locale, UnknownLocaleError
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from practicebook.core.amounts import minor_units
from practicebook.core.documents import Block, Document, LineColumn, Table, Value
from practicebook.l10n import format_date, format_money
from practicebook.money import from_minor, to_minor
from practicebook.render.pdf.fonts import BOLD, REGULAR, covered, markup, register

__all__ = ["PAPER", "default_paper", "to_pdf"]

#: Paper sizes by the Practice setting's value.
PAPER = {"a4": A4, "letter": LETTER}
#: Countries whose usual paper is US Letter.
_LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "PR", "CR"})
_MARGIN = 16 * mm
_GREY = colors.Color(0.93, 0.93, 0.93)
_LINE = colors.Color(0.6, 0.6, 0.6)
_WIDTHS = {"date": 24 * mm, "money": 25 * mm, "count": 19 * mm}
_SIZE = 9  # points, the body text
_PAD = 3  # points each side of a table cell


def default_paper(locale: str) -> str:
    """``letter`` where the locale's country uses US Letter, else ``a4``.

    >>> default_paper("en_US"), default_paper("fr_CA"), default_paper("en_GB")
    ('letter', 'letter', 'a4')
    """
    try:
        territory = Locale.parse(locale.replace("-", "_")).territory
    except (UnknownLocaleError, ValueError, TypeError):
        territory = None
    return "letter" if territory in _LETTER_COUNTRIES else "a4"


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("pb", fontName=REGULAR, fontSize=9, leading=11.5)
        self.body = base
        self.small = ParagraphStyle("pb-small", parent=base, fontSize=8, leading=10)
        self.bold = ParagraphStyle("pb-bold", parent=base, fontName=BOLD)
        self.right = ParagraphStyle("pb-right", parent=base, alignment=TA_RIGHT)
        self.right_bold = ParagraphStyle("pb-right-bold", parent=self.right, fontName=BOLD)
        self.title = ParagraphStyle(
            "pb-title", parent=base, fontName=BOLD, fontSize=17, leading=21, alignment=TA_RIGHT
        )
        self.heading = ParagraphStyle(
            "pb-heading", parent=base, fontName=BOLD, fontSize=10, leading=13, spaceBefore=6
        )
        self.practice = ParagraphStyle(
            "pb-practice", parent=base, fontName=BOLD, fontSize=12, leading=15
        )


# babel's formatting was a tenth of a page's cost; a run of documents repeats few amounts and days
_money = functools.lru_cache(maxsize=8192)(format_money)
_day = functools.lru_cache(maxsize=2048)(format_date)


class _Writer:
    """Turns a document's values into text and paragraphs, in its locale."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.styles = _Styles()

    def text(self, value: Value) -> str:
        doc = self.doc
        if value is None:
            return "—"
        if isinstance(value, Decimal):
            return _money(to_minor(value, doc.currency), doc.currency, doc.locale)
        if isinstance(value, tuple):
            return f"{self.text(value[0])} – {self.text(value[1])}"
        if isinstance(value, dt.datetime):
            return _day(value.date(), doc.locale)
        if isinstance(value, dt.date):
            return _day(value, doc.locale)
        return str(value)

    def para(self, value: Value, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup(self.text(value), self.doc.locale), style or self.styles.body)


def to_pdf(doc: Document, *, paper: str | None = None) -> bytes:
    """The document as PDF bytes (the same document gives the same bytes).

    Args:
        doc: the document.
        paper: ``a4`` or ``letter`` (default: the locale's usual paper).
    """
    register()
    size = PAPER[paper or default_paper(doc.locale)]
    out = io.BytesIO()
    number = doc.number or "not issued"
    template = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 6 * mm,
        title=f"{doc.title} {number}",
        author=doc.issuer[0] if doc.issuer else "",
        creator="practicebook",
        subject="",
        invariant=1,
    )
    w = _Writer(doc)
    width = size[0] - 2 * _MARGIN - 12  # the frame pads 6 points on each side
    story = _story(w, width)
    footer = f"{doc.title} {number}"
    template.build(story, canvasmaker=_numbered(footer, doc.draft))
    return out.getvalue()


def _story(w: _Writer, width: float) -> list[Flowable]:
    doc, s = w.doc, w.styles
    story: list[Flowable] = [_header(w, width), Spacer(1, 6 * mm)]
    to_label = "Patient" if doc.kind == "superbill" else "Client"
    story.append(Paragraph(to_label, s.heading))
    story += [w.para(line) for line in doc.recipient]
    for section in doc.sections:
        if isinstance(section, Block):
            story += _block(w, section, width)
    for section in doc.sections:
        if isinstance(section, Table) and section.title == "Provider":
            story += _table_section(w, section, width)
    story += [Spacer(1, 5 * mm), _lines(w, width), Spacer(1, 3 * mm), _summary(w, width)]
    for section in doc.sections:
        if isinstance(section, Table) and section.title != "Provider":
            story += _table_section(w, section, width)
    if doc.notes:
        story.append(Spacer(1, 5 * mm))
        story += [w.para(note, s.small) for note in doc.notes]
    if doc.signature:
        rule = "_" * 40
        grid = PdfTable(
            [
                [w.para(rule), w.para("_" * 18)],
                [w.para(doc.signature, s.small), w.para("Date", s.small)],
            ],
            colWidths=[80 * mm, 45 * mm],
            hAlign="LEFT",
        )
        grid.setStyle(_plain())
        story += [Spacer(1, 12 * mm), KeepTogether([grid])]
    return story


def _header(w: _Writer, width: float) -> PdfTable:
    doc, s = w.doc, w.styles
    left: list[Flowable] = []
    for i, line in enumerate(doc.issuer):
        left.append(w.para(line, s.practice if i == 0 else s.body))
    right: list[Flowable] = [
        w.para(doc.title, s.title),
        w.para(f"No. {doc.number}" if doc.number else "Not issued (preview)", s.right_bold),
    ]
    widths = [32 * mm, 60 * mm]
    facts = [
        [
            _cell(w, label, widths[0], bold=False, right=True),
            _cell(w, value, widths[1], bold=True, right=True),
        ]
        for label, value in doc.facts
    ]
    if facts:
        grid = PdfTable(facts, colWidths=widths, hAlign="RIGHT")
        style = _plain()
        style.add("FONT", (0, 0), (0, -1), REGULAR, _SIZE, _SIZE + 2.5)
        style.add("FONT", (1, 0), (1, -1), BOLD, _SIZE, _SIZE + 2.5)
        style.add("ALIGN", (0, 0), (-1, -1), "RIGHT")
        grid.setStyle(style)
        right.append(grid)
    table = PdfTable([[left, right]], colWidths=[width - 95 * mm, 95 * mm])
    table.setStyle(_plain(valign="TOP"))
    return table


def _block(w: _Writer, block: Block, width: float) -> list[Flowable]:
    s = w.styles
    rows = [[w.para(label), w.para(value, s.bold)] for label, value in block.items]
    grid = PdfTable(rows, colWidths=[40 * mm, width - 40 * mm], hAlign="LEFT")
    grid.setStyle(_plain())
    return [Paragraph(markup(block.title, w.doc.locale), s.heading), grid]


def _widths(columns: Sequence[LineColumn], width: float) -> list[float]:
    fixed = [_WIDTHS.get(c.kind) for c in columns]
    texts = [i for i, f in enumerate(fixed) if f is None]
    rest = max(width - sum(f for f in fixed if f is not None), 20 * mm * max(len(texts), 1))
    out = [f if f is not None else rest / max(len(texts), 1) for f in fixed]
    if len(texts) > 1:  # the description takes what the short text columns leave
        short = 18 * mm
        wide = [i for i in texts if columns[i].key == "description"]
        if wide:
            for i in texts:
                out[i] = short
            out[wide[0]] = rest - short * (len(texts) - 1)
    scale = width / sum(out) if sum(out) > width else 1.0
    return [x * scale for x in out]


def _cell(w: _Writer, value: Value, width: float, *, bold: bool, right: bool) -> Any:
    """A table cell: plain text when one font draws it on one line (fast to lay out),
    else a paragraph that wraps and switches fonts."""
    text = w.text(value)
    font = BOLD if bold else REGULAR
    if covered(text) and stringWidth(text, font, _SIZE) <= width - 2 * _PAD:
        return text
    s = w.styles
    style = (s.right_bold if bold else s.right) if right else (s.bold if bold else s.body)
    return Paragraph(markup(text, w.doc.locale), style)


def _grid(
    w: _Writer, columns: Sequence[LineColumn], rows: Sequence[Sequence[Value]], width: float
) -> PdfTable:
    widths = _widths(columns, width)

    def line(values: Sequence[Value], bold: bool) -> list[Any]:
        return [
            _cell(w, v, cw, bold=bold, right=c.numeric)
            for c, v, cw in zip(columns, values, widths, strict=True)
        ]

    head = line([c.title for c in columns], True)
    table = PdfTable([head, *(line(r, False) for r in rows)], colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, _SIZE, _SIZE + 2.5),
        ("FONT", (0, 0), (-1, 0), BOLD, _SIZE, _SIZE + 2.5),
        ("BACKGROUND", (0, 0), (-1, 0), _GREY),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, _LINE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, _LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, c in enumerate(columns) if c.numeric]
    table.setStyle(TableStyle(style))
    return table


def _lines(w: _Writer, width: float) -> Flowable:
    doc = w.doc
    columns = doc.columns
    frame = doc.lines
    values: list[list[Value]] = [[] for _ in range(len(frame))]
    for c in columns:
        column = frame[c.key]
        cells: list[Value]
        if c.kind == "money":
            missing = column.isna().to_numpy()
            cells = [
                None if gone else from_minor(int(m), doc.currency)
                for m, gone in zip(minor_units(column), missing, strict=True)
            ]
        elif c.kind == "date":
            cells = [None if pd.isna(v) else pd.Timestamp(v).date() for v in column.tolist()]
        elif c.kind == "count":
            cells = [int(v) for v in column.tolist()]
        else:
            cells = ["" if v is None or v != v else str(v) for v in column.tolist()]
        for row, v in zip(values, cells, strict=True):
            row.append(v)
    if not values:
        empty = "No activity in this period." if doc.kind == "statement" else "Nothing to list."
        values = [[empty, *[""] * (len(columns) - 1)]]
    return _grid(w, columns, values, width)


def _summary(w: _Writer, width: float) -> Flowable:
    items = w.doc.summary
    widths = [55 * mm, 32 * mm]
    last = len(items) - 1
    rows = [
        [
            _cell(w, label, widths[0], bold=i == last, right=True),
            _cell(w, value, widths[1], bold=i == last, right=True),
        ]
        for i, (label, value) in enumerate(items)
    ]
    table = PdfTable(rows, colWidths=widths, hAlign="RIGHT")
    style = _plain()
    style.add("FONT", (0, 0), (-1, -1), REGULAR, _SIZE, _SIZE + 2.5)
    style.add("FONT", (0, -1), (-1, -1), BOLD, _SIZE, _SIZE + 2.5)
    style.add("ALIGN", (0, 0), (-1, -1), "RIGHT")
    style.add("LINEABOVE", (0, -1), (-1, -1), 0.6, _LINE)
    table.setStyle(style)
    return KeepTogether([table])


def _table_section(w: _Writer, section: Table, width: float) -> list[Flowable]:
    if not section.rows:
        return []
    heading = Paragraph(markup(section.title, w.doc.locale), w.styles.heading)
    grid = _grid(w, section.columns, section.rows, width)
    return [Spacer(1, 2 * mm), KeepTogether([heading, grid])]


def _plain(valign: str = "MIDDLE") -> TableStyle:
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), valign),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
    )


def _numbered(footer: str, draft: bool) -> type[Canvas]:
    """A canvas class that writes ``footer · page x of y`` on every page (and DRAFT
    across drafts), once the number of pages is known."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for page in self._pages:
                self.__dict__.update(page)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setFont(REGULAR, 7.5)
            self.setFillColor(colors.Color(0.35, 0.35, 0.35))
            self.drawString(_MARGIN, 10 * mm, footer)
            self.drawRightString(width - _MARGIN, 10 * mm, f"page {self._pageNumber} of {total}")
            if draft:
                self.setFont(BOLD, 90)
                self.setFillColor(colors.Color(0.75, 0.75, 0.75))
                self.setFillAlpha(0.35)
                self.translate(width / 2, self._pagesize[1] / 2)
                self.rotate(40)
                self.drawCentredString(0, 0, "DRAFT")
            self.restoreState()

    return NumberedCanvas
