"""What a page builder makes (`GeneratedPage`) and what it reads (`PageContext`)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property, partial
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from ...analyse.analysis import Analysis
from ...analyse.index import Index
from ...analyse.trends import Period
from ...digests import digest
from ...model import KIND_LABELS, Postmortem
from ...read.knowledge import KnowledgeBase
from ...urls import SEARCH_PAGE, Site, listing_pages
from ..blocks import Rendered
from .shared import Badges, Chips, environment, snippet

# Per postmortem object, while the object lives: `mkdocs serve` keeps the postmortems of unchanged
# files from one rebuild to the next, and what is worked out of them with them (see `Worked`).
# An entry whose postmortem is gone is told by its dead reference, and swept out once the table
# has doubled since the last sweep: no callback per entry, which at thousands of postmortems
# made five objects each for every garbage collection to look at, a fifth of a serve process's.
_WORKED: dict[int, tuple[weakref.ref[Postmortem], Worked]] = {}
_SWEPT_AT = [0]  # the table's size after the last sweep


class Worked:
    """What is worked out of one postmortem object: its digests with and without the body, and
    the inputs of its incident page with what else they were made from (`incident_inputs`)."""

    __slots__ = ("fingerprints", "inputs")

    def __init__(self) -> None:
        self.fingerprints: dict[bool, str] = {}
        self.inputs: tuple[str, str] | None = None


def worked(pm: Postmortem) -> Worked:
    """What is worked out of `pm` so far, for as long as the object lives."""
    found = _WORKED.get(id(pm))
    if found is None or found[0]() is not pm:
        if len(_WORKED) >= 2 * max(_SWEPT_AT[0], 1024):
            for key in [k for k, (ref, _) in _WORKED.items() if ref() is None]:
                del _WORKED[key]
            _SWEPT_AT[0] = len(_WORKED)
        found = _WORKED[id(pm)] = (weakref.ref(pm), Worked())
    return found[1]


# What the listings, catalog pages, trends and exports never show of a postmortem.
_BODY_FIELDS = frozenset({"body", "section_titles", "summary"})
# A postmortem's other fields, and its text but the body, which is digested as it is: its repr
# (every quote and line break escaped) was half the time of a fingerprint.
_HEAD = attrgetter(*(f.name for f in fields(Postmortem) if f.name not in _BODY_FIELDS))
_TEXT = attrgetter("section_titles", "summary")


def _fingerprint(pm: Postmortem, body: bool) -> str:
    fingerprints = worked(pm).fingerprints
    made = fingerprints.get(body)
    if made is None:
        # The full one is made from the one without the body, not from the fields again: a
        # build makes both for every postmortem (the other pages' inputs, then each incident
        # page's), and the fields' repr was half of each (every incident page's inputs at 5,000
        # postmortems: 0.26 -> 0.17 s).
        made = fingerprints.get(False)
        if made is None:
            made = fingerprints[False] = digest(repr(_HEAD(pm)))
        if body:
            made = fingerprints[True] = digest(made, repr(_TEXT(pm)), pm.body)
    return made


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


# The order of a link's filters, as the incidents table and the search page list them.
_FILTER_ORDER = ("service", "factor", "severity", "year", "status", "kind")


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
        self.index = Index(list(kb.published))
        self.badges = Badges(kb.settings.severities)
        self.env = environment(kb.catalog, site, today, self.badges)
        self.chips = Chips(kb.catalog, site, self.env)
        # Called for every incident (compact search): the macro is looked up once, here.
        self.search_entry = snippet(self.env, "search_entry")
        self._shared: dict[bool, str] = {}

    @cached_property
    def inputs_state(self) -> str:
        """A digest of what every incident page's inputs are made from but its own postmortem:
        what every page shares, the build date, and what related incidents are chosen by."""
        return digest(self.shared(dated=False), self.today.isoformat(), self.index.related_state)

    # Made when a page first needs it: a `serve` rebuild after an edit to a postmortem's body
    # reuses the listing, trend and export pages, and no incident page reads it.
    @cached_property
    def analysis(self) -> Analysis:
        return Analysis(self.index, self.kb.settings, self.today)

    @property
    def quarters(self) -> list[Period]:
        return self.analysis.quarters

    def fingerprint(self, pm: Postmortem, *, body: bool = True) -> str:
        """A digest of all a published postmortem holds; without `body`, of all but its body,
        headings and summary."""
        return _fingerprint(pm, body)

    def shared(self, *, dated: bool = True) -> str:
        """A digest of what every page is made with: catalogs, settings, layout and (with
        `dated`) the build date."""
        if dated not in self._shared:
            parts = (self.kb.catalog, self.kb.settings, self.site, self.today if dated else None)
            self._shared[dated] = digest(repr((*parts, self.compact_search, self.body is None)))
        return self._shared[dated]

    def listed(self, src: str, **wanted: str) -> str:
        """A link from the page at `src` to the incidents with these values (`service=<id>`,
        `factor=<id>`, `kind`, `severity`, `year`): the incidents table, whose script filters it;
        or, once the table is split into pages and the faceted search is on, the search page,
        which filters them all without JavaScript and knows values by their names."""
        wanted = dict(sorted(wanted.items(), key=lambda item: _FILTER_ORDER.index(item[0])))
        settings = self.kb.settings
        split = listing_pages(len(self.index.incidents), settings.listing_page_size) > 1
        if not (split and settings.faceted_search):
            query = urlencode(wanted)
            return self.site.link(src, self.site.incidents()) + (f"?{query}" if query else "")
        catalog = self.kb.catalog
        names: dict[str, Callable[[str], str]] = {
            "service": lambda i: catalog.services[i].name if i in catalog.services else i,
            "factor": lambda i: catalog.factors[i].name if i in catalog.factors else i,
            "kind": lambda k: KIND_LABELS.get(k, k),
        }
        query = urlencode({k: names.get(k, str)(v) for k, v in wanted.items()})
        return self.site.link(src, SEARCH_PAGE) + (f"?{query}" if query else "")

    def render(self, template: str, src: str, meta: str, **context: Any) -> Rendered:
        """Template `template` as the page at `src`, with front matter `meta`: its Markdown and
        its HTML blocks."""
        link = partial(self.site.link, src)
        listed = partial(self.listed, src)
        chip = partial(self.chips.make, root=self.site.root(src))
        blocks: list[str] = []
        # The front matter is written whole by `text.front_matter`, its values already escaped.
        markdown = self.env.get_template(template).render(
            link=link,
            listed=listed,
            chip=chip,
            blocks=blocks,
            front_matter=Markup(meta),
            **context,
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
