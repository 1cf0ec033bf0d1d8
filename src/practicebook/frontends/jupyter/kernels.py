"""The dashboard server's kernel manager: at most ``max_kernels`` kernels at once.

Every open dashboard page holds one kernel (about 200 MB). When a page asks for a kernel
and the limit is reached, kernels whose page is gone (no connection, idle for a few
seconds) are shut down first, oldest activity first; if every kernel still has its page,
the new page is refused with a message instead of starting one more.

Voilà's own culling (``launch.voila_command`` sets it) ends a kernel within a minute of
its page closing; this limit covers the minute in between and many tabs at once. The
class is named on Voilà's command line; it runs inside the Voilà server process only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Float, Int

__all__ = ["BoundedKernelManager"]


class BoundedKernelManager(AsyncMappingKernelManager):
    """An ``AsyncMappingKernelManager`` that never runs more than ``max_kernels``."""

    max_kernels = Int(
        6, config=True, help="Most kernels (open pages plus the pre-heated one) at once."
    )
    orphan_after = Float(
        5.0,
        config=True,
        help="Seconds a kernel without a page must have been idle before a new page may "
        "take its place.",
    )

    def orphans(self, now: dt.datetime | None = None) -> list[str]:
        """Kernels no page is connected to and idle for ``orphan_after`` seconds, oldest
        activity first."""
        now = now or dt.datetime.now(dt.UTC)
        found = []
        for kernel_id in list(self.list_kernel_ids()):
            if self._kernel_connections.get(kernel_id, 0):
                continue
            last = getattr(self.get_kernel(kernel_id), "last_activity", None)
            if last is None or (now - last).total_seconds() < self.orphan_after:
                continue
            found.append((last, kernel_id))
        return [kernel_id for _last, kernel_id in sorted(found)]

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel once there is room for it.

        Raises:
            tornado.web.HTTPError: 503 when every allowed kernel has an open page.
        """
        for orphan in self.orphans():
            if len(self.list_kernel_ids()) < self.max_kernels:
                break
            self.log.info("Shutting down kernel %s: its page is gone and room is needed", orphan)
            await self.shutdown_kernel(orphan)  # type: ignore[no-untyped-call]
        if len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(
                503,
                reason=(
                    f"{self.max_kernels} dashboard pages are open already: close one, "
                    "wait a minute and reload"
                ),
            )
        kernel_id: str = await super().start_kernel(*args, **kwargs)
        return kernel_id
