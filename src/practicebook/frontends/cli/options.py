"""Options more than one ``practicebook`` command takes, declared once."""

from __future__ import annotations

from collections.abc import Callable

import click
from click.decorators import FC

__all__ = ["format_option", "password_option"]

#: ``--format``: text for people, JSON for programs.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people (text) or programs (json).",
)


def password_option(workbooks: str = "a protected workbook") -> Callable[[FC], FC]:
    """``--password`` (or ``PRACTICEBOOK_PASSWORD``): the password of ``workbooks``."""
    return click.option(
        "--password",
        envvar="PRACTICEBOOK_PASSWORD",
        default=None,
        help=f"Password of {workbooks} (or set PRACTICEBOOK_PASSWORD).",
    )
