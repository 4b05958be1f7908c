"""Plain text for the generated pages: durations, front matter, excerpts, labels."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from markupsafe import Markup, escape

from ...analyse.index import Related
from ...model import Catalog, Factor, Postmortem, Service

ITEM_LABELS = {"open": "open", "in-progress": "in progress", "done": "done", "wont-do": "won't do"}
STATUS_LABELS = {"draft": "Draft", "in-review": "In review", "published": "Published"}

_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^)\[]*\)")  # no `[` inside: linear, not quadratic
# Characters YAML may not hold raw (C1 controls, DEL, surrogates, non-characters, the byte-order
# mark) or reads as line breaks (NEL, the line and paragraph separators): JSON writes them raw.
_NOT_YAML_TEXT = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


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


def span(minutes: float | None) -> str:
    """A median or percentile of minutes as a duration, rounded to the minute."""
    return duration(None if minutes is None else round(minutes))


def plural(count: int, noun: str) -> str:
    """`1 incident`, `2 incidents`, `2 near misses`."""
    return f"{count} {noun}{'' if count == 1 else 'es' if noun.endswith('s') else 's'}"


def num(value: float | None) -> str:
    """A number of minutes rounded to whole ones, or a dash when there is none."""
    return "—" if value is None else f"{value:.0f}"


def markdown_text(text: str) -> Markup:
    """User text placed in Markdown (not HTML): HTML-escaped, and Markdown syntax neutralised."""
    escaped = str(escape(text))
    for ch in "\\`*_[]{}()#+!|~":
        escaped = escaped.replace(ch, "\\" + ch)
    return Markup(escaped)


# Issue and pull-request paths of GitHub, GitHub Enterprise, Gitea, Forgejo and Codeberg.
_FORGE = re.compile(r"/([^/]+)/([^/]+)/(?:issues|pull|pulls)/(\d+)")
# GitLab, on gitlab.com or its own host: any depth of groups, then `/-/`.
_GITLAB = re.compile(r"/((?:[^/]+/)*)([^/]+)/-/(issues|merge_requests|work_items)/(\d+)")
_KEY = re.compile(r"[A-Z][A-Z0-9_]*-\d+")  # a Jira or Linear issue key
TICKET_TAIL = 32  # characters of a path's last part shown in a ticket's name


def ticket(url: str) -> str:
    """A short, readable name for an action item's link: `org/repo#123` for GitHub, GitLab and
    their kin (`group/project!45` for a GitLab merge request), the key for Jira (`/browse/KEY`,
    `selectedIssue=KEY`), Linear and any path ending in a key, else the host and the path's last
    part."""
    parts = urlsplit(url)
    path = unquote(parts.path).rstrip("/")
    host = parts.hostname or ""
    if found := _GITLAB.fullmatch(path):
        groups, project, kind, number = found.groups()
        return f"{groups}{project}{'!' if kind == 'merge_requests' else '#'}{number}"
    if found := _FORGE.fullmatch(path):
        return f"{found[1]}/{found[2]}#{found[3]}"
    segments = [s for s in path.split("/") if s]
    query = parse_qs(parts.query)
    if segments and _KEY.fullmatch(segments[-1]):  # Jira's /browse/KEY, YouTrack, and their kin
        return segments[-1]
    if key := next((k for k in query.get("selectedIssue", []) if _KEY.fullmatch(k)), None):
        return key
    if host.endswith("linear.app") and "issue" in segments[:-1]:
        key = segments[segments.index("issue") + 1]
        if _KEY.fullmatch(key):
            return key
    if (ids := query.get("id")) and segments and segments[-1].startswith("show_bug"):
        return f"{_bare(host)} #{ids[0]}"  # Bugzilla
    if not segments:
        return _bare(host) or url
    tail = segments[-1]
    if len(tail) > TICKET_TAIL:
        tail = tail[: TICKET_TAIL // 2 - 1] + "…" + tail[-(TICKET_TAIL // 2) :]
    return f"{_bare(host)}/{'…/' if len(segments) > 1 else ''}{tail}"


def _bare(host: str) -> str:
    return host.removeprefix("www.")


def names(ids: tuple[str, ...], entries: Mapping[str, Service | Factor]) -> str:
    """Catalog names joined by commas; an id the catalog lacks stands for itself."""
    return ", ".join(entries[i].name if i in entries else i for i in ids)


def why(r: Related, catalog: Catalog) -> str:
    """Why an incident is related to another: the factors and services they share, the days apart."""
    reasons = []
    if r.shared_factors:
        found = names(r.shared_factors, catalog.factors)
        reasons.append(f"same factor{'s' if len(r.shared_factors) > 1 else ''}: {found}")
    if r.shared_services:
        found = names(r.shared_services, catalog.services)
        reasons.append(f"same service{'s' if len(r.shared_services) > 1 else ''}: {found}")
    if r.days_apart is not None:
        reasons.append(
            "same day"
            if r.days_apart == 0
            else f"{r.days_apart} day{'s' if r.days_apart != 1 else ''} apart"
        )
    return "; ".join(reasons)


def review_text(pm: Postmortem) -> str:
    """The review as the card words it after "Reviewed": "by Ines Carvalho, Daniel Okafor on
    2025-01-28", "by Ines Carvalho" or "on 2025-01-28"; "" when none is recorded."""
    parts = []
    if pm.reviewers:
        parts.append("by " + ", ".join(pm.reviewers))
    if pm.reviewed:
        parts.append(f"on {pm.reviewed.isoformat()}")
    return " ".join(parts)


def meta_text(text: str) -> str:
    """Text for a page's title, description or tags, safe where themes print it unescaped."""
    # Themes print `title` and `description` unescaped (in <title>, headers and attributes), and the
    # plain theme's `striptags` unescapes entities again, so angle brackets are replaced outright.
    return str(escape(text.replace("<", "\u2039").replace(">", "\u203a")))


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter for a generated page; the title is made safe for themes that print it raw.

    Any character of any value comes back from MkDocs' YAML reader as it went in.
    """
    # One JSON object is valid YAML and is written several times faster than PyYAML's dump; the
    # characters JSON leaves raw that YAML refuses are written as escapes both understand.
    text = json.dumps({"title": meta_text(title), **extra}, ensure_ascii=False)
    return _NOT_YAML_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def plain(markdown: str) -> str:
    """Markdown prose as one line of plain text: link text kept, code and bold marks dropped."""
    # Links are looked for only in text that has a link's `](`: the search alone was 5 us of a
    # 600-character summary, which an incident page makes plain twice (its description, its
    # compact search entry), and few summaries link anywhere (none of the benchmark's 5,000).
    if "](" in markdown:
        markdown = _MD_LINK.sub(r"\1", markdown)
    return " ".join(markdown.replace("`", "").replace("**", "").split())


def excerpt(summary: str, limit: int = 240) -> str:
    """The summary's opening for the compact search index: whole sentences up to about `limit` characters."""
    text = plain(summary)
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit].rsplit(" ", 1)[0] + "…"


def first_sentence(text: str) -> str:
    """The summary's first sentence as plain text, for the page's description."""
    prose = plain(text)
    end = prose.find(". ")
    sentence = prose if end == -1 else prose[: end + 1]
    return sentence[:300]
