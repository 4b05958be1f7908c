"""`pmkb init`: a knowledge base that checks, builds and passes actionlint, written without ever
overwriting a file."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import BUILD_EPOCH, Runner, actionlint, build, read, search_docs
from pmkb.cli import init
from pmkb.cli.init import PLANNED, REPO_URL, template_text

FILES = {
    "mkdocs.yml",
    "mkdocs.public.yml",
    "docs/index.md",
    "postmortems/services.yml",
    "postmortems/factors.yml",
    ".gitignore",
    ".gitattributes",
    ".github/pmkb-requirements.txt",
    ".github/workflows/pr.yml",
    ".github/workflows/publish.yml",
    ".github/workflows/reminders.yml",
    ".pre-commit-config.yaml",
}


class _SiteLoader(yaml.SafeLoader):
    """mkdocs.yml as MkDocs reads it, `!ENV` unset (init's `site_url: !ENV SITE_URL`)."""


_SiteLoader.add_constructor("!ENV", lambda loader, node: None)


def _site_config(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SiteLoader)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "site" not in p.relative_to(root).parts
    }


def _examples(root: Path) -> list[Path]:
    return sorted((root / "postmortems").glob("*/*.md"))


@pytest.fixture
def kb(tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> Path:
    # On the day the tests build on: the example postmortem is dated a week before the day
    # `pmkb init` runs, and a date more than a year after the build date is an error.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = tmp_path / "Acme incidents"
    result = run("init", str(root), "--yes")
    assert result.code == 0, result.err
    assert result.err == ""
    return root


def test_init_writes_a_knowledge_base(kb: Path, run: Runner) -> None:
    written = set(_files(kb))
    assert written - FILES == {_examples(kb)[0].relative_to(kb).as_posix()}
    assert written >= FILES
    (example,) = _examples(kb)
    assert re.fullmatch(r"\d{4}", example.parent.name)
    assert _site_config(kb / "mkdocs.yml")["site_name"] == "Acme incidents"
    assert (kb / ".gitignore").read_text(encoding="utf-8").split() == [
        "site/",
        "site-public/",
        ".cache/",
    ]


@pytest.mark.parametrize(
    ("platform", "shown"), [("linux", "cd 'Acme incidents'"), ("win32", 'cd "Acme incidents"')]
)
def test_init_says_what_to_run_next_as_the_platform_s_shells_read_it(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, platform: str, shown: str
) -> None:
    monkeypatch.setattr(init.sys, "platform", platform)
    result = run("init", "Acme incidents", "--yes", cwd=tmp_path)
    assert result.lines[-4:] == ["Next:", f"  {shown}", "  pmkb check", "  mkdocs serve --dirty"]


def test_a_checkout_with_crlf_line_ends_is_kept_out(kb: Path) -> None:
    # Git for Windows checks text out with CRLF unless told otherwise; pmkb reports such files.
    attributes = (kb / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert {"*.md text eol=lf", "*.yml text eol=lf"} <= set(attributes)


def test_init_asks_nothing_with_a_name(tmp_path: Path, run: Runner) -> None:
    result = run("init", "--name", "Ops: postmortems", "--yes")
    assert result.code == 0
    config = _site_config(tmp_path / "mkdocs.yml")
    assert config["site_name"] == "Ops: postmortems"
    assert result.lines[-3:] == ["Next:", "  pmkb check", "  mkdocs serve --dirty"]


def test_the_new_knowledge_base_checks_clean(kb: Path, check_json: Runner) -> None:
    result = check_json(cwd=kb)
    assert result.code == 0, result.out + result.err
    levels = {f["level"] for f in result.data["findings"]}
    assert levels <= {"info"}, result.data["findings"]


def test_the_new_knowledge_base_builds_strictly(kb: Path) -> None:
    result = build(kb, strict=True)
    assert result.returncode == 0, result.stderr
    (example,) = _examples(kb)
    incident = read(kb, f"incidents/{example.stem}/index.html")
    assert "Example service errors after a configuration change" in incident
    for listing in ("incidents", "services", "factors", "trends", "action-items"):
        assert (kb / "site" / listing / "index.html").is_file(), listing
    home = read(kb, "index.html")
    for listing in ("incidents/", "services/", "factors/", "trends/", "action-items/"):
        assert f'href="{listing}"' in home, listing
    # The faceted search holds it; Material's index holds the pages written in docs/.
    found = (kb / "site" / "search" / "index" / "d").glob("*.json")
    assert f'"url":"incidents/{example.stem}/"' in "".join(p.read_text("utf-8") for p in found)
    assert search_docs(kb)


def test_init_again_changes_nothing(kb: Path, run: Runner) -> None:
    before = _files(kb)
    result = run("init", str(kb), "--yes")
    assert result.code == 0
    assert _files(kb) == before
    skipped = [line for line in result.lines if line.startswith("skipped ")]
    assert len(skipped) == len(before)
    assert not any(line.startswith("wrote ") for line in result.lines)
    assert "plugins:" not in result.out  # its own mkdocs.yml already has pmkb


def test_init_in_an_existing_site_leaves_mkdocs_yml_alone(tmp_path: Path, run: Runner) -> None:
    config = b"site_name: Our docs\r\nnav:\n  - Home: index.md\n"
    (tmp_path / "mkdocs.yml").write_bytes(config)
    (tmp_path / "docs").mkdir()
    result = run("init", "--yes")
    assert result.code == 0, result.err
    assert (tmp_path / "mkdocs.yml").read_bytes() == config
    assert not (tmp_path / "docs" / "index.md").exists()
    assert (tmp_path / "postmortems" / "factors.yml").is_file()
    assert "skipped mkdocs.yml: it exists" in result.lines
    lines = result.out[result.out.index("plugins:") :].splitlines()
    assert lines[:4] == [
        "plugins:",
        "  - search",
        "  - pmkb:",
        "      postmortems_dir: postmortems",
    ]
    # The publish workflow written sets SITE_URL, which this mkdocs.yml does not read yet.
    assert lines[4].startswith("mkdocs.yml sets no site_url: add `site_url: !ENV SITE_URL`")
    # One that sets its address is told nothing more.
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "mkdocs.yml").write_text(
        "site_name: x\nsite_url: https://kb.example/\n", encoding="utf-8", newline="\n"
    )
    again = run("init", "--yes", cwd=tmp_path / "again")
    assert not any("site_url" in line for line in again.lines)


def test_init_never_overwrites_an_existing_file(tmp_path: Path, run: Runner) -> None:
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "services.yml").write_text(
        "mine: {name: Mine}\n", encoding="utf-8", newline="\n"
    )
    result = run("init", "--yes")
    assert result.code == 0
    assert (tmp_path / "postmortems" / "services.yml").read_text(
        encoding="utf-8"
    ) == "mine: {name: Mine}\n"
    assert "skipped postmortems/services.yml: it exists" in result.lines


def test_init_into_a_file_is_a_usage_error(tmp_path: Path, run: Runner) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8", newline="\n")
    result = run("init", "file", "--yes")
    assert result.code == 2
    assert result.err.strip() == "pmkb init: file is not a folder"


def test_init_reports_a_disk_error(tmp_path: Path, run: Runner) -> None:
    (tmp_path / ".github").write_text("a file where a folder goes", encoding="utf-8", newline="\n")
    result = run("init", "--yes")
    assert result.code == 2
    assert result.err.startswith("pmkb init: ")
    assert len(result.err.splitlines()) == 1


def _workflow(root: Path, name: str) -> dict[str, Any]:
    data = yaml.safe_load((root / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_workflows_pass_actionlint(kb: Path) -> None:
    files = [
        ".github/workflows/pr.yml",
        ".github/workflows/publish.yml",
        ".github/workflows/reminders.yml",
    ]
    result = actionlint(kb, files)
    assert result.returncode == 0, result.stdout + result.stderr


def _requirement(root: Path) -> str:
    """The one requirement of .github/pmkb-requirements.txt, without its comments."""
    text = (root / ".github" / "pmkb-requirements.txt").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return line


@pytest.mark.parametrize("name", ["pr.yml", "publish.yml"])
def test_the_workflows_install_pmkb_from_one_file(kb: Path, name: str) -> None:
    assert _requirement(kb) == "pmkb==0.1.0"
    flow = _workflow(kb, name)
    runs = [s.get("run", "") for job in flow["jobs"].values() for s in job["steps"]]
    installs = [r for r in runs if "pip install" in r]
    assert set(installs) == {"pip install -r .github/pmkb-requirements.txt"}
    assert "mkdocs build --strict" in runs
    # pip's cache is keyed on what it installs: a new pin is a new cache.
    caches = [
        step["with"]["cache-dependency-path"]
        for job in flow["jobs"].values()
        for step in job["steps"]
        if "cache-dependency-path" in step.get("with", {})
    ]
    assert set(caches) == {".github/pmkb-requirements.txt"}


def test_the_published_site_knows_its_address(kb: Path) -> None:
    # Its feeds need the address, and the 404 page, served at any depth, its path.
    steps = _workflow(kb, "publish.yml")["jobs"]["build"]["steps"]
    (pages,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/configure-pages@")]
    build_step = next(s for s in steps if s.get("run") == "mkdocs build --strict")
    assert build_step["env"]["SITE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    result = build(kb, strict=True, env={"SITE_URL": "https://acme.github.io/incidents"})
    assert result.returncode == 0, result.stderr
    assert "https://acme.github.io/incidents/" in read(kb, "feed.xml")
    assert 'href="/incidents/assets/' in read(kb, "404.html")
    # Built without it (a preview, another host): no feeds, and no error.
    result = build(kb, strict=True)
    assert result.returncode == 0, result.stderr
    assert not (kb / "site" / "feed.xml").exists()


def test_only_the_publishing_build_is_given_the_cache_key(kb: Path) -> None:
    # The key seals pages pmkb publishes as they are: a workflow that builds pull requests must
    # never hold it, and the one that publishes restores what it lets the next runner take.
    def keyed(name: str) -> list[str]:
        flow = _workflow(kb, name)
        return [
            step.get("run", step.get("uses", ""))
            for job in flow["jobs"].values()
            for step in job["steps"]
            if "PMKB_CACHE_KEY" in step.get("env", {})
        ]

    assert keyed("pr.yml") == []
    assert keyed("publish.yml") == ["mkdocs build --strict"]
    steps = _workflow(kb, "publish.yml")["jobs"]["build"]["steps"]
    build = next(s for s in steps if s.get("run") == "mkdocs build --strict")
    assert build["env"]["PMKB_CACHE_KEY"] == "${{ secrets.PMKB_CACHE_KEY }}"
    (cache,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    paths = cache["with"]["path"].split()
    assert paths == [
        ".cache/pmkb/pages",
        ".cache/pmkb/postmortems-*",
        ".cache/pmkb/finished",
        ".cache/pmkb/other-pages-*",
    ]


def test_the_pr_workflow_checks_changed_postmortems(kb: Path) -> None:
    runs = [s.get("run", "") for s in _workflow(kb, "pr.yml")["jobs"]["check"]["steps"]]
    assert "pmkb check --changed-since origin/${{ github.base_ref }} --format github" in runs


COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _pins(root: Path) -> tuple[str, str, str]:
    """The workflows' requirement, and the pre-commit hook's repository and revision."""
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    return _requirement(root), repo["repo"], repo["rev"]


@pytest.mark.parametrize(
    ("spec", "hook"),
    [
        (
            f"pmkb @ git+https://github.com/acme/pmkb-fork@{COMMIT}",
            "https://github.com/acme/pmkb-fork",
        ),
        (f"pmkb@git+https://github.com/acme/pmkb.git@{COMMIT}", "https://github.com/acme/pmkb.git"),
        ("pmkb == 1.2.3", REPO_URL),
    ],
)
def test_install_option_pins_the_workflows_and_the_hook(
    tmp_path: Path, run: Runner, spec: str, hook: str
) -> None:
    result = run("init", "--yes", "--install", spec)
    assert result.code == 0, result.err
    rev = "v1.2.3" if spec.endswith("1.2.3") else COMMIT
    assert _pins(tmp_path) == (spec, hook, rev)
    assert not any(line.startswith("Note:") for line in result.lines)


@pytest.mark.parametrize(
    "spec",
    [
        "pmkb",
        "pmkb>=0.1",
        "pmkb @ git+https://github.com/acme/pmkb@main",
        "pmkb @ git+https://github.com/acme/pmkb",
        "pmkb @ git+https://github.com/acme/pmkb@0123abc",  # pre-commit cannot fetch a short one
        "pmkb==1.0\nother==2",
        "pmkb\n==1.0",
        "",
    ],
)
def test_an_unpinned_install_is_refused(tmp_path: Path, run: Runner, spec: str) -> None:
    result = run("init", "--yes", "--install", spec)
    assert result.code == 2
    assert "is not pinned; give a version, `pmkb==1.2.3`, or a commit" in result.err
    assert list(tmp_path.iterdir()) == []


def test_init_pins_the_commit_pmkb_was_installed_from(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = {
        "url": "https://github.com/acme/pmkb.git",
        "vcs_info": {"vcs": "git", "commit_id": COMMIT},
    }
    monkeypatch.setattr("pmkb.cli.init._installed_from", lambda: source)
    result = run("init", "--yes")
    assert result.code == 0, result.err
    spec = f"pmkb @ git+https://github.com/acme/pmkb.git@{COMMIT}"
    assert _pins(tmp_path) == (spec, "https://github.com/acme/pmkb.git", COMMIT)
    assert not any(line.startswith("Note:") for line in result.lines)


def test_init_pins_the_release_pmkb_was_installed_from(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmkb.cli.init._installed_from", lambda: None)  # from a package index
    result = run("init", "--yes")
    assert result.code == 0, result.err
    assert _pins(tmp_path) == ("pmkb==0.1.0", REPO_URL, "v0.1.0")
    assert not any(line.startswith("Note:") for line in result.lines)


def test_init_from_a_local_pmkb_says_the_release_must_exist(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = {"url": "file:///home/me/pmkb", "dir_info": {"editable": True}}
    monkeypatch.setattr("pmkb.cli.init._installed_from", lambda: source)
    result = run("init", "--yes")
    assert result.code == 0, result.err
    assert _pins(tmp_path) == ("pmkb==0.1.0", REPO_URL, "v0.1.0")
    (note,) = [line for line in result.lines if line.startswith("Note:")]
    assert "file:///home/me/pmkb" in note
    assert (
        "the workflows install `pmkb==0.1.0` and the pre-commit hook takes pmkb's tag `v0.1.0`, "
        "which need that release"
    ) in note
    assert f"--install 'pmkb @ git+{REPO_URL}@COMMIT'" in note
    # Said once, when the files that pin pmkb are written: not again when nothing is.
    again = run("init", "--yes")
    assert not any(line.startswith("Note:") for line in again.lines)


def test_the_pre_commit_hook_is_pinned(kb: Path) -> None:
    config = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"] == REPO_URL
    assert repo["rev"] == "v0.1.0"
    hooks = yaml.safe_load(
        (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    assert [h["id"] for h in repo["hooks"]] == [hooks[0]["id"]]


def test_the_pre_commit_hook_runs_on_postmortems_and_catalog_edits(kb: Path) -> None:
    """The generated configuration spells the manifest's `files:` out, for teams to edit when
    their postmortems live elsewhere."""
    config = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = config["repos"][0]["hooks"]
    (manifest,) = yaml.safe_load(
        (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    assert hook["files"] == manifest["files"]
    (example,) = _examples(kb)
    for path in (
        example.relative_to(kb).as_posix(),
        "postmortems/services.yml",
        "postmortems/factors.yml",
    ):
        assert re.search(hook["files"], path), path
    assert not re.search(hook["files"], "docs/index.md")


def test_the_factors_catalog_is_categorised_and_described(kb: Path) -> None:
    factors = yaml.safe_load((kb / "postmortems" / "factors.yml").read_text(encoding="utf-8"))
    assert len(factors) >= 6
    for ident, factor in factors.items():
        assert factor.get("name"), ident
        assert factor.get("category"), ident
        assert len(factor.get("description", "")) > 20, ident
    categories = {f["category"] for f in factors.values()}
    assert {"Change", "Capacity", "Dependencies", "Detection", "Process", "Design"} <= categories
    example = yaml.safe_load(
        (Path(__file__).parent.parent / "postmortems" / "factors.yml").read_text(encoding="utf-8")
    )
    assert len(set(factors) & set(example)) >= len(factors) - 1  # the example's ids where they fit


def test_the_services_catalog_is_a_placeholder(kb: Path) -> None:
    text = (kb / "postmortems" / "services.yml").read_text(encoding="utf-8")
    assert "REPLACE" in text
    assert list(yaml.safe_load(text)) == ["example-service"]


def test_the_wheel_carries_every_template() -> None:
    pyproject = tomllib.loads(
        (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    )
    globs = pyproject["tool"]["setuptools"]["package-data"]["pmkb.cli"]
    for planned in PLANNED:
        assert template_text(planned.template)
        path = f"init_files/{planned.template}"
        # setuptools' `*` stops at a slash, as fnmatch's does not: compare depths too.
        assert any(fnmatch.fnmatch(path, g) and path.count("/") == g.count("/") for g in globs), (
            path
        )


def test_init_asks_for_the_name_only_on_a_terminal_without_yes(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "Typed name"

    monkeypatch.setattr("builtins.input", answer)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    for args, folder in ((["--yes"], "a"), (["--name", "Given"], "b"), ([], "c")):
        assert run("init", folder, *args).code == 0
    assert prompts == ["Site name [c]: "]
    names = [_site_config(tmp_path / f / "mkdocs.yml")["site_name"] for f in "abc"]
    assert names == ["a", "Given", "Typed name"]


def test_init_on_another_day_adds_no_second_example(
    kb: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _files(kb)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "4102444800")  # 2100-01-01
    result = run("init", str(kb), "--yes")
    assert result.code == 0
    assert _files(kb) == before
    assert any("already holds a postmortem" in line for line in result.lines)


ARCHIVE_POSTMORTEM = """\
---
name: Search errors after an index rebuild
day: 2024-02-03
team: Search
---

## Summary

Search returned errors for ten minutes.
"""


def test_init_with_import_starts_the_knowledge_base_from_an_archive(
    tmp_path: Path, run: Runner
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "search.md").write_text(ARCHIVE_POSTMORTEM, encoding="utf-8", newline="\n")
    (tmp_path / "map.yml").write_text(
        "fields: {title: name, date: day, services: team}\n", encoding="utf-8", newline="\n"
    )
    result = run(
        "init", "kb", "--yes", "--import", "archive", "--mapping", "map.yml", "--add-to-catalog"
    )
    assert result.code == 0, result.err
    kb = tmp_path / "kb"
    # The check of what was imported keeps its index where `pmkb check` does (ignored by git).
    assert {f for f in _files(kb) if not f.startswith(".cache/")} == FILES | {
        "postmortems/2024/2024-02-03-search-errors-after-an-index-rebuild.md"
    }
    assert any(
        re.fullmatch(
            r"skipped postmortems/\d{4}/.*-example-config-change\.md: postmortems are"
            r" imported instead",
            line,
        )
        for line in result.lines
    )
    assert (
        "wrote postmortems/2024/2024-02-03-search-errors-after-an-index-rebuild.md"
        f" (from {archive.as_posix()}/search.md)"
    ) in result.lines
    assert "added service `search` (Search) to postmortems/services.yml" in result.lines
    assert "Read 1 file(s): 1 written, 0 imported before, 0 skipped." in result.lines
    assert result.lines[-4:] == ["Next:", "  cd kb", "  pmkb check", "  mkdocs serve --dirty"]


def test_init_with_a_bad_mapping_writes_nothing(tmp_path: Path, run: Runner) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "map.yml").write_text("fields: {titel: name}\n", encoding="utf-8", newline="\n")
    result = run("init", "kb", "--yes", "--import", "archive", "--mapping", "map.yml")
    assert result.code == 2
    assert result.err.startswith("map.yml:1:10: error PMK701 unknown key `titel` in `fields`")
    assert not (tmp_path / "kb").exists()


def test_the_public_config_builds_the_public_site_from_the_same_repository(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)  # the example's date, as in `kb`
    assert run("init", "--name", "Acme incidents", cwd=tmp_path).code == 0
    (example,) = (tmp_path / "postmortems").rglob("*example-config-change.md")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.public.yml"]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    # The example is internal, as every postmortem is unless marked: the public site has none.
    page = tmp_path / "site-public" / "incidents" / example.stem / "index.html"
    assert (tmp_path / "site-public" / "index.html").is_file() and not page.exists()
    assert "Acme incidents" in (tmp_path / "site-public" / "index.html").read_text("utf-8")
    flow = yaml.safe_load((tmp_path / ".github/workflows/publish.yml").read_text("utf-8"))
    runs = [step.get("run") for step in flow["jobs"]["public"]["steps"]]
    assert "mkdocs build --strict -f mkdocs.public.yml" in runs
    # Both sites are built every Monday too, so that what depends on the date follows it.
    assert flow[True]["schedule"] == [{"cron": "30 5 * * 1"}]
