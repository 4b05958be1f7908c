"""Independent per-item work spread over processes, with the same result as doing it in order."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Generic, TypeVar

# Imported where processes are started: `pmkb check FILE` starts none, and the import was a
# fiftieth of its time.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

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
# Every worker's process name (`multiprocessing`'s `name`), which a new interpreter is given before
# it runs anything: see `started_again`.
WORKER_NAME = "pmkb worker"


def runs_in_parallel(count: int, jobs: int, least: int | None = None) -> bool:
    """Whether `chunked_map` over `count` items would start worker processes (not for fewer than
    `least`, by default PARALLEL_FROM)."""
    least = PARALLEL_FROM if least is None else least
    # Forking a process that runs other threads (a theme's or plugin's pool, a file watcher) can
    # leave locks held forever in the child, so then everything runs here.
    return jobs > 1 and count >= least and threading.active_count() == 1 and may_start_processes()


def started_again() -> bool:
    """Whether this is a worker whose new interpreter is running, again, the script that started
    the build: a spawned process runs the main script's top level before its own work (as
    `multiprocessing` does where there is no fork, and for conversion workers everywhere), and a
    script that builds there, not under `if __name__ == "__main__":`, would build the site once
    more. A worker never builds otherwise."""
    import multiprocessing

    return multiprocessing.current_process().name == WORKER_NAME


def may_start_processes() -> bool:
    """Whether this process may start others: `multiprocessing` forbids a daemonic process (a
    build run in a `multiprocessing.Pool`'s worker, say) to have children, and raises."""
    import multiprocessing

    return not multiprocessing.current_process().daemon


def chunked_map(
    function: Callable[[list[T]], list[R]], items: list[T], jobs: int, *, least: int | None = None
) -> list[R]:
    """`function` over contiguous chunks of `items`, one process per chunk, joined back in order.

    This process takes the first chunk itself instead of waiting, and so unpickles less. With
    one job, few items, or other threads running, everything runs here. A worker that fails,
    cannot start, or does not answer in time is given up on (and stopped), and its chunk is done
    here; workers end with this process, whatever way it ends.

    Each worker is a process of its own with a pipe back, as the conversion workers are: no
    thread here competes with this process's own chunk, and a worker that ends early (one that
    found itself running a script again, see `started_again`) is not started anew, as a
    `multiprocessing.Pool` would, for as long as the patience lasts.
    """
    if not runs_in_parallel(len(items), jobs, least):
        return function(items)
    size = -(-len(items) // jobs)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for chunk in chunks[1:]:
            try:
                workers.append(_started(function, chunk))
            except OSError:  # a process limit: this chunk and the rest are done here
                break
        started = time.monotonic()
        results = function(chunks[0])
        patience = max(PATIENCE_SECONDS, PATIENCE_FACTOR * (time.monotonic() - started))
        deadline = time.monotonic() + patience
        for at, chunk in enumerate(chunks[1:]):
            answer = _answer_of(workers[at][1], deadline) if at < len(workers) else None
            # Failed, died, hung or never started: the chunk is done here.
            results.extend(function(chunk) if answer is None else answer)
        return results
    finally:
        for process, answers in workers:
            stop(process)  # any worker still busy, so that none outlives this call
            answers.close()


class Beside(Generic[R]):
    """`function()` worked out in a forked process while this one goes on (where forking is
    possible); else here, when `result` first asks for it.

    `result` waits for the worker at most PATIENCE_SECONDS, and does the work here if it failed,
    died or did not answer; `close` stops a worker whose answer is no longer wanted (a build that
    failed), then calls `stopped` with its process id: what a worker stopped part way left
    half done (a file half written) goes. No worker outlives this process."""

    def __init__(self, function: Callable[[], R], *, stopped: Callable[[int], None]) -> None:
        self.function, self.stopped = function, stopped
        self.worker: tuple[BaseProcess, Connection] | None = None
        if FORK:
            with suppress(OSError):  # a process limit: the work is done here
                self.worker = _started(_called, [function])

    def result(self) -> R:
        if self.worker is not None:
            answer = _answer_of(self.worker[1], time.monotonic() + PATIENCE_SECONDS)
            self.close()
            if answer is not None:
                found: R = answer[0]
                return found
        return self.function()

    def close(self) -> None:
        if self.worker is not None:
            process, answers = self.worker
            self.worker = None
            stop(process)
            answers.close()
            if process.pid is not None:
                self.stopped(process.pid)


def _called(functions: list[Callable[[], R]]) -> list[R]:
    return [function() for function in functions]


def stop(process: BaseProcess) -> None:
    """End a worker now, and wait for it: asked to end, then, a second later, killed (a signal
    handler of the build's own, inherited in a fork, may keep it from ending when asked)."""
    process.terminate()
    process.join(1)
    if process.is_alive():
        process.kill()
        process.join()


def _started(
    function: Callable[[list[T]], list[R]], chunk: list[T]
) -> tuple[BaseProcess, Connection]:
    """A worker doing `function` over `chunk`, and the end of the pipe its answer comes by."""
    import multiprocessing

    answers, answer = multiprocessing.Pipe(duplex=False)
    arguments = (function, chunk, answer)
    process: BaseProcess
    if sys.platform != "win32" and FORK:  # written out so that type checkers see each context
        process = multiprocessing.get_context("fork").Process(
            target=_answer, args=arguments, name=WORKER_NAME, daemon=True
        )
    else:
        process = multiprocessing.get_context("spawn").Process(
            target=_answer, args=arguments, name=WORKER_NAME, daemon=True
        )
    try:
        process.start()
    except BaseException:
        answers.close()
        raise
    finally:
        # The worker's end: once the worker has ended, reading here ends too (and a worker
        # forked later does not hold it open).
        answer.close()
    return process, answers


def _answer(function: Callable[[list[T]], list[R]], chunk: list[T], answer: Connection) -> None:
    """In a worker: `function` over `chunk`, sent back; a failure is sent as None."""
    as_worker()
    try:
        result: list[R] | None = function(chunk)
        answer.send(result)
    except Exception:  # it failed, or its result cannot be pickled: the build does the chunk
        answer.send(None)


def _answer_of(answers: Connection, deadline: float) -> list[Any] | None:
    """A worker's answer, once it comes; None if it failed, died (out of memory, say) or has not
    answered by `deadline`."""
    try:
        if answers.poll(max(0.0, deadline - time.monotonic())):
            found: list[Any] | None = answers.recv()
            return found
    except Exception:  # its end of the pipe closed, or its answer does not unpickle here
        pass
    return None


def as_worker() -> None:
    """In a worker, first: exit as soon as the process that started it has ended, however it
    ended; and leave Ctrl-C to that process, which stops its workers (the terminal sends it to
    them all, and each printed a traceback of where it was)."""
    with suppress(ValueError):  # not the worker's main thread: nothing to leave
        signal.signal(signal.SIGINT, signal.SIG_IGN)
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
