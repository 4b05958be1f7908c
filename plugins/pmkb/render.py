"""Generated pages: Markdown (with HTML pieces) for every incident, listing, service and factor."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from . import export
from .analysis import Analysis, FollowThrough
from .blocks import Rendered, block
from .charts import DataTable, Figure, Series, bar_chart
from .index import Index, Related
from .knowledge import KnowledgeBase
from .model import Catalog, Factor, Postmortem, Service
from .parallel import FORK, chunked_map, collector_paused
from .settings import Settings
from .trends import MEASURES, per_period, periods
from .urls import Site

_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^)\[]*\)")  # no `[` inside: linear, not quadratic
ITEM_LABELS = {"open": "open", "in-progress": "in progress", "done": "done", "wont-do": "won't do"}
STATUS_LABELS = {"draft": "Draft", "in-review": "In review", "published": "Published"}
ASSETS = ("pmkb.css", "pmkb.js")
LIST_LIMIT = 50  # rows of a list on one page; beyond it the page links to the full table or export
# Per factor, on the trends and action-items pages: these lists grow with the history otherwise.
PER_FACTOR_LIMIT = 10
COMPACT_ABOVE = 500  # published incidents; above it `search: auto` indexes incidents compactly


@dataclass(frozen=True)
class Page:
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
class Pending:
    """An incident page whose text is made only when `text()` is called.

    A build that reads pages one by one need not hold every incident's text at once, and a
    forked process can render the pages it converts itself.
    """

    src: str
    source_path: Path
    search: str | None
    text: Callable[[], Rendered]


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


def _names(ids: tuple[str, ...], entries: Mapping[str, Service | Factor]) -> str:
    """Catalog names joined by commas; an id the catalog lacks stands for itself."""
    return ", ".join(entries[i].name if i in entries else i for i in ids)


def _why(r: Related, catalog: Catalog) -> str:
    reasons = []
    if r.shared_factors:
        names = _names(r.shared_factors, catalog.factors)
        reasons.append(f"same factor{'s' if len(r.shared_factors) > 1 else ''}: {names}")
    if r.shared_services:
        names = _names(r.shared_services, catalog.services)
        reasons.append(f"same service{'s' if len(r.shared_services) > 1 else ''}: {names}")
    if r.days_apart is not None:
        reasons.append(
            "same day"
            if r.days_apart == 0
            else f"{r.days_apart} day{'s' if r.days_apart != 1 else ''} apart"
        )
    return "; ".join(reasons)


def _meta_text(text: str) -> str:
    # Themes print `title` and `description` unescaped (in <title>, headers and attributes), and the
    # plain theme's `striptags` unescapes entities again, so angle brackets are replaced outright.
    return str(escape(text.replace("<", "\u2039").replace(">", "\u203a")))


# Characters YAML may not hold raw (C1 controls, DEL, surrogates, non-characters, the byte-order
# mark) or reads as line breaks (NEL, the line and paragraph separators): JSON writes them raw.
_NOT_YAML_TEXT = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter for a generated page; the title is made safe for themes that print it raw.

    Any character of any value comes back from MkDocs' YAML reader as it went in.
    """
    # One JSON object is valid YAML and is written several times faster than PyYAML's dump; the
    # characters JSON leaves raw that YAML refuses are written as escapes both understand.
    text = json.dumps({"title": _meta_text(title), **extra}, ensure_ascii=False)
    return _NOT_YAML_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _Chips:
    """Service and factor names linking to their pages, each made once per page depth."""

    def __init__(self, catalog: Catalog, site: Site) -> None:
        self._catalog = catalog
        self._site = site
        self._made: dict[tuple[str, str, str], Markup] = {}

    def make(self, kind: str, ident: str, root: str) -> Markup:
        key = (kind, ident, root)
        made = self._made.get(key)
        if made is None:
            catalog = self._catalog.services if kind == "service" else self._catalog.factors
            entry = catalog.get(ident)
            src = self._site.service(ident) if kind == "service" else self._site.factor(ident)
            href = root + self._site.url(src)
            label = "Service" if kind == "service" else "Contributing factor"
            made = Markup(
                '<a class="pmkb-chip pmkb-chip--{}" href="{}" title="{}: {}">{}</a>'
            ).format(kind, href, label, ident, entry.name if entry else ident)
            self._made[key] = made
        return made


class _Badges:
    """Severity and status badges, each made once per value (a Jinja macro call costs more)."""

    def __init__(self, severities: tuple[str, ...]) -> None:
        self._rank = {s: i + 1 for i, s in enumerate(severities)}
        self._made: dict[tuple[str, str, str], Markup] = {}

    def sev(self, severity: str | None) -> Markup:
        return self._badge("sev", str(self._rank.get(severity or "", 0)), severity or "?")

    def status(self, status: str | None) -> Markup:
        return self._badge("status", str(status), STATUS_LABELS.get(status or "", status or "?"))

    def _badge(self, kind: str, modifier: str, text: str) -> Markup:
        key = (kind, modifier, text)
        badge = self._made.get(key)
        if badge is None:
            badge = Markup('<span class="pmkb-{0} pmkb-{0}--{1}">{2}</span>').format(
                kind, modifier, text
            )
            self._made[key] = badge
        return badge


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
    ) -> None:
        # `body` turns a postmortem's Markdown body into what its page carries; by default the
        # body as written, which the plugin sanitizes once MkDocs has converted the page.
        self._body = body
        self.kb = kb
        self.site = site
        self.today = today
        self.compact_search = compact_search
        self._chips = _Chips(kb.catalog, site)
        self.index = Index(kb.published)
        self.analysis = Analysis(self.index, kb.settings, today)
        self._quarters = periods(self.index.incidents, quarterly=True)
        self.env = Environment(
            loader=PackageLoader("pmkb", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=StrictUndefined,
        )
        # Nothing the environment holds refers back to this renderer or the knowledge base (a
        # Jinja environment and its templates refer to each other): the knowledge base is freed as
        # soon as the last page is rendered, not at the next full garbage collection.
        catalog = kb.catalog
        badges = _Badges(kb.settings.severities)
        self.env.filters.update(
            duration=duration,
            md=markdown_text,
            block=block,
            ticket=_ticket,
            why=lambda r: _why(r, catalog),
            minutes=_num,
        )
        self.env.globals.update(
            site=site,
            catalog=catalog,
            today=today,
            sev=badges.sev,
            status=badges.status,
            item_label=lambda s: ITEM_LABELS.get(s, s),
            list_limit=LIST_LIMIT,
            per_factor_limit=PER_FACTOR_LIMIT,
        )

    def _render(self, template: str, src: str, **context: Any) -> Rendered:
        link = partial(self.site.link, src)
        chip = partial(self._chips.make, root=self.site.root(src))
        blocks: list[str] = []
        markdown = self.env.get_template(template).render(
            link=link, chip=chip, blocks=blocks, **context
        )
        return Rendered(markdown, tuple(blocks))

    def pages(self, jobs: int = 1) -> list[Page]:
        """Every generated page, in a stable order; incident pages in `jobs` processes where forking is possible."""
        global _RENDERER
        _RENDERER = self
        try:
            with collector_paused():
                pages = chunked_map(_incident_pages, self.index.incidents, jobs if FORK else 1)
        finally:
            _RENDERER = None
        return pages + self.other_pages()

    def pending_incidents(self) -> list[Pending]:
        """The incident pages of `pages()`, each rendered only when its text is asked for."""
        return [self._pending(pm) for pm in self.index.incidents]

    def other_pages(self) -> list[Page]:
        """The pages of `pages()` after the incident pages: listings, catalog pages, exports."""
        pages = [self.incidents(), self.services()]
        pages.extend(self.service(ident) for ident in sorted(self.kb.catalog.services))
        pages.append(self.factors())
        pages.extend(self.factor(ident) for ident in sorted(self.kb.catalog.factors))
        pages.append(self.trends())
        pages.append(self.action_items())
        pages.extend(self.exports())
        return pages

    def incident(self, pm: Postmortem) -> Page:
        pending = self._pending(pm)
        rendered = pending.text()
        return Page(
            pending.src,
            rendered.markdown,
            "incident",
            pending.source_path,
            search=pending.search,
            blocks=rendered.blocks,
        )

    def _pending(self, pm: Postmortem) -> Pending:
        search = self._search_entry(pm) if self.compact_search else None
        return Pending(self.site.incident(pm.id), pm.path, search, partial(self._incident_text, pm))

    def _incident_text(self, pm: Postmortem) -> Rendered:
        src = self.site.incident(pm.id)
        tags = [_meta_text(tag) for tag in sorted({*pm.services, *pm.factors})]
        meta = front_matter(
            pm.title, tags=tags, description=_meta_text(_first_sentence(pm.summary))
        )
        problems = [f for f in pm.findings if f.level.value == "error"]
        body = pm.body.strip()
        if self._body is not None:
            body = self._body(body)
        return self._render(
            "incident.md.j2", src, pm=pm, front_matter=Markup(meta), body=Markup(body),
            problems=problems, related=self.index.related(pm, self.kb.settings.related_limit),
        )  # fmt: skip

    def _search_entry(self, pm: Postmortem) -> str:
        """What compact search indexes for an incident besides its title (the page's): the header
        card's facts and names and the summary's opening, as one short HTML section."""
        catalog = self.kb.catalog
        facts = [
            pm.severity or "",
            pm.date.isoformat() if pm.date else "",
            f"Services: {_names(pm.services, catalog.services)}",
            f"Contributing factors: {_names(pm.factors, catalog.factors)}",
        ]
        if pm.authors:
            facts.append("Authors: " + ", ".join(pm.authors))
        return str(
            Markup("<p>{}</p>\n<p>{}</p>").format(
                " · ".join(f for f in facts if f), _excerpt(pm.summary)
            )
        )

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
        return _page(src, content, "listing", in_nav=True)

    def services(self) -> Page:
        src = self.site.services()
        services = sorted(self.kb.catalog.services.values(), key=lambda s: s.name.lower())
        rows = [(s, self.index.by_service.get(s.id, [])) for s in services]
        meta = front_matter("Services", search={"exclude": True}, hide=["navigation", "toc"])
        content = self._render("services.md.j2", src, front_matter=Markup(meta), services=rows)
        return _page(src, content, "listing", in_nav=True)

    def service(self, ident: str) -> Page:
        src = self.site.service(ident)
        service = self.kb.catalog.services[ident]
        incidents = self.index.by_service.get(ident, [])
        counts = [
            (s, sum(pm.severity == s for pm in incidents)) for s in self.kb.settings.severities
        ]
        meta = front_matter(service.name, tags=[_meta_text(ident)], hide=["toc"])
        content = self._render(
            "service.md.j2", src, front_matter=Markup(meta), service=service, incidents=incidents,
            severity_counts=counts, factors=self.index.factor_counts(incidents)[:8],
            chart=self._history_chart(f"service-{ident}", service.name, incidents),
        )  # fmt: skip
        return _page(src, content, "service")

    def factors(self) -> Page:
        src = self.site.factors()
        groups: dict[str, list[Any]] = {}
        for f in sorted(self.kb.catalog.factors.values(), key=lambda f: f.name.lower()):
            groups.setdefault(f.category, []).append((f, self.index.by_factor.get(f.id, [])))
        categories = sorted(groups.items(), key=lambda kv: kv[0].lower())
        meta = front_matter("Contributing factors", search={"exclude": True})
        content = self._render(
            "factors.md.j2", src, front_matter=Markup(meta), categories=categories
        )
        return _page(src, content, "listing", in_nav=True)

    def factor(self, ident: str) -> Page:
        src = self.site.factor(ident)
        factor = self.kb.catalog.factors[ident]
        incidents = self.index.by_factor.get(ident, [])
        tags = [_meta_text(tag) for tag in (ident, *factor.aliases)]
        meta = front_matter(factor.name, tags=tags, hide=["toc"])
        content = self._render(
            "factor.md.j2", src, front_matter=Markup(meta), factor=factor, incidents=incidents,
            services=self.index.service_counts(incidents), cooccurring=self.index.cooccurring(ident),
            chart=self._history_chart(f"factor-{ident}", factor.name, incidents),
        )  # fmt: skip
        return _page(src, content, "factor")

    def _history_chart(
        self, chart_id: str, name: str, incidents: list[Postmortem]
    ) -> Figure | None:
        """Incidents per quarter over the knowledge base's whole span, for a service or factor page."""
        if not incidents:
            return None
        groups = per_period(incidents, self._quarters)
        labels = [q.label for q in self._quarters]
        values = tuple(float(len(groups[q])) for q in self._quarters)
        title = f"Incidents per quarter: {name}"
        described = ", ".join(f"{q.label}: {len(groups[q])}" for q in self._quarters if groups[q])
        chart = bar_chart(
            chart_id,
            title,
            f"{len(incidents)} incidents. {described}.",
            labels,
            [Series("incidents", "pmkb-fill-accent", values)],
            height=170,
        )
        table = DataTable(
            "Data", ["Quarter", "Incidents"], [(q.label, len(groups[q])) for q in self._quarters]
        )
        return Figure(chart, title, table)

    def trends(self) -> Page:
        src = self.site.trends()
        a = self.analysis
        severities = self.kb.settings.severities
        labels = [p.label for p in a.periods]
        series = [
            Series(
                s,
                f"pmkb-fill-sev{min(i + 1, 4)}",
                tuple(float(a.severity_counts(p)[i]) for p in a.periods),
            )
            for i, s in enumerate(severities)
        ]
        period_name = "quarter" if a.periods and a.periods[0].quarterly else "month"
        volume = Figure(
            bar_chart("volume", f"Incidents per {period_name} by severity", _volume_description(a, period_name), labels, series),
            f"Published incidents per {period_name}, stacked by severity.",
            DataTable("Data", [period_name.capitalize(), *severities, "Total"], [
                (p.label, *a.severity_counts(p), sum(a.severity_counts(p))) for p in a.periods
            ]),
        )  # fmt: skip
        time_table = a.time_table()
        time_charts = []
        for name, _ in MEASURES:
            medians = tuple(d[name].median or 0.0 for _, d in time_table)
            p90s = tuple(d[name].p90 or 0.0 for _, d in time_table)
            q_labels = [q.label for q, _ in time_table]
            overall = a.overall()[name]
            title = f"Time to {name} per quarter"
            text = f"Median and 90th percentile minutes to {name} per quarter. Over all incidents: median {_num(overall.median)}, 90th percentile {_num(overall.p90)} minutes, from {overall.count} incidents."
            chart = bar_chart(
                f"time-{name}",
                title,
                text,
                q_labels,
                [
                    Series("median", "pmkb-fill-accent", medians),
                    Series("90th percentile", "pmkb-fill-muted", p90s),
                ],
                stacked=False,
                height=200,
                log_minutes=True,
            )
            time_charts.append(
                Figure(
                    chart,
                    f"{title}: median and 90th percentile. "
                    f"All incidents: median {_num(overall.median)}, p90 {_num(overall.p90)}.",
                )
            )
        top_services = self.index.service_counts(self.index.incidents)[:10]
        names = [self.kb.catalog.services[s].name for s, _ in top_services]
        services_chart = Figure(
            bar_chart("services", "Incidents per service", "Services with the most incidents: " + ", ".join(f"{n}: {c}" for n, (_, c) in zip(names, top_services, strict=True)) + ".", names, [Series("incidents", "pmkb-fill-accent", tuple(float(c) for _, c in top_services))], height=230, categories=True),
            "The services with the most incidents (an incident can touch several).",
            DataTable("Data", ["Service", "Incidents"], [(n, c) for n, (_, c) in zip(names, top_services, strict=True)]),
        )  # fmt: skip
        incidents = self.index.incidents
        meta = front_matter("Trends", search={"exclude": True}, hide=["navigation"])
        content = self._render(
            "trends.md.j2", src, front_matter=Markup(meta), count=len(incidents),
            first=min((pm.date for pm in incidents if pm.date), default=None),
            last=max((pm.date for pm in incidents if pm.date), default=None),
            period_name=period_name, volume_chart=volume, time_charts=time_charts, time_table=time_table,
            measures=[m for m, _ in MEASURES], recurring=a.recurring, settings=self.kb.settings,
            factors_by_quarter=[(q, a.top_factors(q)) for q in a.quarters],
            incident_counts={q: len(a.by_quarter[q]) for q in a.quarters},
            services_chart=services_chart, pairs=a.pairs,
        )  # fmt: skip
        return _page(src, content, "listing", in_nav=True)

    def action_items(self) -> Page:
        src = self.site.action_items()
        a = self.analysis
        completion = a.completion()
        labels = [q.label for q, _, _ in completion]
        rates = tuple(
            round(100.0 * done / total, 1) if total else 0.0 for _, done, total in completion
        )
        chart = Figure(
            bar_chart("completion", "Action items done, by quarter of the incident", "Share of action items done (won't-do excluded) per quarter of the incident: " + ", ".join(f"{q.label}: {done} of {total}" for q, done, total in completion if total) + ".", labels, [Series("% done", "pmkb-fill-sev4ok", rates)], unit="%", height=200),
            "Share of each quarter's action items that are done (won't-do items excluded).",
            DataTable("Data", ["Quarter", "Done", "Counted", "% done"], [(q.label, done, total, f"{100.0 * done / total:.0f}%" if total else "—") for q, done, total in completion]),
        )  # fmt: skip
        meta = front_matter("Action items", search={"exclude": True}, hide=["navigation"])
        content = self._render(
            "action_items.md.j2", src, front_matter=Markup(meta), total=len(a.items), overdue=a.overdue(),
            by_status=a.by_status(), by_owner=a.by_owner(), completion_chart=chart, **_follow_through(a.follow_through()),
        )  # fmt: skip
        return _page(src, content, "listing", in_nav=True)

    def records(self) -> list[dict[str, Any]]:
        return [export.record(pm, self.site, self.today) for pm in self.index.incidents]

    def exports(self) -> list[Page]:
        records = self.records()
        items = [(i.incident, i.item) for i in self.analysis.items[::-1]]
        return [
            Page("incidents.json", export.to_json(records), "data"),
            Page("incidents.csv", export.to_csv(records), "data"),
            Page("action-items.csv", export.action_items_csv(items, self.site, self.today), "data"),
        ]


def _page(src: str, rendered: Rendered, kind: str, in_nav: bool = False) -> Page:
    return Page(src, rendered.markdown, kind, in_nav=in_nav, blocks=rendered.blocks)


# The renderer whose incident pages are being made; forked workers find it here, already built.
_RENDERER: Renderer | None = None


def _incident_pages(incidents: list[Postmortem]) -> list[Page]:
    assert _RENDERER is not None
    return [_RENDERER.incident(pm) for pm in incidents]


def _follow_through(found: list[FollowThrough]) -> dict[str, Any]:
    """The latest comebacks of each factor (at most PER_FACTOR_LIMIT), in the order found."""
    by_factor: dict[str, list[FollowThrough]] = {}
    for ft in found:
        by_factor.setdefault(ft.factor, []).append(ft)
    shown = [ft for items in by_factor.values() for ft in items[-PER_FACTOR_LIMIT:]]
    return {"follow_through": shown, "follow_through_total": len(found)}


def compact_search(settings: Settings, published: int) -> bool:
    """Whether incidents are indexed by title, metadata and summary only (`search` option)."""
    if settings.search == "full":
        return False
    return settings.search == "compact" or published > COMPACT_ABOVE


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _volume_description(a: Analysis, period_name: str) -> str:
    busiest = sorted(a.periods, key=lambda p: (-len(a.by_period[p]), p.start))[:3]
    total = sum(len(v) for v in a.by_period.values())
    text = f"{total} incidents over {len(a.periods)} {period_name}s."
    if busiest and a.by_period[busiest[0]]:
        text += (
            " Busiest: "
            + ", ".join(f"{p.label} ({len(a.by_period[p])})" for p in busiest if a.by_period[p])
            + "."
        )
    return text


def asset_pages(site: Site) -> list[Page]:
    """The stylesheet and script the pages use, served from the site itself (no CDN)."""
    folder = Path(__file__).parent / "assets"
    return [
        Page(site.asset(name), (folder / name).read_text(encoding="utf-8"), "asset")
        for name in ASSETS
    ]


def _plain(markdown: str) -> str:
    """Markdown prose as one line of plain text: link text kept, code and bold marks dropped."""
    return " ".join(_MD_LINK.sub(r"\1", markdown).replace("`", "").replace("**", "").split())


def _excerpt(summary: str, limit: int = 240) -> str:
    """The summary's opening for the compact search index: whole sentences up to about `limit` characters."""
    plain = _plain(summary)
    if len(plain) <= limit:
        return plain
    cut = plain.rfind(". ", 0, limit)
    return plain[: cut + 1] if cut > 0 else plain[:limit].rsplit(" ", 1)[0] + "…"


def _first_sentence(text: str) -> str:
    """The summary's first sentence as plain text, for the page's description."""
    plain = _plain(text)
    end = plain.find(". ")
    sentence = plain if end == -1 else plain[: end + 1]
    return sentence[:300]
