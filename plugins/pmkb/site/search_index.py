"""Faceted full-text search (`search: faceted`, what `auto` chooses): what the site's search
index holds, and the search page that reads it. The index's files are `text_index`'s.

What is indexed, from the built HTML (each page's article only, not the navigation):
- every published incident, its title and body, with the facets pmkb knows from the front
  matter and catalogs: kind, service, factor, severity, year, status and review. Drafts are never
  indexed, even on a site that publishes them for preview;
- the service and factor pages and the pages written in docs_dir, as kind "Page".

The facets and a result's metadata come from the knowledge base, never from the page's HTML, so
no postmortem (even with `trust_html`) can forge a facet value or its title. The header card, the
related incidents and pmkb's banners are left out of the indexed text, so that a search for one
incident's title does not find every incident listing it as related and an excerpt never shows
the card's run-together labels.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from html import unescape
from pathlib import Path

import nh3
from markupsafe import escape
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files, InclusionLevel

from ..model import KIND_LABELS, REVIEW_LABELS, Catalog, Factor, Postmortem, Service
from ..parallel import chunked_map
from ..read.custom_fields import CustomField, filter_values, in_order
from ..read.knowledge import KnowledgeBase
from ..settings import Settings
from ..urls import SEARCH_PAGE, Site
from .blocks import front_matter_block
from .pages.base import GeneratedPage
from .pages.text import STATUS_LABELS
from .text_index import Counted, Document, Indexer, counted

log = logging.getLogger("mkdocs.plugins.pmkb.search")

INDEX_FOLDER = "search/index"  # beside the search page, search/index.html
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
    ("review", "Review"),
)
# Pages of docs_dir MkDocs does not publish (`exclude_docs`, `draft_docs`) are not indexed.
_LEFT_OUT_DOCS = (InclusionLevel.EXCLUDED, InclusionLevel.DRAFT)
PAGE_KIND = "Page"

_ARTICLE_START = re.compile(r'<article\b[^>]*\bclass="[^"]*\bmd-content__inner\b[^"]*"[^>]*>')
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.S | re.I)
_PERMALINK = re.compile(r'<a class="headerlink"[^>]*>[^<]*</a>')
# pmkb's blocks that are not the incident's text; the first match of each is pmkb's own, which
# comes before the body (the card) or is the page's last list (related incidents) - a
# contributor's copy of the class is left in: it is only text.
_LEFT_OUT = (
    re.compile(r'<div class="pmkb-card">'),
    re.compile(r'<div class="admonition [a-z]+ pmkb-(?:banner|problems)">'),
)
_RELATED = '<ul class="pmkb-related">'
_RESURFACED = '<div class="pmkb-on-this-day"'


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
    severities: tuple[str, ...] = ()
    # The custom fields declared `filter: true` that the site shows: facets after pmkb's own.
    custom: tuple[CustomField, ...] = ()

    @property
    def facets(self) -> tuple[tuple[str, str], ...]:
        """The facets of this build, in the order the search page shows them: (name, label)."""
        return (*FACETS, *((f.name, f.label) for f in self.custom))


@dataclass(frozen=True)
class IndexStats:
    """What writing the index did: pages indexed, seconds taken, bytes written."""

    pages: int
    seconds: float
    bytes: int


def incident_entry(
    pm: Postmortem,
    site: Site,
    catalog: Catalog,
    severities: tuple[str, ...],
    review_required_for: tuple[str, ...] = (),
    custom: tuple[CustomField, ...] = (),
) -> Entry:
    """The index entry of a published incident, its facets from the front matter; its review
    facet as the incidents table's Review filter words it, for the severities that require one;
    and a facet per `custom` field, its values as the table's filter words them."""
    src = site.incident(pm.id)
    services = tuple(_name(s, catalog.services) for s in pm.services)
    factors = tuple(_name(f, catalog.factors) for f in pm.factors)
    aliases = [a for f in pm.factors if f in catalog.factors for a in catalog.factors[f].aliases]
    status = STATUS_LABELS.get(pm.status, pm.status)
    year = str(pm.date.year) if pm.date else ""
    rank = severities.index(pm.severity) + 1 if pm.severity in severities else 0
    review = pm.review_state(review_required_for)
    filters = {
        "kind": (KIND_LABELS[pm.kind],),
        "service": services,
        "factor": factors,
        "severity": (pm.severity,) if pm.severity else (),
        "year": (year,) if year else (),
        "status": (status,),
        "review": (REVIEW_LABELS[review],) if review else (),
        **{f.name: filter_values(pm.custom_value(f.name)) for f in custom},
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
        site.output(src), site.link("", src), pm.title, filters, meta, names=names, incident=True
    )


def page_entry(src: str, site: Site, title: str = "") -> Entry:
    """The index entry of a page that is not an incident: found by its text, kind "Page"."""
    return Entry(site.output(src), site.link("", src), title, {"kind": (PAGE_KIND,)})


def plan(
    published: Iterable[Postmortem],
    catalog: Catalog,
    site: Site,
    severities: tuple[str, ...],
    pages: Iterable[str],
    review_required_for: tuple[str, ...] = (),
    custom: tuple[CustomField, ...] = (),
) -> SearchPlan:
    """The build's index: its published incidents but drafts, newest first (the order of a
    listing without words), then `pages` (source paths)."""
    incidents = sorted(
        (pm for pm in published if pm.status != "draft"),
        key=lambda pm: (-(pm.date.toordinal() if pm.date else 0), pm.id),
    )
    entries = [
        incident_entry(pm, site, catalog, severities, review_required_for, custom)
        for pm in incidents
    ]
    entries.extend(page_entry(src, site) for src in pages)
    return SearchPlan(tuple(entries), severities, custom)


def build_plan(kb: KnowledgeBase, site: Site, files: Files) -> SearchPlan | None:
    """What this build indexes, or None when the `search` option is another.

    `files` holds the pages written in docs_dir (not drafts that MkDocs leaves out); the service
    and factor pages are pmkb's, one per catalog entry.
    """
    if not kb.settings.faceted_search:
        return None
    own = [
        f.src_uri
        for f in files.documentation_pages()
        if f.generated_by is None and f.inclusion not in _LEFT_OUT_DOCS
    ]
    catalog = [site.service(i) for i in sorted(kb.catalog.services)]
    catalog += [site.factor(i) for i in sorted(kb.catalog.factors)]
    settings = kb.settings
    pages = own + catalog
    return plan(
        kb.published,
        kb.catalog,
        site,
        settings.severities,
        pages,
        settings.review_required_for,
        _filterable(settings),
    )


def _filterable(settings: Settings) -> tuple[CustomField, ...]:
    """The custom fields that are facets: declared `filter: true`, and shown by the site."""
    return tuple(f for f in settings.shown_custom_fields if f.filter)


def write(
    site_dir: Path, search: SearchPlan, cache: PageCache | None = None, jobs: int = 1
) -> None:
    """`write_index`, logged, and stopping the build with a plain message when it fails."""
    try:
        stats = write_index(site_dir, search, cache, jobs)
    except OSError as exc:
        raise PluginError(f"pmkb: the search index could not be written: {exc}") from exc
    log.info(
        f"Search index: {stats.pages} pages indexed in {stats.seconds:.1f} s "
        f"({stats.bytes / 1e6:.1f} MB in {INDEX_FOLDER}/)"
    )


def _name(ident: str, entries: Mapping[str, Service | Factor]) -> str:
    """The catalog's name; an id the catalog lacks stands for itself, as on the pages."""
    return entries[ident].name if ident in entries else ident


def facet_values(search: SearchPlan) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """Each facet with its values and how many pages have each, in the order the page lists
    them: years newest first, severities and statuses as configured, names alphabetically.

    The search page's filters are written from these at build time, so that a first query does
    not download a facet's file to list them."""
    counts: dict[str, dict[str, int]] = {name: {} for name, _ in search.facets}
    for entry in search.entries:
        for name, values in entry.filters.items():
            for value in values:
                counts[name][value] = counts[name].get(value, 0) + 1
    order = {
        "kind": {label: i for i, label in enumerate([*KIND_LABELS.values(), PAGE_KIND])},
        "severity": {s: i for i, s in enumerate(search.severities)},
        "status": {label: i for i, label in enumerate(STATUS_LABELS.values())},
        "review": {label: i for i, label in enumerate(REVIEW_LABELS.values())},
    }
    for custom in search.custom:
        order[custom.name] = {v: i for i, v in enumerate(in_order(custom, counts[custom.name]))}
    facets = []
    for name, label in search.facets:
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
    target = site.link("", SEARCH_PAGE)
    facets = facet_values(search)
    pages = [GeneratedPage(SEARCH_PAGE, page, "search")]
    for name in SEARCH_ASSETS:
        text = (_ASSETS_FOLDER / name).read_text("utf-8")
        # JSON is a JavaScript literal: the page path and facet names are written in as data.
        text = text.replace("__PMKB_SEARCH_PAGE__", json.dumps(target))
        text = text.replace("__PMKB_FACETS__", json.dumps(facets))
        text = text.replace("__PMKB_SEARCH_INDEX__", json.dumps(INDEX_FOLDER + "/"))
        pages.append(GeneratedPage(site.asset(name), text, "asset"))
    return pages


def document(html: str, entry: Entry) -> Document:
    """What the index holds of a built page: its article's text, less pmkb's own blocks on an
    incident page, with the facets and metadata of `entry`."""
    text = _article(html)
    text = _without_own_blocks(text) if entry.incident else _without_resurfaced(text)
    title = entry.title or _text(_first_heading(text))
    return Document(entry.url, title, _text(text), entry.names, entry.meta, entry.filters)


def _article(html: str) -> str:
    """The page's main text: Material's article, or the whole body with another theme."""
    start = _ARTICLE_START.search(html)
    if start is not None:
        end = html.rfind("</article>")
        if end > start.end():
            return html[start.end() : end]
    body = _BODY.search(html)
    return body.group(1) if body else html


def _without_own_blocks(html: str) -> str:
    for pattern in _LEFT_OUT:
        found = pattern.search(html)
        if found is not None:
            html = _cut(html, found.start(), "div")
    at = html.rfind(_RELATED)
    return _cut(html, at, "ul") if at >= 0 else html


def _without_resurfaced(html: str) -> str:
    """A page of the site's own without the "on this day" block it places: the incidents it
    lists are found on their own pages, not on the home page that mentions them this week."""
    at = html.find(_RESURFACED)
    while at >= 0:
        html = _cut(html, at, "div")
        at = html.find(_RESURFACED, at)
    return html


def _cut(html: str, start: int, tag: str) -> str:
    """`html` without the element opening at `start`, its nested elements of the same name
    counted (the page was sanitized, or is pmkb's own markup): one pass, linear."""
    depth = 0
    for found in re.compile(rf"<(/?){tag}\b[^>]*>", re.I).finditer(html, start):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html[:start] + " " + html[found.end() :]
    return html[:start]


def _first_heading(html: str) -> str:
    start = html.find("<h1")
    end = html.find("</h1>", start)
    return html[start:end] if start >= 0 and end > start else ""


def _text(html: str) -> str:
    """The words of `html` as text: tags dropped (each as a space, so that words of adjacent
    blocks stay apart), scripts and styles with their content, permalinks' pilcrows."""
    html = _PERMALINK.sub(" ", html)
    stripped = nh3.clean(
        html.replace("<", " <"),
        tags=set(),
        attributes={},
        clean_content_tags={"script", "style", "template"},
    )
    return " ".join(unescape(stripped).split())


class PageCache:
    """Each page's counted words, kept between `mkdocs serve` rebuilds by its file's size and
    modification time and by its entry: a rebuild counts again only the pages it wrote."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[tuple[int, int, Entry], Counted]] = {}

    def counted(self, path: Path, entry: Entry) -> Counted | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size, entry)
        kept = self.pages.get(entry.output)
        if kept is not None and kept[0] == key:
            return kept[1]
        page = _read(path, entry)
        if page is None:
            return None
        made = counted(page)
        self.pages[entry.output] = (key, made)
        return made

    def keep_only(self, outputs: set[str]) -> None:
        for gone in [output for output in self.pages if output not in outputs]:
            del self.pages[gone]


def _read(path: Path, entry: Entry) -> Document | None:
    try:
        html = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None  # a page another plugin removed, or MkDocs did not write
    return document(html, entry)


def write_index(
    site_dir: Path, search: SearchPlan, cache: PageCache | None = None, jobs: int = 1
) -> IndexStats:
    """Index the built site's pages of `search` into the site, replacing the previous index;
    with `cache` (`mkdocs serve`), through it; else in `jobs` processes, each reading, counting
    and writing the files of a run of pages, the word files made from their parts here."""
    started = time.perf_counter()
    output = site_dir / INDEX_FOLDER
    if output.exists():
        shutil.rmtree(output)
    if cache is None:
        # Pages another plugin removed, or MkDocs did not write, are left out before numbering.
        present = [e for e in search.entries if (site_dir / e.output).is_file()]
        parts = chunked_map(partial(_indexed, site_dir, output), list(enumerate(present)), jobs)
        indexer = Indexer(output)
        for part in parts:
            indexer.join(part)
    else:
        indexer = Indexer(output)
        for entry in search.entries:
            page = cache.counted(site_dir / entry.output, entry)
            if page is not None:
                indexer.add(page)
        cache.keep_only({entry.output for entry in search.entries})
    size = indexer.finish()
    return IndexStats(indexer.documents, time.perf_counter() - started, size)


def _indexed(site_dir: Path, output: Path, pages: list[tuple[int, Entry]]) -> list[Indexer]:
    """A run of numbered pages, read, counted and their files written: one part of the index."""
    part = Indexer(output, pages[0][0] if pages else 0)
    for _, entry in pages:
        page = _read(site_dir / entry.output, entry)
        # Gone since it was seen: still numbered, so indexed as an empty page.
        part.add(page or Document(entry.url, entry.title, "", "", entry.meta, entry.filters))
    return [part]


def generated_plan(
    kb: KnowledgeBase, site: Site, pages: Iterable[GeneratedPage]
) -> SearchPlan | None:
    """`pmkb generate`'s index: its published incidents and its service and factor pages (the
    engine that builds the output publishes the project's own pages, and its own search finds
    them); None when the `search` option is another."""
    if not kb.settings.faceted_search:
        return None
    catalog = [p.src for p in pages if p.kind in ("service", "factor")]
    settings = kb.settings
    return plan(
        kb.published,
        kb.catalog,
        site,
        settings.severities,
        sorted(catalog),
        settings.review_required_for,
        _filterable(settings),
    )


def write_generated_index(
    docs: Path,
    search: SearchPlan,
    pages: Iterable[GeneratedPage],
    site: Site,
    convert: Callable[[str], str],
) -> list[str]:
    """The index of `pmkb generate`'s pages, written into its docs folder (the engine copies it
    to the site as it is): each page's Markdown converted as the engine would, by `convert`.
    Returns the files written, relative to `docs`."""
    html = {site.output(page.src): page for page in pages}
    folder = docs / INDEX_FOLDER
    indexer = Indexer(folder)
    for entry in search.entries:
        page = html.get(entry.output)
        if page is not None:
            text = page.inline()
            text = text[len(front_matter_block(text)) :]
            indexer.add(document(convert(text), entry))
    indexer.finish()
    return sorted(
        f"{INDEX_FOLDER}/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*")
        if p.is_file()
    )
