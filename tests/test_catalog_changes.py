"""A pull request or a commit that edits only `services.yml` or `factors.yml` checks the
postmortems the edit affects: `pmkb check --changed-since REF`, and `pmkb check CATALOG` as the
pre-commit hook runs it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import FACTORS, SERVICES, VALID, Runner, catalog_text, make_project, symlink

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

Git = Callable[..., str]


def _postmortem(services: str, factors: str, severity: str = "SEV2") -> str:
    return (
        VALID.replace("services: [checkout]", f"services: [{services}]")
        .replace("contributing_factors: [config-change]", f"contributing_factors: [{factors}]")
        .replace("severity: SEV2", f"severity: {severity}")
    )


POSTMORTEMS = {
    "postmortems/2026/checkout.md": _postmortem("checkout", "config-change"),
    "postmortems/2026/payments.md": _postmortem("payments", "missing-alert"),
    "postmortems/2026/alias.md": _postmortem("checkout", "misconfiguration"),
    # Broken since before the branch, in a way no catalog edit touches.
    "postmortems/2025/old-broken.md": _postmortem("checkout", "config-change", severity="P1"),
}


@pytest.fixture
def project(tmp_path: Path, git: Git) -> Path:
    """The postmortems above committed on main, and a branch `edit` to change the catalogs on."""
    git("init", "-q")
    git("symbolic-ref", "HEAD", "refs/heads/main")
    make_project(tmp_path, files=POSTMORTEMS)
    git("add", "-A")
    git("commit", "-q", "-m", "main")
    git("checkout", "-q", "-b", "edit")
    return tmp_path


def _edit(root: Path, git: Git, name: str, catalog: dict[str, Any], *, commit: bool = True) -> None:
    (root / "postmortems" / name).write_text(catalog_text(catalog), encoding="utf-8", newline="\n")
    if commit:
        git("commit", "-q", "-am", f"Edit {name}")


def _without(catalog: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in catalog.items() if k != key}


def _found(check_json: Runner, *args: str) -> tuple[int, int, set[tuple[str, str]]]:
    result = check_json(*args)
    assert result.err == ""
    codes = {(f["path"], f["code"]) for f in result.data["findings"]}
    return result.code, result.data["files"], codes


def test_removing_a_service_still_named_fails_the_postmortem_that_names_it(
    project: Path, git: Git, check_json: Runner
) -> None:
    _edit(project, git, "services.yml", _without(SERVICES, "payments"))
    code, files, found = _found(check_json, "--changed-since", "main")
    assert code == 1
    assert found == {("postmortems/2026/payments.md", "PMK109")}
    assert files == 1


def test_renaming_a_factor_fails_every_postmortem_of_the_old_id(
    project: Path, git: Git, check_json: Runner
) -> None:
    renamed = {("config-push" if k == "config-change" else k): v for k, v in FACTORS.items()}
    _edit(project, git, "factors.yml", renamed)
    code, _files, found = _found(check_json, "--changed-since", "main")
    assert code == 1
    assert ("postmortems/2026/checkout.md", "PMK110") in found
    assert ("postmortems/2026/payments.md", "PMK110") not in found
    # The one that names the alias is shown too: it now counts as `config-push`.
    assert ("postmortems/2026/alias.md", "PMK111") in found


def test_removing_an_alias_still_used_fails_the_postmortem_that_uses_it(
    project: Path, git: Git, check_json: Runner
) -> None:
    factors = {**FACTORS, "config-change": _without(FACTORS["config-change"], "aliases")}
    _edit(project, git, "factors.yml", factors)
    code, _files, found = _found(check_json, "--changed-since", "main")
    assert code == 1
    assert found == {("postmortems/2026/alias.md", "PMK110")}


def test_moving_an_alias_shows_which_factor_the_postmortem_now_counts_as(
    project: Path, git: Git, check_json: Runner
) -> None:
    factors = {
        "config-change": _without(FACTORS["config-change"], "aliases"),
        "missing-alert": {**FACTORS["missing-alert"], "aliases": ["misconfiguration"]},
    }
    _edit(project, git, "factors.yml", factors)
    result = check_json("--changed-since", "main")
    assert result.code == 0
    (shown,) = result.data["findings"]
    assert (shown["path"], shown["code"]) == ("postmortems/2026/alias.md", "PMK111")
    assert "`missing-alert`" in shown["message"]


def test_a_catalog_edit_that_breaks_nothing_reports_nothing(
    project: Path, git: Git, check_json: Runner
) -> None:
    services = {**SERVICES, "search": {"name": "Search", "owner": "team-discovery"}}
    _edit(project, git, "services.yml", services)
    code, files, found = _found(check_json, "--changed-since", "main")
    # Not the old broken postmortem: the edit does not touch it.
    assert (code, files, found) == (0, 0, set())


def test_a_factors_edit_shows_the_postmortems_that_use_an_alias(
    project: Path, git: Git, check_json: Runner
) -> None:
    """An alias may stand for another factor now: the postmortems that use one are shown which
    factor they count as (an info, not a failure)."""
    factors = {**FACTORS, "traffic-surge": {"name": "Traffic surge", "category": "Capacity"}}
    _edit(project, git, "factors.yml", factors)
    code, files, found = _found(check_json, "--changed-since", "main")
    assert (code, files, found) == (0, 1, {("postmortems/2026/alias.md", "PMK111")})


def test_an_uncommitted_catalog_edit_counts_too(
    project: Path, git: Git, check_json: Runner
) -> None:
    _edit(project, git, "services.yml", _without(SERVICES, "payments"), commit=False)
    code, _files, found = _found(check_json, "--changed-since", "HEAD")
    assert code == 1
    assert ("postmortems/2026/payments.md", "PMK109") in found


def test_without_a_catalog_edit_the_untouched_postmortems_are_not_checked(
    project: Path, git: Git, check_json: Runner
) -> None:
    """The other side: on a branch that edits only a postmortem's text, the postmortem that names
    an alias is not shown."""
    path = project / "postmortems/2026/checkout.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("20 minutes", "21 minutes"),
        encoding="utf-8",
        newline="\n",
    )
    git("commit", "-q", "-am", "Edit a postmortem")
    code, files, found = _found(check_json, "--changed-since", "main")
    assert (code, files, found) == (0, 1, set())


@pytest.mark.parametrize("how", ["deleted", "deleted, not committed", "renamed away"])
@pytest.mark.parametrize("name", ["services.yml", "factors.yml"])
def test_a_catalog_gone_fails_every_postmortem_naming_its_entries_as_the_full_check_does(
    project: Path, git: Git, run: Runner, name: str, how: str
) -> None:
    """Every postmortem names a service and a factor: each is reported, not the catalog alone."""
    if how == "renamed away":
        (project / "catalogs").mkdir()
        git("mv", f"postmortems/{name}", f"catalogs/{name}")
    else:
        git("rm", "-q", f"postmortems/{name}")
    if how != "deleted, not committed":
        git("commit", "-q", "-m", f"Remove {name}")
    unknown = (
        "postmortems/2026/payments.md:6:12: error PMK109 unknown service `payments`"
        if name == "services.yml"
        else "postmortems/2026/payments.md:7:24: error PMK110 unknown contributing factor"
        " `missing-alert`"
    )
    full = run("check")
    result = run("check", "--changed-since", "main")
    assert result.lines == full.lines
    assert unknown in result.lines
    assert (
        f"postmortems/{name}:1:1: error PMK501 cannot read the catalog: No such file or directory"
        in result.lines
    )
    assert result.lines[-1].startswith("Checked 4 postmortem file(s): ")
    assert result.code == full.code == 1


def test_a_catalog_made_a_link_is_checked_as_the_catalog_not_as_a_postmortem(
    project: Path, git: Git, run: Runner
) -> None:
    # The link's target, a new file, is what the catalog resolves to: it is the catalog, read
    # through the link as the full check reads it, not a postmortem without front matter.
    catalog = project / "postmortems" / "services.yml"
    (project / "elsewhere.yml").write_bytes(catalog.read_bytes())
    catalog.unlink()
    symlink(catalog, Path("..") / "elsewhere.yml")
    git("add", "-A")
    git("commit", "-q", "-m", "The catalog kept elsewhere")
    full = run("check")
    result = run("check", "--changed-since", "main")
    assert not [line for line in result.lines if line.startswith("elsewhere.yml")]
    assert result.lines == full.lines
    assert result.code == full.code


@pytest.mark.parametrize("name", ["services.yml", "factors.yml"])
def test_the_pre_commit_hook_on_a_catalog_checks_the_postmortems_it_affects(
    project: Path, git: Git, check_json: Runner, name: str
) -> None:
    """pre-commit passes the staged catalog's path, and no ref."""
    if name == "services.yml":
        _edit(project, git, name, _without(SERVICES, "payments"), commit=False)
        expected = ("postmortems/2026/payments.md", "PMK109")
    else:
        _edit(project, git, name, _without(FACTORS, "missing-alert"), commit=False)
        expected = ("postmortems/2026/payments.md", "PMK110")
    code, _files, found = _found(check_json, f"postmortems/{name}")
    assert code == 1
    assert expected in found
    assert not any(path == "postmortems/2025/old-broken.md" for path, _ in found)


def test_catalogs_kept_elsewhere_are_followed(tmp_path: Path, git: Git, check_json: Runner) -> None:
    """`services_file` in mkdocs.yml: a change to that file is a catalog change."""
    git("init", "-q")
    git("symbolic-ref", "HEAD", "refs/heads/main")
    make_project(
        tmp_path,
        files={**POSTMORTEMS, "catalogs/services.yml": catalog_text(SERVICES)},
        services=None,
        options={"services_file": "catalogs/services.yml"},
    )
    git("add", "-A")
    git("commit", "-q", "-m", "main")
    (tmp_path / "catalogs/services.yml").write_text(
        catalog_text(_without(SERVICES, "payments")), encoding="utf-8", newline="\n"
    )
    code, _files, found = _found(check_json, "--changed-since", "HEAD")
    assert code == 1
    assert ("postmortems/2026/payments.md", "PMK109") in found
    assert yaml.safe_load((tmp_path / "mkdocs.yml").read_text(encoding="utf-8"))
