"""Where each generated page's HTML comes from in one build: a finished page, the conversion
cache, a worker process, or MkDocs converting it here (and then stored for the next build)."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import CombinedEvent, get_plugin_logger
from mkdocs.structure.files import Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from ..digests import digest
from ..kept import CONVERTED_PAGES, FINISHED_PAGES
from ..parallel import PARALLEL_FROM
from ..settings import Settings
from ..site.blocks import fill, front_matter_block, placeholders_alone, stable, unstable
from ..site.pages.incident import IncidentSource
from ..site.safe_html import sanitize
from .conversion_cache import (
    RECORDED,
    ConversionCache,
    Converted,
    FinishedPages,
    Finishing,
    Recorder,
    Unstable,
    conversion_key,
    converted_page,
    finished_page,
    holds_packs,
    named_files_noted,
    plugin_versions,
    replay,
)
from .conversion_pool import WAITING_PER_WORKER, ConversionPool, Sent, Setup, file_rows
from .lazy_files import RenderedOnRead
from .watched_files import WatchedFiles

log = get_plugin_logger(__name__)
# Pages handed to the workers, or looked up ahead and found in the cache, held until built.
HELD_AHEAD = 64
# How many pages ahead of the one this process builds (or converts) are left to it, the workers
# given the ones after: more than the pages a worker has waiting (WAITING_PER_WORKER), converted
# while this process builds the pages in between with the theme (a page handed out is converted
# about 40 ms later, the time this process takes to build some 15 pages), so that it does not
# wait for them.
LEAD = 2 * WAITING_PER_WORKER
# How many incident pages a build looks up among the finished pages to tell a build after a build.
PROBED = 8
# How many pages a build finds it must convert before it starts workers: a build after an edit
# converts a page or two, which this process converts in milliseconds, where a worker is a new
# interpreter that imports MkDocs and the theme first (0.7 s of CPU).
STARTED_AFTER = WAITING_PER_WORKER
_Kept = TypeVar("_Kept", bound=ConversionCache)
# The loggers whose messages a conversion records (see RECORDED).
_RECORDED_LOGGERS = tuple(logging.getLogger(name) for name in RECORDED)


class Conversions:
    """One build's generated pages on their way to HTML.

    The plugin shares two tables with it: per generated page, pmkb's HTML blocks waiting for
    the page to be converted (`blocks`), and its compact search entry (`search_entries`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        serving: bool,
        secret: bytes | None,
        blocks: dict[str, tuple[str, ...]],
        search_entries: dict[str, Callable[[], str]],
        kept: dict[type, ConversionCache],
    ) -> None:
        self.settings = settings
        self.serving = serving
        # This machine's key for what pmkb keeps of its own HTML: None when there is none yet,
        # or no cache.
        self.secret = secret
        self.blocks = blocks
        self.search_entries = search_entries
        # In `mkdocs serve`, the caches of the build before, by kind, shared with the plugin.
        self.kept = kept
        # The conversion cache: looked up once a build (None: off, or not yet asked), the pages
        # found in it, and the page being converted with the key its result is stored under.
        self.cache: ConversionCache | None = None
        self.cache_asked = False
        self.found: dict[str, Converted] = {}
        # Per page found in MkDocs' loop, the Markdown it was found by: the page's own, as it
        # would have been converted, for the plugins that read it once converted.
        self.found_by: dict[str, str] = {}
        self.converting: tuple[str, str] | None = None
        # The build's files, when they note what a conversion looks up (see watched_files).
        self.watched: WatchedFiles | None = None
        self.recorder = Recorder()
        # Finished incident pages (see FinishedPages): set in `planned` when this build may use
        # them; the pages found there, and per page rendered now, what its entry needs.
        self.finished: FinishedPages | None = None
        self.finished_found: dict[str, Converted] = {}
        self.finishing: dict[str, Finishing] = {}
        # In a one-off build, the incident pages workers may convert, in MkDocs' order; when
        # their HTML is put in as the theme builds them (see `placed`, `deferring`), the build's
        # files, and the pages not yet built, of which those not yet converted or handed out
        # with how to render each one's text.
        self.handing: list[RenderedOnRead] = []
        self.position: dict[str, int] = {}
        self.files: Files | None = None
        self.deferring = False
        self.later: set[str] = set()
        self.renders: dict[str, Callable[[], str]] = {}
        # Worker processes converting those pages (see ConversionPool), started when the first
        # page needs one (until then, how to start them); where in MkDocs' order the page being
        # built is and the next page to hand out; per page handed out, its answer and how to
        # render it again.
        self.pool: ConversionPool | None = None
        self.setup: Setup | None = None
        self.missed = 0  # pages this build found it must convert, up to STARTED_AFTER
        self.front, self.cursor = -1, 0
        self.sent: dict[str, Sent] = {}
        # Per incident page read, the front matter MkDocs read it without (see `rendered`).
        self.metas: dict[str, str] = {}
        for logger in _RECORDED_LOGGERS:
            logger.addHandler(self.recorder)

    def rendered(self, source: IncidentSource) -> str:
        """An incident page's text as MkDocs reads it: nothing when it was finished before from
        the same inputs, else its Markdown (its blocks kept for later). Its front matter is kept
        apart, given to the page by `meta`."""
        finished = self.finished
        if finished is not None:
            key = digest(finished.build_key, source.src, source.inputs())
            found = finished.get(key)
            if found is not None and found.front_matter is not None:
                # Finished before, from the same inputs: MkDocs reads nothing of it.
                self.finished_found[source.src] = found
                if found.search is not None:
                    self.search_entries[source.src] = partial(str, found.search)
                self.metas[source.src] = found.front_matter
                return ""
        rendered = source.text()
        self.blocks[source.src] = rendered.blocks
        head, markdown = split_front_matter(rendered.markdown)
        self.metas[source.src] = head
        if finished is not None and head:
            self.finishing[source.src] = Finishing(key, head, self._search_entry(source.src))
        return markdown

    def meta_only(self, src_uri: str, head: Callable[[], str]) -> str:
        """What MkDocs reads of an incident page whose HTML is put in as it is built: nothing,
        its front matter (`head()`) kept for `meta`."""
        self.metas[src_uri] = head()
        return ""

    def meta(self, page: Page) -> None:
        """Give an incident page the front matter its text was read without (see `rendered`), as
        MkDocs would have read it, unless another plugin gave the file a text of its own."""
        head = self.metas.pop(page.file.src_uri, None)
        if head is not None and not page.meta:
            page.meta = front_matter_values(head)

    def meta_text(self, src_uri: str) -> str:
        """The front matter an incident page's text was last read without ("" if none)."""
        return self.metas.get(src_uri, "")

    def _search_entry(self, src: str) -> str | None:
        """A page's compact search entry (None: it has none), made now and kept for the build:
        its finished page holds it too, and the next build that takes the page does not make
        it again (0.03 ms a page at 5,000 postmortems)."""
        entry = self.search_entries.get(src)
        if entry is None:
            return None
        text = entry()
        self.search_entries[src] = partial(str, text)
        return text

    def markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        """What MkDocs converts of a generated page (None: its Markdown as it stands): nothing
        when its HTML is put in later, else its Markdown with placeholders every build writes
        alike, whose conversion is then stored."""
        src_uri = page.file.src_uri
        if self.filled_later(src_uri):
            return ""
        conversions = self._cache(config, files)
        if conversions is None:
            return None
        # Each build draws its own placeholders: the Markdown is converted with placeholders in a
        # form every build writes alike, and given this build's back in `html`.
        portable = stable(markdown)
        if portable is None:
            return None
        key = conversions.key(src_uri, page.file.url, portable)
        found = conversions.get(key)
        if found is not None:
            # Converted before: MkDocs converts nothing, and the HTML is put back in `html`.
            self.found[src_uri] = found
            self.found_by[src_uri] = portable
            return ""
        self._recording(src_uri, key)
        return portable

    def was_finished(self, src_uri: str) -> bool:
        """Whether the page's text was nothing: it was finished before."""
        return src_uri in self.finished_found

    def filled_later(self, src_uri: str) -> bool:
        """Whether the page's HTML is put in by `html` or `placed`, not converted by MkDocs: it
        was finished, converted before, handed to a worker, or is made as the page is built."""
        return (
            src_uri in self.later
            or src_uri in self.finished_found
            or src_uri in self.found
            or src_uri in self.sent
        )

    def _recording(self, src_uri: str, key: str) -> None:
        """This process converts the page `src_uri` next: what the conversion logs is recorded,
        to be stored with its entry `key` in the conversion cache."""
        self.converting = (src_uri, key)
        self.recorder.records = []
        if self.watched is not None:
            self.watched.watching()

    def _cache(self, config: MkDocsConfig, files: Files) -> ConversionCache | None:
        """This build's conversion cache, once every plugin has settled the files and settings."""
        if not self.cache_asked:
            self.cache_asked = True
            if self.settings.cache_dir is not None:
                try:
                    key = conversion_key(
                        config,
                        files,
                        plugin_versions(config.plugins),
                        [logger.getEffectiveLevel() for logger in _RECORDED_LOGGERS],
                    )
                except Unstable as exc:
                    log.log(exc.level, f"converted pages are not cached in this build: {exc}")
                else:
                    folder = self.settings.cache_dir / CONVERTED_PAGES
                    self.watched = files if isinstance(files, WatchedFiles) else None
                    # Without a key (the first build on a machine, or a CI runner given none:
                    # each is a new machine), nothing this build stored could be read by another:
                    # a key of its own, and nothing kept.
                    secret = self.secret or secrets.token_bytes(32)
                    cache = ConversionCache(
                        folder, key, secret, files, stores=self.secret is not None
                    )
                    self.cache = self._reused(cache)
        return self.cache

    def html(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        """A generated page's HTML, made safe and with pmkb's blocks in place: from a worker, a
        finished page or the conversion cache, or `html` as MkDocs just converted it."""
        src_uri = page.file.src_uri
        if src_uri in self.later:
            return ""  # put in when the page is built
        sent = self.sent.pop(src_uri, None)
        if sent is not None:
            assert self.pool is not None
            answer = self.pool.take(sent)
            if answer is not None:
                return _restored(page, answer, files)
            html = self._converted_here(sent, page, config, files)
        finished = self.finished_found.pop(src_uri, None)
        if finished is not None:
            return _restored(page, finished, files)
        html, kept = self._converted_once(html, page, config, files)
        blocks = self.blocks.pop(src_uri, ())
        made = fill(html if self.settings.trust_html else sanitize(html), blocks)
        finishing = self.finishing.pop(src_uri, None)
        if finishing is not None and kept is not None and self.finished is not None:
            finished = finished_page(kept, made, finishing)
            self.finished.put(finishing.key, finished)
        return made

    def _converted_here(self, sent: Sent, page: Page, config: MkDocsConfig, files: Files) -> str:
        """A page no worker converted after all, rendered again and converted here as MkDocs
        would have."""
        markdown = sent.render()  # sets its blocks and finished entry again
        src_uri = page.file.src_uri
        if src_uri in self.finished_found:
            return ""  # the worker finished it after all
        portable = stable(markdown)
        assert portable is not None and self.cache is not None  # as when it was handed out
        self._recording(src_uri, self.cache.key(src_uri, page.file.url, portable))
        page.markdown = portable
        page.render(config, files)
        return page.content or ""

    def _converted_once(
        self, html: str, page: Page, config: MkDocsConfig, files: Files
    ) -> tuple[str, Converted | None]:
        """The page as converting its Markdown made it, and its cache entry (what the conversion
        logged and looked up): from the cache, or just converted (and then stored), before any
        plugin has changed it. The entry is None when the page was converted outside the
        cache."""
        src_uri = page.file.src_uri
        found = self.found.pop(src_uri, None)
        if found is not None:
            # As converting would have left the page for the plugins after pmkb: its Markdown
            # and the HTML it converted to (a finished page or a worker's has neither, and is
            # not used beside a plugin that reads the page then: see `planned`).
            page.markdown = self.found_by.pop(src_uri, page.markdown)
            page.content = found.html
            return unstable(_restored(page, found, files)), found
        if self.converting is not None and self.converting[0] == src_uri:
            records, self.recorder.records = self.recorder.records or [], None
            lookups = [] if self.watched is None else self.watched.watched()
            key, self.converting = self.converting[1], None
            if not placeholders_alone(page.markdown or "", html):
                # The author's text made the placeholders' kept form some way `stable` does not
                # see: converted again as without the cache (what it logged, it logs again), so
                # that the text stays text, and not kept.
                page.markdown = unstable(page.markdown or "")
                page.render(config, files)
                return page.content or "", None
            assert self.cache is not None
            kept = converted_page(html, page, records, lookups)
            self.cache.put(key, kept)
            return unstable(html), kept
        return html, None

    def planned(
        self,
        config: MkDocsConfig,
        files: Files,
        nav: Navigation,
        others: list[object],
        *,
        after: list[object],
        every_page: bool = True,
        key_before: str | None = None,
    ) -> None:
        """Once the navigation is made, given the build's `others` plugins (`after`: those
        listed after pmkb, hooks included), whether it builds
        `every_page` (a `serve --dirty` rebuild does not) and, in `mkdocs serve`, the conversion
        key of the session's last build (`key_before`, None: none ended yet): whether finished
        pages can be used, whether incident pages get their HTML as the theme builds them, and
        then the first pages handed to workers."""
        named_files_noted(config)
        if _runs_first(others, "on_page_content") or _runs_last(others, after, "on_page_markdown"):
            # Another plugin changes each page's HTML before pmkb takes it (priority 100 or
            # more), or reads or changes its Markdown after pmkb has looked it up in the cache
            # (see `_runs_last`): what a worker or the cache would give is not what this build
            # publishes, and that plugin would find the text of a page from the cache empty.
            self.cache_asked, self.cache = True, None
        self.finished = self._finished_pages(config, files, others, after)
        # Pages handed out are read by MkDocs as nothing. A `serve --dirty`
        # rebuild tells the pages it builds as MkDocs' loop reaches them: it hands out none. Nor
        # does a `serve` build whose pages convert as the last build's did (a rebuild of plain
        # `serve`, a `--dirty` one after a page was added): it finds most in the cache, and
        # converts the rest sooner than a worker starts (a second; a rebuild after 40 edits took
        # 2.3 s, not 0.9).
        same = self.cache is not None and self.cache.build_key == key_before
        if not every_page or same or _reads_pages(others, after):
            return
        # A page the navigation lists is left to MkDocs' loop: a theme may show its table of
        # contents on every page (readthedocs), before this page is built.
        listed = {id(page.file) for page in nav.pages}
        self.handing = [
            f
            for f in files.documentation_pages(inclusion=InclusionLevel.is_included)
            if isinstance(f, RenderedOnRead)
            and f.render is not None
            and f.source is not None
            and id(f) not in listed
        ]
        self.position = {f.src_uri: n for n, f in enumerate(self.handing)}
        self.setup = self._pool_setup(config, files)
        # MkDocs converts every page, then builds every page with the theme, in one process.
        # Put in as each page is built, an incident page's HTML can be made by a worker while
        # this process builds the pages before it, or here: the second CPU is not left idle
        # while the theme's templates run. Only when workers can be started, no other plugin
        # would see a page before its HTML is in, and not in a build after a build, whose pages
        # are finished: put in later, they would only cost more. With no worker, converting
        # each page just before the theme builds it leaves neither's work in the CPU's caches
        # for the next page (a cold build of 5,000 postmortems in one process took 0.7 to 0.9 s
        # more, for 50 MB less at its peak). In a build after a build, their contents made
        # while the theme runs took the collector over the whole heap twice as often (at 5,000
        # postmortems, a build after an edit took 10.7 s, not 9.6).
        if not (
            self.setup is None
            or handle(others, ("on_page_content", "on_env"))
            or _runs_first(others, "on_page_context")
            or self._finished_before()
        ):
            self.files, self.deferring = files, True
            for file in self.handing:
                assert file.render is not None and file.source is not None
                self.renders[file.src_uri] = file.render
                self.later.add(file.src_uri)
                file.render = partial(self.meta_only, file.src_uri, file.source.head)
        self._hand_out()

    def _finished_before(self) -> bool:
        """Whether most of the first incident pages were finished before from the same inputs:
        a build after a build, which converts few pages, if any."""
        finished = self.finished
        if finished is None:
            return False
        first = [(f.src_uri, f.source) for f in self.handing[:PROBED] if f.source is not None]
        found = sum(
            finished.get(digest(finished.build_key, src, source.inputs())) is not None
            for src, source in first
        )
        return found * 2 > len(first)

    def _pool_setup(self, config: MkDocsConfig, files: Files) -> Setup | None:
        """How to start worker processes converting incident pages, for a build of many."""
        path, conversions = config.config_file_path, self.cache
        # No file (`mkdocs build -f -` reads the configuration from its input, and MkDocs gives
        # its path as ""): a worker could not read it, and would decline every page.
        if self.settings.jobs < 2 or not path or conversions is None:
            return None
        if len(self.handing) < PARALLEL_FROM:
            return None
        finished = self.finished
        extensions = config.markdown_extensions
        return Setup(
            config_file=path,
            use_directory_urls=config.use_directory_urls,
            extensions=(tuple(extensions) if all(isinstance(e, str) for e in extensions) else None),
            files=file_rows(files),
            plugins=tuple(plugin_versions(config.plugins)),
            log_levels=tuple(logging.getLogger(name).getEffectiveLevel() for name in RECORDED),
            propagate=logging.getLogger("mkdocs").propagate,
            key=conversions.build_key,
            cache_folder=str(conversions.folder),
            stores=conversions.stores,
            finished_folder=None if finished is None else str(finished.folder),
            secret=conversions.secret,
            trust_html=self.settings.trust_html,
        )

    def reaching(self, src_uri: str) -> None:
        """MkDocs' loop reads the page `src_uri` next: the workers are kept busy."""
        if self.handing:
            if not self.deferring:  # converted in MkDocs' loop: the one converted now is this one
                self.front = self.position.get(src_uri, self.front)
            self._hand_out()

    def _hand_out(self) -> None:
        """Keep the workers busy with incident pages ahead of the one being built (or, in
        MkDocs' loop, converted), in MkDocs' order. The LEAD pages just ahead of it are left to
        this process, which converts any page it finds not handed out when it comes to it: it
        does not wait for workers busy with pages it will need later, and where it has less to
        do for a page than converting it (the theme's templates), it converts a share. Pages
        handed out, or found finished or converted before, are held until they are built: at
        most HELD_AHEAD, so that a build finding most pages in the cache holds few at once, and
        starts no worker for the few it converts."""
        while len(self.found) + len(self.finished_found) + len(self.sent) < HELD_AHEAD:
            pool = self.pool
            if pool is None and self.setup is None:
                return  # no worker could be started
            if pool is not None and (pool.declined or pool.full()):
                return
            self.cursor = max(self.cursor, self.front + 1 + LEAD)
            if self.cursor >= len(self.handing):
                return
            file = self.handing[self.cursor]
            self.cursor += 1
            self._prepared(file)

    def _started(self) -> ConversionPool | None:
        """The workers, started now if they are not yet; None if they cannot be."""
        if self.pool is None and self.setup is not None:
            self.pool = ConversionPool.start(self.setup, self.settings.jobs - 1)
            self.setup = None
        return self.pool

    def _prepared(self, file: RenderedOnRead) -> None:
        """Render an incident page now and have a worker convert it, unless it was finished or
        converted before, or must be converted by this process as it stands. Converted in
        MkDocs' loop, the file then holds what MkDocs reads: nothing, unless this process
        converts it."""
        src_uri = file.src_uri
        later = src_uri in self.later
        render = self.renders.pop(src_uri, None) if later else file.render
        if render is None:
            return
        text = render()
        if src_uri not in self.finished_found:
            portable = stable(text)
            if portable is None or not self._handed(src_uri, file.url, portable, render):
                # Converted by this process, as it stands.
                if later:
                    self.renders[src_uri] = render  # by `placed`
                else:
                    file.content_string = text
                return
        if not later:
            file.content_string = ""

    def _handed(self, src_uri: str, url: str, portable: str, render: Callable[[], str]) -> bool:
        """Whether the page's HTML, converted from `portable`, comes from the conversion cache or
        a worker (False: this process converts it)."""
        conversions = self.cache
        assert conversions is not None
        key = conversions.key(src_uri, url, portable)
        found = conversions.get(key)
        if found is not None:
            self.found[src_uri] = found
            return True
        if self.pool is None and self.missed < STARTED_AFTER:
            self.missed += 1
            return False
        pool = self._started()
        if pool is None:
            return False
        blocks = self.blocks.pop(src_uri, ())
        finishing = self.finishing.pop(src_uri, None)
        self.sent[src_uri] = pool.hand_out(src_uri, portable, key, blocks, finishing, render)
        return True

    def placed(self, page: Page, config: MkDocsConfig) -> str | None:
        """The HTML of a page whose HTML is put in as MkDocs builds it (None: not such a page):
        a worker's, a finished page's, the conversion cache's, or converted here now."""
        src_uri = page.file.src_uri
        if src_uri not in self.later:
            return None
        files = self.files
        assert files is not None
        self.later.discard(src_uri)
        render = self.renders.pop(src_uri, None)
        self.front = self.position[src_uri]
        self._hand_out()
        if render is not None:
            # Not handed out, or handed back: converted here, as MkDocs would have.
            markdown = render()
            if src_uri not in self.finished_found:
                converted = self.markdown(markdown, page, config, files)
                page.markdown = markdown if converted is None else converted
                page.render(config, files)
        made = self.html(page.content or "", page, config, files)
        page.markdown = ""
        return made

    def close(self) -> None:
        """Stop the workers: every page is built, or the build has ended."""
        if self.pool is not None:
            self.pool.close()
        for kept in (self.cache, self.finished):
            if kept is not None:
                kept.close()
        self.pool, self.setup, self.handing, self.position, self.sent = None, None, [], {}, {}
        self.missed = 0
        self.later, self.renders, self.files, self.deferring = set(), {}, None, False
        self.metas = {}

    def _finished_pages(
        self, config: MkDocsConfig, files: Files, others: list[object], after: list[object]
    ) -> FinishedPages | None:
        """Finished incident pages, when this build can use them: a conversion cache, a key of
        this machine's, and no other plugin that reads or changes a page's text before it is
        built (it would find nothing of a finished page)."""
        conversions = self._cache(config, files)
        if conversions is None or not conversions.stores or _reads_pages(others, after):
            return None
        folder = conversions.folder.parent / FINISHED_PAGES
        return self._reused(FinishedPages(folder, conversions.build_key, conversions.secret, files))

    def _reused(self, made: _Kept) -> _Kept:
        """In `mkdocs serve`, the same cache as the build before (its folder, settings and key):
        its packs are not read through again, 30 ms a rebuild at 5,000 postmortems."""
        if not self.serving:
            return made
        before = self.kept.get(type(made))
        if isinstance(before, type(made)) and before.same_as(made):
            before.now, before.files = made.now, made.files
            before.taken_again()
            return before
        self.kept[type(made)] = made
        return made

    def converted_before(self) -> bool:
        """Whether an earlier build left converted pages (on this machine, or restored from a CI
        cache): then most pages are found converted, and few workers, if any, start."""
        folder, secret = self.settings.cache_dir, self.secret
        return (
            folder is not None
            and secret is not None
            and holds_packs(folder / CONVERTED_PAGES, secret)
        )

    def remove_unused(self) -> None:
        """A one-off build has used every entry it will: those no build used for a while go."""
        for kept in (self.cache, self.finished):
            if kept is not None:
                kept.remove_unused()

    def stop_recording(self) -> None:
        """The build has converted its pages: nothing more is recorded for the cache."""
        self.recorder.records, self.converting = None, None
        for logger in _RECORDED_LOGGERS:
            logger.removeHandler(self.recorder)


def _runs_first(plugins: list[object], event_name: str) -> bool:
    """Whether any of `plugins` handles the page event `event_name` before pmkb does, or may
    (pmkb's handlers of `on_page_content` and `on_page_context` have priority 100; at the same
    priority, MkDocs runs the plugins in the order they are listed)."""
    return any(priority >= 100 for priority in _priorities(plugins, event_name))


def _runs_last(plugins: list[object], after: list[object], event_name: str) -> bool:
    """Whether any of `plugins` handles the page event `event_name` after pmkb does: at a lower
    priority than pmkb's -100 (MkDocs' "last", at which pmkb takes a page's Markdown in
    `on_page_markdown`), or at -100 and listed `after` pmkb (as hooks always are)."""
    return any(priority < -100 for priority in _priorities(plugins, event_name)) or any(
        priority <= -100 for priority in _priorities(after, event_name)
    )


def _priorities(plugins: list[object], event_name: str) -> Iterator[int]:
    """The priorities of `plugins`' handlers of `event_name`, as `mkdocs.plugins.event_priority`
    gives them (0 if not)."""
    for plugin in plugins:
        event = getattr(plugin, event_name, None)
        methods = event.methods if isinstance(event, CombinedEvent) else (event,)
        yield from (getattr(m, "mkdocs_priority", 0) for m in methods if m is not None)


def _reads_pages(others: list[object], after: list[object]) -> bool:
    """Whether another plugin may read or change a page's text, its file's, its Markdown or its
    converted HTML (`page.markdown`, `page.content`) before the theme builds it, or read an
    incident file's text once pmkb has planned the pages (an `on_nav` after pmkb's): then every
    incident page reaches it as converting it in MkDocs' loop leaves it, not as a finished page or
    a worker's, which hold no Markdown."""
    reading = ("on_pre_page", "on_page_read_source", "on_page_markdown", "on_page_content")
    return handle(others, reading) or _runs_last(others, after, "on_nav")


def handle(plugins: list[object], events: tuple[str, ...]) -> bool:
    """Whether any of `plugins` handles any of `events`."""
    # As MkDocs registers them: a plugin handles the events it has methods for.
    return any(hasattr(plugin, event) for plugin in plugins for event in events)


def _restored(page: Page, found: Converted, files: Files) -> str:
    """The HTML of a page from a cache, with what its conversion set on the page and logged."""
    page.toc = found.table_of_contents()
    page.present_anchor_ids = set(found.anchors)
    if found.links is not None:
        page.links_to_anchors = {
            target: dict(links)
            for uri, links in found.links.items()
            if (target := files.get_file_from_path(uri)) is not None
        }
    replay(found.records)
    return found.html


def split_front_matter(text: str) -> tuple[str, str]:
    """A generated page's front matter (its `---` lines included) and what MkDocs converts of it,
    split as MkDocs' reader splits them. pmkb writes its front matter as one line of JSON, which
    YAML reads as a mapping: where it ends is known without parsing it."""
    head = front_matter_block(text)
    return (head, text[len(head) :].lstrip("\n")) if head else ("", get_data(text)[0])


def front_matter_values(head: str) -> dict[str, Any]:
    """The values of a front matter pmkb wrote (`---` lines included), as MkDocs' YAML reader
    reads them. pmkb writes one line of JSON, whose values YAML reads alike: read as JSON, five
    times faster (at 5,000 postmortems, MkDocs' reader took 0.4 s of each build)."""
    try:
        values = json.loads(head[4:-5])
    except ValueError:
        values = None
    return values if isinstance(values, dict) else get_data(head)[1]
