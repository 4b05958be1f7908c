"""Independent per-item work spread over processes, with the same result as doing it in order."""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 400  # items; below this, starting worker processes costs more than it saves
# Forked workers inherit everything already in memory; elsewhere (spawn) only picklable work can go.
FORK = sys.platform == "linux"


def runs_in_parallel(count: int, jobs: int) -> bool:
    """Whether `chunked_map` over `count` items would start worker processes."""
    # Forking a process that runs other threads (a theme's or plugin's pool, a file watcher) can
    # leave locks held forever in the child, so then everything runs here.
    return jobs > 1 and count >= PARALLEL_FROM and threading.active_count() == 1


def chunked_map(function: Callable[[list[T]], list[R]], items: list[T], jobs: int) -> list[R]:
    """`function` over contiguous chunks of `items`, one process per chunk, joined back in order.

    This process takes the first chunk itself instead of waiting, and so unpickles less. With
    one job, few items, or other threads running, everything runs here.
    """
    if not runs_in_parallel(len(items), jobs):
        return function(items)
    size = -(-len(items) // jobs)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork" if FORK else "spawn")
    try:
        with ProcessPoolExecutor(max_workers=len(chunks) - 1, mp_context=context) as pool:
            rest = [pool.submit(function, chunk) for chunk in chunks[1:]]
            results = function(chunks[0])
            for future in rest:
                results.extend(future.result())
            return results
    except (OSError, BrokenProcessPool):
        # No worker could start (a process limit) or one was killed (out of memory): do it here.
        return function(items)


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
