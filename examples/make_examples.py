"""Regenerate the bundled example workbook and the blank template.

    python examples/make_examples.py

Both are written by practicebook itself: the template from the schema, the example
from the seeded generator (invented names and records only).
"""

from __future__ import annotations

from pathlib import Path

from practicebook import new_workbook
from practicebook.generate import write_example

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    new_workbook(ROOT / "templates" / "practicebook.xlsx")
    write_example(ROOT / "examples" / "example-practice.xlsx", sessions=600)
    print("wrote templates/practicebook.xlsx and examples/example-practice.xlsx")
