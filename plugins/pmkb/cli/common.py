"""What every command shares: exit statuses and the project's settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..read.project import load_project
from ..settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
Commands = Any  # argparse's subparsers action, whose class argparse keeps private


def project_settings(args: argparse.Namespace) -> Settings:
    """The settings of the project the command runs in (`--config`, or ./mkdocs.yml)."""
    return load_project(args.config, Path.cwd())
