"""`pmkb generate`: the knowledge base as plain files for engines that run no plugins."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..clock import build_date
from ..findings import Level
from ..paths import resolved
from ..read.knowledge import load
from .common import EXIT_OK, EXIT_USAGE, Commands, project_settings


def add_to(commands: Commands, project: argparse.ArgumentParser) -> None:
    """Add the command's parser, with the shared project options, to `commands`."""
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
    gen.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: only this command renders pages, and `pmkb check` starts faster without Jinja.
    from ..site.feeds import FeedSite
    from ..site.generate import (
        GenerateError,
        Project,
        body_converter,
        check_output,
        env_value,
        generate,
        read_site_config,
    )
    from ..site.render import Renderer
    from ..urls import Site

    settings = project_settings(args)
    config_path = args.config or Path.cwd() / "mkdocs.yml"
    source = read_site_config(config_path) if config_path.exists() else {}
    docs_dir = (
        resolved(config_path.parent / str(source.get("docs_dir", "docs"))) if source else None
    )
    project = Project.of(settings, docs_dir, config_path if config_path.exists() else None)
    try:
        # Checked before the knowledge base loads too, so that a refusal comes at once.
        check_output(args.out, project)
        jobs = settings.jobs
        kb = load(settings, jobs=jobs)
        for f in kb.all_findings:
            if f.level is not Level.INFO:
                print(f.format_text(), file=sys.stderr)
        site = Site(settings, bool(source.get("use_directory_urls", True)))
        # The address the site is built for: the generated mkdocs.yml keeps `!ENV` as written.
        feeds = FeedSite.of(env_value(source.get("site_url")), env_value(source.get("site_name")))
        renderer = Renderer(kb, site, build_date(), body=body_converter(source), feeds=feeds)
        written = generate(kb, renderer, args.out, docs_dir, source, jobs, project=project)
    except GenerateError as exc:
        print(f"pmkb generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"Wrote {len(written)} files to {args.out}: build them with `mkdocs build -f {args.out / 'mkdocs.yml'}`."
    )
    return EXIT_OK
