"""`pmkb new`: a new postmortem from the template, asked for interactively when needed."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ..clock import build_date
from ..findings import Level, printable
from ..model import Catalog
from ..read.catalog import catalog_of
from ..settings import Settings
from ..suggest import did_you_mean
from .common import EXIT_OK, EXIT_USAGE, Commands, project_settings
from .new_file import new_path, render_new


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    new = commands.add_parser(
        "new",
        parents=[project],
        help="start a new postmortem from the template",
        description="Create <postmortems_dir>/<year>/<date>-<slug>.md as a draft with every required section.",
    )
    new.add_argument(
        "title", nargs="?", help="what users saw, e.g. 'Checkout errors after database failover'"
    )
    new.add_argument("--service", action="append", default=[], help="a service id (repeatable)")
    new.add_argument(
        "--factor", action="append", default=[], help="a contributing-factor id (repeatable)"
    )
    new.add_argument("--severity", help="e.g. SEV2")
    new.add_argument("--date", help="the day the incident started, YYYY-MM-DD (default: today)")
    new.add_argument("--author", action="append", default=[], help="an author's name (repeatable)")
    new.set_defaults(run=run)


def _ask(prompt: str, choices: list[str] | None = None) -> str:
    hint = (
        f" ({', '.join(choices[:12])}{', ...' if choices and len(choices) > 12 else ''})"
        if choices
        else ""
    )
    try:
        return input(f"{prompt}{hint}: ").strip()
    except EOFError:
        return ""


def run(args: argparse.Namespace) -> int:
    """Write the new postmortem, or explain on stderr why not and return EXIT_USAGE."""
    settings = project_settings(args)
    catalog, catalog_findings = catalog_of(settings)
    if any(f.level is Level.ERROR for f in catalog_findings):
        for f in catalog_findings:
            print(f.format_text(), file=sys.stderr)
        return EXIT_USAGE
    title, services, factors, severity = _answers(args, settings, catalog)
    problems = _problems(title, services, factors, severity, settings, catalog)
    try:
        day = date.fromisoformat(args.date) if args.date else build_date()
    except ValueError:
        problems.append(f"--date {args.date!r} is not a YYYY-MM-DD date")
        day = build_date()
    if problems:
        for problem in problems:
            print(printable(f"pmkb new: {problem}"), file=sys.stderr)
        return EXIT_USAGE
    services = list(dict.fromkeys(services))
    factors = list(dict.fromkeys(catalog.factor_alias(f) or f for f in factors))
    path = new_path(settings, title, day)
    if path.exists():
        print(
            f"pmkb new: {settings.display_path(path)} already exists; not overwriting it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_new(
        settings, " ".join(title.split()), day, severity, services, factors, args.author
    )
    # LF line ends on every platform, like the files pmkb init writes and the examples.
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    print(
        f"Created {printable(settings.display_path(path))}: replace each `> **Guidance:**` line, then run `pmkb check`."
    )
    return EXIT_OK


def _answers(
    args: argparse.Namespace, settings: Settings, catalog: Catalog
) -> tuple[str, list[str], list[str], str]:
    """Title, services, factors and severity: from the options, else asked on a terminal."""
    interactive = sys.stdin.isatty()
    title = args.title or (_ask("Title") if interactive else "")
    services = args.service or (
        _ask_list("Services", sorted(catalog.services)) if interactive else []
    )
    factors = args.factor or (
        _ask_list("Contributing factors", sorted(catalog.factors)) if interactive else []
    )
    severity = args.severity or (_ask("Severity", list(settings.severities)) if interactive else "")
    return title, services, factors, severity


def _ask_list(prompt: str, choices: list[str]) -> list[str]:
    """The comma-separated answer's items, blanks left out."""
    return [item.strip() for item in _ask(prompt, choices).split(",") if item.strip()]


def _problems(
    title: str,
    services: list[str],
    factors: list[str],
    severity: str,
    settings: Settings,
    catalog: Catalog,
) -> list[str]:
    """What is missing or unknown among the answers, in the order they were asked."""
    problems = []
    if not title.strip():
        problems.append("a title is required")
    for ident in services:
        if ident not in catalog.services:
            problems.append(f"unknown service `{ident}`{did_you_mean(ident, catalog.services)}")
    if not services:
        problems.append("name at least one service with --service")
    for ident in factors:
        if ident not in catalog.factors and not catalog.factor_alias(ident):
            problems.append(
                f"unknown contributing factor `{ident}`{did_you_mean(ident, [*catalog.factors, *catalog.alias_map])}"
            )
    if not factors:
        problems.append("name at least one contributing factor with --factor")
    if severity not in settings.severities:
        problems.append(
            f"severity must be one of {', '.join(settings.severities)}{did_you_mean(severity, settings.severities) if severity else ''}"
        )
    return problems
