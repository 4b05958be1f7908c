"""The MkDocs plugin: adds the knowledge base's pages to a MkDocs build. It only translates."""

from __future__ import annotations

import os
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from mkdocs.config.base import ConfigErrors, ConfigWarnings, ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from ..clock import build_date
from ..findings import Finding, Level
from ..read.knowledge import ParseCache, load
from ..settings import (
    PmkbConfig,
    Settings,
    SettingsError,
    config_findings,
    settings_from,
    with_docs_dir,
)
from ..site.blocks import fill
from ..site.render import IncidentSource, Renderer, asset_pages, compact_search
from ..site.safe_html import sanitize
from ..urls import Site
from .lazy_files import RenderedOnRead

log = get_plugin_logger(__name__)


# MkDocs' BasePlugin.__init_subclass__ (which reads the config class) is untyped.
class PmkbPlugin(BasePlugin[PmkbConfig]):  # type: ignore[no-untyped-call]
    """Publishes the postmortems folder as incident, listing, service and factor pages."""

    def __init__(self) -> None:
        self.cache: ParseCache | None = ParseCache()
        self.settings: Settings | None = None
        self.today = date.today()
        self.listing_files: list[File] = []
        # Per generated page: pmkb's HTML blocks, waiting for the page to be converted.
        self.blocks: dict[str, tuple[str, ...]] = {}
        self.search_entries: dict[str, str] = {}
        # An incident page's own HTML, set aside while the search plugin reads its short entry.
        self.content_aside: str | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this instance across `mkdocs serve` rebuilds, and with it the
        # cache; a one-off build has nothing to reuse, so it keeps no parsed files in memory.
        self.cache = ParseCache() if command == "serve" else None

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[ConfigErrors, ConfigWarnings]:
        # MkDocs validates the options through PmkbConfig and shows each error after the option's
        # name; the error is shown as the finding `pmkb check` prints for it, code and all.
        errors, warnings = super().load_config(options, config_file_path)
        found = config_findings(errors, Path(config_file_path or "mkdocs.yml").name)
        shown: ConfigErrors = [
            (key, ValidationError(f.format_text()))
            for (key, _), f in zip(errors, found, strict=True)
        ]
        return shown, warnings

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
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
        self.listing_files = []
        self.blocks = {}
        self.search_entries = {}
        site = Site(self.settings)
        config.extra_css.append(site.asset("pmkb.css"))
        config.extra_javascript.append(site.asset("pmkb.js"))
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        settings = self.settings
        # A one-off build reads and checks large knowledge bases in one process per CPU; `serve`
        # reads through its cache, in this process.
        try:
            kb = load(settings, self.cache, jobs=settings.jobs)
        except SettingsError as exc:  # the clock, read again where files are checked
            raise PluginError(f"pmkb: {exc}") from None
        _log_findings(kb.all_findings)
        site = Site(settings, config.use_directory_urls)
        compact = compact_search(settings, len(kb.published))
        renderer = Renderer(kb, site, self.today, compact_search=compact)
        # Incident pages are rendered as MkDocs reads them: the build never holds every incident's
        # Markdown at once. The other pages are rendered now.
        for source in renderer.incident_sources():
            render = partial(self._rendered, source)
            file = RenderedOnRead.of(config, source.src, render, InclusionLevel.NOT_IN_NAV)
            self._add(file, files, config, "incident", source.source_path, source.search)
        pages = renderer.other_pages() + asset_pages(site)
        del renderer
        pages.reverse()
        while pages:
            page = pages.pop()  # each page's text is let go as soon as its file holds it
            inclusion = (
                InclusionLevel.NOT_IN_NAV if page.kind != "asset" else InclusionLevel.UNDEFINED
            )
            # UTF-8 bytes: MkDocs holds every generated file's content for the whole build, and a
            # str with one character beyond Latin-1 takes two bytes a character.
            content = page.content.encode("utf-8")
            made = File.generated(config, page.src, content=content, inclusion=inclusion)
            self._add(made, files, config, page.kind, page.source_path, page.search)
            if page.kind not in ("asset", "data"):
                self.blocks[page.src] = page.blocks
            if page.in_nav:
                self.listing_files.append(made)
        errors = sum(1 for pm in kb.postmortems if pm.errors) + len(kb.unreadable)
        log.info(
            f"{kb.file_count} postmortems found, {len(kb.published)} published, "
            f"{len(kb.drafts)} drafts held back, {errors} with errors"
        )
        return files

    def _add(
        self,
        file: File,
        files: Files,
        config: MkDocsConfig,
        kind: str,
        source_path: Path | None,
        search: str | None,
    ) -> None:
        existing = files.get_file_from_path(file.src_uri)
        if existing is not None:
            log.warning(
                f"{file.src_uri} exists in docs_dir and is replaced by the page pmkb generates"
            )
            files.remove(existing)
        if source_path is not None:
            file.edit_uri = Path(os.path.relpath(source_path, config.docs_dir)).as_posix()
        if search is not None:
            self.search_entries[file.src_uri] = search
        files.append(file)

    def _rendered(self, source: IncidentSource) -> str:
        rendered = source.text()
        self.blocks[source.src] = rendered.blocks
        return rendered.markdown

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        # MkDocs has copied a generated page's Markdown into the page; the file's copy is not read
        # again (pages are not copied as static files), and at thousands of incidents holding both
        # for the whole build costs tens of megabytes.
        if page.file.generated_by == "pmkb" and page.file.is_documentation_page():
            page.file.content_bytes = b""
        return None

    # First, so that every other plugin sees the page as it will be published: what the page's
    # Markdown became is sanitized, then pmkb's own HTML blocks take their placeholders' places.
    @event_priority(100)
    def _page_is_made_safe(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if page.file.generated_by != "pmkb":
            return html
        blocks = self.blocks.pop(page.file.src_uri, ())
        assert self.settings is not None
        return fill(html if self.settings.trust_html else sanitize(html), blocks)

    # Last, after every plugin has seen the converted page: a generated page's Markdown (pmkb's
    # own intermediate text, not the postmortem's file) is let go. MkDocs does not read it again,
    # and at thousands of incidents it is tens of megabytes held to the end of the build.
    @event_priority(-100)
    def _markdown_is_let_go(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if page.file.generated_by == "pmkb" and page.markdown is not None:
            page.markdown = ""
        return html

    on_page_content = CombinedEvent(_page_is_made_safe, _markdown_is_let_go)

    # Compact search: the search plugin (Material's or MkDocs', both at the default priority 0)
    # reads `page.content` in its on_page_context. Around it, an incident page's content is its
    # short search entry, so the index holds one entry per incident and the search plugin does
    # not parse the whole page; the theme then renders the page's own content. Other plugins at
    # priority 0 that read the content in this event see the short version too.
    @event_priority(1)
    def _search_reads_entry(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        entry = self.search_entries.get(page.file.src_uri)
        if entry is not None:
            self.content_aside, page.content = page.content, entry
        return context

    @event_priority(-1)
    def _page_gets_content_back(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.content_aside is not None:
            page.content, self.content_aside = self.content_aside, None
        return context

    on_page_context = CombinedEvent(_search_reads_entry, _page_gets_content_back)

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        # Listing pages join the navigation unless the user's `nav` already places them.
        placed = {id(p.file) for p in nav.pages}
        for file in self.listing_files:
            if id(file) in placed:
                continue
            page = file.page if isinstance(file.page, Page) else Page(None, file, config)
            nav.items.append(page)
            nav.pages.append(page)
        _relink(nav.pages)
        return nav

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


def _relink(pages: list[Page]) -> None:
    """Previous/next links along the navigation, after pages were appended to it."""
    for before, after in zip([None, *pages], [*pages, None], strict=True):
        if before is not None:
            before.next_page = after
        if after is not None:
            after.previous_page = before


def _log_findings(findings: list[Finding]) -> None:
    for f in findings:
        if f.level is Level.ERROR:
            log.error(f.format_text())
        elif f.level is Level.WARNING:
            log.warning(f.format_text())
        else:
            log.info(f.format_text())
