"""Whether a change to pmkb changes any page: the same sites built before and after, compared.

    .venv/bin/python benchmarks/same_pages.py                 # against HEAD
    .venv/bin/python benchmarks/same_pages.py --base main~3   # against any revision
    .venv/bin/python benchmarks/same_pages.py --count 1000    # the synthetic site's size

Builds the example knowledge base and a synthetic one (benchmarks/generate.py, seed 1) twice:
with pmkb as it is at `--base` (checked out with `git worktree` under benchmarks/work/) and with
the working tree, each in its own `mkdocs build` with the same SOURCE_DATE_EPOCH. Then it runs
`diff -r` on the two outputs of each site and exits 1 if any file differs. For refactors that
must change no page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "work" / "same-pages"
SOURCE_DATE_EPOCH = "1795564800"  # 2026-11-25


def _build(project: Path, plugins_dir: Path, out: Path) -> None:
    # pmkb is imported from `plugins_dir`, ahead of the installed copy; the rest is the venv's.
    env = {
        **os.environ,
        "PYTHONPATH": str(plugins_dir),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "NO_MKDOCS_2_WARNING": "1",
    }
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(out)]
    subprocess.run(command, cwd=project, env=env, check=True)


def _example(dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(REPO / "mkdocs.yml", dest / "mkdocs.yml")
    for folder in ("docs", "postmortems"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="the revision to compare with")
    parser.add_argument("--count", type=int, default=1000, help="postmortems in the synthetic site")
    args = parser.parse_args()
    base = WORK / "base"
    if base.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)
        shutil.rmtree(base, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(base), args.base], cwd=REPO, check=True
    )
    try:
        projects = {
            "example": _example(WORK / "example"),
            f"synthetic-{args.count}": generate(WORK / f"synthetic-{args.count}", args.count).root,
        }
        differ = False
        for name, project in projects.items():
            before, after = WORK / f"{name}.before", WORK / f"{name}.after"
            _build(project, base / "plugins", before)
            _build(project, REPO / "plugins", after)
            result = subprocess.run(["diff", "-r", "-q", str(before), str(after)], check=False)
            print(f"{name}: {'the same' if result.returncode == 0 else 'DIFFERENT'}")
            differ |= result.returncode != 0
        return 1 if differ else 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)


if __name__ == "__main__":
    sys.exit(main())
