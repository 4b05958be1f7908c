"""The incidents listing: every published incident, newest first, on one filterable page or, past
`listing_page_size` incidents, on pages of that many rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from ...model import KIND_LABELS, KINDS, REVIEW_LABELS, Postmortem
from ...read.custom_fields import CustomField, filter_values, in_order
from ...urls import SEARCH_PAGE, listing_pages
from .base import GeneratedPage, PageContext
from .text import STATUS_LABELS, front_matter


@dataclass(frozen=True)
class Filter:
    """One filter of the table: the rows' field and URL parameter it matches, its label, and its
    options as (key, text).

    The in-page script matches an option's key against the rows' `data-<name>`; the search page
    is sent its text, which is the facet value the search page knows (a catalog name, a status
    label).
    """

    name: str
    label: str
    options: list[tuple[str, str]]
    keys: Callable[[Postmortem], Iterable[str]]
    many: bool = False  # an incident may have several keys: the row lists them between spaces

    def cell(self, pm: Postmortem) -> str:
        """The row's `data-<name>` value."""
        keys = self.keys(pm)
        return f" {' '.join(keys)} " if self.many else "".join(keys)


@dataclass(frozen=True)
class Page:
    """One page of a split table: its number, first row (from 0) and incidents."""

    number: int
    start: int
    incidents: list[Postmortem]


def incidents_pages(ctx: PageContext) -> list[GeneratedPage]:
    """The incidents listing: one page, or pages of `listing_page_size` rows, newest first."""
    incidents = ctx.index.incidents
    size = ctx.kb.settings.listing_page_size
    count = listing_pages(len(incidents), size)
    if count == 1:
        meta = front_matter("Incidents", search={"exclude": True}, hide=["navigation", "toc"])
        return [
            ctx.page(
                "incidents.md.j2",
                ctx.site.incidents(),
                "listing",
                meta,
                in_nav=True,
                incidents=incidents,
                filters=_filters(ctx),
                pages=None,
            )
        ]
    pages = [Page(n + 1, n * size, incidents[n * size : (n + 1) * size]) for n in range(count)]
    # The faceted search filters every incident; without it, the filters can only see the rows of
    # the page they are on, and say so.
    faceted = ctx.kb.settings.faceted_search
    filters = _filters(ctx)
    years, anchors = _years(incidents, size)
    made = []
    for page in pages:
        title = "Incidents" if page.number == 1 else f"Incidents, page {page.number} of {count}"
        meta = front_matter(title, search={"exclude": True}, hide=["navigation", "toc"])
        src = ctx.site.incidents_page(page.number)
        made.append(
            ctx.page(
                "incidents.md.j2",
                src,
                "listing",
                meta,
                in_nav=page.number == 1,
                incidents=page.incidents,
                filters=filters,
                pages=pages,
                page=page,
                total=len(incidents),
                years=years,
                anchors=anchors,
                page_numbers=page_numbers,
                search=ctx.site.link(src, SEARCH_PAGE) if faceted else None,
            )
        )
    return made


def page_numbers(current: int, count: int, around: int = 2) -> list[int | None]:
    """The page numbers a pagination shows, None for a gap: the first and last pages, and
    `around` pages either side of the current one."""
    shown = sorted({1, count, *range(max(1, current - around), min(count, current + around) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) == 2:
            numbers.append(n - 1)  # a gap of one page is that page, not an ellipsis
        elif numbers and n - (numbers[-1] or 0) > 2:
            numbers.append(None)
        numbers.append(n)
    return numbers


def _years(incidents: list[Postmortem], size: int) -> tuple[list[tuple[int, int]], dict[str, int]]:
    """Each year with an incident, newest first, with the page holding its newest incident; and
    that incident's id, with its year, for the row's anchor."""
    pages: dict[int, int] = {}
    anchors: dict[str, int] = {}
    for position, pm in enumerate(incidents):
        if pm.date is not None and pm.date.year not in pages:
            pages[pm.date.year] = position // size + 1
            anchors[pm.id] = pm.date.year
    return sorted(pages.items(), reverse=True), anchors


def _filters(ctx: PageContext) -> list[Filter]:
    """The table's filters, each offering only the values some incident has (severities: all
    the scale's); a filter more is one line here."""
    incidents = ctx.index.incidents
    catalog = ctx.kb.catalog
    service = _named({k: v.name for k, v in catalog.services.items()})
    factor = _named({k: v.name for k, v in catalog.factors.items()})
    years = sorted({pm.date.year for pm in incidents if pm.date}, reverse=True)
    statuses = sorted({pm.status for pm in incidents}, key=list(STATUS_LABELS).index)
    labels = [(s, STATUS_LABELS[s]) for s in statuses]
    kinds = [(k, KIND_LABELS[k]) for k in KINDS if any(pm.kind == k for pm in incidents)]
    required = ctx.kb.settings.review_required_for
    reviews = {pm.review_state(required) for pm in incidents}
    review = [(r, label) for r, label in REVIEW_LABELS.items() if r in reviews]
    return [
        Filter("service", "Service", service(ctx.index.by_service), lambda pm: pm.services, True),
        Filter("factor", "Factor", factor(ctx.index.by_factor), lambda pm: pm.factors, True),
        Filter("severity", "Severity", _same(ctx.kb.settings.severities), lambda pm: [pm.severity]),
        Filter("year", "Year", _same(map(str, years)), _year),
        Filter("status", "Status", labels, lambda pm: [pm.status]),
        # Only where there is a choice: a table of incidents alone has nothing to tell apart.
        *([Filter("kind", "Kind", kinds, lambda pm: [pm.kind])] if len(kinds) > 1 else []),
        # Once an incident records a review or awaits one: incidents that need none are in
        # neither option.
        *([Filter("review", "Review", review, lambda pm: _review(pm, required))] if review else []),
        *(
            _custom(field, incidents)
            for field in ctx.kb.settings.shown_custom_fields
            if field.filter and any(pm.custom_value(field.name) is not None for pm in incidents)
        ),
    ]


def _custom(field: CustomField, incidents: list[Postmortem]) -> Filter:
    """A custom field's filter, of the values some incident has. The option's text is the search
    page's facet value; its key, the value with no space in it, as a row lists keys between
    spaces."""

    def keys(pm: Postmortem) -> list[str]:
        return [quote(v, safe="") for v in filter_values(pm.custom_value(field.name))]

    present = (v for pm in incidents for v in filter_values(pm.custom_value(field.name)))
    options = [(quote(v, safe=""), v) for v in in_order(field, present)]
    return Filter(field.name, field.label, options, keys, many=field.type == "list")


def _named(names: dict[str, str]) -> Callable[[Iterable[str]], list[tuple[str, str]]]:
    """Catalog ids as (id, name) options, by name."""

    def options(ids: Iterable[str]) -> list[tuple[str, str]]:
        return sorted(((i, names.get(i, i)) for i in ids), key=lambda o: o[1].lower())

    return options


def _same(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def _review(pm: Postmortem, required: tuple[str, ...]) -> list[str]:
    state = pm.review_state(required)
    return [state] if state else []


def _year(pm: Postmortem) -> list[str]:
    # Undated incidents match no year, as they did before the table was split.
    return [str(pm.date.year)] if pm.date else []
