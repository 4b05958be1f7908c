"""The incidents listing: every published incident in one filterable table."""

from __future__ import annotations

from .base import GeneratedPage, PageContext
from .text import STATUS_LABELS, front_matter

# A filter of the table: the field it matches, its label, and its options as (value, text).
Filter = tuple[str, str, list[tuple[str, str]]]


def incidents_page(ctx: PageContext) -> GeneratedPage:
    """The incidents listing, newest first, with its filters."""
    meta = front_matter("Incidents", search={"exclude": True}, hide=["navigation", "toc"])
    return ctx.page(
        "incidents.md.j2",
        ctx.site.incidents(),
        "listing",
        meta,
        in_nav=True,
        incidents=ctx.index.incidents,
        filters=_filters(ctx),
    )


def _filters(ctx: PageContext) -> list[Filter]:
    """The table's filters, each offering only the values some incident has."""
    incidents = ctx.index.incidents
    catalog = ctx.kb.catalog
    services = sorted(ctx.index.by_service, key=lambda s: catalog.services[s].name.lower())
    factors = sorted(ctx.index.by_factor, key=lambda f: catalog.factors[f].name.lower())
    years = sorted({pm.date.year for pm in incidents if pm.date}, reverse=True)
    statuses = sorted({pm.status for pm in incidents}, key=list(STATUS_LABELS).index)
    return [
        ("service", "Service", [(s, catalog.services[s].name) for s in services]),
        ("factor", "Factor", [(f, catalog.factors[f].name) for f in factors]),
        ("severity", "Severity", [(s, s) for s in ctx.kb.settings.severities]),
        ("year", "Year", [(str(y), str(y)) for y in years]),
        ("status", "Status", [(s, STATUS_LABELS[s]) for s in statuses]),
    ]
