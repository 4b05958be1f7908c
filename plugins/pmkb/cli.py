"""The `pmkb` command: translates arguments into calls to the core and results into text."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from . import __version__
from .catalog import load_catalog
from .changes import ChangesError, changed_since
from .clock import build_date
from .findings import Finding, Level, finding, printable, safe_json
from .knowledge import MARKDOWN, KnowledgeBase, load
from .project import load_project
from .schema import json_schema
from .settings import Settings, SettingsError
from .source import read_source
from .stats import format_figures, headline_figures
from .suggest import did_you_mean
from .template import new_path, render_new
from .validate import Checker

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
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
        help="check only postmortems changed since this git ref (ids and catalogs still checked in full)",
    )
    check.set_defaults(run=run_check)

    new = commands.add_parser(
        "new",
        parents=[project],
        help="start a new postmortem from the template",
        description="Create <postmortems_dir>/<year>/<date>-<slug>.md as a draft with every required section.",
    )
    new.add_argument(
        "title", nargs="?", help="what users saw, e.g. 'Checkout errors after database failover'"
    )
    new.add_argument("--service", action="append", default=[], help="a service id (repeatable)")
    new.add_argument(
        "--factor", action="append", default=[], help="a contributing-factor id (repeatable)"
    )
    new.add_argument("--severity", help="e.g. SEV2")
    new.add_argument("--date", help="the day the incident started, YYYY-MM-DD (default: today)")
    new.add_argument("--author", action="append", default=[], help="an author's name (repeatable)")
    new.set_defaults(run=run_new)

    schema = commands.add_parser(
        "schema",
        parents=[project],
        help="print the JSON Schema of the front matter",
        description="Print the JSON Schema of a postmortem's front matter, with the catalog ids.",
    )
    schema.set_defaults(run=run_schema)

    stats = commands.add_parser(
        "stats",
        parents=[project],
        help="print the headline figures",
        description="Print the knowledge base's headline figures.",
    )
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.set_defaults(run=run_stats)

    gen = commands.add_parser(
        "generate",
        parents=[project],
        help="write the knowledge base as plain Markdown files",
        description="Write OUT/docs (the project's pages and every generated page) and OUT/mkdocs.yml, "
        "for site engines that run no MkDocs plugins (Zensical, MkDocs without pmkb).",
    )
    gen.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the folder to write: a new or empty one, or an earlier output of pmkb generate,"
        " outside the project's docs and postmortems",
    )
    gen.set_defaults(run=run_generate)
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
    except BrokenPipeError:
        # The reader went away (`pmkb schema | head`): no traceback, and none at exit either.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS


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
        if _through_link(raw, settings.root):
            # As in the folder walk: a link could lead anywhere, and its target's contents would be
            # quoted in findings that CI logs publish.
            display = printable(settings.display_path(raw.absolute()))
            extra.append(finding(display, 1, 1, "PMK010", "symbolic link: not followed"))
            chosen.add(display)
            continue
        path = raw.resolve()
        if path.is_dir():
            chosen.update(d for p, d in known.items() if p.is_relative_to(path))
            continue
        if path in known:
            chosen.add(known[path])
            continue
        if path in (settings.services_file, settings.factors_file):
            continue  # catalogs are always checked
        display = settings.display_path(path)
        source = read_source(path, display)
        checker = checker or Checker(settings, kb.catalog)
        pm = checker.check(source)
        extra.extend(pm.findings if pm else source.findings)
        chosen.add(display)
        outside += 1
    return chosen, extra, outside


def _through_link(path: Path, root: Path) -> bool:
    """Whether `path`, or a folder on the way to it below `root`, is a symbolic link."""
    absolute = path.absolute()
    here = absolute
    while here != here.parent and (here == absolute or here.is_relative_to(root)):
        if here.is_symlink():
            return True
        here = here.parent
    return False


def run_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    kb = load(settings, jobs=args.jobs or os.cpu_count() or 1, text=False)
    findings = kb.all_findings
    checked = kb.file_count
    paths = list(args.paths)
    if args.changed_since is not None:
        try:
            changed = changed_since(args.changed_since, settings.root)
        except ChangesError as exc:
            print(printable(f"pmkb: --changed-since {args.changed_since}: {exc}"), file=sys.stderr)
            return EXIT_USAGE
        root = settings.postmortems_dir
        changed = [p for p in changed if p.is_relative_to(root) and p.suffix.lower() in MARKDOWN]
        paths.extend(p for p in changed if p.name.lower() not in ("readme.md", "index.md"))
    if args.paths or args.changed_since is not None:
        chosen, extra, _outside = _selected(kb, paths, settings)
        catalogs = {
            settings.display_path(settings.services_file),
            settings.display_path(settings.factors_file),
        }
        # An id taken by a chosen file is contested wherever the other file is: PMK112 lands on the
        # later file by path, which may be one that was not chosen.
        ids = {pm.display: pm.id for pm in kb.postmortems}
        chosen_ids = {ids[d] for d in chosen if d in ids}
        findings = [
            f
            for f in findings
            if f.path in chosen
            or f.path in catalogs
            or (f.code == "PMK112" and ids.get(f.path) in chosen_ids)
        ] + extra
        checked = len(chosen)
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
                }
            )
        )
    else:
        for f in findings:
            print(f.format_github() if args.format == "github" else f.format_text())
        print(f"Checked {checked} postmortem file(s): {errors} error(s), {warnings} warning(s).")
    failed = errors > 0 or (args.strict and warnings > 0)
    return EXIT_FINDINGS if failed else EXIT_OK


def _ask(prompt: str, choices: list[str] | None = None) -> str:
    hint = (
        f" ({', '.join(choices[:12])}{', ...' if choices and len(choices) > 12 else ''})"
        if choices
        else ""
    )
    try:
        return input(f"{prompt}{hint}: ").strip()
    except EOFError:
        return ""


def run_new(args: argparse.Namespace) -> int:
    settings = _settings(args)
    catalog, catalog_findings = load_catalog(
        settings.services_file,
        settings.factors_file,
        settings.display_path,
        settings.factor_categories,
    )
    if any(f.level is Level.ERROR for f in catalog_findings):
        for f in catalog_findings:
            print(f.format_text(), file=sys.stderr)
        return EXIT_USAGE
    interactive = sys.stdin.isatty()
    title = args.title or (_ask("Title") if interactive else "")
    services = args.service or (
        [s.strip() for s in _ask("Services", sorted(catalog.services)).split(",") if s.strip()]
        if interactive
        else []
    )
    factors = args.factor or (
        [
            f.strip()
            for f in _ask("Contributing factors", sorted(catalog.factors)).split(",")
            if f.strip()
        ]
        if interactive
        else []
    )
    severity = args.severity or (_ask("Severity", list(settings.severities)) if interactive else "")
    problems = []
    if not title.strip():
        problems.append("a title is required")
    for ident in services:
        if ident not in catalog.services:
            problems.append(f"unknown service `{ident}`{did_you_mean(ident, catalog.services)}")
    if not services:
        problems.append("name at least one service with --service")
    for ident in factors:
        if ident not in catalog.factors and not catalog.factor_alias(ident):
            problems.append(
                f"unknown contributing factor `{ident}`{did_you_mean(ident, [*catalog.factors, *catalog.alias_map])}"
            )
    if not factors:
        problems.append("name at least one contributing factor with --factor")
    if severity not in settings.severities:
        problems.append(
            f"severity must be one of {', '.join(settings.severities)}{did_you_mean(severity, settings.severities) if severity else ''}"
        )
    try:
        day = date.fromisoformat(args.date) if args.date else build_date()
    except ValueError:
        problems.append(f"--date {args.date!r} is not a YYYY-MM-DD date")
        day = build_date()
    if problems:
        for problem in problems:
            print(printable(f"pmkb new: {problem}"), file=sys.stderr)
        return EXIT_USAGE
    services = list(dict.fromkeys(services))
    factors = list(dict.fromkeys(catalog.factor_alias(f) or f for f in factors))
    path = new_path(settings, title, day)
    if path.exists():
        print(
            f"pmkb new: {settings.display_path(path)} already exists; not overwriting it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_new(
        settings, " ".join(title.split()), day, severity, services, factors, args.author
    )
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    print(
        f"Created {printable(settings.display_path(path))}: replace each `> **Guidance:**` line, then run `pmkb check`."
    )
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    settings = _settings(args)
    catalog, _ = load_catalog(
        settings.services_file,
        settings.factors_file,
        settings.display_path,
        settings.factor_categories,
    )
    factor_ids = [*catalog.factors, *catalog.alias_map]
    print(safe_json(json_schema(settings, list(catalog.services), factor_ids)))
    return EXIT_OK


def run_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    kb = load(settings)
    figures = headline_figures(kb, build_date())
    if args.format == "json":
        print(safe_json(figures))
    else:
        print(format_figures(figures))
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    # Imported here: only this command renders pages, and `pmkb check` starts faster without Jinja.
    from .generate import (
        GenerateError,
        Project,
        body_converter,
        check_output,
        generate,
        read_site_config,
    )
    from .render import Renderer
    from .urls import Site

    settings = _settings(args)
    config_path = args.config or Path.cwd() / "mkdocs.yml"
    source = read_site_config(config_path) if config_path.exists() else {}
    docs_dir = (
        (config_path.parent / str(source.get("docs_dir", "docs"))).resolve() if source else None
    )
    project = Project.of(settings, docs_dir, config_path if config_path.exists() else None)
    try:
        # Checked before the knowledge base loads too, so that a refusal comes at once.
        check_output(args.out, project)
        jobs = os.cpu_count() or 1
        kb = load(settings, jobs=jobs)
        for f in kb.all_findings:
            if f.level is not Level.INFO:
                print(f.format_text(), file=sys.stderr)
        site = Site(settings, bool(source.get("use_directory_urls", True)))
        renderer = Renderer(kb, site, build_date(), body=body_converter(source))
        written = generate(kb, renderer, args.out, docs_dir, source, jobs, project=project)
    except GenerateError as exc:
        print(f"pmkb generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"Wrote {len(written)} files to {args.out}: build them with `mkdocs build -f {args.out / 'mkdocs.yml'}`."
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
