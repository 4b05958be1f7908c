"""Cross-references over the published incidents: by service, by factor, related incidents."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from hashlib import sha256
from itertools import chain

from ..digests import digest
from ..model import Postmortem

# Candidate incidents for "related" are the ones nearest in time in each shared posting list, so the
# cost is O(N * lists per incident * NEIGHBOURS) instead of comparing every pair.
NEIGHBOURS = 40
FACTOR_WEIGHT, SERVICE_WEIGHT = 3, 2
NO_DATE = 10**9  # days apart when either incident has no date: ranks after every dated one
_SHOWN = 16  # bytes of each incident's digest in `related_inputs`


@dataclass(frozen=True)
class Related:
    """Another incident close to this one, with the reasons."""

    incident: Postmortem
    score: float
    shared_factors: tuple[str, ...]
    shared_services: tuple[str, ...]
    days_apart: int | None


class Index:
    """Published postmortems, incidents and near misses (newest first), grouped by service and
    factor."""

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
        # For related incidents: each incident by its position, with its date as an ordinal, the
        # rank of its id, and its factors and services as one bit mask in which a factor takes
        # FACTOR_WEIGHT bits and a service SERVICE_WEIGHT: the shared ones' weight is an AND
        # and a popcount. Each list as positions, oldest first, with their ordinals.
        self._ordinals = [_ordinal(pm.date) for pm in incidents]
        self._bits: dict[tuple[str, str], int] = {}
        width = 0
        for kind, weight, keys in (
            ("f", FACTOR_WEIGHT, self.by_factor),
            ("s", SERVICE_WEIGHT, self.by_service),
        ):
            for key in keys:
                self._bits[(kind, key)] = ((1 << weight) - 1) << width
                width += weight
        self._weights = [self._mask(pm) for pm in incidents]
        self._position = {pm.id: i for i, pm in enumerate(incidents)}
        by_id = sorted(range(len(incidents)), key=lambda i: incidents[i].id)
        self._rank = [0] * len(incidents)
        for rank, i in enumerate(by_id):
            self._rank[i] = rank
        self._members: dict[tuple[str, str], list[int]] = {}
        self._timeline: dict[tuple[str, str], list[int]] = {}
        for kind, groups in (("s", self.by_service), ("f", self.by_factor)):
            for key, items in groups.items():
                members = [self._position[pm.id] for pm in reversed(items)]
                self._members[(kind, key)] = members
                self._timeline[(kind, key)] = [self._ordinals[i] for i in members]

    def _mask(self, pm: Postmortem) -> int:
        mask = 0
        for kind, keys in (("f", pm.factors), ("s", pm.services)):
            for key in keys:
                mask |= self._bits.get((kind, key), 0)
        return mask

    def factor_counts(self, incidents: list[Postmortem]) -> list[tuple[str, int]]:
        return _ranked(Counter(f for pm in incidents for f in pm.factors))

    def service_counts(self, incidents: list[Postmortem]) -> list[tuple[str, int]]:
        return _ranked(Counter(s for pm in incidents for s in pm.services))

    def cooccurring(self, factor: str, incidents: list[Postmortem]) -> list[tuple[str, int]]:
        """The other factors of `incidents` (those of `factor`, or some of them), most frequent first."""
        return _ranked(Counter(f for pm in incidents for f in pm.factors if f != factor))

    def related_inputs(self, pm: Postmortem) -> str:
        """A digest of all `related` reads for `pm`: the incidents it weighs, with what each is
        chosen and shown by. A page's related incidents can change only with it: an incident
        added, removed or changed that is not among them leaves the page as it was."""
        # Each list's incidents' digests, end to end: a window of them is one slice, not a join
        # for every page (a warm build asks for every incident page's inputs).
        shown = self._shown
        return digest(
            *(
                f"{kind} {key}".encode() + shown[(kind, key)][start * _SHOWN : end * _SHOWN]
                for (kind, key), start, end in self._windows(pm)
            )
        )

    @cached_property
    def related_state(self) -> str:
        """A digest of all `related_inputs` reads besides its postmortem: every list's incidents
        and what each is chosen and shown by. While it is the same, so is `related_inputs` of an
        unchanged postmortem."""
        return digest(
            *(f"{kind} {key}".encode() + shown for (kind, key), shown in self._shown.items())
        )

    @cached_property
    def _shown(self) -> dict[tuple[str, str], bytes]:
        """Per list, the digests of what `related` chooses each of its incidents by and shows of
        it, _SHOWN bytes each, in the list's order."""
        each = [
            sha256(
                repr((m.id, m.title, m.date, m.severity, m.services, m.factors)).encode()
            ).digest()[:_SHOWN]
            for m in self.incidents
        ]
        return {key: b"".join(each[i] for i in members) for key, members in self._members.items()}

    def _windows(self, pm: Postmortem) -> Iterator[tuple[tuple[str, str], int, int]]:
        """The incidents `related` weighs for `pm`, by list: in each list of its services and
        factors, the NEIGHBOURS nearest its date on either side, as where they start and end."""
        me = _ordinal(pm.date)
        for kind, keys in (("s", pm.services), ("f", pm.factors)):
            for key in keys:
                # An incident outside the index (one withheld from the site) may name keys none has.
                timeline = self._timeline.get((kind, key))
                if timeline is not None:
                    at = bisect_left(timeline, me)
                    yield (kind, key), max(0, at - NEIGHBOURS), at + NEIGHBOURS

    def related(self, pm: Postmortem, limit: int) -> list[Related]:
        """The closest incidents by shared factors (x3), shared services (x2) and nearness in time:
        the highest scores first, then the nearest in time, then by id."""
        me = _ordinal(pm.date)
        candidates = dict.fromkeys(
            chain.from_iterable(
                self._members[key][start:end] for key, start, end in self._windows(pm)
            )
        )
        candidates.pop(self._position.get(pm.id, -1), None)
        mine, ordinals, weights, ranks = self._mask(pm), self._ordinals, self._weights, self._rank
        # The best `limit` so far, the worst first, each ranked by (score, -days, -rank of id): a
        # candidate scoring below the worst kept is passed over before a tuple is made for it.
        # At 5,000 postmortems (some 250 candidates a page), every page's related incidents
        # took 0.45 s with a tuple for each candidate, ranked at the end; 0.33 s this way.
        best: list[tuple[int, int, int, int]] = []
        floor = -1
        for i in candidates:
            other = ordinals[i]
            days = abs(other - me) if other and me else NO_DATE
            score = (mine & weights[i]).bit_count() + (2 if days <= 30 else 1 if days <= 180 else 0)
            if score < floor:
                continue
            entry = (score, -days, -ranks[i], i)
            if len(best) < limit:
                heapq.heappush(best, entry)
            elif best and entry > best[0]:
                heapq.heapreplace(best, entry)
            else:
                continue
            if len(best) == limit:
                floor = best[0][0]
        best.sort(reverse=True)
        winners = []
        for score, negative_days, _, i in best:
            other_pm = self.incidents[i]
            winners.append(
                Related(
                    other_pm,
                    float(score),
                    tuple([f for f in pm.factors if f in other_pm.factors]),
                    tuple([s for s in pm.services if s in other_pm.services]),
                    None if negative_days == -NO_DATE else -negative_days,
                )
            )
        return winners


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
