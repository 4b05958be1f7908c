"""`pmkb check FILE` reads the one file, and knows the others from the check index: the same
findings as a check that reads every file, in a fraction of the time."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from helpers import Runner, make_project, postmortem
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
    other.write_text(edited, encoding="utf-8")
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
        postmortem("New", "2025-08-01", extra={"id": "pm-04"}), encoding="utf-8"
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
    index.write_text(json.dumps(data), encoding="utf-8")
    assert run("check", named, cwd=root).code == 0
    index.write_text("{not json", encoding="utf-8")
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
