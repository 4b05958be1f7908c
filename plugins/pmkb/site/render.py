"""Generated pages: Markdown (with HTML pieces) for every incident, listing, service and factor.

`Renderer` puts the pages of one build together; each page type is built in its own module of
`pmkb.site.pages`, and its HTML written in pmkb/site/templates (an incident page's, in
`pages.incident_html`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .. import parallel
from ..digests import digest
from ..model import Postmortem
from ..parallel import PARALLEL_FROM, chunked_map, collector_paused
from ..read.knowledge import KnowledgeBase
from ..urls import Site, listing_pages
from .feeds import FeedSite, PageFeeds, factor_feed, service_feed, site_feed
from .pages.action_items import action_items_page
from .pages.base import GeneratedPage, PageContext
from .pages.exports import EXPORTS, export_pages, feed_pages
from .pages.factor import factor_page
from .pages.factors import factors_page
from .pages.incident import IncidentSource, incident_page
from .pages.incidents import incidents_pages
from .pages.on_this_day import OnThisDay, on_this_day
from .pages.service import service_page
from .pages.services import services_page
from .pages.trends import trends_page


class Renderer:
    """Renders the knowledge base's pages for one site layout and one build date."""

    def __init__(
        self,
        kb: KnowledgeBase,
        site: Site,
        today: date,
        *,
        compact_search: bool = False,
        body: Callable[[str], str] | None = None,
        feeds: FeedSite | None = None,
    ) -> None:
        self.context = PageContext(kb, site, today, compact_search=compact_search, body=body)
        self.kb = kb
        self.site = site
        self.feed_site = feeds  # None: no feeds, for want of the site's address
        # What service and factor pages link to as their feed, when there are feeds.
        self.context.env.globals["feed"] = (
            {"site": site_feed, "service": service_feed, "factor": factor_feed}
            if feeds is not None
            else {}
        )

    def pages(self, jobs: int = 1) -> list[GeneratedPage]:
        """Every generated page, in a stable order; incident pages in `jobs` processes where forking is possible."""
        global _CONTEXT
        _CONTEXT = self.context
        try:
            with collector_paused():
                pages = chunked_map(
                    _incident_pages, self.context.index.incidents, jobs if parallel.FORK else 1
                )
        finally:
            _CONTEXT = None
        return pages + self.other_pages(jobs) + self.feeds()

    def incident_sources(self) -> list[IncidentSource]:
        """The incident pages of `pages()`, each rendered only when its text is asked for."""
        return [IncidentSource(self.context, pm) for pm in self.context.index.incidents]

    def other_inputs(self) -> str:
        """A digest of all `other_pages` makes its pages from: every postmortem but its body
        (the listings, catalog pages, trends and exports show none of it), the knowledge base's
        own findings, and what every page shares. Cheaper than the pages: `serve` compares it to
        reuse the last build's pages after an edit that changed only a body."""
        shown = [self.context.fingerprint(pm, body=False) for pm in self.kb.postmortems]
        parts = (self.context.shared(), shown, self.kb.findings, sorted(self.kb.rejected))
        return digest(repr((parts, self.feed_site)))

    def other_pages(self, jobs: int = 1) -> list[GeneratedPage]:
        """The pages of `pages()` between the incident pages and the feeds: listings, catalog
        pages, exports. None shows a summary, which feeds quote: `serve` reuses them after an
        edit to a body, and makes the feeds (50 ms at 5,000 postmortems) again.

        In `jobs` processes where forking is possible (1.2 s of work at 5,000 postmortems):
        `pmkb generate` waits for them. A build has one forked process make them while it goes
        on, and files them from `other_plan` meanwhile."""
        # Made in this order, which splits the work about evenly between two processes (the
        # exports and the incidents listing take the longest), and returned in the pages' own.
        parts: list[tuple[str, ...]] = [("exports",), ("services",)]
        parts += [("service", ident) for ident in sorted(self.kb.catalog.services)]
        parts.append(("factors",))
        parts += [("factor", ident) for ident in sorted(self.kb.catalog.factors)]
        parts += [("incidents",), ("trends",), ("action_items",)]
        global _CONTEXT
        _CONTEXT = self.context
        try:
            with collector_paused():
                # Parts, not postmortems: each shows many postmortems, or all of them.
                many = parallel.FORK and len(self.kb.postmortems) >= PARALLEL_FROM
                made = chunked_map(_other_parts, parts, jobs if many else 1, least=2)
        finally:
            _CONTEXT = None
        first, *catalogs, listing, trends, action_items = made
        return [page for part in (listing, *catalogs, trends, action_items, first) for page in part]

    def other_plan(self) -> list[tuple[str, str, bool]]:
        """The pages `other_pages` makes, in its order, as (src, kind, in_nav), without making
        them: a build files them while another process makes them."""
        site, catalog = self.site, self.kb.catalog
        count = listing_pages(len(self.context.index.incidents), self.kb.settings.listing_page_size)
        plan = [(site.incidents_page(n), "listing", n == 1) for n in range(1, count + 1)]
        plan.append((site.services(), "listing", True))
        plan += [(site.service(ident), "service", False) for ident in sorted(catalog.services)]
        plan.append((site.factors(), "listing", True))
        plan += [(site.factor(ident), "factor", False) for ident in sorted(catalog.factors)]
        plan += [(site.trends(), "listing", True), (site.action_items(), "listing", True)]
        return plan + [(src, "data", False) for src in EXPORTS]

    def on_this_day(self) -> OnThisDay:
        """The "on this day" block, for the site's own pages that place it."""
        return on_this_day(self.context)

    def feeds(self) -> list[GeneratedPage]:
        return feed_pages(self.context, self.feed_site)

    def feed_links(self) -> PageFeeds | None:
        """Per generated page, the feeds it announces besides the site's; None without feeds."""
        if self.feed_site is None:
            return None
        return PageFeeds(self.context.index.incidents, self.kb.catalog, self.site)


# The pages being made: forked workers find it here, already built.
_CONTEXT: PageContext | None = None

# What makes each part of `other_pages`, from the context and the part's arguments.
_PARTS: dict[str, Callable[..., GeneratedPage | list[GeneratedPage]]] = {
    "exports": export_pages,
    "services": services_page,
    "service": service_page,
    "factors": factors_page,
    "factor": factor_page,
    "incidents": incidents_pages,
    "trends": trends_page,
    "action_items": action_items_page,
}


def _other_parts(parts: list[tuple[str, ...]]) -> list[list[GeneratedPage]]:
    """Each part's pages: a part names its maker in `_PARTS` and its arguments."""
    assert _CONTEXT is not None
    made: list[list[GeneratedPage]] = []
    for name, *arguments in parts:
        found = _PARTS[name](_CONTEXT, *arguments)
        made.append(found if isinstance(found, list) else [found])
    return made


def _incident_pages(incidents: list[Postmortem]) -> list[GeneratedPage]:
    assert _CONTEXT is not None
    return [incident_page(_CONTEXT, pm) for pm in incidents]
