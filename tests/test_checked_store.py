"""Checked postmortems kept between runs: a second `pmkb check` or build checks only the files that
changed, and reports and publishes exactly what checking every file gives."""

from __future__ import annotations

import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

from helpers import BUILD_EPOCH, Runner, make_project, postmortem
from pmkb.findings import Finding, Level
from pmkb.kept import write_whole
from pmkb.model import ActionItem
from pmkb.read import check_index, knowledge
from pmkb.read.check_index import identity
from pmkb.read.checked_store import CheckedStore
from pmkb.read.project import load_project

COUNT = 12
REPO = Path(__file__).resolve().parent.parent


def _project(root: Path) -> Path:
    files = {
        f"2025/pm-{i:02d}.md": postmortem(
            f"Incident {i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", services=["checkout"]
        )
        for i in range(COUNT)
    }
    # Findings of several kinds: blame language, a missing section, an id used twice.
    files["2025/pm-03.md"] = postmortem(
        "Incident 3", "2025-04-04", summary="The outage happened because Dana forgot the flag."
    )
    files["2025/pm-04.md"] = postmortem("Incident 4", "2025-05-05", body="## Summary\n\nShort.\n")
    files["2025/pm-05.md"] = postmortem("Incident 5", "2025-06-06", extra={"id": "pm-04"})
    return make_project(root, files, options={})


def _store(root: Path) -> Path:
    """The one store of checked postmortems the project's runs wrote."""
    [store] = (root / ".cache" / "pmkb").glob("postmortems-*.json")
    return store


def _kept(store: Path) -> dict[str, Any]:
    """What a store file holds, past the line that seals it."""
    sealed, _, data = store.read_bytes().partition(b"\n")
    assert sealed.startswith(b"pmkb-sealed ")
    found: dict[str, Any] = json.loads(data)
    return found


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projects' files are written a moment before they are checked: as if long before, so
    that the store keeps them (see the tests of files that change around their check)."""
    monkeypatch.setattr(check_index, "SETTLED_NS", 0)


def test_a_second_check_checks_no_unchanged_file_and_reports_the_same(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    root = _project(tmp_path / "kb")
    first = run("check", "--format", "json", cwd=root)
    assert len(checks) == COUNT
    assert {"PMK112", "PMK301"} <= {f["code"] for f in json.loads(first.out)["findings"]}
    checks.clear()
    second = run("check", "--format", "json", cwd=root)
    assert checks == []
    assert (second.code, second.out) == (first.code, first.out)

    edited = root / "postmortems" / "2025" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Dana forgot the flag", "a flag was missing"),
        encoding="utf-8",
        newline="\n",
    )
    third = run("check", "--format", "json", cwd=root)
    assert checks == ["postmortems/2025/pm-03.md"]
    found = json.loads(third.out)["findings"]
    assert not [f for f in found if f["path"].endswith("pm-03.md") and f["code"] == "PMK301"]
    checks.clear()
    assert run("check", "--format", "json", cwd=root).out == third.out
    assert checks == []


def test_after_an_edit_a_run_writes_only_what_changed_and_the_next_reads_both(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # Writing every postmortem again after an edit to one of 5,000 was a quarter of a second.
    root = _project(tmp_path / "kb")
    run("check", cwd=root)
    folder = root / ".cache" / "pmkb"
    [store] = folder.glob("postmortems-*.json")
    written = store.read_bytes()
    edited = root / "postmortems" / "2025" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Dana forgot the flag", "a flag was missing"),
        encoding="utf-8",
        newline="\n",
    )
    checks.clear()
    second = run("check", "--format", "json", cwd=root)
    assert checks == ["postmortems/2025/pm-03.md"]
    assert store.read_bytes() == written
    [changes] = folder.glob("postmortems-*.changes")
    checks.clear()
    assert run("check", "--format", "json", cwd=root).out == second.out
    assert checks == []
    # A second file edited: more than an eighth of them changed since the store was written,
    # which is written whole again.
    other = root / "postmortems" / "2025" / "pm-07.md"
    other.write_text(
        other.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8", newline="\n"
    )
    checks.clear()
    third = run("check", "--format", "json", cwd=root)
    assert checks == ["postmortems/2025/pm-07.md"]
    assert store.read_bytes() != written and not changes.exists()
    checks.clear()
    assert run("check", "--format", "json", cwd=root).out == third.out
    assert checks == []
    edited.unlink()
    checks.clear()
    gone = run("check", "--format", "json", cwd=root)
    assert checks == [] and "pm-03.md" not in gone.out
    assert not edited.exists() and len(list(folder.glob("postmortems-*.changes"))) == 1


def test_the_check_keeps_findings_and_ids_not_the_text(tmp_path: Path, run: Runner) -> None:
    # A check reports from findings and ids alone: kept with their bodies, its store was six
    # times the size, and writing and reading it back was a tenth of a check at thousands.
    root = _project(tmp_path / "kb")
    run("check", cwd=root)
    store = _store(root)
    entries = _kept(store)["files"].values()
    assert len(entries) == COUNT
    assert all(e[1]["body"] == "" and e[1]["summary"] == "" for e in entries)
    assert any(e[1]["findings"] for e in entries)


def test_a_store_from_elsewhere_or_damaged_is_not_trusted(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # Committed to the repository, copied from another machine, or written by something else:
    # every file whose entry does not hold is checked again, and the findings are the same.
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    good = _kept(store)
    elsewhere = json.loads(json.dumps(good))
    for entry in elsewhere["files"].values():
        entry[0][2] -= 1  # another modification time
        entry[1]["findings"] = []  # and a clean bill
    damaged = json.loads(json.dumps(good))
    for entry in damaged["files"].values():
        entry[1]["findings"] = [["x", "one", 1, "PMK000", "error", "forged"]]  # a line not a number
        entry[1]["times"] = ["not a time", None, None, None]
    for text in (json.dumps(elsewhere), json.dumps(damaged), "{not json", "[]"):
        store.write_text(text, encoding="utf-8", newline="\n")
        checks.clear()
        again = run("check", "--format", "json", cwd=root)
        assert len(checks) == COUNT
        assert (again.code, again.out) == (expected.code, expected.out)


def test_files_with_new_times_are_known_by_their_bytes_only_in_a_store_sealed_here(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # A fresh checkout gives every file new times. The store this machine sealed knows them by
    # their bytes; a store committed to the repository or filled elsewhere, unsealed or sealed
    # with another key, could claim any file clean (or public): every file is checked again.
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)

    def checked_anew() -> str:
        for path in (root / "postmortems").rglob("*.md"):
            os.utime(path)  # new times, as a checkout writes
        checks.clear()
        return run("check", "--format", "json", cwd=root).out

    assert checked_anew() == expected.out
    assert checks == []
    forged = _kept(store)
    for entry in forged["files"].values():
        entry[1]["findings"] = []  # a clean bill, for the very bytes of each file
    data = json.dumps(forged).encode()
    elsewhere = hmac.new(b"another machine's key", data, sha256).hexdigest().encode()
    for text in (data, b"pmkb-sealed " + elsewhere + b"\n" + data, b"pmkb-sealed 00\n" + data):
        store.write_bytes(text)
        assert checked_anew() == expected.out
        assert len(checks) == COUNT


def test_a_store_or_changes_nested_past_what_python_reads_are_not_trusted(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # JSON nested a hundred thousand levels deep failed every check and build with a
    # RecursionError, which is no ValueError: the cache folder is anyone's to write.
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    key = json.dumps(_kept(store)["key"])
    nested = "[" * 100_000 + "]" * 100_000
    changes = store.with_suffix(".changes")
    changes.write_text(
        f'{{"format": 3, "key": {key}, "files": {{"set": {{}}, "gone": {nested}}}}}',
        encoding="utf-8",
        newline="\n",
    )
    checks.clear()
    again = run("check", "--format", "json", cwd=root)
    assert checks == []  # the store itself holds
    assert (again.code, again.out) == (expected.code, expected.out)
    store.write_text(
        f'{{"format": 3, "key": {key}, "files": {nested}}}', encoding="utf-8", newline="\n"
    )
    checks.clear()
    again = run("check", "--format", "json", cwd=root)
    assert len(checks) == COUNT
    assert (again.code, again.out) == (expected.code, expected.out)


def test_another_build_date_or_catalog_checks_again(
    tmp_path: Path, run: Runner, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "kb")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    run("check", cwd=root)
    monkeypatch.setenv(
        "SOURCE_DATE_EPOCH", str(int(BUILD_EPOCH) + 86400)
    )  # a day later: "in the future" moves
    checks.clear()
    run("check", cwd=root)
    assert len(checks) == COUNT
    services = root / "postmortems" / "services.yml"
    added = "ledger:\n  name: Ledger\n  owner: team-payments\n"
    services.write_text(
        services.read_text(encoding="utf-8") + added, encoding="utf-8", newline="\n"
    )
    checks.clear()
    run("check", cwd=root)
    assert len(checks) == COUNT


def test_the_store_of_settings_unused_for_two_weeks_is_removed_when_another_is_written(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each build date has its store: yesterday's goes once no run has used it for 14 days, and
    # a store some run used three days ago stays.
    root = _project(tmp_path / "kb")
    folder = root / ".cache" / "pmkb"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    run("check", cwd=root)
    [old] = folder.glob("postmortems-*.json")
    recent = folder / "postmortems-0123456789abcdef.json"
    recent.write_text("{}", encoding="utf-8", newline="\n")
    now = time.time()
    os.utime(old, (now - 15 * 86400, now - 15 * 86400))
    os.utime(recent, (now - 3 * 86400, now - 3 * 86400))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_EPOCH) + 86400))
    run("check", cwd=root)
    kept = sorted(p.name for p in folder.glob("postmortems-*.json"))
    assert old.name not in kept and recent.name in kept and len(kept) == 2


def test_what_a_run_stopped_while_writing_left_goes_an_hour_later_and_a_teams_file_stays(
    tmp_path: Path, run: Runner
) -> None:
    # `kill -9` while a run wrote its store, its listing pages or its check index: the file under
    # the name it is written under stays, and nothing else takes it out (20 MB of listing pages
    # at 5,000 postmortems). One being written now, or a team's own file, is not touched.
    root = _project(tmp_path / "kb")
    folder = root / ".cache" / "pmkb"
    run("check", cwd=root)
    left = [
        folder / ".tmp-4242-postmortems-0123456789abcdef.json",
        folder / ".tmp-4242-other-pages-0123456789abcdef",
        folder / ".tmp-77-checked.json",
        folder / ".tmp-1-0a1b2c3d-site-files-0123456789abcdef.json",
    ]
    writing = folder / ".tmp-4243-0a1b2c3d-postmortems-0123456789abcdef.json"
    teams = folder / ".tmp-4242-notes.md"
    hour_ago = time.time() - 3700
    for path in (*left, writing, teams):
        path.write_bytes(b"part of")
    for path in (*left, teams):
        os.utime(path, (hour_ago, hour_ago))
    _store(root).unlink()  # the next check writes it whole, and looks over the folder
    run("check", cwd=root)
    assert [path.exists() for path in left] == [False, False, False, False]
    assert writing.exists() and teams.exists()


def test_runs_that_share_a_process_number_write_under_names_of_their_own(tmp_path: Path) -> None:
    # Containers on one checkout each number their processes from 1: two runs with the same
    # process number writing the same file at once must not write into one temporary file.
    script = (
        "import os, sys; from pathlib import Path; os.getpid = lambda: 1; "
        "from pmkb.kept import being_written; "
        "print(being_written(Path(sys.argv[1])).name)"
    )
    target = str(tmp_path / "checked.json")
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins")}
    names = {
        subprocess.run(
            [sys.executable, "-c", script, target],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(names) == 2 and all(name.startswith(".tmp-1-") for name in names), names
    assert all(name.endswith("-checked.json") for name in names), names


def test_a_file_written_whole_leaves_nothing_when_its_writing_is_stopped(tmp_path: Path) -> None:
    target = tmp_path / "postmortems-0123456789abcdef.json"
    target.write_bytes(b"before")

    def parts() -> Iterator[bytes]:
        yield b"part of the new"
        raise KeyboardInterrupt  # Ctrl-C while the parts are written

    with pytest.raises(KeyboardInterrupt):
        write_whole(target, parts())
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert target.read_bytes() == b"before"


def test_every_postmortem_of_the_example_is_kept_as_it_was_checked(tmp_path: Path) -> None:
    settings = replace(load_project(REPO / "mkdocs.yml", REPO), cache_dir=None)
    kb = knowledge.load(settings)
    assert len(kb.postmortems) > 30
    odd = replace(
        kb.postmortems[0],
        display="postmortems/odd.md",
        started=datetime(2025, 3, 9, 1, 30, tzinfo=timezone(timedelta(hours=-7))),
        detected=datetime(2025, 3, 9, 9, 0, tzinfo=UTC),
        action_items=(ActionItem("Fix it", "team", "open", date(2025, 4, 1), "", 12),),
        section_titles=("Summary", "Timeline"),
        findings=(Finding("p.md", 2, 3, "PMK301", Level.WARNING, "quoted “blame”"),),
        custom=(("ticket", "OPS-1"), ("cost", 12), ("ratio", 0.5), ("since", date(2024, 1, 2)),
                ("teams", ("a", "b"))),
    )  # fmt: skip
    store = CheckedStore(tmp_path / "postmortems.json", "key", {})
    for pm in (*kb.postmortems, odd):
        store.record(pm, identity(pm.path), time.time_ns(), b"\x01" * 32)
    store.write()
    again = CheckedStore.read(tmp_path / "postmortems.json", "key")
    for pm in (*kb.postmortems, odd):
        kept = again.get(pm.path, pm.display)
        assert kept is not None, pm.display
        # Equal, and alike to the letter: a time keeps the offset it was written with.
        assert (kept, repr(kept)) == (pm, repr(pm))
    assert CheckedStore.read(tmp_path / "postmortems.json", "another key").entries == {}


@pytest.mark.skipif(sys.platform == "win32", reason="the folder's mode")
def test_a_folder_that_cannot_be_written_only_means_checking_again(
    tmp_path: Path, run: Runner
) -> None:
    root = _project(tmp_path / "kb")
    (root / ".cache").write_text(
        "a file where the cache folder would be", encoding="utf-8", newline="\n"
    )
    first = run("check", cwd=root)
    assert first.code == 1
    assert run("check", cwd=root).out == first.out


def test_a_file_edited_while_it_is_checked_is_checked_again_next_time(
    tmp_path: Path, run: Runner, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Saved in an editor while a build or a check reads it: what was checked is the text before
    # the save, and the next run must not take it for the file as it now is.
    root = _project(tmp_path / "kb")
    edited = root / "postmortems" / "2025" / "pm-03.md"
    read = knowledge.read_source

    def saved_meanwhile(path: Path, display: str) -> knowledge.SourceFile:
        source = read(path, display)
        if path.name == "pm-03.md" and "Dana forgot" in path.read_text(encoding="utf-8"):
            text = path.read_text(encoding="utf-8")
            # Another size too: with SETTLED_NS at 0 here, a write within the same tick of the
            # file system's clock would otherwise leave the identity as it was.
            path.write_text(
                text.replace("Dana forgot the flag", "a flag was unset"), "utf-8", newline="\n"
            )
        return source

    monkeypatch.setattr(knowledge, "read_source", saved_meanwhile)
    first = run("check", "--format", "json", cwd=root)
    assert "Dana forgot" not in edited.read_text(encoding="utf-8")
    blamed = [f for f in json.loads(first.out)["findings"] if f["path"].endswith("pm-03.md")]
    assert [f["code"] for f in blamed] == ["PMK401"]  # the text as it was read
    checks.clear()
    second = run("check", "--format", "json", cwd=root)
    assert checks == ["postmortems/2025/pm-03.md"]
    assert not [f for f in json.loads(second.out)["findings"] if f["path"].endswith("pm-03.md")]


def test_a_file_changed_just_before_it_was_checked_is_known_by_its_bytes_not_its_identity(
    tmp_path: Path, run: Runner, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Within the same tick of the file system's clock as a later write, a file would keep its
    # identity: one written less than two seconds before its check is not known by it, only by
    # the bytes that were checked.
    monkeypatch.setattr(check_index, "SETTLED_NS", 2_000_000_000)
    root = _project(tmp_path / "kb")
    run("check", cwd=root)
    store = _store(root)
    assert all(entry[0] is None for entry in _kept(store)["files"].values())
    checks.clear()
    expected = run("check", "--format", "json", cwd=root)
    assert checks == []  # every file read again, and found as it was checked
    edited = root / "postmortems" / "2025" / "pm-03.md"
    before = edited.stat()
    # The same size and modification time: only the bytes tell.
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Dana forgot", "Dana missed"),
        encoding="utf-8",
        newline="\n",
    )
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    checks.clear()
    again = run("check", "--format", "json", cwd=root)
    assert checks == ["postmortems/2025/pm-03.md"]
    shutil.rmtree(root / ".cache")
    assert again.out == run("check", "--format", "json", cwd=root).out != expected.out


def _new_times(root: Path) -> None:
    for path in (root / "postmortems").rglob("*.md"):
        os.utime(path)  # new times, as a checkout writes


def test_sealed_store_with_changes_unsealed_or_sealed_elsewhere_knows_no_file_by_its_bytes(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # The store this machine sealed, beside changes anyone wrote: a clean bill for pm-03's very
    # bytes there must not be taken once the file has new times.
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    kept = _kept(store)
    entry = kept["files"]["postmortems/2025/pm-03.md"]
    entry[1]["findings"] = []
    data = json.dumps({"format": 3, "key": kept["key"], "files": {
        "set": {"postmortems/2025/pm-03.md": entry}, "gone": []}}).encode()  # fmt: skip
    elsewhere = hmac.new(b"another machine's key", data, sha256).hexdigest().encode()
    for text in (data, b"pmkb-sealed " + elsewhere + b"\n" + data):
        store.with_suffix(".changes").write_bytes(text)
        _new_times(root)
        checks.clear()
        assert run("check", "--format", "json", cwd=root).out == expected.out
        assert "postmortems/2025/pm-03.md" in checks


def test_an_unsealed_entry_known_by_its_identity_is_not_sealed_with_its_digest(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    # An unsealed store's entry is taken on its identity alone: the digest beside it was never
    # checked, and must not be sealed on for a later run to know the file by.
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    forged = _kept(store)
    forged["files"]["postmortems/2025/pm-03.md"][1]["findings"] = []
    store.write_text(json.dumps(forged), encoding="utf-8", newline="\n")  # unsealed
    # Two files edited of twelve: the store is written whole, sealed.
    for name in ("pm-07.md", "pm-08.md"):
        other = root / "postmortems" / "2025" / name
        other.write_text(
            other.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8", newline="\n"
        )
    run("check", cwd=root)
    for name in ("pm-07.md", "pm-08.md"):
        other = root / "postmortems" / "2025" / name
        other.write_text(
            other.read_text(encoding="utf-8").removesuffix("\nOne more line.\n"),
            "utf-8",
            newline="\n",
        )
    assert _kept(store)  # sealed
    _new_times(root)
    checks.clear()
    assert run("check", "--format", "json", cwd=root).out == expected.out
    assert "postmortems/2025/pm-03.md" in checks


@pytest.mark.parametrize(
    "text",
    [
        b"pmkb-sealed \xff\xfe\x80\n{}",
        b"pmkb-sealed " + b"0" * 64,
        b"pmkb-sealed ",
        b"pmkb-sealed \n",
        b"pmkb-sealed \n\xff\xfe{",
        b"\xef\xbb\xbfpmkb-sealed 00\n{}",
    ],
)
def test_hostile_seal_lines_are_files_checked_again(
    tmp_path: Path, run: Runner, checks: list[str], text: bytes
) -> None:
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    store.write_bytes(text)
    store.with_suffix(".changes").write_bytes(text)
    _new_times(root)
    checks.clear()
    again = run("check", "--format", "json", cwd=root)
    assert (again.code, again.out) == (expected.code, expected.out)
    assert len(checks) == COUNT


def test_folders_where_the_store_and_its_changes_would_be(
    tmp_path: Path, run: Runner, checks: list[str]
) -> None:
    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    store.with_suffix(".changes").mkdir()
    edited = root / "postmortems" / "2025" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8", newline="\n"
    )
    run("check", cwd=root)  # writes changes: where a folder is
    edited.write_text(
        edited.read_text(encoding="utf-8").removesuffix("\nMore.\n"), "utf-8", newline="\n"
    )
    assert run("check", "--format", "json", cwd=root).out == expected.out
    store.unlink()
    store.mkdir()
    for _ in range(2):
        _new_times(root)
        again = run("check", "--format", "json", cwd=root)
        assert (again.code, again.out) == (expected.code, expected.out)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_pipe_where_the_store_would_be_is_not_waited_on(tmp_path: Path, run: Runner) -> None:
    # A shared CI cache (a tar file) can hold a named pipe, a repository a link to one or to
    # /dev/zero: reading it would wait for ever, or fill the memory.
    import threading

    root = _project(tmp_path / "kb")
    expected = run("check", "--format", "json", cwd=root)
    store = _store(root)
    store.unlink()
    os.mkfifo(store)
    index = root / ".cache" / "pmkb" / "checked.json"  # what `pmkb check FILE` reads
    index.unlink(missing_ok=True)
    os.mkfifo(index)
    found: list[str] = []

    def both() -> None:
        found.append(run("check", "--format", "json", cwd=root).out)
        found.append(run("check", "postmortems/2025/pm-03.md", cwd=root).out)

    worker = threading.Thread(target=both, daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # let it go: a writer opens the pipe and closes it
        for pipe in (store, index):
            with suppress(OSError):
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(20)
        pytest.fail("waited on the pipe")
    assert found[0] == expected.out and "pm-03.md" in found[1]
