"""The repository's GitHub workflows and pre-commit hooks: valid for their tools, doing what the
adoption guide says, and matching the postmortems pmkb reads."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import VALID, Runner, actionlint, make_project
from pmkb.read.knowledge import load
from pmkb.read.project import load_project

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
ADOPTING = (REPO / "docs" / "adopting.md").read_text(encoding="utf-8")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _workflow(name: str) -> dict[str, Any]:
    data = _load(WORKFLOWS / name)
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as true.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def _index(steps: list[dict[str, Any]], *, uses: str = "", run: str = "") -> int:
    """The position of the one step that uses the action `uses` or runs exactly `run`."""
    found = [
        i
        for i, s in enumerate(steps)
        if (uses and str(s.get("uses", "")).split("@")[0] == uses)
        or (run and " ".join(str(s.get("run", "")).split()) == run)
    ]
    assert len(found) == 1, f"expected one step {uses or run!r}, found {len(found)}"
    return found[0]


# actionlint.


def test_actionlint_accepts_the_workflows() -> None:
    files = sorted(p.relative_to(REPO).as_posix() for p in WORKFLOWS.glob("*.y*ml"))
    assert files == [
        ".github/workflows/pr.yml",
        ".github/workflows/publish.yml",
        ".github/workflows/tests.yml",
    ]
    result = actionlint(REPO, files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["pr.yml", "publish.yml", "tests.yml"])
def test_actions_are_pinned_to_a_major_version(name: str) -> None:
    uses = [
        str(step["uses"])
        for job in _workflow(name)["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    ]
    assert uses
    assert [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", u)] == []


# The pull-request workflow.


def test_pr_workflow_runs_on_pull_requests() -> None:
    flow = _workflow("pr.yml")
    assert "pull_request" in flow["on"]
    assert flow["permissions"] == {"contents": "read"}


def test_pr_workflow_checks_changed_postmortems_then_builds() -> None:
    (job,) = _workflow("pr.yml")["jobs"].values()
    steps = _steps(job)
    checkout = _index(steps, uses="actions/checkout")
    assert steps[checkout]["with"]["fetch-depth"] == 0
    python = _index(steps, uses="actions/setup-python")
    assert str(steps[python]["with"]["python-version"]) == "3.11"
    install = _index(steps, run="pip install -e .")
    check = _index(
        steps, run="pmkb check --changed-since origin/${{ github.base_ref }} --format github"
    )
    build = _index(steps, run="mkdocs build --strict")
    assert checkout < python < install < check < build


# The publishing workflow.


def test_publish_workflow_runs_on_pushes_to_main() -> None:
    flow = _workflow("publish.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert flow["concurrency"]["group"]
    assert flow["concurrency"]["cancel-in-progress"] is False


def test_publish_workflow_runs_weekly_so_that_the_build_date_moves_on() -> None:
    # The home page's "on this day" and the overdue action items are as of the build date.
    assert _workflow("publish.yml")["on"]["schedule"] == [{"cron": "30 5 * * 1"}]


def test_publish_workflow_builds_and_deploys_with_the_pages_actions() -> None:
    jobs = _workflow("publish.yml")["jobs"]
    build = _steps(jobs["build"])
    order = [
        _index(build, uses="actions/checkout"),
        _index(build, uses="actions/setup-python"),
        _index(build, run="pip install -e ."),
        _index(build, run="mkdocs build --strict"),
        _index(build, uses="actions/upload-pages-artifact"),
    ]
    assert order == sorted(order)
    assert _index(build, uses="actions/configure-pages") < order[-1]
    python = build[order[1]]
    assert str(python["with"]["python-version"]) == "3.11"
    upload = build[order[-1]]
    site_dir = (_load(REPO / "mkdocs.yml") or {}).get("site_dir", "site")
    assert upload["with"]["path"] == site_dir

    deploy = jobs["deploy"]
    assert deploy["needs"] in ("build", ["build"])
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    steps = _steps(deploy)
    step = steps[_index(steps, uses="actions/deploy-pages")]
    assert step["id"] == "deployment"


def test_only_the_publishing_build_holds_the_cache_key() -> None:
    # Pages sealed with the key are published as they are: no workflow that builds a pull
    # request may hold it.
    for name in ("pr.yml", "tests.yml", "publish.yml"):
        steps = [s for job in _workflow(name)["jobs"].values() for s in _steps(job)]
        keyed = [s.get("run") for s in steps if "PMKB_CACHE_KEY" in s.get("env", {})]
        assert keyed == (["mkdocs build --strict"] if name == "publish.yml" else []), name
    build = _steps(_workflow("publish.yml")["jobs"]["build"])
    cache = build[_index(build, uses="actions/cache")]
    assert "\n.cache/pmkb/finished\n" in f"\n{cache['with']['path']}"


# pmkb's own tests.


def test_tests_workflow_runs_on_pushes_and_pull_requests() -> None:
    flow = _workflow("tests.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in flow["on"]
    assert flow["permissions"] == {"contents": "read"}
    assert flow["env"]["CI"] == "true"  # missing tools fail the tests instead of skipping them


def test_tests_workflow_covers_every_platform_and_the_supported_pythons() -> None:
    (job,) = _workflow("tests.yml")["jobs"].values()
    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False
    oldest = re.fullmatch(r">=(3\.\d+)", _pyproject()["project"]["requires-python"])
    assert oldest is not None
    assert matrix["python"][0] == oldest.group(1)
    assert matrix["python"] == sorted(matrix["python"], key=lambda v: tuple(map(int, v.split("."))))
    assert len(matrix["python"]) >= 2


def test_tests_workflow_lints_checks_types_and_tests() -> None:
    (job,) = _workflow("tests.yml")["jobs"].values()
    steps = _steps(job)
    python = _index(steps, uses="actions/setup-python")
    assert steps[python]["with"] == {
        "python-version": "${{ matrix.python }}",
        "cache": "pip",
        "cache-dependency-path": "pyproject.toml",
    }
    install = _index(steps, run='python -m pip install -e ".[dev]"')
    lint = _index(
        steps,
        run="ruff check plugins tests benchmarks ruff format --check plugins tests benchmarks",
    )
    types = _index(steps, run="mypy")
    tests = _index(
        steps,
        run="python -m pytest -q ${{ runner.os != 'Linux' && '--ignore=tests/browser' || '' }}",
    )
    assert _index(steps, uses="actions/checkout") < python < install < lint < types < tests


def test_tests_workflow_gives_the_browser_tests_chrome_on_linux() -> None:
    (job,) = _workflow("tests.yml")["jobs"].values()
    steps = _steps(job)
    chrome = steps[_index(steps, uses="browser-actions/setup-chrome")]
    assert chrome["if"] == "runner.os == 'Linux'"
    tests = next(s for s in steps if "pytest" in str(s.get("run", "")))
    # The browser fixture launches the browser CHROMIUM names (tests/browser/conftest.py).
    assert tests["env"]["CHROMIUM"] == f"${{{{ steps.{chrome['id']}.outputs.chrome-path }}}}"
    assert steps.index(chrome) < steps.index(tests)
    conftest = (REPO / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    assert 'os.environ.get("CHROMIUM")' in conftest


def _pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


# pre-commit.


def _hooks() -> list[dict[str, Any]]:
    data = _load(REPO / ".pre-commit-hooks.yaml")
    assert isinstance(data, list)
    return data


def _config_hooks() -> dict[str, dict[str, Any]]:
    data = _load(REPO / ".pre-commit-config.yaml")
    assert isinstance(data, dict)
    (repo,) = data["repos"]
    assert repo["repo"] == "local"
    return {h["id"]: h for h in repo["hooks"]}


def _selects(hook: dict[str, Any], path: str) -> bool:
    """Whether pre-commit passes `path` to the hook: it searches `files`, then `exclude`."""
    if not re.search(hook.get("files", ""), path):
        return False
    return not re.search(hook["exclude"], path) if hook.get("exclude") else True


def test_pre_commit_hook_manifest() -> None:
    (hook,) = _hooks()
    assert hook["id"] == "pmkb-check"
    assert hook["entry"] == "pmkb check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True  # one run: the whole knowledge base is read each time
    for key in ("name", "description"):
        assert hook[key]


def test_pre_commit_config_hooks() -> None:
    hooks = _config_hooks()
    assert list(hooks) == ["ruff-check", "ruff-format", "pmkb-check"]
    assert hooks["ruff-check"]["entry"].split()[:2] == ["ruff", "check"]
    assert hooks["ruff-format"]["entry"].split()[:2] == ["ruff", "format"]
    (manifest,) = _hooks()
    local = hooks["pmkb-check"]
    for key in ("entry", "files", "exclude", "pass_filenames", "require_serial"):
        assert local[key] == manifest[key], key


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("postmortems/2026/x.md", True),
        ("postmortems/2024/2024-02-06-search-autocomplete-timeouts.md", True),
        ("postmortems/x.markdown", True),
        ("docs/index.md", False),
        ("README.md", False),
        ("postmortems/README.md", False),
        ("postmortems/2026/index.md", False),
        ("postmortems/services.yml", True),  # a catalog edit checks the postmortems it affects
        ("postmortems/factors.yml", True),
        ("postmortems/2026/services.yml", False),
        ("old/postmortems/2026/x.md", False),
    ],
)
def test_pre_commit_hook_files(path: str, selected: bool) -> None:
    for hook in (*_hooks(), _config_hooks()["pmkb-check"]):
        assert _selects(hook, path) is selected


def test_pre_commit_hook_selects_every_example_postmortem() -> None:
    (hook,) = _hooks()
    kb = load(load_project(None, REPO))
    displays = [pm.display for pm in kb.postmortems]
    assert displays
    assert [d for d in displays if not _selects(hook, d)] == []


# The adoption guide shows the files as they are.


@pytest.mark.parametrize("name", [".github/workflows/pr.yml", ".github/workflows/publish.yml"])
def test_adoption_guide_shows_the_file(name: str) -> None:
    text = (REPO / name).read_text(encoding="utf-8")
    blocks = re.findall(r"^```ya?ml\n(.*?)^```", ADOPTING, re.M | re.S)
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert any(body.strip() in block for block in blocks), f"{name} is not shown in adopting.md"


def _section(heading: str) -> str:
    start = ADOPTING.index(f"\n{heading}\n")
    end = ADOPTING.find("\n## ", start + len(heading) + 2)
    return ADOPTING[start : end if end > 0 else None]


def test_adoption_guide_new_example_is_what_pmkb_prints(tmp_path: Path, run: Runner) -> None:
    section = _section("## Pull requests")
    found = re.search(r"```console\n\$ (pmkb new .*)\n(.*)\n```", section)
    assert found is not None
    command, output = found.groups()
    make_project(tmp_path)
    result = run(*shlex.split(command)[1:])
    assert result.code == 0, result.err
    assert result.out == output + "\n"


def test_adoption_guide_problem_matcher_reads_pmkb_findings(tmp_path: Path, run: Runner) -> None:
    section = _section("## Editor support")
    assert "$ pmkb schema > postmortem.schema.json\n" in section
    (block,) = re.findall(r"^```json\n(.*?)^```", section, re.M | re.S)
    (task,) = json.loads(block)["tasks"]
    assert task["command"] == "pmkb check"
    pattern = task["problemMatcher"]["pattern"]
    make_project(
        tmp_path, files={"postmortems/2026/a.md": VALID.replace("severity: SEV2", "severity: P1")}
    )
    (line, _summary) = run("check").lines
    match = re.match(pattern["regexp"], line)
    assert match is not None, line
    fields = {k: match.group(v) for k, v in pattern.items() if k != "regexp"}
    assert fields == {
        "file": "postmortems/2026/a.md",
        "line": "4",
        "column": "11",
        "severity": "error",
        "code": "PMK107",
        "message": "`severity: P1` is not one of SEV1, SEV2, SEV3, SEV4",
    }
