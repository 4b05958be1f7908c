"""Work spread over processes gives the result of doing it in order, and stays here when unsafe."""

from __future__ import annotations

import os
import threading

import pytest

from pmkb.parallel import PARALLEL_FROM, chunked_map
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
