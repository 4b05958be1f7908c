"""What every command shares: exit statuses and the project's settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..findings import printable
from ..read.project import configures_pmkb, load_project
from ..settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
Commands = Any  # argparse's subparsers action, whose class argparse keeps private


def project_settings(args: argparse.Namespace) -> Settings:
    """The settings of the project the command runs in (`--config`, or ./mkdocs.yml)."""
    here = Path.cwd()
    settings = load_project(args.config, here)
    if args.config is None and not settings.postmortems_dir.is_dir():
        # Run from inside a project (postmortems/2025/, say): the defaults, and nothing to read.
        above = next((p for p in here.parents if configures_pmkb(p / "mkdocs.yml")), None)
        if above is not None and not (here / "mkdocs.yml").exists():
            print(
                printable(
                    f"pmkb: no mkdocs.yml here; the project's is {above / 'mkdocs.yml'}: run "
                    f"pmkb in {above}, or give its mkdocs.yml with --config"
                ),
                file=sys.stderr,
            )
    return settings
