"""The page of one service: its incidents, their severities and their factors, and its near
misses, counted apart."""

from __future__ import annotations

from ...analyse.trends import by_kind, left_out
from .base import GeneratedPage, PageContext
from .history import history_chart
from .text import front_matter, meta_text


def service_page(ctx: PageContext, ident: str) -> GeneratedPage:
    """The page of the catalog's service `ident`."""
    service = ctx.kb.catalog.services[ident]
    incidents, near_misses = by_kind(ctx.index.by_service.get(ident, []))
    counts = [(s, sum(pm.severity == s for pm in incidents)) for s in ctx.kb.settings.severities]
    meta = front_matter(service.name, tags=[meta_text(ident)], hide=["toc"])
    return ctx.page(
        "service.md.j2",
        ctx.site.service(ident),
        "service",
        meta,
        service=service,
        incidents=incidents,
        near_misses=near_misses,
        severity_counts=counts,
        factors=ctx.index.factor_counts(incidents)[:8],
        chart=history_chart(ctx, f"service-{ident}", service.name, incidents),
        left_out=left_out(incidents, ctx.analysis.window),
    )
