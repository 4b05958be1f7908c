"""What the tests say about projects: catalogs, postmortem texts, project folders, builds, CLI runs.

Every test module takes these from here (`from helpers import ...`); conftest.py holds only the
fixtures that run the CLI (`run`, `check_json`).

Catalogs, as dicts (`catalog_text` is the YAML `make_project` writes for one):
- SERVICES, FACTORS: two services and two factors, no descriptions; what `pmkb check` tests
  check against. Their text has fixed lines (a service appended stands on line 7, a factor on 8).
- SITE_SERVICES, SITE_FACTORS: three of each, with the descriptions pages show; a site's default.

Postmortems, as text:
- FRONT + BODY == VALID: a valid postmortem whose lines are fixed: front-matter keys on lines
  2-7, the closing `---` on 8, `## Summary` on 10, timeline entries on 20-22.
- with_keys(extra): VALID with `extra` front-matter lines from line 8 on.
- postmortem(title, day, ...): a valid postmortem built from arguments (YAML-dumped front matter
  with incident times, BODY_TEMPLATE as the body); for sites, where lines do not matter.

Projects and what runs on them:
- make_project(root, ...): a project folder; with `site=True` one `mkdocs build` builds.
- build(root): `mkdocs build` in a subprocess; read(root, path), search_docs(root) read the site.
- Result, Runner: what the `run` and `check_json` fixtures (conftest.py) return and are.
- in_fresh_process(function, *args): a call in a new interpreter, for tests of forking.
- assert_schema_and_check_agree(run, cases): `pmkb schema` and `pmkb check` judge each case alike.
"""

from __future__ import annotations

import filecmp
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

# ---- Catalogs ----------------------------------------------------------------------------------

SERVICES: dict[str, Any] = {
    "checkout": {"name": "Checkout", "owner": "team-payments"},
    "payments": {"name": "Payments", "owner": "team-payments"},
}
FACTORS: dict[str, Any] = {
    "config-change": {
        "name": "Configuration change",
        "category": "Change",
        "aliases": ["misconfiguration"],
    },
    "missing-alert": {"name": "Missing alert", "category": "Detection"},
}

SITE_SERVICES: dict[str, Any] = {
    "checkout": {"name": "Checkout", "owner": "team-payments", "description": "Basket and orders."},
    "payments": {"name": "Payments", "owner": "team-payments", "description": "Card payments."},
    "search": {"name": "Product search", "owner": "team-discovery", "description": "Search."},
}
SITE_FACTORS: dict[str, Any] = {
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


class _CatalogDumper(yaml.SafeDumper):
    """Mappings in block style, in their order; lists in flow style, as people write catalogs."""


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_CatalogDumper.add_representer(list, _flow_list)


def catalog_text(catalog: Mapping[str, Any]) -> str:
    """The YAML text of a catalog, as `make_project` writes it.

    `catalog_text(SERVICES) + "search: Search\\n"` adds an entry on line 7.
    """
    text: str = yaml.dump(dict(catalog), Dumper=_CatalogDumper, sort_keys=False, allow_unicode=True)
    return text


# ---- Postmortems -------------------------------------------------------------------------------

# A valid front matter: the lines of the file from line 1 to line 8.
FRONT = """\
---
title: Checkout errors after a config change
date: 2026-03-12
severity: SEV2
status: published
services: [checkout]
contributing_factors: [config-change]
---
"""

# A valid body; with FRONT, `## Summary` stands on line 10 and the timeline entries on 20-22.
BODY = """\

## Summary

A config change made checkout fail for card payments.

## Impact

Checkout failed for 20 minutes.

## Timeline

- 14:00 UTC — Config change deployed.
- 14:05 UTC — Alert fired.
- 14:20 UTC — Change reverted.

## Contributing factors

The config service pushed the change to every store at once.

## Lessons learned

A staged rollout limits how far a bad value travels.
"""

VALID = FRONT + BODY

# Where make_project puts a postmortem named `a.md` and the catalogs, as findings name them.
A = "postmortems/a.md"
SERVICES_FILE = "postmortems/services.yml"
FACTORS_FILE = "postmortems/factors.yml"


def with_keys(extra: str, body: str = BODY) -> str:
    """A valid postmortem with `extra` front-matter lines from line 8 on."""
    return FRONT.removesuffix("---\n") + extra + "---\n" + body


# The body `postmortem` writes; `{summary}` is the text under `## Summary`.
BODY_TEMPLATE = """
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
    """A valid postmortem of `day` (incident from 10:00 to 11:00 UTC); `extra` adds or replaces
    front-matter keys, `body` replaces BODY_TEMPLATE."""
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
    return f"---\n{text}---\n" + (
        body if body is not None else BODY_TEMPLATE.format(summary=summary)
    )


# ---- Project folders ---------------------------------------------------------------------------

Catalog = Mapping[str, Any] | str | bytes | None
# The catalogs that go with `site`: SITE_SERVICES and SITE_FACTORS for a site, else SERVICES and FACTORS.
_DEFAULT: Any = object()


def make_project(
    root: Path,
    postmortems: Mapping[str, str | bytes] | None = None,
    *,
    files: Mapping[str, str | bytes] | None = None,
    services: Catalog = _DEFAULT,
    factors: Catalog = _DEFAULT,
    options: Mapping[str, Any] | None = None,
    mkdocs: Mapping[str, Any] | None = None,
    site: bool = False,
    theme: str = "material",
    markdown_extensions: list[Any] | None = None,
    nav: list[Any] | None = None,
) -> Path:
    """Write a project folder under `root` and return `root`.

    - `postmortems`: files of the postmortems folder, by path relative to it (`"2024/a.md"`);
    - `files`: any other file (or a postmortem), by path relative to `root`
      (`"postmortems/a.md"`, `"drafts/x.md"`, `"docs/incidents.md"`, an own `"mkdocs.yml"`);
      written last, so they replace what this function wrote;
    - `services`, `factors`: the catalogs in postmortems/, as a dict (written as `catalog_text`),
      as text or bytes written as they are, or None for no file;
    - `options`: the pmkb plugin's options in mkdocs.yml; `mkdocs`: other keys of mkdocs.yml.

    Without `site`, the folder is what `pmkb check` reads: the catalogs (SERVICES, FACTORS unless
    given) and the files, and a bare mkdocs.yml (`site_name` and the pmkb plugin) only when
    `options` or `mkdocs` is given. With `site=True`, it is a site `mkdocs build` builds: the
    catalogs SITE_SERVICES and SITE_FACTORS unless given, docs/index.md, and a mkdocs.yml with the
    `theme` (Material with edit links, or another), the search and pmkb plugins,
    `markdown_extensions` (admonition, tables and toc unless given) and, if given, `nav`.
    """
    if services is _DEFAULT:
        services = SITE_SERVICES if site else SERVICES
    if factors is _DEFAULT:
        factors = SITE_FACTORS if site else FACTORS
    written: dict[str, str | bytes] = {}
    for name, catalog in (("services.yml", services), ("factors.yml", factors)):
        if catalog is not None:
            text = catalog if isinstance(catalog, str | bytes) else catalog_text(catalog)
            written[f"postmortems/{name}"] = text
    for name, content in (postmortems or {}).items():
        written[f"postmortems/{name}"] = content
    config: dict[str, Any] | None = None
    if site:
        written["docs/index.md"] = "# Home\n\nWelcome.\n"
        config = {
            "site_name": "Test KB",
            "repo_url": "https://github.com/example/kb",
            "edit_uri": "edit/main/docs/",
            "theme": {
                "name": theme,
                **({"features": ["content.action.edit"]} if theme == "material" else {}),
            },
            "plugins": ["search", {"pmkb": dict(options or {})}],
            "markdown_extensions": markdown_extensions or ["admonition", "tables", "toc"],
            **({"nav": nav} if nav is not None else {}),
            **(mkdocs or {}),
        }
        written["mkdocs.yml"] = yaml.safe_dump(config, sort_keys=False)
    elif options is not None or mkdocs:
        config = {"site_name": "Test", **(mkdocs or {}), "plugins": [{"pmkb": dict(options or {})}]}
        written["mkdocs.yml"] = yaml.safe_dump(config)
    written.update(files or {})
    (root / "postmortems").mkdir(parents=True, exist_ok=True)
    for name, content in written.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def option_at(root: Path, name: str, config: str = "mkdocs.yml") -> str:
    """Where the option `name` is written in the project's configuration, as a finding about it
    names the place: `mkdocs.yml:LINE:COL`, read off the file's text."""
    for number, line in enumerate((root / config).read_text(encoding="utf-8").splitlines(), 1):
        written = line.lstrip(" -")
        if written.startswith(f"{name}:"):
            return f"{config}:{number}:{len(line) - len(written) + 1}"
    raise AssertionError(f"no option `{name}` in {config}")


# ---- Building sites ----------------------------------------------------------------------------


# The day every test build is made on (2025-11-25), unless a test says otherwise: a page that
# shows what is overdue, or a date checked against the build date, is the same whenever it runs.
BUILD_EPOCH = "1764028800"


def build(
    root: Path,
    *,
    strict: bool = False,
    dirty: bool = False,
    env: dict[str, str] | None = None,
    config: str = "mkdocs.yml",
) -> subprocess.CompletedProcess[str]:
    """Run `mkdocs build` in a subprocess, as a user would (of `config`, in `root`)."""
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        *(["--strict"] if strict else []),
        *(["--dirty"] if dirty else []),
        "-f",
        str(root / config),
    ]
    environment = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "SOURCE_DATE_EPOCH": BUILD_EPOCH,
        **(env or {}),
    }
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=root, check=False
    )


def site_differences(a: Path, b: Path) -> list[str]:
    """The files that are not the same in two site folders (none: the same site)."""
    compared = filecmp.dircmp(a, b)
    found = [*compared.left_only, *compared.right_only, *compared.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    found += [*mismatch, *errors]
    for folder in compared.common_dirs:
        found += [f"{folder}/{name}" for name in site_differences(a / folder, b / folder)]
    return found


def read(root: Path, path: str) -> str:
    """The text of a built page, by its path in the site (`"incidents/a/index.html"`)."""
    return (root / "site" / path).read_text(encoding="utf-8")


def search_docs(root: Path) -> list[dict[str, Any]]:
    """The entries of a built site's search index."""
    data = json.loads(read(root, "search/search_index.json"))
    docs: list[dict[str, Any]] = data["docs"]
    return docs


# ---- Checking workflows ------------------------------------------------------------------------


def symlink(link: Path, target: Path) -> None:
    """Make `link` point at `target`, or skip the test where this user may not make symlinks
    (Windows without Developer Mode or administrator rights)."""
    try:
        # Windows makes file and folder links differently: a file link to a folder is unusable.
        link.symlink_to(target, target_is_directory=target.is_dir())
    except OSError as exc:
        if sys.platform == "win32" and getattr(exc, "winerror", None) == 1314:
            pytest.skip("this Windows user may not make symlinks (no Developer Mode)")
        raise


def actionlint(cwd: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """Run actionlint on `files` (relative to `cwd`); skip the test if it is not installed, or
    fail it when `CI` is set."""
    # The virtualenv's own first (bin/actionlint, or Scripts\actionlint.exe on Windows).
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: pip install -e '.[dev]'")
        pytest.skip("actionlint is not installed: pip install -e '.[dev]'")
    return subprocess.run(
        [binary, "-no-color", *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# ---- Running the CLI ---------------------------------------------------------------------------


@dataclass
class Result:
    """What one `pmkb` run returned and printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def data(self) -> Any:
        return json.loads(self.out)

    @property
    def found(self) -> list[tuple[str, int, int, str, str]]:
        """(path, line, col, code, level) of each finding of a `--format json` run."""
        return [
            (f["path"], f["line"], f["col"], f["code"], f["level"]) for f in self.data["findings"]
        ]

    @property
    def messages(self) -> list[str]:
        return [f["message"] for f in self.data["findings"]]


# The `run` and `check_json` fixtures: `run("check", "--strict", cwd=root)`.
Runner = Callable[..., Result]


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a new interpreter whose only thread is the main one.

    pmkb forks worker processes only while no other thread runs; the test process may run
    threads of its own (a served site, a browser driver), so tests of forking run there.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def as_json(value: Any) -> Any:
    """YAML values as a YAML editor's schema validation sees them: dates and times as ISO text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def assert_schema_and_check_agree(
    run: Runner, cases: Mapping[str, tuple[str, bool]]
) -> dict[str, Any]:
    """In the project `run` works in, whose `postmortems/<case>.md` hold `FRONT` and each case's
    extra front matter: `pmkb schema`'s JSON Schema and `pmkb check`'s errors both find a case
    valid, or both not, as the case says (its boolean). Returns the schema."""
    import jsonschema

    from pmkb.read.yamlread import load_located

    schema: dict[str, Any] = json.loads(run("schema").out)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    found = run("check", "--format", "json").data["findings"]
    for name, (extra, valid) in cases.items():
        errors = [
            f["code"]
            for f in found
            if f["path"] == f"postmortems/{name}.md" and f["level"] == "error"
        ]
        meta = as_json(load_located(FRONT.removeprefix("---\n").removesuffix("---\n") + extra))
        schema_errors = [e.message for e in validator.iter_errors(meta)]
        assert (not schema_errors, not errors) == (valid, valid), (name, schema_errors, errors)
    return schema
