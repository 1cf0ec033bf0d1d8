"""The launcher of the dashboard's web page: what ``practicebook app`` needs to start Voilà.

Only the standard library and ``practicebook.errors`` are imported here, so the command
line reaches the dashboard's server without loading pandas, the widgets or the tabs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from practicebook.errors import MissingDependency

__all__ = [
    "APP_NOTEBOOK",
    "BOOK_ENV",
    "CULL_IDLE_SECONDS",
    "CULL_INTERVAL_SECONDS",
    "MAX_KERNELS",
    "REFILL_DELAY_SECONDS",
    "voila_command",
]

APP = Path(__file__).resolve().parent / "app"
#: The dashboard notebook the ``practicebook app`` command serves.
APP_NOTEBOOK = APP / "dashboard.ipynb"
#: Environment variable that passes the workbook path to the app's kernels.
BOOK_ENV = "PRACTICEBOOK_BOOK"
#: Most kernels at once: the open pages plus the one kept ready for the next page.
MAX_KERNELS = 6
#: A kernel whose page is closed is shut down after this many idle seconds (checked
#: every ``CULL_INTERVAL_SECONDS``): at most 45 s after the page closed.
CULL_IDLE_SECONDS = 30
CULL_INTERVAL_SECONDS = 15
#: Seconds after a page takes the pre-heated kernel before the next one is started, so
#: that starting it does not slow the page being opened.
REFILL_DELAY_SECONDS = 4


def voila_command(
    book: str | Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the dashboard for ``book`` with Voilà.

    Voilà listens on 127.0.0.1 only, never moves to another port, and hides code. Each
    browser tab gets its own kernel; their writes meet in the writer's lock. One kernel
    is kept pre-heated (the dashboard already built) so that a page opens at once; a
    kernel whose page has closed ends within a minute (``CULL_IDLE_SECONDS``); at most
    ``MAX_KERNELS`` run at once (``kernels.BoundedKernelManager``). The page is served
    with the ``practicebook`` template: every asset comes from this server.

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
        "--template=practicebook",
        "--VoilaConfiguration.preheat_kernel=True",
        "--VoilaConfiguration.default_pool_size=1",
        # the next kernel is made ready once the page just opened has drawn
        f"--VoilaKernelManager.fill_delay={REFILL_DELAY_SECONDS}",
        "--VoilaConfiguration.multi_kernel_manager_class="
        "practicebook.frontends.jupyter.kernels.BoundedKernelManager",
        f"--BoundedKernelManager.max_kernels={MAX_KERNELS}",
        f"--BoundedKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
        f"--BoundedKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
        "--BoundedKernelManager.cull_connected=False",
    ]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    env = dict(os.environ if environ is None else environ)
    env[BOOK_ENV] = str(path)
    # the page template (``app/share/voila/templates/practicebook``) is found on this path
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(APP / "share"), env.get("JUPYTER_PATH", "")) if p
    )
    return argv, env
