"""The services listing: every service of the catalog with its incident count."""

from __future__ import annotations

from .base import GeneratedPage, PageContext
from .text import front_matter


def services_page(ctx: PageContext) -> GeneratedPage:
    """The services listing, by name."""
    services = sorted(ctx.kb.catalog.services.values(), key=lambda s: s.name.lower())
    rows = [(s, ctx.index.by_service.get(s.id, [])) for s in services]
    meta = front_matter("Services", search={"exclude": True}, hide=["navigation", "toc"])
    return ctx.page(
        "services.md.j2",
        ctx.site.services(),
        "listing",
        meta,
        in_nav=True,
        services=rows,
        # A column of their own once there are any: they are not incidents.
        near_misses=any(pm.is_near_miss for pm in ctx.index.incidents),
    )
