"""Running the tasks: worker processes on this machine, or a Dask cluster.

Every workbook runs in a worker process (``sandbox``), so a crash while reading one (a
native abort, a segfault, the out-of-memory killer) becomes that workbook's
``unreadable`` row and the run goes on. Locally, ``jobs`` threads each drive one worker
and take the next workbook when theirs is done. On Dask each task drives a worker process
of its own beside the Dask worker, so a crash never takes a Dask worker (and the tasks
queued on it) down.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from practicebook.batching import task as task_module
from practicebook.batching.sandbox import Sandbox
from practicebook.batching.task import Summary, unreadable
from practicebook.errors import MissingDependency, PracticebookError

__all__ = ["Runner", "runner", "summarise_isolated"]

#: Runs the task over the paths; yields (position in paths, summary) as each finishes.
Runner = Callable[[list[str], dict[str, Any]], Iterator[tuple[int, Summary]]]
#: What a worker imports before its first workbook, so the first one is not slower.
PRELOAD = ("practicebook.batching.task",)


def runner(jobs: int, scheduler: str | None, timeout: float | None) -> Runner:
    """The runner for ``jobs`` local workers, or for a Dask ``scheduler``.

    Raises:
        PracticebookError: a scheduler that is neither ``dask`` nor ``tcp://…``.
    """
    if scheduler is None:
        return lambda paths, options: _local(paths, options, jobs, timeout)
    if scheduler != "dask" and not scheduler.startswith("tcp://"):
        raise PracticebookError(
            f"unknown scheduler {scheduler!r}: use 'dask' or a tcp://HOST:PORT address"
        )
    return lambda paths, options: _dask(scheduler, paths, options, jobs, timeout)


def _task() -> Callable[..., Summary]:
    """The task, looked up when a run starts (a test may put a crashing one in place)."""
    return task_module.summarise_workbook


def _in_sandbox(
    sandbox: Sandbox, task: Callable[..., Summary], path: str, options: dict[str, Any]
) -> Summary:
    outcome = sandbox.run(task, path, **options)
    if outcome.failure is not None:
        return unreadable(path, outcome.failure)
    summary: Summary = outcome.value
    return summary


def _local(
    paths: list[str], options: dict[str, Any], jobs: int, timeout: float | None
) -> Iterator[tuple[int, Summary]]:
    task = _task()
    sandboxes: list[Sandbox] = []
    mine = threading.local()
    lock = threading.Lock()

    def one(i: int) -> tuple[int, Summary]:
        sandbox = getattr(mine, "sandbox", None)
        if sandbox is None:
            sandbox = mine.sandbox = Sandbox(timeout, PRELOAD)
            with lock:
                sandboxes.append(sandbox)
        return i, _in_sandbox(sandbox, task, paths[i], options)

    pool = ThreadPoolExecutor(jobs, thread_name_prefix="practicebook-batch")
    try:
        futures = [pool.submit(one, i) for i in range(len(paths))]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        with lock:
            for sandbox in sandboxes:
                sandbox.close()
        pool.shutdown(wait=True)


# --- Dask -------------------------------------------------------------------------------

_dask_local = threading.local()
_dask_sandboxes: list[Sandbox] = []


def summarise_isolated(
    task: Callable[..., Summary], path: str, options: dict[str, Any], timeout: float | None
) -> Summary:
    """The Dask task: ``task`` for one workbook in this Dask worker thread's own worker
    process (kept for the next task, stopped when the Dask worker exits)."""
    sandbox = getattr(_dask_local, "sandbox", None)
    if sandbox is None or sandbox.timeout != timeout:
        sandbox = _dask_local.sandbox = Sandbox(timeout, PRELOAD)
        _dask_sandboxes.append(sandbox)
    return _in_sandbox(sandbox, task, path, options)


@atexit.register
def _stop_dask_sandboxes() -> None:
    for sandbox in _dask_sandboxes:
        sandbox.close()


def _dask(
    address: str, paths: list[str], options: dict[str, Any], jobs: int, timeout: float | None
) -> Iterator[tuple[int, Summary]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependency("dask.distributed", "batch") from None
    cluster = None
    if address == "dask":
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=max(jobs, 1), threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
    task = _task()
    try:
        with Client(cluster or address) as client:  # type: ignore[no-untyped-call]
            futures = [
                client.submit(summarise_isolated, task, path, options, timeout, pure=False)
                for path in paths
            ]
            index = {f.key: i for i, f in enumerate(futures)}
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                i = index[future.key]
                try:
                    yield i, future.result()
                except Exception as exc:  # the Dask worker itself was lost
                    yield i, unreadable(paths[i], f"the Dask worker failed ({type(exc).__name__})")
    finally:
        if cluster is not None:
            cluster.close()
