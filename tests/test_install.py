"""pmkb as a team installs it: the wheel carries the whole package and the metadata a release
needs, and the workflows `pmkb init` writes pass when their steps run, with pmkb installed from
that wheel into a fresh virtualenv.

The slowest module of the suite (about a minute: one wheel build and one virtualenv, shared by
every test here); it needs a package index for pmkb's dependencies, as CI has.
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmkb import __version__ as pmkb_version
from pmkb.cli.init import REPO_URL

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# What setuptools builds the wheel from (pyproject.toml names README.md and LICENSE).
SOURCES = ("pyproject.toml", "README.md", "LICENSE")
WORKFLOWS_RUN_IN_BASH = pytest.mark.skipif(
    sys.platform == "win32",
    reason="the generated workflows run on ubuntu-latest: their steps are bash scripts",
)


def _package_files(root: Path) -> set[str]:
    """Every file of the pmkb package under `root`, as a wheel names it."""
    return {
        p.relative_to(root).as_posix()
        for p in (root / "pmkb").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the wheel is built from: building in the checkout would reuse (and leave)
    its `build/` folder, where files deleted from the package live on."""
    copy = tmp_path_factory.mktemp("sources")
    shutil.copytree(
        REPO / "plugins",
        copy / "plugins",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    for name in SOURCES:
        shutil.copy2(REPO / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(sources)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("pmkb-*.whl")
    return built


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(name).decode("utf-8")
    return email.parser.Parser().parsestr(text)


def test_the_wheel_carries_every_file_of_the_package(wheel: Path, sources: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    packaged = {n for n in names if n.startswith("pmkb/")}
    expected = _package_files(sources / "plugins")
    # The data files by name too, so that a failure says which template or asset went missing.
    data = {n for n in expected if not n.endswith(".py")}
    assert {n for n in data if n.startswith("pmkb/site/templates/")}
    assert {n for n in data if n.startswith("pmkb/site/assets/")}
    assert {n for n in data if n.startswith("pmkb/cli/init_files/")}
    assert sorted(data - packaged) == []
    assert sorted(expected ^ packaged) == []
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_wheel_has_the_metadata_of_a_release(wheel: Path) -> None:
    meta = _metadata(wheel)
    project = PYPROJECT["project"]
    assert meta["Name"] == "pmkb"
    assert meta["Version"] == project["version"]
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier") or []
    assert classifiers == project["classifiers"]
    assert {"Framework :: MkDocs", "Programming Language :: Python :: 3.11"} <= set(classifiers)
    # PyPI's page is the README: Markdown, whole.
    assert meta["Description-Content-Type"] == "text/markdown"
    body = meta.get_payload()
    assert isinstance(body, str)
    assert body.strip() == (REPO / "README.md").read_text(encoding="utf-8").strip()
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert urls["Source"] == urls["Homepage"] == REPO_URL
    assert all(
        u.startswith(REPO_URL + "/") for k, u in urls.items() if k not in ("Source", "Homepage")
    )


def test_the_hook_repository_is_the_projects() -> None:
    """`pmkb init`'s pre-commit configuration names the repository pyproject.toml names."""
    assert PYPROJECT["project"]["urls"]["Source"] == REPO_URL
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO_URL)


def test_the_docs_name_the_projects_repository(tmp_path: Path) -> None:
    """Every link to pmkb's repository in the README, the adoption guide and the files `pmkb init`
    writes is REPO_URL, the one that pyproject.toml names."""
    from pmkb import cli

    assert cli.main(["init", str(tmp_path / "kb"), "--yes"]) == 0
    texts = {
        name: (REPO / name).read_text(encoding="utf-8")
        for name in ("README.md", "docs/adopting.md")
    }
    texts.update(
        {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "kb").rglob("*") if p.is_file()}
    )
    links = {
        (name, link)
        for name, text in texts.items()
        for link in re.findall(r"https://github\.com/[\w.-]+/pmkb\b[^\s)\"'`@]*", text)
    }
    assert {name for name, _ in links} >= {"README.md", "docs/adopting.md", "index.md"}
    assert {(n, u) for n, u in links if not u.startswith(REPO_URL)} == set()


# The generated workflows, run.


def _bin(root: Path) -> Path:
    return root / ("Scripts" if sys.platform == "win32" else "bin")


@pytest.fixture(scope="module")
def environment(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with pmkb installed from the wheel (its dependencies from the index)."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(root)
    python = _bin(root) / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def _env(environment: Path, extra: dict[str, str]) -> dict[str, str]:
    """The process environment of a step: the virtualenv first on PATH, as after
    actions/setup-python and `pip install`, and the workflow's `env:`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(extra)
    env["PATH"] = str(_bin(environment)) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(environment)
    return env


def _git(repo: Path, *args: str) -> None:
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def repo(environment: Path, tmp_path: Path) -> Iterator[Path]:
    """An empty git repository after `pmkb init --yes`, committed on main, which stands in for
    origin/main too; work goes on on the branch `change`."""
    root = tmp_path / "kb"
    root.mkdir()
    _git(root, "init", "-q")
    _git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    result = subprocess.run(
        [str(_bin(environment) / "pmkb"), "init", "--yes", "--name", "Acme incidents"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_env(environment, {}),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Installed from a wheel file (PEP 610's direct_url.json says so), pmkb pins its version and
    # warns that the workflows and the pre-commit hook need that release.
    assert "Note: this pmkb was installed from file:" in result.stdout
    assert f"the pre-commit hook takes pmkb's tag `v{pmkb_version}`, which need that release" in (
        result.stdout
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "pmkb init")
    _git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(root, "checkout", "-q", "-b", "change")
    yield root


def _steps(repo: Path, name: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The workflow's `env:` and the steps of its first job that run commands."""
    flow = yaml.safe_load((repo / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in flow["env"].items()}
    job = next(iter(flow["jobs"].values()))
    return env, [s for s in job["steps"] if "run" in s]


def _run_step(
    step: dict[str, Any], repo: Path, environment: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    script = str(step["run"]).replace("${{ github.base_ref }}", "main")
    # An expression this test does not fill in would reach bash as text and prove nothing.
    assert "${{" not in script, script
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        env=_env(environment, env),
        timeout=600,
        check=False,
    )


def _add_postmortem(repo: Path, text_change: tuple[str, str] | None = None) -> str:
    """Add a second postmortem, a copy of the example under another name, and commit it."""
    (example,) = (repo / "postmortems").glob("*/*.md")
    text = example.read_text(encoding="utf-8").replace(
        "title: Example service errors", "title: Second example service errors"
    )
    if text_change is not None:
        assert text_change[0] in text
        text = text.replace(*text_change)
    added = example.with_name(example.name.replace("example-config-change", "second-incident"))
    added.write_text(text, encoding="utf-8", newline="\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "A postmortem")
    return added.relative_to(repo).as_posix()


def _install_step(steps: list[dict[str, Any]]) -> dict[str, Any]:
    (install,) = [s for s in steps if "pip install" in s["run"]]
    assert install["run"] == "pip install -r .github/pmkb-requirements.txt"
    return install


@WORKFLOWS_RUN_IN_BASH
def test_the_generated_workflows_pass_on_a_new_postmortem(
    repo: Path, environment: Path, wheel: Path
) -> None:
    added = _add_postmortem(repo)
    for name, expected in (
        ("pr.yml", ["Install pmkb", "Check changed postmortems", "Build the site"]),
        ("publish.yml", ["Install pmkb", "Build the site"]),
    ):
        env, steps = _steps(repo, name)
        assert [s["name"] for s in steps] == expected
        assert f"\npmkb=={PYPROJECT['project']['version']}\n" in (
            repo / ".github" / "pmkb-requirements.txt"
        ).read_text(encoding="utf-8")
        _install_step(steps)
        # The step runs as written: `pmkb==VERSION`, a release not published yet, is found among
        # the wheels of --find-links (and is already installed in the virtualenv).
        env["PIP_FIND_LINKS"] = str(wheel.parent)
        for step in steps:
            result = _run_step(step, repo, environment, env)
            assert result.returncode == 0, f"{name}: {step['name']}\n{result.stdout}{result.stderr}"
            if step["name"] == "Check changed postmortems":
                assert "::error" not in result.stdout
                assert result.stdout.endswith(
                    "Checked 1 postmortem file(s): 0 error(s), 0 warning(s).\n"
                ), result.stdout
        assert (repo / "site" / "index.html").is_file()
        (page,) = (repo / "site" / "incidents").glob("*second-incident*/index.html")
        assert "Second example service errors" in page.read_text(encoding="utf-8")
        shutil.rmtree(repo / "site")
    assert added.startswith("postmortems/")


@WORKFLOWS_RUN_IN_BASH
def test_a_broken_postmortem_fails_the_check_step_with_an_annotation(
    repo: Path, environment: Path
) -> None:
    added = _add_postmortem(repo, ("severity: SEV3", "severity: P1"))
    env, steps = _steps(repo, "pr.yml")
    (check,) = [s for s in steps if s["name"] == "Check changed postmortems"]
    result = _run_step(check, repo, environment, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(
        rf"^::error file={re.escape(added)},line=4,col=\d+,title=pmkb PMK107::", result.stdout, re.M
    ), result.stdout
