"""The files a Markdown extension's settings name, for the conversion cache's key.

Some extensions read files their settings name, not the page: Material's emoji extension reads
the icons of the folders `custom_icons` lists into every page that shows one. The page's Markdown
and the settings stay the same when such a file changes, so the key covers the files too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..digests import files_digest

# The most files the folders named may hold together: a setting that names a large tree (a home
# folder, say) would cost every build the reading of it, and pages are then converted every time.
MOST_FILES = 10_000
_LONGEST = 1024  # characters: no setting naming a file is longer

# Per file or folder named, its digest when this process first read it (see `named_files`).
_first_read: dict[str, str] = {}


class TooManyFiles(Exception):
    """The settings name folders of more than MOST_FILES files."""


class ChangedHere(Exception):
    """A file the settings name changed while this process ran."""


def named_files(settings: Mapping[str, object], folders: Mapping[str, Path]) -> dict[str, str]:
    """Per text in `settings` (nested in mappings and lists) naming a file or a folder, relative to
    one of `folders` (extensions read them from the working folder, or from mkdocs.yml's), or
    absolute: a digest of each file's name and content (`files_digest`, through links), by the
    folder's name in `folders` and the text as written.

    A folder that holds one of `folders` (`.`, `..`) is passed over: it is the project, whose
    postmortems every build reads anyway, and whose every edit would otherwise convert every page
    again. Raises TooManyFiles past MOST_FILES, and ChangedHere when what a file or folder holds
    differs from when this process first read it: an extension may keep what it read then for
    as long as the process runs (Material keeps the icons, and a `serve` session would store
    pages showing the old icon under the new key)."""
    bases = {name: Path(os.path.abspath(folder)) for name, folder in folders.items()}
    found: dict[str, str] = {}
    made: dict[Path, str] = {}  # each file or folder once, however many texts lead to it
    counted = 0
    for text in sorted(_texts(settings)):
        for name, base in sorted(bases.items()):
            path = Path(os.path.abspath(base / text))
            if path not in made:
                try:
                    if not path.exists() or any(_holds(path, each) for each in bases.values()):
                        continue
                except OSError:  # a name the system refuses, or a folder not to be looked in
                    continue
                counted += _count(path, MOST_FILES - counted)
                if counted > MOST_FILES:
                    raise TooManyFiles(text)
                made[path] = files_digest(path, follow_links=True)
                if _first_read.setdefault(str(path), made[path]) != made[path]:
                    raise ChangedHere(text)
            found[f"{name}:{text}"] = made[path]
    return found


def _texts(value: object, depth: int = 0) -> set[str]:
    if depth > 20:
        return set()
    if isinstance(value, str):
        plain = value and len(value) <= _LONGEST and not any(c in value for c in "\0\n\r")
        return {value} if plain else set()
    if isinstance(value, Mapping):
        return set().union(*(_texts(v, depth + 1) for v in value.values()))
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(_texts(v, depth + 1) for v in value))
    return set()


def _holds(folder: Path, other: Path) -> bool:
    return folder == other or folder in other.parents


def _count(path: Path, most: int) -> int:
    """How many files `path` is or holds (through links, each real folder once), counted up to
    one past `most`."""
    if not path.is_dir():
        return 1
    counted = 0
    seen: set[str] = set()
    for folder, dirs, files in os.walk(path, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        counted += len(files)
        if counted > most:
            break
    return counted
