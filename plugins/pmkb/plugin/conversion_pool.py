"""Incident pages converted in worker processes while MkDocs reads the site's pages in order.

MkDocs converts one page after another. pmkb renders the incident pages itself, so it can hand
some of them to other processes first: the workers take incident pages from the end of MkDocs'
order while MkDocs' loop works from the start, and where the two meet every page has been
converted once. A worker converts with MkDocs' own `Page.render`, under the configuration read
from the same file, and declines every page unless what its conversion depends on (extensions
and their settings, the site's files and their URLs, the plugins, the log levels) has the digest
the build's own has: then the build converts those pages itself. A worker also sanitizes the
page and stores it in the conversion cache; the build places pmkb's blocks and replays what the
conversion logged, in page order.

Workers are spawned (a fresh interpreter, on every platform), are waited for a bounded time, and
end with the build, however it ends.
"""

from __future__ import annotations

import logging
import multiprocessing
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..parallel import PATIENCE_SECONDS, end_with_parent
from ..site.blocks import fill
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
    packed,
    unpacked,
)

# What a worker is told once: enough to convert any of the build's pages as the build would.
# Plain values only, so that a spawned worker can be given them.
FileRow = tuple[str, str, int]  # src_uri, dest_uri, inclusion level
# Pages handed to each worker and not answered yet. The pool's own threads carry the pages to the
# workers and the answers back, and each waits for the build's thread to let go of the
# interpreter, which a thread converting pages does only every few milliseconds: with two pages
# waiting a worker sat idle half the time (2,381 of 4,862 pages converted at 5,000 postmortems),
# with eight it was busy (3,084 and 3,138), and the build's loop took 23 s, not 26.
WAITING_PER_WORKER = 8


@dataclass(frozen=True)
class Setup:
    """How a worker converts pages: the configuration file and what of the build it cannot
    read there."""

    config_file: str
    use_directory_urls: bool
    files: tuple[FileRow, ...]
    plugins: tuple[str, ...]  # as `plugin_versions` names them
    log_levels: tuple[int, ...]  # the recorded loggers' effective levels, as RECORDED names them
    propagate: bool  # whether the `mkdocs` logger passes records on to the root
    key: str  # the build's `conversion_key`: a worker whose own differs declines every page
    cache_folder: str  # the conversion cache's entries
    finished_folder: str | None  # the finished pages' entries, and the key that seals them
    secret: bytes | None
    trust_html: bool


@dataclass(frozen=True)
class Sent:
    """A page handed out: the worker's answer to come, and how to render the page again should
    the build have to convert it itself (its Markdown is not kept: thousands of pages wait)."""

    answer: AsyncResult[bytes | None]
    render: Callable[[], str]


class ConversionPool:
    """Worker processes converting pages; each page handed out is taken back once."""

    def __init__(self, pool: Pool, processes: int) -> None:
        self.pool = pool
        self.processes = processes
        self.waiting: deque[AsyncResult[bytes | None]] = deque()  # handed out, in order
        self.declined = False

    @classmethod
    def start(cls, setup: Setup, processes: int) -> ConversionPool | None:
        """A pool of `processes` workers, or None if none can be started."""
        # Spawned on every platform: a worker reads the configuration itself and needs nothing
        # of this process. Forked, it would start with a copy of the knowledge base this process
        # holds by now, a copy the memory counts twice as soon as this process changes its own
        # (70 MiB more at 5,000 postmortems), and could stay stuck on a lock a thread here held.
        try:
            pool = multiprocessing.get_context("spawn").Pool(
                processes, initializer=_start, initargs=(setup,)
            )
        except OSError:  # a process limit
            return None
        return cls(pool, processes)

    def full(self) -> bool:
        """Whether the workers have all the pages they should have waiting."""
        while self.waiting and self.waiting[0].ready():
            self.waiting.popleft()
        return len(self.waiting) >= WAITING_PER_WORKER * self.processes

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
        answer = self.pool.apply_async(_convert, (src_uri, markdown, key, blocks, finishing))
        self.waiting.append(answer)
        return Sent(answer, render)

    def take(self, sent: Sent) -> Converted | None:
        """The page as a worker finished it, its blocks in place; None when it declined, failed or
        did not answer in time, and the build must convert the page itself."""
        if self.declined:
            return None
        try:
            payload = sent.answer.get(timeout=PATIENCE_SECONDS)
        except Exception:  # the worker failed, died or hung: no page is waited for again
            self.declined = True
            return None
        if payload is None:
            self.declined = True  # its configuration is not the build's
            return None
        try:
            return unpacked(zlib.decompress(payload))
        except zlib.error:
            return None

    def close(self) -> None:
        """Stop every worker now: whatever a worker still does is no longer wanted."""
        self.pool.terminate()


@dataclass(frozen=True)
class _Worker:
    config: MkDocsConfig
    files: Files
    recorder: Recorder
    cache: ConversionCache
    finished: FinishedPages | None
    trust_html: bool


# In a worker: how it converts, or None when its configuration does not give the build's key.
_state: _Worker | None = None


def _start(setup: Setup) -> None:
    global _state
    end_with_parent()
    recorder = Recorder()
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
        files = Files(
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
        cache = ConversionCache(Path(setup.cache_folder), setup.key, listed=False)
        finished = None
        if setup.finished_folder is not None and setup.secret is not None:
            finished = FinishedPages(Path(setup.finished_folder), setup.key, setup.secret)
        _state = _Worker(config, files, recorder, cache, finished, setup.trust_html)


def _convert(
    src_uri: str,
    markdown: str,
    key: str,
    blocks: tuple[str, ...],
    finishing: Finishing | None,
) -> bytes | None:
    """In a worker: the page converted, sanitized and with its blocks in place, as `packed`
    writes it, compressed. The entries of the conversion cache and of the finished pages are stored."""
    if _state is None:
        return None
    config, files, recorder = _state.config, _state.files, _state.recorder
    file = files.get_file_from_path(src_uri)
    if file is None:
        return None
    page = Page(None, file, config)
    page.markdown = markdown
    recorder.records = []
    try:
        page.render(config, files)
    finally:
        records, recorder.records = recorder.records, None
    file.page = None  # the worker keeps no page
    html = page.content or ""
    converted = converted_page(html, page, records)
    _state.cache.put(key, converted)
    made = fill(html if _state.trust_html else sanitize(html), blocks, portable=True)
    if finishing is not None and _state.finished is not None:
        _state.finished.put(finishing.key, converted_page(made, page, records, finishing))
    answer = packed(Converted(made, converted.toc, converted.anchors, converted.links, records))
    # Compressed: the build holds each answer until its loop reaches the page, and the workers
    # convert from the end of its order; at 5,000 pages, 20 MB more held as they are.
    return zlib.compress(answer, 1)


def file_rows(files: Files) -> tuple[FileRow, ...]:
    """The site's files as a worker is told them."""
    return tuple((f.src_uri, f.dest_uri, f.inclusion.value) for f in files)
