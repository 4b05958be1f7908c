"""Reading the services and contributing-factors catalogs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..findings import Finding, finding, shorten
from ..model import VISIBILITIES, Catalog, Factor, Service
from ..settings import Settings
from ..suggest import did_you_mean
from ..urls import unusable_id
from .source import decode, read_capped
from .yamlread import LocatedDict, YamlProblem, load_located

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SERVICE_KEYS = ("name", "owner", "description", "visibility")
_FACTOR_KEYS = ("name", "category", "description", "aliases")


def _read_mapping(path: Path, display: str, findings: list[Finding]) -> LocatedDict | None:
    # Not followed, as in the postmortems folder: a link may point at any file on the machine,
    # and a catalog's text goes into the pages and into the findings printed in CI logs.
    if path.is_symlink():
        findings.append(
            finding(display, 1, 1, "PMK507", "the catalog is a symbolic link: not followed")
        )
        return None
    data = read_capped(path, display, findings, catalog=True)
    if data is None:
        return None
    text = decode(data, display, findings)
    if text is None:
        return None
    try:
        value: Any = load_located(text)
    except YamlProblem as exc:
        findings.append(
            finding(display, exc.line, exc.col, "PMK502", f"invalid YAML: {exc.message}")
        )
        return None
    if value is None:
        findings.append(
            finding(display, 1, 1, "PMK502", "the catalog is empty: list ids with their details")
        )
        return None
    if not isinstance(value, LocatedDict):
        findings.append(
            finding(
                display,
                1,
                1,
                "PMK502",
                "the catalog must map ids to details, e.g. `checkout: {name: Checkout}`",
            )
        )
        return None
    return value


def _entries(
    mapping: LocatedDict, display: str, known_keys: tuple[str, ...], findings: list[Finding]
) -> list[tuple[str, dict[str, Any], tuple[int, int]]]:
    entries = []
    for key, details in mapping.items():
        line, col = mapping.key_marks[key]
        if not isinstance(key, str) or not SLUG.match(key):
            findings.append(
                finding(
                    display,
                    line,
                    col,
                    "PMK506",
                    f"id `{key}` must be a lowercase slug (a-z, 0-9, `-`, `_`, `.`)",
                )
            )
            continue
        unusable = unusable_id(key)
        if unusable is not None:
            findings.append(
                finding(display, line, col, "PMK508", f"id `{key}` cannot name a page: {unusable}")
            )
            continue
        if not isinstance(details, dict):
            findings.append(
                finding(
                    display,
                    line,
                    col,
                    "PMK503",
                    f"`{key}` must map to details such as `{{name: ...}}`",
                )
            )
            continue
        for field_name, value in details.items():
            if field_name not in known_keys:
                findings.append(
                    finding(
                        display,
                        *_mark(details, field_name, (line, col), key=True),
                        "PMK503",
                        f"`{key}` has an unknown field `{field_name}`"
                        f"{did_you_mean(str(field_name), known_keys)} (known: {', '.join(known_keys)})",
                    )
                )
            elif field_name != "aliases" and not isinstance(value, str):
                findings.append(
                    finding(
                        display,
                        *_mark(details, field_name, (line, col)),
                        "PMK503",
                        f"`{key}.{field_name}` must be text, not {_kind(value)}",
                    )
                )
        if not isinstance(details.get("name"), str) or not details["name"].strip():
            findings.append(finding(display, line, col, "PMK503", f"`{key}` needs a `name`"))
            continue
        entries.append((key, details, (line, col)))
    return entries


def _mark(
    details: dict[str, Any], field: str, entry: tuple[int, int], *, key: bool = False
) -> tuple[int, int]:
    """Where a field of an entry is written (its key, or its value), else where the entry is."""
    marks = getattr(details, "key_marks" if key else "value_marks", {})
    mark: tuple[int, int] = marks.get(field, entry)
    return mark


def _kind(value: Any) -> str:
    """A value as a message names it: `a list`, `a mapping`, or the value itself, quoted."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        odd = next((item for item in value if not isinstance(item, str)), None)
        return "a list" if odd is None else f"a list holding {_kind(odd)}"
    if value is None:
        return "nothing"
    return f"`{shorten(str(value), 60)}`"


def _text(details: dict[str, Any], key: str) -> str:
    value = details.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def catalog_of(settings: Settings) -> tuple[Catalog, list[Finding]]:
    """The catalogs the settings name, read and checked."""
    return load_catalog(
        settings.services_file,
        settings.factors_file,
        settings.display_path,
        settings.factor_categories,
        settings.default_visibility,
    )


def load_catalog(
    services_file: Path,
    factors_file: Path,
    display: Any,
    categories: tuple[str, ...] = (),
    default_visibility: str = "internal",
) -> tuple[Catalog, list[Finding]]:
    """Read both catalogs; what is wrong becomes findings, and the good entries are kept."""
    findings: list[Finding] = []
    services = _services(services_file, display(services_file), default_visibility, findings)
    factors = _factors(factors_file, display(factors_file), categories, findings)
    return Catalog(services=services, factors=factors), findings


def _services(
    path: Path, display: str, default_visibility: str, findings: list[Finding]
) -> dict[str, Service]:
    """The services catalog's good entries, by id."""
    services: dict[str, Service] = {}
    mapping = _read_mapping(path, display, findings)
    if mapping is not None:
        for key, details, entry in _entries(mapping, display, _SERVICE_KEYS, findings):
            services[key] = Service(
                key,
                details["name"].strip(),
                _text(details, "owner"),
                _text(details, "description"),
                _visibility(key, details, default_visibility, display, entry, findings),
            )
    return services


def _visibility(
    key: str,
    details: dict[str, Any],
    default: str,
    display: str,
    entry: tuple[int, int],
    findings: list[Finding],
) -> str:
    """Who may read the service's page: as written, else `default`; an unknown word reads as
    `restricted`, the narrowest, so that a typo never publishes a service more widely."""
    written = details.get("visibility")
    if written is None:
        return default
    if written in VISIBILITIES:
        return str(written)
    if isinstance(written, str):  # text of another kind is PMK503 from `_entries` already
        message = (
            f"`{key}.visibility: {shorten(written, 60)}` is not one of {', '.join(VISIBILITIES)}"
            f"{did_you_mean(written, VISIBILITIES)}; the service is read as `restricted`"
        )
        findings.append(finding(display, *_mark(details, "visibility", entry), "PMK503", message))
    return "restricted"


def _factors(
    path: Path, display: str, categories: tuple[str, ...], findings: list[Finding]
) -> dict[str, Factor]:
    """The contributing-factors catalog's good entries, by id."""
    factors: dict[str, Factor] = {}
    mapping = _read_mapping(path, display, findings)
    if mapping is None:
        return factors
    claimed: dict[str, str] = {}  # alias -> the factor that has it
    entries = _entries(mapping, display, _FACTOR_KEYS, findings)
    ids = {key for key, _, _ in entries}
    for key, details, (line, col) in entries:
        category = _category(key, details, categories, display, line, col, findings)
        if category is None:
            continue
        aliases = []
        for alias in _alias_names(key, details, display, line, col, findings):
            if alias in ids or alias in claimed:
                taken = "an id" if alias in ids else "an alias of `" + claimed[alias] + "`"
                message = f"alias `{alias}` of `{key}` is already {taken}"
                findings.append(finding(display, line, col, "PMK505", message))
                continue
            claimed[alias] = key
            aliases.append(alias)
        factors[key] = Factor(
            key,
            details["name"].strip(),
            category,
            _text(details, "description"),
            tuple(aliases),
        )
    return factors


def _category(
    key: str,
    details: dict[str, Any],
    categories: tuple[str, ...],
    display: str,
    line: int,
    col: int,
    findings: list[Finding],
) -> str | None:
    """The factor's category, or None when it has none or one not configured."""
    category = _text(details, "category")
    if not category:
        findings.append(finding(display, line, col, "PMK503", f"`{key}` needs a `category`"))
        return None
    if categories and category not in categories:
        message = (
            f"`{key}` has category `{category}`, not one of the configured `factor_categories`"
            f"{did_you_mean(category, categories)}"
        )
        findings.append(finding(display, line, col, "PMK504", message))
        return None
    return category


def _alias_names(
    key: str, details: dict[str, Any], display: str, line: int, col: int, findings: list[Finding]
) -> list[str]:
    """The factor's aliases as written: one name or a list of names (none if anything else)."""
    raw_aliases = details.get("aliases") or []
    if isinstance(raw_aliases, str):
        return [raw_aliases]
    if not isinstance(raw_aliases, list) or not all(isinstance(a, str) for a in raw_aliases):
        message = f"`{key}.aliases` must be a list of names, not {_kind(raw_aliases)}"
        where = _mark(details, "aliases", (line, col))
        findings.append(finding(display, *where, "PMK503", message))
        return []
    return raw_aliases
