"""`serve` rebuilds re-parse one edited file; builds in several processes; when pages convert."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.structure.files import Files

from helpers import BUILD_EPOCH, in_fresh_process, make_project, postmortem
from helpers import build as build_as_a_user
from pmkb.plugin.idle_collection import THREAD_NAME

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _project(root: Path, count: int) -> Path:
    files = {
        f"{2000 + i % 20}/pm-{i:04d}.md": postmortem(
            f"Incident {i}", f"{2000 + i % 20}-01-{1 + i % 28:02d}"
        )
        for i in range(count)
    }
    return make_project(root, files, theme="mkdocs", site=True)


def test_a_serve_rebuild_reparses_only_the_edited_file(tmp_path: Path) -> None:
    root = _project(tmp_path, 30)
    first = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
    first.plugins.on_startup(command="serve", dirty=False)
    build(first)
    plugin = first.plugins["pmkb"]
    assert plugin.cache.parses == 30

    edited = root / "postmortems" / "2003" / "pm-0003.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("Incident 3", "Incident three, edited"),
        encoding="utf-8",
        newline="\n",
    )
    second = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
    assert second.plugins["pmkb"] is plugin  # MkDocs keeps plugins that define on_startup
    build(second)
    assert plugin.cache.parses == 31
    assert "Incident three, edited" in (
        tmp_path / "out" / "incidents" / "pm-0003" / "index.html"
    ).read_text(encoding="utf-8")


def test_at_a_thousand_postmortems_one_edit_costs_one_parse(tmp_path: Path) -> None:
    root = _project(tmp_path, 1000)

    def rebuild_files(startup: bool = False) -> object:
        config = load_config(str(root / "mkdocs.yml"))
        if startup:  # `mkdocs serve` starts once, then rebuilds
            config.plugins.on_startup(command="serve", dirty=False)
        config = config.plugins.on_config(config)
        config.plugins.on_files(Files([]), config=config)
        return config.plugins["pmkb"]

    plugin = rebuild_files(startup=True)
    assert plugin.cache.parses == 1000  # type: ignore[attr-defined]
    edited = root / "postmortems" / "2007" / "pm-0007.md"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8", newline="\n"
    )
    assert rebuild_files() is plugin
    assert plugin.cache.parses == 1001  # type: ignore[attr-defined]
    assert rebuild_files() is plugin
    assert plugin.cache.parses == 1001  # type: ignore[attr-defined]


def _full_collections() -> tuple[list[threading.Thread], Callable[[], None]]:
    """The threads that run full garbage collections from now on, and how to stop noting them.
    Threads, not names: an earlier test's server may still have its idle collection waiting,
    under the same name, and run it during this test."""
    threads: list[threading.Thread] = []

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            threads.append(threading.current_thread())

    gc.callbacks.append(noted)
    return threads, lambda: gc.callbacks.remove(noted)


def test_a_serve_build_leaves_its_garbage_to_one_collection_once_nothing_is_built(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, 5)
    collected_by, stop = _full_collections()
    try:
        first = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
        first.plugins.on_startup(command="serve", dirty=True)
        plugin = first.plugins["pmkb"]
        plugin.idle.delay = 60.0  # the next build starts long before
        build(first)
        waiting = plugin.idle.timer
        assert waiting is not None and waiting.is_alive() and waiting.name == THREAD_NAME
        assert waiting.daemon  # never keeps the server from exiting
        # The next save's build starts: no collection comes in the middle of it, and no thread
        # of it is left running (a build forks only while it runs no other thread).
        second = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
        second.plugins.on_pre_build(config=second)
        assert waiting.finished.is_set() and not waiting.is_alive()
        plugin.idle.delay = 0.01
        build(second)
        last = plugin.idle.timer
        assert last is not None and last is not waiting
        last.join(5)
        assert waiting not in collected_by
        assert collected_by.count(last) == 1  # the second build's, once it had ended
        first.plugins.on_shutdown()
        assert plugin.idle.timer is None
    finally:
        stop()


def test_a_serve_build_counts_its_idle_time_from_its_last_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmkb.plugin import dirty_search

    root = _project(tmp_path, 5)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
    config.plugins.on_startup(command="serve", dirty=True)
    plugin = config.plugins["pmkb"]
    pending: list[object] = []
    mended = dirty_search.mended

    def noted(*args: Any) -> Any:
        pending.append(plugin.idle.timer)
        return mended(*args)

    monkeypatch.setattr(dirty_search, "mended", noted)
    try:
        build(config)
        # pmkb's last step of the build (the search index mended, once Material's search plugin
        # has written it; at thousands of pages, the time a collection waits) came before the
        # wait for a collection started: it is counted from the build's end.
        assert pending == [None]
        assert plugin.idle.timer is not None
    finally:
        config.plugins.on_shutdown()


def test_a_build_starts_no_idle_collection(tmp_path: Path) -> None:
    root = _project(tmp_path, 5)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
    config.plugins.on_startup(command="build", dirty=False)
    before = set(threading.enumerate())  # other tests' servers may still have theirs waiting
    build(config)
    assert config.plugins["pmkb"].idle is None
    assert [t for t in threading.enumerate() if t not in before and t.name == THREAD_NAME] == []


def test_serve_watches_the_postmortems_and_catalogs(tmp_path: Path) -> None:
    root = _project(tmp_path, 1)
    config = load_config(str(root / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    watched: list[str] = []

    class Server:
        def watch(self, path: str) -> None:
            watched.append(path)

    config.plugins["pmkb"].on_serve(Server(), config=config, builder=None)
    assert watched == [
        str(root / "postmortems"),
        str(root / "postmortems" / "services.yml"),
        str(root / "postmortems" / "factors.yml"),
    ]


def _count_workers(fork: bool) -> tuple[list[str], list[int]]:
    """In a fresh process: start workers with fork or spawn, and list the pools started and the
    workers' shares that came back (a share that fails or times out is done here instead, with
    the same result: without this count, a worker that never works would go unnoticed)."""
    from pmkb import parallel

    # Without fork, workers are spawned as on macOS and Windows.
    parallel.FORK = fork
    pools: list[str] = []
    answered: list[int] = []
    started, answer_of = parallel._started, parallel._answer_of

    def counted(*args: Any) -> Any:
        pools.append("fork" if parallel.FORK else "spawn")  # one worker a call, with two jobs
        return started(*args)

    def answer(*args: Any) -> Any:
        found = answer_of(*args)
        if found is not None:
            answered.append(1)
        return found

    parallel._started = counted
    parallel._answer_of = answer
    return pools, answered


def _one_and_two_jobs(root: Path, fork: bool) -> dict[str, Any]:
    """Load and render with one job and with two, counting the worker pools that were started."""
    from dataclasses import replace
    from datetime import date

    from pmkb.read.knowledge import load
    from pmkb.settings import load_settings
    from pmkb.site.render import Renderer
    from pmkb.urls import Site

    pools, answered = _count_workers(fork)
    # No checked postmortems kept: the second load checks every file again, in two processes.
    settings = replace(load_settings({}, root), cache_dir=None)
    one, two = load(settings, jobs=1), load(settings, jobs=2)
    loaded_pools, loaded_answers = len(pools), len(answered)
    renderer = Renderer(two, Site(settings), date(2025, 11, 25))
    pages = [[(p.src, p.kind, p.content) for p in renderer.pages(jobs=n)] for n in (1, 2)]
    return {
        "findings": (one.all_findings, two.all_findings),
        "ids": ([pm.id for pm in one.postmortems], [pm.id for pm in two.postmortems]),
        "per_file": (
            [pm.findings for pm in one.postmortems],
            [pm.findings for pm in two.postmortems],
        ),
        "rejected": (one.rejected, two.rejected),
        "pages": pages,
        "pools": (loaded_pools, len(pools) - loaded_pools),
        "answers": (loaded_answers, len(answered) - loaded_answers),
        "methods": set(pools),
    }


def _many(count: int) -> dict[str, str | bytes]:
    return {
        f"{2000 + i % 20}/pm-{i:04d}.md": postmortem(
            f"Incident {i}",
            f"{2000 + i % 20}-0{1 + i % 9}-{1 + i % 28:02d}",
            factors=[("config-change", "missing-alert", "traffic-surge")[i % 3]],
        )
        for i in range(count)
    }


# pmkb forks its workers on Linux and spawns them elsewhere; spawn is tested everywhere.
START_METHODS = [
    pytest.param(
        True,
        id="fork",
        marks=pytest.mark.skipif(sys.platform != "linux", reason="pmkb forks only on Linux"),
    ),
    pytest.param(False, id="spawn"),
]


@pytest.mark.parametrize("fork", START_METHODS)
def test_loading_and_rendering_in_several_processes_give_the_same_result(
    tmp_path: Path, fork: bool
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    files["2001/pm-0001.md"] = postmortem("Broken", "2001-01-02", services=["chekout"])
    files["2019/zz-dup.md"] = postmortem("Dup", "2019-01-01", extra={"id": "pm-0003"})
    files["2003/bad.md"] = b"\xff not text"
    root = make_project(tmp_path, files, theme="mkdocs", site=True)
    got = in_fresh_process(_one_and_two_jobs, root, fork)
    assert got["methods"] == {"fork" if fork else "spawn"}
    # One worker pool to load, whose worker sent its share back; two to render, only with fork
    # (the incident pages, and the other pages): pages are rendered from what this process
    # holds, which spawned workers lack.
    assert got["pools"] == ((1, 2) if fork else (1, 0))
    assert got["answers"] == ((1, 2) if fork else (1, 0))
    for key in ("findings", "ids", "per_file", "rejected", "pages"):
        one, two = got[key]
        assert one == two, key
    assert got["rejected"][1] == frozenset({"postmortems/2019/zz-dup.md"})
    assert sorted({f.code for f in got["findings"][1]}) == ["PMK001", "PMK109", "PMK112"]
    assert len(got["pages"][1]) > PARALLEL_FROM


def _stalled(*args: Any) -> None:
    time.sleep(3600)  # a worker that never answers


def _failing(*args: Any) -> None:
    raise RuntimeError("no page converts")  # a worker that answers it failed


def _dying(*args: Any) -> None:
    os._exit(1)  # a worker that ends part way: killed, or out of memory


def _mkdocs_build(root: Path) -> None:
    """Build the project into its `site` folder in this process, as `mkdocs build` does."""
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    build(config)


def _build_with_and_without_workers(
    roots: list[Path],
    fork: bool,
    worker: Callable[..., Any] | None = None,
    no_processes: bool = False,
) -> dict[str, Any]:
    """In a fresh process: `mkdocs build` each project (`workers: 0`, then `workers: 2`); with
    `worker`, workers that run it in place of converting a page (each waited for one second);
    with `no_processes`, no worker can start (a process limit)."""
    import multiprocessing
    import os

    from pmkb.plugin.conversion_pool import ConversionPool

    os.environ["SOURCE_DATE_EPOCH"] = BUILD_EPOCH  # the same "today" for both builds
    pools, answered = _count_workers(fork)
    converted: list[str] = []  # the pages a worker converted, sanitized and finished
    take = ConversionPool.take

    def counted(self: ConversionPool, sent: Any) -> Any:
        made = take(self, sent)
        if made is not None:
            converted.append(made.html)
        return made

    ConversionPool.take = counted  # type: ignore[method-assign]
    start = ConversionPool.start.__func__  # type: ignore[attr-defined]

    def counted_start(cls: type[ConversionPool], *args: Any) -> ConversionPool | None:
        pools.append("spawn")  # its workers are processes of their own, not a Pool's
        return start(cls, *args)  # type: ignore[no-any-return]

    ConversionPool.start = classmethod(counted_start)  # type: ignore[method-assign, assignment]
    if worker is not None:
        from pmkb.plugin import conversion_pool

        conversion_pool.PATIENCE_SECONDS = 1.0
        conversion_pool._convert = worker  # type: ignore[assignment]
    if no_processes:

        def not_started(self: Any) -> None:  # counted, then refused as by a process limit
            raise OSError(11, "Resource temporarily unavailable")

        multiprocessing.process.BaseProcess.start = not_started  # type: ignore[method-assign]
    started = time.monotonic()
    for root in roots:
        _mkdocs_build(root)
    return {
        "pools": pools,
        "answers": len(answered),
        "converted": converted,
        "seconds": time.monotonic() - started,
        "left": multiprocessing.active_children(),
    }


def _alone_and_with_workers(
    tmp_path: Path, postmortems: dict[str, str], hook: tuple[str, str] | None = None
) -> list[Path]:
    """The same project twice, with its site folder: `workers: 0` ("alone"), then `workers: 2`;
    with `hook`, a file's name and text, MkDocs runs it as a hook."""
    options: dict[str, Any] = {}
    if hook is not None:
        options = {"mkdocs": {"hooks": [hook[0]]}, "files": dict([hook])}
    return [
        make_project(
            tmp_path / name,
            postmortems,
            theme="mkdocs",
            site=True,
            options={"workers": n},
            **options,
        )
        for name, n in (("alone", 0), ("workers", 2))
    ]


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _same_sites(roots: list[Path]) -> dict[str, bytes]:
    """The site built alone, once the one built with workers is found to hold the same files,
    byte for byte."""
    alone, workers = (_files(root / "site") for root in roots)
    assert alone.keys() == workers.keys()
    assert [name for name in alone if alone[name] != workers[name]] == []
    return alone


@pytest.mark.parametrize("fork", START_METHODS)
def test_a_build_with_workers_makes_the_site_one_process_makes(tmp_path: Path, fork: bool) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    files["2001/pm-0001.md"] = postmortem("Broken", "2001-01-02", services=["chekout"])
    roots = _alone_and_with_workers(tmp_path, files)
    got = in_fresh_process(_build_with_and_without_workers, roots, fork)
    # In the second build only: the files were read and checked in two processes, the other
    # pages made in two where the build forks, the incident pages converted in two, and the
    # search index written in two; the sites are the same, index included. Loading and the
    # search index start workers with the platform's method; conversion workers are spawned
    # everywhere.
    method = "fork" if fork else "spawn"
    assert got["pools"] == [method, *(["fork"] if fork else []), "spawn", method]
    converted = got["converted"]
    assert len(converted) > 20 and got["answers"] == (3 if fork else 2)
    assert all("pmkb-block" not in html and "pmkb-card" in html for html in converted)
    assert len(_same_sites(roots)) > PARALLEL_FROM


# A plugin's thread that outlives `on_config` (Material's social plugin runs a pool of them): a
# forked child of a process running it could stay stuck on a lock that thread held.
THREAD_HOOK = """
import threading

stop = threading.Event()


def on_config(config):
    threading.Thread(target=stop.wait, daemon=True).start()
    return config


def on_post_build(config):
    stop.set()
"""


def test_a_build_whose_plugins_run_a_thread_still_converts_in_workers(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    roots = _alone_and_with_workers(
        tmp_path, _many(PARALLEL_FROM + 10), hook=("thread.py", THREAD_HOOK)
    )
    got = in_fresh_process(_build_with_and_without_workers, roots, True)
    # With a thread running, nothing is forked: the files are read here, the workers spawned.
    assert got["pools"] == ["spawn"]
    assert len(got["converted"]) > 20
    assert len(_same_sites(roots)) > PARALLEL_FROM


def test_a_build_that_cannot_start_workers_converts_every_page_itself(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    roots = _alone_and_with_workers(tmp_path, _many(PARALLEL_FROM + 10))
    got = in_fresh_process(_build_with_and_without_workers, roots, True, None, True)
    # The first page to convert was rendered to be handed out when the pool failed to start: it
    # is converted here with its blocks, like every other page.
    assert got["pools"] == ["fork", "fork", "spawn", "fork"] and got["converted"] == []
    assert len(_same_sites(roots)) > PARALLEL_FROM


def _built_twice(root: Path, edits: dict[str, str] | None = None) -> dict[str, Any]:
    """In a fresh process: `mkdocs build` the project twice, the second time with nothing
    changed, or with `edits` (postmortem files' names and their new text) written in between;
    per build, how many conversion pools started, and the site it wrote."""
    import os

    from pmkb.plugin.conversion_pool import ConversionPool

    os.environ["SOURCE_DATE_EPOCH"] = BUILD_EPOCH
    started: list[int] = []
    start = ConversionPool.start.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ConversionPool], *args: Any) -> ConversionPool | None:
        started[-1] += 1
        return start(cls, *args)  # type: ignore[no-any-return]

    ConversionPool.start = classmethod(counted)  # type: ignore[method-assign, assignment]
    sites = []
    for build_again in (False, True):
        if build_again:
            for name, text in (edits or {}).items():
                (root / "postmortems" / name).write_text(text, encoding="utf-8", newline="\n")
        started.append(0)
        _mkdocs_build(root)
        sites.append(_files(root / "site"))
    return {"started": started, "sites": sites}


def test_a_build_that_finds_its_pages_converted_before_starts_no_worker(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    root = make_project(
        tmp_path / "kb",
        _many(PARALLEL_FROM + 10),
        theme="mkdocs",
        site=True,
        options={"workers": 2},
    )
    got = in_fresh_process(_built_twice, root)
    assert got["started"] == [1, 0]
    first, again = got["sites"]
    assert len(first) > PARALLEL_FROM
    assert [name for name in first if first[name] != again.get(name)] == []


def test_a_build_after_an_edit_converts_the_edited_pages_itself(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    edited = sorted(files)[:3]
    root = make_project(tmp_path / "kb", files, theme="mkdocs", site=True, options={"workers": 2})
    edits = {
        name: postmortem(f"Edited {n}", "2019-03-04", summary=f"Summary written again {n}.")
        for n, name in enumerate(edited)
    }
    got = in_fresh_process(_built_twice, root, edits)
    # Three pages to convert: sooner here than in a worker that must first start and import
    # MkDocs, and none is started.
    assert got["started"] == [1, 0]
    first, again = got["sites"]
    changed = sorted(name for name in first if first[name] != again.get(name))
    for n, name in enumerate(edited):
        page = f"incidents/{Path(name).stem}/index.html"
        assert page in changed and f"Summary written again {n}.".encode() in again[page]


def test_a_page_a_worker_converted_is_converted_again_once_the_page_it_links_to_comes(
    tmp_path: Path,
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    # The oldest incident, last in MkDocs' order: a worker converts it.
    files["2000/zz-linking.md"] = postmortem(
        "Linking", "2000-01-01", summary="As [the later one](later.md) shows."
    )
    root = make_project(tmp_path / "kb", files, theme="mkdocs", site=True, options={"workers": 2})
    edits = {"2000/later.md": postmortem("The later one", "2000-01-02")}
    got = in_fresh_process(_built_twice, root, edits)
    first, again = got["sites"]
    page = "incidents/zz-linking/index.html"
    assert b'<a href="later.md">the later one</a>' in first[page]
    assert b'<a href="../later/">the later one</a>' in again[page]


# Runs in `on_config`, which a worker reading mkdocs.yml does not. A worker is given the build's
# list of extensions (`abbr` added), but not an extension's settings changed there: its
# conversion settings then differ from the build's, so it must decline every page.
ABBREVIATIONS_HOOK = """
def on_config(config):
    config.markdown_extensions.append("abbr")
    config.mdx_configs["toc"] = {**config.mdx_configs.get("toc", {}), "permalink": True}
    return config
"""


def test_workers_whose_settings_differ_from_the_build_convert_no_page(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    for name in sorted(files)[-5:]:  # pages at the end, which a worker would take first
        files[name] = (
            postmortem(f"Abbreviated {name}", "2019-03-04", summary="The DNS resolver failed.")
            + "\n*[DNS]: Domain Name System\n"
        )
    roots = _alone_and_with_workers(tmp_path, files, hook=("abbreviations.py", ABBREVIATIONS_HOOK))
    got = in_fresh_process(_build_with_and_without_workers, roots, True)
    assert got["pools"][3:] == ["fork"] and got["converted"] == []
    site = _same_sites(roots)
    shown = [name for name, data in site.items() if b'<abbr title="Domain Name System">' in data]
    assert len(shown) == 5


# A plugin that edits every incident page, in its Markdown or in the source MkDocs reads, which a
# worker, given the page as pmkb renders it, would never see.
REVIEWED_HOOKS = {
    "markdown": """
def on_page_markdown(markdown, page, config, files):
    return markdown + "\\n\\nRead by the review hook.\\n"
""",
    "source": """
def on_page_read_source(page, config):
    if page.file.src_uri.startswith("incidents/"):
        return page.file.content_string + "\\n\\nRead by the review hook.\\n"
    return None
""",
    # Material's typeset plugin reads `page.markdown` once the page is converted.
    "content": """
def on_page_content(html, page, config, files):
    if len(page.markdown.split()) > 20 and len(page.content or "") > 200:
        return html + "<p>Read by the review hook.</p>"
    return html
""",
    # Run after pmkb's `on_nav`, where pmkb plans which pages workers convert.
    "navigation": """
from mkdocs.plugins import event_priority

words = {}


@event_priority(-100)
def on_nav(nav, config, files):
    for file in files.documentation_pages():
        words[file.src_uri] = len(file.content_string.split())


def on_post_page(output, page, config):
    if words.get(page.file.src_uri, 0) > 20:
        return output.replace("</body>", "<p>Read by the review hook.</p></body>")
    return output
""",
}


@pytest.mark.parametrize("event", sorted(REVIEWED_HOOKS))
def test_a_build_whose_plugins_edit_pages_converts_every_page_itself(
    tmp_path: Path, event: str
) -> None:
    got, incidents = _built_with_hook(tmp_path, ("reviewed.py", REVIEWED_HOOKS[event]))
    # Reading still forks; no conversion worker is spawned, and each page shows the hook's line.
    assert "spawn" not in got["pools"] and got["converted"] == []
    assert all(b"Read by the review hook." in page for page in incidents)


def _built_with_hook(tmp_path: Path, hook: tuple[str, str]) -> tuple[dict[str, Any], list[bytes]]:
    """Many postmortems built with `hook` alone and with workers, in a fresh process: what
    `_build_with_and_without_workers` counted, and the incident pages of the two sites, found
    the same."""
    from pmkb.parallel import PARALLEL_FROM

    roots = _alone_and_with_workers(tmp_path, _many(PARALLEL_FROM + 10), hook=hook)
    got = in_fresh_process(_build_with_and_without_workers, roots, True)
    site = _same_sites(roots)
    incidents = [site[name] for name in site if name.startswith("incidents/pm-")]
    assert len(incidents) > PARALLEL_FROM
    return got, incidents


def test_a_configuration_read_from_no_file_starts_no_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `mkdocs build -f -`: MkDocs gives the configuration's path as "". A worker reads the
    # configuration from its file, could not, and declined every page it was handed.
    from pmkb.parallel import PARALLEL_FROM
    from pmkb.plugin.conversion_pool import ConversionPool

    count = PARALLEL_FROM + 10
    root = make_project(tmp_path, _many(count), theme="mkdocs", site=True, options={"workers": 2})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.chdir(root)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.config_file_path = ""
    config.plugins.on_startup(command="build", dirty=False)
    started: list[object] = []

    def start(cls: type[ConversionPool], setup: object, processes: int) -> None:
        started.append(setup)

    monkeypatch.setattr(ConversionPool, "start", classmethod(start))
    build(config)
    assert started == []
    assert len(list((root / "site" / "incidents").glob("pm-*/index.html"))) == count


# A hook that writes down each page as the theme builds it: an event pmkb leaves to other plugins,
# and after which it puts in an incident page's HTML.
BUILT_HOOK = """
steps = []


def on_page_context(context, page, config, nav):
    steps.append("built " + page.file.src_uri)
    return context
"""


@pytest.mark.parametrize(("workers", "key"), [(0, True), (2, True), (2, False)])
def test_a_one_off_build_converts_incident_pages_as_the_theme_builds_them_when_workers_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, key: bool
) -> None:
    from mkdocs.structure.pages import Page

    from pmkb.parallel import PARALLEL_FROM

    count = PARALLEL_FROM + 10 if workers else 12
    root = make_project(
        tmp_path,
        _many(count),
        theme="mkdocs",
        site=True,
        options={"workers": workers},
        mkdocs={"hooks": ["built.py"]},
        files={"built.py": BUILT_HOOK, "docs/guide.md": "# Guide\n\nOn call.\n"},
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    if not key:
        # A machine's first build, or a CI runner given no key: no conversion cache is kept
        # (nothing it stored could be read by another), and workers convert all the same.
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "new-machine"))
    monkeypatch.chdir(root)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    steps: list[str] = config.plugins["built.py"].steps  # type: ignore[attr-defined]
    render = Page.render

    def converted(self: Page, *args: Any) -> None:
        render(self, *args)
        if self.markdown:  # pmkb gives MkDocs none to convert for a page it has the HTML of
            steps.append("converted " + self.file.src_uri)

    monkeypatch.setattr(Page, "render", converted)
    build(config)
    incidents = [f"incidents/pm-{i:04d}.md" for i in range(count)]
    # The site's own pages and pmkb's listings are converted in MkDocs' loop, before the theme
    # builds the first page.
    first = steps.index("built index.md")
    assert {"converted index.md", "converted guide.md", "converted incidents/index.md"} <= set(
        steps[:first]
    )
    here = [src for src in incidents if "converted " + src in steps]
    if workers:
        # Each incident page is converted as the theme builds it, by a worker or, right before,
        # here: the theme's templates run while workers convert the next pages.
        assert not any(src in step for step in steps[:first] for src in incidents)
        assert 0 < len(here) < count
        for src in here:
            assert steps[steps.index("built " + src) - 1] == "converted " + src
    else:
        # With no worker to convert pages meanwhile, in MkDocs' order: every page converted, then
        # every page built, which leaves each step's work in the CPU's caches for the next page.
        assert here == incidents
        assert all(steps.index("converted " + src) < first for src in incidents)
    page = (root / "site" / "incidents" / "pm-0003" / "index.html").read_text(encoding="utf-8")
    assert "Incident 3" in page and "pmkb-card" in page
    assert any((root / ".cache" / "pmkb" / "pages").glob("*.pack")) is key


# A hook that adds an extension in `on_config`, as Material's tags plugin adds `attr_list` when
# the configuration lists none (the plugin also reads pages, which keeps workers off anyway).
ADDING_HOOK = """
def on_config(config):
    if "attr_list" not in config.markdown_extensions:
        config.markdown_extensions.append("attr_list")
    return config
"""


def test_workers_convert_with_an_extension_a_plugin_adds_in_its_on_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker runs no plugin's `on_config`: it computed another conversion key, declined every
    # page, and the build converted them all in one process.
    from mkdocs.structure.pages import Page

    from pmkb.parallel import PARALLEL_FROM

    count = PARALLEL_FROM + 10
    # A heading with attributes on every page: what `attr_list` converts, and text without it.
    incidents = {
        name: str(text).replace("## Summary", "## Summary {: #what-happened }")
        for name, text in _many(count).items()
    }
    root = make_project(
        tmp_path,
        incidents,
        theme="mkdocs",
        site=True,
        options={"workers": 2},
        mkdocs={"hooks": ["adds.py"]},
        files={"adds.py": ADDING_HOOK},
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.chdir(root)
    here: list[str] = []
    render = Page.render

    def converted(self: Page, *args: Any) -> None:
        render(self, *args)
        if self.markdown and self.file.src_uri.startswith("incidents/pm-"):
            here.append(self.file.src_uri)

    monkeypatch.setattr(Page, "render", converted)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    assert len(here) < count  # the workers converted the others
    for number in range(count):
        page = root / "site" / "incidents" / f"pm-{number:04d}" / "index.html"
        text = page.read_text(encoding="utf-8")
        assert 'id="what-happened"' in text and "{: #what-happened }" not in text, number


# Plugins that read every page's HTML after MkDocs converts it, before the theme builds it (as
# one that wraps images or counts words does): they see each incident page's HTML, converted in
# MkDocs' loop, with workers or without.
READING_HOOKS = {
    # It takes a moment a page, as real work on the HTML does: the worker, started while the
    # loop runs, then has pages to take even on a machine busy with other work.
    "on_page_content": """
import time


def on_page_content(html, page, config, files):
    if page.file.src_uri.startswith("incidents/pm-"):
        time.sleep(0.003)
        return html + "<p>Read by the reading hook.</p>"
    return html
""",
    "on_env": """
def on_env(env, config, files):
    for file in files.documentation_pages():
        if file.src_uri.startswith("incidents/pm-"):
            file.page.content += "<p>Read by the reading hook.</p>"
    return env
""",
}


@pytest.mark.parametrize("event", sorted(READING_HOOKS))
def test_a_plugin_that_reads_pages_before_they_are_built_sees_their_html(
    tmp_path: Path, event: str
) -> None:
    got, incidents = _built_with_hook(tmp_path, ("reading.py", READING_HOOKS[event]))
    if event == "on_env":
        # Converted in MkDocs' loop, by a worker (taking the pages ahead of the one the loop
        # converts) and by the build's process.
        assert "spawn" in got["pools"] and len(got["converted"]) > 20
    else:
        # A plugin reading pages in `on_page_content` may read `page.markdown` too, which a
        # worker's page has not: every page is converted in the build's process.
        assert "spawn" not in got["pools"] and got["converted"] == []
    assert all(b"pmkb-card" in page and b"Read by the reading hook." in page for page in incidents)


def _built_by_two_workers(
    tmp_path: Path, postmortems: dict[str, str | bytes] | None = None, **project: Any
) -> tuple[Path, str]:
    """Enough postmortems for workers (`_many`, unless given) built as a user builds them, with
    two workers: the project folder, and what the build logged."""
    from pmkb.parallel import PARALLEL_FROM

    root = make_project(
        tmp_path,
        postmortems or _many(PARALLEL_FROM + 10),
        theme="mkdocs",
        site=True,
        options={"workers": 2},
        **project,
    )
    result = build_as_a_user(root)
    assert result.returncode == 0, result.stderr
    return root, result.stderr


def test_a_warning_about_the_configuration_is_shown_once_when_workers_convert(
    tmp_path: Path,
) -> None:
    # Each worker loads the configuration again: what that logs, the build has shown already.
    _, logged = _built_by_two_workers(tmp_path, mkdocs={"unheard_of_setting": 1})
    said = [line for line in logged.splitlines() if "unheard_of_setting" in line]
    assert len(said) == 1, logged


def test_a_plugin_that_changes_the_html_before_pmkb_changes_every_incident_page(
    tmp_path: Path,
) -> None:
    # Its handler runs before pmkb's: no worker converts a page it would not see.
    from pmkb.parallel import PARALLEL_FROM

    hook = (
        "from mkdocs.plugins import event_priority\n\n\n"
        "@event_priority(200)\n"
        "def on_page_content(html, page, config, files):\n"
        "    return html + '<p>Seen by the early hook.</p>'\n"
    )
    root, _ = _built_by_two_workers(
        tmp_path, mkdocs={"hooks": ["early.py"]}, files={"early.py": hook}
    )
    pages = sorted((root / "site" / "incidents").glob("pm-*/index.html"))
    assert len(pages) == PARALLEL_FROM + 10
    unseen = [p.parent.name for p in pages if "Seen by the early hook." not in p.read_text("utf-8")]
    assert unseen == []


def test_a_worker_leaves_an_authors_kept_placeholder_as_text(tmp_path: Path) -> None:
    from pmkb.parallel import PARALLEL_FROM

    postmortems = _many(PARALLEL_FROM + 10)
    # The kept form behind escapes (which Markdown takes out) and entities (which the sanitizer
    # decodes), on pages near the start of the build and further on.
    written = {
        5: "pmkb\\-block\\-stable\\-0",
        200: "pmkb\\-block\\-stable\\-0",
        300: "pmkb&#45;block&#45;stable&#45;0",
        399: "pmkb&#45;block&#45;stable&#45;0",
    }
    for number, form in written.items():
        name = f"{2000 + number % 20}/pm-{number:04d}.md"
        text = str(postmortems[name])
        odd = text.replace("A short summary", f"Odd text {form} here. A short summary")
        assert odd != text
        postmortems[name] = odd
    root, _ = _built_by_two_workers(tmp_path, postmortems)
    for number in written:
        html = (root / "site" / "incidents" / f"pm-{number:04d}" / "index.html").read_text("utf-8")
        assert "Odd text pmkb-block-stable-0 here. A short summary" in html, number
        assert html.count('class="pmkb-title"') == 1, number


def test_a_build_whose_workers_never_answer_waits_once_and_converts_the_pages_itself(
    tmp_path: Path,
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    files = _many(PARALLEL_FROM + 10)
    roots = _alone_and_with_workers(tmp_path, files)
    got = in_fresh_process(_build_with_and_without_workers, roots, True, _stalled)
    assert got["pools"][3:] == ["fork"] and got["converted"] == [] and got["left"] == []
    assert got["seconds"] < 60  # one wait of a second, not one per page
    _same_sites(roots)


@pytest.mark.parametrize("worker", [_failing, _dying], ids=["failing", "dying"])
def test_a_build_whose_workers_fail_or_end_converts_the_pages_itself(
    tmp_path: Path, worker: Callable[..., Any]
) -> None:
    from pmkb.parallel import PARALLEL_FROM

    roots = _alone_and_with_workers(tmp_path, _many(PARALLEL_FROM + 10))
    got = in_fresh_process(_build_with_and_without_workers, roots, True, worker)
    # The build goes on without them: no worker's page, none left running, and the search
    # index is written in two processes again (the threads that wrote to the workers ended).
    assert got["pools"][3:] == ["fork"] and got["converted"] == [] and got["left"] == []
    assert got["seconds"] < 60
    assert len(_same_sites(roots)) > PARALLEL_FROM


@pytest.mark.parametrize("fork", START_METHODS)
def test_a_script_that_builds_without_the_main_guard_gets_its_site_and_the_reason(
    tmp_path: Path, fork: bool
) -> None:
    # A spawned worker's new interpreter runs the main script's top level before anything else:
    # a script that builds there, unguarded, would build the site a second time in the worker
    # (and fail at its own workers with Python's "bootstrapping phase" error). The worker stops
    # at once and says why; the build does the worker's share itself. Conversion workers are
    # spawned everywhere; where there is no fork (macOS, Windows), so are those that read.
    from pmkb.parallel import PARALLEL_FROM

    count = PARALLEL_FROM + 10
    root = make_project(tmp_path / "kb", _many(count), theme="mkdocs", site=True)
    script = root / "build_site.py"
    script.write_text(
        "from mkdocs.commands.build import build\n"
        "from mkdocs.config import load_config\n"
        "from pmkb import parallel\n"
        f"parallel.FORK = {fork}\n"
        "build(load_config('mkdocs.yml'))\n",
        encoding="utf-8",
        newline="\n",
    )
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    stopped = result.stderr.count("a worker process ran the script that starts the build again")
    assert stopped == (1 if fork else 2)  # the conversion worker, and the reading one
    assert 'if __name__ == "__main__":' in result.stderr
    assert "Traceback" not in result.stderr
    assert "bootstrapping" not in result.stderr
    pages = list((root / "site" / "incidents").glob("*/index.html"))
    assert len(pages) == count


def _build_here(root: str) -> None:
    """Build the project at `root`, in this process (a daemonic one, in the test below)."""
    os.chdir(root)
    os.environ.update(NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH=BUILD_EPOCH)
    build(load_config(str(Path(root) / "mkdocs.yml")))


def test_a_build_in_a_daemonic_process_starts_no_process_and_builds_every_page(
    tmp_path: Path,
) -> None:
    # A multiprocessing.Pool's worker (a service building sites in a pool, say) is daemonic, and
    # multiprocessing forbids it children: reading in parallel or starting conversion workers
    # raised there, and the build failed.
    import multiprocessing

    from pmkb.parallel import PARALLEL_FROM

    count = PARALLEL_FROM + 10
    root = make_project(
        tmp_path / "kb", _many(count), theme="mkdocs", site=True, options={"workers": 2}
    )
    process = multiprocessing.get_context("spawn").Process(
        target=_build_here, args=(str(root),), daemon=True
    )
    process.start()
    process.join(300)
    assert process.exitcode == 0
    pages = list((root / "site" / "incidents").glob("*/index.html"))
    assert len(pages) == count
