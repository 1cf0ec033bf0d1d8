"""The launcher of the dashboard's web page: what ``practicebook app`` needs to start Voilà.

Only the standard library and ``practicebook.errors`` are imported here, so the command
line reaches the dashboard's server without loading pandas, the widgets or the tabs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from practicebook.errors import MissingDependency

__all__ = ["APP_NOTEBOOK", "BOOK_ENV", "voila_command"]

#: The dashboard notebook the ``practicebook app`` command serves.
APP_NOTEBOOK = Path(__file__).resolve().parent / "app" / "dashboard.ipynb"
#: Environment variable that passes the workbook path to the app's kernels.
BOOK_ENV = "PRACTICEBOOK_BOOK"


def voila_command(
    book: str | Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the dashboard for ``book`` with Voilà.

    Voilà listens on 127.0.0.1 only, never moves to another port, and hides code. Each
    browser tab gets its own kernel; their writes meet in the writer's lock.

    Raises:
        MissingDependency: Voilà is not installed (``pip install 'practicebook[jupyter]'``).
        FileNotFoundError: ``book`` does not exist.
    """
    import importlib.util
    import os
    import sys

    if importlib.util.find_spec("voila") is None:
        raise MissingDependency("voila", "jupyter")
    path = Path(book).resolve(strict=True)
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(APP_NOTEBOOK),
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=300",
    ]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    env = dict(os.environ if environ is None else environ)
    env[BOOK_ENV] = str(path)
    return argv, env
