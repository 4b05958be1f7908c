"""Asking git about the repository the knowledge base is in (`pmkb check --changed-since`).

Git runs in a folder a pull request fills. A folder holding `HEAD`, `objects/` and `refs/` is a
bare repository to git, whose own `config` can name a command (`core.fsmonitor`) that git runs:
git is told to take no bare repository it finds by itself (git 2.38 and later) and to run no
such monitor. It is run by its full path from `PATH`'s absolute folders, never from the working
folder (where Windows looks first), with no input and a time limit.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    """git could not answer: not installed, not a repository, or the command failed."""


# Before every command: no bare repository found by looking (one a pull request commits), no
# file-system monitor (a command a repository's configuration names). Empty, not `false`: before
# git 2.36 the setting was the path of a program, and `false` one to look for on PATH.
_SAFE = ("-c", "safe.bareRepository=explicit", "-c", "core.fsmonitor=")
TIMEOUT_SECONDS = 60


def run_git(args: list[str], cwd: Path) -> str:
    """The standard output of `git <args>` run in `cwd`; GitError with git's message on failure."""
    program = _program()
    if program is None:
        raise GitError("cannot run git: it is not on PATH")
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(
            [program, *_SAFE, *args],
            cwd=cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=environment,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {args[0]}` did not answer in {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        # The cause, not the hint after it (`git config --global --add safe.directory …`).
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        raise GitError((fatal or lines)[-1] if lines else f"`git {args[0]}` failed")
    # Git writes paths as UTF-8 on every platform, not in Windows' code page, which decoding as
    # text would use. Bytes that are not UTF-8 (a POSIX name in another encoding) are kept as
    # Python keeps such file names, so that the file can still be opened.
    return result.stdout.decode("utf-8", "surrogateescape")


def _program() -> str | None:
    """git's full path, from the absolute folders of PATH: a relative one (or, on Windows, the
    working folder, which the system searches first for a bare name) is the repository's."""
    name = "git.exe" if os.name == "nt" else "git"
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isabs(folder):
            continue
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None
