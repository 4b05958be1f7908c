"""The knowledge base's settings, declared once: `PmkbConfig` is the MkDocs plugin's configuration,
which the CLI validates too; `Settings` is what the core reads, resolved from a valid one."""

from __future__ import annotations

import ast
import inspect
import os
import posixpath
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

# Only the base module: mkdocs.config.config_options imports Markdown, Jinja and the theme machinery
# (about 130 ms), which every `pmkb check` would pay for. pmkb words its own messages anyway.
from mkdocs.config.base import (
    BaseConfigOption,
    Config,
    ConfigErrors,
    ConfigWarnings,
    ValidationError,
    get_schema,
)

from .findings import Finding, finding
from .model import AUDIENCES, KINDS, VISIBILITIES
from .paths import resolved
from .read.custom_fields import CustomField, parse_custom_fields
from .suggest import did_you_mean

T = TypeVar("T")


class OptionError(ValidationError):
    """A problem with an option's value, the finding code it is reported under, and the other
    option it concerns, if any: where that one is written, if this one is not (left at its
    default), is where the finding goes."""

    def __init__(self, message: str, code: str = "PMK601", other: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.other = other


class _Option(BaseConfigOption[T]):
    """An option whose messages are pmkb's: `option \\`name\\` must be a bool, not str`."""

    kind: type = object  # the type the YAML value must have
    shown = ""  # the type as the options table in docs/reference.md names it

    def __init__(self, default: T) -> None:
        super().__init__()
        self.default = default

    @property
    def name(self) -> str:
        return str(self._name)  # given by BaseConfigOption.__set_name__: the attribute's name

    def validate(self, value: object, /) -> T:
        # An option written without a value (`related_limit:`) keeps its default, as it always has.
        if value is None:
            value = self.default
        if not isinstance(value, self.kind):
            raise self.error(f"must be a {self.kind.__name__}, not {type(value).__name__}")
        return self.run_validation(value)

    def run_validation(self, value: object, /) -> T:
        """What a value of the right type stands for: by default, itself."""
        return cast(T, value)

    def error(self, message: str, code: str = "PMK601") -> OptionError:
        return OptionError(f"option `{self.name}` {message}", code)


class Text(_Option[str]):
    """A string."""

    kind, shown = str, "string"


class Title(_Option[str]):
    """A non-empty string, such as a section's heading."""

    kind, shown = str, "string"

    def run_validation(self, value: object, /) -> str:
        assert isinstance(value, str)
        if not value.strip():
            raise self.error("must not be empty")
        return value.strip()


class Flag(_Option[bool]):
    """`true` or `false`."""

    kind, shown = bool, "boolean"


class Count(_Option[int]):
    """A positive whole number; YAML's `true` is not one, though Python counts it as 1."""

    kind, shown = int, "positive integer"

    def validate(self, value: object, /) -> int:
        if value is None:
            value = self.default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(f"must be a positive whole number, not {value!r}")
        return value


class Workers(_Option[str | int]):
    """`auto`, or how many processes may read and check postmortems (0 or 1: this one only)."""

    kind, shown = object, "`auto` or a whole number"

    def run_validation(self, value: object, /) -> str | int:
        if value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
        ):
            return value
        raise self.error(
            f"must be `auto` or a whole number of processes (0 for none), not {value!r}"
        )


class OneOf(_Option[str]):
    """One of a few words."""

    kind = str

    def __init__(self, choices: tuple[str, ...], default: str, false: str | None = None) -> None:
        super().__init__(default)
        self.choices = choices
        # YAML 1.1, which MkDocs and pmkb read, takes an unquoted `off` or `no` for false.
        self.false = false
        self.shown = ", ".join(f"`{c}`" for c in choices[:-1]) + f" or `{choices[-1]}`"

    def validate(self, value: object, /) -> str:
        return super().validate(self.false if value is False and self.false else value)

    def run_validation(self, value: object, /) -> str:
        if value not in self.choices:
            raise self.error(f"must be one of {', '.join(self.choices)}, not {value!r}")
        return str(value)


class Names(_Option[list[str]]):
    """A list of non-empty strings; with `at_least`, a list of one or more."""

    kind, shown = list, "list of strings"

    def __init__(self, default: list[str], at_least: str = "") -> None:
        super().__init__(default)
        self.at_least = at_least  # what one item is called, for the message

    def run_validation(self, value: object, /) -> list[str]:
        assert isinstance(value, list)
        if not all(isinstance(s, str) and s.strip() for s in value):
            raise self.error("must be a list of non-empty strings")
        if self.at_least and not value:
            raise self.error(f"must list at least one {self.at_least}")
        return list(value)


class Headings(_Option[dict[str, list[str]]]):
    """Section names, each with the other headings it may be written as (one, or a list)."""

    kind, shown = dict, "mapping"

    def run_validation(self, value: object, /) -> dict[str, list[str]]:
        assert isinstance(value, dict)
        headings: dict[str, list[str]] = {}
        for key, alternatives in value.items():
            alternatives = [alternatives] if isinstance(alternatives, str) else alternatives
            if not (
                isinstance(key, str)
                and isinstance(alternatives, list)
                and all(isinstance(a, str) for a in alternatives)
            ):
                raise self.error("maps a section name to a list of headings")
            headings[key] = list(alternatives)
        return headings


class SectionLists(_Option[dict[str, list[str]]]):
    """Lists of section names, each under a kind of postmortem or a severity (which keys are
    known is checked against `severities` by PmkbConfig)."""

    kind, shown = dict, "mapping"

    def run_validation(self, value: object, /) -> dict[str, list[str]]:
        assert isinstance(value, dict)
        lists: dict[str, list[str]] = {}
        for key, names in value.items():
            if not (
                isinstance(key, str)
                and isinstance(names, list)
                and all(isinstance(n, str) and n.strip() for n in names)
            ):
                raise self.error(
                    f"maps a kind or a severity to a list of section names, not "
                    f"`{key}: {names!r}`; for example `{{near-miss: [Summary, Timeline]}}`"
                )
            lists[key] = list(names)
        return lists


class Rewordings(_Option[dict[str, str]]):
    """Phrases, each with the rewording to suggest."""

    kind, shown = dict, "mapping"

    def run_validation(self, value: object, /) -> dict[str, str]:
        assert isinstance(value, dict)
        if not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in value.items()
        ):
            raise self.error("maps a phrase to a suggested rewording (both strings)")
        return dict(value)


class CustomFields(_Option[dict[str, Any]]):
    """Extra front-matter fields, each declared by a mapping (read.custom_fields); MkDocs' config
    keeps them as written, Settings as CustomField."""

    kind, shown = dict, "mapping"

    def run_validation(self, value: object, /) -> dict[str, Any]:
        _fields, problems = parse_custom_fields(value)
        if problems:
            raise self.error("; ".join(problems))
        return cast(dict[str, Any], value)


class UrlPath(_Option[str]):
    """The folder of the site a listing page (`<path>/index.md`) is placed in; read as one form,
    so that `incidents/`, `./incidents` and `incidents` are one folder."""

    kind, shown = str, "string"

    def __init__(self, default: str, label: str) -> None:
        super().__init__(default)
        self.label = label  # how messages name the listing page

    def run_validation(self, value: object, /) -> str:
        assert isinstance(value, str)
        if not value or value.startswith("/") or ".." in value.split("/") or "\\" in value:
            raise self.error(f"must be a relative URL path inside the site, not {value!r}")
        path = posixpath.normpath(value.strip("/"))
        if path == ".":
            folder = self.name.removesuffix("_path").replace("_", "-")
            raise self.error(
                f"is {value!r}, the site's root: the {self.label} would be the home page "
                f"`index.md` and its pages would mix with the site's own; give it a folder such "
                f"as `{folder}`",
                "PMK603",
            )
        return path


# MkDocs' Config.__init_subclass__ (which gathers the options below) is untyped.
class PmkbConfig(Config):  # type: ignore[no-untyped-call]
    """pmkb's options, as written under `plugins: - pmkb:` in `mkdocs.yml`.

    The string under each option documents it; docs/reference.md's options table is tested
    against them (tests/test_docs.py).
    """

    postmortems_dir = Text("postmortems")
    """Folder of postmortem files, relative to `mkdocs.yml`.

    Subfolders (such as one per year) are read too.
    """

    services_file = Text("")
    """The services catalog, relative to `mkdocs.yml`.

    Empty, the default, stands for `<postmortems_dir>/services.yml`.
    """

    factors_file = Text("")
    """The contributing-factors catalog, relative to `mkdocs.yml`.

    Empty, the default, stands for `<postmortems_dir>/factors.yml`.
    """

    required_sections = Names(
        ["Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned"]
    )
    """The level-2 sections every postmortem must have, matched case-insensitively."""

    required_sections_for = SectionLists({"near-miss": ["Summary", "Timeline", "Lessons learned"]})
    """The sections postmortems of a kind (`near-miss`) or a severity must have, in place of
    `required_sections`.

    A postmortem takes its kind's list, else its severity's, else `required_sections`: with
    `{near-miss: [Summary, Timeline, Lessons learned], SEV4: [Summary, Timeline, Lessons
    learned]}` near misses and SEV4 incidents need only three sections. Setting the option
    replaces the default; `{}` requires `required_sections` of every postmortem.
    """

    section_aliases = Headings({})
    """Other headings accepted for a section: `{Impact: [User impact, Customer impact]}`.

    A single string is accepted in place of a list.
    """

    severities = Names(["SEV1", "SEV2", "SEV3", "SEV4"], at_least="severity")
    """The severity scale, most severe first.

    At least one.
    """

    factor_categories = Names([])
    """If set, the only categories a factor may have.

    A factor of any other category is reported as PMK504.
    """

    blame_language = OneOf(("error", "warn", "off"), "warn", false="off")
    """The level at which PMK401, PMK402 and PMK403 are reported, or `off` to skip them.

    These are the blame-language findings: a person blamed, the phrases of `blame_phrases`, and
    lessons that only ask people to take more care.
    """

    blame_phrases = Rewordings({})
    """Extra phrases to report, each with a suggested rewording.

    For example `{'dropped the ball': 'Describe the gap in the process.'}`.
    """

    earliest_year = Count(2000)
    """Dates and times before this year are reported as implausible (PMK209, a warning).

    Lower it for an archive that holds older incidents; times before 1970 are always an error
    (PMK207).
    """

    longest_incident_days = Count(14)
    """Incidents whose times span more days than this are reported as implausible (PMK210, a
    warning), and so are timeline entries this many days away from them (PMK307).

    Over 366 days is always an error (PMK208).
    """

    publish_drafts = Flag(False)
    """Publish postmortems whose status is `draft`, with a banner (for previews)."""

    audience = OneOf(AUDIENCES, "internal")
    """Who the site is for: `public`, `internal` or `restricted`.

    The site holds the postmortems visible to its audience, and nothing of the others: an
    `internal` site the `public` and `internal` ones, a `public` site the `public` ones (each
    showing its external summary and `public_sections` only), a `restricted` site all of them.
    """

    default_visibility = OneOf(VISIBILITIES, "internal")
    """The visibility of a postmortem or service that sets none: `public`, `internal` or
    `restricted`."""

    external_summary_section = Title("External summary")
    """The level-2 section that tells customers what happened, in their words.

    A public site shows it first on the incident's page, and uses it as the incident's summary.
    """

    public_sections = Names([])
    """The level-2 sections a public site shows besides the external summary, such as
    `[Timeline]`; the other sections stay internal."""

    incidents_path = UrlPath("incidents", "incidents listing")
    """URL path of the incident pages and the incidents table."""

    services_path = UrlPath("services", "services listing")
    """URL path of the service pages."""

    factors_path = UrlPath("factors", "factors listing")
    """URL path of the contributing-factor pages."""

    trends_path = UrlPath("trends", "trends page")
    """URL path of the trends page."""

    action_items_path = UrlPath("action-items", "action-items page")
    """URL path of the action-items page."""

    stuck_after_days = Count(14)
    """Postmortems still `draft` or `in-review` this many days after the incident's `date` are
    listed as stuck by `pmkb actions`.

    Counted from the incident, the one date every postmortem has: the time to a reviewed
    postmortem is what teams hold themselves to.
    """

    review_required_for = Names([])
    """The severities whose postmortems must record a review (`reviewers` and `reviewed`)
    before their status may be `published`.

    A published postmortem of one of them without both is PMK121, an error; `[SEV1, SEV2]` asks
    it of the two most severe. Empty, the default, asks it of none: the fields stay optional.
    """

    custom_fields = CustomFields({})
    """Extra front-matter fields of this knowledge base, each with its `type` (`text`, `number`,
    `date`, `enum` with its `values`, or `list` of text).

    Each may set `required_from` (the first status that requires it: `draft`, `in-review` or
    `published`), `card: true` (shown on the incident's header card), `filter: true` (a filter
    of the incidents table and a facet of the search page), `label` (the name shown; by default
    the key's) and `public: true` (shown by a public site too).
    """

    related_limit = Count(5)
    """How many related incidents an incident page lists."""

    listing_page_size = Count(250)
    """How many incidents each page of the incidents table lists, newest first.

    The first page stays at `<incidents_path>/`, the others follow at
    `<incidents_path>/page/2/` and on. A row is about 1 kB of HTML: at 250 a page weighs about
    300 kB whatever the number of incidents. A knowledge base of at most this many incidents
    keeps one page, filtered in the browser.
    """

    recurrence_count = Count(3)
    """A factor counts as recurring when it appears in this many incidents..."""

    recurrence_window_days = Count(90)
    """...within this many days."""

    search = OneOf(("auto", "faceted", "full", "compact"), "auto")
    """How the site is searched: `faceted` (what `auto` chooses), every published word at any
    size, on a search page that filters by service, factor, severity, year, status, kind, review
    and the custom fields declared filters, from an index the browser fetches a few small files of per query; or Material's
    search, which downloads its whole index first, over every word (`full`) or over incidents'
    titles, metadata and summaries only (`compact`).
    """

    trust_html = Flag(False)
    """Publish the HTML that postmortems' Markdown converts to as it is, raw HTML and scripts
    included, instead of sanitizing it.

    Only for repositories where every contributor is trusted.
    """

    workers = Workers("auto")
    """How many processes read and check the postmortems, and convert incident pages in a one-off
    build (see Conversion cache): `auto` (one per CPU, from 400 files on), a number, or `0` for
    none besides MkDocs' own.

    The result is the same whatever the number.
    """

    cache_dir = Text(".cache/pmkb")
    """Folder, relative to `mkdocs.yml`, where converted and finished pages, checked postmortems
    and the check index are kept between runs; `""` turns the cache off.

    Cache its `pages/` in CI (key it on the pmkb version) to make builds after the first faster.
    """

    def _validate(self) -> tuple[ConfigErrors, ConfigWarnings]:
        # Unlike MkDocs' own options: every problem is reported at once (MkDocs stops at the
        # first), and an unknown option is an error with a suggestion, not a warning, since a
        # misspelt option would otherwise leave its default in force without a word.
        names = [key for key, _ in get_schema(type(self))]
        failed: ConfigErrors = [
            (str(key), OptionError(f"unknown pmkb option `{key}`{did_you_mean(str(key), names)}"))
            for key in self
            if key not in names
        ]
        warnings: ConfigWarnings = []
        for key, option in get_schema(type(self)):
            try:
                self[key] = option.validate(self[key])
            except ValidationError as error:
                failed.append((key, error))
            warnings.extend((key, w) for w in option.warnings)
            option.reset_warnings()
        failed.extend(self._listings_apart({key for key, _ in failed}))
        failed.extend(self._sections_for_known({key for key, _ in failed}))
        failed.extend(self._review_severities_known({key for key, _ in failed}))
        return failed, warnings

    def _review_severities_known(self, failed: set[str]) -> ConfigErrors:
        """PMK601 for an entry of `review_required_for` that is not one of the `severities`."""
        if failed & {"review_required_for", "severities"}:
            return []
        known = self["severities"]
        return [
            (
                "review_required_for",
                OptionError(
                    f"option `review_required_for` names `{name}`, not one of the `severities` "
                    f"({', '.join(known)}){did_you_mean(name, known)}"
                ),
            )
            for name in self["review_required_for"]
            if name not in known
        ]

    def _sections_for_known(self, failed: set[str]) -> ConfigErrors:
        """PMK601 for a key of `required_sections_for` that is neither a kind nor a severity."""
        if failed & {"required_sections_for", "severities"}:
            return []
        known = [*OTHER_KINDS, *self["severities"]]
        errors: ConfigErrors = []
        for key in self["required_sections_for"]:
            if key in known:
                continue
            if key == DEFAULT_KIND:
                why = "the default kind, whose sections are `required_sections`"
            else:
                why = (
                    f"neither a kind ({', '.join(OTHER_KINDS)}) nor one of the `severities` "
                    f"({', '.join(self['severities'])}){did_you_mean(key, known)}"
                )
            message = f"option `required_sections_for` names `{key}`: {why}"
            errors.append(("required_sections_for", OptionError(message)))
        return errors

    def _listings_apart(self, failed: set[str]) -> ConfigErrors:
        """PMK603 for two listing pages on one path (of those whose own path is valid)."""
        errors: ConfigErrors = []
        taken: dict[str, str] = {}  # path: the first option that placed a listing there
        for key, label in LISTING_OPTIONS.items():
            if key in failed:
                continue
            path = self[key]
            # Told apart by case alone, they are one folder on macOS and Windows.
            other = taken.setdefault(path.casefold(), key)
            if other == key:
                continue
            pages = f"the {label} and the {LISTING_OPTIONS[other]} would both be"
            if self[other] == path:
                message = f"option `{key}` is `{path}`, as is `{other}`: {pages} `{path}/index.md`"
            else:
                message = (
                    f"option `{key}` is `{path}` and `{other}` is `{self[other]}`: where file "
                    f"names ignore case (macOS, Windows), {pages} `{self[other]}/index.md`"
                )
            errors.append((key, OptionError(message, "PMK603", other)))
        return errors


# The kinds of postmortem `required_sections_for` may name: all but the default, which takes
# `required_sections`.
DEFAULT_KIND, *_OTHERS = KINDS
OTHER_KINDS = tuple(_OTHERS)

# The options that place a listing page (`<path>/index.md`), and how messages name the page.
LISTING_OPTIONS: dict[str, str] = {
    key: option.label for key, option in get_schema(PmkbConfig) if isinstance(option, UrlPath)
}


@dataclass(frozen=True)
class Option:
    """One option as docs/reference.md documents it; read from PmkbConfig, not written again."""

    name: str
    default: Any
    doc: str  # the string under the option in PmkbConfig
    shown: str  # its type, as the options table names it
    choices: tuple[str, ...] = ()


@cache
def documented_options() -> tuple[Option, ...]:
    """PmkbConfig's options, each with the docstring written under it."""
    docs = _attribute_docstrings(PmkbConfig)
    return tuple(
        Option(
            key,
            option.default,
            docs.get(key, ""),
            getattr(option, "shown", ""),
            getattr(option, "choices", ()),
        )
        for key, option in get_schema(PmkbConfig)
    )


def _attribute_docstrings(cls: type) -> dict[str, str]:
    # Python keeps no docstring for a class attribute: the string under each option is read from
    # the source, as documentation tools (griffe, mkdocstrings) read it.
    (tree,) = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
    assert isinstance(tree, ast.ClassDef)
    docs: dict[str, str] = {}
    for statement, after in zip(tree.body, tree.body[1:], strict=False):
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[statement.targets[0].id] = inspect.cleandoc(after.value.value)
    return docs


@dataclass(frozen=True)
class Settings:
    """Resolved settings (`settings_from`); paths are absolute. One field per option of
    PmkbConfig, and what MkDocs' own configuration adds."""

    root: Path
    postmortems_dir: Path
    services_file: Path
    factors_file: Path
    required_sections: tuple[str, ...]
    required_sections_for: Mapping[str, list[str]]  # as written, as MkDocs' config holds it
    section_aliases: Mapping[str, tuple[str, ...]]
    severities: tuple[str, ...]
    factor_categories: tuple[str, ...]
    blame_language: str
    blame_phrases: Mapping[str, str]
    earliest_year: int
    longest_incident_days: int
    publish_drafts: bool
    incidents_path: str
    services_path: str
    factors_path: str
    trends_path: str
    action_items_path: str
    stuck_after_days: int
    related_limit: int
    listing_page_size: int
    recurrence_count: int
    recurrence_window_days: int
    search: str
    trust_html: bool
    workers: int | None  # None: one per CPU
    cache_dir: Path | None  # None: no conversion cache
    # From MkDocs' own configuration (see `with_docs_dir`); None when no site is known.
    docs_dir: Path | None = None
    directory_urls: bool = True
    # Last, with their defaults, so that settings made before audiences stay valid.
    audience: str = "internal"
    default_visibility: str = "internal"
    external_summary_section: str = "External summary"
    public_sections: tuple[str, ...] = ()
    review_required_for: tuple[str, ...] = ()
    custom_fields: tuple[CustomField, ...] = ()

    @property
    def shown_custom_fields(self) -> tuple[CustomField, ...]:
        """The custom fields the site shows: on a public site, only those declared public."""
        return tuple(f for f in self.custom_fields if f.public or self.audience != "public")

    @property
    def faceted_search(self) -> bool:
        """Whether the site is searched by pmkb's faceted index (`search: auto` or `faceted`)."""
        return self.search in ("auto", "faceted")

    @property
    def jobs(self) -> int:
        """How many processes may read and check files: the `workers` option, at least one."""
        return (os.cpu_count() or 1) if self.workers is None else max(1, self.workers)

    def sections_required(self, kind: str, severity: str) -> tuple[str, ...]:
        """The sections a postmortem of `kind` and `severity` must have: its kind's list in
        `required_sections_for`, else its severity's, else `required_sections`."""
        for key in (kind, severity):
            if key in self.required_sections_for:
                return tuple(self.required_sections_for[key])
        return self.required_sections

    def display_path(self, path: Path) -> str:
        """The path as findings show it: relative to the project root when inside it."""
        # Compared as text first: called for every file of a knowledge base, and Path.relative_to
        # costs twenty times as much. It still decides what text alone cannot (case on Windows).
        text, root = str(path), str(self.root) + os.sep
        if text.startswith(root):
            return text[len(root) :].replace(os.sep, "/")
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
    docs = resolved(settings.root / docs_dir)
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


# Where each option is written in the configuration file: its line and column, by name.
OptionMarks = Mapping[str, tuple[int, int]]


def config_findings(
    errors: ConfigErrors, source: str = "mkdocs.yml", marks: OptionMarks | None = None
) -> list[Finding]:
    """What validating a PmkbConfig found wrong, as findings on `source` (PMK601 unless said), at
    the option's line where `marks` has it."""
    marks = marks or {}
    found = []
    for key, error in errors:
        other = error.other if isinstance(error, OptionError) else None
        where = marks.get(key) or (marks.get(other) if other else None) or (1, 1)
        code = error.code if isinstance(error, OptionError) else "PMK601"
        found.append(finding(source, *where, code, str(error)))
    return found


def validated(
    raw: Mapping[str, Any] | None, source: str = "mkdocs.yml", marks: OptionMarks | None = None
) -> PmkbConfig:
    """The options as written in `mkdocs.yml`, validated as MkDocs validates them for the plugin.

    Raises SettingsError with a finding for each problem, at the option's place in `marks`.
    """
    config = PmkbConfig()
    config.load_dict(dict(raw or {}))
    errors, _warnings = config.validate()  # pmkb's options warn of nothing
    if errors:
        raise SettingsError(config_findings(errors, source, marks))
    return config


def settings_from(config: PmkbConfig, root: Path) -> Settings:
    """The settings of validated options, with paths resolved against `root`."""
    folder = resolved(root / config.postmortems_dir)
    return Settings(
        root=resolved(root),
        postmortems_dir=folder,
        services_file=_catalog(root, config.services_file, folder / "services.yml"),
        factors_file=_catalog(root, config.factors_file, folder / "factors.yml"),
        required_sections=tuple(config.required_sections),
        required_sections_for={
            key: list(names) for key, names in config.required_sections_for.items()
        },
        section_aliases={name: tuple(other) for name, other in config.section_aliases.items()},
        severities=tuple(config.severities),
        factor_categories=tuple(config.factor_categories),
        blame_language=config.blame_language,
        blame_phrases=dict(config.blame_phrases),
        earliest_year=config.earliest_year,
        longest_incident_days=config.longest_incident_days,
        publish_drafts=config.publish_drafts,
        incidents_path=config.incidents_path,
        services_path=config.services_path,
        factors_path=config.factors_path,
        trends_path=config.trends_path,
        action_items_path=config.action_items_path,
        stuck_after_days=config.stuck_after_days,
        related_limit=config.related_limit,
        listing_page_size=config.listing_page_size,
        recurrence_count=config.recurrence_count,
        recurrence_window_days=config.recurrence_window_days,
        search=config.search,
        trust_html=config.trust_html,
        workers=None if config.workers == "auto" else int(config.workers),
        cache_dir=resolved(root / config.cache_dir) if config.cache_dir else None,
        audience=config.audience,
        default_visibility=config.default_visibility,
        external_summary_section=config.external_summary_section,
        public_sections=tuple(config.public_sections),
        review_required_for=tuple(config.review_required_for),
        custom_fields=parse_custom_fields(config.custom_fields)[0],
    )


def load_settings(
    raw: Mapping[str, Any] | None,
    root: Path,
    source: str = "mkdocs.yml",
    marks: OptionMarks | None = None,
) -> Settings:
    """Validate raw options (as written in `mkdocs.yml`, at `marks`) and resolve paths against
    `root`."""
    return settings_from(validated(raw, source, marks), root)


def _catalog(root: Path, written: str, default: Path) -> Path:
    # The folder is resolved but not the file itself: a catalog that is a symbolic link must
    # stay one, so that reading it can refuse it (PMK507) instead of following it.
    if not written:
        return default
    path = Path(os.path.normpath(root / written))
    return resolved(path.parent) / path.name
