"""A folder of generated workbooks for the batch tests: four readable practices (one in a
subfolder, one with planted problems) and four files practicebook must refuse."""

from __future__ import annotations

import zipfile
from pathlib import Path

from practicebook.generate import generate

__all__ = ["AS_OF", "WARNING_SEED", "make_fleet"]

AS_OF = "2026-06-30"
#: Generated practices (120 sessions) by seed: 1 and 3 are clean, 0 has one warning.
WARNING_SEED = 0


def _zip_bomb(src: Path, dst: Path) -> Path:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"</sheetData>", row * 300_000 + b"</sheetData>")
            zout.writestr(info.filename, data)
    return dst


def _encrypted(src: Path, dst: Path, password: str) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as plain, dst.open("wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return dst


def make_fleet(root: Path) -> Path:
    """Readable: ``a-clean``, ``north/b-clean``, ``c-warning``, ``d-problems``. Refused:
    ``e-notzip`` (text), ``f-truncated``, ``g-bomb`` (a zip bomb), ``h-locked`` (password
    ``s3cret``). Also a text file and an Excel lock file that are not workbooks."""
    (root / "north").mkdir()
    generate(120, seed=1).write(root / "a-clean.xlsx")
    generate(120, seed=3).write(root / "north" / "b-clean.xlsx")
    generate(120, seed=WARNING_SEED).write(root / "c-warning.xlsx")
    generate(120, seed=5, problems=True).write(root / "d-problems.xlsx")
    (root / "e-notzip.xlsx").write_text("client,amount\nC1,150\n")
    data = (root / "a-clean.xlsx").read_bytes()
    (root / "f-truncated.xlsx").write_bytes(data[: len(data) // 2])
    _zip_bomb(root / "a-clean.xlsx", root / "g-bomb.xlsx")
    _encrypted(root / "a-clean.xlsx", root / "h-locked.xlsx", "s3cret")
    (root / "notes.txt").write_text("not a workbook")
    (root / "~$a-clean.xlsx").write_bytes(b"lock file")
    return root
