"""The page of one incident, and what compact search indexes for it."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ...analyse.trends import elapsed, start_of
from ...digests import digest
from ...findings import Finding
from ...model import KIND_LABELS, Catalog, Postmortem
from ...read.custom_fields import shown
from ...settings import Settings
from ..blocks import Rendered, placeholder
from .base import GeneratedPage, PageContext, worked
from .incident_html import (
    NO_ACTION_ITEMS,
    NO_RELATED,
    Marks,
    action_items,
    head,
    own_actions_note,
    related_items,
)
from .text import (
    STATUS_LABELS,
    duration,
    excerpt,
    first_sentence,
    front_matter,
    meta_text,
    names,
    review_text,
)


def compact_search(settings: Settings) -> bool:
    """Whether Material's search indexes incidents by title, metadata and summary only."""
    return settings.search == "compact"


def incident_page(ctx: PageContext, pm: Postmortem) -> GeneratedPage:
    """The incident's page, rendered now."""
    pending = IncidentSource(ctx, pm)
    rendered = pending.text()
    return GeneratedPage(
        pending.src,
        rendered.markdown,
        "incident",
        pending.source_path,
        search=pending.search() if pending.searched else None,
        blocks=rendered.blocks,
    )


class IncidentSource:
    """An incident page whose text is made only when `text()` is called: a build that reads
    pages one by one need not hold every incident's text at once.

    One object a page, not a closure for each of its parts: `serve` makes one for every incident
    on every rebuild, and at thousands of incidents the closures were a fifth of the objects a
    rebuild made, each one more for the garbage collector to look at.
    """

    __slots__ = ("_card", "_meta", "context", "pm", "src")

    def __init__(self, context: PageContext, pm: Postmortem) -> None:
        self.context, self.pm, self.src = context, pm, context.site.incident(pm.id)
        # Two parts of the page each show its front matter (`head()` and `text()`) and its card
        # as one line (`text()` and `search()`): made by the first part to need one, kept until
        # the other takes it (a build asks for them in that order, `serve --dirty` too). Made
        # twice, the two took 0.57 s of a cold build at 5,000 postmortems; made once, a page's
        # parts take 0.2 s less. Never stale: they are made from this object's postmortem and
        # context alone, which it keeps for its life, and each build (each `serve` rebuild)
        # makes a new object for every incident; taken, not kept, so that the build does not
        # hold one of each for every page.
        self._meta: str | None = None
        self._card: str | None = None

    @property
    def source_path(self) -> Path:
        return self.pm.path

    @property
    def searched(self) -> bool:
        """Whether the page has a compact search entry (`search()`)."""
        return self.context.compact_search

    def search(self) -> str:
        """Compact search's entry, made when the page is built: `serve` rebuilds few pages."""
        return search_entry(self.context, self.pm, card=self._card_taken())

    def text(self) -> Rendered:
        meta, self._meta = self._meta, None
        return incident_text(self.context, self.pm, meta=meta, card=self._card_taken())

    def head(self) -> str:
        """The front matter `text()` opens with, its `---` lines included, made without the rest
        of the page: what MkDocs reads of a page whose HTML is put in when the page is built."""
        if self._meta is None:
            self._meta = incident_meta(self.pm)  # for `text()`, which comes later
        return f"---\n{self._meta}\n---\n"

    def _card_taken(self) -> str:
        """The card's line of text: kept for `search()` when `text()` makes it, or the other
        way round, and taken by the second."""
        card, self._card = self._card, None
        if card is None:
            card = card_text(self.pm, self.context.kb.catalog, self.context.kb.settings)
            if self.searched:  # else no `search()` comes
                self._card = card
        return card

    def inputs(self) -> str:
        """A digest of everything the text is made from, far cheaper to make than the text: a
        page whose inputs did not change since the last build need not be rendered to tell."""
        return incident_inputs(self.context, self.pm)

    def body(self) -> str:
        """The postmortem's Markdown body, as written: the links the text holds are its."""
        return self.pm.body


def incident_inputs(ctx: PageContext, pm: Postmortem) -> str:
    """A digest of all `incident_text` makes the page from: the postmortem, what every page
    shares, and what its related incidents are chosen and shown by (the incidents it weighs:
    cheaper than choosing them, at the price of rendering the page again when one of those
    changes title, date, severity, services or factors, or comes or goes). Of the build date,
    the page shows only which action items are overdue: a page is not made again each day, only
    on the day one of its items falls due.

    Kept with the postmortem object (`worked`), as long as what else they are made from is the
    same (`PageContext.inputs_state`): a `serve` rebuild keeps the postmortems of unchanged
    files, and working out every incident's inputs again took 0.14 s of each at 5,000."""
    state, found = ctx.inputs_state, worked(pm)
    if found.inputs is not None and found.inputs[0] == state:
        return found.inputs[1]
    overdue = repr([item.is_overdue(ctx.today) for item in pm.action_items])
    parts = (ctx.shared(dated=False), ctx.index.related_inputs(pm), ctx.fingerprint(pm), overdue)
    made = digest(*parts)
    found.inputs = (state, made)
    return made


def incident_text(
    ctx: PageContext, pm: Postmortem, *, meta: str | None = None, card: str | None = None
) -> Rendered:
    """The incident page's Markdown and HTML blocks; `meta` and `card`, its front matter and its
    card's line of text (`incident_meta`, `card_text`), when they are made already."""
    if meta is None:
        meta = incident_meta(pm)
    settings = ctx.kb.settings
    if card is None:
        card = card_text(pm, ctx.kb.catalog, settings)
    body = pm.body.strip()
    if ctx.body is not None:
        body = ctx.body(body)
    src = ctx.site.incident(pm.id)
    chip = partial(ctx.chips.make, root=ctx.site.root(src))
    marks = Marks(ctx.badges.sev, ctx.badges.status, chip)
    # The page's head is one block, not one for each of its parts: each placeholder is one more
    # paragraph for Python-Markdown to parse (0.1 s of a build at 5,000 postmortems for two).
    custom_rows = card_fields(pm, settings)
    blocks = [head(pm, problems(pm, settings), card, custom_rows, marks)]

    def place(block: str) -> str:
        blocks.append(block)
        return placeholder(len(blocks) - 1)

    # Each placeholder stands alone in its paragraph, which `fill` takes out with it: a blank line
    # or a heading's line (Related incidents) above it, a blank line or the end of the text below.
    # The body goes in as Markdown, unescaped: it is converted, and sanitized, with the page.
    text = [f"---\n{meta}\n---\n\n{placeholder(0)}\n{body}\n\n"]
    # A public page has no action items: their owners and tickets are internal, and what changes
    # for customers is the external summary's to say.
    if settings.audience != "public":
        own = own_action_items(pm, settings)
        if not (own and not pm.action_items):
            text.append(f"## {'Tracked action items' if own else 'Action items'}\n\n")
        if own and pm.action_items:
            text.append(place(own_actions_note(own)) + "\n")
        if pm.action_items:
            text.append(place(action_items(pm.action_items, ctx.today)))
        elif not own:
            text.append(place(NO_ACTION_ITEMS))
    text.append("\n## Related incidents\n")
    related = ctx.index.related(pm, settings.related_limit)
    if related:
        link = partial(ctx.site.link, src)
        text.append(place(related_items(related, link, marks, ctx.site)))
    else:
        text.append(place(NO_RELATED))
    return Rendered("".join(text), tuple(blocks))


def incident_meta(pm: Postmortem) -> str:
    """The incident page's front matter: its title, tags and description."""
    tags = [meta_text(tag) for tag in sorted({*pm.services, *pm.factors})]
    description = meta_text(first_sentence(pm.summary))
    return front_matter(pm.title, tags=tags, description=description)


def problems(pm: Postmortem, settings: Settings) -> list[Finding]:
    """The errors the page lists in its problems box: none on a public site, where their
    messages would quote the sections that stay internal (its build is strict anyway)."""
    if settings.audience == "public":
        return []
    return [f for f in pm.findings if f.level.value == "error"]


# Level-2 headings other templates give their list of follow-up work (Google's SRE template,
# PagerDuty's, Atlassian's), matched case-insensitively; `section_aliases` of "Action items" add more.
ACTION_SECTIONS = (
    "action items",
    "corrective actions",
    "corrective and preventative actions",
    "follow-up actions",
    "follow-up items",
    "follow-ups",
    "remediation items",
    "remediations",
)


def own_action_items(pm: Postmortem, settings: Settings) -> str | None:
    """The title of the body's own action-items section, as written, if it has one.

    The page then titles pmkb's list "Tracked action items", or leaves it out when the front
    matter lists none, so that the page does not show two sections called "Action items".
    """
    names = set(ACTION_SECTIONS)
    for section, aliases in settings.section_aliases.items():
        if section.casefold() == "action items":
            names.update(alias.casefold() for alias in aliases)
    return next(
        (title for title in pm.section_titles if title.casefold().rstrip(": ") in names), None
    )


def card_fields(pm: Postmortem, settings: Settings) -> list[tuple[str, str]]:
    """The custom fields the card shows (`card: true`) that the postmortem sets: label and
    value, in the option's order."""
    rows = []
    for field in settings.shown_custom_fields:
        value = pm.custom_value(field.name)
        if field.card and value is not None:
            rows.append((field.label, shown(value)))
    return rows


def card_text(pm: Postmortem, catalog: Catalog, settings: Settings) -> str:
    """The incident's header card as one line of text, as search indexes show it: "Date
    2024-11-29 · Duration 5 h 56 min · Time to detect … · SEV2 · Services: Checkout, …", or
    "Date 2026-01-20 · Near miss · Impact none · SEV4 · …"."""
    since = " from detection" if start_of(pm) == "detected" else ""
    facts = [f"Date {pm.date.isoformat() if pm.date else '—'}"]
    if pm.is_near_miss:
        facts += [KIND_LABELS[pm.kind], "Impact none"]
    else:
        facts += [
            f"Duration{since} {duration(elapsed(pm, 'resolved'))}",
            f"Time to detect {duration(elapsed(pm, 'detected'))}",
            f"Time to mitigate{since} {duration(elapsed(pm, 'mitigated'))}",
        ]
    facts.append(pm.severity or "?")
    if pm.status != "published":
        facts.append(STATUS_LABELS.get(pm.status, pm.status))
    facts.append(f"Services: {names(pm.services, catalog.services)}")
    facts.append(f"Contributing factors: {names(pm.factors, catalog.factors)}")
    if pm.authors:
        facts.append("Authors: " + ", ".join(pm.authors))
    if review := review_text(pm):
        facts.append(f"Reviewed {review}")
    facts += [f"{label}: {value}" for label, value in card_fields(pm, settings)]
    return " · ".join(facts)


def search_entry(ctx: PageContext, pm: Postmortem, *, card: str | None = None) -> str:
    """What compact search indexes for an incident besides its title (the page's): the header
    card as the full index reads it (`card`, when it is made already), and the summary's
    opening, as one short HTML section."""
    if card is None:
        card = card_text(pm, ctx.kb.catalog, ctx.kb.settings)
    return str(ctx.search_entry(card, excerpt(pm.summary)))
