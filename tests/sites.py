"""Building real MkDocs sites from small knowledge bases, for the tests."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

SERVICES = {
    "checkout": {"name": "Checkout", "owner": "team-payments", "description": "Basket and orders."},
    "payments": {"name": "Payments", "owner": "team-payments", "description": "Card payments."},
    "search": {"name": "Product search", "owner": "team-discovery", "description": "Search."},
}
FACTORS = {
    "config-change": {
        "name": "Configuration change",
        "category": "Change",
        "description": "A config change.",
        "aliases": ["misconfiguration"],
    },
    "missing-alert": {
        "name": "Missing alert",
        "category": "Detection",
        "description": "Nothing paged.",
    },
    "traffic-surge": {
        "name": "Traffic surge",
        "category": "Capacity",
        "description": "Load above plan.",
    },
}

BODY = """
## Summary

{summary}

## Impact

Customers could not check out for a while.

## Timeline

- 10:00 UTC — Deploy starts.
- 10:05 UTC — Alert fires.
- 10:30 UTC — Rolled back.

## Contributing factors

The configuration system accepted a value in the wrong unit.

## Lessons learned

Validate units at the edge.
"""


def postmortem(
    title: str,
    day: str,
    *,
    services: list[str] | None = None,
    factors: list[str] | None = None,
    severity: str = "SEV2",
    status: str = "published",
    summary: str = "A short summary of what happened.",
    extra: dict[str, Any] | None = None,
    body: str | None = None,
) -> str:
    meta: dict[str, Any] = {
        "title": title,
        "date": date.fromisoformat(day),
        "severity": severity,
        "status": status,
        "services": services or ["checkout"],
        "contributing_factors": factors or ["config-change"],
        "started": datetime.fromisoformat(f"{day}T10:00:00+00:00"),
        "detected": datetime.fromisoformat(f"{day}T10:05:00+00:00"),
        "mitigated": datetime.fromisoformat(f"{day}T10:30:00+00:00"),
        "resolved": datetime.fromisoformat(f"{day}T11:00:00+00:00"),
        **(extra or {}),
    }
    text = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{text}---\n" + (body if body is not None else BODY.format(summary=summary))


def make_project(
    root: Path,
    postmortems: dict[str, str | bytes],
    *,
    theme: str = "material",
    options: dict[str, Any] | None = None,
    nav: list[Any] | None = None,
    services: dict[str, Any] | None = None,
    factors: dict[str, Any] | None = None,
) -> Path:
    """A project folder with mkdocs.yml, docs/ and postmortems/; returns the folder."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# Home\n\nWelcome.\n")
    pm_dir = root / "postmortems"
    pm_dir.mkdir(exist_ok=True)
    (pm_dir / "services.yml").write_text(yaml.safe_dump(services or SERVICES))
    (pm_dir / "factors.yml").write_text(yaml.safe_dump(factors or FACTORS))
    for name, content in postmortems.items():
        path = pm_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    config: dict[str, Any] = {
        "site_name": "Test KB",
        "repo_url": "https://github.com/example/kb",
        "edit_uri": "edit/main/docs/",
        "theme": {
            "name": theme,
            **({"features": ["content.action.edit"]} if theme == "material" else {}),
        },
        "plugins": ["search", {"pmkb": options or {}}],
        "markdown_extensions": ["admonition", "tables", "toc"],
    }
    if nav is not None:
        config["nav"] = nav
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def build(
    root: Path, *, strict: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `mkdocs build` in a subprocess, as a user would."""
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        *(["--strict"] if strict else []),
        "-f",
        str(root / "mkdocs.yml"),
    ]
    environment = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "SOURCE_DATE_EPOCH": "1764028800",
        **(env or {}),
    }
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=root, check=False
    )


def read(root: Path, path: str) -> str:
    return (root / "site" / path).read_text(encoding="utf-8")


def search_docs(root: Path) -> list[dict[str, Any]]:
    data = json.loads(read(root, "search/search_index.json"))
    docs: list[dict[str, Any]] = data["docs"]
    return docs


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a new interpreter whose only thread is the main one.

    pmkb forks worker processes only while no other thread runs; the test process may run
    threads of its own (a served site, a browser driver), so tests of forking run there.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()
