"""Fixtures: `run` and `check_json` run the pmkb CLI. Everything else is in helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import Result, Runner
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
