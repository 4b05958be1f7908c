"""The "on this day" block a site places in its own pages with a marker line.

It lists the incidents of this week in earlier years and the open action items of the
postmortems other incidents most often list as related. It reflects the build date, so a site
that places it is rebuilt on a schedule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from jinja2 import Environment

from ...analyse.index import Index
from ...analyse.resurfacing import Anniversary, Linked, anniversaries, most_linked, week_of
from ...digests import digest
from ...urls import Site
from ..blocks import Rendered, stable
from .base import PageContext
from .text import first_sentence

# The marker is `<!-- pmkb:on-this-day -->`; a page that places the block holds its name.
MARKER_NAME = "pmkb:on-this-day"
ANNIVERSARY_LIMIT = 20  # the most recent of this week's earlier incidents; a long history has many
LINKED_LIMIT = 5  # postmortems whose open action items are listed

# The marker alone on a line, as Markdown reads an HTML comment block; not indented as code.
_MARKER_LINE = re.compile(r" {0,3}<!--[ \t]*pmkb:on-this-day[ \t]*-->\s*")
# The opening of a fenced code block: inside one, the marker is an example, not a placement.
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class OnThisDay:
    """What the block shows on one build date, ready to be rendered into any page.

    It holds the few postmortems it shows and the templates' environment, which refers to the
    catalogs and the site layout only: the knowledge base is not kept alive by it.
    """

    today: date
    anniversaries: tuple[Anniversary, ...]
    anniversary_total: int
    linked: tuple[Linked, ...] | None  # None: the site's audience reads no action items
    site: Site
    env: Environment = field(compare=False, repr=False)

    def rendered(self, src: str) -> Rendered:
        """The block's Markdown and HTML blocks, for the page at `src` (links are relative)."""
        blocks: list[str] = []
        markdown = self.env.get_template("on_this_day.md.j2").render(
            link=partial(self.site.link, src),
            blocks=blocks,
            anniversaries=self.anniversaries,
            anniversary_total=self.anniversary_total,
            linked=self.linked,
            week=week_label(self.today),
            sentence=first_sentence,
        )
        return Rendered(markdown, tuple(blocks))

    def digest(self) -> str:
        """A digest of all the block shows: `serve --dirty` rebuilds the pages placing it when
        it changes."""
        shown = self.rendered("index.md")
        return digest(stable(shown.markdown) or "", *shown.blocks)


# Month names written out here: strftime's follow the process's locale.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def week_label(today: date) -> str:
    """This week's days as the block names them: `22 to 28 November`, `29 November to 5 December`."""
    first, last = week_of(today, 1)
    if first.month == last.month:
        return f"{first.day} to {last.day} {_MONTHS[last.month - 1]}"
    return f"{first.day} {_MONTHS[first.month - 1]} to {last.day} {_MONTHS[last.month - 1]}"


def on_this_day(ctx: PageContext) -> OnThisDay:
    """The block of the knowledge base of `ctx`, on its build date.

    Only postmortems whose status is `published` count, as in the feeds: a draft previewed with
    `publish_drafts` or a postmortem in review neither shows nor changes which ones do.
    """
    published = [pm for pm in ctx.index.incidents if pm.status == "published"]
    index = ctx.index if len(published) == len(ctx.index.incidents) else Index(published)
    found = anniversaries(published, ctx.today)
    settings = ctx.kb.settings
    linked = None
    if settings.audience != "public":  # a public site shows no action items anywhere
        linked = tuple(_most_linked(index, settings.related_limit))
    return OnThisDay(
        ctx.today, tuple(found[:ANNIVERSARY_LIMIT]), len(found), linked, ctx.site, env=ctx.env
    )


# `mkdocs serve`: the link counts of the last rebuild, by what related incidents are chosen by;
# an edit to a body (the usual save) changes none of it, and counting takes 0.5 s at 5,000.
_COUNTED: list[tuple[str, list[Linked]]] = []


def _most_linked(index: Index, related_limit: int) -> list[Linked]:
    key = digest(
        repr(
            [(pm.id, pm.date, pm.services, pm.factors, pm.action_items) for pm in index.incidents]
        ),
        str(related_limit),
    )
    for made, found in _COUNTED:
        if made == key:
            return _current(found, index)
    found = most_linked(index, related_limit, LINKED_LIMIT)
    _COUNTED[:] = [(key, found)]
    return found


def _current(found: list[Linked], index: Index) -> list[Linked]:
    """The entries found for the same choice of related incidents, with today's postmortems:
    their bodies (the summary the block quotes) may have changed since."""
    return [Linked(index.by_id[f.incident.id], f.links, f.open_items) for f in found]


def places(markdown: str) -> bool:
    """Whether `markdown` places the block: a marker line outside fenced code."""
    return MARKER_NAME in markdown and bool(_marker_lines(markdown.split("\n")))


def place(markdown: str, block: Callable[[], Rendered]) -> Rendered | None:
    """`markdown` with each marker line outside fenced code replaced by the block, rendered once;
    None when it places none (the block is then not rendered at all)."""
    lines = markdown.split("\n")
    at = _marker_lines(lines)
    if not at:
        return None
    rendered = block()
    # Blank lines around it: the block's headings and placeholders stand apart from the text.
    text = "\n" + rendered.markdown.strip("\n") + "\n"
    for n in at:
        lines[n] = text
    return Rendered("\n".join(lines), rendered.blocks)


def _marker_lines(lines: list[str]) -> list[int]:
    """The numbers of the marker lines outside fenced code."""
    fence: str | None = None
    found: list[int] = []
    for n, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            # Closed by a run of the same character, at least as long, and nothing after it.
            if opened and opened.group(1).startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
        elif opened:
            fence = opened.group(1)
        elif _MARKER_LINE.fullmatch(line):
            found.append(n)
    return found
