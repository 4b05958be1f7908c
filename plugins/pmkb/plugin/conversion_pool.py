"""Incident pages converted in worker processes while the build's process builds the pages before
them with the theme (or converts them, in MkDocs' loop).

pmkb renders the incident pages itself and puts each one's HTML in as the theme builds it (see
`Conversions.placed`), or as MkDocs' loop converts it, so it can hand the pages ahead of that
one to other processes, in MkDocs' order. A worker converts with MkDocs' own `Page.render`,
under the configuration read from the same file, and declines every page unless what its
conversion depends on (extensions and their settings, the site's files and their URLs, the
plugins, the log levels) has the digest the build's own has: then the build converts those
pages itself. A worker also sanitizes the
page and stores it in the conversion cache; the build places pmkb's blocks and replays what the
conversion logged as it builds each page.

Workers are spawned (a fresh interpreter, on every platform), are waited for a bounded time, and
end with the build, however it ends.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TypeVar

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..parallel import (
    PATIENCE_SECONDS,
    WORKER_NAME,
    as_worker,
    may_start_processes,
    stop,
)
from ..site.blocks import fill, placeholders_alone, unstable
from ..site.safe_html import sanitize
from .conversion_cache import (
    RECORDED,
    ConversionCache,
    Converted,
    FinishedPages,
    Finishing,
    Recorder,
    conversion_key,
    converted_page,
    finished_page,
    packed,
    unpacked,
)
from .watched_files import Lookup, WatchedFiles

# What a worker is told once: enough to convert any of the build's pages as the build would.
# Plain values only, so that a spawned worker can be given them.
FileRow = tuple[str, str, int]  # src_uri, dest_uri, inclusion level
# Pages handed to each worker and not answered yet: enough that a worker never waits for the
# build's loop to hand out the next (it does so once a page, every few milliseconds).
WAITING_PER_WORKER = 8
# A task: its number and `_convert`'s arguments. An answer: the task's number and what `_convert`
# returned, or FAILED.
Task = tuple[int, tuple[object, ...]]
FAILED = b"failed"  # not `packed`'s output, which begins with a JSON list
T = TypeVar("T")


@dataclass(frozen=True)
class Setup:
    """How a worker converts pages: the configuration file and what of the build it cannot
    read there."""

    config_file: str
    use_directory_urls: bool
    # The extensions as the build's plugins and hooks left them in `on_config`, which a worker
    # does not run (one may add an extension there), when all are named; None: the file's.
    extensions: tuple[str, ...] | None
    files: tuple[FileRow, ...]
    plugins: tuple[str, ...]  # as `plugin_versions` names them
    log_levels: tuple[int, ...]  # the recorded loggers' effective levels, as RECORDED names them
    propagate: bool  # whether the `mkdocs` logger passes records on to the root
    key: str  # the build's `conversion_key`: a worker whose own differs declines every page
    cache_folder: str  # the conversion cache's entries
    stores: bool  # whether it keeps them (see `ConversionCache.stores`)
    finished_folder: str | None  # the finished pages' entries
    secret: bytes  # the key that seals both
    trust_html: bool


@dataclass(frozen=True)
class Sent:
    """A page handed out: the task's number, the worker that has it, and how to render the page
    again should the build have to convert it itself (its Markdown is not kept: thousands of
    pages wait)."""

    number: int
    worker: _Link
    render: Callable[[], str]


class _Link:
    """One worker process, as the build reaches it: a pipe each way, and a thread that writes the
    tasks. Tasks are written by that thread, so that a worker stuck in a conversion (a pattern
    that backtracks for ever on a hostile page) can never leave the build waiting to write; the
    answers are read by the build itself, when it looks: a thread reading them would take the
    interpreter from the build's each time one came. `multiprocessing.Pool`'s three threads did:
    every file the build wrote and every digest it made waited for them (a cache entry took 0.5 ms
    to write, not 0.17), and a cold build at 5,000 postmortems took a second longer."""

    def __init__(self, process: BaseProcess, tasks: Connection, answers: Connection) -> None:
        self.process, self.tasks, self.answers = process, tasks, answers
        self.outbox: queue.SimpleQueue[Setup | Task | None] = queue.SimpleQueue()
        self.waiting = 0  # tasks handed out and not answered yet
        self.writer = threading.Thread(target=_write_all, args=(self.outbox, tasks), daemon=True)
        self.writer.start()

    def stop(self) -> None:
        self.outbox.put(None)
        stop(self.process)
        # Joined, not left to end on its own: a build forks only while it runs no other thread.
        self.writer.join()
        for connection in (self.tasks, self.answers):
            connection.close()


def _write_all(outbox: queue.SimpleQueue[T | None], connection: Connection) -> None:
    """Write what comes into `outbox` until None does or the other end has gone."""
    while (item := outbox.get()) is not None:
        try:
            connection.send(item)
        except (OSError, ValueError):  # the other process has ended, or this one closed the pipe
            return


class ConversionPool:
    """Worker processes converting pages; each page handed out is taken back once."""

    def __init__(self, links: list[_Link]) -> None:
        self.links = links
        self.answered: dict[int, bytes | None] = {}  # answers read before their page was taken
        self.count = 0
        self.declined = False

    @classmethod
    def start(cls, setup: Setup, processes: int) -> ConversionPool | None:
        """A pool of `processes` workers, or None if none can be started."""
        # Spawned on every platform: a worker reads the configuration itself and needs nothing
        # of this process. Forked, it would start with a copy of the knowledge base this process
        # holds by now, a copy the memory counts twice as soon as this process changes its own
        # (70 MiB more at 5,000 postmortems), and could stay stuck on a lock a thread here held.
        if not may_start_processes():  # a daemonic process: as at a process limit
            return None
        context = multiprocessing.get_context("spawn")
        links: list[_Link] = []
        try:
            for _ in range(processes):
                task_out, task_in = context.Pipe(duplex=False)
                answer_out, answer_in = context.Pipe(duplex=False)
                # `_convert` is passed, not looked up in the worker, which runs what this
                # process would (a test's worker that never answers, say).
                process = context.Process(
                    target=_serve,
                    name=WORKER_NAME,
                    args=(task_out, answer_in, _convert),
                    daemon=True,
                )
                process.start()
                task_out.close()  # the worker's ends: once it has ended, reading here ends too
                answer_in.close()
                link = _Link(process, task_in, answer_out)
                # The set-up goes first through the pipe, not with the process: `start` waits
                # until the new interpreter has read what it is given, once it has started
                # and imported MkDocs, and with the site's files (a few hundred kB at 5,000
                # postmortems) the build waited 0.23 s here; the thread writes it meanwhile.
                link.outbox.put(setup)
                links.append(link)
        except OSError:  # a process limit
            for link in links:
                link.stop()
            return None
        return cls(links)

    def full(self) -> bool:
        """Whether the workers have all the pages they should have waiting."""
        for link in self.links:
            self._read(link, 0)
        return sum(link.waiting for link in self.links) >= WAITING_PER_WORKER * len(self.links)

    def hand_out(
        self,
        src_uri: str,
        markdown: str,
        key: str,
        blocks: tuple[str, ...],
        finishing: Finishing | None,
        render: Callable[[], str],
    ) -> Sent:
        """Have a worker convert, sanitize and finish the page `src_uri`, whose Markdown is
        `markdown`; `key` names its entry in the conversion cache, `finishing` what its finished
        page's entry needs, and `render` renders it again."""
        link = min(self.links, key=lambda each: each.waiting)
        self.count += 1
        link.outbox.put((self.count, (src_uri, markdown, key, blocks, finishing)))
        link.waiting += 1
        return Sent(self.count, link, render)

    def take(self, sent: Sent) -> Converted | None:
        """The page as a worker finished it, its blocks in place; None when it declined, failed or
        did not answer in time, and the build must convert the page itself."""
        if self.declined:
            return None
        deadline = time.monotonic() + PATIENCE_SECONDS
        while sent.number not in self.answered:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(sent.worker, left):
                self.declined = True  # it failed, died or hung: no page is waited for again
                return None
        payload = self.answered.pop(sent.number)
        if payload is None or payload == FAILED:
            self.declined = True  # its configuration is not the build's, or it failed
            return None
        return unpacked(payload)

    def _read(self, link: _Link, timeout: float) -> bool:
        """Read the answers `link`'s worker has sent, waiting up to `timeout` seconds for the
        first; False if none came or the worker has ended."""
        try:
            if not wait([link.answers], timeout):
                return False
            while True:
                number, payload = link.answers.recv()
                self.answered[number] = payload
                link.waiting -= 1
                if not link.answers.poll():
                    return True
        except (EOFError, OSError):
            return False

    def close(self) -> None:
        """Stop every worker now: whatever a worker still does is no longer wanted."""
        for link in self.links:
            link.stop()


@dataclass(frozen=True)
class _Worker:
    config: MkDocsConfig
    files: WatchedFiles
    recorder: Recorder
    cache: ConversionCache
    finished: FinishedPages | None
    trust_html: bool


# In a worker: how it converts, or None when its configuration does not give the build's key.
_state: _Worker | None = None


def _start(setup: Setup) -> None:
    global _state
    recorder = Recorder(passes_on=False)
    for name, level in zip(RECORDED, setup.log_levels, strict=True):
        # What the conversion logs is recorded and sent to the build, which logs it in page order;
        # a forked worker's inherited handlers would show it a second time, out of order.
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(recorder)
        logger.setLevel(level)
    logging.getLogger("mkdocs").propagate = setup.propagate
    try:
        config = load_config(setup.config_file, use_directory_urls=setup.use_directory_urls)
        if setup.extensions is not None:
            config.markdown_extensions = list(setup.extensions)
        files = WatchedFiles(
            [
                File(
                    src_uri,
                    config.docs_dir,
                    config.site_dir,
                    config.use_directory_urls,
                    dest_uri=dest_uri,
                    inclusion=InclusionLevel(inclusion),
                )
                for src_uri, dest_uri, inclusion in setup.files
            ]
        )
        same = conversion_key(config, files, setup.plugins, setup.log_levels) == setup.key
    except (Exception, SystemExit):  # a configuration this process cannot load: decline
        return
    if same:
        cache = ConversionCache(
            Path(setup.cache_folder), setup.key, setup.secret, files, stores=setup.stores
        )
        finished = None
        if setup.finished_folder is not None:
            finished = FinishedPages(Path(setup.finished_folder), setup.key, setup.secret, files)
        _state = _Worker(config, files, recorder, cache, finished, setup.trust_html)


def _convert(
    src_uri: str,
    markdown: str,
    key: str,
    blocks: tuple[str, ...],
    finishing: Finishing | None,
) -> bytes | None:
    """In a worker: the page converted, sanitized and with its blocks in place, as `packed`
    writes it. The entries of the conversion cache and of the finished pages are stored."""
    if _state is None:
        return None
    config, files = _state.config, _state.files
    file = files.get_file_from_path(src_uri)
    if file is None:
        return None
    page = Page(None, file, config)
    html, records, lookups = _rendered(page, markdown, files)
    kept = placeholders_alone(markdown, html)
    if not kept:
        # The author's text made a placeholder's kept form: converted again with this process's
        # placeholders, and not kept.
        html, records, lookups = _rendered(page, unstable(markdown), files)
    file.page = None  # the worker keeps no page
    converted = converted_page(html, page, records, lookups)
    # This process's placeholders, before the sanitizer turns what an author wrote as entities
    # (`&#45;`) into the kept form.
    placed = unstable(html) if kept else html
    made = fill(placed if _state.trust_html else sanitize(placed), blocks)
    answer = packed(replace(converted, html=made))
    if not kept:
        return answer
    _state.cache.put(key, converted)
    if finishing is not None and _state.finished is not None:
        _state.finished.put(finishing.key, finished_page(converted, made, finishing))
    # Not compressed (a 15 kB page took 0.18 ms, more than sending it): the build holds an
    # answer only until it builds the page, a few pages ahead of the one it builds.
    return answer


def _rendered(
    page: Page, markdown: str, files: WatchedFiles
) -> tuple[str, list[tuple[str, int, str]], list[Lookup]]:
    """In a worker: `markdown` converted as the page's, what the conversion logged, and the
    files it looked up."""
    assert _state is not None
    recorder = _state.recorder
    page.markdown = markdown
    recorder.records = []
    files.watching()
    try:
        page.render(_state.config, files)
    finally:
        records, recorder.records = recorder.records, None
        lookups = files.watched()
    return page.content or "", records, lookups


def _serve(tasks: Connection, answers: Connection, convert: Callable[..., bytes | None]) -> None:
    """A worker: read the set-up, then convert each task's page until the build closes the pipe
    or ends. Answers are written by a thread of their own, so that converting goes on while the
    build, busy with a page of its own, has not read the last ones."""
    as_worker()
    try:
        setup: Setup = tasks.recv()
    except (EOFError, OSError):
        return
    _start(setup)
    outbox: queue.SimpleQueue[tuple[int, bytes | None] | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_write_all, args=(outbox, answers))
    writer.start()
    try:
        while True:
            try:
                number, arguments = tasks.recv()
            except (EOFError, OSError):
                return
            try:
                answer = convert(*arguments)
            except Exception:  # the build converts the page itself, as MkDocs would fail it
                answer = FAILED
            outbox.put((number, answer))
    finally:
        outbox.put(None)
        writer.join()


def file_rows(files: Files) -> tuple[FileRow, ...]:
    """The site's files as a worker is told them."""
    return tuple((f.src_uri, f.dest_uri, f.inclusion.value) for f in files)
