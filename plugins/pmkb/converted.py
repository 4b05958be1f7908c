"""pmkb's pages converted from Markdown on every CPU, next to MkDocs' one-page-at-a-time loop.

MkDocs converts pages one after another in one process, and at thousands of incidents that loop
is most of a build. Once the navigation is final, forked worker processes take pmkb's pages from
the last one down, rendering and converting each with MkDocs' own `Page.render`, while MkDocs
works through them from the first; each page is claimed by whichever side reaches it first.
When MkDocs reads a page a worker did, it takes the worker's Markdown, and then its conversion,
provided the Markdown is still exactly what was converted. A page some plugin changed, a page
whose conversion failed, a configuration with a Markdown extension not known to be stateless,
or a platform without `fork` renders the usual way.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from dataclasses import dataclass
from functools import partial

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents
from mkdocs.utils import meta

from .held import kept_records, render_page
from .parallel import FORK, Shared, runs_in_parallel
from .pending import PendingFile

BIG_PAGE = 1 << 20  # bytes of Markdown
# Extensions that keep nothing from one page for later: converting a page in another process
# loses nothing. mkdocs-autorefs, say, records every heading in its plugin, so with it (or any
# extension not listed) pages convert here, in order.
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

    # The page's file as the worker read it, in UTF-8: a str holds most postmortems at two bytes a
    # character (one dash is enough), and MkDocs holds what workers sent until it reaches the page.
    source: bytes
    digest: bytes  # of the Markdown that was converted
    content: str
    toc: TableOfContents
    title: str | None
    anchors: set[str] | None
    links: dict[str, dict[str, str]] | None  # linked file's src_uri -> anchor -> link as written
    records: list[logging.LogRecord]


class PmkbPage(Page):
    """A page pmkb generated, which may take its Markdown and conversion from a worker process."""

    ahead: tuple[Shared[PmkbPage, Converted | None], int] | None = None
    converted: Converted | None = None
    # Workers to stop before converting this page here (one of a megabyte or more).
    after: tuple[Shared[PmkbPage, Converted | None], ...] = ()

    def read_source(self, config: MkDocsConfig) -> None:
        if self.ahead is not None:
            (shared, index), self.ahead = self.ahead, None
            self.converted = shared.take(index)
            if self.converted is not None:
                # The worker rendered this file's text already: it is not rendered again here.
                self.file.content_bytes = self.converted.source
        super().read_source(config)

    def render(self, config: MkDocsConfig, files: Files) -> None:
        for shared in self.after:
            shared.finish()
        done, self.converted = self.converted, None
        if done is None or self.markdown is None or done.digest != _digest(self.markdown):
            render_page(self, config, files)
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
) -> Shared[PmkbPage, Converted | None] | None:
    """Start `jobs - 1` workers on `pages`, from the last one down, when that is safe.

    With every Markdown extension known to keep no state, `pages` become `PmkbPage`s, which
    convert with their HTML blocks held out of the parser (`held`), workers or not. A page of a
    megabyte or more (the table of every incident) is converted by MkDocs, once the workers have
    stopped: a worker's memory would grow by as much while it shares the build's. The caller
    closes the workers once MkDocs has rendered every page.
    """
    if not stateless_extensions(config):
        return None
    ours = [page for page in map(_pmkb_page, pages) if page is not None]
    if not (FORK and runs_in_parallel(len(ours), jobs)):
        return None
    big: list[PmkbPage] = []
    small: list[PmkbPage] = []
    for page in ours:
        (big if _big(page.file) else small).append(page)
    shared = Shared(partial(_convert, config, files), small, workers=jobs - 1)
    for index, page in enumerate(small):
        page.ahead = (shared, index)
    for page in big:
        page.after = (shared,)
    return shared


def _big(file: File) -> bool:
    # A pending file is an incident page: never big, and not rendered just to be measured.
    return not isinstance(file, PendingFile) and len(file.content_bytes) >= BIG_PAGE


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
    with kept_records() as records:
        try:
            source = page.file.content_string
            page.markdown, page.meta = meta.get_data(source)
            render_page(page, config, files)
        except Exception:  # MkDocs renders it again in order, and reports the error there
            return None
    assert page.content is not None
    links = page.links_to_anchors
    return Converted(
        source=source.encode("utf-8"),
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
