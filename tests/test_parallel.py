"""Work spread over processes gives the result of doing it in order, and stays here when unsafe."""

from __future__ import annotations

import contextlib
import multiprocessing.process
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import (
    SITE_FACTORS,
    SITE_SERVICES,
    build,
    in_fresh_process,
    make_project,
    postmortem,
    site_differences,
)
from pmkb import parallel
from pmkb.parallel import PARALLEL_FROM, chunked_map
from pmkb.read.knowledge import load
from pmkb.settings import load_settings
from pmkb.site import render
from pmkb.site.pages.base import GeneratedPage, PageContext
from pmkb.site.render import Renderer
from pmkb.urls import Site


def _pids_and_squares(chunk: list[int]) -> list[tuple[int, int]]:
    return [(os.getpid(), n * n) for n in chunk]


def _two_jobs(items: list[int]) -> tuple[int, list[tuple[int, int]]]:
    return os.getpid(), chunked_map(_pids_and_squares, items, jobs=2)


def test_chunks_come_back_in_order_from_two_processes() -> None:
    items = list(range(PARALLEL_FROM * 2 + 3))
    here, result = in_fresh_process(_two_jobs, items)
    assert [square for _, square in result] == [n * n for n in items]
    pids = [pid for pid, _ in result]
    # The calling process took the first chunk, a worker the second.
    assert pids[0] == here and pids[-1] != here and len(set(pids)) == 2


def test_few_items_or_one_job_stay_in_this_process() -> None:
    assert {pid for pid, _ in chunked_map(_pids_and_squares, list(range(10)), jobs=4)} == {
        os.getpid()
    }
    items = list(range(PARALLEL_FROM * 2))
    assert {pid for pid, _ in chunked_map(_pids_and_squares, items, jobs=1)} == {os.getpid()}


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        items = list(range(PARALLEL_FROM * 2))
        result = chunked_map(_pids_and_squares, items, jobs=2)
    finally:
        stop.set()
        watcher.join()
    assert {pid for pid, _ in result} == {os.getpid()}
    assert [square for _, square in result] == [n * n for n in items]


def test_work_is_done_here_when_no_worker_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("Resource temporarily unavailable")  # as fork() says at a process limit

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as if this process had no threads
    items = list(range(PARALLEL_FROM * 2))
    result = chunked_map(_pids_and_squares, items, jobs=2)
    assert {pid for pid, _ in result} == {os.getpid()}
    assert [square for _, square in result] == [n * n for n in items]


_CALLER = [0]  # the process that calls chunked_map; forked workers inherit it


def _hangs_in_a_worker(chunk: list[int]) -> list[int]:
    if os.getpid() != _CALLER[0]:
        time.sleep(3600)  # a worker stuck on a pathological input, or stopped by a debugger
    return [n * n for n in chunk]


def _with_a_hung_worker(items: list[int]) -> tuple[float, list[int]]:
    parallel.PATIENCE_SECONDS = 1.0
    _CALLER[0] = os.getpid()
    started = time.monotonic()
    result = chunked_map(_hangs_in_a_worker, items, jobs=2)
    return time.monotonic() - started, result


def test_a_worker_that_stops_answering_is_given_up_and_its_share_done_here() -> None:
    items = list(range(PARALLEL_FROM * 2))
    took, result = in_fresh_process(_with_a_hung_worker, items)
    assert result == [n * n for n in items]
    assert took < 20  # the patience (1 s here) and this side's work, not the worker's hour


def _spawned(items: list[int]) -> tuple[int, list[tuple[int, int]]]:
    parallel.FORK = False  # as on macOS and Windows
    return os.getpid(), chunked_map(_pids_and_squares, items, jobs=2)


def test_workers_start_with_spawn_where_there_is_no_fork() -> None:
    items = list(range(PARALLEL_FROM * 2 + 1))
    here, result = in_fresh_process(_spawned, items)
    assert [square for _, square in result] == [n * n for n in items]
    assert len({pid for pid, _ in result}) == 2 and result[0][0] == here


_ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from pmkb.parallel import chunked_map

def work(chunk):
    import os
    Path(sys.argv[1], str(os.getpid())).write_bytes(b"")  # every process that works says so
    time.sleep(3600)
    return chunk

if __name__ == "__main__":
    chunked_map(work, list(range(1000)), jobs=2)
"""


def test_workers_end_when_the_build_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "build.py"
    script.write_text(_ORPHAN_SCRIPT, encoding="utf-8", newline="\n")
    marks = tmp_path / "pids"
    marks.mkdir()
    build = subprocess.Popen([sys.executable, str(script), str(marks)])
    try:
        # A spawned worker imports pmkb first (seconds on a slow runner); a forked one does not.
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = {int(p.name) for p in marks.iterdir()}
        assert build.pid in pids and len(pids) == 2, "the build and one worker both started"
    finally:
        # SIGKILL, or TerminateProcess on Windows: nothing runs in the build after this.
        build.kill()
        build.wait()
    (worker,) = pids - {build.pid}
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the build"


# Ctrl-C in the terminal, sent to the build's whole process group while its workers convert
# the pages ahead of those it writes.
_INTERRUPTING_HOOK = """
import os, signal, time

seen = []


def on_post_page(output, page, config):
    seen.append(page)
    if len(seen) == 60:
        # The build itself takes it a second later, as a busy process may: time enough for a
        # worker to say what it makes of it.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        os.killpg(os.getpgid(0), signal.SIGINT)
        time.sleep(1)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return output
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_ctrl_c_stops_the_build_and_its_workers_without_a_traceback_each(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path, count=PARALLEL_FROM + 10)
    (root / "interrupting.py").write_text(_INTERRUPTING_HOOK, encoding="utf-8", newline="\n")
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "hooks: [interrupting.py]\n",
        encoding="utf-8",
        newline="\n",
    )
    stopped = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        start_new_session=True,  # the group Ctrl-C reaches is the build's alone
        timeout=300,
        check=False,
    )
    assert stopped.returncode != 0
    assert "Aborted!" in stopped.stderr
    assert "Traceback" not in stopped.stderr, stopped.stderr


def _alive(pid: int) -> bool:
    if sys.platform == "win32":
        # os.kill(pid, 0) would end the process there: ask whether its handle is signalled.
        import _winapi

        try:
            handle = _winapi.OpenProcess(_winapi.SYNCHRONIZE, False, pid)
        except OSError:
            return False  # no such process any more
        try:
            return _winapi.WaitForSingleObject(handle, 0) != _winapi.WAIT_OBJECT_0
        finally:
            _winapi.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # On Linux, a child of init that has exited but not been reaped yet counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def _other_pages(root: Path, jobs: int) -> tuple[set[int], list[tuple[str, str]]]:
    """In a fresh process: the processes that made the other pages (listings, catalog pages,
    trends, exports) of the knowledge base in `root`, and the pages."""
    made_by: set[int] = set()
    original = render._PARTS["exports"]

    def exports(ctx: PageContext) -> Any:
        made_by.add(os.getpid())
        return original(ctx)

    render._PARTS["exports"] = exports
    listing = render._PARTS["incidents"]

    def incidents(ctx: PageContext) -> Any:
        # Sent back by a worker with its pages: the pid of the process that made the listing.
        pages = listing(ctx)
        made_by.add(os.getpid())
        return [*pages, GeneratedPage(f"pid-{os.getpid()}", "", "data")]

    render._PARTS["incidents"] = incidents
    settings_ = load_settings({}, root)
    renderer = Renderer(load(settings_), Site(settings_), date(2026, 11, 25))
    pages = renderer.other_pages(jobs)
    pids = {int(p.src.removeprefix("pid-")) for p in pages if p.src.startswith("pid-")} | made_by
    # Blocks in place: each process that starts a build draws its own placeholders.
    kept = [(p.src, p.inline()) for p in pages if not p.src.startswith("pid-")]
    return pids, kept


def _many_postmortems(tmp_path: Path, count: int = 30, **options: Any) -> Path:
    services, factors = list(SITE_SERVICES), list(SITE_FACTORS)
    return make_project(
        tmp_path / "kb",
        {
            f"{2020 + i % 6}/pm-{i:03d}.md": postmortem(
                f"Incident {i}",
                f"{2020 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                services=[services[i % len(services)]],
                factors=[factors[i // 3 % len(factors)]],
            )
            for i in range(count)
        },
        site=True,
        options={"workers": 2, **options},
    )


def test_the_other_pages_made_in_two_processes_are_those_made_in_one(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path, count=PARALLEL_FROM)
    one_pid, one = in_fresh_process(_other_pages, root, 1)
    two_pids, two = in_fresh_process(_other_pages, root, 2)
    # The listing and the exports made apart where the build forks (Linux), here elsewhere.
    assert len(one_pid) == 1 and len(two_pids) == (2 if parallel.FORK else 1)
    assert two == one
    assert [src for src, _ in one][:1] == ["incidents/index.md"]
    assert any(src.endswith(".csv") for src, _ in one)


@pytest.mark.parametrize("options", [{}, {"listing_page_size": 4}, {"audience": "public"}])
def test_the_other_pages_planned_are_those_made(tmp_path: Path, options: dict[str, Any]) -> None:
    # A build that has them made in another process files them from the plan, before they exist.
    root = _many_postmortems(tmp_path, **options)
    settings_ = load_settings(options, root)
    renderer = Renderer(load(settings_), Site(settings_), date(2026, 11, 25))
    made = [(p.src, p.kind, p.in_nav) for p in renderer.other_pages(1)]
    assert renderer.other_plan() == made
    # The incidents table, on one page or eight of four rows (30 incidents), and four others.
    pages = 8 if "listing_page_size" in options else 1
    assert sum(1 for _, kind, _ in made if kind == "listing") == 4 + pages
    empty = make_project(tmp_path / "empty", {}, site=True)
    settings_ = load_settings({}, empty)
    renderer = Renderer(load(settings_), Site(settings_), date(2026, 11, 25))
    assert renderer.other_plan() == [(p.src, p.kind, p.in_nav) for p in renderer.other_pages(1)]


def _built_with_pages_beside(
    root: Path, site: str, beside: bool, fail: bool = False, fail_build: bool = False
) -> Any:
    """In a fresh process: build `root` into `root/site` in this process, with the listing and
    catalog pages made beside the build (where it can fork) or not; with `fail`, a process
    other than the build's fails to make them; with `fail_build`, the build fails before it
    reads any page. The processes that made them (the build's own first), and the worker
    processes left once the build ended."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort
    from mkdocs.plugins import BasePlugin

    parallel.PARALLEL_FROM = 1 if beside else 10**9
    made_by = root / "made-by"
    here = os.getpid()
    original = Renderer.other_pages

    def other_pages(renderer: Renderer, jobs: int = 1) -> Any:
        with made_by.open("a") as out:
            out.write(f"{os.getpid()}\n")
        if fail and os.getpid() != here:
            raise RuntimeError("a worker's failure")
        return original(renderer, jobs)

    Renderer.other_pages = other_pages  # type: ignore[method-assign]
    made_by.unlink(missing_ok=True)
    os.environ.update(SOURCE_DATE_EPOCH="1764028800", NO_MKDOCS_2_WARNING="1")
    os.chdir(root)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / site))
    config.plugins.on_startup(command="build", dirty=False)
    if fail_build:

        class Failing(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
            def on_nav(self, nav: Any, /, **kwargs: Any) -> Any:
                raise RuntimeError("a plugin's failure")

        config.plugins["failing"] = Failing()  # type: ignore[no-untyped-call]
    with contextlib.suppress(Abort, RuntimeError):
        mkdocs_build(config)
    pids = [int(line) for line in made_by.read_text().split()] if made_by.exists() else []
    return here, pids, len(multiprocessing.active_children())


def _kept_the_day_before(root: Path) -> None:
    """A build the day before, which keeps its converted and listing pages: the next build, on
    another day, makes them again, beside it (a first build makes them itself, its workers
    busy)."""
    result = build(root, env={"SOURCE_DATE_EPOCH": "1763942400"})
    assert result.returncode == 0, result.stderr
    assert any((root / ".cache" / "pmkb").glob("other-pages-*"))


def _hooked(root: Path, hook: str) -> None:
    """`root`'s site with `hook` as its hooks file."""
    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = ["hooks.py"]
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8", newline="\n"
    )
    (root / "hooks.py").write_text(hook, encoding="utf-8", newline="\n")


def _built_beside(root: Path) -> None:
    """Build `root` into `root/site` in a fresh process: its listing pages made by one worker
    beside the build, and no worker left once it ended."""
    here, made_by, left = in_fresh_process(_built_with_pages_beside, root, "site", True)
    assert here not in made_by and len(made_by) == 1 and left == 0


def _same_when_made_here(root: Path, site: str) -> None:
    """The site `root/site` is the one a build that makes its listing pages itself publishes."""
    shutil.rmtree(root / ".cache")
    in_fresh_process(_built_with_pages_beside, root, f"{site}-here", False)
    assert site_differences(root / site, root / f"{site}-here") == []


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_a_first_build_makes_its_listing_pages_itself_and_one_after_it_beside(
    tmp_path: Path,
) -> None:
    root = _many_postmortems(tmp_path)
    here, made_by, left = in_fresh_process(_built_with_pages_beside, root, "site", True)
    assert made_by == [here] and left == 0
    _kept_the_day_before(root)
    # As in CI, whose cache restores the converted pages alone: the build after it makes them
    # beside it, its workers idle.
    for kept in (root / ".cache" / "pmkb").iterdir():
        if kept.name != "pages":
            shutil.rmtree(kept) if kept.is_dir() else kept.unlink()
    _built_beside(root)


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_the_listing_pages_are_made_beside_the_build_and_published_alike(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path)
    _kept_the_day_before(root)
    _built_beside(root)
    # The worker kept them: the next build (a body edited) takes them, and makes none.
    first = root / "postmortems" / "2020" / "pm-000.md"
    text = first.read_text(encoding="utf-8")
    first.write_text(
        text.replace("## Summary\n", "## Summary\n\nEdited.\n"), encoding="utf-8", newline="\n"
    )
    here, made_by, left = in_fresh_process(_built_with_pages_beside, root, "site-warm", True)
    assert made_by == [] and left == 0
    shutil.rmtree(root / ".cache")
    here, made_by, _ = in_fresh_process(_built_with_pages_beside, root, "site-here", False)
    assert made_by == [here]
    assert site_differences(root / "site-warm", root / "site-here") == []
    first.write_text(text, encoding="utf-8", newline="\n")
    shutil.rmtree(root / ".cache")
    in_fresh_process(_built_with_pages_beside, root, "site-again", False)
    assert site_differences(root / "site", root / "site-again") == []


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_listing_pages_a_worker_failed_to_make_are_made_by_the_build(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path)
    _kept_the_day_before(root)
    here, made_by, left = in_fresh_process(_built_with_pages_beside, root, "site", True, True)
    assert len(made_by) == 2 and made_by[0] != here and made_by[1] == here and left == 0
    _same_when_made_here(root, "site")


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_a_build_that_fails_stops_the_worker_making_its_listing_pages(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path, count=200)  # more than a pipe holds: the worker waits
    _kept_the_day_before(root)
    here, made_by, left = in_fresh_process(
        _built_with_pages_beside, root, "site", True, False, True
    )
    assert here not in made_by and left == 0


# A hook that sets the text of a listing page and of an export in `on_files`, after pmkb's, without
# reading them first: its texts are published, as when the pages are made in the build's process.
_SETTING_HOOK = """\
def on_files(files, config):
    files.get_file_from_path("trends/index.md").content_string = "# Our trends\\n\\nOur own.\\n"
    files.get_file_from_path("incidents.csv").content_string = "our,own\\n"
    return files
"""


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_listing_pages_another_plugin_sets_keep_its_text_when_made_beside(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path)
    _kept_the_day_before(root)
    _hooked(root, _SETTING_HOOK)
    _built_beside(root)
    assert (root / "site" / "incidents.csv").read_text(encoding="utf-8") == "our,own\n"
    assert "Our own." in (root / "site" / "trends" / "index.html").read_text(encoding="utf-8")
    _same_when_made_here(root, "site")


# A hook that gives every listing page a text of its own as MkDocs reads it: MkDocs then reads
# none of pmkb's, and the exports are the first of them it asks for, when it copies them.
_READING_HOOK = """\
def on_page_read_source(page, config):
    if page.file.generated_by == "pmkb" and not page.file.src_uri.startswith("incidents/pm"):
        return "# Ours\\n"
    return None
"""


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_exports_made_beside_are_written_though_no_listing_page_was_read(tmp_path: Path) -> None:
    root = _many_postmortems(tmp_path)
    _kept_the_day_before(root)
    _hooked(root, _READING_HOOK)
    _built_beside(root)
    assert "Ours" in (root / "site" / "trends" / "index.html").read_text(encoding="utf-8")
    assert "Incident 7" in (root / "site" / "incidents.csv").read_text(encoding="utf-8")
    _same_when_made_here(root, "site")


def _failed_while_the_worker_writes(root: Path) -> tuple[list[str], int]:
    """In a fresh process: a build whose worker is part way through writing the listing pages
    it keeps when the build fails. The files left in the cache folder being written, and the
    worker processes left."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort
    from mkdocs.plugins import BasePlugin

    from pmkb.plugin import other_pages

    parallel.PARALLEL_FROM = 1
    here, original = os.getpid(), other_pages.write_whole
    cache = root / ".cache" / "pmkb"

    def slowly(parts: Iterator[bytes]) -> Iterator[bytes]:
        yield next(parts)
        time.sleep(60)  # the build fails meanwhile
        yield from parts

    def write_whole(path: Path, data: Iterable[bytes]) -> bool:
        return original(path, data if os.getpid() == here else slowly(iter(data)))

    other_pages.write_whole = write_whole  # type: ignore[assignment]

    class Failing(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
        def on_nav(self, nav: Any, /, **kwargs: Any) -> Any:
            deadline = time.monotonic() + 20
            while not list(cache.glob(".tmp-*")) and time.monotonic() < deadline:
                time.sleep(0.05)
            raise RuntimeError("a plugin's failure")

    os.environ.update(SOURCE_DATE_EPOCH="1764028800", NO_MKDOCS_2_WARNING="1")
    os.chdir(root)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    config.plugins["failing"] = Failing()  # type: ignore[no-untyped-call]
    with contextlib.suppress(Abort, RuntimeError):
        mkdocs_build(config)
    return sorted(p.name for p in cache.glob(".tmp-*")), len(multiprocessing.active_children())


@pytest.mark.skipif(not parallel.FORK, reason="made beside the build only where it can fork")
def test_a_build_that_fails_while_the_worker_keeps_its_pages_leaves_no_part_written_file(
    tmp_path: Path,
) -> None:
    root = _many_postmortems(tmp_path)
    _kept_the_day_before(root)
    assert in_fresh_process(_failed_while_the_worker_writes, root) == ([], 0)
