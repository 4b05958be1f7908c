"""`pmkb actions`: the action items to follow up, and postmortems stuck before review."""

from __future__ import annotations

import argparse
import re
import sys

from ..analyse.reminders import (
    Filters,
    format_markdown,
    format_text,
    owners,
    report,
    to_json,
)
from ..clock import build_date
from ..findings import printable, safe_json, shorten
from ..read.knowledge import load
from ..suggest import did_you_mean
from .common import EXIT_OK, EXIT_USAGE, Commands, project_settings

_PERIOD = re.compile(r"([0-9]{1,5})([dw])")
_UNIT_DAYS = {"d": 1, "w": 7}


def days(value: str) -> int:
    """A `--due-within` value, `14d` or `2w`, in days; argparse reports a bad one (status 2)."""
    match = _PERIOD.fullmatch(value.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{printable(shorten(value, 40))!r} is not a period: write days or weeks, such as 14d or 2w"
        )
    return int(match.group(1)) * _UNIT_DAYS[match.group(2)]


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    actions = commands.add_parser(
        "actions",
        parents=[project],
        help="list action items to follow up, and postmortems stuck before review",
        description=(
            "List the open and in-progress action items of the postmortems in review or "
            "published, and the postmortems still in draft or in review `stuck_after_days` "
            "after their incident."
        ),
    )
    actions.add_argument("--overdue", action="store_true", help="only items past their due date")
    actions.add_argument(
        "--due-within",
        type=days,
        metavar="PERIOD",
        help="only items due in the next PERIOD (14d, 2w); with --overdue, overdue ones too",
    )
    actions.add_argument(
        "--owner", action="append", default=[], help="only this owner's items (repeatable)"
    )
    actions.add_argument(
        "--service",
        action="append",
        default=[],
        help="only items and postmortems of this service (repeatable)",
    )
    actions.add_argument("--all", action="store_true", help="done and won't-do items too")
    actions.add_argument("--no-stuck", action="store_true", help="leave out the stuck postmortems")
    actions.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    actions.set_defaults(run=run)


def _usage(message: str) -> int:
    print(f"pmkb actions: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args)
    today = build_date()  # a bad SOURCE_DATE_EPOCH is reported by `main`, status 2
    # Only the front matter is listed: bodies are dropped once checked, as `pmkb check` does,
    # and a large knowledge base is read by `workers` processes.
    kb = load(settings, jobs=settings.jobs, text=False)
    # A misspelt name would list nothing and look like good news: it is refused instead. Owners
    # are those of the listed postmortems only, so the suggestion never names a draft's owner.
    known = owners(kb)
    folded = {o.casefold() for o in known}
    for owner in args.owner:
        if owner.casefold() not in folded:
            return _usage(
                f"no action item is owned by `{printable(shorten(owner, 60))}`"
                f"{printable(did_you_mean(owner, known))}"
            )
    services = sorted(kb.catalog.services)
    for service in args.service:
        if service not in kb.catalog.services:
            return _usage(
                f"unknown service `{printable(shorten(service, 60))}`"
                f"{printable(did_you_mean(service, services))}"
            )
    filters = Filters(
        overdue=args.overdue,
        due_within=args.due_within,
        owners=tuple(args.owner),
        services=tuple(args.service),
        every_status=args.all,
    )
    found = report(kb, today, filters, stuck=not args.no_stuck)
    if args.format == "json":
        print(safe_json(to_json(found)))
    elif args.format == "markdown":
        print(format_markdown(found))
    else:
        print(format_text(found))
    return EXIT_OK
