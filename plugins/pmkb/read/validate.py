"""Checking one postmortem and building its model: every problem becomes a located finding."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..clock import build_date
from ..findings import Finding, Level, finding, kind_of, quoted, shorten
from ..model import (
    ACTION_STATUSES,
    AUDIENCES,
    KINDS,
    STATUSES,
    VISIBILITIES,
    ActionItem,
    Catalog,
    CustomValue,
    Postmortem,
    narrowest,
    visible_to,
)
from ..settings import Settings
from ..suggest import did_you_mean
from ..urls import unusable_id
from .actionable import exhorts, vague_action
from .blame import BlameHit, BlameMatcher, handle_mentions
from .custom_fields import CustomField
from .schema import (
    ACTION_FIELD_NAMES,
    FIELD_NAMES,
    FIELDS,
    LINK_FORBIDDEN,
    LINK_HOST,
    LINK_PATTERN,
    SLUG_PATTERN,
    TIME_FIELDS,
)
from .sections import (
    GUIDANCE,
    Section,
    TimelineEntry,
    canonical_names,
    parse_sections,
    parse_timeline,
)
from .source import SourceFile
from .yamlread import LocatedDict, LocatedList

_SLUG = re.compile(SLUG_PATTERN)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Bounds on incident times: what parses but cannot be right (a mistyped year, a placeholder such
# as 0001-01-01) and would put a duration of centuries into every median.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_FUTURE = timedelta(days=366)  # past the end of the build date
_LONGEST = timedelta(days=366)  # from the first of the incident's times to the last
# A timeline entry this far from the incident is a mistyped date, whatever the other entries.
_TIMELINE_ASTRAY = timedelta(days=183)


def wall_clock_today() -> date:
    """Today's date in UTC by the wall clock, whatever SOURCE_DATE_EPOCH says (tests replace it)."""
    return datetime.now(UTC).date()


class Checker:
    """Checks postmortems against one set of settings and one catalog."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog
        self.blame = BlameMatcher(settings.blame_phrases)
        self._canonical_lower = canonical_names(
            settings.required_sections, settings.section_aliases
        )
        self._external_summary = self.section_name(settings.external_summary_section)
        # Raises ClockError for an unusable SOURCE_DATE_EPOCH, before any file is checked.
        self.today = build_date()
        end_of_today = datetime.combine(self.today, time.max, UTC)
        self._latest = (
            end_of_today + _FUTURE
            if self.today <= date.max - _FUTURE
            else datetime.max.replace(tzinfo=UTC)
        )
        # Plausible, as opposed to possible: a warning names what lies outside, and the value is
        # used. A day of slack after today: a time written in a zone east of UTC may be
        # tomorrow's date there. Options past what datetime holds stand for "no bound".
        self._earliest_year = min(settings.earliest_year, date.max.year)
        # "After today" is after the later of the build date and the wall clock's date: a build
        # pinned to an older SOURCE_DATE_EPOCH (a test, a rebuild of an old release) would
        # otherwise call every later postmortem a future one. Only the logs depend on the wall
        # clock, never the site, and a warning can only go away as time passes.
        self.latest_today = max(self.today, wall_clock_today())
        self._after_today = (
            datetime.combine(self.latest_today, time.max, UTC) + timedelta(days=1)
            if self.latest_today < date.max - timedelta(days=1)
            else None
        )
        self._longest = timedelta(days=min(settings.longest_incident_days, _LONGEST.days))
        self._keys = (*FIELD_NAMES, *(f.name for f in settings.custom_fields))

    def section_name(self, heading: str) -> str:
        """The canonical (lowercase) name a heading stands for."""
        return self._canonical_lower.get(heading.lower(), heading.lower())

    def check(self, source: SourceFile) -> Postmortem | None:
        """The postmortem's model with its findings, or None when its front matter is unreadable."""
        meta = source.meta
        if meta is None:
            return None
        out = _Findings(source.display, list(source.findings))
        for key in meta:
            if key not in self._keys:
                line, col = meta.key_marks[key]
                out.add(
                    line, col, "PMK103", f"unknown key `{key}`{did_you_mean(str(key), self._keys)}"
                )
        for f in FIELDS:
            if f.required and (f.name not in meta or meta[f.name] is None):
                out.add(1, 1, "PMK101", f"missing required key `{f.name}`")

        pm_id = self._id(meta, source, out)
        title = self._text(meta, "title", out) or pm_id
        day = self._date(meta, "date", out)
        severity = self._choice(meta, "severity", self.settings.severities, "PMK107", out)
        status = self._choice(meta, "status", STATUSES, "PMK108", out)
        kind = self._choice(meta, "kind", KINDS, "PMK117", out) or KINDS[0]
        services = self._ids(meta, "services", out)
        factors = self._ids(meta, "contributing_factors", out)
        authors = self._text_list(meta, "authors", out)
        reviewers = self._text_list(meta, "reviewers", out)
        reviewed = self._reviewed(meta, day, out)
        self._review_required(meta, severity, status, reviewers, reviewed, out)
        custom = self._custom_fields(meta, status, out)
        times = {
            name: self._plausible_time(meta, name, self._datetime(meta, name, out), out)
            for name in TIME_FIELDS
        }
        self._time_order(meta, times, out)
        self._time_span(meta, times, out)
        self._plausible_date(meta, day, out)
        items = self._action_items(meta, out)

        _conversion_cost(source.body, source.body_line, out)
        sections = parse_sections(source.body, source.body_line)
        required = self.settings.sections_required(kind, severity or "")
        self._sections(
            sections, source.body, day, status, required, meta, source.front_lines, out, times
        )
        summary = next(
            (s.text.strip() for s in sections if self.section_name(s.title) == "summary"), ""
        )
        visibility = self._visibility(meta, services, sections, out)
        return Postmortem(
            id=pm_id,
            path=source.path,
            display=source.display,
            title=title,
            date=day,
            severity=severity or "",
            status=status or "",
            services=services,
            factors=factors,
            authors=authors,
            action_items=items,
            body=source.body,
            body_line=source.body_line,
            section_titles=section_titles(sections),
            summary=summary,
            findings=tuple(out.items),
            kind=kind,
            visibility=visibility,
            reviewers=reviewers,
            reviewed=reviewed,
            custom=custom,
            **times,
        )

    # Front matter.
    def _visibility(
        self, meta: LocatedDict, services: tuple[str, ...], sections: list[Section], out: _Findings
    ) -> str:
        """Who may read the postmortem: as written (or `default_visibility`), narrowed to its
        services' visibility. A typo reads as `restricted`: a mistake must never publish a
        postmortem more widely than meant."""
        value = meta.get("visibility")
        if value is None:
            written = self.settings.default_visibility
        elif isinstance(value, str) and value in VISIBILITIES:
            written = value
        else:
            out.add(
                *meta.value_marks["visibility"],
                "PMK118",
                f"`visibility: {quoted(value)}` is not one of {', '.join(VISIBILITIES)}"
                f"{did_you_mean(str(value), VISIBILITIES)}; read as `restricted` until corrected",
            )
            return "restricted"
        visibility = written
        marks = _service_marks(meta)
        for ident in services:
            service = self.catalog.services[ident].visibility
            if visible_to(service, written):
                continue
            out.add(
                *marks.get(ident, (1, 1)),
                "PMK119",
                f"service `{ident}` is {service} in the services catalog and the postmortem "
                f"{written}: it is published only where the service is, on the "
                f"{' and '.join(a for a in AUDIENCES if visible_to(service, a))} sites; make the "
                f"service `visibility: {written}` or the postmortem `visibility: {service}`",
            )
            visibility = narrowest(visibility, service)
        if visibility == "public" and not any(
            self.section_name(s.title) == self._external_summary and not s.is_empty()
            for s in sections
        ):
            where = meta.value_marks.get("visibility", (1, 1))
            out.add(
                *where,
                "PMK120",
                f"a public postmortem with no `## {self.settings.external_summary_section}` "
                f"section, or an empty one: its page on the public site has no summary; add one, written for "
                f"customers",
            )
        return visibility

    def _reviewed(self, meta: LocatedDict, day: date | None, out: _Findings) -> date | None:
        """The review's date; None and PMK122 when it is before the incident's `date`, which
        would make the time to review negative in every figure."""
        reviewed = self._date(meta, "reviewed", out)
        if reviewed is None:
            return None
        if day is not None and reviewed < day:
            out.add(
                *meta.value_marks["reviewed"],
                "PMK122",
                f"`reviewed: {quoted(meta['reviewed'])}` is before the incident's `date` "
                f"({day.isoformat()}): a postmortem is reviewed after its incident; correct the "
                "date (the value is not used)",
            )
            return None
        self._recent_past(meta, "reviewed", reviewed, out)
        return reviewed

    def _review_required(
        self,
        meta: LocatedDict,
        severity: str | None,
        status: str | None,
        reviewers: tuple[str, ...],
        reviewed: date | None,
        out: _Findings,
    ) -> None:
        """PMK121, on the status, for a published postmortem whose severity requires a review
        that it does not record."""
        if status != "published" or severity not in self.settings.review_required_for:
            return
        missing = [] if reviewers else ["`reviewers`"]
        if reviewed is None:
            unused = meta.get("reviewed") is not None  # written, but reported and not used
            missing.append("a usable `reviewed`" if unused else "`reviewed`")
        if not missing:
            return
        out.add(
            *meta.value_marks["status"],
            "PMK121",
            f"`status: published` needs a recorded review for a {severity} postmortem "
            f"(`review_required_for`), and {' and '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing: add who reviewed it and when, or "
            "keep `status: in-review` until the review",
        )

    def _custom_fields(
        self, meta: LocatedDict, status: str | None, out: _Findings
    ) -> tuple[tuple[str, CustomValue], ...]:
        """The valid values of the declared custom fields, in the option's order; PMK124, on the
        status, for each one the status requires and the front matter lacks."""
        values: list[tuple[str, CustomValue]] = []
        for field in self.settings.custom_fields:
            before = len(out.items)
            value = None if meta.get(field.name) is None else self._custom_value(meta, field, out)
            if value is not None:
                values.append((field.name, value))
            # A value written but wrong has its own finding, which is enough.
            elif status is not None and field.required_at(status) and len(out.items) == before:
                out.add(
                    *meta.value_marks["status"],
                    "PMK124",
                    f"`status: {status}` needs the custom field `{field.name}` (required from "
                    f"`{field.required_from}`); add `{field.name}:` with its value",
                )
        return tuple(values)

    def _custom_value(
        self, meta: LocatedDict, field: CustomField, out: _Findings
    ) -> CustomValue | None:
        """The value of a custom field, or None and a finding quoting what is written."""
        name = field.name
        if field.type == "text":
            return self._text(meta, name, out) or None
        if field.type == "date":
            return self._date(meta, name, out)
        if field.type == "list":
            return self._text_list(meta, name, out) or None
        if field.type == "enum":
            return self._choice(meta, name, field.values, "PMK123", out)
        value = meta[name]
        # A whole number is kept exact: math.isfinite would take it as a float.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        out.add(
            *meta.value_marks[name], "PMK102", f"`{name}` must be a number, not {kind_of(value)}"
        )
        return None

    def _id(self, meta: LocatedDict, source: SourceFile, out: _Findings) -> str:
        stem = source.path.name.rsplit(".", 1)[0]
        if "id" not in meta:
            if _SLUG.match(stem):
                unusable = unusable_id(stem)
                if unusable is None:
                    return stem
                out.add(
                    1,
                    1,
                    "PMK116",
                    f"the file name `{stem}` cannot name a page: {unusable}; rename the file or set `id:`",
                )
                return _fallback_id(stem)
            out.add(
                1,
                1,
                "PMK113",
                f"the file name `{stem}` is not a lowercase slug; rename the file or set `id:`",
            )
            return _fallback_id(stem)
        value = meta["id"]
        line, col = meta.value_marks["id"]
        if not isinstance(value, str) or not _SLUG.match(value):
            out.add(
                line,
                col,
                "PMK113",
                f"id `{quoted(value)}` must be a lowercase slug (a-z, 0-9, `-`, `_`, `.`) and may not leave the site",
            )
            return _fallback_id(stem)
        unusable = unusable_id(value)
        if unusable is not None:
            out.add(line, col, "PMK116", f"id `{value}` cannot name a page: {unusable}")
            return _fallback_id(stem)
        return value

    def _text(self, meta: LocatedDict, key: str, out: _Findings) -> str:
        value = meta.get(key)
        if value is None:
            return ""
        line, col = meta.value_marks[key]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            out.add(line, col, "PMK102", f"`{key}` must be text, not {kind_of(value)}")
            return ""
        text = " ".join(str(value).split())
        if not text:
            out.add(line, col, "PMK115", f"`{key}` is empty")
        return text

    def _date(self, meta: LocatedDict, key: str, out: _Findings) -> date | None:
        value = meta.get(key)
        if value is None:
            return None
        line, col = meta.value_marks[key]
        parsed = _as_date(value)
        if parsed is not None:
            return parsed
        out.add(line, col, "PMK104", f"`{key}: {quoted(value)}` is not a date; write YYYY-MM-DD")
        return None

    def _datetime(self, meta: LocatedDict, key: str, out: _Findings) -> datetime | None:
        value = meta.get(key)
        if value is None:
            return None
        line, col = meta.value_marks[key]
        parsed: datetime | None = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            out.add(
                line,
                col,
                "PMK105",
                f"`{key}: {quoted(value)}` is not an ISO 8601 date-time such as 2026-03-12T08:02:00Z",
            )
            return None
        if parsed.tzinfo is None:
            out.add(
                line,
                col,
                "PMK105",
                f"`{key}: {quoted(value)}` has no time zone; add `Z` or an offset such as `+01:00`",
            )
            return None
        return parsed

    def _time_order(
        self, meta: LocatedDict, times: dict[str, datetime | None], out: _Findings
    ) -> None:
        known = [(name, t) for name, t in ((n, times[n]) for n in TIME_FIELDS) if t is not None]
        for (earlier, a), (later, b) in itertools.pairwise(known):
            if b < a:
                line, col = meta.value_marks[later]
                out.add(
                    line,
                    col,
                    "PMK106",
                    f"`{later}` ({b.isoformat()}) is before `{earlier}` ({a.isoformat()})",
                )

    def _plausible_time(
        self, meta: LocatedDict, key: str, value: datetime | None, out: _Findings
    ) -> datetime | None:
        """The time, or None and a finding when it is before 1970 or over a year ahead."""
        if value is None:
            return None
        early = value < _EARLIEST
        late = value > self._latest
        if not early and not late:
            self._recent_past(meta, key, value, out)
            return value
        when = (
            "before 1970"
            if early
            else f"more than a year after the build date ({self.today.isoformat()})"
        )
        out.add(
            *meta.value_marks[key],
            "PMK207",
            f"`{key}: {quoted(meta[key])}` is {when}; correct the year (the value is not used)",
        )
        return None

    def _recent_past(self, meta: LocatedDict, key: str, value: date, out: _Findings) -> None:
        """PMK209 for a date or time before `earliest_year` or after the build date."""
        if value.year < self._earliest_year:
            when = f"before {self._earliest_year} (`earliest_year`); check the year"
        elif self._after_today is not None and (
            value > self._after_today
            if isinstance(value, datetime)
            else value > self._after_today.date()
        ):
            when = f"after today ({self.latest_today.isoformat()}); check the year and month"
        else:
            return
        out.add(*meta.value_marks[key], "PMK209", f"`{key}: {quoted(meta[key])}` is {when}")

    def _plausible_date(self, meta: LocatedDict, day: date | None, out: _Findings) -> None:
        if day is not None:
            self._recent_past(meta, "date", day, out)

    def _time_span(
        self, meta: LocatedDict, times: dict[str, datetime | None], out: _Findings
    ) -> None:
        known = sorted(((t, name) for name, t in times.items() if t is not None))
        if len(known) < 2:
            return
        (a, first), (b, last) = known[0], known[-1]
        if b - a > _LONGEST:
            out.add(
                *meta.value_marks[last],
                "PMK208",
                f"`{last}` ({b.isoformat()}) is {(b - a).days:,} days after `{first}` "
                f"({a.isoformat()}); an incident is not this long: check the years",
            )
        elif b - a > self._longest:
            # The widest gap between two times next to each other is where a mistyped month or
            # day most likely stands: a resolve time two months after the repair.
            (x, before), (y, after) = max(
                itertools.pairwise(known), key=lambda pair: pair[1][0] - pair[0][0]
            )
            out.add(
                *meta.value_marks[after],
                "PMK210",
                f"`{after}` ({y.isoformat()}) is {_span(y - x)} after `{before}` "
                f"({x.isoformat()}): the incident would last {_span(b - a)}, longer than "
                f"`longest_incident_days` ({self._longest.days}); check the month and day",
            )

    def _choice(
        self, meta: LocatedDict, key: str, allowed: tuple[str, ...], code: str, out: _Findings
    ) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        line, col = meta.value_marks[key]
        if not isinstance(value, str) or value not in allowed:
            out.add(
                line,
                col,
                code,
                f"`{key}: {quoted(value)}` is not one of {', '.join(allowed)}{did_you_mean(str(value), allowed)}",
            )
            return None
        return value

    def _list(
        self, meta: LocatedDict, key: str, out: _Findings
    ) -> list[tuple[Any, tuple[int, int]]]:
        value = meta.get(key)
        if value is None:
            return []
        line, col = meta.value_marks[key]
        if isinstance(value, str):
            out.add(line, col, "PMK102", f"`{key}` must be a list: `{key}: [{value}]`")
            return []
        if not isinstance(value, LocatedList):
            out.add(line, col, "PMK102", f"`{key}` must be a list, not {kind_of(value)}")
            return []
        return list(zip(value, value.marks, strict=True))

    def _ids(self, meta: LocatedDict, key: str, out: _Findings) -> tuple[str, ...]:
        items = self._list(meta, key, out)
        if key in meta and meta[key] is not None and not items and isinstance(meta[key], list):
            out.add(*meta.value_marks[key], "PMK101", f"`{key}` lists nothing; name at least one")
        is_service = key == "services"
        catalog = self.catalog.services if is_service else self.catalog.factors
        result: list[str] = []
        for value, (line, col) in items:
            if not isinstance(value, str):
                out.add(line, col, "PMK102", f"`{key}` entries must be ids, not {kind_of(value)}")
                continue
            ident = value
            if not is_service and ident not in catalog and self.catalog.factor_alias(ident):
                canonical = self.catalog.factor_alias(ident) or ident
                out.add(
                    line,
                    col,
                    "PMK111",
                    f"`{ident}` is an alias of factor `{canonical}`; write `{canonical}`",
                )
                ident = canonical
            if ident not in catalog:
                code = "PMK109" if is_service else "PMK110"
                names = list(catalog) + ([] if is_service else list(self.catalog.alias_map))
                what = "service" if is_service else "contributing factor"
                out.add(line, col, code, f"unknown {what} `{ident}`{did_you_mean(ident, names)}")
                continue
            if ident in result:
                out.add(line, col, "PMK114", f"`{ident}` is listed twice in `{key}`")
                continue
            result.append(ident)
        return tuple(result)

    def _text_list(self, meta: LocatedDict, key: str, out: _Findings) -> tuple[str, ...]:
        value = meta.get(key)
        if isinstance(value, str):
            return (" ".join(value.split()),) if value.strip() else ()
        result = []
        for item, (line, col) in self._list(meta, key, out):
            if not isinstance(item, str) or not item.strip():
                out.add(line, col, "PMK102", f"`{key}` entries must be names, not {kind_of(item)}")
                continue
            result.append(" ".join(item.split()))
        return tuple(result)

    def _action_items(self, meta: LocatedDict, out: _Findings) -> tuple[ActionItem, ...]:
        items: list[ActionItem] = []
        for raw, (line, col) in self._list(meta, "action_items", out):
            if not isinstance(raw, LocatedDict):
                out.add(
                    line,
                    col,
                    "PMK201",
                    f"an action item must be a mapping with title, owner and status, not {kind_of(raw)}",
                )
                continue
            item = _action_item(raw, line, col, out)
            if item is not None:
                items.append(item)
        return tuple(items)

    # Body.
    def _title_blame(self, meta: LocatedDict, front_lines: tuple[str, ...]) -> list[BlameHit]:
        """Blame phrases in the title as its page shows it, each where it stands in the file."""
        title = meta.get("title")
        if not isinstance(title, str):
            return []
        # The parsed title, as `_text` publishes it: an escape (`human\x20error`) or a phrase
        # folded over two lines reads as blame only there, not in any line of the file.
        shown = " ".join(title.split())
        if not self.blame.may_match(shown):  # as for the body: most titles hold none
            return []
        line, col = meta.value_marks["title"]
        # The value's own text only: a comment after it, on its line or below, is not the title.
        end_line, end_col = meta.value_ends["title"]
        written: dict[str, list[BlameHit]] = {}
        for number in range(line, end_line + 1):
            if number - 1 >= len(front_lines):
                break
            text = front_lines[number - 1]
            if number == end_line:
                text = text[: end_col - 1]
            offset = col - 1 if number == line else 0
            if self.blame.may_match(text[offset:]):
                for hit in self.blame.scan_line(text[offset:], number, offset):
                    written.setdefault(hit.text, []).append(hit)
        # Each phrase of the title once: at its column where the file has it as written, else at
        # the value, whose escapes or folding made it. A hit in the lines alone (in a comment
        # after the value, or with the words before it on the line above) is not in the title.
        return [
            written[hit.text].pop(0) if written.get(hit.text) else replace(hit, col=col)
            for hit in self.blame.scan_line(shown, line)
        ]

    def _sections(
        self,
        sections: list[Section],
        body: str,
        day: date | None,
        status: str | None,
        required: tuple[str, ...],
        meta: LocatedDict,
        front_lines: tuple[str, ...],
        out: _Findings,
        times: dict[str, datetime | None],
    ) -> None:
        """Check the body's sections: duplicates, required ones, guidance, timeline, blame."""
        by_name = self._sections_by_name(sections, out)
        last_line = sections[-1].line if sections else 1
        self._required_sections(by_name, required, last_line, status, out)
        # Guidance lines all contain "**Guidance"; one search of the body rules most files out.
        if "**Guidance" in body:
            _guidance_left(sections, out)
        timeline = by_name.get("timeline")
        if timeline is not None:
            entries = _timeline_order(timeline, day, out)
            self._timeline_far(entries, day, times, out)
        if self.settings.blame_language != "off":
            self._blame_language(sections, body, by_name, meta, front_lines, out)

    def _timeline_far(
        self,
        entries: list[TimelineEntry],
        day: date | None,
        times: dict[str, datetime | None],
        out: _Findings,
    ) -> None:
        """PMK307: timeline entries that cannot belong to the incident's recorded times (its
        `date`, when it records none): most of them more than `longest_incident_days` away, or
        one more than half a year away. Once per timeline, at the first such entry.

        A few entries weeks away are normal, and not reported: the change that planted the bug a
        fortnight before, the fix shipped a month after (one of pmkb's own example postmortems
        opens 20 days before the incident). Most of a timeline away is the front matter and the
        timeline disagreeing; half a year away is a mistyped year (or year 1).
        """
        known = sorted((t.astimezone(UTC).replace(tzinfo=None), n) for n, t in times.items() if t)
        if known:
            (start, start_name), (end, end_name) = known[0], known[-1]
            start_shown = f"`{start_name}` ({_clock(start, True)})"
            end_shown = f"`{end_name}` ({_clock(end, True)})"
        elif day is not None:
            start = datetime.combine(day, time.min)
            end = datetime.combine(day, time.max)
            start_shown = end_shown = f"the incident's `date` ({day.isoformat()})"
        else:
            return
        # An entry without a date of its own stands on the incident's `date`; without one, there
        # is nothing to place it on.
        placed = [e for e in entries if e.dated or day is not None]
        # Differences, not `start - self._longest`: that overflows for a date in year 1.
        away = [(e, max(start - e.when, e.when - end)) for e in placed]
        far = [(e, gap) for e, gap in away if gap > self._longest]
        if not far:
            return
        if 2 * len(far) <= len(placed):
            far = [(e, gap) for e, gap in far if gap > _TIMELINE_ASTRAY]
            if not far:
                return
        entry, gap = far[0]
        side, shown = ("before", start_shown) if entry.when < start else ("after", end_shown)
        more = f" (and {len(far) - 1} more)" if len(far) > 1 else ""
        out.add(
            entry.line,
            1,
            "PMK307",
            f"timeline entry at {_clock(entry.when, True)} is {_span(gap)} {side} {shown}"
            f"{more}: check its date or the incident's",
        )

    def _sections_by_name(self, sections: list[Section], out: _Findings) -> dict[str, Section]:
        """Each titled section under its canonical name; a second one of a name is a finding."""
        by_name: dict[str, Section] = {}
        for s in sections:
            if not s.title:
                continue  # text before the first section
            name = self.section_name(s.title)
            if name in by_name:
                out.add(
                    s.line,
                    s.col,
                    "PMK306",
                    f"section `{s.title}` appears twice (first on line {by_name[name].line})",
                )
                continue
            by_name[name] = s
        return by_name

    def _required_sections(
        self,
        by_name: dict[str, Section],
        sections: tuple[str, ...],
        last_line: int,
        status: str | None,
        out: _Findings,
    ) -> None:
        """Report required sections (`sections`, for the postmortem's kind and severity) that
        are missing or empty."""
        # A draft is work in progress: missing sections are noted, and required once it goes to review.
        level = Level.INFO if status == "draft" else None
        later = " (required once the status is in-review)" if status == "draft" else ""
        for required in sections:
            section = by_name.get(required.lower())
            if section is None:
                out.add(last_line, 1, "PMK301", f"missing section `## {required}`{later}", level)
            elif section.is_empty():
                out.add(
                    section.line,
                    section.col,
                    "PMK302",
                    f"section `{section.title}` is empty{later}",
                    level,
                )

    def _blame_language(
        self,
        sections: list[Section],
        body: str,
        by_name: dict[str, Section],
        meta: LocatedDict,
        front_lines: tuple[str, ...],
        out: _Findings,
    ) -> None:
        """Report blame language in the title and body, and people named as contributing factors."""
        level = Level.ERROR if self.settings.blame_language == "error" else Level.WARNING
        for hit in self._title_blame(meta, front_lines):
            out.add(
                hit.line,
                hit.col,
                "PMK401",
                f"blame language in the title: `{hit.text}`. {hit.suggestion}",
                level,
            )
        # One search of the body rules most files out before any section is scanned.
        if self.blame.may_match(body):
            for s in sections:
                for hit in self.blame.scan_section(s):
                    out.add(
                        hit.line,
                        hit.col,
                        "PMK401",
                        f"blame language: `{hit.text}`. {hit.suggestion}",
                        level,
                    )
        lessons = by_name.get("lessons learned")
        if lessons is not None:
            for line, col, sentence in _exhortations(lessons):
                out.add(
                    line,
                    col,
                    "PMK403",
                    f"lesson `{shorten(sentence, 60)}` asks people to take more care: say what "
                    "will make the slip hard to make or quick to catch, or what the team learnt "
                    "about the system",
                    level,
                )
        factors = by_name.get("contributing factors")
        if factors is not None:
            for hit in handle_mentions(factors):
                out.add(
                    hit.line,
                    hit.col,
                    "PMK402",
                    f"`{hit.text}` names a person in the contributing factors. {hit.suggestion}",
                    level,
                )


_SENTENCE_ENDS = (". ", "! ", "? ")
_LESSON_MARKERS = ("- ", "* ", "+ ", "> ")


def _exhortations(section: Section) -> Iterator[tuple[int, int, str]]:
    """(line, column, sentence) for each sentence of the section that exhorts (PMK403)."""
    for offset, text in enumerate(section.lines):
        if section.code[offset] or not text.strip():
            continue
        start = len(text) - len(text.lstrip())
        while text.startswith(_LESSON_MARKERS, start):  # a list item, a quote, or both
            start += 2
            while start < len(text) and text[start] == " ":
                start += 1
        # Each sentence's start, found with str.find; the next place of each kind of end is
        # kept until passed (finding it again from every sentence would rescan the line to its
        # end each time), and only a sentence's first 100 characters are read: a line of many
        # short sentences costs time in proportion to its length.
        upcoming = dict.fromkeys(_SENTENCE_ENDS, -1)
        while start < len(text):
            for mark, at in upcoming.items():
                if at != -2 and at < start:
                    found = text.find(mark, start)
                    upcoming[mark] = found if found != -1 else -2  # -2: none left in the line
            ends = [at for at in upcoming.values() if at >= 0]
            end = min(ends) + 1 if ends else len(text)
            if exhorts(text[start : min(end, start + 100)]):
                yield section.first_line + offset, start + 1, text[start : min(end, start + 200)]
            start = end + 1
            while start < len(text) and text[start] == " ":
                start += 1


def _guidance_left(sections: list[Section], out: _Findings) -> None:
    """Report template guidance lines (outside code) still in the body."""
    for s in sections:
        for offset, text in enumerate(s.lines):
            if not s.code[offset] and GUIDANCE.match(text):
                out.add(
                    s.first_line + offset,
                    1,
                    "PMK303",
                    f"template guidance left in `{s.title or 'the introduction'}`: replace it with what happened",
                )


def _timeline_order(section: Section, day: date | None, out: _Findings) -> list[TimelineEntry]:
    """Report unreadable timeline entries, then entries earlier than the one before them."""
    entries, problems = parse_timeline(section, day)
    for p in problems:
        out.add(p.line, p.col, "PMK304", p.message)
    for before, after in itertools.pairwise(entries):
        if after.when < before.when:
            # The dates are shown when an entry gives one or the two fall on different days:
            # the mistake is then often in the date (a mistyped year), not in the times.
            dated = before.dated or after.dated or before.when.date() != after.when.date()
            out.add(
                after.line,
                1,
                "PMK305",
                f"timeline entry at {_clock(after.when, dated)} comes after one at "
                f"{_clock(before.when, dated)} (line {before.line})",
            )
    return entries


def _span(length: timedelta) -> str:
    """A length of time as findings name it: `61 days`, `1 day`."""
    days = length.days
    return f"{days:,} day{'' if days == 1 else 's'}"


def _clock(when: datetime, dated: bool) -> str:
    """A timeline entry's time as findings show it: `14:05`, or `2026-03-12 14:05` with its date."""
    # isoformat, not strftime: `%Y` drops the leading zeros of a year such as 0025.
    return when.isoformat(" ", "minutes") if dated else when.isoformat("T", "minutes")[-5:]


def _action_item(raw: LocatedDict, line: int, col: int, out: _Findings) -> ActionItem | None:
    """The action item a mapping describes, or None when it lacks a title, owner or status."""
    for key in raw:
        if key not in ACTION_FIELD_NAMES:
            out.add(
                *raw.key_marks[key],
                "PMK206",
                f"unknown action-item key `{key}`{did_you_mean(str(key), ACTION_FIELD_NAMES)}",
            )
    fields = _action_texts(raw, line, col, out)
    if "title" in fields:
        _actionable(raw, fields["title"], out)
    status = _action_status(raw, fields.get("status"), out)
    due = _action_due(raw, out)
    link = _action_link(raw, out)
    if "title" in fields and "owner" in fields and status:
        return ActionItem(fields["title"], fields["owner"], status, due, link, line)
    return None


def _actionable(raw: LocatedDict, title: str, out: _Findings) -> None:
    """PMK211 for a title that asks people to try harder, or leaves the change open."""
    why = vague_action(title)
    if why is None:
        return
    shown = shorten(title, 60)
    if why == "exhortation":
        advice = (
            f"action item `{shown}` asks people to take more care, which changes no system: name "
            "the change that makes the slip hard to make or quick to catch (a check, a "
            "confirmation, automation)"
        )
    else:
        advice = (
            f"action item `{shown}` names no concrete change: say what will change, where, and "
            "how you will know it is done (e.g. `Page on checkout 5xx above 2% for 5 minutes`)"
        )
    out.add(*raw.value_marks["title"], "PMK211", advice)


def _action_texts(raw: LocatedDict, line: int, col: int, out: _Findings) -> dict[str, str]:
    """The action item's title, owner and status that are present and text, spaces collapsed."""
    fields: dict[str, str] = {}
    for key in ("title", "owner", "status"):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.add(line, col, "PMK202", f"action item lacks `{key}`")
        elif not isinstance(value, str):
            out.add(
                *raw.value_marks[key],
                "PMK102",
                f"action item `{key}` must be text, not {kind_of(value)}",
            )
        else:
            fields[key] = " ".join(value.split())
    return fields


def _action_status(raw: LocatedDict, status: str | None, out: _Findings) -> str | None:
    """The action item's status if it is a known one."""
    if status is not None and status not in ACTION_STATUSES:
        out.add(
            *raw.value_marks["status"],
            "PMK203",
            f"action item status `{status}` is not one of {', '.join(ACTION_STATUSES)}{did_you_mean(status, ACTION_STATUSES)}",
        )
        return None
    return status


def _action_due(raw: LocatedDict, out: _Findings) -> date | None:
    """The action item's due date, if it has a readable one."""
    if raw.get("due") is None:
        return None
    due = _as_date(raw["due"])
    if due is None:
        out.add(
            *raw.value_marks["due"],
            "PMK204",
            f"action item `due: {quoted(raw['due'])}` is not a date; write YYYY-MM-DD",
        )
    return due


def _action_link(raw: LocatedDict, out: _Findings) -> str:
    """The action item's link if it is an http(s) URL safe to put in a page, else ""."""
    value = raw.get("link")
    if value is None:
        return ""
    line, col = raw.value_marks["link"]
    if not isinstance(value, str):
        out.add(
            line, col, "PMK205", f"action item link must be an http(s) URL, not {kind_of(value)}"
        )
        return ""
    if _LINK.fullmatch(value):
        return value.strip(" \t")
    link = value.strip(" \t")
    reason, at = _link_problem(link)
    out.add(
        line,
        col,
        "PMK205",
        f"action item link `{shorten(link, 70, at)}` is not an http(s) URL: {reason}",
    )
    return ""


_LINK = re.compile(LINK_PATTERN)
_HOST = re.compile(f"[{LINK_HOST}]+")
_FORBIDDEN = re.compile(f"[{LINK_FORBIDDEN}]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}:")
_CHARACTER_NAMES = {
    " ": "a space",
    "\t": "a tab",
    '"': "a quote",
    "'": "a quote",
    "`": "a backquote",
}


def _link_problem(link: str) -> tuple[str, int | None]:
    """Why a link does not match LINK_PATTERN, and the index of the character at fault, if one
    is. The verdict is the pattern's; this only explains it, quoting the part that is wrong."""
    scheme = _SCHEME.match(link)
    if scheme is None or not link[scheme.end() :].startswith("//"):
        shown = f"`{scheme.group()}` URL" if scheme else "URL with no `https://`"
        return f"it is a {shown}; write the ticket's `https://` address", 0
    if scheme.group().lower() not in ("http:", "https:"):
        return f"`{scheme.group()}` is not `https:` or `http:`", 0
    host_start = scheme.end() + 2
    host = _HOST.match(link, host_start)
    host_end = host.end() if host else host_start
    if host_end == host_start or (host_end < len(link) and link[host_end] not in "/?#"):
        if host_end >= len(link) or link[host_end] in "/?#":
            return "it names no host", host_start
        char = link[host_end]
        return f"its host holds {_character(char)}, which a link's host may not", host_end
    bad = _FORBIDDEN.search(link, host_end)
    if bad is not None:
        char = bad.group()
        return f"it holds {_character(char)} at character {bad.start() + 1}", bad.start()
    return "it is not a valid URL", None


def _character(char: str) -> str:
    """A character as a message names it: `a space`, `` `<` ``, `U+00A0`."""
    if char in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[char]
    if char.isprintable() and not char.isspace():
        return f"`{char}`"
    return f"U+{ord(char):04X}"


def section_titles(sections: list[Section]) -> tuple[str, ...]:
    """The titles of the level-2 sections, in order."""
    return tuple(s.title for s in sections if s.title)


# Python-Markdown takes time growing with the square of the link and tag openers (`[`, `<`) in one
# paragraph, and with the square of a heading line's length: 2,000 `[` take it 0.6 s, a megabyte
# days. The limit allows about 3 s of it on a slow machine; real postmortems stay far below (a
# paragraph with 40 links costs 1,600). A body above it is withheld from the site (PMK015), so
# that no pull request can stall a build.
MAX_CONVERSION_COST = 20_000_000  # the sum, over paragraphs, of the square of their openers
MAX_HEADING_CHARS = 1_000


# A heading line (up to three spaces of indent, as Markdown allows) longer than the limit.
_LONG_HEADING = re.compile(r"^ {0,3}#[^\n]{" + str(MAX_HEADING_CHARS) + "}", re.M)


def _conversion_cost(body: str, body_line: int, out: _Findings) -> None:
    heading = _LONG_HEADING.search(body)
    if heading is not None:
        start = heading.start()
        end = body.find("\n", start)
        length = (len(body) if end == -1 else end) - start
        line = body_line + body.count("\n", 0, start)
        message = f"a heading line of {length:,} characters (at most {MAX_HEADING_CHARS:,})"
        out.add(line, 1, "PMK015", message)
        return
    openers = body.count("[") + body.count("<")
    if openers * openers <= MAX_CONVERSION_COST:
        return  # a sum of squares is at most the square of the sum: no paragraph needs counting
    cost = 0
    worst = (0, 0)  # openers, line of the paragraph that has them
    line = body_line
    for block in body.split("\n\n"):
        openers = block.count("[") + block.count("<")
        cost += openers * openers
        if openers > worst[0]:
            worst = (openers, line)
        line += block.count("\n") + 2
    if cost > MAX_CONVERSION_COST:
        out.add(
            worst[1],
            1,
            "PMK015",
            f"{worst[0]:,} `[` and `<` in one paragraph (and {cost:,} in all, counted as squares "
            f"per paragraph, at most {MAX_CONVERSION_COST:,}): split it or put it in a code block",
        )


def _service_marks(meta: LocatedDict) -> dict[str, tuple[int, int]]:
    """Where each id of `services` is written, the first time it is."""
    listed = meta.get("services")
    if not isinstance(listed, LocatedList):
        return {}
    marks: dict[str, tuple[int, int]] = {}
    for ident, mark in zip(listed, listed.marks, strict=True):
        if isinstance(ident, str):
            marks.setdefault(ident, mark)
    return marks


class _Findings:
    """Collects one file's findings."""

    def __init__(self, display: str, items: list[Finding]) -> None:
        self.display = display
        self.items = items

    def add(self, line: int, col: int, code: str, message: str, level: Level | None = None) -> None:
        self.items.append(finding(self.display, line, col, code, message, level))


def _as_date(value: Any) -> date | None:
    """A YAML date, or a quoted `YYYY-MM-DD` string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug or "postmortem"


def _fallback_id(stem: str) -> str:
    """The id a file with an unusable one is checked (and published) under: its file name's."""
    slug = _slugify(stem)
    # A prefix, not a suffix: `con.x-postmortem` would still be the Windows device `con`.
    return slug if unusable_id(slug) is None else f"postmortem-{slug}"
