"""The contributing factors listing: every factor of the catalog, grouped by category."""

from __future__ import annotations

from typing import Any

from .base import GeneratedPage, PageContext
from .text import front_matter


def factors_page(ctx: PageContext) -> GeneratedPage:
    """The factors listing: categories by name, and each category's factors by name."""
    groups: dict[str, list[Any]] = {}
    for f in sorted(ctx.kb.catalog.factors.values(), key=lambda f: f.name.lower()):
        groups.setdefault(f.category, []).append((f, ctx.index.by_factor.get(f.id, [])))
    categories = sorted(groups.items(), key=lambda kv: kv[0].lower())
    meta = front_matter("Contributing factors", search={"exclude": True})
    return ctx.page(
        "factors.md.j2",
        ctx.site.factors(),
        "listing",
        meta,
        in_nav=True,
        categories=categories,
        near_misses=any(pm.is_near_miss for pm in ctx.index.incidents),
    )
