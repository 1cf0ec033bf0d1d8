"""The VBA project of the macro workbook, built from text sources.

``build_vba_project`` turns ``vba/PracticeBook.bas`` (beside this module) plus the
standalone RunPython module of the pinned xlwings wheel into a ``vbaProject.bin`` (with
pyopenvba, so it runs on Linux); the result ships as package data and
``practicebook.workbook.template.write_workbook`` embeds it. pyopenvba and xlwings are
imported lazily: only the build needs them (the ``build`` extra).

Rebuild the project and the checked-in template after editing the macros::

    python -m practicebook.frontends.excel.build templates/practicebook.xlsm
"""

from __future__ import annotations

from pathlib import Path

from practicebook.errors import MissingDependency

__all__ = [
    "MACRO_MODULE",
    "NO_CACHE",
    "VBA_PROJECT",
    "VBA_SOURCE",
    "build_vba_project",
    "main",
    "vba_project",
    "without_compile_cache",
]

#: The built project, shipped inside the package.
VBA_PROJECT = Path(__file__).with_name("vba") / "vbaProject.bin"
#: The folder holding the macro source, ``PracticeBook.bas``.
VBA_SOURCE = Path(__file__).with_name("vba")
MACRO_MODULE = "PracticeBook"
#: Modules of the xlwings wheel that make RunPython work without the add-in.
XLWINGS_MODULES = (("xlwings", "xlwings.bas"), ("Dictionary", "addin/Dictionary.cls"))


def vba_project() -> bytes:
    """The shipped ``vbaProject.bin``."""
    return VBA_PROJECT.read_bytes()


def build_vba_project(source_dir: Path, work_dir: Path) -> bytes:
    """Build a ``vbaProject.bin`` from ``source_dir/PracticeBook.bas`` and xlwings' modules.

    Args:
        source_dir: folder holding ``PracticeBook.bas``.
        work_dir: an empty scratch folder.

    Raises:
        MissingDependency: pyopenvba or xlwings is not installed.
    """
    try:
        from pyopenvba import ExcelFile, VBAModuleKind
    except ImportError:
        raise MissingDependency("pyopenvba", "excel") from None
    try:
        import xlwings
    except ImportError:
        raise MissingDependency("xlwings", "excel") from None
    wheel = Path(xlwings.__file__).parent
    path = work_dir / "project.xlsm"
    book = ExcelFile.create_new(path)
    try:
        project = book.vba_project()
        project.rename_module("Module1", MACRO_MODULE)
        book.set_module(MACRO_MODULE, _text(source_dir / f"{MACRO_MODULE}.bas"))
        for name, relative in XLWINGS_MODULES:
            kind = VBAModuleKind.other if relative.endswith(".cls") else VBAModuleKind.standard
            project.add_module(name, _text(wheel / relative), kind=kind)
        book.save()
    finally:
        book.close()
    with ExcelFile(path) as built:
        return without_compile_cache(bytes(built.vba_project_bytes()))


#: The ``_VBA_PROJECT`` stream of xlwings' own known-good ``.xlsm``: version 0xFFFF and no
#: performance cache ([MS-OVBA] 2.3.4.1), so Excel compiles the source on first open
#: instead of trusting a cache written by another tool.
NO_CACHE = bytes.fromhex("cc61ffff000100")


def without_compile_cache(project: bytes) -> bytes:
    """``project`` (a ``vbaProject.bin``) with its ``_VBA_PROJECT`` stream as ``NO_CACHE``."""
    from pyopenvba.cfb import CFB

    cfb = CFB.from_bytes(project)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", NO_CACHE)
    return bytes(cfb.to_bytes())


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def main(argv: list[str] | None = None) -> None:
    """Rebuild ``vbaProject.bin`` from the source and write the macro template to the path
    given (default ``templates/practicebook.xlsm`` in the current folder)."""
    import sys
    import tempfile

    from practicebook.workbook.template import write_workbook

    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "templates/practicebook.xlsm")
    with tempfile.TemporaryDirectory() as tmp:
        data = build_vba_project(VBA_SOURCE, Path(tmp))
    VBA_PROJECT.write_bytes(data)
    write_workbook(target, vba_project=data)
    print(f"wrote {VBA_PROJECT} and {target}")


if __name__ == "__main__":
    main()
