"""The validated model: postmortems, their action items, and the catalogs they refer to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .findings import Finding

STATUSES = ("draft", "in-review", "published")
ACTION_STATUSES = ("open", "in-progress", "done", "wont-do")
# What a postmortem records: an incident, whose impact reached users, or a near miss, caught
# before it did. The first is the default.
KINDS = ("incident", "near-miss")
KIND_LABELS = {"incident": "Incident", "near-miss": "Near miss"}
# Whether a postmortem's review is recorded, or awaited (`Postmortem.review_state`), as the
# incidents table's filter and the search page's facet name it.
REVIEW_LABELS = {"reviewed": "Reviewed", "awaiting": "Awaiting review"}
# Who may read a postmortem, widest first; a build's audience is one of the same words, and sees
# what is as wide as itself or wider: a public build only public postmortems, a restricted build
# everything.
VISIBILITIES = ("public", "internal", "restricted")
AUDIENCES = VISIBILITIES
# A custom field's value (`custom_fields`): text or an enum's value, a number, a date, a list of
# text. Immutable, so that a postmortem stays hashable and comparable.
CustomValue = str | int | float | date | tuple[str, ...]


def visible_to(visibility: str, audience: str) -> bool:
    """Whether a build for `audience` shows what has `visibility`."""
    return VISIBILITIES.index(visibility) <= VISIBILITIES.index(audience)


def narrowest(*visibilities: str) -> str:
    """The visibility that only the readers of all of `visibilities` have."""
    return max(visibilities, key=VISIBILITIES.index)


@dataclass(frozen=True)
class Service:
    """A service from the services catalog."""

    id: str
    name: str
    owner: str = ""
    description: str = ""
    visibility: str = "internal"


@dataclass(frozen=True)
class Factor:
    """A contributing factor from the factors catalog."""

    id: str
    name: str
    category: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """The services and the contributing factors postmortems may name."""

    services: dict[str, Service] = field(default_factory=dict)
    factors: dict[str, Factor] = field(default_factory=dict)

    def factor_alias(self, name: str) -> str | None:
        """The canonical factor id an alias stands for."""
        return self.alias_map.get(name)

    @property
    def alias_map(self) -> dict[str, str]:
        cached: dict[str, str] | None = self.__dict__.get("_alias_map")
        if cached is None:
            cached = {a: f.id for f in self.factors.values() for a in f.aliases}
            object.__setattr__(self, "_alias_map", cached)
        return cached


@dataclass(frozen=True)
class ActionItem:
    """A follow-up commitment of a postmortem."""

    title: str
    owner: str
    status: str
    due: date | None = None
    link: str = ""
    line: int = 0

    def is_overdue(self, today: date) -> bool:
        return self.status in ("open", "in-progress") and self.due is not None and self.due < today


@dataclass(frozen=True)
class Postmortem:
    """One incident's postmortem, as far as its front matter and body could be read."""

    id: str
    path: Path
    display: str
    title: str
    date: date | None
    severity: str
    status: str
    services: tuple[str, ...]
    factors: tuple[str, ...]
    authors: tuple[str, ...] = ()
    started: datetime | None = None
    detected: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    action_items: tuple[ActionItem, ...] = ()
    body: str = ""
    body_line: int = 1
    # The titles of the body's level-2 sections, in order. Plain strings: the garbage collector
    # stops looking at a tuple of them, where an object a heading (forty thousand at 5,000
    # postmortems) was a fifth of what each collection of a `serve` process went over.
    section_titles: tuple[str, ...] = ()
    summary: str = ""
    findings: tuple[Finding, ...] = ()
    kind: str = "incident"
    # Who may read it: as written, narrowed to what its services allow (a public postmortem of an
    # internal service is internal), and `restricted` when the value written is not a visibility.
    visibility: str = "internal"
    # Who reviewed the postmortem, and the day they did: teams that hold a review meeting record
    # it, and `review_required_for` makes it a condition of publishing.
    reviewers: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    # The `custom_fields` it sets with a valid value, in the option's order.
    custom: tuple[tuple[str, CustomValue], ...] = ()

    def custom_value(self, name: str) -> CustomValue | None:
        """The value of the custom field `name`, or None when it is not set."""
        return next((value for key, value in self.custom if key == name), None)

    @property
    def has_review(self) -> bool:
        """Whether a review is recorded: the day of it. Who reviewed is not asked here: a public
        site, which names no one of the company, still tells a reviewed postmortem apart."""
        return self.reviewed is not None

    def review_state(self, required_for: tuple[str, ...]) -> str | None:
        """`reviewed` when a review is recorded, `awaiting` when its severity is one of
        `required_for` and none is, else None: a review nobody asked for is not awaited."""
        if self.has_review:
            return "reviewed"
        return "awaiting" if self.severity in required_for else None

    @property
    def is_near_miss(self) -> bool:
        """Whether it records a near miss: no impact, so no time to detect, mitigate or resolve,
        and no place in severity counts."""
        return self.kind == "near-miss"

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level.value == "error")

    def minutes(self, start: str, end: str) -> int | None:
        """Whole minutes between two of started/detected/mitigated/resolved, when both are known."""
        a, b = getattr(self, start), getattr(self, end)
        if a is None or b is None or b < a:
            return None
        return int((b - a).total_seconds() // 60)

    @property
    def duration_minutes(self) -> int | None:
        return self.minutes("started", "resolved")

    @property
    def sort_key(self) -> tuple[dt.date, str]:
        return (self.date or dt.date.min, self.id)
