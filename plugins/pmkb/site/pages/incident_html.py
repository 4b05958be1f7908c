"""The HTML pmkb writes on an incident page: its head (title, banner, problems, header card),
its action items and its related incidents, every value escaped.

Written in Python, not as a template: an incident page is made for every incident of every build,
and its template's calls and escapes made up most of the time its text took (at 5,000
postmortems, every incident's text: 1.39 s with the template, 0.95 s so, related incidents
chosen in both). The page's Markdown (`incident.incident_text`) carries each as one block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import NamedTuple

from markupsafe import Markup, escape

from ...analyse.index import Related
from ...analyse.trends import elapsed, start_of
from ...findings import Finding
from ...model import KIND_LABELS, ActionItem, Postmortem
from ...urls import Site
from .text import ITEM_LABELS, duration, plural, review_text, ticket

Badge = Callable[[str | None], Markup]
Chip = Callable[[str, str], Markup]


class Marks(NamedTuple):
    """How the page shows a severity, a status, and a service or factor (linking to its page)."""

    sev: Badge
    status: Badge
    chip: Chip


_BANNERS = {
    "in-review": (
        '<div class="admonition warning pmkb-banner"><p class="admonition-title">In review</p>'
        "<p>This postmortem is still being reviewed: its analysis and action items may change."
        "</p></div>"
    ),
    "draft": (
        '<div class="admonition note pmkb-banner"><p class="admonition-title">Draft</p>'
        "<p>This postmortem is a draft, published only because drafts are shown on this site."
        "</p></div>"
    ),
}
_NEAR_MISS_NOTE = (
    '<p class="pmkb-muted">A near miss: caught before it reached users. It has no time to '
    "detect, mitigate or resolve, and counts in no incident figure.</p>"
)
NO_ACTION_ITEMS = '<p class="pmkb-empty">No action items were recorded.</p>'
NO_RELATED = (
    '<p class="pmkb-empty">No other incident shares a service or contributing factor with this '
    "one.</p>"
)
_FROM_DETECTION_NOTE = (
    '<p class="pmkb-muted">No start of impact (<code>started</code>) is recorded: durations are '
    "measured from detection, so the incident lasted at least this long.</p>"
)


def head(
    pm: Postmortem,
    problems: list[Finding],
    card: str,
    custom_rows: list[tuple[str, str]],
    marks: Marks,
) -> str:
    """What opens the page: its title, the banner of a draft or a postmortem in review, the box
    of its problems, and the header card (`card`: its one line of text, as search reads it;
    `custom_rows`: the custom fields it shows, label and value)."""
    parts = [f'<h1 class="pmkb-title">{escape(pm.title)}</h1>']
    if pm.status in _BANNERS:
        parts.append(_BANNERS[pm.status])
    if problems:
        parts.append(_problems(pm, problems))
    parts.append(_card(pm, card, custom_rows, marks))
    return "\n".join(parts)


def _problems(pm: Postmortem, problems: list[Finding]) -> str:
    items = "".join(
        f"<li><code>{escape(f.code)}</code> line {f.line}: {escape(f.message)}</li>\n"
        for f in problems
    )
    return (
        '<div class="admonition failure pmkb-problems"><p class="admonition-title">'
        f"This postmortem has {plural(len(problems), 'problem')}</p><ul>\n{items}</ul>"
        f"<p>Run <code>pmkb check {escape(pm.display)}</code> to see them locally.</p></div>"
    )


def _card(pm: Postmortem, card: str, custom_rows: list[tuple[str, str]], marks: Marks) -> str:
    day = pm.date.isoformat() if pm.date else "—"
    badges = str(marks.sev(pm.severity))
    if pm.is_near_miss:
        badges = (
            f'<span class="pmkb-kind pmkb-kind--{escape(pm.kind)}">{escape(KIND_LABELS[pm.kind])}'
            f"</span> {badges}"
        )
    if pm.status != "published":
        badges += f" {marks.status(pm.status)}"
    parts = [
        '<div class="pmkb-card">',
        f'<p class="pmkb-card__badges" data-search-exclude>{badges}</p>',
    ]
    detected_only = start_of(pm) == "detected"
    if pm.is_near_miss:
        parts.append(
            f'<dl class="pmkb-facts" data-search-exclude><dt>Date</dt><dd>{day}</dd>'
            "<dt>Impact</dt><dd>None</dd></dl>"
        )
        parts.append(_NEAR_MISS_NOTE)
    else:
        since = " from detection" if detected_only else ""
        parts.append(
            f'<dl class="pmkb-facts" data-search-exclude><dt>Date</dt><dd>{day}</dd>'
            f"<dt>Duration{since}</dt><dd>{duration(elapsed(pm, 'resolved'))}</dd>"
            f"<dt>Time to detect</dt><dd>{duration(elapsed(pm, 'detected'))}</dd>"
            f"<dt>Time to mitigate{since}</dt><dd>{duration(elapsed(pm, 'mitigated'))}</dd></dl>"
        )
    if detected_only:
        parts.append(_FROM_DETECTION_NOTE)
    # "—" for none, as for a missing date: those the catalog does not know are left out (PMK109,
    # PMK110), and an empty value reads as a broken page.
    services = "".join(f"{marks.chip('service', s)} " for s in pm.services) or "—"
    factors = "".join(f"{marks.chip('factor', f)} " for f in pm.factors) or "—"
    facts = [f"<dt>Services</dt><dd>{services}</dd><dt>Contributing factors</dt><dd>{factors}</dd>"]
    if pm.authors:
        facts.append(f"<dt>Authors</dt><dd>{escape(', '.join(pm.authors))}</dd>")
    if review := review_text(pm):
        facts.append(f"<dt>Reviewed</dt><dd>{escape(review)}</dd>")
    facts += [f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in custom_rows]
    # Search indexes read the card as its last line ("Date 2024-11-29 · Duration 5 h 56 min ·
    # SEV2 · …"), as compact search's entry does; the parts above are excluded, their labels and
    # values would read run together ("Date2024-11-29Duration…"). Screen readers read the parts.
    parts.append(
        f'<dl class="pmkb-card__rows" data-search-exclude>{"".join(facts)}</dl>'
        f'<p class="pmkb-card__text" aria-hidden="true">{escape(card)}</p>'
    )
    parts.append("</div>")
    return "\n".join(parts)


def own_actions_note(own_actions: str) -> str:
    """What the page says above its list of action items when the body has its own section."""
    return (
        '<p class="pmkb-muted">The action items of this postmortem\'s front matter, with their '
        f"owners and status; the “{escape(own_actions)}” section above is its authors' own "
        "account of them.</p>"
    )


def action_items(items: Sequence[ActionItem], today: date) -> Markup:
    """A list of action items, each with its status, owner, due date and ticket: an incident's,
    and (as a template global) those the home page's "on this day" block shows."""
    lines = ['<ul class="pmkb-actions">']
    for item in items:
        overdue = item.is_overdue(today)
        small = [str(escape(item.owner))]
        if item.due:
            small.append(f" · due {item.due.isoformat()}")
        if overdue:
            small.append(' <strong class="pmkb-overdue__flag">overdue</strong>')
        if item.link:
            small.append(f' · <a href="{escape(item.link)}">{escape(ticket(item.link))}</a>')
        marked = ' class="pmkb-overdue"' if overdue else ""
        label = escape(ITEM_LABELS.get(item.status, item.status))
        lines.append(
            f'<li{marked}><span class="pmkb-item pmkb-item--{escape(item.status)}">{label}</span> '
            f'{escape(item.title)} <small class="pmkb-muted">{"".join(small)}</small></li>'
        )
    lines.append("</ul>")
    return Markup("\n".join(lines))


def related_items(
    related: list[Related], link: Callable[[str], str], marks: Marks, site: Site
) -> str:
    """The related incidents' list: each links to its incident, with its severity, date and
    why it is related."""
    # The badge and `shared_with`'s chips are markup already, the link and title escaped here,
    # the date digits.
    items = ['<ul class="pmkb-related">\n']
    for r in related:
        other = r.incident
        when = f"{other.date.isoformat()} · " if other.date else ""
        why = shared_with(r, marks.chip)
        items.append(
            f'<li><a href="{escape(link(site.incident(other.id)))}">{escape(other.title)}</a> '
            f'{marks.sev(other.severity)} <small class="pmkb-why">{when}{why}</small></li>\n'
        )
    items.append("</ul>")
    return "".join(items)


def shared_with(r: Related, chip: Chip) -> str:
    """Why an incident is related: the factors and services it shares, each linking to its page,
    and the days between the two."""
    # The chips are markup already, the rest is this function's own words and numbers.
    parts = []
    for kind, shared in (("factor", r.shared_factors), ("service", r.shared_services)):
        if shared:
            chips = " ".join(chip(kind, ident) for ident in shared)
            parts.append(f"same {kind}{'s' if len(shared) > 1 else ''}: {chips}")
    days = r.days_apart
    if days is not None:
        parts.append("same day" if days == 0 else f"{plural(days, 'day')} apart")
    return "; ".join(parts)
