"""Client documents as PDF: ReportLab in invariant mode, with an embedded Unicode font.

``to_pdf(document)`` lays out a ``practicebook.core.documents.Document`` (``layout``)
in the fonts of ``fonts`` and returns the bytes; the same document always gives the same
bytes. Why ReportLab: BSD-licensed (the project is MIT), pure Python wheels, a
documented reproducible mode (``invariant``), TrueType embedding with subsetting, and
the PDF readers' own CJK fonts without shipping any; fpdf2 is LGPL, WeasyPrint needs
the system's Pango, typst's wheel is a 34 MB binary.

May import: ``practicebook.core`` and below, ReportLab and babel.
"""

from __future__ import annotations

from practicebook.render.pdf.layout import PAPER, default_paper, to_pdf

__all__ = ["PAPER", "default_paper", "to_pdf"]
