"""Where one `mkdocs build` spends its time, phase by phase.

    python benchmarks/breakdown.py PROJECT_DIR          # prints one JSON object

Builds the project once, in this process, with timers wrapped around MkDocs' own steps: pmkb's
`on_files` (reading and checking the knowledge base, rendering all but the incident pages),
MkDocs' loop that reads each page and converts its Markdown to HTML (incident pages and the
other pages), Material's search indexing, and the theme's templates with the writing of each
page. pmkb converts an incident page as the theme builds it (`Conversions.placed`): that time
counts as converting incident pages, not as the theme's. Times are the build process's wall
time, so with pmkb they include rendering each incident page, and waiting for a page a worker is
still converting. What is left (starting up, the navigation, copying assets, writing the search
index) is "other". The timers cost a little; run.py reports
these figures as shares of one build next to the timed runs, not in place of them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from material.plugins.search.plugin import SearchIndex
from mkdocs.commands import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.structure.pages import Page

PHASES = (
    "pmkb: read and check the knowledge base, render all but incident pages",
    "reading pages and Markdown to HTML: incident pages",
    "reading pages and Markdown to HTML: other pages",
    "search indexing",
    "theme templates and writing pages",
    "other",
)
spent: defaultdict[str, float] = defaultdict(float)


def _incident(page: Page) -> bool:
    uri = page.file.src_uri
    return uri.startswith("incidents/") and uri != "incidents/index.md"


def _timed(phase: Any, function: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase(*args) if callable(phase) else phase] += time.perf_counter() - start

    return wrapper


def main(project: Path) -> dict[str, float]:
    os.chdir(project)
    mkdocs_build._populate_page = _timed(
        lambda page, *_: PHASES[1] if _incident(page) else PHASES[2], mkdocs_build._populate_page
    )
    SearchIndex.add_entry_from_context = _timed(PHASES[3], SearchIndex.add_entry_from_context)
    mkdocs_build._build_page = _timed("build_page", mkdocs_build._build_page)
    try:
        from pmkb.plugin import PmkbPlugin

        PmkbPlugin.on_files = _timed(PHASES[0], PmkbPlugin.on_files)  # type: ignore[method-assign]
        from pmkb.plugin.conversions import Conversions

        Conversions.placed = _timed("placed", Conversions.placed)  # type: ignore[method-assign]
    except ImportError:
        pass
    start = time.perf_counter()
    config = load_config("mkdocs.yml")
    config.plugins.on_startup(command="build", dirty=False)  # as `mkdocs build` does
    mkdocs_build.build(config)
    total = time.perf_counter() - start
    # Search indexing, and pmkb's converting of an incident page, run inside each page's build
    # step.
    placed = spent.pop("placed", 0.0)
    spent[PHASES[1]] += placed
    spent[PHASES[4]] = spent.pop("build_page", 0.0) - spent[PHASES[3]] - placed
    spent[PHASES[5]] = total - sum(spent[p] for p in PHASES[:5])
    return {"total": total, **{p: spent[p] for p in PHASES}}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
