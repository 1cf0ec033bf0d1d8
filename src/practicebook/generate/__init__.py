"""An invented practice of any size, for examples, tests and benchmarks.

Everything here is synthetic: client and clinician names are drawn from short lists of
made-up words, and the same seed always gives the same workbook. ``problems=True``
plants a handful of data problems and says where each one is, so tests can check that
``practicebook check`` finds every one of them at its cell.

``practice`` invents the practice itself; further modules add the data other features
need, each from its own random stream (``DETAILS``), so none changes another's figures.
"""

from __future__ import annotations

from practicebook.generate.bank import add_bank_details
from practicebook.generate.documents import add_document_details
from practicebook.generate.practice import (
    DETAILS,
    GeneratedPractice,
    PlantedProblem,
    generate,
    write_example,
)

__all__ = ["DETAILS", "GeneratedPractice", "PlantedProblem", "generate", "write_example"]

DETAILS.append(("documents", add_document_details))
DETAILS.append(("bank", add_bank_details))
