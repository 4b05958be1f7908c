"""Generated pages: Markdown (with HTML pieces) for every incident, listing, service and factor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from .index import Index, Related
from .knowledge import KnowledgeBase
from .model import Postmortem
from .urls import Site

STATUS_LABELS = {"draft": "Draft", "in-review": "In review", "published": "Published"}
ASSETS = ("pmkb.css", "pmkb.js")


@dataclass(frozen=True)
class Page:
    """One generated file: where it goes, its text, and how the site should treat it."""

    src: str
    content: str
    kind: str  # incident, listing, service, factor, asset
    source_path: Path | None = None  # the postmortem file it comes from, for "edit this page"
    in_nav: bool = False


def duration(minutes: int | None) -> str:
    """Minutes as `3 d 4 h`, `2 h 05 min` or `12 min`."""
    if minutes is None:
        return "—"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def markdown_text(text: str) -> Markup:
    """User text placed in Markdown (not HTML): HTML-escaped, and Markdown syntax neutralised."""
    escaped = str(escape(text))
    for ch in "\\`*_[]{}()#+!|~":
        escaped = escaped.replace(ch, "\\" + ch)
    return Markup(escaped)


def _ticket(url: str) -> str:
    parts = urlsplit(url)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return tail or parts.netloc


def _why(r: Related, catalog: Any) -> str:
    reasons = []
    if r.shared_factors:
        names = ", ".join(
            catalog.factors[f].name if f in catalog.factors else f for f in r.shared_factors
        )
        reasons.append(f"same factor{'s' if len(r.shared_factors) > 1 else ''}: {names}")
    if r.shared_services:
        names = ", ".join(
            catalog.services[s].name if s in catalog.services else s for s in r.shared_services
        )
        reasons.append(f"same service{'s' if len(r.shared_services) > 1 else ''}: {names}")
    if r.days_apart is not None:
        reasons.append(
            "same day"
            if r.days_apart == 0
            else f"{r.days_apart} day{'s' if r.days_apart != 1 else ''} apart"
        )
    return "; ".join(reasons)


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter for a generated page; the title is made safe for themes that print it raw."""
    safe_title = str(escape(title.replace("<", "\u2039").replace(">", "\u203a")))
    return yaml.safe_dump(
        {"title": safe_title, **extra}, sort_keys=False, allow_unicode=True, width=1000
    ).strip()


class Renderer:
    """Renders the knowledge base's pages for one site layout and one build date."""

    def __init__(self, kb: KnowledgeBase, site: Site, today: date) -> None:
        self.kb = kb
        self.site = site
        self.today = today
        self.index = Index(kb.published)
        self.env = Environment(
            loader=PackageLoader("pmkb", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=StrictUndefined,
        )
        severities = kb.settings.severities
        self.env.filters.update(
            duration=duration, md=markdown_text, ticket=_ticket, why=lambda r: _why(r, kb.catalog)
        )
        self.env.globals.update(
            site=site,
            catalog=kb.catalog,
            today=today,
            severity_rank=lambda s: severities.index(s) + 1 if s in severities else 0,
            status_label=lambda s: STATUS_LABELS.get(s, s or "?"),
        )

    def _render(self, template: str, src: str, **context: Any) -> str:
        link: Callable[[str], str] = lambda target: self.site.link(src, target)  # noqa: E731
        return self.env.get_template(template).render(link=link, **context)

    def pages(self) -> list[Page]:
        """Every generated page, in a stable order."""
        pages = [self.incident(pm) for pm in self.index.incidents]
        pages.append(self.incidents())
        pages.append(self.services())
        pages.extend(self.service(ident) for ident in sorted(self.kb.catalog.services))
        pages.append(self.factors())
        pages.extend(self.factor(ident) for ident in sorted(self.kb.catalog.factors))
        return pages

    def incident(self, pm: Postmortem) -> Page:
        src = self.site.incident(pm.id)
        tags = sorted({*pm.services, *pm.factors})
        meta = front_matter(pm.title, tags=tags, description=_first_sentence(pm.summary))
        problems = [f for f in pm.findings if f.level.value == "error"]
        content = self._render(
            "incident.md.j2", src, pm=pm, front_matter=Markup(meta), body=Markup(pm.body.strip()),
            problems=problems, related=self.index.related(pm, self.kb.settings.related_limit),
        )  # fmt: skip
        return Page(src, content, "incident", pm.path)

    def incidents(self) -> Page:
        src = self.site.incidents()
        incidents = self.index.incidents
        catalog = self.kb.catalog
        years = sorted({pm.date.year for pm in incidents if pm.date}, reverse=True)
        statuses = sorted(
            {pm.status for pm in incidents}, key=lambda s: list(STATUS_LABELS).index(s)
        )
        filters = [
            (
                "service",
                "Service",
                [
                    (s, catalog.services[s].name)
                    for s in sorted(
                        self.index.by_service, key=lambda s: catalog.services[s].name.lower()
                    )
                ],
            ),
            (
                "factor",
                "Factor",
                [
                    (f, catalog.factors[f].name)
                    for f in sorted(
                        self.index.by_factor, key=lambda f: catalog.factors[f].name.lower()
                    )
                ],
            ),
            ("severity", "Severity", [(s, s) for s in self.kb.settings.severities]),
            ("year", "Year", [(str(y), str(y)) for y in years]),
            ("status", "Status", [(s, STATUS_LABELS[s]) for s in statuses]),
        ]
        meta = front_matter("Incidents", search={"exclude": True}, hide=["navigation", "toc"])
        content = self._render(
            "incidents.md.j2", src, front_matter=Markup(meta), incidents=incidents, filters=filters
        )
        return Page(src, content, "listing", in_nav=True)

    def services(self) -> Page:
        src = self.site.services()
        services = sorted(self.kb.catalog.services.values(), key=lambda s: s.name.lower())
        rows = [(s, self.index.by_service.get(s.id, [])) for s in services]
        meta = front_matter("Services", search={"exclude": True}, hide=["navigation", "toc"])
        return Page(
            src,
            self._render("services.md.j2", src, front_matter=Markup(meta), services=rows),
            "listing",
            in_nav=True,
        )

    def service(self, ident: str) -> Page:
        src = self.site.service(ident)
        service = self.kb.catalog.services[ident]
        incidents = self.index.by_service.get(ident, [])
        counts = [
            (s, sum(pm.severity == s for pm in incidents)) for s in self.kb.settings.severities
        ]
        meta = front_matter(service.name, tags=[ident])
        content = self._render(
            "service.md.j2", src, front_matter=Markup(meta), service=service, incidents=incidents,
            severity_counts=counts, factors=self.index.factor_counts(incidents)[:8], chart="",
        )  # fmt: skip
        return Page(src, content, "service")

    def factors(self) -> Page:
        src = self.site.factors()
        groups: dict[str, list[Any]] = {}
        for f in sorted(self.kb.catalog.factors.values(), key=lambda f: f.name.lower()):
            groups.setdefault(f.category, []).append((f, self.index.by_factor.get(f.id, [])))
        categories = sorted(groups.items(), key=lambda kv: kv[0].lower())
        meta = front_matter("Contributing factors", search={"exclude": True})
        return Page(
            src,
            self._render("factors.md.j2", src, front_matter=Markup(meta), categories=categories),
            "listing",
            in_nav=True,
        )

    def factor(self, ident: str) -> Page:
        src = self.site.factor(ident)
        factor = self.kb.catalog.factors[ident]
        incidents = self.index.by_factor.get(ident, [])
        meta = front_matter(factor.name, tags=[ident, *factor.aliases])
        content = self._render(
            "factor.md.j2", src, front_matter=Markup(meta), factor=factor, incidents=incidents,
            services=self.index.service_counts(incidents), cooccurring=self.index.cooccurring(ident), chart="",
        )  # fmt: skip
        return Page(src, content, "factor")


def asset_pages(site: Site) -> list[Page]:
    """The stylesheet and script the pages use, served from the site itself (no CDN)."""
    folder = Path(__file__).parent / "assets"
    return [
        Page(site.asset(name), (folder / name).read_text(encoding="utf-8"), "asset")
        for name in ASSETS
    ]


def _first_sentence(text: str) -> str:
    plain = " ".join(text.split())
    end = plain.find(". ")
    sentence = plain if end == -1 else plain[: end + 1]
    return sentence[:300]
