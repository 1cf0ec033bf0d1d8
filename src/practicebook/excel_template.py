"""The VBA project of the macro workbook, built from text sources.

``build_vba_project`` turns ``templates/vba/*.bas`` plus the standalone RunPython module
of the pinned xlwings wheel into a ``vbaProject.bin`` (with pyopenvba, so it runs on
Linux); the result ships as package data and ``template.write_workbook`` embeds it.
pyopenvba and xlwings are imported lazily: only the build needs them.
"""

from __future__ import annotations

from pathlib import Path

from practicebook.issues import MissingDependency

__all__ = ["MACRO_MODULE", "VBA_PROJECT", "build_vba_project", "vba_project"]

#: The built project, shipped inside the package.
VBA_PROJECT = Path(__file__).with_name("vba") / "vbaProject.bin"
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
            kind = (VBAModuleKind.other if relative.endswith(".cls")
                    else VBAModuleKind.standard)
            project.add_module(name, _text(wheel / relative), kind=kind)
        book.save()
    finally:
        book.close()
    with ExcelFile(path) as built:
        return built.vba_project_bytes()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")
