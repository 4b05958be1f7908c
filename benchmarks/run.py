"""Scale benchmark: pmkb against plain MkDocs, on thousands of synthetic postmortems.

    .venv/bin/python benchmarks/run.py                      # sizes 1000 and 5000, 3 runs each
    .venv/bin/python benchmarks/run.py --sizes 1000 5000 --repeat 5
    .venv/bin/python benchmarks/run.py --quick              # 200 postmortems, 1 run: a smoke test

For each size N, generate.py writes a pmkb project, and the same N files are copied as plain
Markdown pages (front matter cut down to the title) into a plain MkDocs project. Then, each in its
own process and in turn (A B C ... A B C ...), so that drift of the machine hits all of them alike:

  (a) baseline  `mkdocs build` of the plain project: Material, search, the pages kept out of the
                navigation with `not_in_nav`; drafts excluded with `draft_docs`;
  (b) pmkb      `mkdocs build` of the pmkb project, its caches set aside first (cold);
  (c) warm      the same right after (b), one postmortem edited: what an author's next build costs;
  (c2) added    the same right after (c), one postmortem added: what a pull request's next costs;
  (c3) ci       (c) as a new CI runner runs it: given PMKB_CACHE_KEY, a user cache folder of its
                own, every postmortem file with new times (a fresh checkout), and only what the
                publish workflow restores (`pages/`, `postmortems-*`, `finished/`,
                `other-pages-*`) of an untimed build with the same key before the runs;
  (d) serial    (b) with `workers: 0` and no cache: everything in one process; run just before
                (a), so that it is measured beside a baseline as (b) is;
  (e) check     `pmkb check` in the pmkb project, with no checked postmortems kept (as in CI);
  (e2) check-again `pmkb check` right after (e), with its checked postmortems (an author's next);
  (f) check-one `pmkb check` of one file;
  (g) floor     benchmarks/floor.py: PyYAML's C loader on each file's front matter, nothing else.

Before each command, the site and caches the one before left are moved aside, as MkDocs or a
fresh checkout would delete them, and deleted only at the end (see TRASH for why).

At the largest size, benchmarks/reload.py then times `mkdocs serve` from saving a postmortem to the
page showing it: pmkb with and without `--dirty`, plain MkDocs with `--dirty`.

Wall time and peak resident memory are taken per process (with `/usr/bin/time -v` when present,
else a tiny wrapper reading `getrusage(RUSAGE_CHILDREN)`); the report gives the median of the
runs. The results page, with the targets marked met or not met, is written to
docs/performance.md (a `--quick` run writes benchmarks/work/performance-quick.md instead).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import yaml

from pmkb.read.check_index import SETTLED_NS

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reload
from breakdown import PHASES
from generate import Project, generate, mkdocs_config

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
WORK = BENCH / "work"
BIN = Path(sys.executable).parent
GNU_TIME = Path("/usr/bin/time")
KEPT = "<!-- The sections below are measured by other means; benchmarks/run.py keeps them. -->"
# Saves timed per server in the edit-to-reload measurement. The watcher looks for changes every
# half second, so one save can wait up to that long more than the next: the median of seven.
RELOAD_EDITS = 7
# Builds see the same "today" every time, so overdue action items do not change between runs.
SOURCE_DATE_EPOCH = str(int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()))
KINDS = (
    "baseline",
    "pmkb",
    "warm",
    "added",
    "ci",
    "serial",
    "check",
    "check-again",
    "check-one",
    "floor",
)
# The order they run in, each run: (d) just before (a), as (b) just after it, so that each of the
# two ratios to the baseline is taken from runs side by side. Taken a minute after its baseline,
# behind (b), (c), (c2) and (c3), the one-process build's ratio moved from 1.37x to 1.54x between
# two runs of the same code, with the machine's load.
RUN_ORDER = ("serial", *(kind for kind in KINDS if kind != "serial"))
LABELS = {
    "baseline": "(a) baseline `mkdocs build`, plain MkDocs + Material",
    "pmkb": "(b) `mkdocs build` with pmkb, cold (no conversion cache)",
    "warm": "(c) `mkdocs build` with pmkb, warm (cache of (b), one postmortem edited)",
    "serial": "(d) `mkdocs build` with pmkb, cold, `workers: 0` (one process)",
    "check": "(e) `pmkb check`",
    "check-again": "(e2) `pmkb check` again (checked postmortems kept)",
    "check-one": "(f) `pmkb check` of one file",
    "floor": "(g) floor: front matter with PyYAML's C loader",
    "added": "(c2) `mkdocs build` with pmkb, warm (cache of (c), one postmortem added)",
    "ci": "(c3) `mkdocs build` with pmkb on a new CI runner (caches restored, key given, one edit)",
}
# The key the CI runs (c3) are given, as a publish workflow passes its secret PMKB_CACHE_KEY.
CI_KEY = "benchmark-" + "k" * 32
# What the publish workflows `pmkb init` writes restore of `cache_dir` (see docs/adopting.md).
CI_KEPT = ("pages", "postmortems-*", "finished", "other-pages-*")
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(f'User time (seconds): {usage.ru_utime}', file=sys.stderr)\n"
    "print(f'System time (seconds): {usage.ru_stime}', file=sys.stderr)\n"
    "print(f'Maximum resident set size (kbytes): {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
_PEAK = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_CPU = re.compile(r"(?:User|System) time \(seconds\): ([\d.]+)")


@dataclass(frozen=True)
class Sample:
    seconds: float  # wall clock
    peak_kib: int
    cpu: float  # user + system seconds: less sensitive than wall time to other work on the machine
    tree_kib: int = (
        0  # peak memory of the command and its worker processes together (PSS); 0: unknown
    )
    stderr: str = ""  # what the command logged


@dataclass
class SiteFigures:
    pages: int
    bytes: int
    index_bytes: int
    index_gzip: int


@dataclass
class SizeResult:
    n: int
    published: int
    drafts: int
    average_bytes: float
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sites: dict[str, SiteFigures] = field(default_factory=dict)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)  # kind -> phase -> s
    reload: dict[str, list[float]] = field(default_factory=dict)  # server -> seconds per edit
    first_build: dict[str, float] = field(default_factory=dict)  # server -> seconds to serve
    rebuilds: dict[str, list[float]] = field(default_factory=dict)  # server -> its log's seconds

    def seconds(self, kind: str) -> float:
        return statistics.median(s.seconds for s in self.samples[kind])

    def cpu(self, kind: str) -> float:
        return statistics.median(s.cpu for s in self.samples[kind])

    def peak_mib(self, kind: str) -> float:
        return statistics.median(s.peak_kib for s in self.samples[kind]) / 1024

    def tree_mib(self, kind: str) -> float:
        """Peak memory of the command with its worker processes; 0 where it cannot be sampled."""
        return statistics.median(s.tree_kib for s in self.samples[kind]) / 1024


def replace_section(output: Path, heading: str, section: str) -> None:
    """Put `section` (its first line is `heading`) among the sections measured by other means,
    after `KEPT` in `output`, in place of the previous one of that heading."""
    page = output.read_text("utf-8") if output.exists() else ""
    if KEPT not in page:
        page = page.rstrip("\n") + "\n\n" + KEPT + "\n"
    before, marker, kept = page.partition(KEPT)
    kept = re.sub(rf"(?ms)^{re.escape(heading)}\n.*?(?=^## |\Z)", "", kept).strip("\n")
    page = (
        before
        + marker
        + "\n\n"
        + section.rstrip("\n")
        + "\n"
        + ("\n" + kept + "\n" if kept else "")
    )
    output.write_text(page, encoding="utf-8")


def fingerprint() -> str:
    """A hash of pmkb's sources, to tell whether they changed while the benchmark ran."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "plugins" / "pmkb").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


LOADS: list[float] = []  # the 1-minute load average before each measured command


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run one command to completion; its wall time and peak resident memory."""
    if hasattr(os, "getloadavg"):
        LOADS.append(os.getloadavg()[0])
    if GNU_TIME.exists():
        wrapped = [str(GNU_TIME), "-v", *command]
    else:
        wrapped = [sys.executable, "-c", _WRAPPER, *command]
    start = time.perf_counter()
    process = subprocess.Popen(
        wrapped, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeMemory(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    sampler.stop()
    if process.returncode != 0:
        tail = "\n".join((stdout + stderr).splitlines()[-30:])
        raise SystemExit(
            f"benchmark command failed ({process.returncode}): {shlex.join(command)}\n{tail}"
        )
    match = _PEAK.search(stderr)
    cpu = sum(float(m) for m in _CPU.findall(stderr))
    return Sample(seconds, int(match.group(1)) if match else 0, cpu, sampler.peak_kib, stderr)


class TreeMemory(threading.Thread):
    """The highest total memory of a process and all its descendants, sampled every 50 ms.

    A process's peak resident set size (what `time` reports) misses worker processes; summing
    their resident sizes would count pages they share twice. The proportional set size (PSS)
    splits each shared page among the processes that map it, so the sum over the tree is the
    memory the command really holds. Linux only (`/proc/PID/smaps_rollup`); elsewhere 0.
    """

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_kib, self._done = root, 0, threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(_pss_kib(pid) for pid in _tree(self.root))
            self.peak_kib = max(self.peak_kib, total)
            self._done.wait(0.05)


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(child) for child in children)
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _forget_all_but_the_check_index(cache: Path) -> None:
    """What a fresh CI checkout finds: no converted or finished page, no checked postmortem (the
    check index, which only `pmkb check FILE` reads, is measured apart)."""
    _set_aside(*(kept for kept in cache.glob("*") if kept.name != "checked.json"))


def _ci_cache_saved(root: Path, build: list[str], env: dict[str, str]) -> Path:
    """Build `root` once, untimed, with `env` (which gives PMKB_CACHE_KEY) on a runner of its own,
    and keep a copy of what a CI cache restores of its `cache_dir` (CI_KEPT): the folder."""
    cache = root / ".cache" / "pmkb"
    _set_aside(*cache.glob("*"))
    saved = WORK / f"ci-{root.name}"
    shutil.rmtree(saved, ignore_errors=True)
    subprocess.run(
        build,
        cwd=root,
        env={**env, "XDG_CACHE_HOME": str(saved / "seed-runner")},
        check=True,
        capture_output=True,
    )
    _set_aside(root / "site")
    for pattern in CI_KEPT:
        for kept in cache.glob(pattern):
            copy = shutil.copytree if kept.is_dir() else shutil.copy2
            copy(kept, saved / "cache" / kept.name)
    return saved / "cache"


def _ci_cache_restored(saved: Path, cache: Path) -> None:
    """`cache` as a CI cache step leaves it: the copies in `saved` (and the check index, which
    only (f) reads)."""
    _forget_all_but_the_check_index(cache)
    cache.mkdir(parents=True, exist_ok=True)
    for kept in saved.iterdir():
        copy = shutil.copytree if kept.is_dir() else shutil.copy2
        copy(kept, cache / kept.name)
    if hasattr(os, "sync"):  # not on Windows
        os.sync()  # the copy's writes settle before the timed build


# Outputs of earlier runs are moved here, and deleted only once everything is measured. On ext4
# without a journal, a new file does not take the inode of one deleted in the last minutes, and
# looks past each of them first: deleting the 10,000 files of a cold build's cache and site, then
# building, measured 0.13 -> 0.6 ms for each new file, several seconds a build, and more for the
# command that writes more files. No build a user runs follows such a deletion of its own files.
TRASH = WORK / "trash"


def _set_aside(*paths: Path) -> None:
    """Move `paths` out of the way, as if deleted, without deleting a file (see TRASH)."""
    TRASH.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.exists():
            path.rename(TRASH / f"{time.monotonic_ns()}-{path.name}")


def _empty_trash() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)


def baseline_project(project: Project, root: Path) -> Path:
    """The same files as plain MkDocs pages: front matter cut to the title, body as it is."""
    if root.exists():
        shutil.rmtree(root)
    docs = root / "docs"
    docs.mkdir(parents=True)
    shutil.copyfile(project.root / "docs" / "index.md", docs / "index.md")
    drafts = set(project.drafts)
    pm_dir = project.root / "postmortems"
    for path in project.files:
        text = path.read_text(encoding="utf-8")
        end = text.index("\n---\n", 3)
        meta = yaml.load(text[4 : end + 1], Loader=yaml.CSafeLoader)
        head = yaml.safe_dump({"title": meta["title"]}, allow_unicode=True, width=1000)
        folder = "drafts" if path in drafts else "incidents"
        target = docs / folder / path.relative_to(pm_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"---\n{head}---\n{text[end + 5 :]}", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        mkdocs_config(
            f"MkDocs baseline ({len(project.files)})",
            [{"Home": "index.md"}],
            ["search"],
            not_in_nav="/incidents/\n",
            draft_docs="/drafts/\n",
        ),
        encoding="utf-8",
    )
    return root


def site_figures(site: Path) -> SiteFigures:
    pages = bytes_ = 0
    for base, _dirs, files in os.walk(site):
        for name in files:
            bytes_ += (Path(base) / name).stat().st_size
            pages += name.endswith(".html")
    index = site / "search" / "search_index.json"
    data = index.read_bytes() if index.exists() else b""
    return SiteFigures(pages, bytes_, len(data), len(gzip.compress(data, 9)) if data else 0)


def _published(project: Project) -> Path:
    """The first published postmortem: the one the warm build and the reload edit."""
    return next(p for p in project.files if p not in set(project.drafts))


def _reloads(
    project: Project, plain: Path, edited: Path, log: Callable[[str], None]
) -> tuple[dict[str, list[float]], dict[str, float], dict[str, list[float]]]:
    """Per server: seconds from saving a postmortem to the served page showing the change, from
    starting the server to its first page, and of each save's rebuild as the server logs it."""
    relative = edited.relative_to(project.root / "postmortems")
    servers = {
        "pmkb --dirty": (project.root, edited, f"incidents/{edited.stem}", True),
        "pmkb": (project.root, edited, f"incidents/{edited.stem}", False),
        "baseline --dirty": (
            plain,
            plain / "docs" / "incidents" / relative,
            f"incidents/{relative.with_suffix('').as_posix()}",
            True,
        ),
    }
    times, first, rebuilds = {}, {}, {}
    for name, (root, file, url, dirty) in servers.items():
        found = reload.measure(root, file, url, dirty, RELOAD_EDITS)
        times[name] = [float(t) for t in found["edits"]]  # type: ignore[attr-defined]
        first[name] = float(found["first_build"])  # type: ignore[arg-type]
        rebuilds[name] = [float(t) for t in found["rebuilds"]]  # type: ignore[attr-defined]
        log(
            f"serve, {name}: first page after {first[name]:.2f} s, "
            f"{' '.join(f'{t:.2f}' for t in times[name])} s from save to page, rebuilds "
            f"{' '.join(f'{t:.2f}' for t in rebuilds[name])} s"
        )
    return times, first, rebuilds


def run_size(
    n: int,
    repeat: int,
    seed: int,
    env: dict[str, str],
    log: Callable[[str], None],
    sizes: tuple[int, ...] = (),
) -> SizeResult:
    log(f"N={n}: generating")
    project = generate(WORK / f"pmkb-{n}", n, seed)
    plain = baseline_project(project, WORK / f"baseline-{n}")
    result = SizeResult(
        n,
        len(project.files) - len(project.drafts),
        len(project.drafts),
        sum(p.stat().st_size for p in project.files) / len(project.files),
    )
    mkdocs, pmkb = str(BIN / "mkdocs"), str(BIN / "pmkb")
    serial = project.root / "mkdocs-serial.yml"
    config = yaml.safe_load((project.root / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "pmkb" in plugin:
            plugin["pmkb"].update(workers=0, cache_dir="")
    serial.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    edited = _published(project)
    commands: dict[str, tuple[list[str], Path]] = {
        "baseline": ([mkdocs, "build", "--quiet"], plain),
        "pmkb": ([mkdocs, "build", "--quiet"], project.root),
        "warm": ([mkdocs, "build", "--quiet"], project.root),
        "serial": ([mkdocs, "build", "--quiet", "-f", str(serial)], project.root),
        "check": ([pmkb, "check"], project.root),
        "check-again": ([pmkb, "check"], project.root),
        "check-one": ([pmkb, "check", str(edited.relative_to(project.root))], project.root),
        "floor": ([sys.executable, str(BENCH / "floor.py"), "postmortems"], project.root),
        "added": ([mkdocs, "build", "--quiet"], project.root),
        "ci": ([mkdocs, "build", "--quiet"], project.root),
    }
    ci_env = {**env, "PMKB_CACHE_KEY": CI_KEY}
    ci_saved = _ci_cache_saved(project.root, [mkdocs, "build", "--quiet"], ci_env)
    original = edited.read_text(encoding="utf-8")
    # A new postmortem beside the edited one, the same but for its title and file: what a pull
    # request that adds one brings. Taken out once measured; (e) then forgets the caches.
    added = edited.with_name(f"{edited.stem}-again.md")
    title = next(line for line in original.splitlines() if line.startswith("title: "))

    # As a pre-commit hook finds it after its first run: the check index written (not timed),
    # once the files just generated have settled. The index does not trust the identity of a file
    # changed within SETTLED_NS of its check, and would check the last files written again in the
    # first timed run.
    def check_index_written() -> None:
        time.sleep(SETTLED_NS / 1e9 + 0.5)
        subprocess.run(commands["check-one"][0], cwd=project.root, env=env, capture_output=True)

    check_index_written()
    for run in range(1, repeat + 1):
        for kind in RUN_ORDER:
            command, cwd = commands[kind]
            if kind in ("pmkb", "check"):  # cold: nothing kept from before but the check index
                _forget_all_but_the_check_index(project.root / ".cache" / "pmkb")
            if kind == "warm":  # what an author's next build finds: one postmortem changed
                edited.write_text(reload.edited(original, f"run {run}"), encoding="utf-8")
            if kind == "added":
                again = original.replace(title, f"{title} (again, run {run})", 1)
                added.write_text(again, encoding="utf-8")
            kind_env = env
            if kind == "ci":  # a new runner: the restored caches alone, and no key of its own
                edited.write_text(reload.edited(original, f"ci run {run}"), encoding="utf-8")
                home = ci_saved.parent / f"runner-{run}-{time.monotonic_ns()}"
                _ci_cache_restored(ci_saved, project.root / ".cache" / "pmkb")
                for checked_out in project.files:  # new times: its files' identities are new
                    os.utime(checked_out)
                kind_env = {**ci_env, "XDG_CACHE_HOME": str(home)}
            _set_aside(cwd / "site")  # what MkDocs would delete first (see TRASH)
            sample = measure(command, cwd, kind_env)
            added.unlink(missing_ok=True)
            if kind == "ci":  # (f) finds the check index as a pre-commit hook does: written since
                check_index_written()
            result.samples[kind].append(sample)
            log(
                f"N={n} run {run}/{repeat} {kind:8} {sample.seconds:7.2f} s wall "
                f"{sample.cpu:7.2f} s CPU {sample.peak_kib / 1024:7.1f} MiB "
                f"({sample.tree_kib / 1024:.1f} MiB all processes)"
            )
    edited.write_text(original, encoding="utf-8")
    if sizes and n == max(sizes):
        result.reload, result.first_build, result.rebuilds = _reloads(project, plain, edited, log)
    # One more build, not timed, for the size of the search index with incidents indexed in full.
    full = project.root / "mkdocs-full.yml"
    config = (project.root / "mkdocs.yml").read_text(encoding="utf-8")
    full.write_text(
        config.replace("search: compact", "search: full") + "site_dir: site-full\n",
        encoding="utf-8",
    )
    measure([mkdocs, "build", "--quiet", "-f", str(full)], project.root, env)
    log(f"N={n}: built once more with `search: full` for the index size")
    # One more build of each, with timers around MkDocs' steps: where a cold build's time goes.
    _forget_all_but_the_check_index(project.root / ".cache" / "pmkb")
    _set_aside(plain / "site", project.root / "site")
    for kind, root in (("baseline", plain), ("pmkb", project.root)):
        done = subprocess.run(
            [sys.executable, str(BENCH / "breakdown.py"), str(root)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        result.breakdown[kind] = json.loads(done.stdout.splitlines()[-1])
    log(f"N={n}: built each once more with timers for the breakdown")
    result.sites = {
        "baseline": site_figures(plain / "site"),
        "pmkb": site_figures(project.root / "site"),
        "pmkb-full": site_figures(project.root / "site-full"),
    }
    return result


# The results page.


def _s(value: float) -> str:
    return f"{value:.2f}"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def _bytes(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} MB"
    return f"{value / 1e3:.0f} kB"


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    met: bool | None  # None: not measured in this run
    cpu: str = "-"  # the same ratio on CPU time, where it applies


def targets(results: dict[int, SizeResult]) -> list[Target]:
    big, small = results.get(5000), results.get(1000)
    out: list[Target] = []

    def against_baseline(name: str, kind: str, limit: float) -> None:
        if not big:
            out.append(Target(name, "N=5000 not run", None))
            return
        ratio = big.seconds(kind) / big.seconds("baseline")
        cpu = big.cpu(kind) / big.cpu("baseline")
        out.append(Target(name, _x(ratio), ratio <= limit, _x(cpu)))

    against_baseline("cold build ≤ 1.0x baseline at N=5000", "pmkb", 1.0)
    against_baseline("cold build, one process (`workers: 0`), ≤ 1.1x baseline", "serial", 1.1)
    if big:
        cpu = big.cpu("pmkb") / big.cpu("baseline")
        out.append(Target("cold build CPU time ≤ 1.2x baseline at N=5000", _x(cpu), cpu <= 1.2))
    against_baseline("warm build (one postmortem edited) ≤ 0.5x the cold baseline", "warm", 0.5)
    against_baseline("warm build (one postmortem added) ≤ 0.5x the cold baseline", "added", 0.5)
    against_baseline("warm build on a new CI runner (c3) ≤ 0.5x the cold baseline", "ci", 0.5)
    if big and big.reload:
        ours = statistics.median(big.reload["pmkb --dirty"])
        plain = statistics.median(big.reload["baseline --dirty"])
        logged = [big.rebuilds.get(name) for name in ("pmkb --dirty", "baseline --dirty")]
        rebuilt = (
            f"; the rebuild alone, as the servers log it, {statistics.median(logged[0]):.2f} s "
            f"and {statistics.median(logged[1]):.2f} s"
            if logged[0] and logged[1]
            else ""
        )
        out.append(
            Target(
                "`serve --dirty`: save to page ≤ 2 s and ≤ plain MkDocs `--dirty` at N=5000",
                f"{ours:.2f} s (plain MkDocs {plain:.2f} s{rebuilt})",
                ours <= 2.0 and ours <= plain,
            )
        )
    else:
        out.append(Target("`serve --dirty`: save to page ≤ 2 s at N=5000", "not run", None))
    if big:
        one = big.seconds("check-one")
        out.append(Target("`pmkb check` of one file ≤ 0.3 s at N=5000", f"{one:.2f} s", one <= 0.3))
    for kind, what in (("pmkb", "build"), ("check", "check")):
        name = f"linear growth: {what} time at 5000 ≤ 5.5x time at 1000"
        if big and small:
            growth = big.seconds(kind) / small.seconds(kind)
            cpu = big.cpu(kind) / small.cpu(kind)
            out.append(Target(name, _x(growth), growth <= 5.5, _x(cpu)))
        else:
            out.append(Target(name, "needs N=1000 and N=5000", None))
    largest = results[max(results)]
    ratio = largest.seconds("check") / largest.seconds("floor")
    cpu = largest.cpu("check") / largest.cpu("floor")
    out.append(Target(f"check ≤ 2x the floor (N={largest.n})", _x(ratio), ratio <= 2, _x(cpu)))
    # Judged on the memory of all the command's processes where it can be sampled (Linux).
    tree = largest.tree_mib("baseline") > 0
    memory = largest.tree_mib if tree else largest.peak_mib
    ratio = memory("pmkb") / memory("baseline")
    what = "peak memory, all processes," if tree else "peak memory"
    out.append(Target(f"{what} ≤ 1.3x baseline (N={largest.n})", _x(ratio), ratio <= 1.3))
    if big:
        size = big.sites["pmkb"].index_bytes
        out.append(
            Target(
                "search index < 5 MB at N=5000 in compact mode",
                f"{_bytes(size)} ({_bytes(big.sites['pmkb'].index_gzip)} gzipped)",
                size < 5_000_000,
            )
        )
    else:
        out.append(Target("search index < 5 MB at N=5000 in compact mode", "N=5000 not run", None))
    return out


def report(
    results: dict[int, SizeResult], repeat: int, command: str, started: datetime, sources: list[str]
) -> str:
    sizes = sorted(results)
    rs = [results[n] for n in sizes]

    def row(label: str, cell: Callable[[SizeResult], str]) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in rs) + " |"

    def spread(kind: str) -> Callable[[SizeResult], str]:
        def cell(r: SizeResult) -> str:
            values = [s.seconds for s in r.samples[kind]]
            return _s(r.seconds(kind)) + (
                f" ({_s(min(values))}-{_s(max(values))})" if len(values) > 1 else ""
            )

        return cell

    lines = [
        "# Performance",
        "",
        "How pmkb scales to thousands of postmortems, measured against the best a team can do with",
        "plain MkDocs. This page is written by the benchmark itself; run it again to refresh it.",
        "",
        "## Targets",
        "",
        "Met or not met is judged on the wall-clock medians; the same ratio on CPU time (user +",
        "system), which other work on the machine disturbs much less, is shown beside it, and the",
        "results below give the build ratio run by run, to show how far the machine's drift moves it.",
        "",
        "| Target | Measured (wall clock) | Same ratio on CPU time | Result |",
        "| --- | --- | --- | --- |",
    ]
    for t in targets(results):
        result = "not measured" if t.met is None else "**met**" if t.met else "**not met**"
        lines.append(f"| {t.name} | {t.measured} | {t.cpu} | {result} |")
    header = "| | " + " | ".join(f"N = {n}" for n in sizes) + " |"
    lines += [
        "",
        "## Results",
        "",
        f"Times are the median wall-clock seconds of {repeat} run{'s' if repeat > 1 else ''} "
        "(fastest-slowest in brackets); memory figures are medians too.",
        "",
        header,
        "| --- |" + " --- |" * len(sizes),
        row("Postmortems (published + drafts)", lambda r: f"{r.published} + {r.drafts}"),
        row("Average file size", lambda r: f"{r.average_bytes / 1000:.1f} kB"),
        *(row(f"{LABELS[k]}, s", spread(k)) for k in KINDS),
        *(row(f"CPU time {k}, s", lambda r, k=k: _s(r.cpu(k))) for k in KINDS),
        row(
            "**pmkb build / baseline build**",
            lambda r: _x(r.seconds("pmkb") / r.seconds("baseline")),
        ),
        row(
            "pmkb / baseline build, run by run (each pmkb run right after its baseline run)",
            lambda r: " ".join(
                _x(b.seconds / a.seconds)
                for a, b in zip(r.samples["baseline"], r.samples["pmkb"], strict=True)
            ),
        ),
        row(
            "one process / baseline build, run by run (each one-process run right before its "
            "baseline run)",
            lambda r: " ".join(
                _x(b.seconds / a.seconds)
                for a, b in zip(r.samples["baseline"], r.samples["serial"], strict=True)
            ),
        ),
        row("**check / floor**", lambda r: _x(r.seconds("check") / r.seconds("floor"))),
        row("pmkb / baseline build, CPU time", lambda r: _x(r.cpu("pmkb") / r.cpu("baseline"))),
        row("check / floor, CPU time", lambda r: _x(r.cpu("check") / r.cpu("floor"))),
        *(
            row(
                f"Peak memory {k}, largest process (RSS), MiB",
                lambda r, k=k: f"{r.peak_mib(k):.0f}",
            )
            for k in KINDS
        ),
        *(
            row(
                f"Peak memory {k}, all its processes (PSS), MiB",
                lambda r, k=k: f"{r.tree_mib(k):.0f}",
            )
            for k in KINDS
        ),
        row(
            "**pmkb / baseline peak memory, all processes**",
            lambda r: (
                _x(r.tree_mib("pmkb") / r.tree_mib("baseline")) if r.tree_mib("baseline") else "-"
            ),
        ),
        row(
            "pmkb / baseline peak memory, largest process",
            lambda r: _x(r.peak_mib("pmkb") / r.peak_mib("baseline")),
        ),
        row(
            "Pages written (`.html` in `site/`): baseline / pmkb",
            lambda r: f"{r.sites['baseline'].pages} / {r.sites['pmkb'].pages}",
        ),
        row(
            "Site folder: baseline / pmkb",
            lambda r: f"{_bytes(r.sites['baseline'].bytes)} / {_bytes(r.sites['pmkb'].bytes)}",
        ),
        row(
            "`search/search_index.json` baseline (gzipped)",
            lambda r: (
                f"{_bytes(r.sites['baseline'].index_bytes)} ({_bytes(r.sites['baseline'].index_gzip)})"
            ),
        ),
        row(
            "`search/search_index.json` pmkb, compact (gzipped)",
            lambda r: (
                f"{_bytes(r.sites['pmkb'].index_bytes)} ({_bytes(r.sites['pmkb'].index_gzip)})"
            ),
        ),
        row(
            "`search/search_index.json` pmkb, full (gzipped)",
            lambda r: (
                f"{_bytes(r.sites['pmkb-full'].index_bytes)} ({_bytes(r.sites['pmkb-full'].index_gzip)})"
            ),
        ),
    ]
    if 1000 in results and 5000 in results:
        lines += [
            "",
            "### Growth from 1000 to 5000 postmortems",
            "",
            "| | Wall time at 5000 / at 1000 | CPU time at 5000 / at 1000 |",
            "| --- | --- | --- |",
        ]
        for kind in KINDS:
            lines.append(
                f"| {LABELS[kind]} | {_x(results[5000].seconds(kind) / results[1000].seconds(kind))} "
                f"| {_x(results[5000].cpu(kind) / results[1000].cpu(kind))} |"
            )
        lines.append("")
        lines.append("Perfectly linear growth is 5.00x; the target allows 5.5x.")
    largest = results[max(results)]
    if largest.reload:
        lines += [
            "",
            f"### Edit to reload (N = {largest.n})",
            "",
            "`mkdocs serve` running, one postmortem saved with a new sentence, the page polled "
            "until it shows it (`benchmarks/reload.py`): seconds from save to page, each save. "
            "First build: from starting the server to its first page. The builds timed above "
            "ran with `--quiet`, whose converted pages a server, logging at another level, does "
            "not take: the first server started (`pmkb --dirty`) converts every page, the next "
            "(`pmkb`) finds them converted. Each save is made once the server has ended the "
            "build before (its log says so), and a second after. Without `--dirty`, each save "
            "writes the whole site again into the server's temporary folder (under `TMPDIR`); "
            "where that is on disk, the disk's write-back of one rebuild's 145 MB slows the "
            "next, and the times grow from save to save (measured at 5,000 postmortems: each "
            "rebuild's page loop 6.6, 7.9, 9.4, 10.5 s; with `TMPDIR` on a RAM disk, 4.9, 5.0, "
            "4.9, 5.0 s).",
            "",
            "The server's own figure for each save's rebuild (its log's \"Documentation built "
            'in") is shown beside: it leaves out the wait for the watcher (up to half a second) '
            "and the page's fetch. MkDocs logs a message once, so a rebuild that took as long as "
            "an earlier one (to the hundredth) is missing there.",
            "",
            "| Server | First build | Seconds, each save | Median | Rebuild, each save (server's log) | Median |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, times in largest.reload.items():
            shown = " ".join(_s(t) for t in times)
            first = _s(largest.first_build[name]) if name in largest.first_build else "-"
            median = _s(statistics.median(times))
            built = largest.rebuilds.get(name, [])
            rebuilt = " ".join(_s(t) for t in built) or "-"
            rebuilt_median = _s(statistics.median(built)) if built else "-"
            lines.append(
                f"| `mkdocs serve`, {name} | {first} | {shown} | {median} | {rebuilt} "
                f"| {rebuilt_median} |"
            )
    if largest.breakdown:
        base, ours = largest.breakdown["baseline"], largest.breakdown["pmkb"]
        lines += [
            "",
            f"### Where the build's time goes (N = {largest.n})",
            "",
            "One more build of each project with timers around MkDocs' steps, pmkb's cold "
            "(`benchmarks/breakdown.py`; the timers add a little, so totals differ slightly from "
            "the timed runs).",
            "",
            "| Phase | baseline, s | pmkb, s | pmkb - baseline, s |",
            "| --- | --- | --- | --- |",
        ]
        for phase in ["total", *(p for p in ours if p != "total")]:
            a, b = base.get(phase, 0.0), ours[phase]
            lines.append(f"| {phase} | {_s(a)} | {_s(b)} | {b - a:+.2f} |")
        per_page = 1000 / largest.published  # milliseconds a published incident
        step, md, search = PHASES[0], PHASES[1], PHASES[3]
        lines += [
            "",
            f"Per published incident: pmkb's own step takes {ours[step] * per_page:.2f} ms "
            "(reading, checking, cross-referencing, and rendering all but the incident pages). "
            "Converting the incident pages (for the plain site in MkDocs' loop; with pmkb, as the "
            "theme builds each page, where pmkb also renders it) "
            f"takes {ours[md] * per_page:.2f} ms a page of the build's wall time against "
            f"{base[md] * per_page:.2f} ms for the same postmortem as a plain page. A pmkb incident "
            "page holds more: its header card, action items and related incidents, which pmkb writes "
            "as HTML and keeps out of the Markdown parser (see the reference's Serving section). "
            "Every page pmkb generates is also sanitized as HTML (nh3) once converted, and kept "
            "for the next build (converted, and finished). MkDocs renders the theme's templates "
            "and writes the pages in one process, as for a plain site; meanwhile worker processes "
            "(`workers` minus one) convert the incident pages ahead of the one being built, and "
            "the build's process converts a share itself. Reading and checking the postmortems "
            "uses one process per CPU, and so does making the listing, catalog, trend and export "
            "pages where the build forks (Linux). Search "
            f"indexing takes {_s(ours[search])} s against {_s(base[search])} s: in compact mode "
            "the search plugin reads a short entry for each incident instead of the whole page, "
            "so most of what remains is the service and factor pages.",
        ]
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("mkdocs", "mkdocs-material", "PyYAML", "pmkb")
    )
    lines += [
        "",
        "## How it was measured",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC.",
        f"- Machine: {os.cpu_count()} CPUs (`nproc`: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}), "
        f"{platform.system()} {platform.release()} on {platform.machine()}; Python {platform.python_version()}; {versions}.",
        f"- Command: `{command}`",
        f"- pmkb sources (SHA-256 of `plugins/pmkb`, first 12 digits): `{sources[0]}`"
        + (
            "."
            if len(set(sources)) == 1
            else f" at the start, `{sources[-1]}` at the end: **the sources changed during the run, "
            "so the figures mix versions; run it again.**"
        ),
        f"- Load average (1 min) before each command: median {statistics.median(LOADS):.1f}, "
        f"highest {max(LOADS):.1f} on {os.cpu_count()} CPUs; other work on the machine inflates times "
        "and their spread."
        if LOADS
        else "- Load average: not available.",
        f"- Time and the largest process's memory: {'`/usr/bin/time -v`' if GNU_TIME.exists() else 'a wrapper reading `getrusage(RUSAGE_CHILDREN)`'}; "
        "the memory of all of a command's processes together: their proportional set sizes (PSS, shared pages split "
        "among the processes that map them) summed every 50 ms from `/proc`; "
        "the commands of a size run in turn, A B C ... A B C ..., so machine drift hits all alike; "
        "each run starts with (d), then (a), then (b), so that both ratios to the baseline come from "
        "runs side by side.",
        "- Data: `benchmarks/generate.py` (seeded, reproducible) writes realistic postmortems of about 5 kB: "
        "services and factors from the example catalogs with a skewed distribution, 8-15 timeline entries, "
        "2-5 action items, dates over 2020-2026, about 3% drafts. Every file passes `pmkb check` without findings.",
        "- (a) Baseline: the same files as plain pages in `docs_dir`, front matter cut to the `title`, body as is; "
        "Material and `search`; the pages kept out of the navigation with `not_in_nav`, drafts left out with "
        "`draft_docs`; the same Markdown extensions as the pmkb project.",
        "- (b) pmkb: the generated project, `mkdocs build` with `search` and `pmkb` (option `search: compact`), "
        "its caches (`.cache/pmkb/`: converted and finished pages, checked postmortems) removed before each run; "
        "the machine has built before (its key for finished pages exists), so (b) writes finished pages, as an "
        "author's build does, where a CI runner's first build writes none. "
        "(c) warm: the same build right after (b), with (b)'s caches and one postmortem's summary changed. (c2) added: the same build once more, right after (c), with one postmortem added (the edited one's text under another title and file name), as a pull request that adds one brings; the file is taken out once measured. (c3) ci: (c) as a new CI runner runs it, one postmortem's summary changed: `PMKB_CACHE_KEY` set, a user cache folder of its own (no machine key), every postmortem file given new times as a fresh checkout has, and in `.cache/pmkb/` only the `pages/`, `postmortems-*`, `finished/` and `other-pages-*` of an untimed build with the same key before the runs, as the publish workflow `pmkb init` writes restores them. (d) serial: (b) with `workers: 0` and `cache_dir: ''`, run just before (a).",
        "- (e) `pmkb check` in the project folder, its checked postmortems removed before each run; (e2) the same "
        "right after (e), with what (e) kept; (f) `pmkb check` of the edited file alone, the check index written by one untimed run before; (g) `benchmarks/floor.py`: reads each file and parses the text "
        "between the `---` lines with `yaml.load(..., Loader=yaml.CSafeLoader)`, in its own Python process.",
        "- Edit to reload (`benchmarks/reload.py`): `mkdocs serve` on a free port; after its first build, "
        f"{RELOAD_EDITS} times: a new sentence written into one postmortem's summary, then its page fetched every 50 ms until it shows "
        "the sentence. The plain project's copy of the same file is edited for the baseline.",
        f"- Builds run with `mkdocs build --quiet` and `SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH}`; generated projects are in `benchmarks/work/`.",
        "- What a command finds removed (the site MkDocs deletes first, the caches of a cold run) is moved aside beforehand and deleted once everything is measured: on ext4 without a journal, each new file costs several times as much for minutes after many files were deleted, which no user's build follows.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pmkb against plain MkDocs, at scale.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000], metavar="N")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 postmortems, 1 run")
    parser.add_argument(
        "--output", type=Path, help="the results page (default docs/performance.md)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = [200], 1
    output = args.output or (
        WORK / "performance-quick.md" if args.quick else REPO / "docs" / "performance.md"
    )
    started = datetime.now(UTC)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    # pmkb's modules compiled to bytecode, as pip compiles MkDocs' on install: otherwise a
    # checkout run with PYTHONDONTWRITEBYTECODE compiles pmkb's source in every timed command.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "plugins" / "pmkb")], check=True
    )
    WORK.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    sources = [fingerprint()]
    sizes = tuple(sorted(set(args.sizes)))
    _empty_trash()  # left by a run that was stopped
    try:
        results = {n: run_size(n, args.repeat, args.seed, env, log, sizes) for n in sizes}
    finally:
        _empty_trash()
    sources.append(fingerprint())
    if sources[0] != sources[1]:
        log("warning: pmkb's sources changed during the run; the figures mix versions")
    python = Path(sys.executable)
    shown = python.relative_to(REPO).as_posix() if python.is_relative_to(REPO) else "python"
    command = shlex.join(
        [shown, "benchmarks/run.py", *sys.argv[1:]]
        if argv is None
        else [shown, "benchmarks/run.py", *argv]
    )
    page = report(results, args.repeat, command, started, sources)
    if output.exists():  # sections measured by other means stay, after the report
        _, marker, kept = output.read_text(encoding="utf-8").partition(KEPT)
        page = page.rstrip("\n") + "\n\n" + marker + kept if marker else page
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    log(f"wrote {output}")
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
