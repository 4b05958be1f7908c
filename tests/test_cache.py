"""The conversion cache: a build after a build converts only what changed, and publishes exactly
what a build without the cache publishes."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from pymdownx import slugs

from helpers import (
    BUILD_EPOCH,
    build,
    make_project,
    postmortem,
    read,
    site_differences,
    symlink,
)
from pmkb import cache_key, digests
from pmkb.kept import being_written
from pmkb.model import Postmortem
from pmkb.plugin import conversion_cache
from pmkb.plugin import named_files as named_files_module
from pmkb.plugin.conversion_cache import FORMAT, HEADER, PACK, ConversionCache
from pmkb.plugin.named_files import ChangedHere, TooManyFiles, named_files
from pmkb.site.pages import incident
from pmkb.site.render import Renderer

POSTMORTEMS = {
    f"2025/{name}.md": postmortem(title, day, services=services, factors=factors)
    for name, title, day, services, factors in [
        ("db-failover", "Database failover stalled writes", "2025-01-14", ["payments"],
         ["config-change"]),
        ("cdn-purge", "CDN purge emptied the cache", "2025-02-03", ["search"],
         ["traffic-surge"]),
        ("cert-expiry", "Expired certificate on the API", "2025-03-20", ["payments"],
         ["config-change"]),
    ]
}  # fmt: skip


@pytest.fixture(autouse=True)
def _a_process_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's builds in this process are as a process of their own would make them: what
    extensions' settings named at the first build of the process is not another test's."""
    monkeypatch.setattr(named_files_module, "_process", named_files_module._Process())


def _project(tmp_path: Path, **kwargs: Any) -> Path:
    return make_project(tmp_path / "kb", POSTMORTEMS, site=True, **kwargs)


@contextmanager
def _conversions() -> Iterator[list[str]]:
    """The Markdown texts converted while the block runs (MkDocs converts an empty text for a
    page whose HTML comes from the cache)."""
    converted: list[str] = []
    original = markdown.Markdown.convert

    def convert(self: markdown.Markdown, source: str) -> str:
        if source.strip():
            converted.append(source)
        return original(self, source)

    markdown.Markdown.convert = convert  # type: ignore[method-assign]
    try:
        yield converted
    finally:
        markdown.Markdown.convert = original  # type: ignore[method-assign]


def _build_here(
    root: Path,
    site: str,
    monkeypatch: pytest.MonkeyPatch,
    epoch: str = BUILD_EPOCH,
    config: str = "mkdocs.yml",
    **extra: Any,
) -> int:
    """Build `root/config` in this process into `root/site` (on the day `epoch`, 2025-11-25
    unless given); how many Markdown texts were converted."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    monkeypatch.chdir(root)
    loaded = load_config(str(root / config), site_dir=str(root / site), **extra)
    # As `mkdocs build` starts: MkDocs keeps a plugin that has on_startup across loads of the
    # configuration in one process, and another test's `serve` must not carry over.
    loaded.plugins.on_startup(command="build", dirty=False)
    with _conversions() as converted:
        mkdocs_build(loaded)
    return len(converted)


def _same_tree(a: Path, b: Path) -> bool:
    return not site_differences(a, b)


def _folder(root: Path, folder: str = "pages") -> Path:
    return root / ".cache" / "pmkb" / folder


def _frames(pack: bytes) -> list[bytes]:
    """The entries of a pack after its header: each is a line with its length, then the entry."""
    found = []
    while pack:
        line, _, rest = pack.partition(b"\n")
        found.append(rest[: int(line)])
        pack = rest[int(line) :]
    assert found[0].startswith(HEADER)
    return found[1:]


def _header(secret: bytes | None = None) -> bytes:
    """The header of a pack sealed as this machine's builds seal (or with `secret`)."""
    secret = secret if secret is not None else cache_key.cache_secret()[0]
    assert secret is not None
    return ConversionCache(Path(), "", secret, Files([])).header


def _framed(entries: list[bytes], header: bytes | None = None) -> bytes:
    framed = b"".join(b"%d\n" % len(entry) + entry for entry in entries)
    return (_header() if header is None else header) + framed


def _name(entry: bytes) -> str:
    return entry.split(b"\n")[1].split()[0].decode()


def _entries(root: Path, folder: str = "pages") -> dict[str, bytes]:
    """The entries of this version a build finds, by name: of two with one name, the later
    pack's."""
    packs = sorted(_folder(root, folder).glob("*.pack"))
    return {
        _name(entry): entry
        for pack in packs
        for entry in _frames(pack.read_bytes())
        if entry.startswith(FORMAT) and entry.count(b"\n") > 1
    }


def _sealed(key: str, body: bytes, secret: bytes | None = None) -> bytes:
    """An entry of the conversion cache named `key` holding `body`, sealed as this machine's
    builds seal (or with `secret`)."""
    secret = secret if secret is not None else cache_key.cache_secret()[0]
    assert secret is not None
    seal = hmac.new(secret, key.encode() + b"\n" + body, sha256).hexdigest()
    return FORMAT + f"{key} {seal}\n".encode() + body


def _pack_made(
    folder: Path, when: float, entries: list[bytes], header: bytes | None = None
) -> Path:
    """A pack of `entries` as if made at the time `when` (opening with `header`, by default
    this machine's)."""
    pack = folder / PACK.format(int(when * 1e9), 1, "0")
    pack.write_bytes(_framed(entries, header))
    os.utime(pack, (when, when))
    return pack


def _taken_apart(
    root: Path, site: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[bytes]]:
    """Build the project into `site`, then take its one pack of converted pages apart: the
    folder, and the pack's entries (the pack removed)."""
    _build_here(root, site, monkeypatch)
    folder = _folder(root)
    (pack,) = folder.glob("*.pack")
    entries = _frames(pack.read_bytes())
    pack.unlink()
    return folder, entries


def _stored(root: Path, folder: str, entries: list[bytes]) -> None:
    """The folder's packs replaced by one of `entries`."""
    for pack in _folder(root, folder).glob("*.pack"):
        pack.unlink()
    _pack_made(_folder(root, folder), time.time(), entries)


def _no_finished_pages(root: Path) -> None:
    """Forget the finished incident pages, so that the next build reads the conversion cache."""
    shutil.rmtree(root / ".cache" / "pmkb" / "finished", ignore_errors=True)


def _built_with_extra(
    root: Path, monkeypatch: pytest.MonkeyPatch, name: str, values: list[str]
) -> list[str]:
    """An incident page as each build makes it, `extra: {name: value}` set for each of `values`
    in turn."""
    config = root / "mkdocs.yml"
    pages = []
    for value in values:
        written = yaml.safe_load(config.read_text(encoding="utf-8"))
        written["extra"] = {name: value}
        config.write_text(yaml.safe_dump(written), encoding="utf-8", newline="\n")
        _build_here(root, "site", monkeypatch)
        pages.append(
            (root / "site" / "incidents" / "db-failover" / "index.html").read_text("utf-8")
        )
    return pages


def test_a_second_build_converts_no_generated_page_and_publishes_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    cold = _build_here(root, "site-cold", monkeypatch)
    entries = _entries(root)
    # Three incidents, the four listings, the trends and action-items pages, three services and
    # two factors: every generated page is kept; docs/index.md (the user's own) is not.
    assert len(entries) == cold - 1 > 10
    warm = _build_here(root, "site-warm", monkeypatch)
    assert warm == 1  # only the user's own home page
    assert _same_tree(root / "site-cold", root / "site-warm")


def test_mkdocs_renders_no_page_whose_html_pmkb_has_from_a_finished_page_or_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs builds a Markdown converter, with every extension, to render a page, even the empty
    # text pmkb gives it for a page whose HTML pmkb puts in itself.
    root = _project(tmp_path)
    _build_here(root, "site-cold", monkeypatch)
    rendered: list[str] = []
    render = Page.render

    def counted(page: Page, config: MkDocsConfig, files: Files) -> None:
        rendered.append(page.file.src_uri)
        render(page, config, files)

    monkeypatch.setattr(Page, "render", counted)
    _build_here(root, "site-warm", monkeypatch)  # incident pages finished, the others cached
    assert rendered == ["index.md"]  # the site's own page only
    assert _same_tree(root / "site-cold", root / "site-warm")
    rendered.clear()
    _no_finished_pages(root)
    _build_here(root, "site-cached", monkeypatch)  # every generated page from the cache
    assert rendered == ["index.md"]
    assert _same_tree(root / "site-cold", root / "site-cached")


def test_packs_made_before_two_weeks_or_ahead_of_the_clock_are_removed_by_the_first_build_of_a_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    used = _entries(root)
    folder = _folder(root)
    entry = next(iter(used.values()))
    unused = _pack_made(
        folder, time.time() - 15 * 24 * 3600, [entry.replace(_name(entry).encode(), b"0" * 64)]
    )
    # Made by a machine whose clock ran ahead, or before this one's was set back: going by when
    # it was made, no clean-up would remove it before that day came, however far off.
    ahead = {
        hours: _pack_made(
            folder,
            time.time() + hours * 3600,
            [entry.replace(_name(entry).encode(), b"%064d" % hours)],
        )
        for hours in (1, 72, 24 * 365 * 30)
    }
    # An entry of an earlier version (a file each, in a folder named by two hex digits), and a
    # file that is not one.
    (folder / "ab").mkdir()
    legacy, other = folder / "ab" / ("c" * 62), folder / "ab" / "notes.txt"
    legacy.write_bytes(entry)
    other.write_text("mine", newline="\n")
    marker = folder / ".cleaned"
    assert marker.is_file()  # the first build looked the folder over
    _build_here(root, "site", monkeypatch)
    assert unused.exists() and legacy.exists()  # not looked for again the same day
    day_ago = time.time() - 25 * 3600
    os.utime(marker, (day_ago, day_ago))
    _build_here(root, "site", monkeypatch)
    assert not unused.exists() and not legacy.exists()
    assert {hours: pack.exists() for hours, pack in ahead.items()} == {
        1: True,
        72: False,
        24 * 365 * 30: False,
    }
    assert other.read_text() == "mine"
    ahead[1].unlink()
    assert _entries(root) == used  # what the builds use stays
    assert time.time() - marker.stat().st_mtime < 3600


def test_a_serve_session_looks_its_packs_over_once_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each `serve` rebuild stores what it converts in a pack of its own: an author who only ever
    # serves would otherwise keep every pack of every session.
    root = _project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.chdir(root)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.plugins.on_startup(command="serve", dirty=False)
    mkdocs_build(config)
    folder = _folder(root)
    entry = next(iter(_entries(root).values()))
    unused = _pack_made(
        folder, time.time() - 15 * 24 * 3600, [entry.replace(_name(entry).encode(), b"0" * 64)]
    )
    _edited(root, "db-failover.md", "Database failover", "Database fail-over")
    mkdocs_build(config)
    assert unused.exists() and not (folder / ".cleaned").exists()  # not while the author waits
    config.plugins.on_shutdown()
    assert not unused.exists() and (folder / ".cleaned").is_file()
    assert _entries(root)  # what the session converted stays


def test_an_entry_read_from_a_pack_older_than_a_week_is_written_again_and_a_recent_one_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    folder, entries = _taken_apart(root, "site", monkeypatch)
    _pack_made(folder, time.time() - 8 * 24 * 3600, entries[:1])
    _pack_made(folder, time.time() - 3600, entries[1:])
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1  # all read, none converted
    newest = max(folder.glob("*.pack"))
    assert _frames(newest.read_bytes()) == entries[:1]  # kept by the clean-up a week more


def _in_small_packs(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[bytes], float]:
    """The project `root` built into site-clean, its entries then each in a pack of its own made
    two hours before (a second apart): the cache folder, the entries, and when."""
    folder, entries = _taken_apart(root, "site-clean", monkeypatch)
    hours_ago = time.time() - 2 * 3600
    for n, entry in enumerate(entries):
        _pack_made(folder, hours_ago - n, [entry])
    return folder, entries, hours_ago


def test_the_daily_clean_up_makes_one_pack_of_the_small_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every build after a build writes a small pack: each is a file to open.
    root = _project(tmp_path)
    folder, entries, hours_ago = _in_small_packs(root, monkeypatch)
    # Read from more packs than a build keeps open at once.
    monkeypatch.setattr(conversion_cache, "OPEN_PACKS", 2)
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    assert len(list(folder.glob("*.pack"))) == len(entries)  # looked over today: none merged
    day_ago = time.time() - 25 * 3600
    os.utime(folder / ".cleaned", (day_ago, day_ago))
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    (merged,) = folder.glob("*.pack")
    # Named as made when the oldest of them was: what was not used since goes as early.
    assert merged.name.startswith(f"{int((hours_ago - len(entries) + 1) * 1e9):016x}")
    assert sorted(_frames(merged.read_bytes())) == sorted(entries)
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    assert _same_tree(root / "site", root / "site-clean")


def test_a_clean_up_under_way_in_another_build_is_left_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two at once each merged the same packs, and the second wrote a pack of what it found left.
    root = _project(tmp_path)
    folder, entries, hours_ago = _in_small_packs(root, monkeypatch)
    day_ago = time.time() - 25 * 3600
    os.utime(folder / ".cleaned", (day_ago, day_ago))
    claim = folder / ".cleaning"
    claim.touch()
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    assert len(list(folder.glob("*.pack"))) == len(entries) and claim.exists()
    # One a build stopped part way left, an hour before, or while the clock was ahead (a
    # day ahead: a clock set back since): taken over.
    ahead = time.time() + 24 * 3600
    os.utime(claim, (ahead, ahead))
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    assert len(list(folder.glob("*.pack"))) == 1 and not claim.exists()
    claim.touch()
    for path in folder.glob("*.pack"):
        path.unlink()
    for n, entry in enumerate(entries):
        _pack_made(folder, hours_ago - n, [entry])
    os.utime(folder / ".cleaned", (day_ago, day_ago))
    os.utime(claim, (hours_ago, hours_ago))
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    (merged,) = folder.glob("*.pack")
    assert sorted(_frames(merged.read_bytes())) == sorted(entries)
    assert not claim.exists()


def test_an_entry_a_build_used_is_kept_a_week_though_the_clean_up_merged_its_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    folder, entries = _taken_apart(root, "site-clean", monkeypatch)
    day = 24 * 3600
    _pack_made(folder, time.time() - 10 * day, entries)
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1  # and every entry written again
    # Other builds' small packs, and the day's first build an hour later: the small packs merged.
    for n in range(conversion_cache.MERGED_FROM):
        _pack_made(folder, time.time() - 2 * day - n, entries[:1])
    hours_ago = time.time() - 2 * 3600
    for path in [*folder.glob("*.pack"), folder / ".cleaned"]:
        made = min(path.stat().st_mtime, hours_ago - day * (path.name == ".cleaned"))
        os.utime(path, (made, made))
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1
    # The clean-up five days after: each entry was used less than a week before.
    cache = conversion_cache.ConversionCache(folder, "", b"k" * 32, Files([]))
    cache.remove_unused(now=time.time() + 5 * day)
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1


def test_a_merge_a_stopped_build_left_part_way_is_removed_by_the_next_clean_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    folder = _folder(root)
    (pack,) = folder.glob("*.pack")
    # Under the name this version writes a merge under, and an earlier version's.
    left = [
        being_written(folder / PACK.format(time.time_ns(), 1, "0"), pid=1234),
        folder / f".tmp-1234-{PACK.format(time.time_ns(), 2, '0')}",
    ]
    for path in left:
        path.write_bytes(pack.read_bytes())
    day_ago = time.time() - 25 * 3600
    for path in (*left, folder / ".cleaned"):
        os.utime(path, (day_ago, day_ago))
    _build_here(root, "site", monkeypatch)
    assert sorted(path.name for path in folder.iterdir()) == [".cleaned", pack.name]


def test_an_edit_converts_the_edited_incident_and_the_pages_that_list_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    edited = root / "postmortems" / "2025" / "cdn-purge.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "A short summary of what happened.", "The purge emptied every edge cache at once."
        ),
        encoding="utf-8",
        newline="\n",
    )
    with _conversions() as converted:
        config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site-warm"))
        config.plugins.on_startup(command="build", dirty=False)
        mkdocs_build(config)
    # The edited incident alone, not the other two; and fewer than the 16 pages of the site
    # (not the payments service page, which does not list it).
    incidents = _incidents_converted(converted)
    assert len(incidents) == 1 and "The purge emptied every edge cache" in incidents[0]
    assert len(converted) < 10
    # And what was published is what a build without the cache publishes.
    shutil.rmtree(root / ".cache")
    _build_here(root, "site-clean", monkeypatch)
    assert _same_tree(root / "site-warm", root / "site-clean")


def _incidents_converted(converted: list[str]) -> list[str]:
    """The incident pages' Markdown texts among those converted (their titles are pmkb's
    blocks, their sections the author's)."""
    return [text for text in converted if "\n## Summary\n" in text]


def test_a_postmortem_added_or_removed_converts_its_page_and_the_pages_that_list_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    assert len(rendered) == len(_entries(root, "finished")) == 3
    added = root / "postmortems" / "2025" / "queue-backlog.md"
    added.write_text(
        postmortem(
            "Queue backlog delayed e-mails",
            "2025-04-08",
            services=["payments"],
            summary="The mail queue grew for hours.",
        ),
        encoding="utf-8",
        newline="\n",
    )
    for step in ("added", "removed"):
        rendered.clear()
        with _conversions() as converted:
            config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / f"site-{step}"))
            config.plugins.on_startup(command="build", dirty=False)
            mkdocs_build(config)
        # The added incident alone: none of the others, which link to no page that came or
        # went (every page was converted again when the site's files were part of the key).
        incidents = _incidents_converted(converted)
        assert len(incidents) == (step == "added"), step
        assert all("The mail queue grew for hours." in text for text in incidents)
        # Made again once it is added: the incidents of its service and factor, whose related
        # incidents it may be among; not the CDN purge, which shares neither (every incident
        # page was, when what chose related incidents was one digest over all of them). Once it
        # is removed, those pages are again what the first build finished.
        made_again = ["Database failover stalled writes", "Expired certificate on the API"]
        assert sorted(rendered) == (
            sorted([*made_again, "Queue backlog delayed e-mails"]) if step == "added" else []
        ), step
        shutil.move(root / ".cache", root / ".cache-kept")
        _build_here(root, f"site-{step}-clean", monkeypatch)
        shutil.rmtree(root / ".cache")
        shutil.move(root / ".cache-kept", root / ".cache")
        assert site_differences(root / f"site-{step}", root / f"site-{step}-clean") == [], step
        added.unlink(missing_ok=True)


def test_a_postmortem_added_renders_again_only_the_incidents_whose_related_it_may_join(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    from pmkb.analyse.index import NEIGHBOURS

    # One service's incidents, a day apart: a new one, newer than all, is weighed as related
    # only by the NEIGHBOURS nearest it in time.
    count = 2 * NEIGHBOURS + 20
    start = date(2024, 1, 1)
    files = {
        f"2024/day-{n:03d}.md": postmortem(
            f"Day {n:03d}", (start + timedelta(days=n)).isoformat(), services=["payments"]
        )
        for n in range(count)
    }
    root = make_project(tmp_path / "kb", files, site=True)
    _build_here(root, "site", monkeypatch)
    assert len(rendered) == count
    rendered.clear()
    (root / "postmortems" / "2024" / "newest.md").write_text(
        postmortem("Newest", (start + timedelta(days=count)).isoformat(), services=["payments"]),
        encoding="utf-8",
        newline="\n",
    )
    _build_here(root, "site-added", monkeypatch)
    assert "Newest" in rendered and "Day 000" not in rendered
    assert len(rendered) <= NEIGHBOURS + 2
    shutil.rmtree(root / ".cache")
    _build_here(root, "site-clean", monkeypatch)
    assert site_differences(root / "site-added", root / "site-clean") == []


def test_a_page_linking_to_a_postmortem_yet_to_come_is_converted_again_when_it_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    linking = postmortem(
        "Cache stampede after the deploy",
        "2025-05-02",
        summary="It happened again, as [the later stampede](later.md) shows.",
    )
    root = make_project(tmp_path / "kb", {"2025/first.md": linking}, site=True)
    later = root / "postmortems" / "2025" / "later.md"
    sites = []
    for step in ("missing", "added", "removed"):
        if step == "added":
            later.write_text(
                postmortem("The later stampede", "2025-06-01"), encoding="utf-8", newline="\n"
            )
        if step == "removed":
            later.unlink()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mkdocs"):
            _build_here(root, f"site-{step}", monkeypatch)
        warned = [r.getMessage() for r in caplog.records if "later.md" in r.getMessage()]
        page = (root / f"site-{step}" / "incidents" / "first" / "index.html").read_text("utf-8")
        if step == "added":
            assert '<a href="../later/">the later stampede</a>' in page and warned == []
        else:
            assert '<a href="later.md">the later stampede</a>' in page
            assert len(warned) == 1 and "not found among documentation files" in warned[0]
        sites.append(page)
    assert sites[0] == sites[2]


def _split(payload: bytes) -> tuple[list[object], str]:
    """An entry's content as `packed` writes it: a line of JSON, then the HTML."""
    head, _, html = payload.partition(b"\n")
    return json.loads(head), html.decode()


def _payload(fields: list[object], html: str | bytes) -> bytes:
    body = html.encode() if isinstance(html, str) else html
    return json.dumps(fields).encode() + b"\n" + body


def _damaged(data: bytes) -> list[bytes]:
    _, _, rest = data.partition(b"\n")
    line, _, payload = rest.partition(b"\n")
    key = line.split()[0].decode()

    def signed(fields: list[object], html: str | bytes | None) -> bytes:
        body = _payload(fields, html) if html is not None else json.dumps(fields).encode()
        return _sealed(key, body)

    (toc, anchors, links, records, lookups), html = _split(payload)
    nested = b"[" * 100_000 + b"]" * 100_000 + b"\n" + html.encode()
    deep: list[object] = []
    for _ in range(300):
        deep = [{"title": "A", "id": "a", "level": 2, "children": deep}]
    return [
        b"",  # emptied
        data[: len(data) // 2],  # cut short
        data[:-1] + bytes([data[-1] ^ 1]),  # one bit flipped
        b"pmkb-conversion-cache 3\n" + rest,  # another format
        FORMAT + b"0" * 64 + b" " + line.split()[1] + b"\n" + payload,  # another page's name
        FORMAT + line + b"\n" + b"[1, 2]\n",  # its seal not its content's
        # Sealed by anyone (the digest of its content), or with another machine's key: what a
        # pull request could commit, or another CI runner store.
        FORMAT + f"{key} {sha256(payload).hexdigest()}\n".encode() + payload,
        _sealed(key, payload, b"k" * 32),
        signed([toc, anchors, links, records], html),  # a field missing
        signed([toc, anchors, links, records, lookups], b"\xff<p>not UTF-8</p>"),  # not text
        signed([toc, anchors, links, records, lookups], None),  # no line break before the HTML
        signed([toc, anchors, links, [["mkdocs", "warning", 3]], lookups], html),  # a record malformed
        signed([toc, anchors, links, [["mkdocs", 30, "\x1b]0;owned\x07 a link"]], lookups], html),  # escapes
        signed([toc, anchors, links, records, [["a.md", None, 0]]], html),  # a look-up malformed
        signed([toc, anchors, links, records, [["a.md", "a/", True]]], html),  # a level not a number
        signed([toc, anchors, links, records, "a.md"], html),  # look-ups not a list
        signed([[{"title": "<img src=x onerror=alert(1)>", "id": "a", "level": 2,
                  "children": []}], anchors, links, records, lookups], html),  # markup in a title
        signed([[{"title": "A", "id": 'a" onmouseover="alert(1)', "level": 2,
                  "children": []}], anchors, links, records, lookups], html),  # an id leaving its quotes
        # Material writes an entry's `typeset` title as it is; MkDocs' entries have no `url` to set.
        signed([[{"title": "A", "id": "a", "level": 2, "children": [],
                  "typeset": {"title": "<script>alert(1)</script>"}}], anchors, links, records,
                lookups], html),  # an attribute MkDocs does not make
        signed([[{"title": "A", "id": "a", "level": 2, "children": [], "url": "x"}], anchors,
                links, records, lookups], html),  # one that cannot be set
        signed([[{"title": "A", "id": "a", "level": True, "children": []}], anchors, links,
                records, lookups], html),  # a level not a number
        signed([toc, anchors, {"2025/db-failover.md": {"a": "x\x1b[2J\x1b[1;1H"}}, records,
                lookups], html),  # a link that would clear the terminal as MkDocs warns of it
        signed([toc, anchors, {"2025/db-failover.md": {"a\nINFO - build clean": "x"}}, records,
                lookups], html),  # a log line of its own
        _sealed(key, nested),  # nested too deep
        signed([deep, anchors, links, records, lookups], html),  # deeper than headings go
    ]  # fmt: skip


def test_a_damaged_or_forged_entry_is_converted_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    good = _entries(root)
    for damage in range(len(_damaged(next(iter(good.values()))))):
        _stored(root, "pages", [_damaged(data)[damage] for data in good.values()])
        _no_finished_pages(root)
        converted = _build_here(root, "site", monkeypatch)
        assert converted == len(good) + 1, f"damage {damage}"
        assert not site_differences(root / "site", root / "site-clean"), f"damage {damage}"
        now = _entries(root)
        assert {key: now.get(key) for key in good} == good, f"damage {damage}"


def _poisoned(
    root: Path, seal: Callable[[str, bytes], bytes] = lambda key, body: _sealed(key, body)
) -> list[bytes]:
    """The build's entries, each with a paragraph and scripts added to its HTML and sealed anew
    by `seal` (by default with this machine's key, as if it had leaked)."""
    poisoned = []
    for data in _entries(root).values():
        _, _, rest = data.partition(b"\n")
        line, _, payload = rest.partition(b"\n")
        fields, html = _split(payload)
        html += '<p>From the cache</p><script>alert(1)</script><img src=x onerror="alert(2)">'
        poisoned.append(seal(line.split()[0].decode(), _payload(fields, html)))
    return poisoned


def test_a_pack_of_frames_too_short_for_an_entry_is_read_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not written by pmkb: a million empty frames before the entries would be a million reads
    # for every build.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    good = list(_entries(root).values())
    _stored(root, "pages", [b"", *good])
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == len(good) + 1  # none of them read
    assert _same_tree(root / "site", root / "site-clean")
    _no_finished_pages(root)
    assert _build_here(root, "site", monkeypatch) == 1  # read from the build's own pack


def test_html_read_from_the_cache_is_sanitized_like_converted_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache is a folder a pull request could add files to: an entry with a valid name and
    # digest carrying a script publishes no script.
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    poisoned = _poisoned(root)
    _stored(root, "pages", poisoned)
    assert len(poisoned) == len(_entries(root)) > 10
    _no_finished_pages(root)
    _build_here(root, "site-poisoned", monkeypatch)
    page = (root / "site-poisoned" / "incidents" / "db-failover" / "index.html").read_text(
        encoding="utf-8"
    )
    assert "<p>From the cache</p>" in page
    assert "alert(" not in page
    assert "Database failover stalled writes" in page


def _with_a_broken_link(tmp_path: Path) -> Path:
    """A site whose one postmortem links to a page that does not exist."""
    body = postmortem(
        "Broken link in the timeline",
        "2025-04-02",
        summary="See [the runbook](../../runbooks/missing.md) for the steps.",
    )
    return make_project(tmp_path / "kb", {"2025/broken.md": body}, site=True)


def test_a_pack_no_build_here_sealed_changes_no_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pack a pull request commits past `.gitignore`, or another CI runner stores, would have a
    # page show what the diff of its postmortem does not: well-formed, named after the pages,
    # but not sealed with this machine's key, it is not read.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    good = _entries(root)
    # Sealed by anyone (the digest of its content, as entries were once), or with another key.
    for seal in (
        lambda key, body: FORMAT + f"{key} {sha256(body).hexdigest()}\n".encode() + body,
        lambda key, body: _sealed(key, body, b"k" * 32),
    ):
        _stored(root, "pages", _poisoned(root, seal))
        _no_finished_pages(root)
        assert _build_here(root, "site", monkeypatch) == len(good) + 1
        assert _same_tree(root / "site", root / "site-clean")
        _stored(root, "pages", list(good.values()))


def test_a_pack_another_key_or_none_sealed_is_not_read_and_hides_no_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Newer packs holding entries under the pages' names, opening with another key's header (a
    # machine that builds with a CI's key too) or with none (a pack a pull request commits):
    # they are not read through, and the pages are taken from this machine's older pack.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    good = _entries(root)
    other = b"k" * 32
    _stored(root, "pages", list(good.values()))
    later = time.time() + 60
    for header in (_header(other), b""):
        forged = [_sealed(key, b"[1, 2]\n", other) for key in good]
        pack = _pack_made(_folder(root), later, forged, header)
        with pack.open("ab") as out:  # a million frames, which a pack read through would cost
            out.write((b"90\n" + b"x" * 90) * 10**6)
        assert conversion_cache._scan(pack, _header()) == ({}, 0)  # nothing read past the header
        _no_finished_pages(root)
        assert _build_here(root, "site", monkeypatch) == 1  # the site's own home page alone
        assert _same_tree(root / "site", root / "site-clean")
        pack.unlink()
        later += 60
    # Nor does such a pack tell a build that pages were converted before (when they were, it
    # makes its listing pages in another process, a copy of itself in memory).
    secret = cache_key.cache_secret()[0]
    assert secret is not None
    assert conversion_cache.holds_packs(_folder(root), secret)
    for pack in _folder(root).glob("*.pack"):
        pack.write_bytes(_header(other) + pack.read_bytes()[len(_header()) :])
    assert not conversion_cache.holds_packs(_folder(root), secret)


def test_what_a_conversion_logged_is_logged_again_when_its_page_comes_from_the_cache(
    tmp_path: Path,
) -> None:
    root = _with_a_broken_link(tmp_path)
    first, second = build(root, strict=True), build(root, strict=True)
    assert (root / ".cache" / "pmkb" / "pages").is_dir()
    warned = [
        [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
        for result in (first, second)
    ]
    assert first.returncode == second.returncode == 1
    assert (
        warned[0]
        == warned[1]
        == [
            "WARNING -  Doc file 'incidents/broken.md' contains a link '../../runbooks/missing.md', "
            "but the target '../runbooks/missing.md' is not found among documentation files."
        ]
    )


def test_a_message_another_thread_logs_while_a_page_converts_is_not_kept_with_the_page() -> None:
    # `mkdocs serve`'s server thread says a browser connected while a rebuild converts a page:
    # kept with the page's entry, every later build that took it said so again.
    recorder = conversion_cache.Recorder(passes_on=False)
    logger = logging.getLogger("pmkb-test.recorded")
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    try:
        recorder.records = []
        logger.warning("the page's own")
        other = threading.Thread(target=logger.warning, args=("Browser connected: /a/",))
        other.start()
        other.join()
        logger.info("the page's too")
        assert recorder.records == [
            ("pmkb-test.recorded", logging.WARNING, "the page's own"),
            ("pmkb-test.recorded", logging.INFO, "the page's too"),
        ]
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(logging.NOTSET)


def test_a_builds_warning_is_logged_once_when_mkdocs_passes_its_messages_to_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A build run from Python (a script, a test) leaves MkDocs' logger passing messages on to
    # the root, where pmkb also records: the message reached both, was kept twice and said twice.
    root = _with_a_broken_link(tmp_path)
    monkeypatch.setattr(logging.getLogger("mkdocs"), "propagate", True)
    for build_number in (1, 2):  # converted, then from the cache
        caplog.clear()
        _build_here(root, "site", monkeypatch)
        missing = [r for r in caplog.records if "runbooks/missing.md" in r.getMessage()]
        assert len(missing) == 1, (build_number, [r.getMessage() for r in missing])
    assert (root / ".cache" / "pmkb" / "pages").is_dir()


# A hook's warnings on loggers of its own, before and while pages are built: MkDocs' command
# line sets up no handler for them, and Python shows them with its handler of last resort.
OWN_LOGGERS_HOOK = """
import logging


def on_pre_build(config):
    logging.getLogger("team.checks").warning("three postmortems lack an owner")


def on_post_page(output, page, config):
    if page.file.src_uri == "index.md":
        logging.getLogger("team.pages").warning("the home page names no owner")
    return output
"""


def test_warnings_of_other_loggers_are_shown_as_without_pmkb(tmp_path: Path) -> None:
    root = _project(tmp_path, mkdocs={"hooks": ["team.py"]}, files={"team.py": OWN_LOGGERS_HOOK})
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert "three postmortems lack an owner" in result.stderr
    assert "the home page names no owner" in result.stderr


def test_cache_dir_empty_keeps_no_cache_and_a_custom_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = _project(tmp_path / "off", options={"cache_dir": ""})
    assert _build_here(off, "site", monkeypatch) == _build_here(off, "site", monkeypatch) > 10
    assert not (off / ".cache").exists()
    elsewhere = _project(tmp_path / "elsewhere", options={"cache_dir": "build/pmkb-cache"})
    _build_here(elsewhere, "site", monkeypatch)
    assert list((elsewhere / "build" / "pmkb-cache" / "pages").glob("*.pack"))
    assert _build_here(elsewhere, "site", monkeypatch) == 1


def test_extensions_with_functions_in_their_settings_are_cached_and_snippets_turns_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emoji = {
        "pymdownx.emoji": {
            "emoji_index": "!!python/name:material.extensions.emoji.twemoji",
            "emoji_generator": "!!python/name:material.extensions.emoji.to_svg",
        }
    }
    toc = {"toc": {"slugify": "SLUGIFY"}}
    root = _project(tmp_path / "emoji", markdown_extensions=[toc, "tables", emoji])
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    # YAML tags, as Material's documentation writes them (a dumped string would be quoted).
    for name in ("twemoji", "to_svg"):
        config = config.replace(
            f"'!!python/name:material.extensions.emoji.{name}'",
            "!!python/name:material.extensions.emoji." + name,
        )
    # A function made by calling one with settings (a `functools.partial`).
    slugify = "!!python/object/apply:pymdownx.slugs.slugify {kwds: {case: lower}}"
    (root / "mkdocs.yml").write_text(
        config.replace("SLUGIFY", slugify), encoding="utf-8", newline="\n"
    )
    _build_here(root, "site", monkeypatch)
    assert _build_here(root, "site", monkeypatch) == 1
    # Snippets reads files the key cannot cover: every page is converted, every time.
    snippets = _project(tmp_path / "snippets", markdown_extensions=["toc", "pymdownx.snippets"])
    assert _build_here(snippets, "site", monkeypatch) == _build_here(snippets, "site", monkeypatch)
    assert not (snippets / ".cache" / "pmkb" / "pages").exists()


def _with_icons(tmp_path: Path, icons: str = "overrides/.icons") -> Path:
    """A site whose one postmortem shows `:team-pager:`, an icon of its own under `icons`, which
    Material's emoji extension reads (`custom_icons`); inline SVG stays with trust_html alone."""
    emoji = {
        "pymdownx.emoji": {
            "emoji_index": "!!python/name:material.extensions.emoji.twemoji",
            "emoji_generator": "!!python/name:material.extensions.emoji.to_svg",
            "options": {"custom_icons": [icons]},
        }
    }
    body = postmortem("Pager storm", "2025-04-02", summary="Paged by :team-pager: all night.")
    root = make_project(
        tmp_path / "kb",
        {"2025/pager.md": body},
        site=True,
        options={"trust_html": True},
        markdown_extensions=["toc", emoji],
    )
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    for name in ("twemoji", "to_svg"):
        config = config.replace(
            f"'!!python/name:material.extensions.emoji.{name}'",
            "!!python/name:material.extensions.emoji." + name,
        )
    (root / "mkdocs.yml").write_text(config, encoding="utf-8", newline="\n")
    return root


def _draw(icon: Path, drawn: str) -> None:
    icon.parent.mkdir(parents=True, exist_ok=True)
    icon.write_text(
        f'<svg viewBox="0 0 24 24"><path d="{drawn}"/></svg>', encoding="utf-8", newline="\n"
    )


DRAWN = ("M1 1h22v22H1z", "M12 2a10 10 0 1 0 0 20")


@pytest.mark.parametrize("linked", [False, True])
def test_an_icon_of_the_sites_own_once_edited_is_shown_anew_on_the_pages_that_use_it(
    tmp_path: Path, linked: bool
) -> None:
    # The pages' Markdown and the settings stay the same when an icon is redrawn, and its pages
    # show the new one; also when its folder is a link (Material follows it).
    root = _with_icons(tmp_path)
    icon = root / "overrides" / ".icons" / "team" / "pager.svg"
    if linked:
        (root / "vendor" / "team").mkdir(parents=True)
        icon.parent.parent.mkdir(parents=True)
        symlink(icon.parent, root / "vendor" / "team")
    shown = []
    for drawn in DRAWN:
        _draw(icon, drawn)
        result = build(root)
        assert result.returncode == 0, result.stderr
        shown.append(f'd="{drawn}"' in read(root, "incidents/pager/index.html"))
    assert shown == [True, True]
    assert (root / ".cache" / "pmkb" / "pages").is_dir()  # the cache stays on


@pytest.mark.parametrize("first", ["drawn", "missing", "uncached"])
def test_an_icon_drawn_while_serving_is_not_kept_as_the_process_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    # Material keeps its icon index and each icon it drew for as long as its process runs: a
    # `serve` rebuild after an icon is redrawn (or first drawn, its folder made) shows what the
    # process read first, and must not keep that page under the new key, where every later build
    # would find it. Nor once the icon is drawn back: the process may have drawn the other one.
    # Nor when the session's first build kept nothing (snippets, since taken out, turned the
    # cache off): its extensions read the icons all the same. Builds in this process, as in a
    # `serve` session.
    root = _with_icons(tmp_path)
    config = root / "mkdocs.yml"
    written = config.read_text(encoding="utf-8")
    if first == "uncached":
        config.write_text(
            written.replace("- toc\n", "- toc\n- pymdownx.snippets\n"), "utf-8", newline="\n"
        )
    icon = root / "overrides" / ".icons" / "team" / "pager.svg"
    if first != "missing":
        _draw(icon, DRAWN[0])
    _build_here(root, "site", monkeypatch)
    config.write_text(written, encoding="utf-8", newline="\n")
    kept = _entries(root)
    assert (len(kept) > 5) == (first != "uncached")
    for drawn in (DRAWN[1], DRAWN[0]):
        _draw(icon, drawn)
        _build_here(root, "site", monkeypatch)
        assert _entries(root) == kept
    # An editor's swap file beside the icons changes nothing: Material never reads it.
    monkeypatch.setattr(named_files_module, "_process", named_files_module._Process())
    _build_here(root, "site", monkeypatch)
    (icon.parent / ".pager.svg.swp").write_bytes(b"swap")
    assert _build_here(root, "site", monkeypatch) == 1


def test_the_key_covers_files_settings_name_but_not_the_project_and_not_a_large_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    (icons / "a.svg").write_text("<svg/>", encoding="utf-8", newline="\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(icons / ".lock")  # never opened: reading it would wait for a writer for ever
    settings = {"x": {"options": [".", "..", "icons", "./icons", "missing", "https://x.org/", 3]}}
    both = {"working": tmp_path, "config": tmp_path}
    first = named_files(settings, both)
    assert sorted(first) == sorted(
        f"{where}:{text}" for where in both for text in ("./icons", "icons")
    )
    assert len(set(first.values())) == 1
    # Once what they name has changed in a process, the key cannot be made there, even once it
    # is as it was.
    (icons / "a.svg").write_text("<svg></svg>", encoding="utf-8", newline="\n")
    with pytest.raises(ChangedHere, match="`icons`"):
        named_files(settings, both)
    (icons / "a.svg").write_text("<svg/>", encoding="utf-8", newline="\n")
    with pytest.raises(ChangedHere):
        named_files(settings, both)
    # Past the most files, counted once however many ways lead to them, neither can it: no page
    # is then looked up or kept.
    monkeypatch.setattr(named_files_module, "_process", named_files_module._Process())
    monkeypatch.setattr(named_files_module, "MOST_FILES", 1)
    assert named_files({"x": "a.svg"}, {"working": icons, "config": icons})
    (icons / "b.svg").write_text("<svg/>", encoding="utf-8", newline="\n")
    with pytest.raises(TooManyFiles):
        named_files({"x": "icons"}, {"working": tmp_path})
    emoji = {"pymdownx.emoji": {"options": {"custom_icons": ["icons"]}}}
    root = _project(tmp_path, markdown_extensions=["toc", emoji])
    shutil.copytree(icons, root / "icons", ignore=shutil.ignore_patterns(".lock"))
    assert _build_here(root, "site", monkeypatch) == _build_here(root, "site", monkeypatch) > 10
    assert not (root / ".cache" / "pmkb" / "pages").exists()


# Named by its module, or by module and class, as Python-Markdown takes either.
@pytest.mark.parametrize("b64", ["pymdownx.b64", "pymdownx.b64:B64Extension"])
def test_an_image_b64_writes_into_a_page_is_written_again_once_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, b64: str
) -> None:
    # pymdownx.b64 reads each image into the page: the key cannot cover the image, so pages are
    # converted every time (with trust_html, the sanitizer keeps the inlined image).
    body = postmortem("Latency graph", "2025-04-02", summary="The graph: ![latency](img/graph.png)")
    root = make_project(
        tmp_path / "kb",
        {"2025/graph.md": body},
        site=True,
        options={"trust_html": True},
        markdown_extensions=["toc", b64],
        files={"img/graph.png": b"first graph"},
    )
    shown = []
    for image in (b"first graph", b"second graph"):
        (root / "img" / "graph.png").write_bytes(image)
        _build_here(root, "site", monkeypatch)
        page = (root / "site" / "incidents" / "graph" / "index.html").read_text(encoding="utf-8")
        shown.append(base64.b64encode(image).decode() in page)
    assert shown == [True, True]
    assert not (root / ".cache" / "pmkb" / "pages").exists()


# A hook that changes every page's HTML before pmkb takes it (its handler runs first): what it
# adds depends on the site's settings, which the cache's key knows nothing of.
EARLY_HTML_HOOK = """
from mkdocs.plugins import event_priority


@event_priority(200)
def on_page_content(html, page, config, files):
    return html + '<p class="banner">' + config.extra["banner"] + "</p>"
"""


def test_a_plugin_that_changes_the_html_before_pmkb_sees_its_change_on_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, mkdocs={"hooks": ["banner.py"]}, files={"banner.py": EARLY_HTML_HOOK})
    banners = ["Freeze until Monday", "Freeze lifted"]
    pages = _built_with_extra(root, monkeypatch, "banner", banners)
    assert all(f'<p class="banner">{b}</p>' in page for b, page in zip(banners, pages, strict=True))


# A hook reading and changing each page's Markdown at MkDocs' "last" priority: after pmkb's
# handler, since hooks come after plugins.
LATE_MARKDOWN_HOOK = """
from mkdocs.plugins import event_priority


@event_priority(-100)
def on_page_markdown(markdown, page, config, files):
    words = len(markdown.split())
    return markdown + f"\\n\\nRead {words} words, {config.extra['unit']}.\\n"
"""


def test_a_plugin_reading_the_markdown_after_pmkb_sees_it_whole_on_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, mkdocs={"hooks": ["late.py"]}, files={"late.py": LATE_MARKDOWN_HOOK})
    pages = _built_with_extra(root, monkeypatch, "unit", ["first", "first", "second"])
    shown = [re.findall(r"Read (\d+) words, (\w+)\.", page) for page in pages]
    words = shown[0][0][0]
    assert int(words) > 20
    assert shown == [[(words, "first")], [(words, "first")], [(words, "second")]]


@pytest.mark.parametrize("social_first", [True, False])
def test_a_plugin_at_the_last_priority_before_pmkb_or_turned_off_leaves_the_cache_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, social_first: bool
) -> None:
    # Material's social plugin reads each page at MkDocs' "last" priority, as pmkb does: before
    # pmkb when listed before it. Material has it turned off outside CI
    # (`enabled: !ENV [CI, false]`): then, wherever it is listed, it reads nothing.
    root = _project(tmp_path)
    config = root / "mkdocs.yml"
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    pmkb = next(p for p in written["plugins"] if isinstance(p, dict) and "pmkb" in p)
    social = {"social": {"enabled": False}}
    written["plugins"] = ["search", *([social, pmkb] if social_first else [pmkb, social])]
    config.write_text(yaml.safe_dump(written), encoding="utf-8", newline="\n")
    first = _build_here(root, "site", monkeypatch)
    _no_finished_pages(root)
    # Only the site's own page is converted again: the cache is used.
    assert _build_here(root, "site", monkeypatch) == 1 and first > len(POSTMORTEMS)


# A hook reading each page as plugins may before the theme builds it: its file's text, its
# Markdown and its HTML once converted (Material's typeset plugin reads `page.markdown` there).
READING_HOOK = """
seen = {}


def on_pre_page(page, config, files):
    seen[page.file.src_uri] = len(page.file.content_string.split())


def on_page_content(html, page, config, files):
    words = len(page.markdown.split())
    found = seen.get(page.file.src_uri)
    return html + f"<p>Read: file {found}, Markdown {words}, HTML {len(page.content or '')}.</p>"
"""


def test_plugins_reading_pages_before_the_theme_find_them_whole_on_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, mkdocs={"hooks": ["reading.py"]}, files={"reading.py": READING_HOOK})
    read = []
    for _ in range(3):  # converted, then from the cache (and finished pages, if they were used)
        _build_here(root, "site", monkeypatch)
        page = (root / "site" / "incidents" / "db-failover" / "index.html").read_text("utf-8")
        read.append(re.findall(r"Read: file (\d+), Markdown (\d+), HTML (\d+)\.", page))
    assert read[0] == read[1] == read[2]
    assert all(int(n) > 20 for n in read[0][0])


# A plugin before pmkb (a translation plugin, say) whose files resolve a link their own way.
OWN_FILES_HOOK = """
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files


class Renamed(Files):
    def get_file_from_path(self, path):
        return super().get_file_from_path(path.replace("runbook.md", "guide.md"))


@event_priority(50)
def on_files(files, config):
    return Renamed(files)
"""


def test_the_files_another_plugin_made_before_pmkb_resolve_the_links_of_pmkbs_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linking = postmortem(
        "Runbook followed", "2025-05-02", summary="As [the runbook](../runbook.md) says."
    )
    root = make_project(
        tmp_path / "kb",
        {"2025/first.md": linking},
        site=True,
        mkdocs={"hooks": ["renamed.py"]},
        files={"renamed.py": OWN_FILES_HOOK, "docs/guide.md": "# Guide\n"},
    )
    for site in ("site", "site-warm"):
        _build_here(root, site, monkeypatch)
        page = (root / site / "incidents" / "first" / "index.html").read_text("utf-8")
        assert '<a href="../../guide/">the runbook</a>' in page, site


def _importable(root: Path) -> dict[str, str]:
    """The environment of a build that imports the project folder's own modules (a team's
    Markdown extension, say)."""
    return {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}


# A team's own Markdown extension, in the project folder: it signs every page, and warns, on a
# logger of its own, about every page it converts.
TEAM_EXTENSION = """
import logging

from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor


class Owners(Preprocessor):
    def run(self, lines):
        logging.getLogger("team.owners").warning("a page names no owner")
        return lines


class Signed(Postprocessor):
    def run(self, text):
        return text + "<p>SIGNATURE</p>"


class TeamExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(Owners(md), "owners", 0)
        md.postprocessors.register(Signed(md), "signed", 0)


def makeExtension(**kwargs):
    return TeamExtension(**kwargs)
"""


def test_a_teams_own_markdown_extension_once_edited_converts_the_pages_again(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, markdown_extensions=["toc", "tables", "team"])
    shown = []
    for signature in ("Reviewed by the SRE guild", "Reviewed again by the platform team"):
        extension = TEAM_EXTENSION.replace("SIGNATURE", signature)
        (root / "team.py").write_text(extension, encoding="utf-8", newline="\n")
        result = build(root, env=_importable(root))
        assert result.returncode == 0, result.stderr
        shown.append(f"<p>{signature}</p>" in read(root, "incidents/db-failover/index.html"))
    assert shown == [True, True]
    assert (root / ".cache" / "pmkb" / "pages").is_dir()


# The same extension, added by a hook of the site's own (MkDocs loads a hook by its path, not
# as a module on the import path).
TEAM_EXTENSION_HOOK = (
    TEAM_EXTENSION
    + """

def on_config(config):
    config.markdown_extensions.append(TeamExtension())
    return config
"""
)


def test_an_extension_a_hook_adds_once_edited_converts_the_pages_again(tmp_path: Path) -> None:
    root = _project(tmp_path, mkdocs={"hooks": ["hooks/team.py"]})
    shown = []
    for signature in ("Reviewed by the SRE guild", "Reviewed again by the platform team"):
        extension = TEAM_EXTENSION_HOOK.replace("SIGNATURE", signature)
        (root / "hooks").mkdir(exist_ok=True)
        (root / "hooks" / "team.py").write_text(extension, encoding="utf-8", newline="\n")
        for _ in range(2):  # the second build takes the incident pages from the cache
            result = build(root)
            assert result.returncode == 0, result.stderr
            shown.append(f"<p>{signature}</p>" in read(root, "incidents/db-failover/index.html"))
    assert shown == [True] * 4


# Extensions a hook makes from `extra` in `on_config`: what the cache key sees of them is the
# instance's and the function's, not the hook file's, which stays the same.
MADE_FROM_EXTRA_HOOKS = {
    "instance": """
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor


class Signed(Postprocessor):
    def __init__(self, md, text):
        super().__init__(md)
        self.text = text

    def run(self, text):
        return text + "<p>Signed: " + self.text + "</p>"


class Signature(Extension):
    def __init__(self, text):
        self.text = text
        super().__init__()

    def extendMarkdown(self, md):
        md.postprocessors.register(Signed(md, self.text), "signed", 0)


def on_config(config):
    config.markdown_extensions.append(Signature(config.extra["team"]))
    return config
""",
    "closure": """
from markdown.extensions.toc import slugify


def on_config(config):
    team = config.extra["team"]
    config.mdx_configs.setdefault("toc", {})["slugify"] = lambda s, sep: team + sep + slugify(s, sep)
    if "toc" not in config.markdown_extensions:
        config.markdown_extensions.append("toc")
    return config
""",
}


@pytest.mark.parametrize("made", sorted(MADE_FROM_EXTRA_HOOKS))
def test_an_extension_a_hook_makes_from_extra_converts_the_pages_again_once_extra_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: str
) -> None:
    root = _project(
        tmp_path, mkdocs={"hooks": ["team.py"]}, files={"team.py": MADE_FROM_EXTRA_HOOKS[made]}
    )
    pages = _built_with_extra(root, monkeypatch, "team", ["sre", "sre", "platform"])
    shown = [re.findall(r"Signed: (\w+)|id=\"(\w+)-summary\"", page) for page in pages]
    assert [{m for pair in found for m in pair if m} for found in shown] == [
        {"sre"},
        {"sre"},
        {"platform"},
    ]


def _made_for(team: str) -> Callable[[str, str], str]:
    teams = [team]  # data a hook took from `extra`, in a list
    return lambda text, sep: teams[0] + sep + text


def _wrapped(case: str) -> Callable[[str, str], str]:
    base = slugs.slugify(case=case)  # a function made with settings, held by a closure
    return lambda text, sep: "x" + sep + base(text, sep)


# Tables a hook fills from `extra` in `on_config`, read by the slugify functions below in the
# ways such a function is written.
_WORDS: dict[str, str] = {}
_TABLE: dict[int, str] = {}
_PATTERNS: list[re.Pattern[str]] = []


def _in_a_generator(text: str, sep: str) -> str:
    return sep.join(_WORDS.get(word, word) for word in text.split())


def _through_a_helper(text: str, sep: str) -> str:
    return _in_a_generator(text, sep)


def _translated(text: str, sep: str) -> str:
    return text.translate(_TABLE)


def _matched(text: str, sep: str) -> str:
    return "".join(p.sub("x", text) for p in _PATTERNS)


class _Slugger:
    def __init__(self, team: str) -> None:
        self.team = team

    def slug(self, text: str, sep: str) -> str:
        return self.team + sep + text


def test_the_cache_key_differs_with_what_a_settings_function_was_made_with() -> None:
    stable = conversion_cache._stable
    assert stable(_made_for("sre")) == stable(_made_for("sre"))
    assert stable(_made_for("sre")) != stable(_made_for("platform"))
    assert stable(_wrapped("lower")) != stable(_wrapped("none"))
    assert stable(_Slugger("sre").slug) != stable(_Slugger("platform").slug)
    # Past the 200 characters a pattern's repr shows.
    assert stable(re.compile("a" * 250 + "b")) != stable(re.compile("a" * 250 + "c"))
    # Data that holds itself has no form to compare: the cache is off for the build (the
    # caller's answer to Unstable), and the build goes on.
    table: dict[str, object] = {}
    table["all"] = table
    with pytest.raises(conversion_cache.Unstable):
        stable(lambda: table)
    # The code of a function a setting makes with `functools.partial` counts, not functools'.
    assert "pymdownx" in conversion_cache._code_modules(slugs.slugify(case="lower"))


@pytest.mark.parametrize("read", [_in_a_generator, _through_a_helper, _translated, _matched])
def test_the_cache_key_differs_with_the_data_a_settings_function_reads(
    read: Callable[[str, str], str],
) -> None:
    # Filled from `extra` by a hook's `on_config`: other data, another key (and a worker, which
    # runs no `on_config`, finds other data and declines every page).
    keys = []
    for team in ("ops", "sre"):
        _WORDS.clear(), _TABLE.clear(), _PATTERNS.clear()
        _WORDS["summary"] = team
        _TABLE.update(str.maketrans("s", team[0]))
        _PATTERNS.append(re.compile(team))
        keys.append(json.dumps(conversion_cache._stable(read)))
    _WORDS.clear(), _TABLE.clear(), _PATTERNS.clear()
    assert keys[0] != keys[1]


def test_keys_of_other_kinds_than_text_are_told_apart_and_alike_in_every_process() -> None:
    stable = conversion_cache._stable
    assert stable({1: "x", "1": "y"}) != stable({1: "z", "1": "y"})
    # A frozenset's text follows the process's string hashing, which each process draws anew.
    script = (
        "import json; from pmkb.plugin.conversion_cache import _stable; "
        "print(json.dumps(_stable({frozenset({'alpha', 'beta', 'gamma'}): 'x'})))"
    )
    made = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(made) == 1


def test_functions_that_call_each_other_are_each_looked_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = types.ModuleType("team_helpers")
    count = 3
    exec(
        "\n".join(
            f"def f{i}(x):\n    return " + " + ".join(f"f{j}" for j in range(count) if j != i)
            for i in range(count)
        ),
        module.__dict__,
    )
    walks = []
    reached = conversion_cache._functions_reached

    def counted(function: types.FunctionType) -> list[types.FunctionType]:
        walks.append(function)
        return reached(function)

    monkeypatch.setattr(conversion_cache, "_functions_reached", counted)
    assert conversion_cache._code_modules({"slugify": module.f0}) == {"team_helpers"}
    assert len(walks) == 1


def test_the_modules_a_settings_function_calls_in_a_generator_count() -> None:
    def slug(text: str, sep: str) -> str:
        return sep.join(yaml.safe_dump(word) for word in text.split())

    assert "yaml" in conversion_cache._code_modules(slug)


def test_a_link_to_nothing_in_a_settings_functions_package_leaves_the_build_going(
    tmp_path: Path,
) -> None:
    # An editor's lock file (`.#module.py`) is a link to nothing while a file is being edited.
    package = tmp_path / "team"
    package.mkdir()
    (package / "slug.py").write_text(
        "def slug(text, sep):\n    return text\n", encoding="utf-8", newline="\n"
    )
    symlink(package / ".#slug.py", tmp_path / "gone")
    assert digests.files_digest(package) != digests.files_digest(tmp_path / "none-such")


def test_a_folder_opened_in_a_file_manager_is_the_same_code(tmp_path: Path) -> None:
    # Finder and Explorer leave .DS_Store, Thumbs.db and desktop.ini behind: no page is converted
    # again for them, and an edit to the code still is.
    package = tmp_path / "team"
    package.mkdir()
    (package / "slug.py").write_bytes(b"def slug(text, sep):\n    return text\n")
    before = digests.files_digest(package)
    for name in (".DS_Store", "Thumbs.db", "desktop.ini"):
        (package / name).write_bytes(b"\x00\x00\x00\x01Bud1")
    assert digests.files_digest(package) == before
    (package / "slug.py").write_bytes(b"def slug(text, sep):\n    return text.lower()\n")
    assert digests.files_digest(package) != before


def test_an_author_who_writes_a_kept_placeholder_sees_it_as_text_with_the_cache_or_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The escapes hide the placeholders' kept form from the Markdown; converted, it is there.
    summary = "Odd text pmkb\\-block\\-stable\\-0 and pmkb\\-block\\-stable\\-3 here."
    body = postmortem("Placeholder lookalike", "2025-04-02", summary=summary)
    pages = []
    for name, options in (("cached", {}), ("uncached", {"cache_dir": ""})):
        root = make_project(tmp_path / name, {"2025/odd.md": body}, site=True, options=options)
        for _ in range(2):  # converted, then from the cache when there is one
            _build_here(root, "site", monkeypatch)
            pages.append(read(root, "incidents/odd/index.html"))
    assert len(set(pages)) == 1
    assert "Odd text pmkb-block-stable-0 and pmkb-block-stable-3 here." in pages[0]
    assert pages[0].count('class="pmkb-title"') == 1


def test_an_extensions_warnings_on_its_own_logger_are_shown_in_every_build(
    tmp_path: Path,
) -> None:
    said = []
    for name, options in (("cached", {}), ("uncached", {"cache_dir": ""})):
        root = _project(
            tmp_path / name,
            markdown_extensions=["toc", "tables", "team"],
            options=options,
            files={"team.py": TEAM_EXTENSION},
        )
        for _ in range(2):  # the second build takes the incident pages from the cache
            result = build(root, env=_importable(root))
            assert result.returncode == 0, result.stderr
            said.append(result.stderr.count("a page names no owner"))
    # The home page and the three incident pages at least, the same number in every build.
    assert said[0] >= 4 and len(set(said)) == 1, said


# The kept form behind escapes, and as a heading's id.
@pytest.mark.parametrize(
    "written",
    ["See pmkb\\-block\\-stable\\-0 here.", "See below.\n\n### Pmkb block stable 0\n\nHere."],
)
def test_a_warning_of_a_page_that_writes_a_kept_placeholder_is_given_once(
    tmp_path: Path, written: str
) -> None:
    summary = f"{written} And [the runbook](../../runbooks/missing.md)."
    body = postmortem("Placeholder and a broken link", "2025-04-02", summary=summary)
    root = make_project(tmp_path / "kb", {"2025/odd.md": body}, site=True)
    for _ in range(2):
        result = build(root, strict=True)
        warned = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
        assert len(warned) == 1 and "missing.md" in warned[0], result.stderr


def test_another_markdown_extension_setting_converts_every_page_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    first = _build_here(root, "site", monkeypatch)
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        config.replace("- toc", "- toc:\n    permalink: true"), encoding="utf-8", newline="\n"
    )
    assert _build_here(root, "site", monkeypatch) == first
    assert 'class="headerlink"' in (
        root / "site" / "incidents" / "cdn-purge" / "index.html"
    ).read_text(encoding="utf-8")


BLOG_POST = """\
---
date: 2025-05-01
---

# What we learned from a year of postmortems

Most of our incidents began with a configuration change.
"""

PLUGINS_THAT_EDIT_PAGES = {
    # mkdocs-macros renders each page's Markdown as a template before it is converted.
    "macros": (["search", "macros"], {"Total: {{ 6 * 7 }} minutes": "Total: 42 minutes"}),
    # A minifier rewrites every page's HTML after the theme has rendered it.
    "minify": (["search", {"minify": {"minify_html": True}}], {}),
    # Material's blog adds pages of its own, beside pmkb's.
    "blog": (["search", "blog"], {}),
}


@pytest.mark.parametrize("name", sorted(PLUGINS_THAT_EDIT_PAGES))
def test_plugins_that_edit_pages_see_each_page_converted_once_and_publish_what_they_would_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    plugins, expected = PLUGINS_THAT_EDIT_PAGES[name]
    postmortems = dict(POSTMORTEMS)
    postmortems["2025/db-failover.md"] = postmortem(
        "Database failover stalled writes",
        "2025-01-14",
        services=["payments"],
        summary="Writes stalled for a while. Total: {{ 6 * 7 }} minutes.",
    )
    files = {"docs/blog/index.md": "# Blog\n", "docs/blog/posts/year.md": BLOG_POST}

    def project(folder: str, options: dict[str, Any]) -> Path:
        return make_project(
            tmp_path / folder,
            postmortems,
            site=True,
            files=files if name == "blog" else {},
            mkdocs={"plugins": [*plugins, {"pmkb": options}]},
        )

    # Without the cache and with no worker processes: the site these plugins make with pmkb.
    alone = project("alone", {"cache_dir": "", "workers": 0})
    pages = _build_here(alone, "site", monkeypatch)
    cached = project("cached", {})
    assert _build_here(cached, "site-cold", monkeypatch) == pages  # each page converted once
    assert _build_here(cached, "site-warm", monkeypatch) < pages / 3
    for site in ("site-cold", "site-warm"):
        assert _same_tree(alone / "site", cached / site), site
    page = (cached / "site-warm" / "incidents" / "db-failover" / "index.html").read_text(
        encoding="utf-8"
    )
    for written, shown in expected.items():
        assert shown in page and written not in page
    if name == "minify":
        assert "\n    <" not in page  # minified: no indented lines
    if name == "blog":
        post = "blog/2025/05/01/what-we-learned-from-a-year-of-postmortems/index.html"
        assert "began with a configuration change" in (cached / "site-warm" / post).read_text(
            encoding="utf-8"
        )


# A plugin whose change to every incident page comes from outside the knowledge base (here an
# environment variable; a macro reading the date, an API, a file outside docs_dir), made to the
# Markdown or to the source MkDocs reads: pmkb cannot tell when what it writes changes, so no
# page it edits may come finished from an earlier build.
EDITION = '"\\n\\nBuilt for the " + os.environ["KB_EDITION"] + " edition.\\n"'
EDITION_HOOKS = {
    "markdown": f"""
import os
import re


def on_page_markdown(markdown, page, config, files):
    return markdown + {EDITION}
""",
    "source": f"""
import os
import re


def on_page_read_source(page, config):
    if page.file.src_uri.startswith("incidents/"):
        return page.file.content_string + {EDITION}
    return None
""",
}


@pytest.mark.parametrize("event", sorted(EDITION_HOOKS))
def test_a_plugin_that_edits_pages_sees_every_page_made_again_by_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event: str
) -> None:
    hook = EDITION_HOOKS[event]
    root = _project(tmp_path, mkdocs={"hooks": ["edition.py"]}, files={"edition.py": hook})
    page = root / "site" / "incidents" / "cdn-purge" / "index.html"
    for edition in ("spring", "autumn"):
        monkeypatch.setenv("KB_EDITION", edition)
        _build_here(root, "site", monkeypatch)
        assert f"Built for the {edition} edition." in page.read_text(encoding="utf-8"), edition
    assert _entries(root, "finished") == {}  # none is written, as none would be used


def _called_for(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """The incidents `incident.<name>` (a function of a page context and a postmortem) is
    called for from now on, by title."""
    seen: list[str] = []
    function = getattr(incident, name)

    def counted(ctx: Any, pm: Any, **made: Any) -> Any:
        seen.append(pm.title)
        return function(ctx, pm, **made)

    monkeypatch.setattr(incident, name, counted)
    return seen


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The incident pages whose text is rendered, by title."""
    return _called_for(monkeypatch, "incident_text")


def test_a_finished_incident_page_is_neither_rendered_nor_converted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site-cold", monkeypatch)
    assert len(rendered) == len(_entries(root, "finished")) == 3
    rendered.clear()
    _build_here(root, "site-warm", monkeypatch)
    assert rendered == []
    assert _same_tree(root / "site-cold", root / "site-warm")
    # An edit: that incident is made again, the others stay finished.
    edited = root / "postmortems" / "2025" / "cdn-purge.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("A short summary", "A new summary"),
        "utf-8",
        newline="\n",
    )
    _build_here(root, "site-edited", monkeypatch)
    assert rendered == ["CDN purge emptied the cache"]
    shutil.rmtree(root / ".cache")
    _build_here(root, "site-clean", monkeypatch)
    assert _same_tree(root / "site-edited", root / "site-clean")


# A plugin that shows, on each incident page, the front matter it finds on the page.
META_HOOK = """
def on_page_context(context, page, config, nav):
    if page.file.src_uri == "incidents/cdn-purge.md":
        tags = ", ".join(page.meta.get("tags", []))
        page.content += f"<p class=seen>{page.meta.get('title')} | {tags}</p>"
    return context
"""


def test_an_incident_pages_front_matter_is_on_the_page_whether_converted_or_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs reads an incident page without its front matter; pmkb gives the page its values.
    root = _project(tmp_path, mkdocs={"hooks": ["meta.py"]}, files={"meta.py": META_HOOK})
    _build_here(root, "site-cold", monkeypatch)
    _build_here(root, "site-warm", monkeypatch)  # every incident page finished
    assert _entries(root, "finished")
    for site in ("site-cold", "site-warm"):
        page = (root / site / "incidents" / "cdn-purge" / "index.html").read_text("utf-8")
        assert "<p class=seen>CDN purge emptied the cache | search, traffic-surge</p>" in page
        assert "<title>CDN purge emptied the cache - " in page
        assert '<meta name="description" content="A short summary' in page


def test_a_finished_page_keeps_its_compact_search_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, options={"search": "compact"})
    made = _called_for(monkeypatch, "search_entry")
    _build_here(root, "site-cold", monkeypatch)
    titles = sorted(made)
    assert len(titles) == 3 == len(set(titles))  # each incident's entry made once
    made.clear()
    _build_here(root, "site-warm", monkeypatch)
    assert made == []  # every one taken from its finished page
    assert _same_tree(root / "site-cold", root / "site-warm")
    index = json.loads((root / "site-warm" / "search" / "search_index.json").read_text("utf-8"))
    shown = [d["text"] for d in index["docs"] if d["title"] == "CDN purge emptied the cache"]
    assert shown and "Services: Product search" in shown[0]


def test_finished_pages_this_machine_did_not_seal_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str], user_cache_folder: Path
) -> None:
    # Finished pages hold pmkb's own HTML, which no sanitizer passes: an entry put in the cache
    # folder by a pull request, or restored from a CI cache another runner wrote, must not be
    # published, however well-formed. Only this machine's key seals them.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    forged = []
    for data in _entries(root, "finished").values():
        _, _, rest = data.partition(b"\n")
        line, _, payload = rest.partition(b"\n")
        fields, html = _split(payload)
        html = html.replace("</h1>", "</h1><script>alert(1)</script>")
        forged.append((line.split()[0].decode(), _payload(fields, html)))
    assert len(forged) == 3
    # Sealed as the conversion cache seals its entries, and with another machine's key.
    for seal in (
        lambda body: sha256(body).hexdigest(),
        lambda body: hmac.new(b"k" * 32, body, sha256).hexdigest(),
    ):
        _stored(
            root,
            "finished",
            [FORMAT + f"{key} {seal(body)}\n".encode() + body for key, body in forged],
        )
        rendered.clear()
        _build_here(root, "site", monkeypatch)
        assert len(rendered) == 3
        assert _same_tree(root / "site", root / "site-clean")
    # A user folder that cannot hold a key: no finished pages, the same site.
    key_file = user_cache_folder / "finished-pages.key"
    secret = key_file.read_bytes()
    try:
        key_file.write_bytes(b"short")
        shutil.rmtree(root / ".cache" / "pmkb" / "finished")
        rendered.clear()
        _build_here(root, "site", monkeypatch)
        assert len(rendered) == 3
        assert not (root / ".cache" / "pmkb" / "finished").exists()
        assert _same_tree(root / "site", root / "site-clean")
        # Made again for the next build, not refused for ever.
        assert len(key_file.read_bytes()) == 32 and key_file.read_bytes() != secret
    finally:
        key_file.write_bytes(secret)


def test_a_finished_page_filed_under_another_pages_name_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    # Sealed with this machine's key, but for another page: its seal covers the name too.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    first, second, third = _entries(root, "finished").values()

    def renamed(entry: bytes, name: str) -> bytes:
        return entry.replace(_name(entry).encode(), name.encode(), 1)

    _stored(root, "finished", [renamed(first, _name(second)), renamed(second, _name(first)), third])
    rendered.clear()
    _build_here(root, "site", monkeypatch)
    assert len(rendered) == 2
    assert _same_tree(root / "site", root / "site-clean")


def test_the_first_build_on_a_machine_makes_its_key_and_no_finished_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    # A CI runner is a new machine every time: its build would write finished pages for no one.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "new-machine"))
    root = _project(tmp_path)
    _build_here(root, "site-first", monkeypatch)
    assert (tmp_path / "new-machine" / "pmkb" / "finished-pages.key").stat().st_size == 32
    assert _entries(root, "finished") == {}
    _build_here(root, "site-second", monkeypatch)
    assert len(_entries(root, "finished")) == 3
    rendered.clear()
    _build_here(root, "site-third", monkeypatch)
    assert rendered == []
    assert _same_tree(root / "site-first", root / "site-third")


def test_a_run_reading_the_key_while_another_makes_it_never_finds_part_of_it(
    tmp_path: Path,
) -> None:
    # A run that found the key file empty (made, not yet written) took it for a bad one and made
    # another, and what the first run sealed was never used. Whatever line the making run is at,
    # a reader finds no key file, or the whole key.
    folder = tmp_path / "pmkb"
    key_file = folder / "finished-pages.key"
    seen: set[int | None] = set()

    def look(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == cache_key.__file__:
            seen.add(key_file.stat().st_size if key_file.exists() else None)
            return look
        return None

    tracing = sys.gettrace()
    sys.settrace(look)
    try:
        assert cache_key.machine_secret(folder) is None  # the first run on a machine
    finally:
        sys.settrace(tracing)
    assert seen == {None, 32}
    assert cache_key.machine_secret(folder) == key_file.read_bytes()
    assert [p.name for p in folder.iterdir()] == [key_file.name]  # nothing else left


def test_a_relative_user_cache_folder_is_not_where_the_key_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    # XDG_CACHE_HOME=.cache would keep the key in the project's own cache folder, beside the
    # pages it seals, where a pull request can commit both: ignored, as the XDG spec asks.
    monkeypatch.setenv("XDG_CACHE_HOME", ".cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = _project(tmp_path)
    _build_here(root, "site", monkeypatch)
    assert not list(root.rglob("finished-pages.key"))
    assert (tmp_path / "home" / ".cache" / "pmkb" / "finished-pages.key").stat().st_size == 32


def test_a_finished_page_is_made_again_on_the_day_one_of_its_action_items_falls_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
) -> None:
    due = {"title": "Add a write alarm", "owner": "team-payments", "status": "open",
           "due": date(2025, 11, 26)}  # fmt: skip
    postmortems = dict(POSTMORTEMS)
    postmortems["2025/db-failover.md"] = postmortem(
        "Database failover stalled writes", "2025-01-14", extra={"action_items": [due]}
    )
    root = make_project(tmp_path / "kb", postmortems, site=True)
    _build_here(root, "site", monkeypatch)  # 2025-11-25: not yet due
    page = root / "site" / "incidents" / "db-failover" / "index.html"
    assert "pmkb-overdue__flag" not in page.read_text(encoding="utf-8")
    rendered.clear()
    _build_here(root, "site", monkeypatch, epoch="1764115200")  # 2025-11-26: not yet overdue
    assert rendered == []
    _build_here(root, "site", monkeypatch, epoch="1764201600")  # 2025-11-27: overdue
    assert rendered == ["Database failover stalled writes"]
    assert "pmkb-overdue__flag" in page.read_text(encoding="utf-8")
    shutil.rmtree(root / ".cache")
    _build_here(root, "site-clean", monkeypatch, epoch="1764201600")
    assert _same_tree(root / "site", root / "site-clean")


@pytest.fixture
def listings_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the listing, catalog, trend and export pages were made."""
    made: list[int] = []
    original = Renderer.other_pages

    def counted(self: Renderer, jobs: int = 1) -> Any:
        pages = original(self, jobs)
        made.append(len(pages))
        return pages

    monkeypatch.setattr(Renderer, "other_pages", counted)
    return made


def _edited(root: Path, name: str, old: str, new: str) -> None:
    path = root / "postmortems" / "2025" / name
    path.write_text(
        path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8", newline="\n"
    )


def _kept_listings(root: Path) -> Path:
    """The file that keeps the listing pages, where one configuration has been built."""
    (kept,) = (root / ".cache" / "pmkb").glob("other-pages-*")
    return kept


def test_listing_pages_are_kept_after_an_edit_to_a_body_and_made_again_after_a_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listings_made: list[int]
) -> None:
    root = _project(tmp_path)
    _build_here(root, "site-cold", monkeypatch)
    assert len(listings_made) == 1 and listings_made[0] > 10
    assert _kept_listings(root).is_file()
    # A body edit: no listing shows a body, so the next build takes them as they were (from the
    # file, placeholders in their stable form), and publishes what a build making them publishes.
    # (test_dirty's clean builds, in other processes, read them with another token.)
    _edited(root, "cdn-purge.md", "A short summary", "A new summary")
    _build_here(root, "site-warm", monkeypatch)
    assert len(listings_made) == 1
    _kept_listings(root).unlink()
    _build_here(root, "site-clean", monkeypatch)
    assert len(listings_made) == 2
    assert _same_tree(root / "site-warm", root / "site-clean")
    # A title is on every listing: they are made again, and show it.
    _edited(root, "cdn-purge.md", "CDN purge emptied the cache", "CDN purge drained the cache")
    _build_here(root, "site-title", monkeypatch)
    assert len(listings_made) == 3
    page = (root / "site-title" / "incidents" / "index.html").read_text(encoding="utf-8")
    assert "CDN purge drained the cache" in page


def test_two_sites_of_one_checkout_keep_their_own_listing_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listings_made: list[int]
) -> None:
    # The internal and the public site, built in turn from one checkout (as `pmkb init` sets
    # them up): each build took the other's listing pages for its own stale ones and made them.
    root = _project(tmp_path)
    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    (options,) = [p["pmkb"] for p in config["plugins"] if isinstance(p, dict) and "pmkb" in p]
    options["audience"] = "public"
    (root / "mkdocs.public.yml").write_text(yaml.safe_dump(config), encoding="utf-8", newline="\n")
    _build_here(root, "site", monkeypatch)
    _build_here(root, "site-public", monkeypatch, config="mkdocs.public.yml")
    assert len(listings_made) == 2
    _build_here(root, "site", monkeypatch)
    _build_here(root, "site-public", monkeypatch, config="mkdocs.public.yml")
    assert len(listings_made) == 2
    assert len(list((root / ".cache" / "pmkb").glob("other-pages-*"))) == 2
    # A configuration no build has used for two weeks loses its file when another is written.
    month_ago = time.time() - 30 * 24 * 3600
    for kept in (root / ".cache" / "pmkb").glob("other-pages-*"):
        os.utime(kept, (month_ago, month_ago))
    _edited(root, "cdn-purge.md", "CDN purge emptied the cache", "CDN purge drained the cache")
    _build_here(root, "site", monkeypatch)  # its listings made again, and written
    assert len(listings_made) == 3
    assert _kept_listings(root).stat().st_mtime > time.time() - 3600  # the public site's is gone


def test_listing_pages_this_machine_did_not_seal_are_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listings_made: list[int]
) -> None:
    # The kept pages hold pmkb's blocks, which no sanitizer passes: a file a pull request adds,
    # or one another runner wrote to a shared CI cache, must not be published.
    root = _project(tmp_path)
    _build_here(root, "site-clean", monkeypatch)
    kept = _kept_listings(root)
    signed = kept.read_bytes().removesuffix(b"\n").rpartition(b"\n")[0] + b"\n"  # all but the seal
    assert b"</table>" in signed
    forged = signed.replace(b"</table>", b"</table><script>alert(1)</script>")
    for seal in (
        sha256(forged).hexdigest(),
        hmac.new(b"k" * 32, forged, sha256).hexdigest(),
        "",
    ):
        kept.write_bytes(forged + seal.encode() + b"\n")
        made = len(listings_made)
        _build_here(root, "site", monkeypatch)
        assert len(listings_made) == made + 1, seal
        assert _same_tree(root / "site", root / "site-clean")
    # Cut short, or emptied: made again too.
    for damaged in (kept.read_bytes()[:-10], b""):
        kept.write_bytes(damaged)
        made = len(listings_made)
        _build_here(root, "site", monkeypatch)
        assert len(listings_made) == made + 1
        assert _same_tree(root / "site", root / "site-clean")


def test_a_machine_that_cannot_keep_a_key_says_so_and_builds_as_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A container whose user cannot write its cache folder (`docker run --user`, HOME=/): no
    # key, ever, so every build converts every page; said once a build, not as a warning.
    root = _project(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8", newline="\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked / "cache"))
    monkeypatch.delenv("PMKB_CACHE_KEY", raising=False)
    for site in ("site-first", "site-second"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mkdocs"):
            converted = _build_here(root, site, monkeypatch)
        said = [r for r in caplog.records if "no key to seal" in r.getMessage()]
        assert [(r.levelno, r.getMessage()) for r in said] == [
            (
                logging.INFO,
                f"pmkb: no key to seal what builds keep ({blocked / 'cache' / 'pmkb'} cannot be "
                "written): every build converts every page; set PMKB_CACHE_KEY to give one",
            )
        ]
        assert converted > 10
    assert _same_tree(root / "site-first", root / "site-second")
    assert not any(_folder(root).glob("*.pack"))


def test_runners_given_one_key_share_their_finished_and_listing_pages(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rendered: list[str],
    listings_made: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Each CI runner is a new machine: with a key of their own (PMKB_CACHE_KEY, a CI secret),
    # the next runner takes what the last one kept; without it, or with another, it does not.
    root = _project(tmp_path)
    monkeypatch.setenv("PMKB_CACHE_KEY", "a" * 31 + "b")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "runner-1"))
    _build_here(root, "site-1", monkeypatch)
    assert len(rendered) == len(_entries(root, "finished")) == 3 and len(listings_made) == 1
    assert not (tmp_path / "runner-1").exists()  # no machine key made, nor needed
    rendered.clear()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "runner-2"))
    _build_here(root, "site-2", monkeypatch)
    assert rendered == [] and len(listings_made) == 1
    assert _same_tree(root / "site-1", root / "site-2")
    # Another key, or none (a pull request's build, which has no secrets): all made again.
    for key in ("a" * 32, ""):
        monkeypatch.setenv("PMKB_CACHE_KEY", key)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / f"runner-{key[:1]}"))
        rendered.clear()
        made = len(listings_made)
        _build_here(root, "site-3", monkeypatch)
        assert len(rendered) == 3 and len(listings_made) == made + 1, key
        assert _same_tree(root / "site-1", root / "site-3")
    # A key too short to be safe is refused, with a warning (which --strict makes an error).
    monkeypatch.setenv("PMKB_CACHE_KEY", "a" * 31)
    rendered.clear()
    with caplog.at_level(logging.WARNING):
        _build_here(root, "site-4", monkeypatch)
    assert len(rendered) == 3
    assert "PMKB_CACHE_KEY holds 31 characters, fewer than 32: not used" in caplog.text
    assert "a" * 31 not in caplog.text


def test_a_fresh_checkout_given_the_key_checks_no_postmortem_the_last_runner_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checks: list[str]
) -> None:
    # A CI runner checks the project out anew, at the same path: every file has a new identity
    # (inode, times). With the key, the checked postmortems the last runner kept (the cache
    # restored) are known by their bytes; with another key or none, they are all checked again.
    root = _project(tmp_path)
    checked = checks
    monkeypatch.setenv("PMKB_CACHE_KEY", "k" * 40)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-1"))
    _build_here(root, "site", monkeypatch)
    assert len(checked) == len(POSTMORTEMS)
    built = tmp_path / "site-1"
    shutil.move(root / "site", built)
    for runner, key, expected in (("2", "k" * 40, 0), ("3", "j" * 40, len(POSTMORTEMS)), ("4", "", len(POSTMORTEMS))):  # fmt: skip
        checkout = tmp_path / f"checkout-{runner}"
        shutil.move(root, checkout)
        shutil.copytree(checkout, root)  # new inodes, as a checkout's; the cache as restored
        monkeypatch.setenv("PMKB_CACHE_KEY", key)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / f"home-{runner}"))
        checked.clear()
        _build_here(root, "site", monkeypatch)
        assert len(checked) == expected, runner
        assert _same_tree(built, root / "site")
        shutil.rmtree(root / "site")


def _installed_anew(tmp_path: Path, name: str, when: float) -> Path:
    """pmkb as a new CI runner installs it: the same files, written at another time (pip writes
    an installed file's time as it writes it; a checkout, the time it checks it out)."""
    source = Path(conversion_cache.__file__).parent.parent
    copy = tmp_path / name / "pmkb"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [copy, *copy.rglob("*")]:
        os.utime(path, (when, when))
    return copy.parent


def test_a_new_runner_given_the_key_takes_the_pages_though_its_files_are_written_anew(
    tmp_path: Path,
) -> None:
    # Each CI runner checks the project out and installs pmkb anew: every file has a new time.
    # What the last runner kept must still be found, or the key and the cache serve nothing.
    root = _project(tmp_path, mkdocs={"hooks": ["hook.py"]}, files={"hook.py": ""})
    kept: dict[str, dict[str, bytes]] = {"finished": {}, "pages": {}}
    for runner, when in (("runner-1", 1_700_000_000.0), ("runner-2", 1_700_086_400.0)):
        for path in root.rglob("*"):
            if ".cache" not in path.parts:
                os.utime(path, (when, when))  # checked out anew
        env = {
            "PYTHONPATH": str(_installed_anew(tmp_path, runner, when)),
            "PMKB_CACHE_KEY": "k" * 40,
            "XDG_CACHE_HOME": str(tmp_path / runner / "home"),
        }
        result = build(root, strict=True, env=env)
        assert result.returncode == 0, result.stderr
        if runner == "runner-1":
            kept = {folder: _entries(root, folder) for folder in kept}
            listings = next((root / ".cache" / "pmkb").glob("other-pages-*")).read_bytes()
            assert len(kept["finished"]) == 3
    # The second runner found every page it needed: it stored no entry of its own.
    assert {folder: _entries(root, folder) for folder in kept} == kept
    assert next((root / ".cache" / "pmkb").glob("other-pages-*")).read_bytes() == listings


def test_once_mkdocs_shuts_the_plugin_down_it_holds_nothing_of_the_build(tmp_path: Path) -> None:
    # MkDocs keeps a plugin with `on_startup` to the end of the process: what it still held then
    # (every postmortem, its pages) made a 5,000-postmortem build take 0.2 s longer to exit.
    import gc
    import weakref

    root = make_project(
        tmp_path / "kb",
        {f"pm-{i}.md": postmortem(f"I {i}", "2024-05-01") for i in range(6)},
        site=True,
    )
    config = load_config(str(root / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    before = {id(o) for o in gc.get_objects() if isinstance(o, Postmortem)}  # earlier tests'
    mkdocs_build(config)
    made = [
        weakref.ref(o)
        for o in gc.get_objects()
        if isinstance(o, Postmortem) and id(o) not in before
    ]
    assert len(made) >= 6
    config.plugins.on_shutdown()
    gc.collect()
    assert [r() for r in made if r() is not None] == []
