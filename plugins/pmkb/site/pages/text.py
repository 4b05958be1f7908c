"""Plain text for the generated pages: durations, front matter, excerpts, labels."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ...analyse.index import Related
from ...model import Catalog, Factor, Service

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


def num(value: float | None) -> str:
    """A number of minutes rounded to whole ones, or a dash when there is none."""
    return "—" if value is None else f"{value:.0f}"


def markdown_text(text: str) -> Markup:
    """User text placed in Markdown (not HTML): HTML-escaped, and Markdown syntax neutralised."""
    escaped = str(escape(text))
    for ch in "\\`*_[]{}()#+!|~":
        escaped = escaped.replace(ch, "\\" + ch)
    return Markup(escaped)


def ticket(url: str) -> str:
    """A short name for an action item's link: the last part of its path, or its host."""
    parts = urlsplit(url)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return tail or parts.netloc


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
    return " ".join(_MD_LINK.sub(r"\1", markdown).replace("`", "").replace("**", "").split())


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
