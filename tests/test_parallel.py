"""Work spread over processes gives the result of doing it in order, and stays here when unsafe."""

from __future__ import annotations

import os
import threading

import pytest

from pmkb.parallel import PARALLEL_FROM, Worker, chunked_map
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
    return os.getpid(), n * n


def _from_a_worker(items: list[int]) -> tuple[int, list[tuple[int, int] | None]]:
    worker = Worker(_square_with_pid, items)
    got = []
    for index in range(len(items)):
        if index % 7 == 0:
            worker.take_sent()
        got.append(worker.result(index))
    worker.close()
    return os.getpid(), got


def test_a_worker_sends_its_results_in_order_from_another_process() -> None:
    here, got = in_fresh_process(_from_a_worker, list(range(500)))
    assert [result and result[1] for result in got] == [n * n for n in range(500)]
    assert len({result and result[0] for result in got} - {here}) == 1


def _fails_at(n: int) -> int:
    if n == 50:
        raise MemoryError  # as a worker running out of memory half way would
    return n


def _from_a_failing_worker(items: list[int]) -> list[int | None]:
    worker = Worker(_fails_at, items)
    got = [worker.result(index) for index in range(len(items))]
    worker.close()
    return got


def test_what_a_failed_worker_never_sent_is_none() -> None:
    assert in_fresh_process(_from_a_failing_worker, list(range(80))) == [*range(50)] + [None] * 30


def _large(n: int) -> bytes:
    return bytes(100_000)


def _closed_unread(items: list[int]) -> bool:
    worker = Worker(_large, items)
    worker.result(0)
    process = worker.process
    assert process is not None
    worker.close()  # the worker is blocked: the pipe is full and nobody reads it
    return process.is_alive()


def test_closing_a_worker_that_waits_to_send_stops_it() -> None:
    assert in_fresh_process(_closed_unread, list(range(1000))) is False


def _finished_first(items: list[int]) -> tuple[bool, list[int | None]]:
    worker = Worker(_fails_at, items)
    process = worker.process
    assert process is not None
    worker.finish()  # every result in, the process gone
    return process.is_alive(), [worker.result(index) for index in range(len(items))]


def test_a_finished_worker_has_ended_and_its_results_are_all_here() -> None:
    assert in_fresh_process(_finished_first, list(range(40))) == (False, list(range(40)))
