"""Faceted full-text search (`search: pagefind`): the site indexed by Pagefind after the build.

Material's search downloads its whole index before the first result, which is why pmkb cuts
incidents down to a compact entry above 500 of them. Pagefind (a maintained Rust indexer with an
official Python API, run from the `pagefind[bin]` wheels: no download, no service) writes an
index split into fragments that the browser fetches a few at a time, so every word of every
published incident stays findable at any size, and it keeps filters (facets) with each page.

What is indexed, from the built HTML (each page's article only, not the navigation):
- every published incident, its title and body, with the facets pmkb knows from the front
  matter and catalogs: kind, service, factor, severity, year and status. Drafts are never
  indexed, even on a site that publishes them for preview;
- the service and factor pages and the pages written in docs_dir, as kind "Page".

The facets and result metadata come from the knowledge base, never from the page: every
`data-pagefind` in a page's own text is neutralized before Pagefind reads it, so no postmortem
(even with `trust_html`) can forge a facet value, hide itself or pin its own title. The header
card, the related incidents and pmkb's banners are left out of the indexed text, so that a
search for one incident's title does not find every incident listing it as related and an
excerpt never shows the card's run-together labels.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files, InclusionLevel

from ..model import Catalog, Factor, Postmortem, Service
from ..read.knowledge import KnowledgeBase
from ..urls import Site
from .pages.base import GeneratedPage
from .pages.text import STATUS_LABELS

log = logging.getLogger("mkdocs.plugins.pmkb.search")

SEARCH_PAGE = "search/index.md"
OUTPUT_FOLDER = "pagefind"
SEARCH_ASSETS = ("pmkb-search.js", "pmkb-search.css")
_ASSETS_FOLDER = Path(__file__).parent / "assets"

# The facets, in the order the search page shows them: (filter name, label).
FACETS = (
    ("kind", "Kind"),
    ("service", "Service"),
    ("factor", "Contributing factor"),
    ("severity", "Severity"),
    ("year", "Year"),
    ("status", "Status"),
)
# Pages of docs_dir MkDocs does not publish (`exclude_docs`, `draft_docs`) are not indexed.
_LEFT_OUT_DOCS = (InclusionLevel.EXCLUDED, InclusionLevel.DRAFT)
INCIDENT_KIND = "Incident"
PAGE_KIND = "Page"

_ARTICLE_START = re.compile(r'<article\b[^>]*\bclass="[^"]*\bmd-content__inner\b[^"]*"[^>]*>')
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.S | re.I)
# Pagefind reads any attribute starting so; in the page's own HTML none may count.
_PAGEFIND_ATTRIBUTE = re.compile(r"data-pagefind", re.I)
# pmkb's blocks that are not the incident's text; the first match of each is pmkb's own, which
# comes before the body (the card) or is the page's last list (related incidents) - a
# contributor's copy of the class is left in: it is only text.
_LEFT_OUT = (
    re.compile(r'<div class="pmkb-card">'),
    re.compile(r'<div class="admonition [a-z]+ pmkb-(?:banner|problems)">'),
)
_RELATED = '<ul class="pmkb-related">'


@dataclass(frozen=True)
class Entry:
    """One page to index: its output file (relative to the site folder), URL and facets."""

    output: str
    url: str
    title: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    # Words findable besides the page's text: the catalog names of services and factors and the
    # factors' aliases, which the left-out header card would otherwise be alone to hold.
    names: str = ""
    incident: bool = False


@dataclass(frozen=True)
class SearchPlan:
    """What one build indexes, gathered while the knowledge base is in memory."""

    entries: tuple[Entry, ...]
    language: str = "en"
    severities: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexStats:
    """What writing the index did: pages indexed, seconds taken, bytes written."""

    pages: int
    seconds: float
    bytes: int


def is_pagefind(search: str) -> bool:
    """Whether the `search` option asks for Pagefind's index."""
    return search == "pagefind"


def incident_entry(
    pm: Postmortem, site: Site, catalog: Catalog, severities: tuple[str, ...]
) -> Entry:
    """The index entry of a published incident, its facets from the front matter."""
    src = site.incident(pm.id)
    services = tuple(_name(s, catalog.services) for s in pm.services)
    factors = tuple(_name(f, catalog.factors) for f in pm.factors)
    aliases = [a for f in pm.factors if f in catalog.factors for a in catalog.factors[f].aliases]
    status = STATUS_LABELS.get(pm.status, pm.status)
    year = str(pm.date.year) if pm.date else ""
    rank = severities.index(pm.severity) + 1 if pm.severity in severities else 0
    filters = {
        "kind": (INCIDENT_KIND,),
        "service": services,
        "factor": factors,
        "severity": (pm.severity,) if pm.severity else (),
        "year": (year,) if year else (),
        "status": (status,),
    }
    meta = {
        "title": pm.title,
        "date": pm.date.isoformat() if pm.date else "",
        "severity": pm.severity,
        "severity_rank": str(rank),
        "status": pm.status,
    }
    names = " ".join([*services, *factors, *aliases])
    return Entry(
        site.output(src), site.url(src), pm.title, filters, meta, names=names, incident=True
    )


def page_entry(src: str, site: Site, title: str = "") -> Entry:
    """The index entry of a page that is not an incident: found by its text, kind "Page"."""
    return Entry(site.output(src), site.url(src), title, {"kind": (PAGE_KIND,)})


def plan(
    published: Iterable[Postmortem],
    catalog: Catalog,
    site: Site,
    severities: tuple[str, ...],
    pages: Iterable[str],
    language: str = "en",
) -> SearchPlan:
    """The build's index: its published incidents but drafts, and `pages` (source paths)."""
    entries = [
        incident_entry(pm, site, catalog, severities) for pm in published if pm.status != "draft"
    ]
    entries.extend(page_entry(src, site) for src in pages)
    return SearchPlan(tuple(entries), language, severities)


def build_plan(
    kb: KnowledgeBase, site: Site, files: Files, config: MkDocsConfig
) -> SearchPlan | None:
    """What this build indexes with Pagefind, or None when the `search` option is another.

    `files` holds the pages written in docs_dir (not drafts that MkDocs leaves out); the service
    and factor pages are pmkb's, one per catalog entry.
    """
    if not is_pagefind(kb.settings.search):
        return None
    own = [
        f.src_uri
        for f in files.documentation_pages()
        if f.generated_by is None and f.inclusion not in _LEFT_OUT_DOCS
    ]
    catalog = [site.service(i) for i in sorted(kb.catalog.services)]
    catalog += [site.factor(i) for i in sorted(kb.catalog.factors)]
    language = str(config.theme.get("language") or "en")
    return plan(kb.published, kb.catalog, site, kb.settings.severities, own + catalog, language)


def write(site_dir: Path, search: SearchPlan) -> None:
    """`write_index`, logged, and stopping the build with a plain message when Pagefind fails."""
    try:
        stats = write_index(site_dir, search)
    except (ImportError, OSError, RuntimeError, AssertionError) as exc:
        raise PluginError(f"pmkb: search index (Pagefind) could not be written: {exc}") from exc
    log.info(
        f"Search index: {stats.pages} pages indexed by Pagefind in {stats.seconds:.1f} s "
        f"({stats.bytes / 1e6:.1f} MB in {OUTPUT_FOLDER}/)"
    )


def _name(ident: str, entries: Mapping[str, Service | Factor]) -> str:
    """The catalog's name; an id the catalog lacks stands for itself, as on the pages."""
    return entries[ident].name if ident in entries else ident


def facet_values(search: SearchPlan) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """Each facet with its values and how many pages have each, in the order the page lists
    them: years newest first, severities and statuses as configured, names alphabetically.

    The search page's filters are written from these at build time, so that a first query does
    not download Pagefind's filter index (about 80 kB at 5,000 incidents) to list them."""
    counts: dict[str, dict[str, int]] = {name: {} for name, _ in FACETS}
    for entry in search.entries:
        for name, values in entry.filters.items():
            for value in values:
                counts[name][value] = counts[name].get(value, 0) + 1
    order = {
        "kind": {INCIDENT_KIND: 0, PAGE_KIND: 1},
        "severity": {s: i for i, s in enumerate(search.severities)},
        "status": {label: i for i, label in enumerate(STATUS_LABELS.values())},
    }
    facets = []
    for name, label in FACETS:
        rank = order.get(name, {})
        listed = sorted(
            counts[name].items(), key=lambda v: (rank.get(v[0], len(rank)), v[0].casefold(), v[0])
        )
        if name == "year":
            listed.reverse()
        facets.append((name, label, listed))
    return facets


def search_pages(site: Site, search: SearchPlan) -> list[GeneratedPage]:
    """The search page and its script and stylesheet, added to the site's files."""
    page = "\n".join(
        [
            "---",
            "title: Search",
            "search:",
            "  exclude: true",
            "hide:",
            "  - toc",
            "---",
            "",
            "# Search",
            "",
            # Filled by pmkb-search.js; what shows without JavaScript says where the lists are.
            '<div id="pmkb-search" class="pmkb-search">',
            f'<p class="pmkb-search__nojs">Search needs JavaScript. Without it, the '
            f'<a href="{escape(site.link(SEARCH_PAGE, site.incidents()))}">incidents list</a> '
            "names every incident.</p>",
            "</div>",
            "",
        ]
    )
    target = site.url(SEARCH_PAGE) + ("" if site.directory_urls else "index.html")
    facets = facet_values(search)
    pages = [GeneratedPage(SEARCH_PAGE, page, "search")]
    for name in SEARCH_ASSETS:
        text = (_ASSETS_FOLDER / name).read_text("utf-8")
        # JSON is a JavaScript literal: the page path and facet names are written in as data.
        text = text.replace("__PMKB_SEARCH_PAGE__", json.dumps(target))
        text = text.replace("__PMKB_FACETS__", json.dumps(facets))
        pages.append(GeneratedPage(site.asset(name), text, "asset"))
    return pages


def index_document(html: str, entry: Entry, language: str) -> str:
    """What Pagefind reads for a built page: its article, with pmkb's facets and metadata."""
    text = _article(html)
    text = _PAGEFIND_ATTRIBUTE.sub("data-pmkb-ignored", text)
    # The permalinks' pilcrows are not words of the page.
    text = text.replace('class="headerlink"', 'class="headerlink" data-pagefind-ignore')
    if entry.incident:
        text = _left_out(text)
    own: list[str] = []
    for name, values in entry.filters.items():
        own.extend(f'<span data-pagefind-filter="{name}">{escape(v)}</span>' for v in values)
    for name, value in entry.meta.items():
        if value:
            own.append(f'<span data-pagefind-meta="{name}">{escape(value)}</span>')
    if entry.meta.get("date"):
        own.append(f'<span data-pagefind-sort="date">{escape(entry.meta["date"])}</span>')
    # The facets' and metadata's text is not the page's: Pagefind reads it, but does not index it.
    hidden = f"<div data-pagefind-ignore>{''.join(own)}</div>"
    names = f"<p>{escape(entry.names)}</p>" if entry.names else ""
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(entry.title)}</title></head><body>{hidden}{text}{names}</body></html>"
    )


def _article(html: str) -> str:
    """The page's main text: Material's article, or the whole body with another theme."""
    start = _ARTICLE_START.search(html)
    if start is not None:
        end = html.rfind("</article>")
        if end > start.end():
            return html[start.end() : end]
    body = _BODY.search(html)
    return body.group(1) if body else html


def _left_out(html: str) -> str:
    for pattern in _LEFT_OUT:
        html = pattern.sub(lambda m: m.group(0)[:-1] + " data-pagefind-ignore>", html, count=1)
    at = html.rfind(_RELATED)
    if at >= 0:
        html = (
            html[:at]
            + '<ul class="pmkb-related" data-pagefind-ignore>'
            + html[at + len(_RELATED) :]
        )
    return html


def write_index(site_dir: Path, search: SearchPlan) -> IndexStats:
    """Index the built site's pages of `search` into `site_dir`/pagefind, replacing it."""
    started = time.perf_counter()
    output = site_dir / OUTPUT_FOLDER
    if output.exists():
        shutil.rmtree(output)
    pages = asyncio.run(_write(site_dir, search, output))
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    return IndexStats(pages, time.perf_counter() - started, size)


async def _write(site_dir: Path, search: SearchPlan, output: Path) -> int:
    # Imported here: only sites that ask for Pagefind load it.
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(output_path=str(output), force_language=search.language)
    # What Pagefind reads is written to a folder of its own and handed over in one request: the
    # Python API answers one request per 0.1 s (its service polls so), 8 minutes for 5,000 pages
    # added one by one. Pagefind gives each page the URL of its path there, which is its URL on
    # the site.
    with tempfile.TemporaryDirectory(prefix="pmkb-search-") as folder:
        staged = Path(folder)
        indexed = 0
        for entry in search.entries:
            path = site_dir / entry.output
            if not path.is_file():  # a page another plugin removed, or MkDocs did not write
                continue
            document = index_document(path.read_text(encoding="utf-8"), entry, search.language)
            target = staged / entry.output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(document, encoding="utf-8")
            indexed += 1
        async with PagefindIndex(config) as index:
            result = await index.add_directory(str(staged))
    return int(result.get("page_count", indexed))
