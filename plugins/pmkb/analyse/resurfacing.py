"""What the "on this day" block resurfaces: incidents of this week in earlier years, and the open
action items of the postmortems other incidents most often point to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from ..model import ActionItem, Postmortem
from .index import Index

# "This week": the build date's month-day and this many days either side, in each earlier year.
WEEK_REACH = 3
OPEN_STATUSES = ("open", "in-progress")


@dataclass(frozen=True)
class Anniversary:
    """An incident of this week, `years_ago` years before the build date."""

    incident: Postmortem
    years_ago: int


@dataclass(frozen=True)
class Linked:
    """A postmortem other incidents list as related `links` times, with its open action items."""

    incident: Postmortem
    links: int
    open_items: tuple[ActionItem, ...]


def same_day(today: date, year: int) -> date:
    """The build date's month-day in `year`; 29 February falls on the 28th in other years."""
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def anniversaries(incidents: list[Postmortem], today: date) -> list[Anniversary]:
    """The incidents within WEEK_REACH days of the build date's month-day in an earlier year,
    the most recent year first, each year's in date order.

    An incident of late December is a year earlier than an early-January build date's week in
    the same year, so the year before and after its own are tried too; one of the build's own
    week (2 January, built on 4 January) is this year's, not an earlier year's.
    """
    found: list[Anniversary] = []
    for pm in incidents:
        if pm.date is None or pm.date >= today:
            continue
        for years_ago in (today.year - pm.date.year + d for d in (-1, 0, 1)):
            if not 1 <= years_ago < today.year:
                continue
            if abs((pm.date - same_day(today, today.year - years_ago)).days) <= WEEK_REACH:
                found.append(Anniversary(pm, years_ago))
                break
    found.sort(key=lambda a: (a.years_ago, a.incident.date or date.min, a.incident.id))
    return found


def week_of(today: date, years_ago: int) -> tuple[date, date]:
    """The first and last day of this week, `years_ago` years before the build date."""
    middle = same_day(today, today.year - years_ago)
    reach = timedelta(days=WEEK_REACH)
    return middle - reach, middle + reach


def link_counts(index: Index, related_limit: int) -> Counter[str]:
    """How many incidents of `index` list each one among their `related_limit` related incidents."""
    counts: Counter[str] = Counter()
    for pm in index.incidents:
        for related in index.related(pm, related_limit):
            counts[related.incident.id] += 1
    return counts


def most_linked(index: Index, related_limit: int, limit: int) -> list[Linked]:
    """The `limit` postmortems listed as related most often that still have open (or in-progress)
    action items: most links first, then the most recent, then by id."""
    counts = link_counts(index, related_limit)
    ranked = sorted(
        (pm for pm in index.incidents if counts[pm.id]),
        key=lambda pm: (-counts[pm.id], -(pm.date or date.min).toordinal(), pm.id),
    )
    found: list[Linked] = []
    for pm in ranked:
        items = tuple(a for a in pm.action_items if a.status in OPEN_STATUSES)
        if items:
            found.append(Linked(pm, counts[pm.id], items))
            if len(found) == limit:
                break
    return found
