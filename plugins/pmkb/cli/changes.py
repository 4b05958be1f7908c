"""Which files changed since a git ref: for checking only a pull request's postmortems."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ..git import GitError, run_git
from ..paths import resolved

_FETCH_ALL = "fetch the history: `fetch-depth: 0` with actions/checkout"


def changed_since(ref: str, cwd: Path) -> tuple[list[Path], list[Path]]:
    """Files added, copied, modified, renamed or changed in type since `ref` (committed or not),
    and untracked files; and the files deleted since, a file renamed counted deleted under its
    old name.

    Changes are counted from the merge base of `ref` and HEAD, as a pull request's diff is: files
    changed on the base branch since the pull request's branch left it are not included.
    """
    top = Path(run_git(["rev-parse", "--show-toplevel"], cwd).rstrip("\r\n"))
    if not ref.strip() or ref.startswith("-"):
        raise GitError(f"`{ref}` is not a git ref")
    try:
        run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except GitError:
        raise GitError(
            f"`{ref}` is not a commit of this repository (in a shallow clone, {_FETCH_ALL})"
        ) from None
    try:
        base = run_git(["merge-base", ref, "HEAD"], cwd).strip()
    except GitError as exc:
        shallow = run_git(["rev-parse", "--is-shallow-repository"], cwd).strip() == "true"
        hint = f" (this clone is shallow: {_FETCH_ALL})" if shallow else ""
        raise GitError(f"no common ancestor of `{ref}` and HEAD: {exc}{hint}") from None
    # Without renames, a file renamed is its new name added and its old one deleted: a catalog
    # renamed away is gone for the check as a deleted one is. A file that changed type (`T`: a
    # postmortem made a link) counts as changed. `-z`: status and path alternate.
    diff = run_git(
        ["diff", "--name-status", "-z", "--no-renames", "--diff-filter=ACMDT", base, "--"], top
    ).split("\0")
    untracked = run_git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    changes = list(zip(diff[0::2], diff[1::2], strict=False))  # the last field is empty
    names = [name for status, name in changes if status != "D"] + untracked.split("\0")
    return _paths(top, names), _paths(top, [name for status, name in changes if status == "D"])


def _paths(top: Path, names: list[str]) -> list[Path]:
    """The files git names relative to `top`, sorted, without repeats."""
    # A link is named as itself, not as the file it leads to (which may not have changed).
    return sorted(
        {resolved((top / name).parent) / PurePosixPath(name).name for name in names if name}
    )
