"""`pmkb import SRC...`: postmortems of another archive written as pmkb's, with a report."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from ..findings import RULES, Level, printable
from ..imports.batch import ImportReport, run_import
from ..imports.mapping import ImportMapping, read_mapping
from ..paths import resolved
from ..settings import Settings
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, Commands, project_settings
from .new_file import new_path, slugify

_DONE = {"written": "wrote", "unchanged": "unchanged", "skipped": "skipped"}


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
    command = commands.add_parser(
        "import",
        parents=[project],
        help="write the postmortems of another archive as pmkb postmortems",
        description="Read each source file (YAML, TOML or JSON front matter, or none), map its "
        "fields and headings by the mapping file, and write it as a pmkb postmortem. No file "
        "is overwritten; running again with the same input changes nothing.",
    )
    command.add_argument(
        "sources", nargs="+", type=Path, metavar="SRC", help="files or folders to import"
    )
    add_options(command)
    command.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="the folder to write into (default: the postmortems folder)",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="report what would be written; write nothing"
    )
    command.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes that read and convert the sources and check what is written (default: one per CPU, from 400 files on)",
    )
    command.set_defaults(run=run)


def add_options(command: argparse.ArgumentParser) -> None:
    """The options `pmkb init --import` shares."""
    command.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="how the sources' fields and headings become pmkb's (default: they are pmkb's)",
    )
    command.add_argument(
        "--add-to-catalog",
        action="store_true",
        help="add the services and factors the catalogs lack, named as the sources name them",
    )


def mapping_of(path: Path | None) -> ImportMapping | None:
    """The mapping named, or the empty one; None, its problems printed, if it has any."""
    if path is None:
        return ImportMapping()
    mapping, findings = read_mapping(path, path.as_posix())
    for f in findings:
        print(f.format_text(), file=sys.stderr)
    if mapping is None:
        print("pmkb import: the mapping has problems; nothing was imported", file=sys.stderr)
    return mapping


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args)
    if args.out is not None:
        settings = replace(settings, postmortems_dir=resolved(args.out))
    mapping = mapping_of(args.mapping)
    if mapping is None:
        return EXIT_USAGE
    return import_into(
        settings, mapping, args, dry_run=args.dry_run, jobs=args.jobs or settings.jobs
    )


def import_into(
    settings: Settings,
    mapping: ImportMapping,
    args: argparse.Namespace,
    *,
    dry_run: bool,
    jobs: int,
) -> int:
    """Run the import of `args.sources` into the knowledge base of `settings`, and report it."""

    def place(title: str, day: date | None) -> Path:
        if day is None:
            return settings.postmortems_dir / f"{slugify(title)}.md"
        return new_path(settings, title, day)

    report = run_import(
        settings,
        mapping,
        args.sources,
        place=place,
        slug=slugify,
        add_to_catalog=args.add_to_catalog,
        dry_run=dry_run,
        jobs=jobs,
    )
    print_report(report, dry_run)
    return EXIT_FINDINGS if report.failed else EXIT_OK


def print_report(report: ImportReport, dry_run: bool) -> None:
    for outcome in report.outcomes:
        verb = "would write" if dry_run and outcome.action == "written" else _DONE[outcome.action]
        if outcome.action == "skipped":
            line = f"skipped {outcome.source}: {outcome.reason}"
        elif outcome.action == "unchanged":
            line = f"unchanged {outcome.target} (imported before from {outcome.source})"
        else:
            line = f"{verb} {outcome.target} (from {outcome.source})"
        print(printable(line))
    for f in report.findings:
        print(f.format_text())
    for added in report.added:
        kind = "service" if added.key == "services" else "contributing factor"
        verb = "would add" if dry_run else "added"
        print(printable(f"{verb} {kind} `{added.id}` ({added.name}) to {added.catalog}"))
    read = len(report.outcomes)
    written = report.count("written")
    print(
        f"Read {read} file(s): {written} {'to write' if dry_run else 'written'}, "
        f"{report.count('unchanged')} imported before, {report.count('skipped')} skipped."
    )
    if written and not dry_run:
        errors = sum(f.level is Level.ERROR for f in report.checked)
        warnings = sum(f.level is Level.WARNING for f in report.checked)
        print(
            f"pmkb check on the {written} file(s) written: {errors} error(s), "
            f"{warnings} warning(s); run `pmkb check` for each one."
        )
        for code, count in sorted(Counter(f.code for f in report.checked).items()):
            rule = RULES.get(code)
            summary = f" {rule.summary}" if rule else ""
            print(f"  {code} x{count}{summary}")
