"""`pmkb check FILE` reads the one file, and knows the others from the check index: the same
findings as a check that reads every file, in a fraction of the time."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import BODY_TEMPLATE, Result, Runner, build, make_project, postmortem
from pmkb.kept import CHECK_INDEX
from pmkb.read import check_index, knowledge

COUNT = 40


def _project(root: Path) -> Path:
    files = {
        f"2025/pm-{i:02d}.md": postmortem(
            f"Incident {i}",
            f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            services=["checkout"],
        )
        for i in range(COUNT)
    }
    # Two files that claim one id, and a draft.
    files["2025/pm-05.md"] = postmortem("Incident 5", "2025-06-06", extra={"id": "pm-04"})
    files["2025/draft.md"] = postmortem("Drafted", "2025-07-01", status="draft")
    return make_project(root, files, options={})


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projects' files are written a moment before they are checked: as if long before, so
    that the index keeps them (see the last test for files that changed just before)."""
    monkeypatch.setattr(check_index, "SETTLED_NS", 0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The postmortem files read and checked in full, by path as findings show them."""
    seen: list[str] = []
    read = knowledge.read_source

    def counted(path: Path, display: str) -> knowledge.SourceFile:
        seen.append(display)
        return read(path, display)

    monkeypatch.setattr(knowledge, "read_source", counted)
    return seen


def _lines(text: str) -> list[str]:
    return sorted(text.splitlines())


def test_the_folder_at_the_top_of_the_file_system_named_reads_every_file(
    tmp_path: Path, run: Runner, reads: list[str]
) -> None:
    # `/` ends with the separator that marks every other folder's end: no file seemed in it,
    # and every one was taken from the index, its findings lost.
    root = _project(tmp_path / "kb")
    (root / "postmortems/2025/pm-07.md").write_text(
        "---\nstatus: bogus\n---\n", encoding="utf-8", newline="\n"
    )
    run("check", "postmortems/2025/pm-01.md", cwd=root)  # the index written
    full = run("check", "--format", "json", cwd=root)
    reads.clear()
    top = run("check", "--format", "json", Path(root.anchor).as_posix(), cwd=root)
    assert len(reads) == COUNT + 1
    assert (top.code, top.found) == (full.code, full.found)
    assert any(f[0] == "postmortems/2025/pm-07.md" for f in top.found)


@pytest.mark.parametrize("named", ["postmortems/2025/pm-05.md", "postmortems/2025/pm-04.md"])
def test_one_file_gets_the_findings_a_full_read_gives_it(
    tmp_path: Path, run: Runner, reads: list[str], named: str
) -> None:
    root = _project(tmp_path / "kb")
    full = run("check", named, "--format", "json", cwd=root)  # no index yet: every file read
    assert len(reads) == COUNT + 1
    reads.clear()
    indexed = run("check", named, "--format", "json", cwd=root)
    assert reads == [named]
    assert (indexed.code, indexed.out) == (full.code, full.out)
    # The id used twice is reported on the later file, whichever of the two is named.
    found = json.loads(indexed.out)["findings"]
    assert [(f["path"], f["code"]) for f in found if f["code"] == "PMK112"] == [
        ("postmortems/2025/pm-05.md", "PMK112")
    ]


def test_a_full_check_leaves_the_index_for_the_check_of_one_file(
    tmp_path: Path, run: Runner, reads: list[str]
) -> None:
    # A pre-commit hook's first run after a full check (CI's, or the team's own) read every file.
    root = _project(tmp_path / "kb")
    named = "postmortems/2025/pm-05.md"
    run("check", cwd=root)
    reads.clear()
    one = run("check", named, "--format", "json", cwd=root)
    assert reads == [named]
    # Other commands read every file under settings of their own, and leave the index as it is.
    for command in (["stats", "--audience", "public"], ["actions"]):
        run(*command, cwd=root)
        reads.clear()
        run("check", named, cwd=root)
        assert reads == [named], command
    shutil.rmtree(root / ".cache")
    assert run("check", named, "--format", "json", cwd=root).out == one.out
    # A full check that finds every file checked before leaves the index too; an edit to another
    # file since, keeping its size and with its modification time set back, is still seen.
    run("check", cwd=root)
    (root / ".cache" / "pmkb" / CHECK_INDEX).unlink()
    reads.clear()
    run("check", cwd=root)
    assert reads == []  # every file from the checked store
    other = root / "postmortems" / "2025" / "pm-30.md"
    before = other.stat()
    text = other.read_text(encoding="utf-8")
    other.write_text(
        text.replace("title: Incident 30\n", "id: pm-10\ntitle: I\n"), "utf-8", newline="\n"
    )
    if sys.platform != "win32":
        os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    reads.clear()
    result = run("check", "postmortems/2025/pm-10.md", cwd=root)
    assert sorted(reads) == ["postmortems/2025/pm-10.md", "postmortems/2025/pm-30.md"]
    assert "postmortems/2025/pm-30.md:1:1: error PMK112 id `pm-10` is already used by" in result.out


def test_an_edit_to_another_file_is_seen(tmp_path: Path, run: Runner, reads: list[str]) -> None:
    root = _project(tmp_path / "kb")
    named = "postmortems/2025/pm-10.md"
    assert run("check", named, cwd=root).code == 0
    other = root / "postmortems" / "2025" / "pm-30.md"
    # Another file takes the id of the one checked, in an edit that keeps its size, and its
    # modification time set back as some tools do.
    before = other.stat()
    text = other.read_text(encoding="utf-8")
    edited = text.replace("title: Incident 30\n", "id: pm-10\ntitle: I\n")
    assert len(edited) == len(text)
    other.write_text(edited, encoding="utf-8", newline="\n")
    if sys.platform != "win32":  # Windows keeps no change time: the index sees edits by mtime
        os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    reads.clear()
    result = run("check", named, cwd=root)
    assert sorted(reads) == [named, "postmortems/2025/pm-30.md"]
    assert result.code == 1
    assert "postmortems/2025/pm-30.md:1:1: error PMK112 id `pm-10` is already used by" in result.out


def test_a_deleted_or_added_file_is_seen(tmp_path: Path, run: Runner) -> None:
    root = _project(tmp_path / "kb")
    named = "postmortems/2025/pm-05.md"
    assert run("check", named, cwd=root).code == 1  # its id is pm-04's
    (root / "postmortems" / "2025" / "pm-04.md").unlink()
    assert run("check", named, cwd=root).code == 0
    (root / "postmortems" / "2025" / "a-new.md").write_text(
        postmortem("New", "2025-08-01", extra={"id": "pm-04"}), encoding="utf-8", newline="\n"
    )
    # The new file sorts first and keeps the id: the named file is the one reported.
    result = run("check", named, cwd=root)
    assert result.code == 1
    assert f"{named}:1:1: error PMK112 id `pm-04` is already used by" in result.out


def test_an_index_from_elsewhere_is_not_trusted(tmp_path: Path, run: Runner) -> None:
    # An index committed to the repository, or copied from another machine: the files' times
    # there are not these, so every file is read again.
    root = _project(tmp_path / "kb")
    named = "postmortems/2025/pm-20.md"
    run("check", named, cwd=root)
    index = root / ".cache" / "pmkb" / "checked.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    for entry in data["files"].values():
        entry[0][2] -= 1  # another modification time
        entry[1] = "pm-20"  # every file claims the named file's id
    index.write_text(json.dumps(data), encoding="utf-8", newline="\n")
    assert run("check", named, cwd=root).code == 0
    index.write_text("{not json", encoding="utf-8", newline="\n")
    assert run("check", named, cwd=root).code == 0


def test_a_folder_named_is_checked_in_full(tmp_path: Path, run: Runner, reads: list[str]) -> None:
    root = _project(tmp_path / "kb")
    run("check", "postmortems/2025/pm-01.md", cwd=root)
    reads.clear()
    result = run("check", "postmortems/2025", cwd=root)
    assert len(reads) == COUNT + 1
    assert f"Checked {COUNT + 1} postmortem file(s): 1 error(s)" in result.out


def test_a_file_changed_just_before_it_was_checked_is_read_again(
    tmp_path: Path, run: Runner, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Changed within the same tick of the file system's clock as a later write, a file would keep
    # its identity: one written less than two seconds before its check is not known by it.
    monkeypatch.setattr(check_index, "SETTLED_NS", 2_000_000_000)
    root = _project(tmp_path / "kb")
    named = "postmortems/2025/pm-10.md"
    run("check", named, cwd=root)
    reads.clear()
    run("check", named, cwd=root)
    assert len(reads) == COUNT + 1


# What a named file is told is what the whole knowledge base's check tells of it, for files the
# check does not read as postmortems too.


def _codes(result: Result) -> list[tuple[str, str]]:
    return [(path, code) for path, _line, _col, code, _level in result.found]


def test_a_named_file_that_is_no_postmortem_gets_what_the_full_check_says_of_it(
    tmp_path: Path, run: Runner
) -> None:
    valid = postmortem("Checkout errors", "2025-03-01")
    root = make_project(
        tmp_path / "kb",
        {"a.md": valid, ".notes.md": "---\ntitle: notes\n---\nscratch\n", ".trash/old.md": valid},
        files={"postmortems/README.md": "# About\n", "postmortems/notes.txt": "to do\n"},
        options={},
    )
    full = run("check", "--format", "json", cwd=root)
    assert ("postmortems/.notes.md", "PMK014") in _codes(full)
    assert ("postmortems/.trash", "PMK014") in _codes(full)
    expected = {
        "postmortems/.notes.md": [("postmortems/.notes.md", "PMK014")],
        "postmortems/.trash/old.md": [("postmortems/.trash", "PMK014")],
        # Listed by the full check on the postmortems folder, with the other files it ignored.
        "postmortems/README.md": [("postmortems/README.md", "PMK011")],
        "postmortems/notes.txt": [("postmortems/notes.txt", "PMK011")],
    }
    for named, codes in expected.items():
        result = run("check", "--format", "json", named, cwd=root)
        assert (_codes(result), result.code) == (codes, 0), named
        assert result.data["files"] == 0


def test_a_named_file_or_folder_the_walk_ignores_is_reported_not_passed_in_silence(
    tmp_path: Path, run: Runner
) -> None:
    """The full check lists the files that are no postmortems on the postmortems folder: named
    alone, or in a folder named, they get that finding on what was named, at its level."""
    valid = postmortem("Checkout errors", "2025-03-01")
    root = make_project(
        tmp_path / "kb",
        {"2026/a.md": valid, "2026/outage/index.md": valid, "2026/outage.txt": valid},
        options={},
    )
    full = run("check", cwd=root)
    assert full.lines[0] == (
        "postmortems:1:1: info PMK011 ignored 2 file(s) that are not postmortems: "
        "postmortems/2026/outage.txt, postmortems/2026/outage/index.md"
    )
    for named in ("postmortems/2026/outage.txt", "postmortems/2026/outage/index.md"):
        result = run("check", "--strict", named, cwd=root)
        assert result.lines == [
            f"{named}:1:1: info PMK011 ignored 1 file(s) that are not postmortems: {named}",
            "Checked 0 postmortem file(s): 0 error(s), 0 warning(s).",
        ]
        assert result.code == 0
    result = run("check", "postmortems/2026", cwd=root)
    assert result.lines == [
        "postmortems/2026:1:1: info PMK011 ignored 2 file(s) that are not postmortems: "
        "postmortems/2026/outage.txt, postmortems/2026/outage/index.md",
        "Checked 1 postmortem file(s): 0 error(s), 0 warning(s).",
    ]
    # A folder holding the postmortems folder shows the full check's line, and only it.
    assert run("check", "postmortems", cwd=root).lines == full.lines
    # Each ignored file once, on the widest path named that holds it, however they are named.
    for named in (
        ["postmortems/2026/outage.txt", "postmortems/2026"],
        ["postmortems/2026/outage", "postmortems/2026", "postmortems/2026/outage/index.md"],
    ):
        assert run("check", *named, cwd=root).lines == result.lines, named
    assert run("check", "postmortems", "postmortems/2026/outage.txt", cwd=root).lines == (
        full.lines
    )


def test_a_docs_page_an_incidents_new_id_takes_is_reported_with_the_postmortem(
    tmp_path: Path, run: Runner
) -> None:
    root = make_project(
        tmp_path / "kb",
        {"a.md": postmortem("Checkout errors", "2025-03-01", extra={"id": "guide"})},
        files={"docs/incidents/guide.md": "# Guide\n"},
        options={},
    )
    collision = ("docs/incidents/guide.md", "PMK604")
    assert collision in _codes(run("check", "--format", "json", cwd=root))
    named = run("check", "--format", "json", "postmortems/a.md", cwd=root)
    assert collision in _codes(named)
    assert named.code == 1


def test_a_services_visibility_edit_is_checked_on_the_postmortems_it_affects(
    tmp_path: Path, run: Runner
) -> None:
    body = BODY_TEMPLATE.format(summary="Checkout failed.") + "\n## External summary\n\nSorry.\n"
    public = postmortem("Checkout errors", "2025-03-01", extra={"visibility": "public"}, body=body)
    services = {"checkout": {"name": "Checkout", "owner": "team", "visibility": "public"}}
    root = make_project(tmp_path / "kb", {"a.md": public}, services=services, options={})
    assert run("check", "postmortems/services.yml", cwd=root).code == 0
    catalog = root / "postmortems" / "services.yml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace("visibility: public", "visibility: internal"), "utf-8", newline="\n"
    )
    result = run("check", "--format", "json", "postmortems/services.yml", cwd=root)
    assert ("postmortems/a.md", "PMK119") in _codes(result)
    assert result.code == 1


@pytest.mark.parametrize("cache", ["postmortems/cache", "postmortems", "postmortems/2025"])
def test_a_cache_kept_in_the_postmortems_folder_is_not_read_as_part_of_it(
    tmp_path: Path, run: Runner, cache: str
) -> None:
    root = make_project(
        tmp_path / "kb",
        {
            "a.md": postmortem("Checkout errors", "2025-03-01"),
            "2025/b.md": postmortem("Queue backlog", "2025-04-01", status="bogus"),
            "2025/notes.txt": "to do\n",
        },
        options={"cache_dir": cache},
    )
    first = run("check", cwd=root)
    assert any((root / cache).glob("postmortems-*.json"))  # what the check keeps
    assert run("check", cwd=root).out == first.out
    # The team's own file is listed as ignored; pmkb's are not.
    assert "PMK011 ignored 1 file(s)" in first.out and "postmortems/2025/notes.txt" in first.out
    # Postmortems in the same folder are read all the same.
    assert "postmortems/2025/b.md" in first.out and first.code == 1


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
needs_links = pytest.mark.skipif(
    sys.platform == "win32", reason="symbolic links need privileges on Windows"
)


@needs_links
def test_a_linked_postmortem_named_or_under_a_folder_named_is_reported_once(
    tmp_path: Path, run: Runner
) -> None:
    valid = postmortem("Checkout errors", "2025-03-01")
    root = make_project(
        tmp_path / "kb", {"a.md": valid}, files={"archive/old.md": valid}, options={}
    )
    (root / "postmortems" / "old.md").symlink_to(Path("..") / "archive" / "old.md")
    link = [("postmortems/old.md", "PMK010")]
    assert _codes(run("check", "--format", "json", cwd=root)) == link
    for named in ("postmortems/old.md", "postmortems", "."):
        result = run("check", "--strict", "--format", "json", named, cwd=root)
        assert (_codes(result), result.code) == (link, 1), named


@needs_git
@needs_links
def test_a_link_a_change_adds_is_reported_by_the_check_of_changes(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    valid = postmortem("Checkout errors", "2025-03-01")
    make_project(tmp_path, {"a.md": valid}, files={".gitignore": ".cache/\n"}, options={})
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (tmp_path / "postmortems" / "b.md").symlink_to("a.md")
    result = run("check", "--strict", "--format", "json", "--changed-since", "HEAD")
    assert (_codes(result), result.code) == ([("postmortems/b.md", "PMK010")], 1)


@needs_git
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts")
def test_the_check_of_changes_runs_no_command_a_pull_request_commits(
    tmp_path: Path, run: Runner, git: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project in a folder of the repository. The pull request makes that folder a bare
    # repository to git (HEAD, objects/, refs/), whose configuration names a file-system monitor
    # git runs; and commits a `git` where a relative folder on PATH leads (on Windows, the working
    # folder is searched first for a bare name).
    git("init", "-q", "-b", "main")
    root = make_project(
        tmp_path / "site", {"a.md": postmortem("Checkout errors", "2025-03-01")}, options={}
    )
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    marker = tmp_path / "ran"
    (root / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8", newline="\n")
    for folder in ("objects", "refs"):
        (root / folder).mkdir()
        (root / folder / "keep").write_text("", encoding="utf-8", newline="\n")
    (root / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n"
        f'\tfsmonitor = "touch {marker}; false"\n',
        encoding="utf-8",
        newline="\n",
    )
    fake = root / "git"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8", newline="\n")
    fake.chmod(0o755)
    git("add", "-A")
    git("commit", "-q", "-m", "the pull request")
    real = os.path.dirname(shutil.which("git") or "")
    monkeypatch.setenv("PATH", os.pathsep.join([".", real, os.environ["PATH"]]))
    result = run("check", "--changed-since", "HEAD~1", cwd=root)
    assert not marker.exists()
    assert result.code == 2
    assert "cannot use bare repository" in result.err


@needs_links
def test_what_a_hidden_folder_holds_gets_what_the_full_check_says_of_the_folder(
    tmp_path: Path, run: Runner
) -> None:
    valid = postmortem("Checkout errors", "2025-03-01")
    root = make_project(
        tmp_path / "kb",
        {"a.md": valid, ".trash/keep.md": valid, ".trash/sub/x.md": valid},
        options={},
    )
    (root / "postmortems" / ".trash" / "link.md").symlink_to(Path("..") / "a.md")
    hidden = [("postmortems/.trash", "PMK014")]
    assert _codes(run("check", "--format", "json", cwd=root)) == hidden
    for named in (
        "postmortems/.trash/link.md",
        "postmortems/.trash/sub",
        "postmortems/.trash/sub/x.md",
    ):
        result = run("check", "--strict", "--format", "json", named, named, cwd=root)
        assert (_codes(result), result.code) == (hidden, 0), named


def test_a_folder_holding_the_project_gets_every_finding(tmp_path: Path, run: Runner) -> None:
    root = make_project(
        tmp_path / "mono" / "kb",
        {"a.md": postmortem("Checkout errors", "2025-03-01"), ".old.md": "---\ntitle: x\n---\n"},
        options={},
    )
    everything = run("check", "--format", "json", "--config", "kb/mkdocs.yml", cwd=root.parent)
    assert _codes(everything) == [("postmortems/.old.md", "PMK014")]
    for named in (".", str(tmp_path)):
        result = run(
            "check", "--format", "json", "--config", "kb/mkdocs.yml", named, cwd=root.parent
        )
        assert (_codes(result), result.data["files"]) == (_codes(everything), 1), named


def test_a_file_named_twice_or_in_a_folder_named_counts_once(tmp_path: Path, run: Runner) -> None:
    root = make_project(
        tmp_path / "kb", {"a.md": postmortem("Checkout errors", "2025-03-01")}, options={}
    )
    for named in (["postmortems/a.md", "postmortems/a.md"], ["postmortems", "postmortems/a.md"]):
        assert run("check", "--format", "json", *named, cwd=root).data["files"] == 1


def test_a_service_page_a_catalog_edit_puts_at_a_docs_pages_address_is_reported(
    tmp_path: Path, run: Runner
) -> None:
    root = make_project(
        tmp_path / "kb",
        {"a.md": postmortem("Checkout errors", "2025-03-01")},
        files={"docs/services/search.md": "# Search\n"},
        options={},
    )
    catalog = root / "postmortems" / "services.yml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8") + "search: {name: Search, owner: team}\n",
        "utf-8",
        newline="\n",
    )
    collision = ("docs/services/search.md", "PMK604")
    assert collision in _codes(run("check", "--format", "json", cwd=root))
    named = run("check", "--format", "json", "postmortems/services.yml", cwd=root)
    assert (collision in _codes(named), named.code) == (True, 1)


@needs_git
def test_a_docs_page_a_change_adds_at_an_incidents_address_is_reported(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    written = postmortem("Checkout errors", "2025-03-01", extra={"id": "guide"})
    make_project(tmp_path, {"a.md": written}, files={".gitignore": ".cache/\n"}, options={})
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (tmp_path / "docs" / "incidents").mkdir(parents=True)
    (tmp_path / "docs" / "incidents" / "guide.md").write_text(
        "# Guide\n", encoding="utf-8", newline="\n"
    )
    result = run("check", "--format", "json", "--changed-since", "HEAD")
    assert (_codes(result), result.code) == ([("docs/incidents/guide.md", "PMK604")], 1)


@needs_links
@pytest.mark.parametrize(
    ("named", "shown"),
    [
        ("postmortems/self/a.md", "postmortems/self"),
        ("postmortems/self", "postmortems/self"),
        ("postmortems/up/postmortems/a.md", "postmortems/up"),
        ("postmortems/linked/../a.md", "postmortems/linked"),
    ],
)
def test_a_path_through_a_link_is_not_followed_to_another_file(
    tmp_path: Path, run: Runner, named: str, shown: str
) -> None:
    root = make_project(
        tmp_path / "kb", {"a.md": postmortem("A", "2025-03-01", status="bogus")}, options={}
    )
    folder = root / "postmortems"
    (folder / "self").symlink_to(".")
    (folder / "up").symlink_to("..")
    (tmp_path / "out" / "dir").mkdir(parents=True)
    (folder / "linked").symlink_to(tmp_path / "out" / "dir")
    assert (shown, "PMK010") in _codes(run("check", "--format", "json", cwd=root))
    result = run("check", "--format", "json", named, cwd=root)
    assert (_codes(result), result.data["files"]) == ([(shown, "PMK010")], 0)


def test_a_named_path_that_cannot_be_looked_at_is_reported_unreadable(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a folder the user may not read (root reads any, so the refusal is simulated).
    root = make_project(tmp_path / "kb", {"a.md": postmortem("A", "2025-03-01")}, options={})
    (root / "postmortems" / "locked").mkdir()
    is_symlink = Path.is_symlink

    def refused(self: Path) -> bool:
        if "locked" in self.parts:
            raise PermissionError(13, "Permission denied", str(self))
        return is_symlink(self)

    monkeypatch.setattr(Path, "is_symlink", refused)
    result = run("check", "--format", "json", "postmortems/locked/z.md", cwd=root)
    assert _codes(result) == [("postmortems/locked/z.md", "PMK012")]


def test_a_folder_that_cannot_be_listed_is_reported_not_passed_over(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its postmortems would otherwise go unchecked and unpublished without a word (root may list
    # any folder, so the refusal is simulated).
    valid = postmortem("Checkout errors", "2025-03-01")
    root = make_project(tmp_path / "kb", {"a.md": valid, "locked/b.md": valid}, options={})
    scandir = os.scandir

    def refused(path: str | Path) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(knowledge.os, "scandir", refused)
    result = run("check", "--format", "json", cwd=root)
    assert (_codes(result), result.code) == ([("postmortems/locked", "PMK012")], 1)
    assert "folder cannot be read (Permission denied)" in result.messages[0]


@pytest.mark.parametrize("cache", ["postmortems", "postmortems/2025"])
def test_a_build_never_removes_a_postmortem_named_like_a_file_pmkb_keeps(
    tmp_path: Path, cache: str
) -> None:
    # pmkb removes its own files of configurations no build has used for two weeks: in a cache
    # folder that is (in) the postmortems folder, a postmortem of that age named alike stays.
    page = f"{cache}/other-pages-outage.md"
    root = make_project(
        tmp_path / "kb",
        files={page: postmortem("Other pages outage", "2025-03-01")},
        site=True,
        options={"cache_dir": cache},
    )
    month_ago = time.time() - 30 * 86400
    os.utime(root / page, (month_ago, month_ago))
    assert build(root).returncode == 0
    assert (root / page).exists()
    assert any((root / cache).glob("other-pages-*"))  # what the build keeps


def test_a_check_never_removes_a_team_file_named_like_its_store(
    tmp_path: Path, run: Runner
) -> None:
    # The same for the checked postmortems a check keeps (`postmortems-<16 hex digits>.json`).
    pms = {"2025/pm-01.md": postmortem("Incident 1", "2025-03-01")}
    root = make_project(tmp_path / "kb", pms, options={"cache_dir": "postmortems"})
    team = root / "postmortems" / "postmortems-2024.json"
    team.write_text("{}", encoding="utf-8", newline="\n")
    month_ago = time.time() - 30 * 86400
    os.utime(team, (month_ago, month_ago))
    run("check", cwd=root)
    assert team.exists()
    assert any((root / "postmortems").glob("postmortems-*.json"))
