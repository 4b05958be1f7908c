"""One source file made the text of a pmkb postmortem, by a mapping.

Nothing of the source is lost: a front-matter value that is not mapped, or that cannot be
converted, is kept in the body under `## Imported front matter`, and the body is kept but for
the changes the mapping asks for. What could not be done is said in findings on the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..findings import Finding, finding, shorten
from ..model import Catalog
from ..read.schema import FIELD_NAMES, FIELDS
from ..suggest import did_you_mean
from .body import import_body, section_texts
from .foreign import ForeignFile
from .mapping import MAPPED_FIELDS, SECTION_PREFIX, ImportMapping, heading_key
from .values import shown, to_date, to_datetime

KEPT_SECTION = "Imported front matter"
_KINDS = {f.name: f.kind for f in FIELDS}
_BACKQUOTES = re.compile(r"`{3,}")
_ITEM_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_CATALOG_KEYS = {"services": "service", "contributing_factors": "contributing factor"}

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _FrontDumper(_Dumper):  # type: ignore[misc, valid-type]
    """YAML as pmkb's own files have it: times unquoted, with a `T` and `Z` for UTC."""


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", shown(value))


class _Block(dict[str, Any]):
    """The top level of what is dumped: one key a line, whatever its values."""


def _represent_block(dumper: yaml.SafeDumper, value: _Block) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)


_FrontDumper.add_representer(datetime, _represent_datetime)
_FrontDumper.add_representer(_Block, _represent_block)


def dump_yaml(data: dict[str, Any]) -> str:
    """Front matter text in the style `pmkb new` writes: keys in the order given, short lists in
    flow style, lines up to 100 characters."""
    text: str = yaml.dump(
        _Block(data),
        Dumper=_FrontDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return text


@dataclass(frozen=True)
class Reference:
    """A service or factor a source names, as the id it was made into and the name it had."""

    key: str  # services or contributing_factors
    id: str
    name: str
    finding: Finding  # PMK704, where the source names it


@dataclass
class Converted:
    """A source file as a pmkb postmortem: its text, and what the report says of it."""

    title: str
    day: date | None
    text: str
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Reference] = field(default_factory=list)  # not in the catalogs, not in findings


class _Conversion:
    """The state of converting one file: the meta built so far and what is said about it."""

    def __init__(
        self,
        source: ForeignFile,
        mapping: ImportMapping,
        catalog: Catalog,
        slug: Callable[[str], str],
    ) -> None:
        self.source = source
        self.mapping = mapping
        self.catalog = catalog
        self.slug = slug
        self.meta: dict[str, Any] = {}
        self.used: set[str] = set()  # source keys taken
        self.sections = section_texts(source.body, source.body_line)
        self.taken: set[str] = set()  # sections taken, by heading_key
        self.unconverted: list[tuple[str, Any, str]] = []  # (source key, value, what it is not)
        self.result = Converted("", None, "")

    def line_of(self, key: str) -> int:
        """Where a source key, or a section named as one (`## Date`), is written."""
        if key.startswith(SECTION_PREFIX):
            return self.sections.get(heading_key(key[len(SECTION_PREFIX) :]), ("", 1))[1]
        return self.source.key_line(key) if key else 1

    def problem(self, key: str, code: str, message: str) -> None:
        self.result.findings.append(
            finding(self.source.display, self.line_of(key), 1, code, message)
        )

    def take(self, name: str) -> None:
        """Set the pmkb key `name` from the first of its source keys that has a value."""
        for key in self.mapping.sources(name):
            section = heading_key(key[len(SECTION_PREFIX) :])
            if key.startswith(SECTION_PREFIX):
                value: Any = self.section_value(name, section)
            else:
                value = self.source.meta.get(key)
            if value is None or value == "" or value == []:
                continue
            converted = self.value(name, key, value)
            if converted is not None:
                self.meta[name] = converted
                if key.startswith(SECTION_PREFIX):
                    self.taken.add(section)
                else:
                    self.used.add(key)
            return

    def section_value(self, name: str, section: str) -> Any:
        """A section's text as a value: its list items for a list, else its words on one line."""
        text = self.sections.get(section, ("", 1))[0]
        if _KINDS[name] in ("text-list", "services", "factors"):
            items = [_ITEM_MARK.sub("", line).strip() for line in text.split("\n")]
            return [i.strip("*_ ") for line in items for i in line.split(",") if i.strip("*_ ")]
        return " ".join(text.split()).strip("*_ ")

    def value(self, name: str, key: str, value: Any) -> Any:
        """The source value as pmkb's key `name` takes it; None, and a finding, if it cannot be."""
        kind = _KINDS[name]
        if kind == "date":
            day = to_date(value, self.mapping)
            if day is None:
                self.cannot(key, value, f"`{name}`, a date")
            return day
        if kind == "datetime":
            when = to_datetime(value, self.mapping)
            if when is None:
                self.cannot(key, value, f"`{name}`, a date and time")
            return when
        if kind in ("services", "factors"):
            return self.references(name, key, value)
        if kind == "text-list":
            items = value if isinstance(value, list) else [value]
            if all(isinstance(i, str | int | float) for i in items):
                return [str(i).strip() for i in items if str(i).strip()]
            self.cannot(key, value, f"`{name}`, a list of names")
            return None
        if isinstance(value, dict | list):
            self.cannot(key, value, f"`{name}`, a text")
            return None
        text = value.isoformat() if isinstance(value, date) else str(value).strip()
        if name in ("severity", "status"):
            return self.mapping.values.get(name, {}).get(text.lower(), text)
        return text

    def cannot(self, key: str, value: Any, what: str) -> None:
        """Note a value that cannot be converted; reported by `report_unconverted`, once it is
        known whether another pmkb key took it after all."""
        self.unconverted.append((key, value, what))

    def report_unconverted(self) -> None:
        for key, value, what in self.unconverted:
            if key.startswith(SECTION_PREFIX):
                where = "the section stays in the body"
            elif key in self.used:
                where = "it was taken for another key"
            else:
                where = f"it is kept under `## {KEPT_SECTION}`"
            hint = (
                " (add its format to the mapping's `date_formats`)"
                if "date" in what and isinstance(value, str)
                else ""
            )
            self.problem(
                key, "PMK703", f"`{key}: {_shown(value)}` cannot be read as {what}; {where}{hint}"
            )

    def references(self, name: str, key: str, value: Any) -> list[str] | None:
        """Catalog ids for the source's names: by the mapping's `values`, else slugified."""
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str | int | float) and not isinstance(i, bool) for i in items):
            self.cannot(key, value, f"`{name}`, a list of names")
            return None
        table = self.mapping.values.get(name, {})
        ids: list[str] = []
        for item in items:
            text = str(item).strip()
            ident = table.get(text.lower()) or self.slug(text)
            if name == "contributing_factors":
                ident = self.catalog.factor_alias(ident) or ident
            if ident not in ids:
                ids.append(ident)
                self.check_reference(name, key, ident, text)
        return ids

    def check_reference(self, name: str, key: str, ident: str, text: str) -> None:
        known: list[str] = list(
            self.catalog.services if name == "services" else self.catalog.factors
        )
        if ident in known:
            return
        named = f"`{shorten(text)}`" + (f" (id `{ident}`)" if ident != text else "")
        message = (
            f"{_CATALOG_KEYS[name]} {named} is not in the catalog{did_you_mean(ident, known)}:"
            f" map it under the mapping's `values: {name}:`, or add it with --add-to-catalog"
        )
        line = self.source.key_line(key)
        found = finding(self.source.display, line, 1, "PMK704", message)
        self.result.unknown.append(Reference(name, ident, text, found))


def convert(
    source: ForeignFile,
    mapping: ImportMapping,
    catalog: Catalog,
    slug: Callable[[str], str],
) -> Converted:
    """The pmkb postmortem a source file becomes. `slug` makes catalog ids of the source's names
    (the rule `pmkb new` names files by)."""
    work = _Conversion(source, mapping, catalog, slug)
    for name in MAPPED_FIELDS:
        work.take(name)
    body = import_body(source.body, mapping, source.body_line, frozenset(work.taken))
    meta = work.meta
    if "date" not in meta and isinstance(meta.get("started"), datetime):
        meta["date"] = to_date(meta["started"], mapping)
    if "date" not in meta and body.first_day is not None:
        meta["date"] = body.first_day
    for name, default in mapping.defaults.items():
        meta.setdefault(name, default)
    title = meta.get("title") or body.title
    text = body.text
    if body.title and meta.get("title") and body.title != meta["title"]:
        text = f"# {body.title}\n\n{text}"  # a second title: kept where it was
    if not title:
        title = Path(source.path).stem
        work.problem(
            "",
            "PMK703",
            "no title in the front matter or a leading `# heading`; the file name is used",
        )
    meta["title"] = title
    if body.action_items:
        meta["action_items"] = body.action_items
    for line, note in body.notes:
        work.result.findings.append(finding(source.display, line, 1, "PMK705", note))
    for heading, keys in mapping.field_sections.items():
        key = next((k for k in keys if isinstance(source.meta.get(k), str | int | float)), None)
        if key is None or heading_key(heading) in body.headings:
            continue  # kept with the other front matter: the body has its own section
        text = f"{text}\n\n## {heading}\n\n{str(source.meta[key]).strip()}"
        work.used.add(key)
    work.report_unconverted()
    kept = {k: v for k, v in source.meta.items() if k not in work.used}
    if kept:
        dumped = dump_yaml(kept)
        # Longer than any run of backquotes in the values, which would otherwise end it early.
        fence = "`" * max([3, *(len(run) + 1 for run in _BACKQUOTES.findall(dumped))])
        text = f"{text}\n\n## {KEPT_SECTION}\n\n{fence}yaml\n{dumped}{fence}"
    ordered = {name: meta[name] for name in FIELD_NAMES if name in meta}
    result = work.result
    result.title = str(title)
    day = ordered.get("date")
    result.day = day if isinstance(day, date) else None
    result.text = f"---\n{dump_yaml(ordered)}---\n\n{text.strip()}\n"
    return result


def _shown(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return shorten(str(value))
