"""Fixtures: `run` and `check_json` run the pmkb CLI, `git` runs git. Everything else is in
helpers.py."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import Result, Runner
from pmkb import cli
from pmkb.cache_key import machine_secret
from pmkb.model import Postmortem
from pmkb.read import knowledge


@pytest.fixture(autouse=True, scope="session")
def user_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder, where builds keep the key of finished pages: the tests' own, for
    the builds they run in this process and in others."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    # As on a machine that has built before: the first build on a machine makes the key only.
    machine_secret(folder / "pmkb")
    yield folder / "pmkb"
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The postmortem files checked in full, by path as findings show them."""
    seen: list[str] = []
    check = knowledge.Checker.check

    def counted(self: knowledge.Checker, source: knowledge.SourceFile) -> Postmortem | None:
        seen.append(source.display)
        return check(self, source)

    monkeypatch.setattr(knowledge.Checker, "check", counted)
    return seen


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


@pytest.fixture
def git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Run git in `tmp_path` (or `cwd`), isolated from the user's configuration; its output."""
    for key, value in {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(tmp_path.parent),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(key, value)

    def runner(*args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd or tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return runner
