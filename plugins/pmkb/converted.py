"""pmkb's pages converted from Markdown on every CPU, next to MkDocs' one-page-at-a-time loop.

MkDocs converts pages one after another in one process, and at thousands of incidents that loop
is most of a build. Once the navigation is final, forked worker processes convert the later
pages pmkb generated with MkDocs' own `Page.render` while MkDocs converts the earlier ones; a
later page then takes its worker's result when MkDocs renders it, provided its Markdown is still
exactly what was converted. A page some plugin changed, a page whose conversion failed, a
configuration with a Markdown extension not known to be stateless, or a platform without `fork`
renders the usual way.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents
from mkdocs.utils import meta

from .parallel import FORK, Worker, runs_in_parallel

# Extensions that keep nothing from one page for later: converting a page in another process
# loses nothing. mkdocs-autorefs, say, records every heading in its plugin, so with it (or any
# extension not listed) pages convert here, in order.
BIG_PAGE = 1 << 20  # bytes of Markdown
# A worker's run, as a part of an equal share of all the Markdown to convert. A worker converts a
# page a little more slowly than MkDocs does (it also sends it back), while MkDocs also reads each
# page a worker converted and converts the pages of a megabyte or more: at 5,000 postmortems on
# 2 CPUs, 0.93 left neither waiting long for the other (1.1 made MkDocs wait 3 s).
WORKER_SHARE = 0.93
_STATELESS_PACKAGES = ("markdown.extensions.", "pymdownx.", "material.extensions.")
_MARKDOWN_BUILTINS = frozenset(
    [
        "abbr",
        "admonition",
        "attr_list",
        "codehilite",
        "def_list",
        "extra",
        "fenced_code",
        "footnotes",
        "legacy_attrs",
        "legacy_em",
        "md_in_html",
        "meta",
        "nl2br",
        "sane_lists",
        "smarty",
        "tables",
        "toc",
        "wikilinks",
    ]
)


@dataclass(frozen=True)
class Converted:
    """What `Page.render` leaves on a page, plus the log records it emitted."""

    digest: bytes  # of the Markdown that was converted
    content: str
    toc: TableOfContents
    title: str | None
    anchors: set[str] | None
    links: dict[str, dict[str, str]] | None  # linked file's src_uri -> anchor -> link as written
    records: list[logging.LogRecord]


class PmkbPage(Page):
    """A page pmkb generated, which may take its conversion from a worker process."""

    ahead: tuple[Worker[PmkbPage, Converted | None], int] | None = None
    # Workers to wait for before converting this page here (one of a megabyte or more).
    after: tuple[Worker[PmkbPage, Converted | None], ...] = ()

    def render(self, config: MkDocsConfig, files: Files) -> None:
        for worker in self.after:
            worker.finish()
        done = None
        if self.ahead is not None:
            (worker, index), self.ahead = self.ahead, None
            done = worker.result(index)
        if done is None or self.markdown is None or done.digest != _digest(self.markdown):
            super().render(config, files)
            return
        self.content = done.content
        self.toc = done.toc
        self._title_from_render = done.title
        self.present_anchor_ids = done.anchors
        if done.links is not None:
            self.links_to_anchors = {
                file: anchors
                for uri, anchors in done.links.items()
                if (file := files.get_file_from_path(uri)) is not None
            }
        # Logged now, where MkDocs would have logged them, so `--strict` counts them.
        for record in done.records:
            logging.getLogger(record.name).handle(record)


def stateless_extensions(config: MkDocsConfig) -> bool:
    """Whether every configured Markdown extension is one known to keep no state across pages."""
    for extension in config.markdown_extensions:
        # MkDocs holds each as its name or, when a plugin added it, as the instance itself.
        if isinstance(extension, str):
            name = extension + "."
            if extension in _MARKDOWN_BUILTINS:
                name = "markdown.extensions." + name
        else:
            name = type(extension).__module__ + "."
        if not name.startswith(_STATELESS_PACKAGES):
            return False
    return True


def convert_ahead(
    pages: list[Page], config: MkDocsConfig, files: Files, jobs: int
) -> list[Worker[PmkbPage, Converted | None]]:
    """Start `jobs - 1` workers, each on a run of the later `pages`, when that is safe.

    Each run holds a little less than a `jobs`-th of the Markdown to convert; MkDocs converts the
    rest itself meanwhile. A page of a megabyte or more (the table of every incident) is converted by MkDocs,
    after the workers are done: its tree is built whole, and a worker's memory would grow by as
    much while it shares the build's. The caller closes the workers once MkDocs has rendered
    every page.
    """
    if not (FORK and runs_in_parallel(len(pages), jobs) and stateless_extensions(config)):
        return []
    ours = [page for page in map(_pmkb_page, pages) if page is not None]
    sizes = [len(page.file.content_bytes) for page in ours]
    share = sum(sizes) * WORKER_SHARE / jobs
    runs: list[list[PmkbPage]] = []
    run: list[PmkbPage] = []
    weight = 0
    for page, size in zip(reversed(ours), reversed(sizes), strict=True):
        if len(runs) == jobs - 1:
            break
        if size >= BIG_PAGE:
            continue
        run.append(page)
        weight += size
        if weight >= share:
            runs.append(run[::-1])
            run, weight = [], 0
    if run and len(runs) < jobs - 1:
        runs.append(run[::-1])
    workers = []
    for run in runs:
        worker = Worker(partial(_convert, config, files), run)
        for index, page in enumerate(run):
            page.ahead = (worker, index)
        workers.append(worker)
    for page, size in zip(ours, sizes, strict=True):
        if size >= BIG_PAGE:
            page.after = tuple(workers)
    return workers


def _pmkb_page(page: Page) -> PmkbPage | None:
    # MkDocs made the page (from the navigation, with the title a user's `nav` may give it);
    # it becomes a PmkbPage, which adds one method and no state. A page of a class some other
    # plugin chose is left as it is.
    if type(page) is Page:
        page.__class__ = PmkbPage
    return page if isinstance(page, PmkbPage) else None


def _convert(config: MkDocsConfig, files: Files, original: PmkbPage) -> Converted | None:
    # A copy: the page itself is read and rendered later by MkDocs, in order.
    page = copy.copy(original)
    with _kept_records() as records:
        try:
            page.markdown, page.meta = meta.get_data(page.file.content_string)
            Page.render(page, config, files)
        except Exception:  # MkDocs renders it again in order, and reports the error there
            return None
    assert page.content is not None
    links = page.links_to_anchors
    return Converted(
        digest=_digest(page.markdown),
        content=page.content,
        toc=page.toc,
        title=page._title_from_render,
        anchors=page.present_anchor_ids,
        links=None if links is None else {f.src_uri: anchors for f, anchors in links.items()},
        records=records,
    )


def _digest(markdown: str) -> bytes:
    return hashlib.blake2b(markdown.encode("utf-8"), digest_size=16).digest()


class _Keeper(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if self.records and self.records[-1] is record:
            return  # kept already, on its way up from MkDocs' logger to the root's
        # Arguments may not pickle; the message they make does.
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self.records.append(record)


@contextmanager
def _kept_records() -> Iterator[list[logging.LogRecord]]:
    """Hold back what is logged (MkDocs' logger and the root's handlers) instead of emitting it."""
    records: list[logging.LogRecord] = []
    keeper = _Keeper(records)
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]
    saved = [logger.handlers for logger in loggers]
    for logger in loggers:
        logger.handlers = [keeper]
    try:
        yield records
    finally:
        for logger, handlers in zip(loggers, saved, strict=True):
            logger.handlers = handlers
