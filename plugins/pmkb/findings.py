"""Findings: what the checks report, with their stable codes."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum


class Level(StrEnum):
    """How serious a finding is; only errors fail a non-strict check."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    """A documented check: its code, default level, summary and an example of problem and fix."""

    code: str
    level: Level
    summary: str
    bad: str = ""
    good: str = ""


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file, located by line and column (both 1-based)."""

    path: str
    line: int
    col: int
    code: str
    level: Level
    message: str

    def format_text(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.level.value} {self.code} {self.message}"
        return printable(text)

    def format_github(self) -> str:
        kind = {"error": "error", "warning": "warning", "info": "notice"}[self.level.value]
        # CR and LF keep GitHub's own encoding (%0D, %0A), which the runner turns back into a
        # line break inside the annotation; every other control is shown escaped, as in text.
        message = _github_escape(
            printable(f"{self.code} {self.message}", line_breaks=True), data=True
        )
        path = _github_escape(printable(self.path, line_breaks=True), data=False)
        return f"::{kind} file={path},line={self.line},col={self.col},title=pmkb {self.code}::{message}"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["level"] = self.level.value
        return data


# C0 controls, DEL and C1 controls: ESC starts a terminal escape sequence, U+009B (CSI) does on
# terminals that read C1 codes, and any of them can rewrite or hide what a reader sees.
# Besides C0, DEL and C1: the bidirectional formatting characters, which make a terminal or a
# log viewer show text in another order than it is read ("Trojan Source").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_BUT_CR_LF = re.compile(f"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def printable(text: str, *, line_breaks: bool = False) -> str:
    """`text` with each control character shown as `\\x1b` (C0, DEL) or `\\u009b` (C1, and the
    bidirectional formatting characters such as `\\u202e`): safe to print on a terminal or in a
    log. With `line_breaks`, CR and LF pass through unchanged."""
    return (_CONTROLS_BUT_CR_LF if line_breaks else _CONTROLS).sub(_escape_control, text)


ELLIPSIS = "\u2026"


def kind_of(value: object) -> str:
    """A value as a message names it: a mapping, a list or nothing by what it is, anything else
    quoted (a date or time in ISO 8601), its middle left out when it is long."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"`{quoted(value)}`"


def quoted(value: object) -> str:
    """A value as a message quotes it: whole (a date or time in ISO 8601), or with its middle
    left out when it is long."""
    return shorten(value.isoformat() if isinstance(value, date) else str(value))


def shorten(text: str, limit: int = 60, keep: int | None = None) -> str:
    """`text` in at most `limit` characters for a message: its middle replaced by `…`, so that
    its start and end still show, and with `keep` (an index) the characters around it too.

    A value is quoted so its author can find and fix it: cutting the end off hid what was wrong
    with it as often as not (a stray space in a long URL, a mistyped year at the end).
    """
    if len(text) <= limit:
        return text
    limit = max(limit, 9)
    head = (limit - 1 + 1) // 2
    tail = limit - 1 - head
    if keep is None or keep < head - 4 or keep >= len(text) - tail + 4:
        return text[:head] + ELLIPSIS + text[len(text) - tail :]
    # The start, the part around `keep`, the end: a quarter, a half and a quarter of the room.
    room = limit - 2
    edge = room // 4
    window = room - 2 * edge
    start = max(edge, min(keep - window // 2, len(text) - edge - window))
    return (
        text[:edge] + ELLIPSIS + text[start : start + window] + ELLIPSIS + text[len(text) - edge :]
    )


def _github_escape(text: str, *, data: bool) -> str:
    # The workflow-command escaping rules of GitHub Actions (toolkit's command.ts).
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if not data:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}]")


def safe_json(data: object, indent: int | None = 2) -> str:
    """JSON text with no raw control character: json escapes U+0000-U+001F itself, this also
    U+007F-U+009F (DEL and the C1 controls, such as CSI), which a terminal may act on, and the
    bidirectional formatting characters, which reorder what it shows.

    Other non-ASCII text stays as it is, readable. Those characters can only stand inside JSON
    strings, so replacing them by `\\u` escapes keeps the same JSON value.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_json(findings: list[Finding]) -> str:
    return safe_json([f.to_json() for f in findings])


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.code: r for r in rules}


E, W, I = Level.ERROR, Level.WARNING, Level.INFO

RULES: dict[str, Rule] = _rules(
    # Files: reading and splitting them.
    Rule(
        "PMK001",
        E,
        "The file cannot be read as UTF-8 text.",
        "a file saved as Latin-1 or a binary file with a .md name",
        "save the file as UTF-8",
    ),
    Rule(
        "PMK002",
        E,
        "The file is empty.",
        "an empty `2026-01-02-outage.md`",
        "start from `pmkb new` or delete the file",
    ),
    Rule(
        "PMK003",
        E,
        "The file has no front matter.",
        "a file that starts with `# Outage`",
        "start the file with a `---` line, the YAML keys, and a closing `---`",
    ),
    Rule(
        "PMK004",
        E,
        "The front matter is never closed.",
        "`---` on the first line and no second `---`",
        "end the front matter with a line holding only `---`",
    ),
    Rule(
        "PMK005",
        E,
        "The front matter is not valid YAML.",
        "`title: Outage: part 2` (a second colon)",
        'quote the value: `title: "Outage: part 2"`',
    ),
    Rule(
        "PMK006",
        E,
        "The front matter is not a mapping of keys to values.",
        "a front matter that is a YAML list `- title`",
        "write `key: value` lines",
    ),
    Rule(
        "PMK007",
        E,
        "The file is larger than pmkb reads.",
        "a 5 MB postmortem with a pasted log",
        "link the log instead of pasting it",
    ),
    Rule(
        "PMK008",
        W,
        "The file starts with a byte-order mark.",
        "a file saved by an editor as 'UTF-8 with BOM'",
        "save it as plain UTF-8",
    ),
    Rule(
        "PMK009",
        W,
        "The file has Windows (CRLF) line ends.",
        "a file checked out with `core.autocrlf=true`",
        "use LF line ends (`.gitattributes`: `*.md text eol=lf`)",
    ),
    Rule(
        "PMK010",
        W,
        "A symbolic link in the postmortems folder is not followed.",
        "`postmortems/old -> /srv/archive`",
        "copy the files into the knowledge base",
    ),
    Rule(
        "PMK011",
        I,
        "Files that are not Markdown are ignored.",
        "`postmortems/2024/graph.png`",
        "keep images under `docs/` or link them",
    ),
    Rule(
        "PMK012",
        E,
        "The file does not exist or cannot be read, or a folder of the postmortems folder cannot "
        "be listed (its files are then neither checked nor published).",
        "`pmkb check postmortems/missing.md`",
        "name an existing file",
    ),
    Rule(
        "PMK013",
        E,
        "The front matter is nested too deeply or uses YAML aliases.",
        "`a: &x [*x]` or lists nested hundreds deep",
        "write plain keys and values",
    ),
    Rule(
        "PMK014",
        I,
        "A hidden Markdown file or folder is not read (info: a leading dot marks what is meant "
        "to stay out, such as editor and system leftovers, and nothing of it is published).",
        "`postmortems/.2026-03-12-outage.md` or `postmortems/.drafts/`",
        "drop the leading dot to check and publish it, or keep drafts outside the folder",
    ),
    Rule(
        "PMK015",
        E,
        "The body would take the Markdown converter too long: too many `[` and `<` in one "
        "paragraph, or a heading line over 1,000 characters. The postmortem is not published.",
        "a paragraph of 5,000 `[` characters, or a log pasted as one line of brackets",
        "split the paragraph, or put pasted output in a fenced code block",
    ),
    # The environment.
    Rule(
        "PMK020",
        E,
        "`SOURCE_DATE_EPOCH` is not a usable time.",
        "`SOURCE_DATE_EPOCH=abc` or `SOURCE_DATE_EPOCH=99999999999999999`",
        "`SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`, or unset it to use today",
    ),
    # Front matter.
    Rule(
        "PMK101",
        E,
        "A required front-matter key is missing.",
        "no `severity:` key",
        "add `severity: SEV3`",
    ),
    Rule(
        "PMK102",
        E,
        "A front-matter value has the wrong type.",
        "`services: checkout, payments`",
        "`services: [checkout, payments]`",
    ),
    Rule("PMK103", W, "An unknown front-matter key.", "`sevrity: SEV2`", "`severity: SEV2`"),
    Rule(
        "PMK104",
        E,
        "A date is not a valid YYYY-MM-DD date.",
        "`date: 12/03/2026`",
        "`date: 2026-03-12`",
    ),
    Rule(
        "PMK105",
        E,
        "A time is not an ISO 8601 date-time with a time zone.",
        "`detected: 2026-03-12 14:05`",
        "`detected: 2026-03-12T14:05:00Z`",
    ),
    Rule(
        "PMK106",
        E,
        "The incident times are out of order (started <= detected <= mitigated <= resolved).",
        "`mitigated` earlier than `detected`",
        "correct the times; write them all in one zone",
    ),
    Rule(
        "PMK107",
        E,
        "The severity is not on the configured scale.",
        "`severity: P1` with the default scale",
        "`severity: SEV1`, or configure `severities`",
    ),
    Rule(
        "PMK108",
        E,
        "The status is not `draft`, `in-review` or `published`.",
        "`status: final`",
        "`status: published`",
    ),
    Rule(
        "PMK109",
        E,
        "A service is not in the services catalog.",
        "`services: [chekout]`",
        "`services: [checkout]`, or add the service to `services.yml`",
    ),
    Rule(
        "PMK110",
        E,
        "A contributing factor is not in the factors catalog.",
        "`contributing_factors: [config-chnage]`",
        "`contributing_factors: [config-change]`",
    ),
    Rule(
        "PMK111",
        W,
        "A factor is named by an alias; the canonical id is used.",
        "`contributing_factors: [misconfiguration]`",
        "`contributing_factors: [config-change]`",
    ),
    Rule(
        "PMK112",
        E,
        "Two postmortems have the same id.",
        "`2024/outage.md` and `2025/outage.md`",
        "rename one file or set a distinct `id:`",
    ),
    Rule(
        "PMK113",
        E,
        "The id is not a lowercase slug.",
        "`id: ../secrets` or `id: Big Outage`",
        "`id: 2026-03-12-big-outage` (a-z, 0-9, `-`, `_`, `.`)",
    ),
    Rule(
        "PMK114",
        W,
        "The same service or factor is listed twice.",
        "`services: [checkout, checkout]`",
        "list it once",
    ),
    Rule(
        "PMK115", E, "The title is empty.", '`title: ""`', "a short description of what users saw"
    ),
    Rule(
        "PMK116",
        E,
        "The id cannot name a page: `index`, a Windows device name such as `con` or `nul`, or a "
        "name ending in a dot.",
        "`id: index`, `id: con` or a file `nul.md`",
        "`id: 2026-03-12-console-outage`",
    ),
    Rule(
        "PMK117",
        E,
        "The kind is not `incident` or `near-miss`.",
        "`kind: near miss`",
        "`kind: near-miss`, or leave `kind` out for an incident",
    ),
    Rule(
        "PMK118",
        E,
        "The visibility is not `public`, `internal` or `restricted`; the postmortem is read as "
        "`restricted`.",
        "`visibility: pubic`",
        "`visibility: public`",
    ),
    Rule(
        "PMK119",
        E,
        "The postmortem names a service that fewer people may read than the postmortem; it is "
        "published only where the service is.",
        "`visibility: public` and `services: [ledger]`, with `ledger` internal in `services.yml`",
        "`visibility: public` on `ledger` in `services.yml`, or `visibility: internal` here",
    ),
    Rule(
        "PMK120",
        W,
        "A public postmortem has no external summary section, so its page on the public site "
        "has no summary.",
        "`visibility: public` and no `## External summary`",
        "add `## External summary`: what customers saw and what changes, in their words",
    ),
    Rule(
        "PMK121",
        E,
        "A postmortem of a severity that `review_required_for` lists is published without a "
        "recorded review: `reviewers`, `reviewed` or both are missing.",
        "`status: published` and `severity: SEV1`, with `review_required_for: [SEV1, SEV2]` and "
        "no `reviewers`",
        "`reviewers: [Ines Carvalho]` and `reviewed: 2026-03-19`, or `status: in-review` until "
        "the review",
    ),
    Rule(
        "PMK122",
        E,
        "The review date is before the incident's date; it is not used.",
        "`date: 2026-03-12` and `reviewed: 2026-02-19`",
        "`reviewed: 2026-03-19`",
    ),
    Rule(
        "PMK123",
        E,
        "A custom field of type `enum` has a value its `values` do not list.",
        "`customer_impact: sme`, with `values: [none, some, all]`",
        "`customer_impact: some`",
    ),
    Rule(
        "PMK124",
        E,
        "A custom field that the postmortem's status requires (`required_from`) is missing.",
        "`status: published`, with `customer_impact` declared `required_from: published`, and no "
        "`customer_impact`",
        "`customer_impact: some`, or `status: in-review` until it is known",
    ),
    # Action items.
    Rule(
        "PMK201",
        E,
        "An action item is not a mapping.",
        "`- fix the alert`",
        "`- {title: Fix the alert, owner: team-web, status: open}`",
    ),
    Rule(
        "PMK202",
        E,
        "An action item lacks a title, owner or status.",
        "an item with no `owner:`",
        "every item needs `title`, `owner` and `status`",
    ),
    Rule(
        "PMK203",
        E,
        "An action item's status is not open, in-progress, done or wont-do.",
        "`status: closed`",
        "`status: done`",
    ),
    Rule(
        "PMK204",
        E,
        "An action item's `due` is not a YYYY-MM-DD date.",
        "`due: next week`",
        "`due: 2026-12-01`",
    ),
    Rule(
        "PMK205",
        E,
        "An action item's link is not an http(s) URL.",
        "`link: javascript:alert(1)`",
        "`link: https://tracker.example/OPS-12`",
    ),
    Rule(
        "PMK206",
        W,
        "An unknown key in an action item.",
        "`assignee: team-web`",
        "`owner: team-web`",
    ),
    Rule(
        "PMK211",
        W,
        "An action item names no concrete change: it asks people to take more care, or its verb "
        "leaves the change open and the rest names nothing in particular.",
        "`Be more careful with failovers`, `Improve monitoring`",
        "`Require a second approver for manual failovers`, `Page on checkout 5xx above 2% for 5 "
        "minutes`",
    ),
    # Incident times: values that parse but cannot be right.
    Rule(
        "PMK207",
        E,
        "An incident time is before 1970 or more than a year after the build date.",
        "`started: 0001-01-01T00:00:00Z`",
        "`started: 2026-03-12T08:02:00Z`",
    ),
    Rule(
        "PMK208",
        E,
        "The incident times span more than 366 days.",
        "`started: 2025-03-12T08:02:00Z` and `resolved: 2026-03-12T09:40:00Z`",
        "`resolved: 2025-03-12T09:40:00Z`",
    ),
    # Incident dates and times: values that are possible but not plausible (warnings, tuned by
    # the options `earliest_year` and `longest_incident_days`).
    Rule(
        "PMK209",
        W,
        "A date or time is before `earliest_year` or after today.",
        "`date: 1205-03-12` or `date: 2062-03-12`",
        "`date: 2025-03-12`, or lower `earliest_year` for an archive of older incidents",
    ),
    Rule(
        "PMK210",
        W,
        "The incident times span more than `longest_incident_days` (14 by default).",
        "`mitigated: 2025-03-12T10:20:00Z` and `resolved: 2025-05-12T11:00:00Z`",
        "`resolved: 2025-03-12T11:00:00Z`",
    ),
    # Sections.
    Rule(
        "PMK301",
        E,
        "A required section is missing.",
        "no `## Impact` heading",
        "add the section (or map your heading with `section_aliases`)",
    ),
    Rule(
        "PMK302",
        E,
        "A required section is empty.",
        "`## Lessons learned` followed directly by the next heading",
        "write the section",
    ),
    Rule(
        "PMK303",
        E,
        "Template guidance is still in the text.",
        "a `> **Guidance:**` line left from `pmkb new`",
        "replace the guidance with your own text",
    ),
    Rule(
        "PMK304",
        E,
        "A timeline entry does not start with a valid time.",
        "`- around lunch the alert fired`",
        "`- 12:40 UTC — the alert fired`",
    ),
    Rule(
        "PMK305",
        E,
        "Timeline entries are out of chronological order.",
        "`- 14:10` listed before `- 14:05`",
        "reorder the entries, or give the date for entries after midnight",
    ),
    Rule(
        "PMK306",
        W,
        "A section heading appears twice.",
        "two `## Timeline` headings",
        "merge the sections",
    ),
    Rule(
        "PMK307",
        W,
        "Timeline entries lie far from the incident's times: most of them more than "
        "`longest_incident_days` away, or one more than half a year.",
        "`- 2024-03-12 14:05 — Alert fired.` in an incident of 2025-03-12",
        "`- 2025-03-12 14:05 — Alert fired.`",
    ),
    # Blame language.
    Rule(
        "PMK401",
        W,
        "Blame language: words that judge a person instead of describing the system.",
        "`The outage was caused by human error.`",
        "`The deploy tool allowed a production change without review.`",
    ),
    Rule(
        "PMK402",
        W,
        "A person is @mentioned in the contributing factors.",
        "`@jsmith changed the limit`",
        "`A limit change reached production without a staged rollout`",
    ),
    Rule(
        "PMK403",
        W,
        "A lesson asks people to take more care instead of saying what was learnt or will change.",
        "`Be more careful when changing production configs.` under Lessons learned",
        "`A config change reaches every store at once; staging it would have limited the blast.`",
    ),
    # Catalogs.
    Rule(
        "PMK501",
        E,
        "A catalog file is missing or unreadable.",
        "no `postmortems/services.yml`",
        "create it (see the format docs)",
    ),
    Rule(
        "PMK502",
        E,
        "A catalog file is not valid YAML or not a mapping of ids.",
        "a `services.yml` that is a list",
        "`checkout: {name: Checkout, owner: team-payments}`",
    ),
    Rule(
        "PMK503",
        E,
        "A catalog entry is incomplete or malformed.",
        "a factor without `name` or `category`",
        "give every entry a `name` (and factors a `category`)",
    ),
    Rule(
        "PMK504",
        E,
        "A factor's category is not among the configured categories.",
        "`category: Chnage` with `factor_categories: [Change]`",
        "`category: Change`",
    ),
    Rule(
        "PMK505",
        E,
        "A factor alias is also another factor's id or alias.",
        "`aliases: [config-change]` on a second factor",
        "remove the duplicate alias",
    ),
    Rule(
        "PMK506",
        E,
        "A catalog id is not a lowercase slug.",
        "`Checkout Service:` as an id",
        "`checkout:`",
    ),
    Rule(
        "PMK507",
        E,
        "A catalog file is a symbolic link; it is not read.",
        "`postmortems/services.yml -> /etc/app/services.yml`",
        "commit the catalog itself into the knowledge base",
    ),
    Rule(
        "PMK508",
        E,
        "A catalog id cannot name a page: `index`, a Windows device name such as `con` or `nul`, "
        "or a name ending in a dot.",
        "`index:` or `aux:` in `services.yml`",
        "`aux-service:`",
    ),
    # Configuration.
    Rule(
        "PMK601", E, "A pmkb option is invalid.", "`blame_language: loud`", "`blame_language: warn`"
    ),
    Rule(
        "PMK602",
        E,
        "The postmortems folder is inside MkDocs' `docs_dir`, which publishes every file in it "
        "as written, drafts included.",
        "`postmortems_dir: docs/postmortems` with `docs_dir: docs`",
        "`postmortems_dir: postmortems`, beside `docs/`",
    ),
    Rule(
        "PMK603",
        E,
        "Two pages pmkb generates would be the same file of the site; one of them is lost.",
        "`services_path: incidents`, or `incidents_path: .`",
        "give each listing a folder of its own: `services_path: services`",
    ),
    Rule(
        "PMK604",
        E,
        "A file in `docs_dir` would be the same file of the site as a page pmkb generates; one "
        "of them is lost.",
        "`docs/incidents/index.md` beside the generated incidents listing",
        "move or rename the file, or change the listing's path option",
    ),
    # Imports (`pmkb import`): the mapping, and the files of another archive.
    Rule(
        "PMK701",
        E,
        "The import mapping is invalid; nothing is imported.",
        "`fields: {sevrity: priority}` or `time_zone: Mars/Olympus`",
        "`fields: {severity: priority}`, `time_zone: Europe/Paris`",
    ),
    Rule(
        "PMK702",
        E,
        "A source file's front matter cannot be read as YAML, TOML or JSON; the file is skipped.",
        "`title: Outage: part 2` in a source's front matter",
        'quote the value in the source: `title: "Outage: part 2"`, and import again',
    ),
    Rule(
        "PMK703",
        W,
        "A source value cannot be converted (a date in no known format, a list where text is "
        "expected), or the source has no title; the value is kept under `## Imported front "
        "matter`.",
        "`date: 12 March 2024` with no `date_formats`",
        "`date_formats: ['%d %B %Y']` in the mapping",
    ),
    Rule(
        "PMK704",
        W,
        "A service or contributing factor of a source is not in the catalogs.",
        "`company: Amazon Web Services`, made `amazon-web-services`, with `aws` in the catalog",
        "`values: {services: {Amazon Web Services: aws}}` in the mapping, or `--add-to-catalog`",
    ),
    Rule(
        "PMK705",
        I,
        "Part of a source's body is left as written: an action-items section that holds more "
        "than its table or list, or timeline rows that start with no time.",
        "an `Action Items` table with a `Type` column",
        "move what the column says into the items' titles, then delete the section",
    ),
)


def finding(
    path: str, line: int, col: int, code: str, message: str, level: Level | None = None
) -> Finding:
    """Build a finding with its rule's default level."""
    return Finding(path, max(line, 1), max(col, 1), code, level or RULES[code].level, message)
