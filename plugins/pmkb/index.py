"""Cross-references over the published incidents: by service, by factor, related incidents."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import date

from .model import Postmortem

# Candidate incidents for "related" are the ones nearest in time in each shared posting list, so the
# cost is O(N * lists per incident * NEIGHBOURS) instead of comparing every pair.
NEIGHBOURS = 40
FACTOR_WEIGHT, SERVICE_WEIGHT = 3, 2


@dataclass(frozen=True)
class Related:
    """Another incident close to this one, with the reasons."""

    incident: Postmortem
    score: float
    shared_factors: tuple[str, ...]
    shared_services: tuple[str, ...]
    days_apart: int | None


class Index:
    """Published incidents (newest first) grouped by service and factor."""

    def __init__(self, incidents: list[Postmortem]) -> None:
        self.incidents = incidents
        self.by_id = {pm.id: pm for pm in incidents}
        self.by_service: dict[str, list[Postmortem]] = {}
        self.by_factor: dict[str, list[Postmortem]] = {}
        for pm in incidents:
            for s in pm.services:
                self.by_service.setdefault(s, []).append(pm)
            for f in pm.factors:
                self.by_factor.setdefault(f, []).append(pm)
        # Oldest-first ordinal dates per list, for nearest-in-time look-ups.
        self._timeline: dict[tuple[str, str], list[int]] = {}
        for kind, groups in (("s", self.by_service), ("f", self.by_factor)):
            for key, items in groups.items():
                items.reverse()
                self._timeline[(kind, key)] = [_ordinal(pm.date) for pm in items]
                items.reverse()

    def factor_counts(self, incidents: list[Postmortem]) -> list[tuple[str, int]]:
        return _ranked(Counter(f for pm in incidents for f in pm.factors))

    def service_counts(self, incidents: list[Postmortem]) -> list[tuple[str, int]]:
        return _ranked(Counter(s for pm in incidents for s in pm.services))

    def cooccurring(self, factor: str) -> list[tuple[str, int]]:
        counts = Counter(
            f for pm in self.by_factor.get(factor, []) for f in pm.factors if f != factor
        )
        return _ranked(counts)

    def related(self, pm: Postmortem, limit: int) -> list[Related]:
        """The closest incidents by shared factors (x3), shared services (x2) and nearness in time."""
        me = _ordinal(pm.date)
        candidates: dict[str, Postmortem] = {}
        for kind, keys, groups in (
            ("s", pm.services, self.by_service),
            ("f", pm.factors, self.by_factor),
        ):
            for key in keys:
                items = groups[key]
                # items are newest first; ordinals are oldest first
                at = bisect_left(self._timeline[(kind, key)], me)
                last = len(items) - 1
                lo, hi = max(0, at - NEIGHBOURS), min(len(items), at + NEIGHBOURS)
                for other in items[last - hi + 1 : last - lo + 1]:
                    candidates[other.id] = other
        candidates.pop(pm.id, None)
        factors, services = set(pm.factors), set(pm.services)
        keyed: list[tuple[float, int, str, Postmortem]] = []
        for other in candidates.values():
            # Only the winners become Related objects; ranking needs the score and the distance.
            days = abs(_ordinal(other.date) - me) if other.date and pm.date else None
            nearness = 0 if days is None else 2 if days <= 30 else 1 if days <= 180 else 0
            score = (
                FACTOR_WEIGHT * len(factors.intersection(other.factors))
                + SERVICE_WEIGHT * len(services.intersection(other.services))
                + nearness
            )
            keyed.append((-score, 10**9 if days is None else days, other.id, other))
        return [
            Related(
                other,
                float(-negative),
                tuple(f for f in pm.factors if f in other.factors),
                tuple(s for s in pm.services if s in other.services),
                None if days == 10**9 else days,
            )
            for negative, days, _, other in heapq.nsmallest(limit, keyed)
        ]


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
