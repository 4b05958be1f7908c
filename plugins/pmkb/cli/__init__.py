"""The `pmkb` command: translates arguments into calls to the core and results into text.

One module per command (`init`, `check`, `new`, `import_`, `schema`, `stats`, `actions`,
`generate`), each adding its parser and running it; `common` holds what they share.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..settings import SettingsError
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]

# Each command's name, and the module that adds it, in the order `pmkb --help` lists them.
COMMANDS = {
    "init": "init",
    "check": "check",
    "new": "new",
    "import": "import_",
    "schema": "schema",
    "stats": "stats",
    "actions": "actions",
    "generate": "generate",
}


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The command line's parser. Only the named command's module is imported when the first
    argument names one: a pre-commit hook or an editor runs `pmkb check FILE` on every save, and
    importing the other commands (the import mappings, the statistics) took half its time."""
    parser = argparse.ArgumentParser(
        prog="pmkb",
        description="Postmortem knowledge base: check, write and publish blameless postmortems.",
    )
    parser.add_argument("--version", action="version", version=f"pmkb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Every command reads the same project settings.
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument(
        "--config",
        type=Path,
        help="the mkdocs.yml with the pmkb options (default: ./mkdocs.yml if present)",
    )
    named = [argv[0]] if argv and argv[0] in COMMANDS else COMMANDS
    for name in named:
        importlib.import_module(f".{COMMANDS[name]}", __name__).add_to(commands, project)
    return parser


def _unicode_output() -> None:
    """Make stdout and stderr able to print any character a postmortem holds.

    Where Python writes a legacy code page (Windows, with the output redirected to a file or a
    pipe: cp1252), a title or service name with a character outside it would end the command
    with a UnicodeEncodeError. Redirected output is UTF-8 (what JSON, GitHub's annotations and
    editors read); a terminal keeps its encoding and shows such characters as escapes.
    """
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue  # not a standard text stream: whoever replaced it decides
        with contextlib.suppress(LookupError, ValueError):
            if codecs.lookup(stream.encoding).name == "utf-8":
                continue
            if stream.isatty():
                stream.reconfigure(errors="backslashreplace")
            else:
                stream.reconfigure(encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    _unicode_output()
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.run(args))
    except SettingsError as exc:
        for f in exc.findings:
            print(f.format_text(), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`pmkb schema | head`): no traceback, and none at exit either.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
