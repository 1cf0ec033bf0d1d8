from __future__ import annotations

import re

from practicebook.schema.reference import END, START, workbook_reference
from tests.support.books import ROOT


def test_the_workbook_reference_is_current():
    text = (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8")
    section = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == workbook_reference().strip(), (
        "docs/workbook.md is stale: run python -m practicebook.schema.reference"
    )


def test_reference_lists_every_sheet_and_column():
    from practicebook.schema import WORKBOOK

    ref = workbook_reference()
    for sheet in WORKBOOK.sheets:
        assert f"#### {sheet.name}" in ref
        keys = [s.key for s in WORKBOOK.settings] if sheet.name == "Practice" else sheet.keys
        for key in keys:
            assert f"`{key}`" in ref


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines[:12] if line.startswith(("python3 -m venv", "scripts/"))]
    assert commands[0].startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert commands[1] == "scripts/test"
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test")


def test_the_command_reference_covers_every_command_and_option():
    import click

    from practicebook.frontends.cli import main

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")

    def covered(name: str, command: click.Command, level: str) -> None:
        heading = f"\n{level} {name}\n"
        assert heading in text, name
        section = text.split(heading, 1)[1].split(f"\n{level} ", 1)[0]
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and opt not in ("-h", "--help"):
                    assert re.search(rf"(?<![\w-]){opt}(?![\w-])", section), (name, opt)
        for sub, subcommand in getattr(command, "commands", {}).items():
            covered(f"{name} {sub}", subcommand, level + "#")

    for name, command in main.commands.items():
        covered(name, command, "##")
    assert "YYYY-MM-DD" in text and "| 2 |" in text
