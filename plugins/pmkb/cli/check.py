"""`pmkb check`: the findings of the whole knowledge base or of the files named."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..findings import Finding, Level, finding, printable, safe_json
from ..git import GitError
from ..paths import resolved
from ..read.knowledge import KnowledgeBase, ignored_files, load, markdown_in
from ..read.project import configuration_files
from ..read.source import read_source
from ..read.validate import Checker
from ..settings import Settings, SettingsError
from .changes import changed_since
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Commands, project_settings

# The findings of a postmortem that a catalog decides: an unknown service, or one whose
# visibility narrows the postmortem's (and a public postmortem with no external summary, which a
# service made public can make); an unknown factor, or an alias. Whatever an edit of that catalog
# does to a postmortem (an entry removed or renamed, a service's visibility changed, an alias
# removed or moved to another factor) shows as one of them.
SERVICE_REFERENCES = frozenset({"PMK109", "PMK119", "PMK120"})
FACTOR_REFERENCES = frozenset({"PMK110", "PMK111"})


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    check = commands.add_parser(
        "check",
        parents=[project],
        help="check postmortems and catalogs",
        description="Check the named postmortems (default: the whole knowledge base).",
    )
    check.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders to check"
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="output format (github: workflow annotations)",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes that read and check files (default: one per CPU, from 400 files on)",
    )
    check.add_argument(
        "--changed-since",
        metavar="REF",
        help=(
            "check only postmortems changed since this git ref, and those a changed catalog"
            " affects (ids and catalogs still checked in full)"
        ),
    )
    check.set_defaults(run=run)


def _selected(
    kb: KnowledgeBase, paths: list[Path], settings: Settings
) -> tuple[set[str], list[Finding], int]:
    """The displays whose findings the user asked for by naming `paths`, findings for named
    files outside the knowledge base, and how many postmortem files that is.

    A file or folder in the postmortems folder gets what the full check says of it: a postmortem
    its findings; one the walk does not read (hidden, a link, a README) what the walk said of
    it, or of the hidden or linked folder on its way; a folder every finding in it. A file the
    walk ignored as no postmortem gets the PMK011 the walk put on the postmortems folder, and a
    folder in it one for the ignored files it holds. A folder holding the project gets every
    finding. A page of docs_dir gets what the check says of it.
    Any other file is read and checked on its own."""
    # Found under the resolved postmortems folder, links not followed: resolved already.
    known = {pm.path: pm.display for pm in kb.postmortems}
    known.update({s.path: s.display for s in kb.unreadable})
    everything = kb.all_findings
    display = settings.display_path
    chosen: set[str] = set()
    counted: set[Path] = set()
    # By the path named: a file outside, checked once, or one the walk ignored, or a folder of them.
    extra: dict[str, list[Finding]] = {}
    checker: Checker | None = None
    ignored = set(kb.ignored)
    # The named files the walk ignored, and the named folders holding some: each such file is
    # listed once, on the widest of them (see `_ignored_named`).
    ignoring: list[Path] = []

    def folder_chosen(folder: Path) -> None:
        if settings.root.is_relative_to(folder):
            inside = list(known)
            chosen.update(f.path for f in everything)
        else:
            inside = [p for p in known if p.is_relative_to(folder)]
            # A finding's display is relative to the project's (resolved) root, or absolute.
            chosen.update(
                f.path for f in everything if (settings.root / f.path).is_relative_to(folder)
            )
            # The walk lists the files it ignored on the postmortems folder, chosen only when
            # `folder` holds it: those in `folder` are listed on it, or they pass in silence.
            if not settings.postmortems_dir.is_relative_to(folder):
                ignoring.append(folder)
        counted.update(inside)
        chosen.update(known[p] for p in inside)

    outside, walked = _markdown_outside(paths, settings)
    for found in walked:  # what reading those folders as the postmortems folder is read says
        extra.setdefault(found.path, []).append(found)
        chosen.add(found.path)
    for raw in [*paths, *outside]:
        absolute = _in_project(raw.absolute(), settings.root)
        try:
            link = _first_link(absolute, settings.root)
            if link is not None:
                at = Path(os.path.normpath(link))  # no link before it: `..` is only spelling
                # The walk went no further than the link, or a hidden folder before it.
                if _chosen_in_knowledge_base(at, settings, known, chosen, counted, folder_chosen):
                    continue
            else:
                # No link on the way below the project: the path is what it spells.
                lexical = absolute.is_relative_to(settings.root)
                path = Path(os.path.normpath(absolute)) if lexical else resolved(absolute)
                if path in (settings.services_file, settings.factors_file):
                    continue  # catalogs are always checked
                if path in ignored:
                    # Listed on the postmortems folder, which may not be chosen: a file named
                    # and not checked would pass in silence.
                    ignoring.append(path)
                    continue
                if _chosen_in_knowledge_base(path, settings, known, chosen, counted, folder_chosen):
                    continue
                if path.is_dir():
                    folder_chosen(path)
                    continue
                docs = settings.docs_dir
                if docs is not None and path.is_relative_to(docs) and path.exists():
                    chosen.add(display(path))
                    continue
        except OSError:
            link = None  # read below, which says why it cannot be
        shown = printable(display(absolute if link is not None else resolved(absolute)))
        chosen.add(shown)
        if shown in extra:
            continue
        if link is not None:
            # A link could lead anywhere, and its target's contents would be quoted in findings
            # that CI logs publish.
            extra[shown] = [finding(shown, 1, 1, "PMK010", "symbolic link: not followed")]
            continue
        path = resolved(absolute)
        source = read_source(path, shown)
        checker = checker or Checker(settings, kb.full_catalog)
        pm = checker.check(source)
        extra[shown] = list(pm.findings if pm else source.findings)
        counted.add(path)
    if display(settings.postmortems_dir) not in chosen:  # else its PMK011 lists them all
        extra.update(_ignored_named(ignoring, kb.ignored, display))
    return chosen, [f for found in extra.values() for f in found], len(counted)


def _markdown_outside(paths: list[Path], settings: Settings) -> tuple[list[Path], list[Finding]]:
    """The postmortems of the named folders that are not the knowledge base's (a `drafts/`
    folder, say), each to be checked on its own as a file named there is, not passed over; and
    what reading them as the postmortems folder is read says (links, hidden Markdown, files that
    are not postmortems). Not docs_dir, whose pages are no postmortems."""
    found: list[Path] = []
    findings: list[Finding] = []
    walked: list[Path] = []
    # A folder holding the project, the postmortems or the pages is the full check's.
    held = [settings.root, settings.postmortems_dir, settings.docs_dir]
    for raw in paths:
        named = _in_project(Path(os.path.normpath(raw.absolute())), settings.root)
        if not named.is_dir() or _first_link(named, settings.root) is not None:
            continue  # a link on the way is reported on the folder named, and not followed
        # Compared resolved, as the settings' folders are: `$PWD` may lead through a link.
        folder = resolved(named)
        docs = settings.docs_dir
        if (
            any(p is not None and p.is_relative_to(folder) for p in held)
            or folder.is_relative_to(settings.postmortems_dir)
            or (docs is not None and folder.is_relative_to(docs))
        ):
            continue
        walked.append(folder)
    # Each folder walked once, the widest named: a finding of a folder named twice (`drafts`,
    # `drafts/sub`) is reported once.
    for folder in dict.fromkeys(walked):
        if any(other != folder and folder.is_relative_to(other) for other in walked):
            continue
        files, _, said = markdown_in(folder, settings)
        found += files
        findings += said
    return found, findings


def _ignored_named(
    named: list[Path], ignored: tuple[Path, ...], display: Callable[[Path], str]
) -> dict[str, list[Finding]]:
    """A PMK011 on each named file or folder of the postmortems folder (the folder itself not
    named) for the files the walk ignored there, each file listed once: on the widest of the
    named paths that holds it."""
    widest = [
        p for p in dict.fromkeys(named) if not any(p != o and p.is_relative_to(o) for o in named)
    ]
    found: dict[str, list[Finding]] = {}
    for at in widest:
        held = [display(p) for p in ignored if p.is_relative_to(at)]
        if held:
            found[display(at)] = [ignored_files(display(at), held)]
    return found


def _chosen_in_knowledge_base(
    path: Path,
    settings: Settings,
    known: dict[Path, str],
    chosen: set[str],
    counted: set[Path],
    folder_chosen: Callable[[Path], None],
) -> bool:
    """For `path` in the postmortems folder (no link on the way), choose what the full check says
    of it, as the walk reaches it: a hidden folder on the way stops it. False: `path` is not in
    the folder, or does not exist (it is then read, and reported unreadable)."""
    folder = settings.postmortems_dir
    if not path.is_relative_to(folder):
        return False
    names = path.relative_to(folder).parts
    here = folder
    for name in names[:-1]:
        here = here / name
        if name.startswith("."):
            chosen.add(settings.display_path(here))
            return True
    if path.is_symlink() or (names and names[-1].startswith(".")):
        chosen.add(settings.display_path(path))
    elif path.is_dir():
        folder_chosen(path)
    elif path in known:
        chosen.add(known[path])
        counted.add(path)
    elif path.exists():
        chosen.add(settings.display_path(path))  # not a postmortem's name: what the walk said
    else:
        return False
    return True


def _first_link(path: Path, root: Path) -> Path | None:
    """The first symbolic link on the way from `root` down to `path` (absolute, as written), or
    `path` itself when it lies outside `root` and is a link; None when there is none."""
    if not path.is_relative_to(root):
        return path if path.is_symlink() else None
    here = root
    for name in path.relative_to(root).parts:
        here = here / name
        if here.is_symlink():
            return here
    return None


def _in_project(path: Path, root: Path) -> Path:
    """`path` spelt from the project's folder `root` (resolved) when it leads there through a link
    above it (`$PWD`, macOS's /tmp), so that the links below it count and findings name it as
    from inside; else as it is. The outermost folder that leads to the project is taken: a link
    in the project back to it is one of those below."""
    if path.is_relative_to(root):
        return path
    project = next((folder for folder in reversed(path.parents) if _is_folder(folder, root)), None)
    return path if project is None else root / path.relative_to(project)


def _is_folder(path: Path, folder: Path) -> bool:
    """Whether `path` leads to `folder` (resolved)."""
    try:
        return resolved(path) == folder
    except OSError:
        return False


def _catalogs(settings: Settings) -> set[Path]:
    """The two catalog files, resolved as `changed_since` and `_selected` resolve paths."""
    return {resolved(settings.services_file), resolved(settings.factors_file)}


def run(args: argparse.Namespace) -> int:
    try:
        return _checked(args)
    except SettingsError as exc:
        if args.format == "text":
            raise  # printed as every command prints it
        # In the format asked for: a workflow's annotations, or the document a script reads.
        findings = exc.findings
        if args.format == "json":
            document = {
                "files": 0,
                "errors": sum(f.level is Level.ERROR for f in findings),
                "warnings": sum(f.level is Level.WARNING for f in findings),
                "findings": [f.to_json() for f in findings],
                "postmortems": [],
            }
            print(safe_json(document))
        else:
            for f in findings:
                print(f.format_github())
        return EXIT_USAGE


def _checked(args: argparse.Namespace) -> int:
    settings = project_settings(args)
    paths = list(args.paths)
    catalog_files = _catalogs(settings)
    reconfigured = False
    if args.changed_since is not None:
        try:
            changed, deleted = changed_since(args.changed_since, settings.root)
        except GitError as exc:
            print(printable(f"pmkb: --changed-since {args.changed_since}: {exc}"), file=sys.stderr)
            return EXIT_USAGE
        # pmkb's options changed (`review_required_for`, a custom field), in the configuration
        # or a file it inherits: any file's findings may have, and the check is the full one.
        # Git names a file as itself, and a link as the link.
        touched = {*changed, *deleted}
        reconfigured = any(
            resolved(file.parent) / file.name in touched or resolved(file) in touched
            for file in configuration_files(Path(args.config or "mkdocs.yml").absolute())
        )
        # Every changed file in the knowledge base's folder: what the full check says of each (a
        # file it does not read as a postmortem included) is what `_selected` chooses; the same
        # in docs_dir (a page there may take an incident's address).
        folders = [settings.postmortems_dir, *([settings.docs_dir] if settings.docs_dir else [])]
        # A catalog changed as its file or as the file it leads to (one made a link, say) is
        # named as the catalog, which is checked as one, never as a postmortem.
        catalog_paths = (settings.services_file, settings.factors_file)
        catalog_named = {p: c for c in catalog_paths for p in (c, resolved(c))}
        paths.extend(
            p
            for p in changed
            if any(p.is_relative_to(f) for f in folders) and p not in catalog_named
        )
        # A deleted file has nothing left to check, but a catalog deleted (or renamed away) is a
        # catalog edit: each postmortem naming its entries fails, as in the full check.
        paths.extend(catalog_named[p] for p in [*changed, *deleted] if p in catalog_named)
    edited = {resolved(p) for p in paths} & catalog_files
    # Named files (a pre-commit hook, an editor) are checked in full and the others known from
    # the check index; a catalog edit can affect any postmortem, so then every one is checked.
    chosen_only = (args.paths or args.changed_since is not None) and not reconfigured
    selective = chosen_only and not edited
    kb = load(
        settings,
        jobs=args.jobs or settings.jobs,
        text=False,
        only=paths if selective else None,
        indexes=True,
    )
    findings = kb.all_findings
    checked = kb.file_count
    listed = kb.postmortems
    if edited:
        # A catalog edit can break postmortems nobody touched: every one was read and checked
        # above, with the edited catalogs, and those it no longer resolves cleanly are chosen.
        codes = (SERVICE_REFERENCES if resolved(settings.services_file) in edited else set()) | (
            FACTOR_REFERENCES if resolved(settings.factors_file) in edited else set()
        )
        paths.extend(pm.path for pm in kb.postmortems if any(f.code in codes for f in pm.findings))
    if chosen_only:
        chosen, extra, checked = _selected(kb, paths, settings)
        catalogs = {
            settings.display_path(settings.services_file),
            settings.display_path(settings.factors_file),
        }
        # An id taken by a chosen file is contested wherever the other file is: PMK112 lands on the
        # later file by path, which may be one that was not chosen.
        ids = {pm.display: pm.id for pm in kb.postmortems}
        chosen_ids = {ids[d] for d in chosen if d in ids}
        concerned = chosen | catalogs
        findings = [
            f
            for f in findings
            if f.path in chosen
            or f.path in catalogs
            or (f.code == "PMK112" and ids.get(f.path) in chosen_ids)
            or kb.concerning.get(f) in concerned
        ] + extra
        listed = tuple(pm for pm in kb.postmortems if pm.display in chosen)
    errors = sum(f.level is Level.ERROR for f in findings)
    warnings = sum(f.level is Level.WARNING for f in findings)
    if args.format == "json":
        print(
            safe_json(
                {
                    "files": checked,
                    "errors": errors,
                    "warnings": warnings,
                    "findings": [f.to_json() for f in findings],
                    "postmortems": [
                        {
                            "path": pm.display,
                            "id": pm.id,
                            "visibility": pm.visibility,
                            "audiences": list(kb.audiences(pm)),
                        }
                        for pm in listed
                    ],
                }
            )
        )
    else:
        for f in findings:
            print(f.format_github() if args.format == "github" else f.format_text())
        print(f"Checked {checked} postmortem file(s): {errors} error(s), {warnings} warning(s).")
    failed = errors > 0 or (args.strict and warnings > 0)
    return EXIT_FINDINGS if failed else EXIT_OK
