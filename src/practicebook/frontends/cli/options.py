"""Options and arguments more than one ``practicebook`` command takes, declared once.

Light on purpose: ``practicebook --help`` imports this module and click, nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.decorators import FC

__all__ = ["DAY", "as_of_option", "book_argument", "format_option", "password_option"]

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


class Day(click.ParamType):  # type: ignore[type-arg]  # generic only in recent click
    """A day written ``YYYY-MM-DD``; a bad one gets the API's own message."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        from practicebook.core.reconcile import as_of_day

        try:
            return as_of_day(str(value), "UTC")
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DAY = Day()


def as_of_option(what: str = "Reconcile") -> Callable[[FC], FC]:
    """``--as-of YYYY-MM-DD``: the reconciliation day (default: today where the practice is)."""
    return click.option(
        "--as-of",
        "as_of",
        type=DAY,
        default=None,
        help=f"{what} as of this day (default: today in the practice's time zone).",
    )


#: ``BOOK``: the workbook a command reads.
book_argument = click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
