"""``practicebook excel …``: getting Excel's buttons to work on this machine.

``practicebook excel setup`` checks this Python, records it for xlwings' RunPython,
installs xlwings' add-in only with ``--functions`` (Windows), and prints what Excel
itself still asks. The Excel door is reached only through its set-up module
(``practicebook.frontends.excel.setup``), which loads no xlwings until it runs.
"""

from __future__ import annotations

import sys

import click

from practicebook.frontends.cli.reading import EXIT_CLEAN, EXIT_UNUSABLE

__all__ = ["excel_command"]


@click.group("excel")
def excel_command() -> None:
    """The Excel workbook with buttons (BOOK.xlsm): set this machine up for it."""


@excel_command.command("setup")
@click.option(
    "--functions", is_flag=True, help="Also install xlwings' add-in for =PB_BALANCE(…) (Windows)."
)
@click.option("--check", "check_only", is_flag=True, help="Report only; change nothing.")
def setup_command(functions: bool, check_only: bool) -> None:
    """Make the buttons of a practicebook .xlsm run this Python.

    Exit code 0 when every step is fine, 2 when one needs you (the line says how).
    """
    from practicebook.frontends.excel.setup import EXCEL_STEPS, setup

    steps = setup(functions=functions, check_only=check_only)
    for step in steps:
        click.echo(f"{'ok ' if step.ok else 'NO '} {step.text}")
    if all(step.ok for step in steps):
        click.echo("\nWhat Excel still asks, once per workbook or machine:")
        for n, text in enumerate(EXCEL_STEPS, start=1):
            click.echo(f"  {n}. {text}")
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_UNUSABLE)
