"""The files a Markdown extension's settings name, for the conversion cache's key.

Some extensions read files their settings name, not the page: Material's emoji extension reads
the icons of the folders `custom_icons` lists into every page that shows one. The page's Markdown
and the settings stay the same when such a file changes, so the key covers the files too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from ..digests import files_digest, files_in

# The most files the folders named may hold together: a setting that names a large tree (a home
# folder, say) would cost every build the reading of it, and pages are then converted every time.
MOST_FILES = 10_000
_LONGEST = 1024  # characters: no setting naming a file is longer


class _Process:
    """What `named_files` found the first time this process asked, and whether it has found
    anything else since. Extensions keep what they read for the process's life, and Material
    for the whole process, whatever project it builds: its icon index, made once for the
    folders as the settings write them, and each icon once drawn."""

    def __init__(self) -> None:
        self.first: dict[str, str] | None = None
        self.changed = False


_process = _Process()


class TooManyFiles(Exception):
    """The settings name folders of more than MOST_FILES files."""


class ChangedHere(Exception):
    """What the settings name changed while this process ran: the texts that name what
    differs now (none, once it is as it was)."""


def named_files(settings: Mapping[str, object], folders: Mapping[str, Path]) -> dict[str, str]:
    """Per text in `settings` (nested in mappings and lists) naming a file or a folder, relative to
    one of `folders` (extensions read them from the working folder, or from mkdocs.yml's), or
    absolute: a digest of each file's name and content (`files_digest`, through links), by the
    folder's name in `folders` and the text as written.

    A folder that holds one of `folders` (`.`, `..`) is passed over: it is the project, whose
    postmortems every build reads anyway, and whose every edit would otherwise convert every page
    again. Files and folders whose name starts with a dot are left out, as Material's search for
    icons leaves them (an editor's swap file). Raises TooManyFiles past MOST_FILES, and
    ChangedHere once the answer has differed from the first this process gave, from then on
    (see `_Process`): a `serve` session would otherwise keep pages drawn with an old icon, or
    none, under the key of the new one, restored or not."""
    try:
        found = _read(settings, folders)
    except TooManyFiles as exc:
        # A state of its own: should the files later be fewer, Material may still hold these.
        with suppress(ChangedHere):
            _compared({"": f"more than {MOST_FILES} files: {exc}"})
        raise
    _compared(found)
    return found


def _compared(found: dict[str, str]) -> None:
    """Note what `named_files` found; raise ChangedHere once it has differed from the first."""
    first = _process.first
    if first is None:
        _process.first = found
    elif found != first:
        _process.changed = True
    if first is not None and _process.changed:
        differ = {
            key.partition(":")[2]
            for key in found.keys() | first.keys()
            if found.get(key) != first.get(key)
        }
        raise ChangedHere(", ".join(f"`{text}`" for text in sorted(differ) if text))


def _read(settings: Mapping[str, object], folders: Mapping[str, Path]) -> dict[str, str]:
    """What `named_files` answers, before it is compared."""
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
                made[path] = files_digest(path, follow_links=True, hidden=False)
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
    """How many files `path` is or holds, as `files_digest` reads them, counted up to one past
    `most`."""
    if not path.is_dir():
        return 1
    counted = 0
    for _ in files_in(path, follow_links=True, hidden=False):
        counted += 1
        if counted > most:
            break
    return counted
