"""Work spread over processes gives the result of doing it in order, and stays here when unsafe."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pmkb.parallel import PARALLEL_FROM, Shared, chunked_map
from sites import in_fresh_process


def _pids_and_squares(chunk: list[int]) -> list[tuple[int, int]]:
    return [(os.getpid(), n * n) for n in chunk]


def _two_jobs(items: list[int]) -> tuple[int, list[tuple[int, int]]]:
    return os.getpid(), chunked_map(_pids_and_squares, items, jobs=2)


def test_chunks_come_back_in_order_from_two_processes() -> None:
    items = list(range(PARALLEL_FROM * 2 + 3))
    here, result = in_fresh_process(_two_jobs, items)
    assert [square for _, square in result] == [n * n for n in items]
    pids = [pid for pid, _ in result]
    # The calling process took the first chunk, a worker the second.
    assert pids[0] == here and pids[-1] != here and len(set(pids)) == 2


def test_few_items_or_one_job_stay_in_this_process() -> None:
    assert {pid for pid, _ in chunked_map(_pids_and_squares, list(range(10)), jobs=4)} == {
        os.getpid()
    }
    items = list(range(PARALLEL_FROM * 2))
    assert {pid for pid, _ in chunked_map(_pids_and_squares, items, jobs=1)} == {os.getpid()}


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        items = list(range(PARALLEL_FROM * 2))
        result = chunked_map(_pids_and_squares, items, jobs=2)
    finally:
        stop.set()
        watcher.join()
    assert {pid for pid, _ in result} == {os.getpid()}
    assert [square for _, square in result] == [n * n for n in items]


def test_work_is_done_here_when_no_worker_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from pmkb import parallel

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("Resource temporarily unavailable")  # as fork() says at a process limit

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as if this process had no threads
    items = list(range(PARALLEL_FROM * 2))
    result = chunked_map(_pids_and_squares, items, jobs=2)
    assert {pid for pid, _ in result} == {os.getpid()}
    assert [square for _, square in result] == [n * n for n in items]


def _square_with_pid(n: int) -> tuple[int, int]:
    time.sleep(0.002)  # as long as converting a small page
    return os.getpid(), n * n


def _shared_with_a_worker(items: list[int]) -> tuple[int, list[tuple[int, int]], int]:
    """Items done in order here and from the back by a worker; each result, and who made it."""
    shared = Shared(_square_with_pid, items, workers=1)
    got = []
    for index, item in enumerate(items):
        if index % 7 == 0:
            shared.take_sent()
        result = shared.take(index)
        got.append(_square_with_pid(item) if result is None else result)
    for _ in range(100):  # the worker, finding nothing left to claim, ends by itself
        if not shared.running():
            break
        time.sleep(0.05)
    running = shared.running()
    shared.close()
    return os.getpid(), got, running


def test_a_worker_takes_the_items_from_the_back_until_it_meets_this_process() -> None:
    here, got, running = in_fresh_process(_shared_with_a_worker, list(range(400)))
    assert [square for _, square in got] == [n * n for n in range(400)]
    makers = [pid for pid, _ in got]
    # This process did a run from the front, the worker the rest: they met in the middle.
    meeting = makers.index(next(pid for pid in makers if pid != here))
    assert set(makers[:meeting]) == {here} and here not in makers[meeting:]
    assert 100 < meeting < 300
    assert running == 0  # nothing was left to claim, so the worker ended by itself


def _fails_at(n: int) -> int:
    if n == 70:
        raise MemoryError  # as a worker running out of memory half way would
    return n


def _slowly_with_a_failing_worker(items: list[int]) -> list[int | None]:
    shared = Shared(_fails_at, items, workers=1)
    got = []
    for index in range(len(items)):
        got.append(shared.take(index))
        time.sleep(0.01)  # this process's own work on the item: the worker runs ahead
    shared.close()
    return got


def test_an_item_a_failed_worker_never_sent_is_left_to_this_process() -> None:
    # The worker did 79 down to 71 and died on 70; this process does everything else itself.
    got = in_fresh_process(_slowly_with_a_failing_worker, list(range(80)))
    assert got == [None] * 71 + list(range(71, 80))


def _large(n: int) -> bytes:
    return bytes(100_000)


def _closed_unread(items: list[int]) -> tuple[int, int]:
    shared = Shared(_large, items, workers=1)
    shared.take(0)
    time.sleep(0.2)  # the worker fills the pipe, which nobody reads, and waits
    before = shared.running()
    shared.close()
    return before, shared.running()


def test_closing_a_worker_that_waits_to_send_stops_it() -> None:
    assert in_fresh_process(_closed_unread, list(range(1000))) == (1, 0)


def _finished_first(items: list[int]) -> tuple[int, list[tuple[int, int]], int]:
    shared = Shared(_square_with_pid, items, workers=1)
    time.sleep(0.1)
    shared.finish()  # the worker claims nothing more; what it did is all in
    running = shared.running()
    got = [shared.take(index) or (os.getpid(), n * n) for index, n in enumerate(items)]
    return running, got, os.getpid()


def test_a_finished_worker_has_ended_and_left_the_rest_to_this_process() -> None:
    running, got, here = in_fresh_process(_finished_first, list(range(400)))
    assert running == 0
    assert [square for _, square in got] == [n * n for n in range(400)]
    makers = [pid for pid, _ in got]
    assert makers[0] == here and makers[-1] != here  # the worker had begun from the back
