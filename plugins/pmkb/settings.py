"""The knowledge base's settings: one definition for the MkDocs plugin, the CLI and the docs."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .findings import Finding, finding
from .suggest import did_you_mean

DEFAULT_SECTIONS = ("Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned")
DEFAULT_SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
BLAME_LEVELS = ("error", "warn", "off")
SEARCH_MODES = ("auto", "full", "compact")
# The options that place a listing page (`<path>/index.md`), and how messages name the page.
LISTING_OPTIONS = {
    "incidents_path": "incidents listing",
    "services_path": "services listing",
    "factors_path": "factors listing",
    "trends_path": "trends page",
    "action_items_path": "action-items page",
}


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
    Option(
        "trust_html",
        bool,
        False,
        "Publish the HTML that postmortems' Markdown converts to without sanitizing it (raw HTML, scripts and all). Only for repositories where every contributor is trusted.",
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
    # From MkDocs' own configuration (see `with_docs_dir`); None when no site is known.
    docs_dir: Path | None = None
    directory_urls: bool = True
    trust_html: bool = False

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


def with_docs_dir(
    settings: Settings,
    docs_dir: str | Path,
    directory_urls: bool = True,
    source: str = "mkdocs.yml",
) -> Settings:
    """The settings of a site MkDocs builds from `docs_dir` (absolute, or relative to the root).

    Raises SettingsError (PMK602) when the postmortems folder is inside `docs_dir`: MkDocs would
    copy every file of it into the site as written, drafts and all, whatever pmkb publishes.
    """
    docs = (settings.root / docs_dir).resolve()
    if settings.postmortems_dir.is_relative_to(docs):
        folder = settings.display_path(settings.postmortems_dir)
        docs_shown = settings.display_path(docs)
        raise SettingsError(
            [
                finding(
                    source,
                    1,
                    1,
                    "PMK602",
                    f"the postmortems folder `{folder}` is inside docs_dir `{docs_shown}`: MkDocs "
                    f"would publish every file in it as written, drafts included; move it out of "
                    f"`{docs_shown}` and set `postmortems_dir` to its new place",
                )
            ]
        )
    return replace(settings, docs_dir=docs, directory_urls=bool(directory_urls))


def _resolve_folder(path: Path) -> Path:
    # The folder is resolved but not the file itself: a catalog that is a symbolic link must
    # stay one, so that reading it can refuse it (PMK507) instead of following it.
    path = Path(os.path.normpath(path))
    return path.parent.resolve() / path.name


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
    listing_paths: dict[str, str] = {}
    for name, label in LISTING_OPTIONS.items():
        path = values.get(name, "")
        if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
            bad(f"option `{name}` must be a relative URL path inside the site, not {path!r}")
            continue
        # `incidents/`, `./incidents` and `incidents` are one folder; comparing them needs one form.
        path = posixpath.normpath(path.strip("/"))
        if path == ".":
            problems.append(
                finding(
                    source,
                    1,
                    1,
                    "PMK603",
                    f"option `{name}` is {values[name]!r}, the site's root: the {label} would be "
                    f"the home page `index.md` and its pages would mix with the site's own; "
                    f"give it a folder such as `{name.removesuffix('_path').replace('_', '-')}`",
                )
            )
            continue
        other = next((o for o, p in listing_paths.items() if p == path), None)
        if other is not None:
            problems.append(
                finding(
                    source,
                    1,
                    1,
                    "PMK603",
                    f"option `{name}` is `{path}`, as is `{other}`: the {label} and the "
                    f"{LISTING_OPTIONS[other]} would both be `{path}/index.md`",
                )
            )
            continue
        listing_paths[name] = path
    if problems:
        raise SettingsError(problems)

    pm_dir = (root / values["postmortems_dir"]).resolve()
    return Settings(
        root=root.resolve(),
        postmortems_dir=pm_dir,
        services_file=_resolve_folder(root / values["services_file"])
        if values["services_file"]
        else pm_dir / "services.yml",
        factors_file=_resolve_folder(root / values["factors_file"])
        if values["factors_file"]
        else pm_dir / "factors.yml",
        required_sections=tuple(values["required_sections"]),
        section_aliases=aliases,
        severities=tuple(values["severities"]),
        factor_categories=tuple(values["factor_categories"]),
        blame_language=values["blame_language"],
        blame_phrases=dict(phrases),
        publish_drafts=values["publish_drafts"],
        incidents_path=listing_paths["incidents_path"],
        services_path=listing_paths["services_path"],
        factors_path=listing_paths["factors_path"],
        trends_path=listing_paths["trends_path"],
        action_items_path=listing_paths["action_items_path"],
        related_limit=values["related_limit"],
        recurrence_count=values["recurrence_count"],
        recurrence_window_days=values["recurrence_window_days"],
        search=values["search"],
        trust_html=values["trust_html"],
    )
