"""Which files changed since a git ref: for checking only a pull request's postmortems."""

from __future__ import annotations

import subprocess
from pathlib import Path


class ChangesError(Exception):
    """git could not say what changed."""


def _git(args: list[str], cwd: Path) -> list[str]:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise ChangesError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise ChangesError(
            result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "git failed"
        )
    return [line for line in result.stdout.split("\0") if line]


def changed_since(ref: str, cwd: Path) -> list[Path]:
    """Files added, copied, modified or renamed since `ref` (committed or not), and untracked files."""
    top = Path(_git(["rev-parse", "--show-toplevel", "-z"], cwd)[0].strip())
    base = _git(["merge-base", ref, "HEAD", "-z"], cwd)[0].strip() if ref else ""
    changed = _git(["diff", "--name-only", "-z", "--diff-filter=ACMR", base or ref, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    return sorted({(top / name).resolve() for name in [*changed, *untracked]})
