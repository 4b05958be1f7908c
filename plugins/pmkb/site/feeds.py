"""Atom feeds (RFC 4287) of newly published postmortems: one for the site, one per service and
one per contributing factor, for teams to follow in a feed reader or a chat channel.

A feed holds only postmortems whose status is `published` (never a draft, even under
`publish_drafts`, nor one still in review), newest first, at most `FEED_ENTRIES` of them. Every
date in it is a postmortem's own: the same knowledge base makes the same bytes, whatever the day
of the build. Feed readers need absolute addresses, so feeds are made only for a site whose
`site_url` is known.

Every text and attribute value is escaped by the standard library's `xml.sax.saxutils`;
characters XML 1.0 cannot hold at all (most control characters) are replaced first, so a feed
always parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

from ..model import Catalog, Postmortem
from ..urls import Site
from .pages.text import excerpt, names

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
FEED_ENTRIES = 50  # a reader keeps what it has seen: a feed only needs to carry what is new
SUMMARY_LENGTH = 500  # characters of the summary section, cut at a sentence
# Feeds sit at the site's root: Material's scripts fetch `sitemap.xml` beside the address of every
# `<link rel="alternate">` of a page (for its language selector), which is the site's own there.
SITE_FEED = "feed.xml"
_PREFIXES = ("feed-service-", "feed-factor-")
# The `updated` of a feed with no entry yet: a fixed date, not the day of the build.
NO_ENTRY = "1970-01-01T00:00:00Z"
# Characters XML 1.0 has no way to write, not even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedSite:
    """Where the site is published and what it is called: what feeds need that pages do not."""

    url: str  # the site's absolute address, ending in `/`
    name: str

    @classmethod
    def of(cls, site_url: object, site_name: object) -> FeedSite | None:
        """The feeds' site for MkDocs' `site_url` and `site_name`; None when `site_url` is not an
        absolute http(s) address, which is when no feed is made. Values that are not text (a
        tag of a kind pmkb does not read) count as unset."""
        if not isinstance(site_url, str):
            return None
        parts = urlsplit(site_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        # Written as a URI: ids and links must be IRIs, which a space, say, is not part of.
        path = quote(parts.path, safe="/%:@!$&'()*+,;=~")
        url = parts._replace(path=path, query="", fragment="").geturl()
        name = site_name if isinstance(site_name, str) else ""
        return cls(url if url.endswith("/") else url + "/", name)

    def absolute(self, path: str) -> str:
        """The absolute address of a URL path relative to the site's root."""
        return self.url + quote(path, safe="/")


@dataclass(frozen=True)
class Feed:
    """One feed: where it is written, what it is called, the page it follows, its postmortems."""

    src: str  # the file in the site, such as `feed-service-checkout.xml`
    title: str  # what it follows, such as `Postmortems of service Checkout`
    page: str  # the source path of the page whose incidents it lists
    postmortems: tuple[Postmortem, ...]


def site_feed() -> str:
    """The site's own feed: every service and factor."""
    return SITE_FEED


def service_feed(ident: str) -> str:
    return f"{_PREFIXES[0]}{ident}.xml"


def factor_feed(ident: str) -> str:
    return f"{_PREFIXES[1]}{ident}.xml"


def is_feed(src: str) -> bool:
    """Whether a file of the site (by its path) is one of the feeds."""
    return src == SITE_FEED or (src.startswith(_PREFIXES) and src.endswith(".xml"))


SITE_TITLE = "All postmortems"  # what the site's feed follows


def service_title(name: str) -> str:
    return f"Postmortems of service {name}"


def factor_title(name: str) -> str:
    return f"Postmortems with contributing factor {name}"


def in_feeds(pm: Postmortem) -> bool:
    """Whether a published postmortem goes in the feeds: `published`, and dated (an entry has to
    say when it was updated; an undated one is reported by `pmkb check` already)."""
    return pm.status == "published" and pm.date is not None


def feeds(incidents: Iterable[Postmortem], catalog: Catalog, site: Site) -> list[Feed]:
    """The site's feed, then one per service and one per factor of the catalog, in id order.

    `incidents` are the site's published incidents, newest first (`Index.incidents`).
    """
    # Sorted once, so that each feed's postmortems are in order as they are grouped.
    shown = sorted(
        (pm for pm in incidents if in_feeds(pm)), key=lambda pm: pm.sort_key, reverse=True
    )
    by_service: dict[str, list[Postmortem]] = {ident: [] for ident in catalog.services}
    by_factor: dict[str, list[Postmortem]] = {ident: [] for ident in catalog.factors}
    for pm in shown:
        for ident in dict.fromkeys(pm.services):
            if ident in by_service:
                by_service[ident].append(pm)
        for ident in dict.fromkeys(pm.factors):
            if ident in by_factor:
                by_factor[ident].append(pm)
    found = [Feed(site_feed(), SITE_TITLE, site.incidents(), _latest(shown))]
    for ident in sorted(by_service):
        title = service_title(catalog.services[ident].name)
        found.append(
            Feed(service_feed(ident), title, site.service(ident), _latest(by_service[ident]))
        )
    for ident in sorted(by_factor):
        title = factor_title(catalog.factors[ident].name)
        found.append(Feed(factor_feed(ident), title, site.factor(ident), _latest(by_factor[ident])))
    return found


def _latest(postmortems: list[Postmortem]) -> tuple[Postmortem, ...]:
    return tuple(postmortems[:FEED_ENTRIES])


@dataclass(frozen=True)
class FeedLink:
    """A feed a page announces in its `<head>`: its file in the site and its title."""

    src: str
    title: str


class PageFeeds:
    """Per generated page, the feeds it announces besides the site's: a service's or factor's
    page its own, an incident's page those of its services and factors (of the catalog).

    An incident page's are found when asked for: a `serve --dirty` rebuild builds a few pages,
    and finding them for all the incidents was a thirtieth of its time at 5,000 postmortems.
    """

    def __init__(self, incidents: Iterable[Postmortem], catalog: Catalog, site: Site) -> None:
        self.catalog, self.site = catalog, site
        self.own: dict[str, FeedLink] = {}
        for ident, service in catalog.services.items():
            title = link_title(service_title(service.name))
            self.own[site.service(ident)] = FeedLink(service_feed(ident), title)
        for ident, factor in catalog.factors.items():
            title = link_title(factor_title(factor.name))
            self.own[site.factor(ident)] = FeedLink(factor_feed(ident), title)
        self.incidents = {site.incident(pm.id): pm for pm in incidents}

    def get(self, src: str) -> tuple[FeedLink, ...]:
        """The feeds the page at `src` announces besides the site's; none for another page."""
        own = self.own.get(src)
        if own is not None:
            return (own,)
        pm = self.incidents.get(src)
        if pm is None:
            return ()
        services, factors = self.catalog.services, self.catalog.factors
        links = [
            self.own[self.site.service(s)] for s in dict.fromkeys(pm.services) if s in services
        ]
        links += [self.own[self.site.factor(f)] for f in dict.fromkeys(pm.factors) if f in factors]
        return tuple(links)


def link_title(what: str) -> str:
    """How a page's `<link>` names a feed, as readers list the feeds a page offers."""
    return f"{what} (Atom)"


def atoms(found: Iterable[Feed], catalog: Catalog, site: Site, at: FeedSite) -> list[str]:
    """Each feed as an Atom document. A postmortem's entry reads the same in every feed that
    holds it (the site's, its services', its factors'), so each is written once; and once for
    as long as the postmortem, catalogs and site stay the same from one call to the next."""
    made_with = (catalog, site, at)
    before = _LAST.entries if _LAST.made_with == made_with else {}
    entries: dict[str, tuple[Postmortem, str]] = {}
    documents = []
    for feed in found:
        parts = []
        for pm in feed.postmortems:
            entry = entries.get(pm.id)  # ids are unique among published incidents
            if entry is None:
                entry = before.get(pm.id)
                if entry is None or not (entry[0] is pm or entry[0] == pm):
                    entry = (pm, _entry(pm, catalog, site, at))
                entries[pm.id] = entry
            parts.append(entry[1])
        documents.append(_document(feed, site, at, "".join(parts)))
    _LAST.made_with, _LAST.entries = made_with, entries
    return documents


@dataclass
class _Written:
    """The entries the last call of `atoms` wrote, by postmortem id, and what with."""

    made_with: tuple[Catalog, Site, FeedSite] | None = None
    entries: dict[str, tuple[Postmortem, str]] = field(default_factory=dict)


# `mkdocs serve` makes the feeds again after every save, and the postmortems of the files not
# saved are the very objects of the last build: writing their entries again was a thirtieth of
# a rebuild at 5,000 postmortems. Only the last call's entries are kept.
_LAST = _Written()


# Written as text, indented as `ElementTree.indent` would (two spaces a level), with the standard
# library's escaping: building and serializing element trees took 0.1 s for a 5,000-postmortem
# site's feeds, and most entries are in three feeds or more.
def _document(feed: Feed, site: Site, at: FeedSite, entries: str) -> str:
    address = at.absolute(feed.src)
    name = at.name.strip() or "Postmortems"
    newest = feed.postmortems[0] if feed.postmortems else None
    # Elements in no namespace under a root that declares Atom's as the default.
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="{ATOM}">'
        + _text(1, "id", address)
        + _text(1, "title", f"{name}: {feed.title}")
        + _text(1, "updated", _updated(newest.date) if newest and newest.date else NO_ENTRY)
        # A feed-level author stands for entries whose postmortems name none (RFC 4287, 4.1.1).
        + _author(1, name)
        + _link(1, "self", MEDIA_TYPE, address)
        + _link(1, "alternate", "text/html", at.absolute(site.url(feed.page)))
        + _text(1, "generator", "pmkb")
        + entries
        + "\n</feed>\n"
    )


def _entry(pm: Postmortem, catalog: Catalog, site: Site, at: FeedSite) -> str:
    assert pm.date is not None  # in_feeds
    page = at.absolute(site.url(site.incident(pm.id)))
    # The page's address: permanent while the postmortem's id and the site's address are.
    parts = [
        f"{_INDENT[1]}<entry>",
        _text(2, "id", page),
        _text(2, "title", pm.title),
        _text(2, "updated", _updated(pm.date)),
    ]
    parts.extend(_author(2, author) for author in pm.authors)
    parts.append(_link(2, "alternate", "text/html", page))
    services = at.absolute(site.url(site.services()))
    for ident in dict.fromkeys(pm.services):
        label = catalog.services[ident].name if ident in catalog.services else ident
        parts.append(_category(ident, label, services))
    factors = at.absolute(site.url(site.factors()))
    for ident in dict.fromkeys(pm.factors):
        label = catalog.factors[ident].name if ident in catalog.factors else ident
        parts.append(_category(ident, label, factors))
    lead = " · ".join(part for part in (pm.severity, names(pm.services, catalog.services)) if part)
    summary = excerpt(pm.summary, SUMMARY_LENGTH)
    text = f"{lead}. {summary}" if lead and summary else lead or summary
    parts.append(_text(2, "summary", text, ' type="text"'))
    parts.append(f"{_INDENT[1]}</entry>")
    return "".join(parts)


_INDENT = ("\n", "\n  ", "\n    ", "\n      ")
# What an attribute's value escapes beyond `&`, `<` and `>`: its quote, and the white space a
# parser would otherwise normalize to a space.
_ATTRIBUTE = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _text(level: int, name: str, text: str, attributes: str = "") -> str:
    body = escape(_xml(text))
    if not body:
        return f"{_INDENT[level]}<{name}{attributes} />"
    return f"{_INDENT[level]}<{name}{attributes}>{body}</{name}>"


def _author(level: int, name: str) -> str:
    return f"{_INDENT[level]}<author>{_text(level + 1, 'name', name)}{_INDENT[level]}</author>"


def _link(level: int, rel: str, media_type: str, href: str) -> str:
    return f"{_INDENT[level]}<link{_attributes(rel=rel, type=media_type, href=href)} />"


def _category(term: str, label: str, scheme: str) -> str:
    found = _attributes(term=_xml(term), scheme=_xml(scheme), label=_xml(label))
    return f"{_INDENT[2]}<category{found} />"


def _xml(text: str) -> str:
    """The text with each character XML 1.0 cannot hold replaced."""
    return _NOT_XML.sub("\ufffd", text)


def _attributes(**values: str) -> str:
    return "".join(f' {name}="{escape(value, _ATTRIBUTE)}"' for name, value in values.items())


def _updated(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
