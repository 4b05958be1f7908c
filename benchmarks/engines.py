"""Build times of the knowledge base on each site engine, at N synthetic postmortems.

    .venv/bin/python benchmarks/engines.py                 # N = 1000, 3 runs each
    .venv/bin/python benchmarks/engines.py --count 200 --repeat 1

generate.py writes a pmkb project of N postmortems to benchmarks/work/engines-N/project. Then,
each in its own processes and in turn (A B C D A B C D ...), so that drift of the machine hits all
of them alike:

  mkdocs+pmkb      `mkdocs build` of the project, with the plugin (this virtualenv);
  properdocs+pmkb  `properdocs build` of a copy whose mkdocs.yml is named properdocs.yml
                   (.engines/properdocs: properdocs, mkdocs-material and pmkb);
  generate+zensical  `pmkb generate --out OUT`, then `zensical build --clean` of OUT
                   (.engines/zensical; --clean drops Zensical's cache, so every build is cold);
  generate+mkdocs  `pmkb generate --out OUT`, then `mkdocs build` of OUT, no plugin.

Wall time is taken with time.perf_counter around each subprocess, CPU time (user + system, of the
build and its children) with getrusage(RUSAGE_CHILDREN); on a busy machine CPU time moves less.
The table gives the median of the runs, and for the two `generate` pipelines the median wall time
of each step as well. The engines'
virtualenvs are made as tests/test_engines.py makes them, when missing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from run import SOURCE_DATE_EPOCH

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "work"
ENGINES = REPO / ".engines"
BIN = Path(sys.executable).parent
PACKAGES = {
    "properdocs": ["properdocs", "mkdocs-material", "-e", str(REPO)],
    "zensical": ["zensical"],
}
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "DISABLE_MKDOCS_2_WARNING": "true",
    "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
}
KINDS = ("mkdocs+pmkb", "properdocs+pmkb", "generate+zensical", "generate+mkdocs")
LABELS = {
    "mkdocs+pmkb": "MkDocs 1.6 + pmkb plugin (`mkdocs build`)",
    "properdocs+pmkb": "ProperDocs + pmkb plugin (`properdocs build`)",
    "generate+zensical": "`pmkb generate` + Zensical (`zensical build --clean`)",
    "generate+mkdocs": "`pmkb generate` + MkDocs without the plugin (`mkdocs build`)",
}


def engine(name: str, command: str) -> Path:
    """The bin folder of the engine's virtualenv, installed when missing."""
    venv = ENGINES / name
    stamp = venv / ".pmkb-installed"
    wanted = " ".join(PACKAGES[name])
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / command).exists():
        return venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)
    ENGINES.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *PACKAGES[name]], check=True)
    stamp.write_text(wanted)
    return venv / "bin"


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + system, of the process and its children


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path) -> Sample:
    """Wall and CPU seconds of one command; a failing command stops the benchmark."""
    cpu = _cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed in {cwd}:\n{result.stdout}{result.stderr}")
    return Sample(seconds, _cpu() - cpu)


def runners(root: Path) -> dict[str, Callable[[], list[Sample]]]:
    """For each kind, a function that builds once and returns the seconds of each step."""
    project = root / "project"
    properdocs_bin = engine("properdocs", "properdocs")
    zensical_bin = engine("zensical", "zensical")
    pd_project = root / "properdocs"
    shutil.rmtree(pd_project, ignore_errors=True)
    shutil.copytree(project, pd_project, ignore=shutil.ignore_patterns("site"))
    (pd_project / "mkdocs.yml").rename(pd_project / "properdocs.yml")
    pmkb_generate = [str(BIN / "pmkb"), "generate"]

    def pipeline(out: Path, build: list[str]) -> list[Sample]:
        first = timed([*pmkb_generate, "--out", str(out)], project)
        return [first, timed(build, out)]

    return {
        "mkdocs+pmkb": lambda: [timed([str(BIN / "mkdocs"), "build", "--quiet"], project)],
        "properdocs+pmkb": lambda: [
            timed([str(properdocs_bin / "properdocs"), "build", "--quiet"], pd_project)
        ],
        "generate+zensical": lambda: pipeline(
            root / "zensical", [str(zensical_bin / "zensical"), "build", "--clean"]
        ),
        "generate+mkdocs": lambda: pipeline(
            root / "generated", [str(BIN / "mkdocs"), "build", "--quiet"]
        ),
    }


def report(count: int, repeat: int, samples: dict[str, list[list[Sample]]]) -> str:
    lines = [
        f"Build times at N = {count} synthetic postmortems (benchmarks/generate.py, seed 1), "
        f"median of {repeat} run{'s' if repeat != 1 else ''}, in seconds:",
        "",
        "| Engine | Wall time | CPU time | `pmkb generate` (wall) | Engine build (wall) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        runs = samples[kind]
        wall = statistics.median(sum(s.wall for s in run) for run in runs)
        cpu = statistics.median(sum(s.cpu for s in run) for run in runs)
        if len(runs[0]) == 2:
            steps = [f"{statistics.median(run[i].wall for run in runs):.1f}" for i in range(2)]
        else:
            steps = ["—", f"{wall:.1f}"]
        lines.append(f"| {LABELS[kind]} | {wall:.1f} | {cpu:.1f} | {steps[0]} | {steps[1]} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="how many postmortems")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build")
    args = parser.parse_args()
    root = WORK / f"engines-{args.count}"
    project = generate(root / "project", args.count)
    print(f"{len(project.files)} postmortems in {project.root}", file=sys.stderr)
    run = runners(root)
    samples: dict[str, list[list[Sample]]] = {kind: [] for kind in KINDS}
    for index in range(args.repeat):
        for kind in KINDS:
            steps = run[kind]()
            samples[kind].append(steps)
            wall, cpu = sum(s.wall for s in steps), sum(s.cpu for s in steps)
            print(f"run {index + 1} {kind}: {wall:.2f} s, CPU {cpu:.2f} s", file=sys.stderr)
    text = report(args.count, args.repeat, samples)
    (root / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
