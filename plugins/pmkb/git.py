"""Asking git about the repository the knowledge base is in."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """git could not answer: not installed, not a repository, or the command failed."""


def run_git(args: list[str], cwd: Path) -> str:
    """The standard output of `git <args>` run in `cwd`; GitError with git's message on failure."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"`git {args[0]}` failed")
    # Git writes paths as UTF-8 on every platform, not in Windows' code page, which decoding as
    # text would use. Bytes that are not UTF-8 (a POSIX name in another encoding) are kept as
    # Python keeps such file names, so that the file can still be opened.
    return result.stdout.decode("utf-8", "surrogateescape")


def committed(folder: Path) -> set[str]:
    """The names of the files directly in `folder` that git tracks (committed or staged); none
    when git is not installed or `folder` is in no repository."""
    try:
        listed = run_git(["ls-files", "-z", "--", "."], folder)
    except GitError:
        return set()
    return {name for name in listed.split("\0") if name and "/" not in name}
