"""`pmkb generate --out DIR` replaces only its own output, and a failure leaves that as it was.

It refuses a folder that is or holds the project's sources, or that holds files it did not write
(it knows its own by the `.pmkb-generated` marker), and it writes the new tree beside the old one
before swapping them in. What the user sees is checked: the exit status, the one line on stderr,
and the files on disk before and after.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import Result, Runner, make_project, postmortem, symlink
from pmkb.cli import EXIT_OK, EXIT_USAGE

POSTMORTEMS = {
    "2024/2024-01-10-checkout-down.md": postmortem("Checkout down", "2024-01-10"),
    "2024/2024-02-01-payments-slow.md": postmortem(
        "Payments slow", "2024-02-01", services=["payments"]
    ),
}
NEW = "2024/2024-03-05-search-empty.md"
NOSPACE = os.strerror(errno.ENOSPC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", dict(POSTMORTEMS), site=True)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`."""
    return {
        path.relative_to(folder).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def leftovers(folder: Path) -> list[str]:
    """pmkb's temporary folders left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if ".pmkb-" in p.name)


def one_line(result: Result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def refused(result: Result, why: str) -> str:
    assert result.code == EXIT_USAGE
    assert result.out == ""
    line = one_line(result)
    assert line.startswith("pmkb generate: refusing --out "), line
    assert why in line, line
    return line


def generated(run: Runner, project: Path, out: str = "../out") -> Path:
    result = run("generate", "--out", out, cwd=project)
    assert result.code == EXIT_OK, result.err
    assert result.err == ""
    return (project / out).resolve()


# ---- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("out", [".", "docs/..", "PROJECT"])
def test_refuses_the_project_folder(run: Runner, project: Path, out: str) -> None:
    before = snapshot(project)
    result = run("generate", "--out", str(project) if out == "PROJECT" else out, cwd=project)
    line = refused(result, "it is the project folder")
    assert "such as build/kb" in line
    assert snapshot(project) == before
    assert (
        "pmkb" in yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))["plugins"][1]
    )


def test_refuses_the_project_folder_by_its_config_file(run: Runner, project: Path) -> None:
    before = snapshot(project)
    result = run("generate", "--config", "project/mkdocs.yml", "--out", "project")
    refused(result, "it is the project folder")
    assert snapshot(project) == before


def test_refuses_the_project_folder_behind_a_symlink(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    symlink(tmp_path / "link", project)
    before = snapshot(project)
    refused(run("generate", "--out", "../link", cwd=project), "it is the project folder")
    assert snapshot(project) == before


def test_refuses_the_projects_parent(run: Runner, project: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    refused(run("generate", "--out", "..", cwd=project), f"contains the project folder {project}")
    assert snapshot(tmp_path) == before


def _move_sources(project: Path, config: dict[str, Any]) -> None:
    """The project's pages in ../shared/docs and its postmortems in ../data/postmortems."""
    shared = project.parent / "shared"
    shared.mkdir()
    (project / "docs").rename(shared / "docs")
    (project.parent / "data").mkdir()
    (project / "postmortems").rename(project.parent / "data" / "postmortems")
    config["docs_dir"] = "../shared/docs"
    config["plugins"][1]["pmkb"] = {"postmortems_dir": "../data/postmortems"}
    (project / "mkdocs.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8", newline="\n"
    )


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("../shared", "contains the project's docs folder"),
        ("../data", "contains the project's postmortems folder"),
        ("../data/postmortems", "contains the project's postmortems folder"),
        ("../data/postmortems/2024/kb", "inside the project's postmortems folder"),
        ("../shared/docs/kb", "inside the project's docs folder"),
    ],
)
def test_refuses_a_folder_holding_or_inside_the_sources(
    run: Runner, project: Path, tmp_path: Path, out: str, why: str
) -> None:
    _move_sources(project, yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8")))
    before = snapshot(tmp_path)
    refused(run("generate", "--out", out, cwd=project), why)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("out", "why"), [("postmortems/kb", "postmortems"), ("docs/kb", "docs")])
def test_refuses_a_folder_inside_the_project_sources(
    run: Runner, project: Path, out: str, why: str
) -> None:
    before = snapshot(project)
    line = refused(run("generate", "--out", out, cwd=project), f"inside the project's {why} folder")
    assert "name a folder outside it" in line
    assert snapshot(project) == before


@pytest.mark.parametrize(("out", "why"), [("Postmortems/kb", "postmortems"), ("DOCS/kb", "docs")])
def test_where_names_ignore_case_refuses_the_sources_in_another_case(
    run: Runner, project: Path, monkeypatch: pytest.MonkeyPatch, out: str, why: str
) -> None:
    # macOS: `Postmortems/kb` is in postmortems/, which resolving the path does not show.
    from pmkb.site import generate

    monkeypatch.setattr(generate, "FOLDS_CASE", True)
    before = snapshot(project)
    refused(run("generate", "--out", out, cwd=project), f"inside the project's {why} folder")
    assert snapshot(project) == before


def test_where_names_keep_their_case_another_case_is_another_folder(
    run: Runner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmkb.site import generate

    monkeypatch.setattr(generate, "FOLDS_CASE", False)
    out = generated(run, project, "Docs")
    assert (out / "docs" / "index.md").is_file() and (project / "docs" / "index.md").is_file()


@pytest.mark.parametrize(
    "files",
    [
        {"notes.txt": "mine\n"},
        {"mkdocs.yml": "site_name: Another site\n", "docs/index.md": "# Another home\n"},
        {".pmkb-generated": "not pmkb's\n", "docs/index.md": "# Mine\n"},
        {".hidden": ""},
    ],
    ids=["a-note", "another-site", "a-forged-marker", "a-hidden-file"],
)
def test_refuses_a_folder_of_files_pmkb_did_not_write_and_leaves_them(
    run: Runner, project: Path, tmp_path: Path, files: dict[str, str]
) -> None:
    other = tmp_path / "other"
    for name, text in files.items():
        (other / name).parent.mkdir(parents=True, exist_ok=True)
        (other / name).write_text(text, encoding="utf-8", newline="\n")
    before = snapshot(other)
    line = refused(run("generate", "--out", "../other", cwd=project), "pmkb did not write")
    assert ".pmkb-generated" in line
    assert snapshot(other) == before
    assert leftovers(tmp_path) == []


def test_refuses_a_file(run: Runner, project: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file\n", encoding="utf-8", newline="\n")
    refused(run("generate", "--out", "../out", cwd=project), "not a folder")
    assert (tmp_path / "out").read_text(encoding="utf-8") == "a file\n"


# ---- what it accepts -------------------------------------------------------------------------


def test_writes_a_new_folder_with_its_marker(run: Runner, project: Path, tmp_path: Path) -> None:
    out = generated(run, project, "../build/kb")
    assert out == tmp_path / "build" / "kb"
    assert (out / "docs" / "index.md").read_text(encoding="utf-8") == "# Home\n\nWelcome.\n"
    assert (out / "docs" / "incidents" / "2024-01-10-checkout-down" / "index.md").is_file()
    marker = json.loads((out / ".pmkb-generated").read_text(encoding="utf-8"))
    assert marker["generator"] == "pmkb generate"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert marker["files"] == [f for f in files if f != ".pmkb-generated"]
    assert leftovers(tmp_path / "build") == []


def test_copies_the_project_pages_from_a_drive_that_numbers_no_file(
    run: Runner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some network and virtual machines' shared drives give every file the inode number 0.
    from types import SimpleNamespace

    from pmkb.site import generate

    (project / "docs" / "guide").mkdir()
    (project / "docs" / "guide" / "on-call.md").write_text(
        "# On call\n", encoding="utf-8", newline="\n"
    )
    real = os.stat

    def unnumbered(path: Any, *args: Any, **kwargs: Any) -> Any:
        info = real(path, *args, **kwargs)
        fields = {name: getattr(info, name) for name in dir(info) if name.startswith("st_")}
        return SimpleNamespace(**{**fields, "st_ino": 0})

    monkeypatch.setattr(generate.os, "stat", unnumbered)
    out = generated(run, project)
    assert (out / "docs" / "index.md").read_text(encoding="utf-8") == "# Home\n\nWelcome.\n"
    assert (out / "docs" / "guide" / "on-call.md").read_text(encoding="utf-8") == "# On call\n"


def test_writes_into_an_empty_folder(run: Runner, project: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = generated(run, project)
    assert (out / "mkdocs.yml").is_file()


def test_replaces_its_own_output_and_keeps_what_it_did_not_write(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    out = generated(run, project)
    old_page = out / "docs" / "incidents" / "2024-02-01-payments-slow" / "index.md"
    assert old_page.is_file()
    # What an engine and the user leave in the output: a built site, a cache, a note.
    (out / "site").mkdir()
    (out / "site" / "index.html").write_text("<p>built</p>", encoding="utf-8", newline="\n")
    (out / ".cache").mkdir()
    (out / ".cache" / "pages").write_bytes(b"\x00cache")
    (out / "docs" / "incidents" / "NOTE.txt").write_text(
        "keep me\n", encoding="utf-8", newline="\n"
    )
    (project / "postmortems" / "2024" / "2024-02-01-payments-slow.md").unlink()
    (project / "postmortems" / NEW).write_text(
        postmortem("Search empty", "2024-03-05"), encoding="utf-8", newline="\n"
    )

    generated(run, project)
    assert not old_page.exists()
    assert (out / "docs" / "incidents" / "2024-03-05-search-empty" / "index.md").is_file()
    assert (out / "site" / "index.html").read_text(encoding="utf-8") == "<p>built</p>"
    assert (out / ".cache" / "pages").read_bytes() == b"\x00cache"
    assert (out / "docs" / "incidents" / "NOTE.txt").read_text(encoding="utf-8") == "keep me\n"
    listed = json.loads((out / ".pmkb-generated").read_text(encoding="utf-8"))["files"]
    assert "docs/incidents/NOTE.txt" not in listed and "site/index.html" not in listed
    assert leftovers(tmp_path) == []


def test_refuses_to_overwrite_a_file_of_the_users_in_its_output(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    out = generated(run, project)
    (out / "docs" / "guide.md").write_text("the user's own guide\n", encoding="utf-8", newline="\n")
    before = snapshot(out)
    (project / "docs" / "guide.md").write_text(
        "# The project's guide\n", encoding="utf-8", newline="\n"
    )
    line = refused(run("generate", "--out", "../out", cwd=project), "was not written by pmkb")
    assert "docs/guide.md" in line
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# ---- failures leave the previous output ------------------------------------------------------


def _failing(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, fails: Callable[..., bool]
) -> None:
    """`owner.name` raising ENOSPC on the call that `fails` picks out."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if fails(calls["n"], *args):
            first = os.fspath(args[0]) if args else None
            second = os.fspath(args[1]) if len(args) > 1 else None
            raise OSError(errno.ENOSPC, NOSPACE, first, None, second)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, fake)


def _in_new_tree(path: Any) -> bool:
    return ".pmkb-" in os.fspath(path)


FAILURES: dict[str, tuple[Any, str, Callable[..., bool]]] = {
    # a generated page, after the project's pages were copied
    "writing-a-page": (
        Path,
        "write_text",
        lambda n, *args: _in_new_tree(args[0]) and Path(args[0]).name == "index.md",
    ),
    # the project's home page, as it is copied
    "copying-a-page": (shutil, "copyfile", lambda n, *args: _in_new_tree(args[1])),
    # the new tree, as it is renamed into place
    "swapping-in": (os, "rename", lambda n, *args: Path(args[0]).name == "new"),
    # the built site of the previous output, as it moves into the new one
    "carrying-over": (os, "rename", lambda n, *args: Path(args[0]).name == "site"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_full_disk_leaves_the_previous_output_byte_for_byte(
    run: Runner, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    out = generated(run, project)
    (out / "site").mkdir()
    (out / "site" / "index.html").write_text("<p>built</p>", encoding="utf-8", newline="\n")
    before = snapshot(out)
    (project / "postmortems" / NEW).write_text(
        postmortem("Search empty", "2024-03-05"), encoding="utf-8", newline="\n"
    )
    _failing(monkeypatch, *FAILURES[failure])

    result = run("generate", "--out", "../out", cwd=project)
    assert result.code == EXIT_USAGE
    assert result.out == ""
    line = one_line(result)
    out_shown = str(Path("../out"))  # paths are shown the system's way (..\out on Windows)
    assert line.startswith(f"pmkb generate: cannot write {out_shown}"), line
    assert f": {NOSPACE}; {out_shown} is unchanged" in line
    assert str(tmp_path) not in line  # the temporary folder is not named
    monkeypatch.undo()
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_failed_first_run_leaves_nothing(
    run: Runner, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing(monkeypatch, *FAILURES["writing-a-page"])
    result = run("generate", "--out", "../out", cwd=project)
    assert result.code == EXIT_USAGE
    line = one_line(result)
    assert line.startswith(f"pmkb generate: cannot write {Path('../out/docs')}{os.sep}"), line
    assert line.endswith(f": {NOSPACE}; nothing was written")
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="Windows lets anyone create files in a folder marked read-only: nothing is refused",
)
def test_a_read_only_parent_is_one_line_and_no_change(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    parent = tmp_path / "readonly"
    out = generated(run, project, "../readonly/out")
    before = snapshot(out)
    parent.chmod(0o555)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("this user can write into a read-only folder (root): chmod proves nothing")
        result = run("generate", "--out", "../readonly/out", cwd=project)
        assert result.code == EXIT_USAGE
        line = one_line(result)
        assert "Traceback" not in result.err
        assert line.startswith(f"pmkb generate: cannot write in {parent}: "), line
        assert os.strerror(errno.EACCES) in line
    finally:
        parent.chmod(0o755)
    assert snapshot(out) == before
    assert leftovers(parent) == []


def test_a_read_only_project_page_is_copied_writable(run: Runner, project: Path) -> None:
    # A read-only checkout: the copy must still be relinked, replaced and deleted by later runs.
    page = project / "docs" / "guide.md"
    page.write_text(
        "[one](incidents/2024-01-10-checkout-down.md)\n", encoding="utf-8", newline="\n"
    )
    page.chmod(0o444)
    out = generated(run, project)
    assert (out / "docs" / "guide.md").read_text(encoding="utf-8") == (
        "[one](incidents/2024-01-10-checkout-down/index.md)\n"
    )
    generated(run, project)
    assert (out / "docs" / "guide.md").stat().st_mode & 0o200
