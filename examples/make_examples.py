"""Regenerate the bundled example workbooks and the blank template.

    python examples/make_examples.py

All are written by practicebook itself: the template from the schema, the examples
from the seeded generator (invented names and records only). The macro example
(``example-practice.xlsm``) holds the same practice with Home's buttons, forms and
formula balances, so the buttons can be pressed at once (its cached formula values are
those of the day it was written; Excel recalculates them on open).
"""

from __future__ import annotations

from pathlib import Path

from practicebook import new_workbook
from practicebook.api import SHIPPED_VBA_PROJECT
from practicebook.generate import generate, write_example
from practicebook.workbook.template import write_workbook

ROOT = Path(__file__).resolve().parents[1]


def write_macro_example(target: Path, sessions: int = 600) -> None:
    """The example practice in the macro workbook."""
    practice = generate(sessions)
    write_workbook(
        target,
        practice.rows,
        settings=practice.settings,
        vba_project=SHIPPED_VBA_PROJECT.read_bytes(),
    )


if __name__ == "__main__":
    new_workbook(ROOT / "templates" / "practicebook.xlsx")
    write_example(ROOT / "examples" / "example-practice.xlsx", sessions=600)
    write_macro_example(ROOT / "examples" / "example-practice.xlsm")
    print(
        "wrote templates/practicebook.xlsx, examples/example-practice.xlsx and "
        "examples/example-practice.xlsm"
    )
