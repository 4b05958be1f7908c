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
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .. import __version__
from ..clock import build_date
from ..findings import printable
from ..paths import resolved
from ..read.project import load_project
from . import import_
from .common import EXIT_OK, EXIT_USAGE, Commands

# The project's repository: where the pre-commit hook comes from, and what pyproject.toml's
# [project.urls] name (tests/test_install.py holds the two together).
REPO_URL = "https://github.com/pmkb/pmkb"

# The two pinned forms of --install: a released version, or a commit (or tag) of a git
# repository. A branch or a version range would let CI install something else tomorrow.
# Spaces only, never a line break: the requirement is written as one line of a file.
_VERSION_PIN = re.compile(r"pmkb *== *(\d[\w.!+-]*)")
_GIT_PIN = re.compile(r"pmkb *@ *git\+(https://[^\s@#]+)@([0-9a-f]{40}|v\d[\w.+-]*)")

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
    Planned("mkdocs.public.yml", "mkdocs.public.yml"),
    Planned("docs/index.md", "docs/index.md"),
    Planned("postmortems/services.yml", "postmortems/services.yml"),
    Planned("postmortems/factors.yml", "postmortems/factors.yml"),
    Planned("postmortems/example.md", "postmortems/{year}/{date}-example-config-change.md"),
    Planned("gitignore", ".gitignore"),
    Planned("gitattributes", ".gitattributes"),
    Planned("pmkb-requirements.txt", ".github/pmkb-requirements.txt"),
    Planned("workflows/pr.yml", ".github/workflows/pr.yml"),
    Planned("workflows/publish.yml", ".github/workflows/publish.yml"),
    Planned("workflows/reminders.yml", ".github/workflows/reminders.yml"),
    Planned("pre-commit-config.yaml", ".pre-commit-config.yaml"),
)

# The files that name which pmkb to install.
PINNING = ("pmkb-requirements.txt", "pre-commit-config.yaml")


def _quoted(argument: str) -> str:
    """`argument` as the platform's shells read it as one word: Windows' cmd and PowerShell do
    not take POSIX shells' single quotes."""
    if sys.platform == "win32":
        # Double quotes, always: cmd reads `&` or `^` in a bare word as its own.
        return '"' + argument.replace('"', '""') + '"'
    return shlex.quote(argument)


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
        metavar="SPEC",
        help=(
            "the pinned pip requirement the workflows and the pre-commit hook install: "
            f"pmkb==VERSION or 'pmkb @ git+{REPO_URL}@COMMIT' (default: the commit this pmkb "
            f"was installed from, else pmkb=={__version__})"
        ),
    )
    init.add_argument("--yes", "-y", action="store_true", help="ask nothing")
    init.add_argument(
        "--import",
        dest="sources",
        action="append",
        type=Path,
        metavar="SRC",
        help="then import the postmortems of this file or folder, as `pmkb import` (repeatable)",
    )
    import_.add_options(init)
    init.set_defaults(run=run)


def template_text(name: str) -> str:
    """The text of one shipped template."""
    return (resources.files(__package__) / "init_files" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Install:
    """Which pmkb the generated files install: the pip requirement of the workflows, and the
    repository and revision of the pre-commit hook, all naming the same release or commit."""

    spec: str
    hook_repo: str
    hook_rev: str


def pinned(spec: str) -> Install | None:
    """The install a pinned requirement stands for; None if `spec` is not pinned."""
    spec = spec.strip()
    if match := _VERSION_PIN.fullmatch(spec):
        return Install(spec, REPO_URL, f"v{match.group(1)}")
    if match := _GIT_PIN.fullmatch(spec):
        return Install(spec, match.group(1), match.group(2))
    return None


def _installed_from() -> dict[str, Any] | None:
    """Where this pmkb was installed from (PEP 610's direct_url.json), or None when it came from
    a package index (pip writes the file only for other sources)."""
    try:
        text = metadata.distribution("pmkb").read_text("direct_url.json")
        data = json.loads(text) if text else None
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def default_install() -> tuple[Install, str]:
    """The install the generated files use without --install, and a note to print about it.

    A pmkb installed from a git commit pins that commit: it is the one known to work, and it
    works before any release. Otherwise the version, which exists on the index pmkb came from;
    a pmkb from a local folder or wheel may be a version not released yet, and the note says so.
    """
    source = _installed_from()
    vcs = source.get("vcs_info") if source else None
    url = str(source.get("url", "")) if source else ""
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        install = pinned(f"pmkb @ git+{url}@{vcs.get('commit_id', '')}")
        if install is not None:
            return install, ""
    install = pinned(f"pmkb=={__version__}")
    assert install is not None  # the package's own version is a version
    if source is None:
        return install, ""
    return install, (
        f"Note: this pmkb was installed from {printable(url) or 'a local source'}, not from PyPI;"
        f" the workflows install `{install.spec}` and the pre-commit hook takes pmkb's tag"
        f" `{install.hook_rev}`, which need that release. Until then,"
        f" run `pmkb init --install {_quoted(f'pmkb @ git+{REPO_URL}@COMMIT')}` with a commit of pmkb"
        " (in a new folder, or after deleting the files written)."
    )


def _name(args: argparse.Namespace, root: Path) -> str:
    default = resolved(root).name or "Incident knowledge base"
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
    # In a list of plugins (`- pmkb:`) or a mapping of them (`pmkb:`), as `pmkb init` writes it.
    return re.search(r"^\s*(-\s*)?pmkb\s*(:|$)", text, re.MULTILINE) is not None


def _sets(mkdocs_yml: Path, key: str) -> bool:
    """Whether an existing mkdocs.yml sets `key` at its top level (read as text, as `_has_pmkb`
    reads it; not the files it inherits)."""
    try:
        text = mkdocs_yml.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    return re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE) is not None


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
    install, note = default_install()
    if args.install is not None:
        chosen, note = pinned(args.install), ""
        if chosen is None:
            print(
                f"pmkb init: --install {printable(args.install)!r} is not pinned; give a version,"
                f" `pmkb==1.2.3`, or a commit, `pmkb @ git+{REPO_URL}@<40-hex commit>`",
                file=sys.stderr,
            )
            return EXIT_USAGE
        install = chosen
    mapping = import_.mapping_of(args.mapping) if args.sources else None
    if args.sources and mapping is None:
        return EXIT_USAGE
    today = build_date()  # a bad SOURCE_DATE_EPOCH is reported by `main`
    existing_site = (root / "mkdocs.yml").exists()
    name = "" if existing_site else _name(args, root)
    day = today - timedelta(days=7)
    markers = {
        "__SITE_NAME__": json.dumps(name, ensure_ascii=False),
        "__TITLE__": " ".join(name.split()),
        "__INSTALL__": install.spec,
        "__HOOK_REPO__": install.hook_repo,
        "__REPO_URL__": REPO_URL,
        "__HOOK_REV__": install.hook_rev,
        "__DATE__": day.isoformat(),
        "__DUE__": (today + timedelta(days=30)).isoformat(),
    }
    written = 0
    pins = False  # whether a file written names the pmkb to install
    publishes = False  # whether the publish workflow, which sets SITE_URL, was written
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
            if planned.template == "postmortems/example.md" and args.sources:
                # The archive's own postmortems are the examples; a made-up one would be counted
                # with them in every listing and trend.
                print(f"skipped {target}: postmortems are imported instead")
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
            publishes |= planned.template == "workflows/publish.yml"
            pins |= planned.template in PINNING
    except OSError as exc:
        print(f"pmkb init: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if existing_site and not _has_pmkb(root / "mkdocs.yml"):
        print("mkdocs.yml exists and was left alone; add pmkb to it by hand (keep search):")
        print(PLUGIN_LINES)
    if existing_site and publishes and not _sets(root / "mkdocs.yml", "site_url"):
        print(
            "mkdocs.yml sets no site_url: add `site_url: !ENV SITE_URL`, which the publish "
            "workflow sets to the site's address (its feeds and 404 page need it)"
        )
    if mapping is not None:
        # The knowledge base just written is the one imported into, whatever the current folder.
        settings = load_project(None, resolved(root))
        status = import_.import_into(settings, mapping, args, dry_run=False, jobs=settings.jobs)
        if status != EXIT_OK:
            return status
    if written:
        if note and pins:
            print(note)
        # A command a line: `&&` is an error in Windows PowerShell 5.1, Windows' own.
        where = [] if str(root) == "." else [f"cd {_quoted(printable(str(root)))}"]
        print("Next:")
        # --dirty: a save rebuilds the incident and the pages that list it, not the whole site
        # (at 5,000 postmortems, about a second from save to page against eight).
        for command in [*where, "pmkb check", "mkdocs serve --dirty"]:
            print(f"  {command}")
    else:
        print("Nothing to write: every file exists.")
    return EXIT_OK
