"""One way to tell whether what something is made from has changed: a digest of its parts."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from functools import cache
from hashlib import blake2b, sha256
from pathlib import Path


def digest(*parts: str | bytes) -> str:
    """A digest of `parts`, in order. Each part is prefixed with its length, so that no two
    different lists of parts (`"ab", "c"` and `"a", "bc"`) have the same digest."""
    made = sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        made.update(len(data).to_bytes(8, "big"))
        made.update(data)
    return made.hexdigest()


def content_digest(data: bytes) -> bytes:
    """What a file's bytes are known by between runs: equal digests, equal bytes."""
    return _content_hash(data).digest()


def _content_hash(data: bytes = b"") -> blake2b:
    """The hash of `content_digest`, to be given more of a file's bytes as they are read."""
    return blake2b(data, digest_size=32)


@cache
def code_digest() -> str:
    """A digest of pmkb's own files as installed (each one's name and content): what made a
    result kept between runs. The version number alone does not change while the code is edited
    in place (an editable install), and stale findings would go unnoticed."""
    return files_digest(Path(__file__).parent)


def files_digest(root: Path, *, follow_links: bool = False, hidden: bool = True) -> str:
    """A digest of the files in the folder `root` and its folders, or of the file `root`: each
    one's name and content. Not their times: a CI runner checks the project out and installs
    its packages anew, every file with a new time, and would find nothing the last one kept.
    `follow_links`: folders reached through a link are looked in too (each real folder once);
    not `hidden`: files and folders whose name starts with a dot are left out. Only regular
    files are read: a named pipe would wait for a writer for ever."""
    if root.is_file():
        return digest(f"{root.name}:{_content_digest(str(root))}")
    parts = [
        f"{os.path.relpath(folder, root)}/{name}:{_content_digest(os.path.join(folder, name))}"
        for folder, name in files_in(root, follow_links=follow_links, hidden=hidden)
    ]
    return digest(*parts)


# What a file manager leaves in the folders it shows (macOS' Finder, Windows' Explorer): never
# anything a program reads, and a package folder opened in one would be a change.
_FOLDER_VIEWS = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def files_in(
    root: Path, *, follow_links: bool = False, hidden: bool = True
) -> Iterator[tuple[str, str]]:
    """The files in the folder `root` and its folders (`__pycache__` and the files a file
    manager leaves left out), as `files_digest` reads them: each one's folder and name, in name
    order."""
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=follow_links):
        if follow_links:
            real = os.path.realpath(folder)
            if real in seen:  # a link back up the tree, or a second way to one folder
                dirs[:] = []
                continue
            seen.add(real)
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and (hidden or d[:1] != "."))
        for name in sorted(f for f in files if (hidden or f[:1] != ".") and f not in _FOLDER_VIEWS):
            yield folder, name


# Per file read by `_content_digest`, its size and modification time then, and the digest of its
# content: read again only once either changed (`serve` asks at every rebuild).
_contents: dict[str, tuple[int, int, str]] = {}
_CHUNK = 1 << 20


def _content_digest(path: str) -> str:
    try:
        found = os.stat(path)
    except OSError:  # listed, and gone or a link to nothing (an editor's lock file, say)
        return "-"
    if not stat.S_ISREG(found.st_mode):
        return "special"  # a named pipe, a device: never opened
    known = _contents.get(path)
    if known is not None and known[:2] == (found.st_size, found.st_mtime_ns):
        return known[2]
    made_from = _content_hash()
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                made_from.update(chunk)
        made = made_from.hexdigest()
    except OSError:  # listed, not readable: known by its size and time alone
        made = f"{found.st_size}:{found.st_mtime_ns}"
    _contents[path] = (found.st_size, found.st_mtime_ns, made)
    return made
