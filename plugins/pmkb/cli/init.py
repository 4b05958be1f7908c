"""`pmkb init [DIR]`: a working knowledge base in one command, never overwriting a file.

The files come from `init_files/`, shipped with the package; a few markers (`__SITE_NAME__`,
`__INSTALL__`, ...) are filled in. In an existing MkDocs site only what is missing is added, and
the lines to add to its `mkdocs.yml` are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path

from .. import __version__
from ..clock import build_date
from ..findings import printable
from .common import EXIT_OK, EXIT_USAGE, Commands

# Where the pre-commit hook comes from; docs/adopting.md names the same placeholder.
HOOK_REPO = "https://github.com/your-org/pmkb"

# What to add by hand to an existing mkdocs.yml.
PLUGIN_LINES = """\
plugins:
  - search
  - pmkb:
      postmortems_dir: postmortems"""


@dataclass(frozen=True)
class Planned:
    """One file `pmkb init` may write: its template and where it goes, relative to DIR."""

    template: str
    target: str


PLANNED = (
    Planned("mkdocs.yml", "mkdocs.yml"),
    Planned("docs/index.md", "docs/index.md"),
    Planned("postmortems/services.yml", "postmortems/services.yml"),
    Planned("postmortems/factors.yml", "postmortems/factors.yml"),
    Planned("postmortems/example.md", "postmortems/{year}/{date}-example-config-change.md"),
    Planned("gitignore", ".gitignore"),
    Planned("workflows/pr.yml", ".github/workflows/pr.yml"),
    Planned("workflows/publish.yml", ".github/workflows/publish.yml"),
    Planned("pre-commit-config.yaml", ".pre-commit-config.yaml"),
)


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser to `commands` (`project` is unused: init makes the project)."""
    del project
    init = commands.add_parser(
        "init",
        help="start a knowledge base: mkdocs.yml, catalogs, an example, workflows",
        description="Write a working knowledge base into DIR. Existing files are never overwritten.",
    )
    init.add_argument("dir", nargs="?", default=".", help="where to write (default: here)")
    init.add_argument("--name", help="the site's name (default: the folder's name)")
    init.add_argument(
        "--install",
        default=f"pmkb=={__version__}",
        help=f"the pip requirement the workflows install pmkb with (default: pmkb=={__version__})",
    )
    init.add_argument("--yes", "-y", action="store_true", help="ask nothing")
    init.set_defaults(run=run)


def template_text(name: str) -> str:
    """The text of one shipped template."""
    return (resources.files(__package__) / "init_files" / name).read_text(encoding="utf-8")


def _name(args: argparse.Namespace, root: Path) -> str:
    default = root.resolve().name or "Incident knowledge base"
    if args.name is not None:
        return str(args.name)
    if args.yes or not sys.stdin.isatty():
        return default
    try:
        answer = input(f"Site name [{default}]: ").strip()
    except EOFError:
        answer = ""
    return answer or default


def _has_pmkb(mkdocs_yml: Path) -> bool:
    """Whether an existing mkdocs.yml already lists the pmkb plugin (read as text: MkDocs
    configurations may hold tags that no plain YAML loader reads)."""
    try:
        text = mkdocs_yml.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*-\s*pmkb\s*(:|$)", text, re.MULTILINE) is not None


def _has_postmortems(root: Path) -> bool:
    """Whether the postmortems folder holds any Markdown file already (an example written on
    another day, or real postmortems): then no example is added."""
    folder = root / "postmortems"
    return folder.is_dir() and any(
        p.suffix.lower() in (".md", ".markdown") for p in folder.rglob("*")
    )


def run(args: argparse.Namespace) -> int:
    """Write every missing file; report each one written or skipped."""
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        print(f"pmkb init: {printable(str(root))} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if args.name is not None and not args.name.strip():
        print("pmkb init: --name must not be blank", file=sys.stderr)
        return EXIT_USAGE
    if not args.install.strip() or "\n" in args.install:
        print("pmkb init: --install must be one pip requirement", file=sys.stderr)
        return EXIT_USAGE
    today = build_date()  # a bad SOURCE_DATE_EPOCH is reported by `main`
    existing_site = (root / "mkdocs.yml").exists()
    name = "" if existing_site else _name(args, root)
    day = today - timedelta(days=7)
    markers = {
        "__SITE_NAME__": json.dumps(name, ensure_ascii=False),
        "__TITLE__": " ".join(name.split()),
        "__INSTALL__": json.dumps(args.install.strip()),
        "__HOOK_REPO__": HOOK_REPO,
        "__HOOK_REV__": f"v{__version__}",
        "__DATE__": day.isoformat(),
        "__DUE__": (today + timedelta(days=30)).isoformat(),
    }
    written = 0
    try:
        for planned in PLANNED:
            target = planned.target.format(year=day.year, date=day.isoformat())
            path = root / target
            if path.exists() or path.is_symlink():
                print(f"skipped {target}: it exists")
                continue
            if planned.template == "postmortems/example.md" and _has_postmortems(root):
                print(f"skipped {target}: postmortems/ already holds a postmortem")
                continue
            if existing_site and planned.template == "docs/index.md":
                print(f"skipped {target}: the existing site keeps its own pages")
                continue
            text = template_text(planned.template)
            for marker, value in markers.items():
                text = text.replace(marker, value)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            print(f"wrote {target}")
            written += 1
    except OSError as exc:
        print(f"pmkb init: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if existing_site and not _has_pmkb(root / "mkdocs.yml"):
        print("mkdocs.yml exists and was left alone; add pmkb to it by hand (keep search):")
        print(PLUGIN_LINES)
    where = "" if str(root) == "." else f"cd {shlex.quote(printable(str(root)))} && "
    if written:
        print(f"Next: {where}pmkb check && mkdocs serve")
    else:
        print("Nothing to write: every file exists.")
    return EXIT_OK
