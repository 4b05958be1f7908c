"""The files of pmkb's pages that a `serve --dirty` rebuild no longer makes.

MkDocs' `--dirty` writes over the site of the previous build and never takes a file out, so a
postmortem drafted, renamed or deleted would still be served at its old address. pmkb knows
which files it made at the previous build: those this build does not make are taken out of the
site, with the folders they leave empty. Files of the site's own pages follow MkDocs' rule and
are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def taken_out(site_dir: Path, uris: Iterable[str]) -> None:
    """Remove the files at `uris` (relative to `site_dir`, with forward slashes) and the folders
    inside `site_dir` that are left empty."""
    root = site_dir.resolve()
    for uri in sorted(uris):
        parts = uri.split("/")
        if ".." in parts or uri.startswith("/"):
            continue
        path = root.joinpath(*parts)
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone): the folders above are not empty either
                break
            folder = folder.parent
