"""The import mapping: how an archive's front matter, values and headings become pmkb's.

Read with pmkb's located YAML reader, so that every problem in it is reported at its line and
column (PMK701), all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..findings import Finding, finding, kind_of, shorten
from ..model import ACTION_STATUSES, STATUSES
from ..read.schema import ACTION_FIELD_NAMES, FIELD_NAMES
from ..read.source import decode, read_capped
from ..read.yamlread import LocatedDict, LocatedList, YamlProblem, load_located
from ..suggest import did_you_mean

# Action items come from a section of the body, never from one front-matter key.
MAPPED_FIELDS = tuple(name for name in FIELD_NAMES if name != "action_items")
# The keys whose source values are looked up in `values:` before they are written.
VALUE_KEYS = ("services", "contributing_factors", "severity", "status")
_TOP_KEYS = (
    "fields",
    "values",
    "defaults",
    "time_zone",
    "date_formats",
    "sections",
    "field_sections",
    "action_items",
    "new_factor_category",
)
_ITEM_KEYS = ("section", "columns", "statuses", "owner", "status")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_MARKUP = re.compile(r"^[*_`~]+|[*_`~]+$")
# A source key naming a section of the body (`## Date`), whose text is the value.
SECTION_PREFIX = "## "
_STRPTIME = re.compile(r"%[YmdHMSzbBfyIpjaA%]")


@dataclass(frozen=True)
class ActionItems:
    """Where a source's action items are, and how its table columns or list items read."""

    headings: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]  # pmkb item key: the column headings it may have
    statuses: Mapping[str, str]  # a source status, lowercased: a pmkb one
    owner: str = ""  # for items that name none
    status: str = "open"  # for items that give none


@dataclass(frozen=True)
class ImportMapping:
    """A validated mapping; the empty mapping reads files that already use pmkb's keys."""

    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # keys lowercased
    defaults: Mapping[str, Any] = field(default_factory=lambda: {"status": "in-review"})
    time_zone: tzinfo = UTC
    date_formats: tuple[str, ...] = ()
    # a source heading, as `heading_key` gives it: the pmkb section it becomes
    sections: Mapping[str, str] = field(default_factory=dict)
    action_items: ActionItems | None = None
    new_factor_category: str = "Imported"
    # pmkb section: the source keys whose text becomes it, when the body has no such section
    field_sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def sources(self, key: str) -> tuple[str, ...]:
        """The source keys a pmkb key is read from, first found first: pmkb's own name unless the
        mapping names others."""
        return self.fields.get(key, (key,))


def parse_zone(text: str) -> tzinfo | None:
    """A time zone written as `UTC`, `Z`, `+01:00` or an IANA name such as `Europe/Paris`."""
    text = text.strip()
    if text.upper() in ("UTC", "Z"):
        return UTC
    if match := _OFFSET.fullmatch(text):
        sign = -1 if match[1] == "-" else 1
        minutes = int(match[2]) * 60 + int(match[3])
        return timezone(sign * timedelta(minutes=minutes)) if minutes < 24 * 60 else None
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class _Reader:
    """Reads one mapping file's parts, adding a located PMK701 finding for each problem."""

    def __init__(self, display: str, findings: list[Finding]) -> None:
        self.display = display
        self.findings = findings

    def problem(self, mark: tuple[int, int], message: str) -> None:
        self.findings.append(finding(self.display, *mark, "PMK701", message))

    def mapping(self, value: Any, mark: tuple[int, int], what: str) -> LocatedDict | None:
        if isinstance(value, LocatedDict):
            return value
        self.problem(mark, f"`{what}` must be a mapping, not {kind_of(value)}")
        return None

    def names(self, value: Any, mark: tuple[int, int], what: str) -> tuple[str, ...] | None:
        """One name or a list of names."""
        items = [value] if isinstance(value, str) else value
        if (
            isinstance(items, list)
            and items
            and all(isinstance(i, str) and i.strip() for i in items)
        ):
            return tuple(i.strip() for i in items)
        self.problem(mark, f"`{what}` must be a name or a list of names, not {kind_of(value)}")
        return None

    def known_keys(self, data: LocatedDict, known: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in known:
                self.problem(
                    data.key_marks[key],
                    f"unknown key `{shorten(str(key))}` in {what}{did_you_mean(str(key), known)}"
                    f" (known: {', '.join(known)})",
                )

    def fields(self, data: LocatedDict) -> dict[str, tuple[str, ...]]:
        self.known_keys(data, MAPPED_FIELDS, "`fields`")
        found = {}
        for key, value in data.items():
            names = self.names(value, data.value_marks[key], f"fields.{key}")
            if key in MAPPED_FIELDS and names is not None:
                found[key] = names
        return found

    def values(self, data: LocatedDict) -> dict[str, dict[str, str]]:
        self.known_keys(data, VALUE_KEYS, "`values`")
        found: dict[str, dict[str, str]] = {}
        for key, table in data.items():
            table = self.mapping(table, data.value_marks[key], f"values.{key}")
            if key not in VALUE_KEYS or table is None:
                continue
            found[key] = {}
            for source, target in table.items():
                if not isinstance(target, str) or not target.strip():
                    self.problem(
                        table.value_marks[source],
                        f"`values.{key}` maps `{shorten(str(source))}` to {kind_of(target)}: give"
                        " the pmkb value as text",
                    )
                    continue
                if key == "status" and target not in STATUSES:
                    self.problem(
                        table.value_marks[source],
                        f"`values.status` maps `{shorten(str(source))}` to `{shorten(target)}`,"
                        f" not one of {', '.join(STATUSES)}{did_you_mean(target, STATUSES)}",
                    )
                    continue
                found[key][str(source).strip().lower()] = target.strip()
        return found

    def defaults(self, data: LocatedDict) -> dict[str, Any]:
        self.known_keys(data, MAPPED_FIELDS, "`defaults`")
        found: dict[str, Any] = {"status": "in-review"}
        for key, value in data.items():
            if key not in MAPPED_FIELDS:
                continue
            if key == "status" and value not in STATUSES:
                self.problem(
                    data.value_marks[key],
                    f"`defaults.status` is {kind_of(value)}, not one of {', '.join(STATUSES)}",
                )
                continue
            found[key] = _plain(value)
        return found

    def sections(self, data: LocatedDict) -> dict[str, str]:
        found: dict[str, str] = {}
        for key, value in data.items():
            names = self.names(value, data.value_marks[key], f"sections.{key}")
            if not isinstance(key, str) or not key.strip():
                self.problem(data.key_marks[key], "`sections` maps a pmkb section name to headings")
                continue
            for heading in names or ():
                found[heading_key(heading)] = key.strip()
        return found

    def date_formats(self, value: Any, mark: tuple[int, int]) -> tuple[str, ...]:
        names = self.names(value, mark, "date_formats") or ()
        good = []
        for name in names:
            if not _STRPTIME.search(name):
                self.problem(
                    mark,
                    f"`{shorten(name)}` is not a date format: use strptime's codes, such as"
                    " `%d/%m/%Y %H:%M`",
                )
                continue
            good.append(name)
        return tuple(good)

    def action_items(self, data: LocatedDict, mark: tuple[int, int]) -> ActionItems | None:
        self.known_keys(data, _ITEM_KEYS, "`action_items`")
        headings = self.names(
            data.get("section"), data.value_marks.get("section", mark), "action_items.section"
        )
        columns: dict[str, tuple[str, ...]] = {"title": ("title", "action item", "action", "item")}
        if "columns" in data:
            table = self.mapping(
                data["columns"], data.value_marks["columns"], "action_items.columns"
            )
            if table is not None:
                self.known_keys(table, ACTION_FIELD_NAMES, "`action_items.columns`")
                for key, value in table.items():
                    names = self.names(value, table.value_marks[key], f"action_items.columns.{key}")
                    if key in ACTION_FIELD_NAMES and names is not None:
                        columns[key] = tuple(n.lower() for n in names)
        statuses: dict[str, str] = {}
        if "statuses" in data:
            table = self.mapping(
                data["statuses"], data.value_marks["statuses"], "action_items.statuses"
            )
            for source, target in (table or {}).items():
                if target not in ACTION_STATUSES:
                    assert table is not None
                    self.problem(
                        table.value_marks[source],
                        f"`action_items.statuses` maps `{shorten(str(source))}` to {kind_of(target)},"
                        f" not one of {', '.join(ACTION_STATUSES)}",
                    )
                    continue
                statuses[str(source).strip().lower()] = target
        owner = data.get("owner", "")
        if not isinstance(owner, str):
            self.problem(
                data.value_marks["owner"],
                f"`action_items.owner` must be text, not {kind_of(owner)}",
            )
            owner = ""
        status = data.get("status", "open")
        if status not in ACTION_STATUSES:
            self.problem(
                data.value_marks["status"],
                f"`action_items.status` is {kind_of(status)}, not one of {', '.join(ACTION_STATUSES)}",
            )
            status = "open"
        if headings is None:
            return None
        return ActionItems(headings, columns, statuses, owner.strip(), status)


def read_mapping(path: Path, display: str) -> tuple[ImportMapping | None, list[Finding]]:
    """The mapping in `path`; None, with every problem found, when it is not usable."""
    findings: list[Finding] = []
    data = read_capped(path, display, findings)
    text = decode(data, display, findings) if data is not None else None
    if text is None:
        return None, findings
    findings.clear()  # a byte-order mark or CRLF line ends change nothing in a mapping
    try:
        raw: Any = load_located(text)
    except YamlProblem as exc:
        return None, [finding(display, exc.line, exc.col, "PMK701", f"invalid YAML: {exc.message}")]
    if raw is None:
        raw = LocatedDict()
    reader = _Reader(display, findings)
    top = reader.mapping(raw, (1, 1), "the mapping")
    if top is None:
        return None, findings
    reader.known_keys(top, _TOP_KEYS, "the mapping")

    def part(key: str) -> LocatedDict:
        if key not in top:
            return LocatedDict()
        return reader.mapping(top[key], top.value_marks[key], key) or LocatedDict()

    fields = reader.fields(part("fields"))
    values = reader.values(part("values"))
    defaults = reader.defaults(part("defaults"))
    sections = reader.sections(part("sections"))
    zone: tzinfo = UTC
    if "time_zone" in top:
        given = top["time_zone"]
        parsed = parse_zone(given) if isinstance(given, str) else None
        if parsed is None:
            reader.problem(
                top.value_marks["time_zone"],
                f"`time_zone` is {kind_of(given)}: write `UTC`, an offset such as `+01:00`, or a"
                " zone name such as `Europe/Paris`",
            )
        else:
            zone = parsed
    formats = (
        reader.date_formats(top["date_formats"], top.value_marks["date_formats"])
        if "date_formats" in top
        else ()
    )
    items = None
    if "action_items" in top:
        items = reader.action_items(part("action_items"), top.key_marks["action_items"])
    category = top.get("new_factor_category", "Imported")
    if not isinstance(category, str) or not category.strip():
        reader.problem(
            top.value_marks.get("new_factor_category", (1, 1)),
            f"`new_factor_category` must be a category name, not {kind_of(category)}",
        )
        category = "Imported"
    field_sections: dict[str, tuple[str, ...]] = {}
    for key, value in part("field_sections").items():
        names = reader.names(
            value, part("field_sections").value_marks[key], f"field_sections.{key}"
        )
        if names is not None and isinstance(key, str) and key.strip():
            field_sections[key.strip()] = names
    if findings:
        return None, findings
    mapping = ImportMapping(
        fields, values, defaults, zone, formats, sections, items, category.strip(), field_sections
    )
    return mapping, findings


def heading_key(title: str) -> str:
    """A heading as mappings compare it: without case, a trailing colon, or emphasis."""
    return _MARKUP.sub("", title.strip()).rstrip(":").strip().lower()


def _plain(value: Any) -> Any:
    """A located YAML value as plain data (lists and dicts), for writing out again."""
    if isinstance(value, LocatedList):
        return [_plain(v) for v in value]
    if isinstance(value, LocatedDict):
        return {k: _plain(v) for k, v in value.items()}
    return value
