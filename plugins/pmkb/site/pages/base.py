"""What a page builder makes (`GeneratedPage`, `IncidentSource`) and what it reads (`PageContext`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ...analyse.analysis import Analysis
from ...analyse.index import Index
from ...read.knowledge import KnowledgeBase
from ...urls import Site
from ..blocks import Rendered
from .shared import Chips, environment, snippet


@dataclass(frozen=True)
class GeneratedPage:
    """One generated file: where it goes, its text, and how the site should treat it."""

    src: str
    content: str  # Markdown with placeholders for `blocks`, or a data file's or asset's text
    kind: str  # incident, listing, service, factor, asset
    source_path: Path | None = None  # the postmortem file it comes from, for "edit this page"
    in_nav: bool = False
    # Compact search: the short HTML a search plugin indexes in place of the page's content.
    search: str | None = None
    blocks: tuple[str, ...] = ()  # pmkb's own HTML, placed after conversion (see `blocks`)

    def inline(self) -> str:
        """The page's Markdown with its HTML blocks in place, for tools that convert it whole."""
        return Rendered(self.content, self.blocks).inline()


@dataclass(frozen=True)
class IncidentSource:
    """An incident page whose text is made only when `text()` is called.

    A build that reads pages one by one need not hold every incident's text at once, and a
    forked process can render the pages it converts itself.
    """

    src: str
    source_path: Path
    search: str | None
    text: Callable[[], Rendered]


class PageContext:
    """What every page builder reads: the knowledge base, its index and analysis, the site
    layout, the build date, and the templates it renders with."""

    def __init__(
        self,
        kb: KnowledgeBase,
        site: Site,
        today: date,
        *,
        compact_search: bool = False,
        body: Callable[[str], str] | None = None,
    ) -> None:
        # `body` turns a postmortem's Markdown body into what its page carries; by default the
        # body as written, which the plugin sanitizes once MkDocs has converted the page.
        self.body = body
        self.kb = kb
        self.site = site
        self.today = today
        self.compact_search = compact_search
        self.index = Index(kb.published)
        self.analysis = Analysis(self.index, kb.settings, today)
        self.quarters = self.analysis.quarters
        self.env = environment(kb.catalog, site, today, kb.settings.severities)
        self._chips = Chips(kb.catalog, site, self.env)
        # Called for every incident (compact search): the macro is looked up once, here.
        self.search_entry = snippet(self.env, "search_entry")

    def render(self, template: str, src: str, meta: str, **context: Any) -> Rendered:
        """Template `template` as the page at `src`, with front matter `meta`: its Markdown and
        its HTML blocks."""
        link = partial(self.site.link, src)
        chip = partial(self._chips.make, root=self.site.root(src))
        blocks: list[str] = []
        # The front matter is written whole by `text.front_matter`, its values already escaped.
        markdown = self.env.get_template(template).render(
            link=link, chip=chip, blocks=blocks, front_matter=Markup(meta), **context
        )
        return Rendered(markdown, tuple(blocks))

    def page(
        self,
        template: str,
        src: str,
        kind: str,
        meta: str,
        *,
        in_nav: bool = False,
        **context: Any,
    ) -> GeneratedPage:
        """A listing, service or factor page: template `template` rendered as the page at `src`."""
        rendered = self.render(template, src, meta, **context)
        return GeneratedPage(src, rendered.markdown, kind, in_nav=in_nav, blocks=rendered.blocks)
