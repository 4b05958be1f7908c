"""The page of one contributing factor: its incidents, the services it touched, its company,
and its near misses, counted apart."""

from __future__ import annotations

from ...analyse.trends import by_kind, left_out
from .base import GeneratedPage, PageContext
from .history import history_chart
from .text import front_matter, meta_text


def factor_page(ctx: PageContext, ident: str) -> GeneratedPage:
    """The page of the catalog's factor `ident`."""
    factor = ctx.kb.catalog.factors[ident]
    incidents, near_misses = by_kind(ctx.index.by_factor.get(ident, []))
    tags = [meta_text(tag) for tag in (ident, *factor.aliases)]
    meta = front_matter(factor.name, tags=tags, hide=["toc"])
    return ctx.page(
        "factor.md.j2",
        ctx.site.factor(ident),
        "factor",
        meta,
        factor=factor,
        incidents=incidents,
        near_misses=near_misses,
        services=ctx.index.service_counts(incidents),
        cooccurring=ctx.index.cooccurring(ident, incidents),
        chart=history_chart(ctx, f"factor-{ident}", factor.name, incidents),
        left_out=left_out(incidents, ctx.analysis.window),
    )
