"""Paths as the file system leads them."""

from __future__ import annotations

import os
from pathlib import Path


def resolved(path: Path | str) -> Path:
    """`path` made absolute with every link on the way followed, as `resolved(Path)` makes it,
    but never raising for a link that leads back to itself (a loop, which any pull request can
    add): before Python 3.13, `resolve()` raises RuntimeError there, where `os.path.realpath`,
    which it wraps, stops at the loop."""
    return Path(os.path.realpath(path))
