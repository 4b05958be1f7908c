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


class Shared(Generic[T, R]):
    """`function` over `items`, shared with forked workers that work up from the last item.

    This process does the items in its own order, asking `take(index)` first: None means the
    item is this process's to do (nobody else will), anything else is the result a worker sent.
    Each side claims an item before doing it, under one lock, so no item is done twice and
    neither side waits for the other: they meet wherever they meet, however fast either runs.
    For work whose inputs cannot be pickled (workers inherit them) and whose results are large:
    a worker sends each result as soon as it has it and keeps nothing. An item a worker claimed
    but never sent (it was killed, ran out of memory, or `function` failed) is None too.
    """

    def __init__(self, function: Callable[[T], R], items: list[T], workers: int) -> None:
        self.items = items
        context = ForkContext()
        self._lock = context.Lock()
        # Per item: 0 unclaimed, -1 this process's, k the k-th worker's.
        self._owner = context.RawArray(ctypes.c_short, len(items))
        self._front = context.RawValue(ctypes.c_long, 0)  # below it, this process claims
        self._results: list[dict[int, R]] = []
        self._receivers: list[Connection | None] = []
        self._processes: list[ForkProcess | None] = []
        if not FORK:
            return
        for number in range(1, workers + 1):
            receiver, sender = context.Pipe(duplex=False)
            _widen(sender)
            process = ForkProcess(
                target=_work_up, args=(function, self, number, sender), daemon=True
            )
            _heap_shared(True)
            try:
                process.start()
            except OSError:  # a process limit
                receiver.close()
                _heap_shared(False)
                break
            finally:
                sender.close()
            self._results.append({})
            self._receivers.append(receiver)
            self._processes.append(process)

    def take(self, index: int) -> R | None:
        """A worker's result for `items[index]`, waiting for it if need be; None: do it here."""
        if not self._lock.acquire(timeout=_LOCK_WAIT):
            return None  # a worker died holding it: that item may be done twice, harmlessly
        try:
            owner = self._owner[index]
            if owner == 0:
                self._owner[index] = -1
                self._front.value = max(self._front.value, index + 1)
        finally:
            self._lock.release()
        if owner <= 0:
            return None
        self._receive(owner - 1, until=index)
        return self._results[owner - 1].pop(index, None)

    def take_sent(self) -> None:
        """Take in what the workers have sent so far, without waiting."""
        for number, receiver in enumerate(self._receivers):
            try:
                while receiver is not None and receiver.poll():
                    index, result = receiver.recv()
                    self._results[number][index] = result
            except EOFError:  # it stopped
                self._stop(number)

    def finish(self) -> None:
        """Let workers claim nothing more; wait for what they are doing, then let them go.

        What they had not claimed is left for this process (`take` answers None for it).
        """
        if self._lock.acquire(timeout=_LOCK_WAIT):
            self._front.value = len(self.items)
            self._lock.release()
        for number in range(len(self._receivers)):
            self._receive(number, until=-1)

    def _receive(self, number: int, until: int) -> None:
        """Take in the worker's results until the one for `until` is in, or the worker stopped."""
        results = self._results[number]
        try:
            while (receiver := self._receivers[number]) is not None and until not in results:
                index, result = receiver.recv()
                results[index] = result
        except EOFError:
            self._stop(number)

    def _claim_from_the_back(self, number: int, below: int) -> int:
        """For worker `number`: the highest unclaimed item below `below` that this process has not
        passed, claimed; or -1."""
        with self._lock:
            owner, front = self._owner, self._front.value
            index = below - 1
            while index >= front and owner[index] != 0:
                index -= 1
            if index < front:
                return -1
            owner[index] = number
            return index

    def running(self) -> int:
        """How many workers are still running (one that has sent its last result may be ending)."""
        return sum(1 for p in self._processes if p is not None and p.is_alive())

    def close(self) -> None:
        """Stop taking results in; workers not yet done are stopped."""
        for number in range(len(self._receivers)):
            self._stop(number)

    def _stop(self, number: int) -> None:
        receiver, self._receivers[number] = self._receivers[number], None
        if receiver is not None:
            receiver.close()
        process, self._processes[number] = self._processes[number], None
        if process is not None:
            if process.is_alive():
                process.terminate()  # it may be waiting to send what nobody reads now
            process.join()
            _heap_shared(False)


_LOCK_WAIT = 30.0  # seconds; the lock is held for a few instructions at a time


def _work_up(
    function: Callable[[T], R], shared: Shared[T, R], number: int, sender: Connection
) -> None:
    try:
        index = len(shared.items)
        while (index := shared._claim_from_the_back(number, index)) >= 0:
            sender.send((index, function(shared.items[index])))
        sender.close()
    except BaseException:
        os._exit(1)  # quietly: the parent does what is left and reports what fails


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
