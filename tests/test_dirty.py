"""`mkdocs serve --dirty`: a rebuild converts only the pages an edit changed, and the site it
leaves is the site a clean build makes of the same sources."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from markdown import Markdown
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from helpers import BODY_TEMPLATE, BUILD_EPOCH, in_fresh_process, make_project, postmortem, symlink
from helpers import build as build_site
from pmkb import cache_key
from pmkb.analyse.index import Index
from pmkb.model import Postmortem
from pmkb.plugin import conversion_cache
from pmkb.read.knowledge import KnowledgeBase, load
from pmkb.settings import load_settings
from pmkb.site.pages import base as page_base
from pmkb.site.pages.base import GeneratedPage, PageContext
from pmkb.site.pages.incident import incident_inputs
from pmkb.site.render import Renderer
from pmkb.urls import Site

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COUNT = 60
SERVICES = ["checkout", "payments", "search"]
FACTORS = ["config-change", "missing-alert", "traffic-surge"]


def _postmortems() -> dict[str, str]:
    return {
        f"pm-{i:02d}.md": postmortem(
            f"Incident {i}",
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            services=[SERVICES[i % 3]],
            factors=[FACTORS[i // 3 % 3]],
        )
        for i in range(COUNT)
    }


def _config(root: Path, site: Path) -> MkDocsConfig:
    return load_config(str(root / "mkdocs.yml"), site_dir=str(site))


def _serve(root: Path, site: Path) -> MkDocsConfig:
    """As `mkdocs serve --dirty` starts: the plugins told so, and the first build into `site`."""
    config = _config(root, site)
    config.plugins.on_startup(command="serve", dirty=True)
    build(config, dirty=True)
    return config


@pytest.fixture
def converted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The pages MkDocs makes again, by source path, in the order it reads them: each is
    converted, or taken as converted before (then MkDocs converts no text for it)."""
    seen: list[str] = []
    read_source = Page.read_source

    def counted(page: Page, config: MkDocsConfig) -> None:
        seen.append(page.file.src_uri)
        read_source(page, config)

    monkeypatch.setattr(Page, "read_source", counted)
    yield seen


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item each time the listing, catalog, trend and export pages are made."""
    made: list[int] = []
    other_pages = Renderer.other_pages

    def listing(renderer: Renderer, jobs: int = 1) -> list[GeneratedPage]:
        made.append(1)
        return other_pages(renderer, jobs)

    monkeypatch.setattr(Renderer, "other_pages", listing)
    return made


def _html(site: Path) -> dict[str, Path]:
    return {
        p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.suffix in (".html", ".htm")
    }


def _assert_same_site(dirty: Path, clean: Path, *, but: tuple[str, ...] = ()) -> None:
    built, expected = _html(dirty), _html(clean)
    for name in but:
        del built[name], expected[name]
    # MkDocs' --dirty leaves a removed page's file behind; pmkb takes out its own (a postmortem
    # drafted, renamed or deleted).
    assert sorted(built) == sorted(expected)
    different = [
        name for name in sorted(expected) if not filecmp.cmp(built[name], expected[name], False)
    ]
    assert different == []


def _search_index(site: Path) -> dict[str, bytes]:
    folder = site / "search" / "index"
    found = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    assert "index.json" in found
    return found


def _theme_search_entries(site: Path) -> list[str]:
    """The entries of the theme's search index (Material's or MkDocs'), each as JSON, in the
    file's order (the order of results the search scores alike)."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return [json.dumps(entry, sort_keys=True) for entry in index["docs"]]


def _contents(site: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in _html(site).items()}


def _page_path(src_uri: str) -> str:
    """Where a page's HTML is written, with directory URLs."""
    stem = src_uri.removesuffix(".md")
    return f"{stem}.html" if stem == "index" or stem.endswith("/index") else f"{stem}/index.html"


def _served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The project of `_postmortems()` as a site, built as `mkdocs serve --dirty` starts (on
    BUILD_EPOCH's day): its folder, and the served site's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    out = tmp_path / "served"
    _serve(root, out)
    return root, out


def _hooked(root: Path, hook: str, code: str, **project: Any) -> Path:
    """The project of `_postmortems()` as a site, with `code` run as the hook file `hook`."""
    files = {hook: code, **project.pop("files", {})}
    return make_project(
        root, _postmortems(), site=True, mkdocs={"hooks": [hook]}, files=files, **project
    )


def _site_renamed(root: Path) -> None:
    """mkdocs.yml changed: the site's name, shown on every page, is now "Renamed KB"."""
    mkdocs_yml = root / "mkdocs.yml"
    text = mkdocs_yml.read_text(encoding="utf-8")
    mkdocs_yml.write_text(text.replace("Test KB", "Renamed KB"), encoding="utf-8", newline="\n")


def _clean_build(root: Path) -> Path:
    """`mkdocs build` of the same sources, in its own process: MkDocs keeps one instance of a
    plugin that defines on_startup per process, and this one must not be the served one."""
    done = build_site(root)
    assert done.returncode == 0, done.stderr
    return root / "site"


def _built_once(root: Path) -> Path:
    """The project `root`, built by `mkdocs build`: the build before a `--dirty` one."""
    first = build_site(root)
    assert first.returncode == 0, first.stderr
    return root


# The faceted search indexes pmkb's pages itself; the compact one leaves them to the theme's
# search plugin: Material's, or MkDocs' own.
@pytest.mark.parametrize(
    ("search", "theme"), [("auto", "material"), ("compact", "material"), ("compact", "mkdocs")]
)
def test_a_dirty_rebuild_converts_only_changed_pages_and_matches_a_clean_build(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch, search: str, theme: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(
        tmp_path / "kb", _postmortems(), site=True, theme=theme, options={"search": search}
    )
    folder = root / "postmortems"
    out = tmp_path / "served"
    plugin = _serve(root, out).plugins["pmkb"]
    total = len(converted)
    assert total > COUNT + 5

    before = _contents(_clean_build(root))

    def rebuild(step: str) -> list[str]:
        nonlocal before
        converted.clear()
        again = _config(root, out)  # as `mkdocs serve` does: the configuration read again
        assert again.plugins["pmkb"] is plugin
        build(again, dirty=True)
        made = list(converted)
        clean = _clean_build(root)
        _assert_same_site(out, clean)
        # The search index, written beside the served site after the build, is a clean build's.
        plugin.on_shutdown()
        if search != "compact":
            assert _search_index(out) == _search_index(clean), step
        # The theme's search index too: Material's replaces the entries of one page a rebuild,
        # MkDocs' holds only the pages built.
        assert _theme_search_entries(out) == _theme_search_entries(clean), step
        # Every page converted again is one whose published HTML changed (or is new).
        after = _contents(clean)
        assert [m for m in made if before.get(_page_path(m)) == after[_page_path(m)]] == [], step
        before = after
        return made

    # Nothing changed: nothing converted.
    assert rebuild("nothing") == []

    edited = folder / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Incident 3", "Incident three, edited"),
        encoding="utf-8",
        newline="\n",
    )
    made = rebuild("edit")
    assert "incidents/pm-03.md" in made
    assert len(made) < total // 3

    (folder / "pm-new.md").write_text(
        postmortem("A new incident", "2024-06-15"), encoding="utf-8", newline="\n"
    )
    made = rebuild("add")
    assert "incidents/pm-new.md" in made
    assert len(made) < total // 3

    os.rename(folder / "pm-05.md", folder / "pm-renamed.md")
    made = rebuild("rename")
    assert "incidents/pm-renamed.md" in made
    assert not (out / "incidents" / "pm-05").exists()  # served no more, its folder gone
    assert len(made) < total // 3

    (folder / "pm-07.md").unlink()
    made = rebuild("delete")
    assert len(made) < total // 3

    (folder / "draft.md").write_text(
        postmortem("Drafted", "2024-07-01", status="draft"), encoding="utf-8", newline="\n"
    )
    made = rebuild("draft")
    assert "incidents/draft.md" not in made
    published = (
        (folder / "draft.md")
        .read_text(encoding="utf-8")
        .replace("status: draft", "status: published")
    )
    (folder / "draft.md").write_text(published, encoding="utf-8", newline="\n")
    made = rebuild("undraft")
    assert "incidents/draft.md" in made
    assert len(made) < total // 3
    (folder / "draft.md").write_text(
        published.replace("status: published", "status: draft"), "utf-8", newline="\n"
    )
    rebuild("draft again")
    assert not (out / "incidents" / "draft").exists()

    # The site's own home page, built first (Material's search then took out every entry whose
    # location starts with its own, "": all of them).
    home = root / "docs" / "index.md"
    home.write_text(
        home.read_text(encoding="utf-8") + "\nOn call: see the rota.\n", "utf-8", newline="\n"
    )
    made = rebuild("home")
    assert made == ["index.md"]


@pytest.mark.parametrize(
    ("search", "theme"), [("auto", "material"), ("compact", "material"), ("compact", "mkdocs")]
)
def test_a_dirty_build_leaves_the_site_a_clean_build_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, search: str, theme: str
) -> None:
    # `mkdocs build --dirty` writes over the last build's site the pages whose files changed,
    # and every one of pmkb's: the theme's search plugin then indexes those alone (not the about
    # page), and MkDocs takes no file out.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    about = {"docs/about.md": "# About\n\nHow we write postmortems, and why.\n"}
    root = _built_once(
        make_project(
            tmp_path / "kb",
            _postmortems(),
            site=True,
            theme=theme,
            options={"search": search},
            files=about,
        )
    )
    home = root / "docs" / "index.md"
    home.write_text(
        home.read_text(encoding="utf-8") + "\nOn call: see the rota.\n", "utf-8", newline="\n"
    )
    later = time.time() + 60  # newer than its page, as MkDocs' --dirty tells a changed file
    os.utime(home, (later, later))
    folder = root / "postmortems"
    # Withdrawn: its page must no longer be published.
    drafted = (folder / "pm-07.md").read_text(encoding="utf-8")
    (folder / "pm-07.md").write_text(
        drafted.replace("status: published", "status: draft"), "utf-8", newline="\n"
    )
    (folder / "pm-08.md").rename(folder / "pm-08-renamed.md")
    retitled = (folder / "pm-09.md").read_text(encoding="utf-8")
    (folder / "pm-09.md").write_text(
        retitled.replace("Incident 9", "Incident nine"), "utf-8", newline="\n"
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    clean = shutil.copytree(root, tmp_path / "clean", ignore=shutil.ignore_patterns("site"))
    shutil.rmtree(clean / ".cache", ignore_errors=True)
    _clean_build(clean)
    assert not (root / "site" / _page_path("incidents/pm-07.md")).exists()
    assert not (root / "site" / _page_path("incidents/pm-08.md")).exists()
    _assert_same_site(root / "site", clean / "site")
    index = Path("search", "search_index.json")
    assert (root / "site" / index).read_bytes() == (clean / "site" / index).read_bytes()
    if search == "auto":
        assert _search_index(root / "site") == _search_index(clean / "site")


def _site_files_list(root: Path) -> Path:
    """The list of the site's files the last build kept in the project's cache_dir."""
    [listed] = (root / ".cache" / "pmkb").glob("site-files-*.json")
    return listed


def test_a_damaged_list_of_the_sites_files_removes_nothing_but_files_in_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The list is read back from cache_dir: the site folder, a folder, a path through a file or
    # through a link out of the site, a name the system refuses are passed over.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(make_project(tmp_path / "kb", _postmortems(), site=True))
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "notes.txt").write_text("Not the site's.\n", encoding="utf-8", newline="\n")
    symlink(root / "site" / "shared", outside)
    listed = _site_files_list(root)
    kept = json.loads(listed.read_text(encoding="utf-8"))
    kept["files"]["own"] = ["", ".", "incidents", "index.html/x", "shared/notes.txt", "a\x00b"]
    listed.write_text(json.dumps(kept), encoding="utf-8", newline="\n")
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    assert (outside / "notes.txt").exists()
    assert (root / "site" / "incidents" / "index.html").exists()


def test_a_dirty_build_takes_out_the_faceted_search_once_its_option_turns_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its files hold every page it indexed: a postmortem withdrawn since too.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(
        make_project(tmp_path / "kb", _postmortems(), site=True, options={"search": "auto"})
    )
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("search: auto", "search: compact"), encoding="utf-8", newline="\n"
    )
    drafted = root / "postmortems" / "pm-07.md"
    drafted.write_text(
        drafted.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        "utf-8",
        newline="\n",
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    assert not (root / "site" / "search" / "index").exists()


def test_a_dirty_build_after_another_configurations_shows_the_titles_that_build_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build without pmkb wrote the site's own pages between two with it, and kept no titles:
    # the about page's title, changed in between, was shown as the first build had it.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    about = {"docs/about.md": "# About\n\nHow we write postmortems.\n"}
    root = _built_once(make_project(tmp_path / "kb", _postmortems(), site=True, files=about))
    (root / "docs" / "about.md").write_text(
        "# About us\n\nHow we write postmortems.\n", encoding="utf-8", newline="\n"
    )
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "plain.yml").write_text(
        text.replace("- pmkb: {}\n", ""), encoding="utf-8", newline="\n"
    )
    plain = build_site(root, config="plain.yml")
    assert plain.returncode == 0, plain.stderr
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    clean = shutil.copytree(root, tmp_path / "clean", ignore=shutil.ignore_patterns("site"))
    shutil.rmtree(clean / ".cache", ignore_errors=True)
    _clean_build(clean)
    assert "About us" in (root / "site" / "incidents" / "index.html").read_text(encoding="utf-8")
    _assert_same_site(root / "site", clean / "site")


def test_a_dirty_build_shows_a_pages_own_title_once_the_navigation_no_longer_gives_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The title mkdocs.yml gave was kept as the page's, and shown on every page of pmkb's.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    about = {"docs/about.md": "# About\n\nHow we write postmortems.\n"}
    nav = ["index.md", {"How we work": "about.md"}]
    root = _built_once(
        make_project(tmp_path / "kb", _postmortems(), site=True, files=about, nav=nav)
    )
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("How we work: about.md", "about.md"), encoding="utf-8", newline="\n"
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    clean = shutil.copytree(root, tmp_path / "clean", ignore=shutil.ignore_patterns("site"))
    shutil.rmtree(clean / ".cache", ignore_errors=True)
    _clean_build(clean)
    shown = (root / "site" / "incidents" / "index.html").read_text(encoding="utf-8")
    assert "How we work" not in shown
    # The home page is not built again: its file did not change.
    _assert_same_site(root / "site", clean / "site", but=("index.html",))


# A hook that fails the build, once its pages are written, while the file `fail` exists.
FAILING_HOOK = """
from pathlib import Path


def on_post_build(config):
    if (Path(config.config_file_path).parent / "fail").exists():
        raise RuntimeError("stopped after writing the pages")
"""
# The same, before pmkb's on_post_build.
FAILING_BEFORE_PMKB_HOOK = "from mkdocs.plugins import event_priority\n" + FAILING_HOOK.replace(
    "def on_post_build", "@event_priority(50)\ndef on_post_build"
)


def test_a_postmortem_a_failed_build_published_is_taken_out_once_withdrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(_hooked(tmp_path / "kb", "failing.py", FAILING_BEFORE_PMKB_HOOK))
    added = root / "postmortems" / "pm-99.md"
    text = postmortem("Incident 99", "2024-05-19", services=["search"], factors=["traffic-surge"])
    added.write_text(text, encoding="utf-8", newline="\n")
    (root / "fail").touch()
    failed = build_site(root)
    assert "stopped after writing the pages" in failed.stderr
    page = root / "site" / _page_path("incidents/pm-99.md")
    assert page.exists()
    (root / "fail").unlink()
    added.write_text(
        text.replace("status: published", "status: draft"), encoding="utf-8", newline="\n"
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    assert not page.exists()


# As Windows refuses to remove a file another program has open (a preview pane, a sync
# client): the files named in the project's `locked` file cannot be removed while it exists.
LOCKING_HOOK = """
import errno, os, pathlib, shutil

_unlink, _replace, _rmtree = os.unlink, os.replace, shutil.rmtree


def _open_elsewhere(path):
    locked = pathlib.Path("locked")
    if not locked.exists():
        return False
    path = os.fspath(path).replace(os.sep, "/")
    # A name that ends with a slash: a folder, and every file in it.
    return any(
        "/" + name in path + "/" if name.endswith("/") else path.endswith(name)
        for name in locked.read_text(encoding="utf-8").split()
    )


def _refused(path):
    return PermissionError(errno.EACCES, "The process cannot access the file", os.fspath(path))


def unlink(path, *, dir_fd=None):
    if dir_fd is None and _open_elsewhere(path):
        raise _refused(path)
    return _unlink(path, dir_fd=dir_fd)


def replace(source, target, **kwargs):
    if _open_elsewhere(target):
        raise _refused(target)
    return _replace(source, target, **kwargs)


def rmtree(path, ignore_errors=False, onerror=None, **kwargs):
    # What Windows does: each file removed but those open, and the folders that hold them.
    if not any(_open_elsewhere(os.path.join(folder, name))
               for folder, _, names in os.walk(path) for name in names) and not _open_elsewhere(path):
        return _rmtree(path, ignore_errors=ignore_errors, onerror=onerror, **kwargs)
    for folder, folders, names in os.walk(path, topdown=False):
        for name in names:
            try:
                unlink(os.path.join(folder, name))
            except OSError:
                if not ignore_errors:
                    raise
        for name in folders:
            try:
                os.rmdir(os.path.join(folder, name))
            except OSError:
                if not ignore_errors:
                    raise
    try:
        os.rmdir(path)
    except OSError:
        if not ignore_errors:
            raise


os.unlink = os.remove = unlink
os.replace = replace
shutil.rmtree = rmtree
"""


def test_a_withdrawn_postmortems_page_the_system_will_not_remove_is_reported_and_removed_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(
        _hooked(tmp_path / "kb", "locking.py", LOCKING_HOOK, options={"search": "auto"})
    )
    page = root / "site" / _page_path("incidents/pm-07.md")
    faceted = root / "site" / "search" / "index"
    assert page.exists() and faceted.is_dir()
    drafted = root / "postmortems" / "pm-07.md"
    drafted.write_text(
        drafted.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        "utf-8",
        newline="\n",
    )
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("search: auto", "search: compact"),
        encoding="utf-8",
        newline="\n",
    )
    (root / "locked").write_text(
        f"{_page_path('incidents/pm-07.md')}\nsearch/index/\n", encoding="utf-8", newline="\n"
    )
    refused = build_site(root, dirty=True)
    assert refused.returncode == 0, refused.stderr
    assert page.exists() and faceted.is_dir()
    warned = [line for line in refused.stderr.splitlines() if "could not be removed" in line]
    assert len(warned) == 2, refused.stderr
    assert "pm-07" in warned[1] and "search" in warned[0]
    assert build_site(root, dirty=True, strict=True).returncode == 1  # still there: still said
    (root / "locked").unlink()
    again = build_site(root, dirty=True)
    assert again.returncode == 0, again.stderr
    assert "could not be removed" not in again.stderr
    assert not page.exists() and not faceted.exists()


def _built_and_edited(tmp_path: Path, hook: str, code: str) -> Path:
    """The project of `_postmortems()` with a page of the site's own and the hook `code`, built,
    then one postmortem's body edited."""
    about = {"docs/about.md": "# About\n\nHow we write postmortems, and why.\n"}
    root = _built_once(_hooked(tmp_path / "kb", hook, code, files=about))
    edited = root / "postmortems" / "pm-05.md"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8", newline="\n"
    )
    return root


def _built_clean_beside(root: Path, tmp_path: Path) -> Path:
    """The site a clean build of `root`'s sources makes, in a copy with no cache."""
    clean = shutil.copytree(root, tmp_path / "clean", ignore=shutil.ignore_patterns("site"))
    shutil.rmtree(clean / ".cache", ignore_errors=True)
    return _clean_build(clean)


# Stops the build as a kill or Ctrl-C would, at the named moment: once the theme's search
# plugin has written its index, before pmkb mends it; or before that index is written.
STOPPING_HOOK = """
import os
from mkdocs.plugins import event_priority


@event_priority(-50)
def on_post_build(config):
    if os.environ.get("STOP_AT") == "indexed":
        os._exit(137)


@event_priority(50)
def on_post_page(output, page, config):
    if os.environ.get("STOP_AT") == "pages" and page.file.src_uri == "about.md":
        os._exit(137)
    return output
"""


@pytest.mark.parametrize(
    ("stopped", "at"),
    [("dirty", "indexed"), ("clean", "pages"), ("clean", "indexed"), ("torn", "")],
)
def test_a_dirty_build_after_one_stopped_part_way_has_the_whole_search_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stopped: str, at: str
) -> None:
    # The index a stopped build leaves holds only what it built, or part of a file: the next
    # --dirty build cannot take it for the whole site's.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_and_edited(tmp_path, "stopping.py", STOPPING_HOOK)
    index = root / "site" / "search" / "search_index.json"
    if stopped == "torn":
        whole = index.read_bytes()
        index.write_bytes(whole[: len(whole) // 2])
    else:
        if at == "pages":  # the first build of the site folder, stopped
            shutil.rmtree(root / "site")
        killed = build_site(root, dirty=stopped == "dirty", env={"STOP_AT": at})
        assert killed.returncode == 137, killed.stderr
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    clean = _built_clean_beside(root, tmp_path)
    assert _search_index(root / "site") == _search_index(clean)
    assert index.read_bytes() == (clean / "search" / "search_index.json").read_bytes()


def _locked(root: Path, *names: str) -> None:
    """The files `names` (site addresses) are open in another program until `_locked(root)`."""
    locked = root / "locked"
    if names:
        locked.write_text("\n".join(names) + "\n", encoding="utf-8", newline="\n")
    else:
        locked.unlink()


def _withdrawn(root: Path, name: str) -> None:
    drafted = root / "postmortems" / name
    drafted.write_text(
        drafted.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        "utf-8",
        newline="\n",
    )


def test_a_page_a_clean_build_could_not_remove_is_reported_and_removed_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs empties the site folder for a clean build, passing over what the system refuses.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(_hooked(tmp_path / "kb", "locking.py", LOCKING_HOOK))
    address = _page_path("incidents/pm-07.md")
    _withdrawn(root, "pm-07.md")
    _locked(root, address)
    clean = build_site(root)
    assert clean.returncode == 0, clean.stderr
    assert address in clean.stderr.replace(os.sep, "/")
    assert "could not be removed" in clean.stderr
    _locked(root)
    again = build_site(root, dirty=True)
    assert again.returncode == 0, again.stderr
    assert not (root / "site" / address).exists()


def test_a_page_of_the_sites_own_at_a_withdrawn_address_is_built_once_pmkbs_can_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    own = {"docs/incidents/pm-03.md": "# My own page\n\nUser text.\n"}
    root = _built_once(_hooked(tmp_path / "kb", "locking.py", LOCKING_HOOK, files=own))
    long_ago = time.time() - 3600  # older than the page pmkb wrote at its address
    os.utime(root / "docs" / "incidents" / "pm-03.md", (long_ago, long_ago))
    address = _page_path("incidents/pm-03.md")
    (root / "postmortems" / "pm-03.md").unlink()
    _locked(root, address)
    refused = build_site(root, dirty=True)
    assert refused.returncode == 0, refused.stderr
    assert "could not be removed" in refused.stderr
    _locked(root)
    for _ in range(2):
        again = build_site(root, dirty=True)
        assert again.returncode == 0, again.stderr
    assert "User text." in (root / "site" / address).read_text(encoding="utf-8")


def test_a_search_index_the_system_would_not_replace_is_reported_and_made_whole_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An antivirus opens a file just written: on Windows, it cannot then be replaced.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_and_edited(tmp_path, "locking.py", LOCKING_HOOK)
    _locked(root, "search/search_index.json")
    refused = build_site(root, dirty=True)
    assert refused.returncode == 0, refused.stderr
    assert "search_index.json could not be written" in refused.stderr
    _locked(root)
    again = build_site(root, dirty=True)
    assert again.returncode == 0, again.stderr
    index = Path("search", "search_index.json")
    clean = _built_clean_beside(root, tmp_path)
    assert (root / "site" / index).read_bytes() == (clean / index).read_bytes()


def test_the_list_of_a_site_folder_not_built_for_weeks_stays_while_the_folder_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The public site, built from the same checkout into its own folder with the same cache_dir,
    # removed the list of the internal one, last built three weeks before: a postmortem withdrawn
    # since stayed.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _built_once(make_project(tmp_path / "kb", _postmortems(), site=True))
    weeks_ago = time.time() - 21 * 24 * 3600
    listed = _site_files_list(root)
    os.utime(listed, (weeks_ago, weeks_ago))
    # The list of a folder gone goes.
    gone = listed.with_name("site-files-0123456789abcdef.json")
    gone.write_text(json.dumps({"key": str(tmp_path / "gone")}), encoding="utf-8", newline="\n")
    os.utime(gone, (weeks_ago, weeks_ago))
    (root / "public.yml").write_text(
        "INHERIT: mkdocs.yml\nsite_dir: public\n", encoding="utf-8", newline="\n"
    )
    public = build_site(root, config="public.yml")
    assert public.returncode == 0, public.stderr
    assert listed.exists()
    assert not gone.exists()
    drafted = root / "postmortems" / "pm-07.md"
    drafted.write_text(
        drafted.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        "utf-8",
        newline="\n",
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    assert not (root / "site" / _page_path("incidents/pm-07.md")).exists()


def test_a_dirty_build_builds_again_a_page_that_places_the_on_this_day_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the block shows changed though the page's file did not: it named a postmortem of this
    # week in an earlier year after it was withdrawn.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)  # 2025-11-25
    home = {"docs/index.md": "# Home\n\n<!-- pmkb:on-this-day -->\n"}
    this_week = {"pm-99.md": postmortem("Withdrawn this week", "2024-11-25")}
    root = _built_once(
        make_project(tmp_path / "kb", {**_postmortems(), **this_week}, site=True, files=home)
    )
    page = root / "site" / "index.html"
    assert "Withdrawn this week" in page.read_text(encoding="utf-8")
    drafted = root / "postmortems" / "pm-99.md"
    drafted.write_text(
        drafted.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        "utf-8",
        newline="\n",
    )
    dirty = build_site(root, dirty=True)
    assert dirty.returncode == 0, dirty.stderr
    assert "Withdrawn this week" not in page.read_text(encoding="utf-8")


# A hook that writes, once the site is built and before pmkb (as mkdocs-redirects listed before
# it), a page sending the address of a renamed postmortem to its new one.
REDIRECT_HOOK = """
from pathlib import Path

from mkdocs.plugins import event_priority


@event_priority(50)
def on_post_build(config):
    if not (Path(config.config_file_path).parent / "postmortems" / "pm-08.md").exists():
        page = Path(config.site_dir) / "incidents" / "pm-08" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text('<meta http-equiv="refresh" content="0; url=../pm-08-renamed/">')
"""


@pytest.mark.parametrize("command", ["build", "serve"])
def test_a_file_another_plugin_writes_at_an_address_pmkb_left_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _hooked(tmp_path / "kb", "redirects.py", REDIRECT_HOOK)
    out = root / "site"
    if command == "build":
        first = build_site(root)
        assert first.returncode == 0, first.stderr
    else:
        _serve(root, out)
    folder = root / "postmortems"
    (folder / "pm-08.md").rename(folder / "pm-08-renamed.md")
    if command == "build":
        dirty = build_site(root, dirty=True)
        assert dirty.returncode == 0, dirty.stderr
    else:
        build(_config(root, out), dirty=True)
    redirect = out / "incidents" / "pm-08" / "index.html"
    assert "pm-08-renamed" in redirect.read_text(encoding="utf-8")


def test_pages_finished_in_an_earlier_session_are_told_apart_by_what_they_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page finished before is read as its front matter alone, the same for every related list
    # it may show: an incident whose related incident's title went back to one of two earlier
    # titles, each finished in an earlier session, kept the related list of the other.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    related = root / "postmortems" / "pm-03.md"  # among the incidents pm-12 lists as related
    original = related.read_text(encoding="utf-8")

    def titled(title: str) -> None:
        related.write_text(original.replace("Incident 3", title), encoding="utf-8", newline="\n")

    config = _serve(root, tmp_path / "first")
    for title in ("First title", "Second title"):
        titled(title)
        build(_config(root, tmp_path / "first"), dirty=True)
    config.plugins.on_shutdown()

    # Another session, in a fresh site, with the same cache: it sees both titles again.
    titled("Incident 3")
    out = tmp_path / "second"
    _serve(root, out)
    for title in ("First title", "Second title"):
        titled(title)
        build(_config(root, out), dirty=True)
        shown = (out / "incidents" / "pm-12" / "index.html").read_text(encoding="utf-8")
        assert title in shown
    _assert_same_site(out, _clean_build(root))


def _served_step_by_step(root: Path, out: Path) -> Callable[[], None]:
    """A `serve --dirty` session started in `out`; the rebuild its reload runs, checked against a
    clean build of the same sources, every page but the home page's (which --dirty leaves as
    MkDocs does, by its file's time)."""
    _serve(root, out)

    def rebuild() -> None:
        build(_config(root, out), dirty=True)
        _assert_same_site(out, _clean_build(root), but=("index.html",))

    return rebuild


def test_a_title_the_navigation_shows_is_shown_anew_on_every_page_of_pmkb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The home page's title comes from its heading, an incident's from its postmortem: neither
    # is known when the navigation is made, and no pmkb page's own content changes with them.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(
        tmp_path / "kb", _postmortems(), site=True, nav=["index.md", "incidents/pm-03.md"]
    )
    rebuild = _served_step_by_step(root, tmp_path / "served")
    # Python-Markdown needs no space after the `#`, and a definition makes no element.
    rota = "[rota]: https://example.com/rota\n\n"
    for title in ("#Welcome", "#Start page", rota + "# On call", rota + "# Escalation"):
        (root / "docs" / "index.md").write_text(
            f"{title}\n\nWelcome.\n", encoding="utf-8", newline="\n"
        )
        rebuild()
        shown = (tmp_path / "served" / "services" / "index.html").read_text(encoding="utf-8")
        assert title.rpartition("#")[2].strip() in shown
    listed = root / "postmortems" / "pm-03.md"
    listed.write_text(
        listed.read_text(encoding="utf-8").replace("Incident 3", "Database failover"),
        "utf-8",
        newline="\n",
    )
    rebuild()
    shown = (tmp_path / "served" / "services" / "index.html").read_text(encoding="utf-8")
    assert "Database failover" in shown


# MkDocs' title is the heading's text ("Welcome to ACME"), the page's own text says "Welcome to
# *ACME*": whichever a build goes by, it is the same at the next. A heading after the first block
# gives no title (the home page is "Home" whatever it says).
@pytest.mark.parametrize(
    ("home", "edited"),
    [
        ("# Welcome to *ACME*\n\nOn call: see the rota.\n", "# Welcome to *ACME*\n\nEscalate.\n"),
        ("Welcome.\n\n# On call\n\nSee the rota.\n", "Welcome.\n\n# On-call rota\n"),
        # Indented, it is no heading.
        ("  # On call\n\nSee the rota.\n", "  # On-call rota\n\nSee the rota.\n"),
    ],
)
def test_an_edit_that_leaves_the_title_is_not_taken_for_a_new_title(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch, home: str, edited: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True, files={"docs/index.md": home})
    out = tmp_path / "served"
    _serve(root, out)
    (root / "docs" / "index.md").write_text(edited, "utf-8", newline="\n")
    for step in ("edit", "nothing"):
        converted.clear()
        build(_config(root, out), dirty=True)
        assert converted == (["index.md"] if step == "edit" else []), step


def test_a_page_of_the_sites_own_at_a_deleted_incidents_address_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pmkb's page took the address (and was newer than the page's file, which MkDocs goes by).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    own = {"docs/incidents/pm-03.md": "# My own page\n\nUser text.\n"}
    root = make_project(tmp_path / "kb", _postmortems(), site=True, files=own)
    rebuild = _served_step_by_step(root, tmp_path / "served")
    (root / "postmortems" / "pm-03.md").unlink()
    rebuild()
    page = (tmp_path / "served" / "incidents" / "pm-03" / "index.html").read_text(encoding="utf-8")
    assert "User text." in page


# A hook that fails the build at an incident page, once the home page is written, while the file
# `fail` exists.
FAILING_PAGE_HOOK = """
from pathlib import Path


def on_post_page(output, page, config):
    failing = (Path(config.config_file_path).parent / "fail").exists()
    if failing and page.file.src_uri == "incidents/pm-05.md":
        raise RuntimeError("stopped after writing the home page")
    return output
"""


def test_after_a_failed_rebuild_a_title_it_wrote_is_shown_on_pmkbs_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = _hooked(tmp_path / "kb", "failing.py", FAILING_PAGE_HOOK)
    rebuild = _served_step_by_step(root, tmp_path / "served")
    (root / "docs" / "index.md").write_text(
        "# Start page\n\nWelcome.\n", encoding="utf-8", newline="\n"
    )
    (root / "fail").touch()
    with pytest.raises(Exception, match="stopped after writing the home page"):
        build(_config(root, tmp_path / "served"), dirty=True)
    (root / "fail").unlink()
    rebuild()
    shown = (tmp_path / "served" / "services" / "index.html").read_text(encoding="utf-8")
    assert "Start page" in shown


@pytest.mark.parametrize("in_nav", [False, True], ids=["not-in-nav", "in-nav"])
def test_a_link_in_a_body_follows_its_target_page_as_it_comes_and_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_nav: bool
) -> None:
    # The page's Markdown stays the same; what its link resolves to does not. A page the
    # navigation lists without a title is asked whether it changed as the navigation is
    # compared, before the rest of the build asks it.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    # Written percent-encoded, as some editors write links: MkDocs decodes it.
    body = BODY_TEMPLATE.format(summary="Same cause as [the May outage](pm%2D99.md).")
    postmortems = {**_postmortems(), "pm-01.md": postmortem("Incident 1", "2024-02-02", body=body)}
    nav = ["index.md", "incidents/pm-01.md"] if in_nav else None
    root = make_project(tmp_path / "kb", postmortems, site=True, nav=nav)
    rebuild = _served_step_by_step(root, tmp_path / "served")
    if in_nav:
        rebuild()  # nothing changed: the page is compared by what this rebuild said of it
    target = root / "postmortems" / "pm-99.md"
    unrelated = postmortem(
        "Incident 99", "2024-05-19", services=["search"], factors=["traffic-surge"]
    )
    target.write_text(unrelated, encoding="utf-8", newline="\n")
    rebuild()
    page = (tmp_path / "served" / "incidents" / "pm-01" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../pm-99/">the May outage</a>' in page
    target.unlink()
    rebuild()
    page = (tmp_path / "served" / "incidents" / "pm-01" / "index.html").read_text(encoding="utf-8")
    assert "../pm-99/" not in page


def test_the_search_follows_its_option_changed_while_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Material keeps the entries of a page it now leaves out (pmkb's pages, once the faceted
    # search indexes them), and pmkb the faceted search's files once the option turns it off.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True, options={"search": "compact"})
    out = tmp_path / "served"
    plugin = _serve(root, out).plugins["pmkb"]
    config = root / "mkdocs.yml"
    for before, after in (("compact", "auto"), ("auto", "compact")):
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace(f"search: {before}", f"search: {after}"), "utf-8", newline="\n"
        )
        build(_config(root, out), dirty=True)
        plugin.on_shutdown()  # the faceted index, written beside the served site
        clean = _clean_build(root)
        assert _theme_search_entries(out) == _theme_search_entries(clean), after
        assert (out / "search" / "index").exists() == (clean / "search" / "index").exists()


def test_directory_urls_turned_off_and_on_while_serving_keep_the_home_pages_search_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The home page's address changes ("" and "index.html") but not its file: MkDocs' --dirty
    # alone would not build it again, and its entry, kept under the old address, would go.
    root, out = _served(tmp_path, monkeypatch)
    config = root / "mkdocs.yml"
    original = config.read_text(encoding="utf-8")
    for text in (original + "use_directory_urls: false\n", original):
        config.write_text(text, encoding="utf-8", newline="\n")
        build(_config(root, out), dirty=True)
        clean = _clean_build(root)
        assert _theme_search_entries(out) == _theme_search_entries(clean)
        assert (out / "index.html").read_bytes() == (clean / "index.html").read_bytes()


def test_a_draft_page_of_the_sites_own_follows_a_configuration_change_while_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `serve` builds the pages `draft_docs` names (MkDocs' documentation_pages() leaves them out
    # by default): the draft kept the site's old name.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(
        tmp_path / "kb",
        _postmortems(),
        site=True,
        mkdocs={"draft_docs": "drafts/\n"},
        files={"docs/drafts/wip.md": "# Work in progress\n\nNot published yet.\n"},
    )
    out = tmp_path / "served"
    serve_url = "http://127.0.0.1:8000/"
    config = _config(root, out)
    config.plugins.on_startup(command="serve", dirty=True)
    build(config, serve_url=serve_url, dirty=True)
    draft = out / "drafts" / "wip" / "index.html"
    assert "Test KB" in draft.read_text(encoding="utf-8")
    _site_renamed(root)
    build(_config(root, out), serve_url=serve_url, dirty=True)
    shown = draft.read_text(encoding="utf-8")
    assert "Renamed KB" in shown and "Test KB" not in shown


# A hook that adds a page read from a file outside docs_dir, as MkDocs lets a plugin do: MkDocs'
# --dirty goes by that file's time, as for the site's own pages.
PAGE_FROM_FILE_HOOK = """
from pathlib import Path

from mkdocs.structure.files import File


def on_files(files, config):
    source = Path(config.config_file_path).parent / "extra" / "runbook.md"
    files.append(File.generated(config, "runbook.md", abs_src_path=str(source)))
    return files
"""


def test_another_plugins_page_read_from_a_file_follows_a_configuration_change_while_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    runbook = {"extra/runbook.md": "# Runbook\n\nKept beside the docs.\n"}
    root = _hooked(tmp_path / "kb", "hook.py", PAGE_FROM_FILE_HOOK, files=runbook)
    out = tmp_path / "served"
    _serve(root, out)
    _site_renamed(root)
    build(_config(root, out), dirty=True)
    _assert_same_site(out, _clean_build(root))


def test_an_editors_swap_file_in_docs_converts_no_page_again(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs leaves files whose names start with a dot out of the site (`exclude_docs`): one an
    # editor writes beside the page it opens changes nothing a page shows or links to.
    root, out = _served(tmp_path, monkeypatch)
    converted.clear()
    build(_config(root, out), dirty=True)
    unchanged = list(converted)
    assert len(unchanged) < COUNT
    swap = root / "docs" / ".index.md.swp"
    swap.write_bytes(b"b0VIM 9.0\x00\x00\xff")
    converted.clear()
    build(_config(root, out), dirty=True)
    assert converted == unchanged
    swap.unlink()
    converted.clear()
    build(_config(root, out), dirty=True)
    assert converted == unchanged


def test_a_page_of_the_sites_own_gone_bad_with_a_configuration_change_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root, out = _served(tmp_path, monkeypatch)
    _site_renamed(root)
    (root / "docs" / "index.md").write_bytes(b"# Home\n\n\xff not text\n")
    with pytest.raises(UnicodeDecodeError):
        build(_config(root, out), dirty=True)
    # MkDocs' own message on the file, as without the configuration change.
    assert "Error reading page 'index.md'" in caplog.text


def test_a_configuration_change_converts_every_page_again(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = _served(tmp_path, monkeypatch)
    total = len(converted)

    converted.clear()
    _site_renamed(root)
    build(_config(root, out), dirty=True)
    # docs/index.md too, though its file is older than its page: it shows the site's new name.
    assert len(converted) == total
    _assert_same_site(out, _clean_build(root))


def test_a_plain_build_converts_every_page(tmp_path: Path, converted: list[str]) -> None:
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    config = _config(root, tmp_path / "out")
    config.plugins.on_startup(command="build", dirty=True)
    build(config, dirty=True)
    total = len(converted)
    converted.clear()
    build(_config(root, tmp_path / "out"), dirty=True)
    assert len(converted) == total - 1  # pmkb's pages all; docs/index.md goes by its file's time


def test_after_a_failed_build_every_generated_page_is_converted_again(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    out = tmp_path / "served"
    _serve(root, out)
    total = len(converted)

    edited = root / "postmortems" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Incident 3", "Incident three, edited"),
        encoding="utf-8",
        newline="\n",
    )
    read_source = Page.read_source

    def failing(page: Page, config: MkDocsConfig) -> None:
        if page.file.src_uri == "incidents/index.md":
            raise RuntimeError("stopped")
        read_source(page, config)

    with monkeypatch.context() as patch:
        patch.setattr(Page, "read_source", failing)
        with pytest.raises(Exception, match="stopped"):
            build(_config(root, out), dirty=True)

    converted.clear()
    build(_config(root, out), dirty=True)
    # Every page: the site's own too, which a build that stopped part way may not have built.
    assert len(converted) == total


def test_after_a_failed_build_the_search_index_still_holds_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MkDocs' own search plugin writes the pages built alone; pmkb adds the others' entries.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    options = {"search": "compact"}
    root = _hooked(tmp_path / "kb", "failing.py", FAILING_HOOK, theme="mkdocs", options=options)
    out = tmp_path / "served"
    _serve(root, out)
    home = root / "docs" / "index.md"
    home.write_text(
        home.read_text(encoding="utf-8") + "\nOn call: see the rota.\n", "utf-8", newline="\n"
    )
    (root / "fail").touch()
    with pytest.raises(Exception, match="stopped after writing the pages"):
        build(_config(root, out), dirty=True)
    (root / "fail").unlink()
    build(_config(root, out), dirty=True)  # every generated page; not the home page, written
    # The home page's entries are there (as the failed build left it: its edit shows once the
    # page is built again), and every other page's.
    served = {json.loads(entry)["location"] for entry in _theme_search_entries(out)}
    clean = {json.loads(entry)["location"] for entry in _theme_search_entries(_clean_build(root))}
    assert served == clean
    assert "" in served


def test_an_edit_to_one_body_renders_only_that_incident_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: list[int]
) -> None:
    # At thousands of incidents, rendering every incident page to find the one that changed
    # took longer than the rebuild itself: pages whose inputs did not change are not rendered.
    from pmkb.site.pages import incident

    rendered: list[str] = []
    render = incident.incident_text

    def counted(ctx: object, pm: incident.Postmortem, **made: str | None) -> object:
        rendered.append(pm.id)
        return render(ctx, pm, **made)  # type: ignore[arg-type]

    monkeypatch.setattr(incident, "incident_text", counted)
    # The listings, catalog pages, trends and exports show nothing of a body: made once.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    _serve(root, tmp_path / "served")
    assert len(rendered) == COUNT
    edited = root / "postmortems" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "A short summary of what happened.", "The summary, rewritten."
        ),
        encoding="utf-8",
        newline="\n",
    )
    rendered.clear()
    build(_config(root, tmp_path / "served"), dirty=True)
    assert rendered == ["pm-03"]
    assert len(listed) == 1
    assert "The summary, rewritten." in (
        tmp_path / "served" / "incidents" / "pm-03" / "index.html"
    ).read_text(encoding="utf-8")
    # A title is shown on the pages that may list the incident as related: those of its service
    # and factor are rendered again, not the others.
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Incident 3", "Incident three"),
        encoding="utf-8",
        newline="\n",
    )
    rendered.clear()
    build(_config(root, tmp_path / "served"), dirty=True)
    sharing = [i for i in range(COUNT) if i % 3 == 3 % 3 or i // 3 % 3 == 3 // 3 % 3]
    assert sorted(rendered) == [f"pm-{i:02d}" for i in sharing]
    assert 0 < len(sharing) < COUNT
    assert len(listed) == 2  # the title is in the incidents table
    _assert_same_site(tmp_path / "served", _clean_build(root))


def test_serve_given_its_configuration_file_by_name_rebuilds_only_what_an_edit_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, converted: list[str], listed: list[int]
) -> None:
    # `mkdocs serve -f mkdocs.yml` hands MkDocs the open file: the first build knows it by the
    # name given, each rebuild (the file closed, opened again) by its full path. Compared as
    # they came, the first rebuild took the configuration for changed and built every page.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    monkeypatch.chdir(root)
    served = tmp_path / "served"
    with open("mkdocs.yml", "rb") as given:  # as click opens it
        config = load_config(given, site_dir=str(served))
        config.plugins.on_startup(command="serve", dirty=True)
    assert not os.path.isabs(config.config_file_path)
    build(config, dirty=True)
    edited = root / "postmortems" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("A short summary", "A longer summary"),
        encoding="utf-8",
        newline="\n",
    )
    converted.clear()
    listed.clear()
    again = load_config(given, site_dir=str(served))
    assert os.path.isabs(again.config_file_path)
    build(again, dirty=True)
    assert "incidents/pm-03.md" in converted and len(converted) < COUNT / 2
    assert listed == []  # a body's edit: the listing pages kept for this configuration serve
    # The clean build is given mkdocs.yml by its full path, `mkdocs build -f mkdocs.yml` by
    # name: the same configuration, which keeps one file of listing pages, not two; `serve`
    # keeps its own beside it, so that neither makes the other's again.
    _assert_same_site(served, _clean_build(root))
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", "by-name"],
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list((root / ".cache" / "pmkb").glob("other-pages-*"))) == 2


def test_a_catalog_change_checks_every_postmortem_again_from_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    out = tmp_path / "served"
    plugin = _serve(root, out).plugins["pmkb"]
    assert plugin.cache.parses == COUNT

    services = root / "postmortems" / "services.yml"
    services.write_text(
        services.read_text(encoding="utf-8").replace("Product search", "Site search"),
        encoding="utf-8",
        newline="\n",
    )
    build(_config(root, out), dirty=True)
    # Checking depends on the catalog: every file is read and parsed again (a checked file's
    # parse is not kept), and every postmortem is still published, as a clean build publishes it.
    assert plugin.cache.parses == 2 * COUNT
    _assert_same_site(out, _clean_build(root))
    assert "Site search" in (out / "incidents" / "pm-02" / "index.html").read_text(encoding="utf-8")


def _postmortem(ident: str, title: str) -> Postmortem:
    return Postmortem(
        id=ident,
        path=Path(f"/kb/{ident}.md"),
        display=f"postmortems/{ident}.md",
        title=title,
        date=None,
        severity="SEV2",
        status="published",
        services=(),
        factors=(),
        body="## Summary\n\nText.\n",
    )


def test_a_postmortem_digest_is_its_own_even_when_an_earlier_object_had_its_address() -> None:
    # Digests are kept per object while it lives (serve keeps unchanged postmortems between
    # rebuilds); one made after another was dropped often takes the same address.
    first = _postmortem("a", "Checkout failed")
    kept = page_base._fingerprint(first, True), page_base._fingerprint(first, False)
    assert page_base._fingerprint(first, True) == kept[0]
    del first
    second = _postmortem("a", "Checkout failed, retitled")
    assert page_base._fingerprint(second, True) != kept[0]
    assert page_base._fingerprint(second, False) != kept[1]
    assert page_base._fingerprint(second, True) == page_base._fingerprint(
        _postmortem("a", "Checkout failed, retitled"), True
    )


@pytest.mark.parametrize("full_first", [True, False])
def test_a_postmortems_full_digest_follows_its_text_and_the_other_does_not(
    full_first: bool,
) -> None:
    # The full digest is made from the one without the body: whichever is asked first, the full
    # one changes with the body, headings and summary, and the other only with the rest.
    from dataclasses import replace

    first = _postmortem("a", "Checkout failed")
    others = [
        replace(first, body="## Summary\n\nOther text.\n"),
        replace(first, section_titles=("Summary",)),
        replace(first, summary="Other text."),
        replace(first, title="Checkout failed, retitled"),
    ]
    digests = set()
    for pm in [first, *others]:
        order = (True, False) if full_first else (False, True)
        made = {body: page_base._fingerprint(pm, body) for body in order}
        assert made[True] != made[False]
        digests.add(made[True])
        assert (made[False] == page_base._fingerprint(first, False)) == (pm is not others[-1])
    assert len(digests) == 5


def test_an_incident_pages_inputs_are_kept_with_its_postmortem_while_all_else_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `serve` keeps the postmortems of unchanged files: their pages' inputs are not worked out
    # again, unless what else they are made from changed (another incident's title, which
    # related incidents show; the build date; the settings).
    root = make_project(tmp_path, _postmortems(), options={})
    settings = load_settings({}, root)
    kb = load(settings)
    pm = kb.published[0]
    worked_out: list[str] = []
    related_inputs = Index.related_inputs

    def counted(self: Index, of: Postmortem) -> str:
        worked_out.append(of.id)
        return related_inputs(self, of)

    monkeypatch.setattr(Index, "related_inputs", counted)

    def inputs(kb: KnowledgeBase, today: date = date(2025, 11, 25)) -> str:
        return incident_inputs(PageContext(kb, Site(settings), today), pm)

    first = inputs(kb)
    assert worked_out == [pm.id]
    assert inputs(kb) == first and worked_out == [pm.id]  # a rebuild: the same objects
    other = next(p for p in kb.published if p is not pm and set(p.factors) & set(pm.factors))
    retitled = replace(kb, postmortems=tuple(
        replace(p, title=p.title + " (retitled)") if p is other else p for p in kb.postmortems
    ))  # fmt: skip
    changed = [inputs(retitled), inputs(kb, date(2025, 11, 26))]
    assert worked_out == [pm.id] * 3
    page_base._WORKED.clear()  # as a new process works them out
    assert changed == [inputs(retitled), inputs(kb, date(2025, 11, 26))]
    # Another title among its related incidents changes the page; a day later, with no action
    # item falling due, it does not.
    assert changed[0] != first and changed[1] == first


def test_digests_of_dropped_postmortems_are_swept_out() -> None:
    dropped = [_postmortem(f"gone-{n}", "Dropped") for n in range(3000)]
    for pm in dropped:
        page_base._fingerprint(pm, False)
    del dropped, pm
    swept = page_base._SWEPT_AT[0]
    live: list[Postmortem] = []
    while page_base._SWEPT_AT[0] == swept:  # the table doubles, and is swept
        live.append(_postmortem(f"live-{len(live)}", "Kept"))
        page_base._fingerprint(live[-1], True)
    assert all(ref() is not None for ref, _ in page_base._WORKED.values())
    assert all(page_base._WORKED[id(pm)][0]() is pm for pm in live)


def test_an_incident_pages_parts_are_its_own_postmortems_whichever_comes_first(
    tmp_path: Path,
) -> None:
    # An incident page's front matter and card line are made by one of its parts and kept for
    # another (IncidentSource): each part shows the page's own postmortem as the functions make
    # it alone, in the build's order or any other, and a rebuild's sources show an edit.
    from datetime import date

    from pmkb.site.pages.incident import IncidentSource, incident_meta, incident_text, search_entry

    root = make_project(
        tmp_path / "kb",
        {
            "a.md": postmortem("Checkout down", "2024-01-10", severity="SEV1"),
            "b.md": postmortem("Search empty", "2024-02-01", services=["search"]),
        },
        site=True,
    )
    settings = load_settings({}, root)

    def sources() -> tuple[list[IncidentSource], dict[str, tuple[str, str, str]]]:
        renderer = Renderer(load(settings), Site(settings), date(2025, 11, 25), compact_search=True)
        made = renderer.incident_sources()
        ctx = renderer.context
        alone = {
            s.src: (
                f"---\n{incident_meta(s.pm)}\n---\n",
                incident_text(ctx, s.pm).inline(),
                search_entry(ctx, s.pm),
            )
            for s in made
        }
        return made, alone

    def parts(source: IncidentSource, order: str) -> tuple[str, str, str]:
        shown = {}
        for part in order:
            if part == "h":
                shown[part] = source.head()
            elif part == "t":
                shown[part] = source.text().inline()
            else:
                shown[part] = source.search()
        return shown["h"], shown["t"], shown["s"]

    made, alone = sources()
    # As a build asks: every page's front matter as MkDocs reads the pages, then each text and
    # search entry; the pages hold neither once made.
    heads = [s.head() for s in made]
    for source, head in zip(made, heads, strict=True):
        assert (head, source.text().inline(), source.search()) == alone[source.src]
    assert all(s._meta is None and s._card is None for s in made)
    for order in ("sth", "tsht", "hhtss", "htthss"):
        made, _ = sources()
        for source in made:
            assert parts(source, order) == alone[source.src], order
    edited = root / "postmortems" / "a.md"
    edited.write_text(
        edited.read_text(encoding="utf-8")
        .replace("Checkout down", "Checkout down again")
        .replace("SEV1", "SEV3"),
        encoding="utf-8",
        newline="\n",
    )
    made, again = sources()
    for source in made:
        assert parts(source, "hts") == again[source.src]
    assert "Checkout down again" in again["incidents/a.md"][0]
    assert "· SEV3 ·" in again["incidents/a.md"][2]


def test_a_rebuild_reads_through_no_pack_of_the_cache_the_build_before_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each pack of the conversion cache and the finished pages is read through to find its
    # entries: 30 ms of every rebuild at 5,000 postmortems, which the served build did already.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    _clean_build(root)  # the packs a build before the session wrote
    scanned: list[str] = []
    scan = conversion_cache._scan

    def counted(path: Path, header: bytes) -> tuple[dict[str, tuple[int, int]], int]:
        scanned.append(path.name)
        return scan(path, header)

    monkeypatch.setattr(conversion_cache, "_scan", counted)
    out = tmp_path / "served"
    _serve(root, out)
    assert scanned  # the served build's first look
    scanned.clear()
    edited = root / "postmortems" / "pm-03.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("## Summary\n", "## Summary\n\nEdited.\n"),
        encoding="utf-8",
        newline="\n",
    )
    build(_config(root, out), dirty=True)
    assert scanned == []
    _assert_same_site(out, _clean_build(root))


def test_a_rebuild_finds_the_entries_another_builds_clean_up_merged_into_one_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The daily clean-up of a `mkdocs build` run beside the session makes one pack of the small
    # ones: the index the served build kept named packs that were gone, and the next rebuild
    # converted every page again.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    root = make_project(tmp_path / "kb", _postmortems(), site=True)
    _clean_build(root)
    out = tmp_path / "served"
    config = _config(root, out)
    config.plugins.on_startup(command="serve", dirty=False)
    build(config)
    converted: list[str] = []
    convert = Markdown.convert

    def counted(self: Markdown, source: str) -> str:
        if source.strip():
            converted.append(source)
        return convert(self, source)

    monkeypatch.setattr(Markdown, "convert", counted)
    build(_config(root, out))
    again = list(converted)  # the site's own pages, which MkDocs converts every build
    assert 0 < len(again) < COUNT
    for kind in ("pages", "finished"):
        folder = root / ".cache" / "pmkb" / kind
        packs = sorted(path.name for path in folder.glob("*.pack"))
        secret = cache_key.cache_secret()[0]
        assert secret is not None
        conversion_cache.ConversionCache(folder, "", secret, Files([]))._merged(packs)
        assert not {path.name for path in folder.glob("*.pack")} & set(packs)
    converted.clear()
    build(_config(root, out))
    assert converted == again
    _assert_same_site(out, _clean_build(root))


def _served_in_steps(
    root: Path, out: Path, dirty: bool, steps: list[list[tuple[str, str, str]]]
) -> dict[str, list[Any]]:
    """In a fresh process, as `mkdocs serve` runs (with `--dirty` or not): the first build into
    `out`, then a rebuild after each step's edits (a file of `root`, the text replaced in it and
    what replaces it; a file written anew when the text replaced is empty). Per build: how many
    conversion pools started, how many pages a worker converted, and the pages MkDocs read."""
    from pmkb.plugin.conversion_pool import ConversionPool

    os.environ["SOURCE_DATE_EPOCH"] = BUILD_EPOCH
    got: dict[str, list[Any]] = {"pools": [], "answers": [], "read": []}
    start, take, read_source = ConversionPool.start.__func__, ConversionPool.take, Page.read_source  # type: ignore[attr-defined]

    def counted_start(cls: type[ConversionPool], *args: Any) -> ConversionPool | None:
        got["pools"][-1] += 1
        return start(cls, *args)  # type: ignore[no-any-return]

    def counted_take(self: ConversionPool, sent: Any) -> Any:
        made = take(self, sent)
        got["answers"][-1] += made is not None
        return made

    def counted_read(page: Page, config: MkDocsConfig) -> None:
        got["read"][-1].append(page.file.src_uri)
        read_source(page, config)

    ConversionPool.start = classmethod(counted_start)  # type: ignore[method-assign, assignment]
    ConversionPool.take = counted_take  # type: ignore[method-assign]
    Page.read_source = counted_read  # type: ignore[method-assign]
    config = _config(root, out)
    config.plugins.on_startup(command="serve", dirty=dirty)
    for step in [[], *steps]:
        for name, old, new in step:
            path = root / name
            text = path.read_text(encoding="utf-8") if old else ""
            path.write_text(text.replace(old, new) if old else new, encoding="utf-8", newline="\n")
        got["pools"].append(0), got["answers"].append(0), got["read"].append([])
        build(config if len(got["pools"]) == 1 else _config(root, out), dirty=dirty)
    config.plugins.on_shutdown()
    return got


def _linking_postmortems(count: int, linking: int) -> dict[str, str]:
    """`count` postmortems, the first `linking` of which link to the site's page runbook.md."""
    return {
        f"pm-{i:04d}.md": postmortem(
            f"Incident {i}", f"20{10 + i % 15}-0{1 + i % 9}-{1 + i % 28:02d}",
            services=[SERVICES[i % 3]], factors=[FACTORS[i // 3 % 3]],
            summary="See [the runbook](../runbook.md)." if i < linking else "A short summary.",
        )
        for i in range(count)
    }  # fmt: skip


def _many_served(tmp_path: Path, linking: int = 0) -> tuple[Path, Path]:
    """A project of enough postmortems for workers (`workers: 2`), the first `linking` of which
    link to the page runbook.md, and the folder it is served into."""
    from pmkb.parallel import PARALLEL_FROM

    files = _linking_postmortems(PARALLEL_FROM + 10, linking)
    root = make_project(tmp_path / "kb", files, theme="mkdocs", site=True, options={"workers": 2})
    return root, tmp_path / "served"


def test_the_first_build_of_serve_dirty_converts_in_workers_and_its_rebuilds_stay_small(
    tmp_path: Path,
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    root, out = _many_served(tmp_path)
    retitled = [("postmortems/pm-0007.md", "Incident 7", "Incident seven")]
    got = in_fresh_process(_served_in_steps, root, out, True, [retitled])
    # The first build builds every page, and hands incident pages to a worker; the rebuild
    # converts the few pages the title shows on, itself.
    assert got["pools"] == [1, 0]
    assert got["answers"][0] > 20 and got["answers"][1] == 0
    first, again = got["read"]
    assert len(first) > PARALLEL_FROM and "incidents/pm-0007.md" in again
    assert len(again) < 40, again
    # Each page built again shows the change (its related incidents list the new title), and
    # the served site is a clean build's.
    clean = _clean_build(root)
    _assert_same_site(out, clean)
    shown = [src for src in again if src.startswith("incidents/pm-")]
    assert all(b"Incident seven" in (out / _page_path(src)).read_bytes() for src in shown)


def test_a_serve_rebuild_after_edits_to_many_postmortems_starts_no_worker(
    tmp_path: Path,
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    root, out = _many_served(tmp_path)
    # A branch checked out, say: 40 pages convert again, in this process, as a worker would
    # first take a second to start.
    edited = [
        (f"postmortems/pm-{i:04d}.md", "A short summary", "A longer summary")
        for i in range(0, PARALLEL_FROM, 10)
    ]
    assert in_fresh_process(_served_in_steps, root, out, False, [edited])["pools"] == [1, 0]
    _assert_same_site(out, _clean_build(root))


def test_a_dirty_rebuild_after_a_page_is_added_starts_no_worker_unless_pages_convert_anew(
    tmp_path: Path,
) -> None:
    root, out = _many_served(tmp_path, linking=40)
    # The page added changes the site's files: every page is built again, and the 40 that link
    # to it convert again, in this process. An extension added converts every page again:
    # then workers help.
    added = [("docs/runbook.md", "", "# Runbook\n")]
    extension = [("mkdocs.yml", "- tables\n", "- tables\n- attr_list\n")]
    got = in_fresh_process(_served_in_steps, root, out, True, [added, extension])
    assert got["pools"] == [1, 0, 1]
    _assert_same_site(out, _clean_build(root))
