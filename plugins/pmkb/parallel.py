"""Independent per-item work spread over processes, with the same result as doing it in order."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

# Imported where processes are started: `pmkb check FILE` starts none, and the import was a
# fiftieth of its time.
if TYPE_CHECKING:
    import multiprocessing.context
    from multiprocessing.pool import AsyncResult

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 400  # items; below this, starting worker processes costs more than it saves
# Forked workers inherit everything already in memory; elsewhere (spawn) only picklable work can go.
# Fork only on Linux: macOS's system libraries are not safe to use in a forked child, and Windows
# has no fork. Tests set this to False to run the spawn path (macOS's and Windows') on Linux.
FORK = sys.platform == "linux"
# A worker is waited for at most this long, or this many times as long as this process took
# for its own share, whichever is longer; then its share is done here.
PATIENCE_SECONDS = 30.0
PATIENCE_FACTOR = 10.0


def context() -> multiprocessing.context.BaseContext:
    """How worker processes are started here: forked on Linux, spawned elsewhere."""
    import multiprocessing

    return multiprocessing.get_context("fork" if FORK else "spawn")


def runs_in_parallel(count: int, jobs: int) -> bool:
    """Whether `chunked_map` over `count` items would start worker processes."""
    # Forking a process that runs other threads (a theme's or plugin's pool, a file watcher) can
    # leave locks held forever in the child, so then everything runs here.
    return (
        jobs > 1
        and count >= PARALLEL_FROM
        and threading.active_count() == 1
        and may_start_processes()
    )


def may_start_processes() -> bool:
    """Whether this process may start others: `multiprocessing` forbids a daemonic process (a
    build run in a `multiprocessing.Pool`'s worker, say) to have children, and raises."""
    import multiprocessing

    return not multiprocessing.current_process().daemon


def chunked_map(function: Callable[[list[T]], list[R]], items: list[T], jobs: int) -> list[R]:
    """`function` over contiguous chunks of `items`, one process per chunk, joined back in order.

    This process takes the first chunk itself instead of waiting, and so unpickles less. With
    one job, few items, or other threads running, everything runs here. A worker that fails,
    cannot start, or does not answer in time is given up on (and stopped), and its chunk is done
    here; workers end with this process, whatever way it ends.
    """
    if not runs_in_parallel(len(items), jobs):
        return function(items)
    size = -(-len(items) // jobs)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    try:
        pool = context().Pool(len(chunks) - 1, initializer=end_with_parent)
    except OSError:  # a process limit
        return function(items)
    try:
        rest: list[AsyncResult[list[R]]] = [
            pool.apply_async(function, (chunk,)) for chunk in chunks[1:]
        ]
        started = time.monotonic()
        results = function(chunks[0])
        patience = max(PATIENCE_SECONDS, PATIENCE_FACTOR * (time.monotonic() - started))
        deadline = time.monotonic() + patience
        for chunk, pending in zip(chunks[1:], rest, strict=True):
            results.extend(_result_or_here(pending, function, chunk, deadline))
        return results
    finally:
        pool.terminate()  # stops any worker still busy, so that none outlives this call


def _result_or_here(
    pending: AsyncResult[list[R]],
    function: Callable[[list[T]], list[R]],
    chunk: list[T],
    deadline: float,
) -> list[R]:
    try:
        return pending.get(timeout=max(0.0, deadline - time.monotonic()))
    except Exception:  # it failed, died (out of memory) or hung: the chunk is done here
        return function(chunk)


def end_with_parent() -> None:
    """In a worker: exit as soon as the process that started it has ended, however it ended."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of a pipe closes: it has exited or was killed
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a burst of allocation.

    Reading a knowledge base or rendering its pages allocates hundreds of thousands of small
    objects and no reference cycles, so the collector's repeated passes over the growing heap are
    pure cost (about a tenth of the time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
