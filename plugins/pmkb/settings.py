"""The knowledge base's settings: one definition for the MkDocs plugin, the CLI and the docs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding, finding
from .suggest import did_you_mean

DEFAULT_SECTIONS = ("Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned")
DEFAULT_SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
BLAME_LEVELS = ("error", "warn", "off")
SEARCH_MODES = ("auto", "full", "compact")


@dataclass(frozen=True)
class Option:
    """One setting as users write it in `mkdocs.yml` under `plugins: - pmkb:`."""

    name: str
    kind: type
    default: Any
    doc: str
    choices: tuple[str, ...] = ()


OPTIONS: tuple[Option, ...] = (
    Option(
        "postmortems_dir",
        str,
        "postmortems",
        "Folder of postmortem files, relative to `mkdocs.yml`.",
    ),
    Option("services_file", str, "", "Services catalog; default `<postmortems_dir>/services.yml`."),
    Option(
        "factors_file",
        str,
        "",
        "Contributing-factors catalog; default `<postmortems_dir>/factors.yml`.",
    ),
    Option(
        "required_sections",
        list,
        list(DEFAULT_SECTIONS),
        "Level-2 sections every postmortem must have, matched case-insensitively.",
    ),
    Option(
        "section_aliases",
        dict,
        {},
        "Other headings accepted for a required section: `{Impact: [User impact]}`.",
    ),
    Option("severities", list, list(DEFAULT_SEVERITIES), "The severity scale, most severe first."),
    Option("factor_categories", list, [], "If set, the only categories a factor may have."),
    Option(
        "blame_language",
        str,
        "warn",
        "Report blame language as `error`, `warn`, or not at all (`off`).",
        BLAME_LEVELS,
    ),
    Option(
        "blame_phrases",
        dict,
        {},
        "Extra phrases to report, each with a suggested rewording: `{'dropped the ball': 'Describe the gap in the process.'}`.",
    ),
    Option(
        "publish_drafts", bool, False, "Publish postmortems whose status is `draft` (for previews)."
    ),
    Option(
        "incidents_path",
        str,
        "incidents",
        "URL path of the incident pages and the incidents table.",
    ),
    Option("services_path", str, "services", "URL path of the service pages."),
    Option("factors_path", str, "factors", "URL path of the contributing-factor pages."),
    Option("trends_path", str, "trends", "URL path of the trends page."),
    Option("action_items_path", str, "action-items", "URL path of the action-items page."),
    Option("related_limit", int, 5, "How many related incidents an incident page lists."),
    Option("recurrence_count", int, 3, "A factor recurs when it appears in this many incidents..."),
    Option("recurrence_window_days", int, 90, "...within this many days."),
    Option(
        "search",
        str,
        "auto",
        "Index incidents in full (`full`), by title, metadata and summary (`compact`), or `auto`: compact above 500 published incidents.",
        SEARCH_MODES,
    ),
)

OPTION_NAMES = tuple(o.name for o in OPTIONS)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; paths are absolute."""

    root: Path
    postmortems_dir: Path
    services_file: Path
    factors_file: Path
    required_sections: tuple[str, ...] = DEFAULT_SECTIONS
    section_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    severities: tuple[str, ...] = DEFAULT_SEVERITIES
    factor_categories: tuple[str, ...] = ()
    blame_language: str = "warn"
    blame_phrases: Mapping[str, str] = field(default_factory=dict)
    publish_drafts: bool = False
    incidents_path: str = "incidents"
    services_path: str = "services"
    factors_path: str = "factors"
    trends_path: str = "trends"
    action_items_path: str = "action-items"
    related_limit: int = 5
    recurrence_count: int = 3
    recurrence_window_days: int = 90
    search: str = "auto"

    def display_path(self, path: Path) -> str:
        """The path as findings show it: relative to the project root when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


class SettingsError(Exception):
    """The settings are unusable; carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(f.format_text() for f in findings))
        self.findings = findings


def load_settings(
    raw: Mapping[str, Any] | None, root: Path, source: str = "mkdocs.yml"
) -> Settings:
    """Validate raw options (as written in `mkdocs.yml`) and resolve paths against `root`."""
    raw = dict(raw or {})
    problems: list[Finding] = []

    def bad(message: str) -> None:
        problems.append(finding(source, 1, 1, "PMK601", message))

    values: dict[str, Any] = {}
    for name in raw:
        if name not in OPTION_NAMES:
            bad(f"unknown pmkb option `{name}`{did_you_mean(str(name), OPTION_NAMES)}")
    if raw.get("blame_language") is False:
        raw["blame_language"] = "off"  # YAML 1.1 reads an unquoted `off` as false
    for option in OPTIONS:
        value = raw.get(option.name, option.default)
        if value is None:
            value = option.default
        if option.kind is int and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            bad(f"option `{option.name}` must be a positive whole number, not {value!r}")
            continue
        if option.kind is not int and not isinstance(value, option.kind):
            bad(
                f"option `{option.name}` must be a {option.kind.__name__}, not {type(value).__name__}"
            )
            continue
        if option.choices and value not in option.choices:
            bad(f"option `{option.name}` must be one of {', '.join(option.choices)}, not {value!r}")
            continue
        values[option.name] = value

    for name in ("required_sections", "severities", "factor_categories"):
        items = values.get(name, [])
        if not all(isinstance(s, str) and s.strip() for s in items):
            bad(f"option `{name}` must be a list of non-empty strings")
            values.pop(name, None)
    if "severities" in values and not values["severities"]:
        bad("option `severities` must list at least one severity")
    aliases: dict[str, tuple[str, ...]] = {}
    for key, alts in dict(values.get("section_aliases", {})).items():
        alts = [alts] if isinstance(alts, str) else alts
        if (
            not isinstance(key, str)
            or not isinstance(alts, list)
            or not all(isinstance(a, str) for a in alts)
        ):
            bad("option `section_aliases` maps a section name to a list of headings")
            continue
        aliases[key] = tuple(alts)
    phrases = values.get("blame_phrases", {})
    if not all(isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in phrases.items()):
        bad("option `blame_phrases` maps a phrase to a suggested rewording (both strings)")
    for name in (
        "incidents_path",
        "services_path",
        "factors_path",
        "trends_path",
        "action_items_path",
    ):
        path = values.get(name, "")
        if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
            bad(f"option `{name}` must be a relative URL path inside the site, not {path!r}")
    if problems:
        raise SettingsError(problems)

    pm_dir = (root / values["postmortems_dir"]).resolve()
    return Settings(
        root=root.resolve(),
        postmortems_dir=pm_dir,
        services_file=(root / values["services_file"]).resolve()
        if values["services_file"]
        else pm_dir / "services.yml",
        factors_file=(root / values["factors_file"]).resolve()
        if values["factors_file"]
        else pm_dir / "factors.yml",
        required_sections=tuple(values["required_sections"]),
        section_aliases=aliases,
        severities=tuple(values["severities"]),
        factor_categories=tuple(values["factor_categories"]),
        blame_language=values["blame_language"],
        blame_phrases=dict(phrases),
        publish_drafts=values["publish_drafts"],
        **{
            name: values[name].strip("/")
            for name in (
                "incidents_path",
                "services_path",
                "factors_path",
                "trends_path",
                "action_items_path",
            )
        },
        related_limit=values["related_limit"],
        recurrence_count=values["recurrence_count"],
        recurrence_window_days=values["recurrence_window_days"],
        search=values["search"],
    )
