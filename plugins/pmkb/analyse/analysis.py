"""The figures behind the trend and action-item pages, the exports and `pmkb stats`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ..model import ActionItem, Postmortem
from ..settings import Settings
from .index import Index
from .trends import (
    MEASURES,
    Distribution,
    LeftOut,
    Period,
    Recurrence,
    by_kind,
    durations,
    left_out,
    pairs,
    per_period,
    periods,
    recurrences,
    review_days,
    window,
)

ACTION_ORDER = ("open", "in-progress", "done", "wont-do")


@dataclass(frozen=True)
class Item:
    """An action item with the incident it belongs to."""

    item: ActionItem
    incident: Postmortem


@dataclass(frozen=True)
class FollowThrough:
    """A factor that came back after an earlier incident's action items were all done."""

    factor: str
    incident: Postmortem
    earlier: Postmortem


class Analysis:
    """Everything the trend and action-item pages show, computed once."""

    def __init__(self, index: Index, settings: Settings, today: date) -> None:
        # The figures of incidents leave near misses out; they are counted on their own.
        incidents, self.near_misses = by_kind(index.incidents)
        self.incidents = incidents
        self.index = index
        self.today = today
        self.settings = settings
        # Time axes show the window; incidents outside it are counted in `left_out`, not charted.
        self.window = window([pm.date for pm in incidents if pm.date])
        self.left_out: LeftOut | None = left_out(incidents, self.window)
        charted = self.charted(incidents)
        self.periods: list[Period] = periods(charted)
        self.by_period = per_period(charted, self.periods)
        self.quarters: list[Period] = periods(charted, quarterly=True)
        self.by_quarter = per_period(charted, self.quarters)
        self.recurring: list[Recurrence] = recurrences(
            incidents, settings.recurrence_count, settings.recurrence_window_days
        )
        self.pairs = pairs(incidents)
        # A near miss's action items are as much owed as an incident's.
        self.items = [
            Item(item, pm)
            for pm in sorted(index.incidents, key=lambda pm: pm.sort_key)
            for item in pm.action_items
        ]

    def charted(self, incidents: list[Postmortem]) -> list[Postmortem]:
        """The dated incidents the time axes show: those in the window."""
        return [pm for pm in incidents if pm.date and self.window.holds(pm.date)]

    def severity_counts(self, period: Period) -> list[int]:
        found = Counter(pm.severity for pm in self.by_period[period])
        return [found.get(s, 0) for s in self.settings.severities]

    def distribution(self, incidents: list[Postmortem], measure: str) -> Distribution:
        return Distribution.of(durations(incidents, measure))

    def time_table(self) -> list[tuple[Period, dict[str, Distribution]]]:
        return [
            (q, {name: self.distribution(self.by_quarter[q], field) for name, field in MEASURES})
            for q in self.quarters
        ]

    def overall(self) -> dict[str, Distribution]:
        return {name: self.distribution(self.incidents, field) for name, field in MEASURES}

    def review_table(self) -> list[tuple[Period, Distribution]]:
        """Per quarter of the incidents, the days from incident to published review; only the
        quarters with a reviewed incident."""
        table = [(q, Distribution.of(review_days(self.by_quarter[q]))) for q in self.quarters]
        return [(q, d) for q, d in table if d.count]

    def review_overall(self) -> Distribution:
        """The days from incident to published review over every incident that records one."""
        return Distribution.of(review_days(self.incidents))

    def top_factors(self, period: Period, limit: int = 3) -> list[tuple[str, int]]:
        return self.index.factor_counts(self.by_quarter[period])[:limit]

    def overdue(self) -> list[Item]:
        found = [i for i in self.items if i.item.is_overdue(self.today)]
        return sorted(found, key=lambda i: (i.item.due or date.min, i.incident.id, i.item.title))

    def by_status(self) -> list[tuple[str, list[Item]]]:
        """Items per status, those of the most recent incidents first."""
        newest_first = self.items[::-1]
        return [
            (status, [i for i in newest_first if i.item.status == status])
            for status in ACTION_ORDER
        ]

    def by_owner(self) -> list[tuple[str, dict[str, int], int]]:
        owners: dict[str, Counter[str]] = {}
        overdue: Counter[str] = Counter()
        for i in self.items:
            owners.setdefault(i.item.owner, Counter())[i.item.status] += 1
            if i.item.is_overdue(self.today):
                overdue[i.item.owner] += 1
        return [
            (owner, dict(counts), overdue[owner])
            for owner, counts in sorted(owners.items(), key=lambda kv: kv[0].lower())
        ]

    def completion(self) -> list[tuple[Period, int, int]]:
        """Per quarter of the incidents: action items done, and items that count (all but won't-do)."""
        rows = []
        # Near misses' items too, as in every other figure of action items.
        every = per_period(self.charted(self.index.incidents), self.quarters)
        for q in self.quarters:
            items = [a for pm in every[q] for a in pm.action_items if a.status != "wont-do"]
            rows.append((q, sum(a.status == "done" for a in items), len(items)))
        return rows

    def follow_through(self) -> list[FollowThrough]:
        """Incidents whose factor came back after every action item of an earlier one with it was done."""
        found: list[FollowThrough] = []
        for factor, items in sorted(self.index.by_factor.items()):
            completed: Postmortem | None = None
            for pm in sorted(items, key=lambda pm: pm.sort_key):
                if completed is not None:
                    found.append(FollowThrough(factor, pm, completed))
                if pm.action_items and all(a.status == "done" for a in pm.action_items):
                    completed = pm
        return found
