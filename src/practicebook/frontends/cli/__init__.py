"""The ``practicebook`` command (click): a thin adapter over the API."""

from __future__ import annotations

from practicebook.frontends.cli.commands import main

__all__ = ["main"]
