"""Fixtures: `run` and `check_json` run the pmkb CLI. Everything else is in helpers.py."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import helpers
from helpers import BODY, FRONT, VALID, Result, Runner, catalog_text, make_project
from pmkb import cli


@pytest.fixture
def run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Runner:
    """Run `pmkb <args>` in `tmp_path` (or `cwd`), in this process; no exception may escape and
    no traceback may be printed."""

    def runner(*args: str, cwd: Path | None = None) -> Result:
        monkeypatch.chdir(cwd or tmp_path)
        capsys.readouterr()
        code = cli.main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return Result(code, captured.out, captured.err)

    return runner


@pytest.fixture
def check_json(run: Runner) -> Runner:
    """Run `pmkb check --format json <args>`."""

    def runner(*args: str, cwd: Path | None = None) -> Result:
        return run("check", "--format", "json", *args, cwd=cwd)

    return runner


# ---- Old names, for modules that still import them from here -----------------------------------
# test_docs.py as committed imports FRONT, Result and make_kb from here (it is being moved to
# helpers elsewhere); once no module does, this section goes. The catalogs were text here, and
# stay text under these names; make_kb is make_project with the old arguments.

SERVICES = catalog_text(helpers.SERVICES)
FACTORS = catalog_text(helpers.FACTORS)
__all__ = ["BODY", "FACTORS", "FRONT", "SERVICES", "VALID", "Result", "Runner", "make_kb"]


def make_kb(
    root: Path,
    files: Mapping[str, str | bytes | None] | None = None,
    mkdocs_options: dict[str, Any] | None = None,
) -> Path:
    """`make_project(root, files=files, options=mkdocs_options)`; a catalog's path mapped to None
    leaves that catalog out."""
    files = dict(files or {})
    catalogs = {
        key: files.pop(f"postmortems/{key}.yml", value)
        for key, value in (("services", helpers.SERVICES), ("factors", helpers.FACTORS))
    }
    written = {name: data for name, data in files.items() if data is not None}
    if mkdocs_options is not None:
        written.pop("mkdocs.yml", None)  # the options' mkdocs.yml replaced a given one
    return make_project(root, files=written, options=mkdocs_options, **catalogs)
