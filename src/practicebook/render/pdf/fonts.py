"""The fonts documents are printed in, and which font draws each letter.

DejaVu Sans (regular and bold, shipped in ``fonts/`` with its licence) is embedded in
every PDF, subset to the letters used: Latin, Greek, Cyrillic, Armenian, Georgian,
Hebrew and the currency signs (€ £ ¥ ₹ ₩ ₽ ₪…). Chinese, Japanese and Korean letters,
which no small font covers, are drawn with the PDF viewer's standard CJK fonts (Adobe's
CID fonts, part of every reader's Asian font support) and keep their Unicode values, so
text extraction and search still find them. A letter neither covers is drawn as an
empty box.

Registration happens once per process, on first use.
"""

from __future__ import annotations

import functools
from importlib import resources
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["BOLD", "REGULAR", "covered", "markup", "register"]

REGULAR = "PB-Sans"
BOLD = "PB-Sans-Bold"
_JAPANESE, _CHINESE, _CHINESE_TRADITIONAL, _KOREAN = (
    "HeiseiKakuGo-W5",
    "STSong-Light",
    "MSung-Light",
    "HYGothic-Medium",
)


@functools.cache
def register() -> frozenset[int]:
    """Register the document fonts (once); return the code points DejaVu Sans draws."""
    folder = resources.files("practicebook.render.pdf").joinpath("fonts")
    regular = TTFont(REGULAR, str(folder.joinpath("DejaVuSans.ttf")))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, str(folder.joinpath("DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
    )
    for name in (_JAPANESE, _CHINESE, _CHINESE_TRADITIONAL, _KOREAN):
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return frozenset(regular.face.charToGlyph)


def _is_hangul(cp: int) -> bool:
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def _is_kana(cp: int) -> bool:
    return 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F


def _is_cjk(cp: int) -> bool:
    return (
        0x3000 <= cp <= 0x303F  # CJK punctuation
        or _is_kana(cp)
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms (the yen sign ja_JP writes: ￥)
        or _is_hangul(cp)
    )


def covered(text: str) -> bool:
    """True when DejaVu Sans alone draws every letter of ``text``."""
    cmap = register()
    return all(ord(ch) in cmap or ch.isspace() for ch in text)


def _cjk_font(text: str, locale: str) -> str:
    language, _, rest = locale.replace("-", "_").partition("_")
    if any(_is_hangul(ord(ch)) for ch in text) or language == "ko":
        return _KOREAN
    if language == "ja" or any(_is_kana(ord(ch)) for ch in text):
        return _JAPANESE
    if language == "zh" and rest.split("_")[0] in ("TW", "HK", "MO", "Hant"):
        return _CHINESE_TRADITIONAL
    return _CHINESE


def markup(text: str, locale: str) -> str:
    """``text`` as Paragraph markup, each run of letters in a font that draws it
    (escaped: the text is never read as markup)."""
    cmap = register()
    if all(ord(ch) in cmap or ch.isspace() for ch in text):
        return escape(text)
    out: list[str] = []
    run, font = "", ""
    for ch in text:
        cp = ord(ch)
        wanted = (
            font
            if ch.isspace() and font
            else ("" if cp in cmap or not _is_cjk(cp) else _cjk_font(text, locale))
        )
        if wanted != font and run:
            out.append(_run(run, font))
            run = ""
        run, font = run + ch, wanted
    if run:
        out.append(_run(run, font))
    return "".join(out)


def _run(text: str, font: str) -> str:
    return f'<font name="{font}">{escape(text)}</font>' if font else escape(text)
