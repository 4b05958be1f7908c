"""The `pmkb` command: translates arguments into calls to the core and results into text."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .findings import Finding, Level, format_json
from .knowledge import KnowledgeBase, load
from .project import load_project
from .settings import Settings, SettingsError
from .source import read_source
from .validate import Checker

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmkb",
        description="Postmortem knowledge base: check, write and publish blameless postmortems.",
    )
    parser.add_argument("--version", action="version", version=f"pmkb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check postmortems and catalogs",
        description="Check the named postmortems (default: the whole knowledge base).",
    )
    check.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders to check"
    )
    check.add_argument(
        "--config",
        type=Path,
        help="the mkdocs.yml with the pmkb options (default: ./mkdocs.yml if present)",
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="output format (github: workflow annotations)",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.set_defaults(run=run_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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


def _settings(args: argparse.Namespace) -> Settings:
    return load_project(args.config, Path.cwd())


def _selected(
    kb: KnowledgeBase, paths: list[Path], settings: Settings
) -> tuple[set[str], list[Finding], int]:
    """Displays of the files the user named, findings for named files outside the knowledge base."""
    known = {pm.path.resolve(): pm.display for pm in kb.postmortems}
    known.update({s.path.resolve(): s.display for s in kb.unreadable})
    chosen: set[str] = set()
    extra: list[Finding] = []
    outside = 0
    checker: Checker | None = None
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            chosen.update(d for p, d in known.items() if p.is_relative_to(path))
            continue
        if path in known:
            chosen.add(known[path])
            continue
        display = settings.display_path(path)
        source = read_source(path, display)
        checker = checker or Checker(settings, kb.catalog)
        pm = checker.check(source)
        extra.extend(pm.findings if pm else source.findings)
        chosen.add(display)
        outside += 1
    return chosen, extra, outside


def run_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    kb = load(settings)
    findings = kb.all_findings
    checked = kb.file_count
    if args.paths:
        chosen, extra, _outside = _selected(kb, args.paths, settings)
        catalogs = {
            settings.display_path(settings.services_file),
            settings.display_path(settings.factors_file),
        }
        findings = [f for f in findings if f.path in chosen or f.path in catalogs] + extra
        checked = len(chosen)
    errors = sum(f.level is Level.ERROR for f in findings)
    warnings = sum(f.level is Level.WARNING for f in findings)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "files": checked,
                    "errors": errors,
                    "warnings": warnings,
                    "findings": json.loads(format_json(findings)),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for f in findings:
            print(f.format_github() if args.format == "github" else f.format_text())
        print(f"Checked {checked} postmortem file(s): {errors} error(s), {warnings} warning(s).")
    failed = errors > 0 or (args.strict and warnings > 0)
    return EXIT_FINDINGS if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
