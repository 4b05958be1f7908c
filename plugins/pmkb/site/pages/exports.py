"""The data files beside the pages: every incident as JSON and CSV, every action item as CSV,
and the Atom feeds of newly published postmortems."""

from __future__ import annotations

from typing import Any

from .. import export
from ..feeds import FeedSite, atoms, feeds
from .base import GeneratedPage, PageContext

# The data files `export_pages` makes, in its order.
EXPORTS = ("incidents.json", "incidents.csv", "action-items.csv")


def records(ctx: PageContext) -> list[dict[str, Any]]:
    """Each published incident as the record the exports write."""
    custom = ctx.kb.settings.shown_custom_fields
    return [export.record(pm, ctx.site, ctx.today, custom) for pm in ctx.index.incidents]


def export_pages(ctx: PageContext) -> list[GeneratedPage]:
    """incidents.json, incidents.csv and action-items.csv."""
    found = records(ctx)
    items = [(i.incident, i.item) for i in ctx.analysis.items[::-1]]
    texts = (
        export.to_json(found),
        export.to_csv(found, export.columns(ctx.kb.settings.shown_custom_fields)),
        export.action_items_csv(items, ctx.site, ctx.today),
    )
    return [GeneratedPage(src, text, "data") for src, text in zip(EXPORTS, texts, strict=True)]


def feed_pages(ctx: PageContext, at: FeedSite | None) -> list[GeneratedPage]:
    """The site's feed and one per service and factor; none without the site's address."""
    if at is None:
        return []
    found = feeds(ctx.index.incidents, ctx.kb.catalog, ctx.site)
    documents = atoms(found, ctx.kb.catalog, ctx.site, at)
    return [GeneratedPage(f.src, d, "data") for f, d in zip(found, documents, strict=True)]
