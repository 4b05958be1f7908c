"""`pmkb stats`: the knowledge base's headline figures."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ..analyse.stats import format_figures, headline_figures
from ..clock import build_date
from ..findings import safe_json
from ..model import AUDIENCES
from ..read.knowledge import load
from .common import EXIT_FINDINGS, EXIT_OK, Commands, project_settings


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    stats = commands.add_parser(
        "stats",
        parents=[project],
        help="print the headline figures",
        description="Print the knowledge base's headline figures.",
    )
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.add_argument(
        "--audience",
        choices=AUDIENCES,
        help="count what the site for this audience shows (default: the `audience` option)",
    )
    stats.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args)
    if args.audience is not None:
        settings = replace(settings, audience=args.audience)
    # The figures need no body: front matter only, read in the workers option's processes.
    kb = load(settings, jobs=settings.jobs, text=False)
    if not settings.postmortems_dir.is_dir():
        # No figure to give: zeros would read as a knowledge base with nothing in it.
        for f in kb.findings:
            if f.code == "PMK501" and f.path == settings.display_path(settings.postmortems_dir):
                print(f.format_text(), file=sys.stderr)
        return EXIT_FINDINGS
    figures = headline_figures(kb, build_date())
    if args.format == "json":
        print(safe_json(figures))
    else:
        print(format_figures(figures))
    return EXIT_OK
