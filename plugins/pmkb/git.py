"""Asking git about the repository the knowledge base is in.

Git runs in folders a pull request can fill. A folder holding `HEAD`, `objects/` and `refs/` is a
bare repository to git, whose own `config` can name a command (`core.fsmonitor`) that `git
ls-files` runs: git is told to take no bare repository it finds by itself and to run no such
monitor. It is run by its full path from `PATH`'s absolute folders, never from the working
folder (where Windows looks first), with no input and a time limit, and its messages in English,
which `tracked` reads.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    """git could not answer: not installed, not a repository, or the command failed."""


class GitMissing(GitError):
    """git is not installed."""


# Before every command: no bare repository found by looking (one a pull request commits), no
# file-system monitor (a command a repository's configuration names).
_SAFE = ("-c", "safe.bareRepository=explicit", "-c", "core.fsmonitor=false")
TIMEOUT_SECONDS = 60
# What tells git where the repository is, instead of the folder it runs in.
_LOCATING = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def run_git(args: list[str], cwd: Path, *, located: bool = True) -> str:
    """The standard output of `git <args>` run in `cwd`; GitError with git's message on failure.
    `located=False`: the repository is the one `cwd` is in, whatever the environment says."""
    program = _program()
    if program is None:
        raise GitMissing("cannot run git: it is not on PATH")
    environment = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_OPTIONAL_LOCKS": "0"}
    if not located:
        for name in _LOCATING:
            environment.pop(name, None)
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
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"`git {args[0]}` failed")
    # Git writes paths as UTF-8 on every platform, not in Windows' code page, which decoding as
    # text would use. Bytes that are not UTF-8 (a POSIX name in another encoding) are kept as
    # Python keeps such file names, so that the file can still be opened.
    return result.stdout.decode("utf-8", "surrogateescape")


def _program() -> str | None:
    """git's full path, from the absolute folders of PATH: a relative one (or, on Windows, the
    working folder, which the system searches first for a bare name) is the repository's."""
    names = ("git.exe", "git") if os.name == "nt" else ("git",)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isabs(folder):
            continue
        for name in names:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def tracked(folder: Path, root: Path) -> int:
    """How many files git tracks in `folder` (the folder itself counted, should it be a link),
    asked from `root`, the project's folder: 0 when git is not installed or the folder is in no
    repository. GitError when git cannot tell (the project's repository belongs to another user,
    say, or a link on the way)."""
    try:
        inside = os.path.relpath(folder, root)
    except ValueError:  # Windows: on another drive
        inside = os.pardir
    # From the project's folder, so that a link on the way is seen; a folder outside it is asked
    # about from itself.
    outside = inside == os.pardir or inside.startswith(os.pardir + os.sep)
    cwd, spec = (folder, ".") if outside else (root, inside)
    try:
        listed = run_git(["ls-files", "-z", "--", spec], cwd, located=False)
    except GitMissing:
        return 0
    except GitError as exc:
        if "not a git repository" in str(exc):
            return 0
        raise
    return sum(1 for name in listed.split("\0") if name)
