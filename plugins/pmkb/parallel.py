"""Independent per-item work spread over processes, with the same result as doing it in order."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, ForkProcess
from typing import Generic, TypeVar

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


class Worker(Generic[T, R]):
    """`function` over `items` in a forked process started now, its results taken in later.

    For work whose inputs cannot be pickled (the process inherits them) and whose results are
    large: the worker sends each result as soon as it has it and keeps nothing, and this process
    takes results in whenever it likes (`take_sent`, which never waits) or as it needs them
    (`result`). A result the worker never sent (it could not start, was killed, ran out of
    memory, or `function` failed) is None: the caller does that item itself.
    """

    def __init__(self, function: Callable[[T], R], items: list[T]) -> None:
        self.items = items
        self.results: list[R | None] = []
        self.receiver: Connection | None = None
        self.process: ForkProcess | None = None
        if not FORK:
            return
        receiver, sender = ForkContext().Pipe(duplex=False)
        _widen(sender)
        process = ForkProcess(target=_send_each, args=(function, items, sender), daemon=True)
        _heap_shared(True)
        try:
            process.start()
        except OSError:  # a process limit
            receiver.close()
            _heap_shared(False)
        else:
            self.receiver, self.process = receiver, process
        sender.close()

    def take_sent(self) -> None:
        """Take in what the worker has sent so far, without waiting."""
        try:
            while self.receiver is not None and self.receiver.poll():
                self.results.append(self.receiver.recv())
        except EOFError:  # it stopped early
            self.close()

    def result(self, index: int) -> R | None:
        """The result for `items[index]`, once: waits for the worker to send it."""
        self._receive(index + 1)
        if index >= len(self.results):
            return None
        result, self.results[index] = self.results[index], None
        return result

    def finish(self) -> None:
        """Wait until every result is in (or the worker stopped), then let the process go."""
        self._receive(len(self.items))
        self.close()

    def _receive(self, count: int) -> None:
        """Wait until `count` results are in, or the worker stopped early."""
        try:
            while self.receiver is not None and len(self.results) < count:
                self.results.append(self.receiver.recv())
        except EOFError:
            self.close()

    def close(self) -> None:
        """Stop taking results in; a worker not yet done is stopped."""
        if self.receiver is not None:
            self.receiver.close()
            self.receiver = None
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()  # it may be waiting to send what nobody reads now
            self.process.join()
            self.process = None
            _heap_shared(False)


_SHARING = [0]  # workers alive that share this process's memory pages


def _heap_shared(more: bool) -> None:
    """Keep objects out of garbage collection while a forked worker shares their memory.

    A collection writes to every object it visits, and each write to a page shared with a
    forked worker copies that page (Python's advice for forking servers: `gc.freeze`).
    """
    if more and _SHARING[0] == 0:
        gc.freeze()
        _release_free_pages()
    _SHARING[0] += 1 if more else -1
    if not more and _SHARING[0] == 0:
        gc.unfreeze()


def _release_free_pages() -> None:
    """Give the heap's free pages back to the system before a fork.

    Otherwise the worker shares them, and the first allocation in one on either side copies the
    page: at 5,000 postmortems, about 40 MB more at the peak (measured).
    """
    with suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).malloc_trim(0)


def _send_each(function: Callable[[T], R], items: list[T], sender: Connection) -> None:
    try:
        for item in items:
            sender.send(function(item))
        sender.close()
    except BaseException:
        os._exit(1)  # quietly: the parent does what is left and reports what fails


def _widen(pipe: Connection) -> None:
    """Let a pipe hold about a megabyte, so a worker rarely waits for this process to read."""
    # Where it cannot be widened, the default (64 KiB) works, with more waiting.
    with suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


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
