"""The files of pmkb's pages that a `--dirty` build no longer makes.

MkDocs' `--dirty` writes over the site of the previous build and never takes a file out, so a
postmortem drafted, renamed or deleted would still be published at its old address: for a
postmortem withdrawn because of what it said, by the next `mkdocs gh-deploy --dirty` too. pmkb
knows which files it made at the previous build (`serve` remembers them; a one-off build keeps
them in `cache_dir`, one list for each site folder): those this build does not make are taken
out of the site, with the folders they leave empty. Files of the site's own pages follow
MkDocs' rule and are left alone. A one-off build keeps each page's title beside them: under
`--dirty`, MkDocs reads no page it does not build, and the navigation would show "None" for it
on every page it does.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from mkdocs.plugins import get_plugin_logger

from ..digests import digest
from ..kept import SITE_FILES, kept_files, remove_unused, write_kept
from ..paths import resolved

_FORMAT = 1
log = get_plugin_logger(__name__)


def taken_out(site_dir: Path, uris: Iterable[str]) -> set[str]:
    """Remove the files at `uris` (relative to `site_dir`, with forward slashes) and the folders
    inside `site_dir` that are left empty. Returned, and logged as a warning: those still there
    because the system refused (on Windows, a file another program has open), for the next build
    to take out; the page of a postmortem withdrawn must not stay published unnoticed."""
    root = resolved(site_dir)
    left: set[str] = set()
    for uri in sorted(uris):
        parts = uri.split("/")
        if ".." in parts or uri.startswith("/"):
            continue
        path = root.joinpath(*parts)
        # A file of the site's folders alone: the list is read back from cache_dir, where it may
        # be damaged (the site folder itself, a folder, a name the system refuses), and a folder
        # of the site may be a link out of it.
        try:
            if path.is_dir() or not resolved(path.parent).is_relative_to(root):
                continue
        except (OSError, ValueError):
            continue
        if not removed(path):
            left.add(uri)
            continue
        folder = path.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone): the folders above are not empty either
                break
            folder = folder.parent
    return left


def removed(path: Path) -> bool:
    """Remove the file `path` (gone already counts), or warn that it is still published."""
    try:
        path.unlink(missing_ok=True)
    except ValueError:  # a name no file can have (a damaged list): nothing there
        return True
    except OSError as exc:
        log.warning(
            f"{path} is no longer pmkb's to publish and could not be removed "
            f"({exc.strerror or exc}); the next build tries again"
        )
        return False
    return True


def folder_removed(folder: Path) -> bool:
    """Remove `folder` and all it holds (gone already counts), or warn that it is still there."""
    shutil.rmtree(folder, ignore_errors=True)
    if not folder.exists():
        return True
    log.warning(
        f"{folder} is no longer pmkb's to publish and could not be removed whole; "
        "the next build tries again"
    )
    return False


def _kept(cache_dir: Path, site_dir: Path) -> tuple[Path, str]:
    """Where what a build left in `site_dir` is kept, and the key it is kept under (the folder
    itself)."""
    folder = str(resolved(site_dir))
    return cache_dir / SITE_FILES.format(digest(folder)[:16]), folder


class Made(NamedTuple):
    """What the builds before left in a site folder (nothing known: nothing is taken out)."""

    own: set[str]  # the files pmkb's pages wrote at the last one
    titles: dict[str, str]  # the title of each page as it was last built
    faceted: bool  # whether the last one wrote the faceted search's index
    # When the last one ended, in ns: a page written since is no longer as the titles say.
    ended: int
    # Whether it ended with the site's search index whole: one stopped part way (killed, or a
    # plugin's error) may have left the theme's index of its pages alone, or half written.
    indexed: bool


def made_before(cache_dir: Path, site_dir: Path) -> Made:
    """What the builds before left in `site_dir`."""
    file, key = _kept(cache_dir, site_dir)
    found = kept_files(file, key, _FORMAT) or {}
    own, titles = found.get("own"), found.get("titles")
    if not (
        isinstance(own, list)
        and all(isinstance(uri, str) for uri in own)
        and isinstance(titles, dict)
        and all(isinstance(title, str) for title in titles.values())
    ):
        return Made(set(), {}, False, 0, False)
    ended = found.get("ended")
    ended = ended if isinstance(ended, int) else 0
    faceted, indexed = found.get("faceted") is True, found.get("indexed") is True
    return Made(set(own), titles, faceted, ended, indexed)


def keep_made(
    cache_dir: Path,
    site_dir: Path,
    own: Iterable[str],
    titles: dict[str, str],
    faceted: bool,
    ended: int | None = None,
) -> None:
    """Keep what this build left in `site_dir` for the next `--dirty` one: the files pmkb's pages
    wrote, the title of each page, whether it wrote the faceted search's index, and when it ended
    (None: now, with the site's search index whole; else it is under way). The lists of site
    folders gone, that no build has written for two weeks, go."""
    file, key = _kept(cache_dir, site_dir)
    made = {
        "own": sorted(own),
        "titles": dict(sorted(titles.items())),
        "faceted": faceted,
        "ended": time.time_ns() if ended is None else ended,
        "indexed": ended is None,
    }
    write_kept(file, key, _FORMAT, made)
    remove_unused(file, SITE_FILES.format("*"), _folder_there)


def _folder_there(kept: Path) -> bool:
    """Whether the site folder whose list is `kept` is still there: its next `--dirty` build
    needs the list, however long after the last (a postmortem withdrawn since would stay)."""
    try:
        key = json.loads(kept.read_bytes()).get("key")
    except (OSError, ValueError, AttributeError, RecursionError):
        return False
    return isinstance(key, str) and os.path.isabs(key) and os.path.isdir(key)
