"""Shared fixtures: small temporary knowledge bases and a runner for `pmkb check`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmkb import cli

SERVICES = """\
checkout:
  name: Checkout
  owner: team-payments
payments:
  name: Payments
  owner: team-payments
"""

FACTORS = """\
config-change:
  name: Configuration change
  category: Change
  aliases: [misconfiguration]
missing-alert:
  name: Missing alert
  category: Detection
"""

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


def make_kb(
    root: Path,
    files: Mapping[str, str | bytes | None] | None = None,
    mkdocs_options: dict[str, Any] | None = None,
) -> Path:
    """Write a knowledge base under `root`: the two catalogs, the files, and maybe a mkdocs.yml.

    `files` maps paths relative to `root` to their text or bytes; None leaves a default catalog
    out. With `mkdocs_options`, a `mkdocs.yml` lists the pmkb plugin with those options.
    """
    contents: dict[str, str | bytes | None] = {
        "postmortems/services.yml": SERVICES,
        "postmortems/factors.yml": FACTORS,
    }
    contents.update(files or {})
    for name, data in contents.items():
        if data is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_bytes(data.encode("utf-8"))
    (root / "postmortems").mkdir(exist_ok=True)
    if mkdocs_options is not None:
        config = {"site_name": "Test", "plugins": [{"pmkb": mkdocs_options}]}
        (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


@dataclass
class Result:
    """What one `pmkb check` run returned and printed."""

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


Runner = Callable[..., Result]


@pytest.fixture
def run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Runner:
    """Run `pmkb <args>` in `tmp_path`; no exception may escape and no traceback may be printed."""

    def runner(*args: str, cwd: Path | None = None) -> Result:
        monkeypatch.chdir(cwd or tmp_path)
        capsys.readouterr()
        code = cli.main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return Result(code, captured.out, captured.err)

    return runner


@pytest.fixture
def check_json(run: Runner) -> Callable[..., Result]:
    """Run `pmkb check --format json <args>`."""

    def runner(*args: str, cwd: Path | None = None) -> Result:
        return run("check", "--format", "json", *args, cwd=cwd)

    return runner
