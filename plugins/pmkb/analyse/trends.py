"""Aggregates over published incidents: counts per period, time-to-X distributions, recurrence."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from ..model import Postmortem

MEASURES = (("detect", "detected"), ("mitigate", "mitigated"), ("resolve", "resolved"))


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter."""

    start: date
    quarterly: bool

    @property
    def label(self) -> str:
        if self.quarterly:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"


def period_of(day: date, quarterly: bool) -> Period:
    month = (day.month - 1) // 3 * 3 + 1 if quarterly else day.month
    return Period(date(day.year, month, 1), quarterly)


def periods(incidents: Sequence[Postmortem], quarterly: bool | None = None) -> list[Period]:
    """Every period from the first incident to the last, gaps included; quarters past three years."""
    days = sorted(pm.date for pm in incidents if pm.date)
    if not days:
        return []
    if quarterly is None:
        quarterly = (days[-1] - days[0]).days > 3 * 365
    step = 3 if quarterly else 1
    current, last = period_of(days[0], quarterly), period_of(days[-1], quarterly)
    result = []
    while current.start <= last.start:
        result.append(current)
        month = current.start.month - 1 + step
        current = Period(date(current.start.year + month // 12, month % 12 + 1, 1), quarterly)
    return result


# Incidents far older than the rest (historic reports, mistyped years), or far later (a year
# typed as 2052), would stretch every time axis across decades and squeeze the real history into
# a few bars. The incidents at either end are left off the axes when they are at most
# OUTLIER_SHARE of the dated incidents and a gap of more than OUTLIER_GAP_DAYS, and longer than
# the rest's own span, separates them from the rest.
OUTLIER_SHARE = 0.2
OUTLIER_GAP_DAYS = 2 * 365


def _outliers(days: list[int]) -> int:
    """How many of `days` (ascending ordinals) at the front are outliers, as defined above."""
    n = len(days)
    limit = max(1, int(n * OUTLIER_SHARE)) if n >= 3 else 0
    cut = 0
    for k in range(1, limit + 1):
        if days[k] - days[k - 1] > max(OUTLIER_GAP_DAYS, days[-1] - days[k]):
            cut = k
    return cut


@dataclass(frozen=True)
class Window:
    """The days time axes show: from `since` to `until`, each None for no bound."""

    since: date | None = None
    until: date | None = None

    def holds(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


def window(days: Sequence[date]) -> Window:
    """The time axes' window: every day but the outliers at either end."""
    ordinals = sorted(d.toordinal() for d in days)
    later = _outliers([-d for d in reversed(ordinals)])
    earlier = _outliers(ordinals[: len(ordinals) - later])
    # Without the earlier outliers the rest's span is shorter: the later end is judged again.
    later = _outliers([-d for d in reversed(ordinals[earlier:])])
    return Window(
        date.fromordinal(ordinals[earlier]) if earlier else None,
        date.fromordinal(ordinals[-1 - later]) if later else None,
    )


@dataclass(frozen=True)
class LeftOut:
    """Incidents outside the time axes' window, counted per year (oldest first)."""

    window: Window
    earlier: tuple[tuple[int, int], ...]
    later: tuple[tuple[int, int], ...]

    @property
    def years(self) -> tuple[tuple[int, int], ...]:
        return self.earlier + self.later

    @property
    def count(self) -> int:
        return sum(n for _, n in self.years)


def left_out(incidents: Sequence[Postmortem], axes: Window) -> LeftOut | None:
    """The incidents of `incidents` outside `axes`, or None when there are none."""
    days = [pm.date for pm in incidents if pm.date and not axes.holds(pm.date)]
    if not days:
        return None
    since = axes.since or date.min
    earlier = Counter(d.year for d in days if d < since)
    later = Counter(d.year for d in days if d >= since)
    return LeftOut(axes, tuple(sorted(earlier.items())), tuple(sorted(later.items())))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    # Exact arithmetic: in floats 7 / 100 * 100 is 7.000000000000001, whose ceiling is one rank too high.
    rank = max(1, math.ceil(Fraction(p).limit_denominator(10**6) * len(ordered) / 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Distribution:
    """Count, median and 90th percentile of durations in minutes."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(0, None, None)
        return cls(len(values), float(statistics.median(values)), float(percentile(values, 90)))


@dataclass(frozen=True)
class Recurrence:
    """A factor that appeared in at least `count` incidents within the window."""

    factor: str
    incidents: tuple[Postmortem, ...]  # oldest first

    @property
    def first(self) -> date:
        return self.incidents[0].date or date.min

    @property
    def last(self) -> date:
        return self.incidents[-1].date or date.min


def recurrences(incidents: Sequence[Postmortem], count: int, window_days: int) -> list[Recurrence]:
    """Episodes where a factor appears in `count` incidents within `window_days`; overlapping windows merge."""
    by_factor: dict[str, list[Postmortem]] = {}
    for pm in sorted((pm for pm in incidents if pm.date), key=lambda pm: pm.sort_key):
        for f in pm.factors:
            by_factor.setdefault(f, []).append(pm)
    window = timedelta(days=window_days)
    found: list[Recurrence] = []
    for factor, items in sorted(by_factor.items()):
        episode: tuple[int, int] | None = None
        for i in range(len(items) - count + 1):
            j = i + count - 1
            if (items[j].date or date.max) - (items[i].date or date.min) > window:
                continue
            if episode and i <= episode[1]:
                episode = (episode[0], j)
                continue
            if episode:
                found.append(Recurrence(factor, tuple(items[episode[0] : episode[1] + 1])))
            episode = (i, j)
        if episode:
            found.append(Recurrence(factor, tuple(items[episode[0] : episode[1] + 1])))
    return sorted(found, key=lambda r: (r.last, r.factor), reverse=True)


def per_period(
    incidents: Sequence[Postmortem], spans: list[Period]
) -> dict[Period, list[Postmortem]]:
    groups: dict[Period, list[Postmortem]] = {p: [] for p in spans}
    quarterly = spans[0].quarterly if spans else False
    for pm in incidents:
        if pm.date:
            groups.setdefault(period_of(pm.date, quarterly), []).append(pm)
    return groups


def by_kind(postmortems: Sequence[Postmortem]) -> tuple[list[Postmortem], list[Postmortem]]:
    """The incidents and the near misses of `postmortems`, each in the order given.

    Every figure that counts incidents (by severity, per period, per service, recurring factors,
    time to detect, mitigate and resolve) counts the first; near misses are counted apart.
    """
    incidents: list[Postmortem] = []
    near_misses: list[Postmortem] = []
    for pm in postmortems:
        (near_misses if pm.is_near_miss else incidents).append(pm)
    return incidents, near_misses


def start_of(pm: Postmortem) -> str | None:
    """The time durations are measured from: `started`, else `detected`, else none; none for a
    near miss, whose times (if any are written) mark no impact.

    Many real reports record when the incident was noticed but not when impact began; measured
    from detection, their durations are short of the truth but far from unknown.
    """
    if pm.is_near_miss:
        return None
    if pm.started is not None:
        return "started"
    return "detected" if pm.detected is not None else None


def elapsed(pm: Postmortem, end: str) -> int | None:
    """Whole minutes to `end` from the best start (see `start_of`); to `detected`, only from
    `started`, since detection cannot be measured from itself. None for a near miss: no impact
    was detected, mitigated or resolved."""
    if pm.is_near_miss:
        return None
    start = "started" if end == "detected" else start_of(pm)
    return pm.minutes(start, end) if start is not None else None


def durations(incidents: Sequence[Postmortem], measure: str) -> list[float]:
    return [float(m) for pm in incidents if (m := elapsed(pm, measure)) is not None]


def days_to_review(pm: Postmortem) -> int | None:
    """Days from the incident's `date` to its review, for a published postmortem that records
    both; None otherwise. A review before the incident is never recorded (PMK122)."""
    if pm.status != "published" or pm.date is None or pm.reviewed is None:
        return None
    return (pm.reviewed - pm.date).days


def review_days(incidents: Sequence[Postmortem]) -> list[float]:
    return [float(d) for pm in incidents if (d := days_to_review(pm)) is not None]


def from_detection(incidents: Sequence[Postmortem]) -> int:
    """How many incidents have their durations measured from detection (no `started`)."""
    return sum(start_of(pm) == "detected" for pm in incidents)


def pairs(incidents: Sequence[Postmortem], minimum: int = 2) -> list[tuple[str, str, int]]:
    """Factor/service pairs that appear together in at least `minimum` incidents."""
    counts = Counter((f, s) for pm in incidents for f in pm.factors for s in pm.services)
    return sorted(
        ((f, s, n) for (f, s), n in counts.items() if n >= minimum),
        key=lambda t: (-t[2], t[0], t[1]),
    )
