"""The MkDocs plugin: adds the knowledge base's pages to a MkDocs build. It only translates."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import date
from functools import lru_cache, partial
from html import escape
from pathlib import Path
from typing import Any

from mkdocs.config.base import ConfigErrors, ConfigWarnings, ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data
from mkdocs.utils.templates import TemplateContext

from .. import parallel
from ..cache_key import KEY_VARIABLE, cache_secret, never_kept
from ..clock import build_date
from ..digests import digest
from ..findings import Level
from ..kept import OTHER_PAGES
from ..parallel import collector_paused, started_again
from ..paths import resolved
from ..read.knowledge import KnowledgeBase, ParseCache, load
from ..read.project import option_marks
from ..settings import (
    PmkbConfig,
    Settings,
    SettingsError,
    config_findings,
    settings_from,
    with_docs_dir,
)
from ..site import search_index
from ..site.blocks import fill, unsearched
from ..site.build_log import summary_line
from ..site.feeds import (
    MEDIA_TYPE,
    SITE_TITLE,
    FeedLink,
    FeedSite,
    PageFeeds,
    is_feed,
    link_title,
    site_feed,
)
from ..site.pages.assets import asset_pages
from ..site.pages.base import GeneratedPage
from ..site.pages.incident import compact_search
from ..site.pages.on_this_day import OnThisDay, place, places
from ..site.render import Renderer
from ..urls import Site
from . import dirty_search, left_behind
from .conversion_cache import ConversionCache
from .conversions import Conversions, handle
from .filled_page import FilledPage
from .idle_collection import IdleCollection
from .lazy_files import GeneratedFile, RenderedOnRead
from .other_pages import LaterPages, OtherPages
from .page_links import link_targets
from .watched_files import WatchedFiles

log = get_plugin_logger(__name__)

# How many sets of inputs an incident page remembers the content of, in `serve --dirty`: an author
# saving as they type and undoing goes back a few saves.
_KNOWN_INPUTS = 8


# MkDocs' BasePlugin.__init_subclass__ (which reads the config class) is untyped.
class PmkbPlugin(BasePlugin[PmkbConfig]):  # type: ignore[no-untyped-call]
    """Publishes the postmortems folder as incident, listing, service and factor pages."""

    def __init__(self) -> None:
        self.cache: ParseCache | None = ParseCache()
        self.settings: Settings | None = None
        self.docs_placed = ""  # see on_config
        self.today = date.today()
        self.listing_files: list[File] = []
        # Per generated page: pmkb's HTML blocks, waiting for the page to be converted.
        self.blocks: dict[str, tuple[str, ...]] = {}
        self.search_entries: dict[str, Callable[[], str]] = {}
        # Per catalog page, the blocks Material's search leaves out: cut from what it reads.
        self.unsearched: dict[str, tuple[str, ...]] = {}
        self.cut_unsearched = False  # whether the build's search plugin is Material's
        self.search_plan: search_index.SearchPlan | None = None  # `search: faceted`
        # An incident page's own HTML, set aside while the search plugin reads its short entry.
        self.content_aside: str | None = None
        # Per generated page, its content as UTF-8 from its conversion until it is built; not
        # when another plugin may read the pages' content in between.
        self.held: dict[str, bytes] = {}
        self.holding = True
        # `mkdocs serve --dirty`: what the previous build made, to tell which pages changed.
        self.dirty_serve = False
        # `mkdocs build --dirty` (or `gh-deploy --dirty`): it builds every page of pmkb's, and
        # the site's own that changed, over the site of the build before.
        self.dirty_build = False
        # Its pages' URLs, as of the last build; the pages built since; the search index's entries
        # as the last build left them (see dirty_search).
        self.served_pages: list[str] | None = None  # in the order MkDocs builds them
        self.built_pages: dict[str, bool] = {}  # by URL: whether the theme's search indexes it
        self.search_entries_served: list[dict[str, Any]] | None = None
        # The files pmkb's pages wrote into the site, and every file of the site, in the build
        # under way; what pmkb wrote before (see left_behind).
        self.own_files: set[str] = set()
        self.site_files: set[str] = set()
        self.own_files_served: set[str] = set()
        # `mkdocs build --dirty`: when the build that kept `titles` ended (see left_behind).
        self.titles_ended = 0
        self.faceted_served = False  # whether the last build wrote the faceted search's files
        # Whether its files are still there, the build having failed to remove them.
        self.faceted_left = False
        # `mkdocs build --dirty` after a build that stopped part way: every page is built again.
        self.index_all = False
        self.digests: dict[str, str] = {}  # per generated file, its content at the last build
        self.made_digests: dict[str, str] = {}  # the same, for the build under way
        # Per incident page, the digests of its content by the digest of what it was made from,
        # in the builds of this session with this configuration (the newest few): an edit undone
        # gives the page inputs it had before, and the content they made.
        self.known: dict[str, dict[str, str]] = {}
        self.titles: dict[str, str] = {}  # per page, its title when it was last built
        # A one-off build: the pages whose title the configuration gives (`nav`), at every build.
        self.nav_titled: set[str] = set()
        self.made_titles: dict[str, str] = {}
        self.shape: str | None = None  # the configuration, theme and navigation of the last build
        # The same, for which the site's own pages were last all built: None before the first
        # build, "" after a build that stopped part way.
        self.own_shape: str | None = None
        self.shape_compared = False  # set in on_nav; a file asked before then counts as modified
        self.files_seen: Files | None = None  # the site's files as of on_nav (where links lead)
        self.config_shape = ""
        # The listing, catalog, trend and export pages last made, kept for the next build.
        self.other_pages = OtherPages(remember=False)
        self.later: LaterPages | None = None  # those of them another process is making
        # The key that seals what pmkb keeps of its own HTML (finished and other pages), read once
        # a build: the one given in PMKB_CACHE_KEY, else this machine's; None when there is none
        # yet, or no cache.
        self.secret: bytes | None = None
        # Where this build's generated pages get their HTML: made anew in each build's on_config.
        self.conversions: Conversions | None = None
        # The conversion cache and finished pages of the last `serve` build, by kind (see
        # `Conversions`): a rebuild with the same settings takes them and their index.
        self.kept_caches: dict[type, ConversionCache] = {}
        self.serving = False
        # `mkdocs serve`: the conversion key of the last build that ended (see `planned`).
        self.served_key: str | None = None
        # `mkdocs serve`: the faceted index is written beside the served site while the reader
        # looks at the page, from the words of the pages the rebuild did not write again.
        self.search_cache: search_index.PageCache | None = None
        self.indexing: threading.Thread | None = None
        # `mkdocs serve`: the last build's garbage is collected while nothing is built.
        self.idle: IdleCollection | None = None
        # Per page, the feeds its <head> announces besides the site's; the feeds' files by path.
        self.feed_links: PageFeeds | None = None
        self.feed_files: dict[str, File] = {}
        # The "on this day" block, made when a page of the site's own places it; in `serve
        # --dirty`, a digest of what it showed at the last build and at this one.
        self.on_this_day: OnThisDay | None = None
        self.shown: str | None = None
        self.made_shown: str | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this instance across `mkdocs serve` rebuilds, and with it the
        # cache; a one-off build has nothing to reuse, so it keeps no parsed files in memory.
        self.cache = ParseCache() if command == "serve" else None
        self.serving = command == "serve"
        self.dirty_serve = command == "serve" and dirty
        self.dirty_build = command != "serve" and dirty
        # One bound method for every generated file, not one made for each of thousands.
        self.changed = self._changed
        self.search_cache = search_index.PageCache() if self.serving else None
        self.digests, self.titles, self.shape, self.known = {}, {}, None, {}
        self.own_shape, self.served_key = None, None
        self.own_files_served, self.faceted_served, self.faceted_left = set(), False, False
        self.index_all = False
        self.other_pages = OtherPages(remember=self.serving)
        self.shown = None
        self.idle = IdleCollection() if self.serving else None

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[ConfigErrors, ConfigWarnings]:
        # MkDocs validates the options through PmkbConfig and shows each error after the option's
        # name; the error is shown as the finding `pmkb check` prints for it, code and all.
        errors, warnings = super().load_config(options, config_file_path)
        marks: dict[str, tuple[int, int]] = {}
        if errors and config_file_path:
            with suppress(OSError, UnicodeDecodeError):
                marks = option_marks(Path(config_file_path).read_text(encoding="utf-8"))
        found = config_findings(errors, Path(config_file_path or "mkdocs.yml").name, marks)
        shown: ConfigErrors = [
            (key, ValidationError(f.format_text()))
            for (key, _), f in zip(errors, found, strict=True)
        ]
        return shown, warnings

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if started_again():
            # Ended at once and without a traceback, not after reading every postmortem: the
            # build that started this worker does its share itself.
            raise SystemExit(
                "pmkb: a worker process ran the script that starts the build again, and would "
                "build the site a second time: put the build under "
                '`if __name__ == "__main__":` (as Python\'s multiprocessing asks of scripts '
                "that start processes), or set the pmkb option `workers: 0`"
            )
        # The folder of the file mkdocs.yml leads to, when it is a link; the working folder for a
        # configuration read from standard input (`mkdocs build -f -`, whose path MkDocs gives as
        # "" and reads relative paths from there).
        path = config.config_file_path
        root = resolved(path).parent if path else resolved(os.getcwd())
        try:
            source = Path(config.config_file_path or "mkdocs.yml").name
            self.settings = with_docs_dir(
                settings_from(self.config, root),
                config.docs_dir,
                config.use_directory_urls,
                source,
            )
            # Read once, here, so that a bad SOURCE_DATE_EPOCH stops the build with its finding.
            self.today = build_date()
        except SettingsError as exc:
            raise PluginError("pmkb: invalid configuration\n" + str(exc)) from None
        self.docs_placed = _docs_placed(config)
        self.listing_files = []
        self.blocks = {}
        self.held = {}
        self.search_entries, self.unsearched = {}, {}
        self.made_digests, self.made_titles = {}, {}
        self.shape_compared = False
        self._conversions_ended()
        self.secret = None
        if self.settings.cache_dir is not None:
            self.secret, problem = cache_secret()
            if problem is not None:
                log.warning(problem)
            reason = never_kept() if self.secret is None else None
            if reason is not None:
                log.info(
                    f"no key to seal what builds keep ({reason}): every build converts every "
                    f"page; set {KEY_VARIABLE} to give one"
                )
            self.other_pages.keep_in(
                _other_pages_file(self.settings.cache_dir, config, self.serving), self.secret
            )
        self.conversions = Conversions(
            self.settings,
            serving=self.serving,
            secret=self.secret,
            blocks=self.blocks,
            search_entries=self.search_entries,
            kept=self.kept_caches,
        )
        if self.dirty_serve:
            self.config_shape = _config_shape(config, self.config)
        site = Site(self.settings)
        config.extra_css.append(site.asset("pmkb.css"))
        config.extra_javascript.append(site.asset("pmkb.js"))
        if self.settings.faceted_search:
            config.extra_css.append(site.asset("pmkb-search.css"))
            config.extra_javascript.append(site.asset("pmkb-search.js"))
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        # Thousands of objects made at once (the knowledge base, its pages, a file for each), and
        # no reference cycles among them: paused, the collector does not go over the whole heap
        # part way through. At 5,000 postmortems every `serve` rebuild did, for 0.2-0.4 s of its
        # 1.4 s; paused here, one rebuild in three does.
        with collector_paused():
            return self._files_added(files, config)

    def _files_added(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        settings = self.settings
        # A one-off build reads and checks large knowledge bases in one process per CPU; `serve`
        # reads through its cache, in this process.
        try:
            kb = load(settings, self.cache, jobs=settings.jobs)
        except SettingsError as exc:  # the clock, read again where files are checked
            raise PluginError(f"pmkb: {exc}") from None
        _log_findings(kb)
        site = Site(settings, config.use_directory_urls)
        compact = compact_search(settings)
        feeds = FeedSite.of(config.site_url, config.site_name)
        if feeds is None:
            log.info("no Atom feeds: they need the site's address, which `site_url` sets")
        renderer = Renderer(kb, site, self.today, compact_search=compact, feeds=feeds)
        self.feed_links, self.feed_files = renderer.feed_links(), {}
        placing = _placing_pages(files)
        self.on_this_day = renderer.on_this_day() if placing else None
        if self.dirty_serve:
            self._placing_pages_follow(placing)
        elif self.dirty_build:
            # What the block shows may have changed since the build before (a postmortem
            # withdrawn, the build date), though the pages' files did not: they are few.
            for file in placing:
                _built_again(file)
        fillable: list[File] = []
        conversions = self.conversions
        assert conversions is not None
        # Incident pages are rendered as MkDocs reads them: the build never holds every incident's
        # Markdown at once. The other pages are rendered now.
        for source in renderer.incident_sources():
            render = partial(conversions.rendered, source)
            file = RenderedOnRead.of(config, source.src, render, InclusionLevel.NOT_IN_NAV)
            file.source = source
            search = source.search if source.searched else None
            self._add(file, files, config, "incident", source.source_path, search)
            fillable.append(file)
        self.cut_unsearched = not settings.faceted_search and _honours_exclude(config)
        pages, later = self._other_pages(renderer)
        pages += asset_pages(site)
        self.later = later
        self.search_plan = search_index.build_plan(kb, site, files)
        if self.search_plan is not None:
            pages += search_index.search_pages(site, self.search_plan)
        del renderer
        pages.reverse()
        while pages:
            page = pages.pop()  # each page's text is let go as soon as its file holds it
            inclusion = (
                InclusionLevel.NOT_IN_NAV if page.kind != "asset" else InclusionLevel.UNDEFINED
            )
            made: File
            if later is not None and page.src in later.srcs:
                made = later.file(config, page.src, inclusion)  # its text and blocks come later
            else:
                # UTF-8 bytes: MkDocs holds every generated file's content for the whole build,
                # and a str with one character beyond Latin-1 takes two bytes a character.
                content = page.content.encode("utf-8")
                made = GeneratedFile.generated(
                    config, page.src, content=content, inclusion=inclusion
                )
                self._blocks_kept(page)
            entry = None if page.search is None else partial(str, page.search)
            self._add(made, files, config, page.kind, page.source_path, entry)
            if made.is_documentation_page():
                fillable.append(made)
            if page.in_nav:
                self.listing_files.append(made)
            if is_feed(page.src):
                self.feed_files[page.src] = made
        # A page MkDocs finds made keeps its title: not made for a page `nav` names with a title.
        titled = _titled_in_nav(config.nav, files)
        filled_later = conversions.filled_later  # one bound method for every page
        for made_file in fillable:
            if id(made_file) not in titled:
                FilledPage(made_file, config, filled_later)
        log.log(*summary_line(kb, config.strict))
        # The same files, noting what each page's conversion looks up among them: a kept
        # conversion then stays good until a file it links to comes, goes or moves, not until
        # any file of the site does (see watched_files). Files of another plugin's own kind
        # (one that resolves links its own way) stay as they are: a copy would lose that way.
        return WatchedFiles(files) if type(files) is Files else files

    def _placing_pages_follow(self, placing: list[File]) -> None:
        """`serve --dirty`: the site's own pages that place the "on this day" block are built
        again when what it shows changed (a postmortem, the build date), not only when their
        file did, which is all MkDocs' --dirty looks at."""
        shown = self.made_shown = self.on_this_day.digest() if self.on_this_day else None
        if shown is None or shown == self.shown:
            return
        for file in placing:
            _built_again(file)

    def _other_pages(self, renderer: Renderer) -> tuple[list[GeneratedPage], LaterPages | None]:
        """The listing, catalog, trend and export pages, and the feeds: the pages of the last
        build (or `serve` rebuild) when what they are made from is unchanged (an edit to a
        postmortem's body, say), the feeds made again. Pages made anew are, in a one-off build
        of many postmortems that can fork, made by another process while this one goes on: filed
        as planned, their texts to come (the LaterPages returned). Only after a build that left
        converted pages (here, or in a CI cache): most pages are found converted, and the
        second CPU is idle. A first build's conversion workers keep it busy, and a forked
        process holding a copy of this one beside them took the peak memory from 1.0 to 1.4
        times plain MkDocs' at 5,000 postmortems."""
        assert self.settings is not None and self.conversions is not None
        jobs, count = self.settings.jobs, len(renderer.kb.postmortems)
        beside = (
            not self.serving
            and parallel.FORK
            and parallel.runs_in_parallel(count, jobs)
            and self.conversions.converted_before()
        )
        make = partial(renderer.other_pages, 1 if beside else jobs)
        found = self.other_pages.pages(renderer.other_inputs(), make, beside=beside)
        if isinstance(found, parallel.Beside):
            later = LaterPages(found, renderer.other_plan(), self._blocks_kept)
            return later.planned() + renderer.feeds(), later
        return found + renderer.feeds(), None

    def _blocks_kept(self, page: GeneratedPage) -> None:
        """A generated page's HTML blocks, kept until the page is converted; for a catalog page,
        those Material's search leaves out too, to be cut from what it reads."""
        if page.kind in ("asset", "data"):
            return
        self.blocks[page.src] = page.blocks
        if self.cut_unsearched and page.kind in ("service", "factor"):
            self.unsearched[page.src] = unsearched(page.blocks)

    def _add(
        self,
        file: File,
        files: Files,
        config: MkDocsConfig,
        kind: str,
        source_path: Path | None,
        search: Callable[[], str] | None,
    ) -> None:
        existing = files.get_file_from_path(file.src_uri)
        if existing is not None:
            log.warning(
                f"{file.src_uri} exists in docs_dir and is replaced by the page pmkb generates"
            )
            files.remove(existing)
        if self.dirty_serve and isinstance(file, GeneratedFile):
            file.changed = self.changed
        if source_path is not None:
            folder = _relative_folder(str(source_path.parent), self.docs_placed)
            if folder == ".":
                file.edit_uri = source_path.name
            elif folder is not None:  # None: on another drive, where no edit link can lead
                file.edit_uri = f"{folder}/{source_path.name}"
        if search is not None:
            self.search_entries[file.src_uri] = search
        files.append(file)

    def _changed(self, file: GeneratedFile) -> bool:
        """Whether a generated file's output may differ from the previous build's.

        Its digest covers all pmkb gives MkDocs for the page: the Markdown (an incident's is
        rendered here, and kept for the build if it changed), the blocks placed after
        conversion, the edit link, the search entry and the inclusion level. An incident page
        made from inputs (the postmortem, what related incidents are chosen by) it was made from
        before in this session takes the digest they made then, without being rendered: were it
        rendered, a page finished before from those inputs would be read as nothing.
        """
        src = file.src_uri
        inputs = self._page_inputs(file)
        if inputs is not None:
            known = self.known.get(src, {}).get(inputs)
            if self.shape_compared and known is not None:
                self.made_digests[src] = known
                return known != self.digests.get(src)
        content = file.content_bytes  # an incident's Markdown, rendered now; it sets the blocks
        made = self._made_from(file, content, inputs)
        if self.shape_compared and self.digests.get(src) == made:
            self.blocks.pop(src, None)  # the page is not converted: its blocks go
            return False
        file.content_bytes = content  # read once more when the page is made: not rendered again
        return True

    def _made_from(self, file: GeneratedFile, content: bytes, inputs: str | None) -> str:
        """The digest of the page `file` made as `content` from `inputs` (`_page_inputs`), noted
        for this build (and, by its inputs, for the next ones)."""
        src = file.src_uri
        # A page finished before is read as nothing, whatever it shows: its inputs tell it apart.
        finished = self.conversions is not None and self.conversions.was_finished(src)
        links = []
        if b".md" in content and self.files_seen is not None:
            links = link_targets(content.decode("utf-8"), src, self.files_seen)
        made = self.made_digests[src] = digest(
            content,
            self.conversions.meta_text(src) if self.conversions is not None else "",
            inputs if finished and inputs is not None else "",
            *links,
            src,
            file.edit_uri or "",
            str(file.inclusion),
            self.search_entries[src]() if src in self.search_entries else "",
            *self.blocks.get(src, ()),
        )
        if inputs is not None and self.shape_compared:
            self._known_as(src, inputs, made)
        return made

    def _page_inputs(self, file: GeneratedFile) -> str | None:
        """A digest of what an incident page not yet rendered is made from, and of where its
        body's links lead: a file it links to may come, go or move while nothing the page is
        made from changes. None for any other file."""
        if not isinstance(file, RenderedOnRead) or file.render is None or file.source is None:
            return None
        inputs = file.source.inputs()
        if self.files_seen is not None:
            body = file.source.body()
            inputs = digest(inputs, *link_targets(body, file.src_uri, self.files_seen))
        return inputs

    def _known_as(self, src: str, inputs: str, made: str) -> None:
        by_inputs = self.known.setdefault(src, {})
        by_inputs[inputs] = made
        if len(by_inputs) > _KNOWN_INPUTS:
            del by_inputs[next(iter(by_inputs))]  # the oldest

    def _all_built(self, files: Files) -> None:
        """A `serve --dirty` build with nothing to compare to (the session's first, or the first
        since the configuration changed) builds every page. An incident page is not rendered to
        tell so: its digest is made once it is rendered to be converted, here or by a worker."""
        for file in files:
            if not (isinstance(file, RenderedOnRead) and file.changed is not None):
                continue
            inputs = self._page_inputs(file)
            if inputs is None or file.render is None:
                continue
            file.render = partial(self._digested, file, file.render, inputs)
            file.take_verdict(True)

    def _digested(self, file: GeneratedFile, render: Callable[[], str], inputs: str) -> str:
        text = render()
        self._made_from(file, text.encode("utf-8"), inputs)
        return text

    # First, so that every plugin finds an incident page's front matter as MkDocs would have read
    # it: pmkb gives MkDocs the page without it (see Conversions.rendered).
    @event_priority(100)
    def _meta_given(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> None:
        if self.conversions is not None and page.file.generated_by == "pmkb":
            self.conversions.meta(page)

    # Last, so that the Markdown looked up is the one MkDocs converts, whatever other plugins did.
    @event_priority(-100)
    def _markdown_taken(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if page.file.generated_by != "pmkb":
            return self._on_this_day_placed(markdown, page)
        if not page.file.is_documentation_page():
            return None
        # MkDocs has copied a generated page's Markdown into the page; the file's copy is not read
        # again (pages are not copied as static files), and at thousands of incidents holding both
        # for the whole build costs tens of megabytes.
        page.file.content_bytes = b""
        assert self.conversions is not None
        return self.conversions.markdown(markdown, page, config, files)

    on_page_markdown = CombinedEvent(_meta_given, _markdown_taken)

    def _on_this_day_placed(self, markdown: str, page: Page) -> str | None:
        """A page of the site's own, with the "on this day" block where its marker stands: its
        headings in the Markdown, its HTML as blocks filled in once the page is converted."""
        if self.on_this_day is None:
            return None
        src = page.file.src_uri
        placed = place(markdown, partial(self.on_this_day.rendered, src))
        if placed is None:
            return None
        self.blocks[src] = placed.blocks
        return placed.markdown

    # First, so that every other plugin sees the page as it will be published: what the page's
    # Markdown became is sanitized, then pmkb's own HTML blocks take their placeholders' places.
    @event_priority(100)
    def _page_is_made_safe(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        src_uri = page.file.src_uri
        if page.file.generated_by != "pmkb":
            # The site's own page, not sanitized: only the "on this day" block it may place.
            return fill(html, self.blocks.pop(src_uri, ()))
        assert self.conversions is not None
        return self.conversions.html(html, page, config, files)

    # Last, after every plugin has seen the converted page: a generated page's Markdown (pmkb's
    # own intermediate text, not the postmortem's file) is let go, and its HTML is held as UTF-8
    # until the page is built. MkDocs converts every page before it builds the first, and reads
    # neither in between: at 5,000 incidents the Markdown is 85 MB, and the HTML, text of two
    # bytes a character (a dash is enough), 105 MB where UTF-8 takes 53.
    @event_priority(-100)
    def _markdown_is_let_go(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if (self.dirty_serve or not self.serving) and page.title is not None:
            self.made_titles[page.file.src_uri] = page.title
        if page.file.generated_by != "pmkb":
            return html
        if page.markdown is not None:
            page.markdown = ""
        if not self.holding:
            return html
        self.held[page.file.src_uri] = html.encode("utf-8", "surrogatepass")
        return ""

    on_page_content = CombinedEvent(_page_is_made_safe, _markdown_is_let_go)

    # First, before any plugin reads the page's content to build it: the content held since the
    # page was converted, or an incident page's HTML, made as the page is built.
    @event_priority(100)
    def _content_comes_back(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        held = self.held.pop(page.file.src_uri, None)
        if held is not None:
            page.content = held.decode("utf-8", "surrogatepass")
        if self.conversions is not None:
            placed = self.conversions.placed(page, config)
            if placed is not None:
                page.content = placed
        return context

    # Compact search: the search plugin (Material's or MkDocs', both at the default priority 0)
    # reads `page.content` in its on_page_context. Around it, an incident page's content is its
    # short search entry, so the index holds one entry per incident and the search plugin does
    # not parse the whole page; the theme then renders the page's own content. So, with
    # Material's search, a catalog page without the tables it leaves out. Other plugins at
    # priority 0 that read the content in this event see the short version too.
    @event_priority(1)
    def _search_reads_entry(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.search_plan is not None and page.file.generated_by == "pmkb":
            page.meta["search"] = {"exclude": True}  # in the faceted index, or a listing
        entry = self.search_entries.get(page.file.src_uri)
        cut = self.unsearched.pop(page.file.src_uri, ())
        if entry is not None:
            self.content_aside, page.content = page.content, entry()
        elif cut and page.content is not None:
            # A service's or factor's page without the tables the search leaves out: the same
            # entries, 0.2 s less of every build at 5,000 postmortems (30 pages).
            content = page.content
            for block in cut:
                content = content.replace(block, "", 1)
            self.content_aside, page.content = page.content, content
        return context

    @event_priority(-1)
    def _page_gets_content_back(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.content_aside is not None:
            page.content, self.content_aside = self.content_aside, None
        return context

    on_page_context = CombinedEvent(
        _content_comes_back, _search_reads_entry, _page_gets_content_back
    )

    # Before other plugins (a minifier, say) see the page: the links are part of its <head>.
    @event_priority(50)
    def _feeds_announced(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        """Every page announces the site's feed in its <head>; a service's, factor's or incident's
        page its own feeds too, so that a reader or a browser finds them from the page."""
        links = [FeedLink(site_feed(), link_title(SITE_TITLE))]
        if self.feed_links is not None:
            links += self.feed_links.get(page.file.src_uri)
        found = [(self.feed_files.get(link.src), link.title) for link in links]
        tags = "".join(
            f'<link rel="alternate" type="{MEDIA_TYPE}" title="{escape(title)}" '
            f'href="{escape(file.url_relative_to(page.file))}">'
            for file, title in found
            if file is not None
        )
        end = output.find("</head>")
        if not tags or end == -1:
            return output
        return output[:end] + tags + output[end:]

    # Last, once every plugin has seen the page built: MkDocs holds each page's content to the
    # end of the build and reads it no more (see `_markdown_is_let_go`).
    @event_priority(-100)
    def _content_is_let_go(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        if self.dirty_serve or self.dirty_build:
            search = page.meta.get("search")
            excluded = isinstance(search, dict) and bool(search.get("exclude"))
            self.built_pages[page.url] = not (excluded and _honours_exclude(config))
        if page.file.generated_by == "pmkb":
            page.content = ""
        return output

    on_post_page = CombinedEvent(_feeds_announced, _content_is_let_go)

    def _listing_pages_joined(
        self, nav: Navigation, /, *, config: MkDocsConfig, files: Files
    ) -> Navigation:
        # Listing pages join the navigation unless the user's `nav` already places them.
        placed = {id(p.file) for p in nav.pages}
        for file in self.listing_files:
            # Placed already, or taken out of the site by a plugin after pmkb's `on_files`
            # (mkdocs-exclude), or excluded: a link to it would lead nowhere.
            if (
                id(file) in placed
                or files.get_file_from_path(file.src_uri) is not file
                or file.inclusion is InclusionLevel.EXCLUDED
            ):
                continue
            page = file.page if isinstance(file.page, Page) else Page(None, file, config)
            nav.items.append(page)
            nav.pages.append(page)
        _relink(nav.pages)
        if self.dirty_serve or not self.serving:
            written = [f for f in files if f.inclusion is not InclusionLevel.EXCLUDED]
            self.site_files = {f.dest_uri for f in written}
            self.own_files = {f.dest_uri for f in written if f.generated_by == "pmkb"}
        if self.dirty_serve or self.dirty_build:
            for file in written:
                # A file of the site's own at the address of a page pmkb made last time (a
                # postmortem deleted that took it): newer, pmkb's output would hide it from
                # MkDocs' test of what changed, and its title would be taken for the file's.
                if (
                    file.generated_by != "pmkb"
                    and file.dest_uri in self.own_files_served
                    and not left_behind.removed(Path(file.abs_dest_path))
                ):
                    self.own_files.add(file.dest_uri)  # for the next build to remove
        if self.dirty_serve or not self.serving:
            # Before the build writes: another plugin may write a file at such an address once
            # the site is built (mkdocs-redirects, a page at a renamed postmortem's old address).
            # A clean build's site folder was emptied, but for what the system would not remove.
            # What could not be removed stays pmkb's, for the next build to remove.
            site_dir = Path(config.site_dir)
            self.own_files |= left_behind.taken_out(
                site_dir, self.own_files_served - self.site_files
            )
        if self.dirty_serve or self.dirty_build:
            built = InclusionLevel.is_in_serve if self.serving else InclusionLevel.is_included
            pages = files.documentation_pages(inclusion=built)
            self.served_pages = [f.page.url if f.page is not None else f.url for f in pages]
        if not self.serving:
            self.nav_titled = {page.file.src_uri for page in nav.pages if page.title is not None}
            # Before the build writes: should it stop part way (an error, or stopped), the next
            # --dirty build takes out what it may have written all the same.
            own = self.own_files_served | self.own_files
            self._site_files_kept(config, own, self.titles, self.titles_ended)
        if self.dirty_build and self.index_all:
            for file in files.documentation_pages(inclusion=InclusionLevel.is_included):
                if file.generated_by != "pmkb":
                    _built_again(file)
        if self.dirty_build:
            for page in nav.pages:
                if page.title is not None or page.file.is_modified():
                    continue
                title = self.titles.get(page.file.src_uri)
                if title is not None and not self._written_since_titles(page.file):
                    page.title = title
                elif self.settings is not None and self.settings.cache_dir is not None:
                    # Its title as the site shows it is not known (another build wrote the page
                    # since, or none kept its title): it is built again, as a clean build would.
                    _built_again(page.file)
        if self.dirty_serve:
            # Before the navigation is compared: it asks whether the pages it lists changed, and
            # a page says so once a build, by where its links lead among these files too.
            self.files_seen = files
            self._nav_is_compared(nav, files)
            if not self.digests:
                self._all_built(files)
        return nav

    # Last, once every other plugin has settled the navigation: which incident pages it lists
    # decides which are converted in MkDocs' loop (see `Conversions.planned`).
    @event_priority(-100)
    def _conversions_planned(
        self, nav: Navigation, /, *, config: MkDocsConfig, files: Files
    ) -> Navigation:
        # A plugin turned off (Material's `enabled: false`, `enabled: !ENV [CI, false]` for its
        # social cards) does nothing in its handlers: it is not counted as reading pages.
        listed = [p for p in config.plugins.values() if p is self or not _turned_off(p)]
        at = next(n for n, plugin in enumerate(listed) if plugin is self)
        others = listed[:at] + listed[at + 1 :]
        self.holding = not handle(others, ("on_env",))
        if self.conversions is not None:
            every_page = not self.dirty_serve or not self.digests
            self.conversions.planned(
                config,
                files,
                nav,
                others,
                after=listed[at + 1 :],
                every_page=every_page,
                key_before=self.served_key,
            )
        return nav

    on_nav = CombinedEvent(_listing_pages_joined, _conversions_planned)

    def on_pre_page(self, page: Page, /, *, config: MkDocsConfig, files: Files) -> Page | None:
        if self.conversions is not None:
            self.conversions.reaching(page.file.src_uri)
        return page

    def _site_files_kept(
        self, config: MkDocsConfig, own: set[str], titles: dict[str, str], ended: int | None = None
    ) -> None:
        """Keep in cache_dir, for the next `mkdocs build --dirty` of the site folder, the files
        pmkb's pages wrote there, the pages' titles, and when they were written (None: now)."""
        if self.settings is None or self.settings.cache_dir is None:
            return
        # Not the pages' own: once `nav` no longer gives it, the page is built again.
        titles = {src: t for src, t in titles.items() if src not in self.nav_titled}
        faceted = self.search_plan is not None or self.faceted_left
        site_dir = Path(config.site_dir)
        left_behind.keep_made(self.settings.cache_dir, site_dir, own, titles, faceted, ended)

    def _written_since_titles(self, file: File) -> bool:
        """Whether the page of `file` was written since the build that kept the titles ended: by
        a build that keeps none (another configuration's, one that stopped part way)."""
        try:
            return os.stat(file.abs_dest_path).st_mtime_ns > self.titles_ended
        except OSError:
            return True

    def _nav_is_compared(self, nav: Navigation, files: Files) -> None:
        """A `serve --dirty` build: when the configuration, the theme or the navigation (with the
        titles it shows) changed, every generated page counts as modified; otherwise the pages
        that are not built again keep their titles, which the navigation of the pages that are
        shows."""
        # Files the served site leaves out (an editor's `.index.md.swp`, say) change neither a
        # page nor where a link leads (`InclusionLevel.is_in_serve`, which has no types).
        own = sorted(
            f.src_uri
            for f in files
            if f.generated_by is None and f.inclusion.value >= InclusionLevel.DRAFT.value
        )
        # A title the navigation shows (the home page's heading, an incident's title when the
        # navigation lists it) is on every page: it is part of the shape too.
        titles = [(page.file.src_uri, self._nav_title(page)) for page in nav.pages]
        shape = digest(repr((self.config_shape, _nav_shape(nav.items), own, titles)))
        if shape != self.shape:
            self.digests, self.known, self.shape = {}, {}, shape
        # The site's own pages too: MkDocs' --dirty goes by their files' times, and would leave
        # them as the last configuration built them (under use_directory_urls turned off, the
        # home page at its old address, its search entry gone with it). Drafts as well, which
        # `serve` builds (`draft_docs`); and another plugin's pages read from a file
        # (`File.generated(..., abs_src_path=...)`), which MkDocs too goes by the file's time for.
        if self.own_shape is not None and self.own_shape != shape:
            for file in files.documentation_pages(inclusion=InclusionLevel.is_in_serve):
                if file.generated_by != "pmkb":
                    _built_again(file)
        self.own_shape = shape
        self.shape_compared = True
        for page in nav.pages:
            title = self.titles.get(page.file.src_uri)
            if page.title is None and title is not None and not page.file.is_modified():
                page.title = title

    def _nav_title(self, page: Page) -> str | None:
        """What tells the title the navigation will show for `page`, before MkDocs reads it: the
        title set in mkdocs.yml, or the page's text (for a page pmkb generates, its front matter
        alone). Read the same way at every build, so that a page the last build did not read
        compares alike."""
        file = page.file
        if page.title is not None:
            return str(page.title)
        try:
            head = file.source.head() if isinstance(file, RenderedOnRead) and file.source else None
            return _source_title(head if head is not None else file.content_string)
        except (OSError, ValueError):  # MkDocs says so when it reads the page
            return None

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self._index_written()  # one writer of the index at a time
        if self.serving:
            return
        # What the builds before left of pmkb's in the site: a --dirty build writes over it, and
        # a file MkDocs could not remove as it empties the folder for a clean build is still
        # there (a withdrawn postmortem with it).
        site_dir = Path(config.site_dir)
        settings = self.settings
        cache_dir = None if settings is None else settings.cache_dir
        made = None if cache_dir is None else left_behind.made_before(cache_dir, site_dir)
        self.own_files_served = set() if made is None else made.own
        if self.dirty_build:
            index = site_dir / "search" / "search_index.json"
            self.search_entries_served = dirty_search.previous_entries(index)
            # An index there and unreadable (cut short): the site's pages are all indexed again.
            self.index_all = self.search_entries_served is None and index.exists()
            self.titles = {}
            if made is not None:
                self.titles, self.titles_ended = made.titles, made.ended
                if not made.indexed:
                    # The build before stopped part way: the search index in the site is not
                    # the whole site's, and every page is built again for the theme to index.
                    self.search_entries_served, self.index_all = None, True
                if made.faceted and settings is not None and not settings.faceted_search:
                    # The faceted search is no longer the site's (its option changed): nor its
                    # files, which hold every page it indexed (a postmortem withdrawn since).
                    folder = site_dir / search_index.INDEX_FOLDER
                    self.faceted_left = not left_behind.folder_removed(folder)

    def _build_ended(self, *, config: MkDocsConfig) -> None:
        if self.conversions is not None:
            if self.serving and self.conversions.cache is not None:
                self.served_key = self.conversions.cache.build_key
            self.conversions.close()  # every page is built
            self.conversions.stop_recording()
        self.on_this_day = None
        if self.search_plan is not None and self.serving:
            # The page an author saved reloads now; the search index follows seconds later.
            site_dir, plan, cache = Path(config.site_dir), self.search_plan, self.search_cache
            self.indexing = threading.Thread(
                target=_write_index_logged, args=(site_dir, plan, cache), name="pmkb-index"
            )
            self.indexing.start()
        elif self.search_plan is not None:
            jobs = self.settings.jobs if self.settings is not None else 1
            search_index.write(Path(config.site_dir), self.search_plan, jobs=jobs)
        if not self.serving and self.conversions is not None:
            self.conversions.remove_unused()
        # The site now holds what this build made: the next `serve --dirty` build compares with it.
        if self.dirty_serve:
            self.digests, self.made_digests = self.made_digests, {}
            self.titles.update(self.made_titles)
            self.made_titles = {}
            self.files_seen = None
            self.shown = self.made_shown
            self.own_files_served = self.own_files
            if self.search_plan is None and self.faceted_served:
                # The faceted search is no longer the site's (its option changed): nor its files.
                folder = Path(config.site_dir) / search_index.INDEX_FOLDER
                self.faceted_left = not left_behind.folder_removed(folder)
            self.faceted_served = self.search_plan is not None or self.faceted_left

    # Last, after Material's search plugin has written its index (see dirty_search), and what
    # the site holds is kept for the next --dirty build.
    @event_priority(-100)
    def _dirty_search_index_mended(self, *, config: MkDocsConfig) -> None:
        whole = True
        if (self.dirty_serve or self.dirty_build) and self.served_pages is not None:
            index = Path(config.site_dir) / "search" / "search_index.json"
            built, self.built_pages = self.built_pages, {}
            self.search_entries_served, whole = dirty_search.mended(
                index, self.served_pages, built, self.search_entries_served
            )
        if not self.serving:
            # Once the site is whole, its search index too: what the next --dirty build builds on.
            # (Not whole: the next --dirty build builds every page again.)
            titles = {**self.titles, **self.made_titles} if self.dirty_build else self.made_titles
            ended = None if whole else self.titles_ended
            self._site_files_kept(config, self.own_files, titles, ended)

    # After every other plugin's on_post_build too (the "last" of MkDocs' convention is -100):
    # the wait for the idle collection counts from the build's end, not from within it, where
    # Material's search index and pmkb's mended one may be written for longer than the wait.
    @event_priority(-1000)
    def _idle_from_now(self, *, config: MkDocsConfig) -> None:
        if self.idle is not None:
            self.idle.after_build()

    on_post_build = CombinedEvent(_build_ended, _dirty_search_index_mended, _idle_from_now)

    def on_shutdown(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self._index_written()
        self._conversions_ended()
        if self.serving and self.conversions is not None:
            # A `serve` session's builds each store what they convert in a pack of their own:
            # looked over as a one-off build does its own, once the author stops the server.
            self.conversions.remove_unused()
        # What the last build made its pages from goes now, not with the interpreter: MkDocs
        # holds this plugin to the end of the process, which at 5,000 postmortems then took
        # 0.3 s longer to exit.
        self.conversions, self.search_entries, self.listing_files = None, {}, []
        self.unsearched = {}

    def _index_written(self) -> None:
        if self.indexing is not None:
            self.indexing.join()
            self.indexing = None

    def on_build_error(self, *, error: Exception) -> None:
        self._conversions_ended()
        # A build that stopped part way: the next one converts every generated page again. A page
        # it converted may be written already, and not be read again: its title is the new one.
        self.digests, self.shape = {}, None
        if self.own_shape is not None:
            self.own_shape = ""  # some of the site's own pages may not have been built again
        self.titles.update(self.made_titles)
        self.shown, self.on_this_day = None, None
        # The search index was not written: the next one keeps the entries it has of the pages
        # this build wrote (old until they are built again), rather than none.
        self.built_pages = {}
        # It may have written any of its files: those it no longer makes go at the next build.
        self.own_files_served |= self.own_files

    def _conversions_ended(self) -> None:
        """The last build's workers stopped and its recording ended, however it ended."""
        if self.later is not None:
            self.later.close()
            self.later = None
        if self.conversions is not None:
            self.conversions.close()
            self.conversions.stop_recording()

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        if self.settings is not None:
            for path in (
                self.settings.postmortems_dir,
                self.settings.services_file,
                self.settings.factors_file,
            ):
                if path.exists():
                    server.watch(str(path))
        return server


def _docs_placed(config: MkDocsConfig) -> str:
    """docs_dir where the repository holds it, which `edit_uri` names, in the resolved project
    folder (the one mkdocs.yml is in, as MkDocs reads it, even a link to a file elsewhere), as
    the postmortems' folders are resolved: written inside the project, as written, links on the
    way and all (`site-src/docs` is there, whatever `site-src` leads to); written elsewhere (an
    absolute path through a link), by its folder resolved, not itself: it may be a link."""
    project = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
    docs = Path(config.docs_dir)
    with suppress(ValueError):  # Windows: on another drive
        inside = os.path.relpath(docs, project)
        if inside != ".." and not inside.startswith(".." + os.sep):
            return str(resolved(project) / inside)
    return str(resolved(docs.parent) / docs.name)


@lru_cache(maxsize=1024)
def _relative_folder(folder: str, docs: str) -> str | None:
    """The postmortems' `folder` (resolved) from the docs folder `docs` (see `docs_placed`), as
    the repository holds them; None where no path leads from one to the other (Windows: another
    drive)."""
    # Asked once a folder, not once a file: at thousands of postmortems, in a few year folders,
    # working out each file's path from docs_dir took a tenth of every `serve` rebuild.
    try:
        return Path(os.path.relpath(folder, docs)).as_posix()
    except ValueError:
        return None


def _placing_pages(files: Files) -> list[File]:
    """The site's own pages that place the "on this day" block: only these need it made, and
    only these are built again by `serve --dirty` when it changes."""
    found = []
    for file in files.documentation_pages():
        if file.generated_by is not None:
            continue
        try:
            text = file.content_string
        except (OSError, UnicodeDecodeError):
            continue  # MkDocs reports it when it reads the page
        if places(text):
            found.append(file)
    return found


def _built_again(file: File) -> None:
    """Have a `--dirty` build build the page `file` (the site's own, or another plugin's read
    from a file) again, whatever its file's time."""
    source = file.abs_src_path
    if source is None:
        return  # content another plugin gave: MkDocs builds it every time
    # MkDocs counts a file whose content was set as modified; set to what the file holds, the
    # page is built again as it stands, and its source path kept.
    try:
        file.content_string = file.content_string
    except (OSError, UnicodeDecodeError):
        return  # changed since it was built: MkDocs reads it again, and says what is wrong
    file.abs_src_path = source


def _config_shape(config: MkDocsConfig, options: PmkbConfig) -> str:
    """What of the configuration and the theme can change every page: mkdocs.yml as written, the
    options as read (environment variables included), and the theme's own overrides."""
    path = _config_file(config)
    parts: list[object] = [
        path.read_bytes() if path is not None and path.is_file() else b"",
        str(path),
        sorted(options.items()),
        # Compared as MkDocs gives it (see `_config_file`), the first rebuild of `serve -f
        # mkdocs.yml` built every page (7 s at 5,000).
        {k: v for k, v in config.items() if k not in ("plugins", "theme", "config_file_path")},
        config.theme.name,
        config.theme.dirs,
        sorted(config.theme.items()),
    ]
    custom = config.theme.custom_dir
    if custom and os.path.isdir(custom):
        for folder, _, names in sorted(os.walk(custom)):
            for name in sorted(names):
                found = os.stat(os.path.join(folder, name))
                parts.append((folder, name, found.st_mtime_ns, found.st_size))
    return digest(repr(parts))


def _honours_exclude(config: MkDocsConfig) -> bool:
    """Whether the theme's search plugin leaves out a page whose metadata says `search: exclude`:
    Material's does, MkDocs' own does not."""
    return any(
        type(plugin).__module__.startswith("material.plugins.search.")
        for plugin in config.plugins.values()
    )


def _source_title(text: str) -> str | None:
    """What gives a page its title in its text, as MkDocs reads it: its front matter's `title`,
    else a level-one heading that opens the page (`# Title`, `#Title`, or a line underlined with
    `=`), after any blocks of link, footnote or abbreviation definitions (they make no element);
    raw HTML that opens it stands for itself. None: the page's title is its name."""
    markdown, meta = get_data(text)
    if "title" in meta:
        return str(meta["title"])
    lines = iter(markdown.split("\n"))
    first, defining = "", False
    for line in lines:
        if not line.strip():
            defining = False
        elif _DEFINITION.match(line) or (defining and line[:1] in (" ", "\t")):
            defining = True
        else:
            first = line.rstrip()
            break
    if first.startswith("#") and not first.startswith("##"):
        return first.strip("#").strip()
    underline = next(lines, "")
    if first and not first.startswith(" " * 4) and _SETEXT_ONE.fullmatch(underline):
        return first.strip()
    return first if first.startswith("<") else None


# A definition of a link (`[id]: url`), a footnote (`[^id]: text`) or an abbreviation
# (`*[HTML]: text`); and the line of `=` under a level-one heading.
_DEFINITION = re.compile(r" {0,3}\*?\[[^\]\n]+\]:")
_SETEXT_ONE = re.compile(r"=+[ \t]*")


def _nav_shape(items: list[Any]) -> list[object]:
    """The navigation's structure: sections, links and pages with the titles set in mkdocs.yml."""
    shape: list[object] = []
    for item in items:
        if isinstance(item, Section):
            shape.append(("section", item.title, _nav_shape(item.children)))
        elif isinstance(item, Link):
            shape.append(("link", item.title, item.url))
        elif isinstance(item, Page):
            shape.append(("page", item.title, item.file.src_uri))
    return shape


def _other_pages_file(cache_dir: Path, config: MkDocsConfig, serving: bool) -> Path:
    """Where this configuration's listing pages are kept: a file for each mkdocs.yml, so that two
    sites built from one checkout (the internal one and the public one, say) do not each make
    the other's listing pages again; and for `serve` one of its own, whose site is at another
    address (the feeds' links): a build while `mkdocs serve` runs makes none again."""
    made_by = (str(_config_file(config) or ""), *(["serve"] if serving else []))
    return cache_dir / OTHER_PAGES.format(digest(*made_by)[:16])


def _config_file(config: MkDocsConfig) -> Path | None:
    """The configuration file, by its full path: MkDocs gives the path as written (`-f
    mkdocs.yml`) to a build and to `serve`'s first, and in full to each rebuild."""
    return resolved(config.config_file_path) if config.config_file_path else None


def _titled_in_nav(items: object, files: Files) -> set[int]:
    """The files (by id) that the `nav` of mkdocs.yml names with a title, as MkDocs looks them
    up (with or without a leading slash, which its validation settings decide)."""
    found: set[int] = set()
    if isinstance(items, dict):
        for value in items.values():
            if isinstance(value, str):
                for path in (value, value.lstrip("/")):
                    file = files.get_file_from_path(path)
                    if file is not None:
                        found.add(id(file))
            else:
                found |= _titled_in_nav(value, files)
    elif isinstance(items, list):
        for item in items:
            found |= _titled_in_nav(item, files)
    return found


def _relink(pages: list[Page]) -> None:
    """Previous/next links along the navigation, after pages were appended to it."""
    for before, after in zip([None, *pages], [*pages, None], strict=True):
        if before is not None:
            before.next_page = after
        if after is not None:
            after.previous_page = before


def _log_findings(kb: KnowledgeBase) -> None:
    # A postmortem not yet final (a draft, one in review) is held to `pmkb check`, the pull
    # request's check: the build lists its findings as info, so that a strict build fails only
    # on what it publishes as final, and an archive just imported `in-review` builds on its
    # first day, its gaps shown on its pages. A file withheld (a mistyped status, a duplicate
    # id) is not unfinished but wrong: its findings keep their level.
    unfinished = {
        pm.display
        for pm in kb.postmortems
        if pm.status in ("draft", "in-review") and pm.display not in kb.rejected
    }
    for f in kb.all_findings:
        if f.path in unfinished:
            log.info(f.format_text())
        elif f.level is Level.ERROR:
            log.error(f.format_text())
        elif f.level is Level.WARNING:
            log.warning(f.format_text())
        else:
            log.info(f.format_text())


def _write_index_logged(
    site_dir: Path, plan: search_index.SearchPlan, cache: search_index.PageCache | None
) -> None:
    # In `serve`'s indexing thread, where an exception would only reach the thread's end.
    try:
        search_index.write(site_dir, plan, cache)
    except PluginError as exc:
        log.error(str(exc))


def _turned_off(plugin: object) -> bool:
    """Whether a plugin's own `enabled` option is false (Material's plugins have one)."""
    options = getattr(plugin, "config", None)
    return isinstance(options, Mapping) and options.get("enabled", True) is False
