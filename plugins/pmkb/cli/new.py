"""`pmkb new`: a new postmortem from the template, asked for interactively when needed.

At a terminal each missing answer is asked for and checked as soon as it is given; a wrong one
is asked again, alone, with its likely meaning offered as the default, so nothing typed before
is lost. Options are checked the same way, all at once, and every problem is listed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from ..clock import build_date
from ..findings import Level, printable
from ..model import KINDS, STATUSES, Catalog
from ..read.catalog import catalog_of
from ..read.schema import TIME_FIELDS
from ..settings import Settings
from ..suggest import closest, did_you_mean
from .common import EXIT_OK, EXIT_USAGE, Commands, project_settings
from .new_file import new_path, render_new

# A date a day ahead of the build date is still today somewhere east of UTC.
_AHEAD = timedelta(days=1)
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
TIME_LABELS = {
    "started": "Impact started",
    "detected": "Detected",
    "mitigated": "Mitigated",
    "resolved": "Resolved",
}


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    new = commands.add_parser(
        "new",
        parents=[project],
        help="start a new postmortem from the template",
        description="Create <postmortems_dir>/<year>/<date>-<slug>.md as a draft with every required section. "
        "At a terminal, what the options leave out is asked for.",
    )
    new.add_argument(
        "title", nargs="?", help="what users saw, e.g. 'Checkout errors after database failover'"
    )
    new.add_argument("--service", action="append", default=[], help="a service id (repeatable)")
    new.add_argument(
        "--factor", action="append", default=[], help="a contributing-factor id (repeatable)"
    )
    new.add_argument(
        "--kind",
        help=f"one of {', '.join(KINDS)} (default: incident); a near miss gets its lighter sections",
    )
    new.add_argument("--severity", help="e.g. SEV2")
    new.add_argument("--date", help="the day the incident started, YYYY-MM-DD (default: today)")
    new.add_argument("--status", help=f"one of {', '.join(STATUSES)} (default: draft)")
    for name in TIME_FIELDS:
        new.add_argument(
            f"--{name}",
            metavar="TIME",
            help=f"{TIME_LABELS[name].lower()}: HH:MM (UTC, on --date) or an ISO 8601 date-time with a zone",
        )
    new.add_argument("--author", action="append", default=[], help="an author's name (repeatable)")
    new.set_defaults(run=run)


@dataclass
class Checked:
    """An answer read: its value, what is wrong with it, and the answer it most likely meant."""

    value: Any = None
    problems: list[str] = field(default_factory=list)
    fix: str | None = None


@dataclass
class Answers:
    """Every answer `render_new` needs, checked against the settings and catalogs."""

    settings: Settings
    catalog: Catalog
    today: date
    title: str = ""
    day: date | None = None
    services: list[str] = field(default_factory=list)
    factors: list[str] = field(default_factory=list)
    kind: str = KINDS[0]
    severity: str = ""
    status: str = "draft"
    times: dict[str, datetime | None] = field(default_factory=dict)

    def check_title(self, text: str) -> Checked:
        title = " ".join(text.split())
        return Checked(title, [] if title else ["a title is required"])

    def check_date(self, text: str) -> Checked:
        text = text.strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return Checked(problems=[f"`{text}` is not a YYYY-MM-DD date"])
        if day > self.today + _AHEAD:
            return Checked(problems=[f"{text} is after today ({self.today.isoformat()})"])
        return Checked(day)

    def check_services(self, text: str) -> Checked:
        return self._check_ids(_items(text), "service", self.catalog.services, {})

    def check_factors(self, text: str) -> Checked:
        return self._check_ids(
            _items(text), "contributing factor", self.catalog.factors, self.catalog.alias_map
        )

    def _check_ids(
        self, items: list[str], kind: str, known: dict[str, Any], aliases: dict[str, str]
    ) -> Checked:
        if not items:
            return Checked(problems=[f"name at least one {kind}"])
        found, problems, fixed = [], [], []
        for ident in items:
            canonical = ident if ident in known else aliases.get(ident)
            if canonical is not None:
                found.append(canonical)
                fixed.append(ident)
                continue
            pool = [*known, *aliases]
            problems.append(f"unknown {kind} `{ident}`{did_you_mean(ident, pool)}")
            fixed.append(closest(ident, pool) or "")
        fix = ", ".join(fixed) if problems and all(fixed) else None
        # Aliases are written as the factor they stand for, and each id once.
        return Checked(list(dict.fromkeys(found)), problems, fix)

    def check_kind(self, text: str) -> Checked:
        return self._check_choice(text.strip(), "kind", KINDS)

    def check_severity(self, text: str) -> Checked:
        return self._check_choice(text.strip(), "severity", self.settings.severities)

    def check_status(self, text: str) -> Checked:
        return self._check_choice(text.strip(), "status", STATUSES)

    def _check_choice(self, text: str, what: str, choices: Sequence[str]) -> Checked:
        if text in choices:
            return Checked(text)
        suggestion = did_you_mean(text, choices) if text else ""
        return Checked(
            problems=[f"{what} must be one of {', '.join(choices)}{suggestion}"],
            fix=closest(text, choices) if text else None,
        )

    def check_time(self, name: str, text: str) -> Checked:
        """A time of the incident: blank (filled in later), HH:MM in UTC on the incident's date,
        or an ISO 8601 date-time with a zone; never before an earlier one of the four."""
        text = text.strip()
        if not text:
            return Checked(None)
        when: datetime | None
        if _CLOCK.fullmatch(text):
            try:
                clock = time.fromisoformat(text if text.index(":") == 2 else "0" + text)
            except ValueError:
                clock = None
            when = datetime.combine(self.day or self.today, clock, UTC) if clock else None
        else:
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                when = None
        if when is None:
            return Checked(
                problems=[
                    f"`{text}` is not a time: write HH:MM (UTC) or a date-time such as 2026-03-12T14:02:00Z"
                ]
            )
        if when.tzinfo is None:
            return Checked(
                problems=[f"`{text}` has no time zone; add `Z` or an offset such as `+01:00`"]
            )
        if when.date() > self.today + _AHEAD:
            return Checked(problems=[f"{_shown(when)} is after today ({self.today.isoformat()})"])
        for earlier in TIME_FIELDS[: TIME_FIELDS.index(name)]:
            before = self.times.get(earlier)
            if before is not None and when < before:
                return Checked(
                    problems=[f"`{name}` ({_shown(when)}) is before `{earlier}` ({_shown(before)})"]
                )
        return Checked(when)


def _items(text: str) -> list[str]:
    """The comma-separated answer's items, blanks left out."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _shown(when: datetime) -> str:
    """A time as the front matter has it: `Z` for UTC, else its offset."""
    text = when.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Stopped(Exception):
    """Standard input ended (Ctrl-D) while a question was asked."""


def _ask(prompt: str, choices: Sequence[str] = (), default: str | None = None) -> str:
    hint = f" ({', '.join(choices[:12])}{', ...' if len(choices) > 12 else ''})" if choices else ""
    shown = f" [{default}]" if default else ""
    try:
        answer = input(f"{prompt}{hint}{shown}: ").strip()
    except EOFError:
        raise _Stopped from None
    return answer or default or ""


def _ask_until_valid(
    prompt: str,
    check: Callable[[str], Checked],
    choices: Sequence[str] = (),
    default: str | None = None,
) -> Any:
    """The value of the first answer that passes `check`. After a wrong answer only this question
    is asked again, with the answer it most likely meant as the default (Enter takes it)."""
    offered = default
    while True:
        checked = check(_ask(prompt, choices, offered))
        if not checked.problems:
            return checked.value
        for problem in checked.problems:
            print(printable(f"pmkb new: {problem}"), file=sys.stderr)
        offered = checked.fix or default


def _interview(args: argparse.Namespace, answers: Answers) -> None:
    """Ask, at a terminal, for each answer the options left out, in the order of the file."""
    a = answers
    if not args.title:
        a.title = _ask_until_valid("Title", a.check_title)
    unasked = {name for name in TIME_FIELDS if getattr(args, name) is not None}
    if not args.date:
        a.day = _ask_until_valid("Date", a.check_date, default=a.today.isoformat())
        # Times given as HH:MM fall on the incident's date: read them again on this one, and ask
        # for any that no longer fits it.
        for name in TIME_FIELDS:
            if name in unasked:
                checked = a.check_time(name, getattr(args, name))
                a.times[name] = checked.value
                for problem in checked.problems:
                    print(printable(f"pmkb new: --{name}: {problem}"), file=sys.stderr)
                    unasked.discard(name)
    if not args.kind:
        a.kind = _ask_until_valid("Kind", a.check_kind, KINDS, default=KINDS[0])
    if not args.service:
        a.services = _ask_until_valid("Services", a.check_services, sorted(a.catalog.services))
    if not args.factor:
        a.factors = _ask_until_valid(
            "Contributing factors", a.check_factors, sorted(a.catalog.factors)
        )
    if not args.severity:
        a.severity = _ask_until_valid("Severity", a.check_severity, a.settings.severities)
    if not args.status:
        a.status = _ask_until_valid("Status", a.check_status, STATUSES, default="draft")
    # A near miss has no impact to time: its times are not asked for.
    for name in TIME_FIELDS:
        if name not in unasked and a.kind != "near-miss":
            a.times[name] = _ask_until_valid(
                f"{TIME_LABELS[name]} (HH:MM UTC or YYYY-MM-DDTHH:MM+01:00; Enter to fill in later)",
                partial(a.check_time, name),
            )


def _from_options(args: argparse.Namespace, answers: Answers, ask_later: bool) -> list[str]:
    """Take the answers the options give, and list every problem among them; a required answer
    no option gives is a problem too unless it will be asked for (`ask_later`)."""
    a = answers
    problems: list[str] = []

    def take(given: str | None, check: Callable[[str], Checked], missing: str = "") -> Any:
        if not given:
            if missing and not ask_later:
                problems.append(missing)
            return None
        checked = check(given)
        problems.extend(checked.problems)
        return checked.value

    severities = ", ".join(a.settings.severities)
    # The date first, as times given as HH:MM fall on it; its problems last, where they have
    # always been listed (the date is optional, and defaults to today).
    date_problems: list[str] = []
    if args.date:
        day = a.check_date(args.date)
        a.day = day.value
        date_problems = [
            f"--date {args.date!r} is not a YYYY-MM-DD date" if p.startswith("`") else p
            for p in day.problems
        ]
    a.title = take(args.title, a.check_title, "a title is required") or ""
    a.services = (
        take(",".join(args.service), a.check_services, "name at least one service with --service")
        or []
    )
    a.factors = (
        take(
            ",".join(args.factor),
            a.check_factors,
            "name at least one contributing factor with --factor",
        )
        or []
    )
    a.severity = (
        take(args.severity, a.check_severity, f"severity must be one of {severities}") or ""
    )
    a.kind = take(args.kind, a.check_kind) or KINDS[0]
    a.status = take(args.status, a.check_status) or "draft"
    for name in TIME_FIELDS:
        a.times[name] = take(getattr(args, name), partial(a.check_time, name))
    problems.extend(date_problems)
    return problems


def run(args: argparse.Namespace) -> int:
    """Write the new postmortem, or explain on stderr why not and return EXIT_USAGE."""
    settings = project_settings(args)
    catalog, catalog_findings = catalog_of(settings)
    if any(f.level is Level.ERROR for f in catalog_findings):
        for f in catalog_findings:
            print(f.format_text(), file=sys.stderr)
        return EXIT_USAGE
    answers = Answers(settings, catalog, build_date())
    interactive = sys.stdin.isatty()
    # Options are checked first, all at once: nothing is asked before a wrong one is reported.
    problems = _from_options(args, answers, ask_later=interactive)
    if problems:
        for problem in problems:
            print(printable(f"pmkb new: {problem}"), file=sys.stderr)
        return EXIT_USAGE
    if interactive:
        try:
            _interview(args, answers)
        except (_Stopped, KeyboardInterrupt):
            print("\npmkb new: stopped; nothing was written", file=sys.stderr)
            return EXIT_USAGE
    day = answers.day or answers.today
    path = new_path(settings, answers.title, day)
    if path.exists():
        print(
            f"pmkb new: {settings.display_path(path)} already exists; not overwriting it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_new(
        settings,
        answers.title,
        day,
        answers.severity,
        answers.services,
        answers.factors,
        args.author,
        status=answers.status,
        kind=answers.kind,
        times={name: _shown(t) for name, t in answers.times.items() if t is not None},
    )
    # LF line ends on every platform, like the files pmkb init writes and the examples.
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    print(
        f"Created {printable(settings.display_path(path))}: replace each `> **Guidance:**` line, then run `pmkb check`."
    )
    return EXIT_OK
