"""What a site for one audience may hold of a postmortem: whether it is there at all, and on a
public site, which part of it."""

from __future__ import annotations

from dataclasses import replace

from ..model import AUDIENCES, Catalog, Postmortem, visible_to
from ..settings import Settings
from .sections import canonical_names, parse_sections
from .validate import section_titles


def audiences_of(visibility: str) -> tuple[str, ...]:
    """The audiences whose sites show what has `visibility`, widest first."""
    return tuple(a for a in AUDIENCES if visible_to(visibility, a))


def shown_catalog(catalog: Catalog, audience: str) -> Catalog:
    """The catalog as a site for `audience` shows it: the services visible to it.

    Factors have no visibility: they name kinds of cause, not systems.
    """
    services = {i: s for i, s in catalog.services.items() if visible_to(s.visibility, audience)}
    return replace(catalog, services=services)


def public_view(pm: Postmortem, settings: Settings) -> Postmortem:
    """The postmortem as its public page, feeds, search and exports show it.

    The body holds the external summary's text, first and without its heading, then the
    `public_sections` in the order written; every other section, the text before the first one,
    the authors, the reviewers, the front matter's action items (owners, internal tickets) and
    the custom fields not declared `public` stay internal.
    The external summary is the summary, which descriptions and feeds quote.
    """
    names = canonical_names(settings.required_sections, settings.section_aliases)

    def name(heading: str) -> str:
        return names.get(heading.lower(), heading.lower())

    external = name(settings.external_summary_section)
    public = {name(section) for section in settings.public_sections} - {external}
    lines = pm.body.split("\n")
    summary = ""
    parts: list[str] = []
    for section in parse_sections(pm.body, 1):
        if not section.title:
            continue
        shown = name(section.title)
        if shown == external and not summary:
            summary = section.text.strip()
        elif shown in public:
            end = section.first_line - 1 + len(section.lines)
            parts.append("\n".join(lines[section.line - 1 : end]).strip())
    body = "\n\n".join(part for part in (summary, *parts) if part)
    # A team's own fields are internal unless declared `public: true`.
    public_fields = {f.name for f in settings.custom_fields if f.public}
    return replace(
        pm,
        body=body,
        body_line=1,
        section_titles=section_titles(parse_sections(body, 1)),
        summary=summary,
        authors=(),
        reviewers=(),  # people of the company, as authors are; the review's day stays
        action_items=(),
        custom=tuple((key, value) for key, value in pm.custom if key in public_fields),
    )
