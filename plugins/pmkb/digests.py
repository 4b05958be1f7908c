"""One way to tell whether what something is made from has changed: a digest of its parts."""

from __future__ import annotations

import os
from functools import cache
from hashlib import sha256
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


@cache
def code_digest() -> str:
    """A digest of pmkb's own files as installed (each one's name, size and modification time):
    what made a result kept between runs. The version number alone does not change while the
    code is edited in place (an editable install), and stale findings would go unnoticed."""
    return files_digest(Path(__file__).parent)


def files_digest(root: Path) -> str:
    """A digest of the files in the folder `root` and its folders, or of the file `root`: each
    one's name, size and modification time."""
    if root.is_file():
        found = root.stat()
        return digest(f"{root.name}:{found.st_size}:{found.st_mtime_ns}")
    parts: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            found = os.stat(os.path.join(folder, name))
            parts.append(
                f"{os.path.relpath(folder, root)}/{name}:{found.st_size}:{found.st_mtime_ns}"
            )
    return digest(*parts)
