"""Files pmkb keeps between runs in `cache_dir`: written whole, and read back as data."""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from hashlib import sha256
from pathlib import Path
from typing import Any

# What pmkb keeps in `cache_dir`, by name (`{}`: 16 hex digits of a digest of what the file is
# for): the check index, the checked postmortems of each key, the listing pages of each
# configuration, the files pmkb's pages wrote into each site folder, and the converted and the
# finished pages, a folder each. `is_kept` tells them
# from a team's own files, and `remove_unused` removes no other.
CHECK_INDEX = "checked.json"
CHECKED_POSTMORTEMS = "postmortems-{}.json"
CHECKED_CHANGES = "postmortems-{}.changes"  # what runs changed since theirs was written
OTHER_PAGES = "other-pages-{}"
OTHER_PAGES_BEFORE = "other-pages"  # the one file of earlier versions, for all configurations
SITE_FILES = "site-files-{}.json"
CONVERTED_PAGES = "pages"
FINISHED_PAGES = "finished"
# `write_whole`'s name for a file being written: its process, this run's token, its name. The
# token tells apart runs that share a process number: containers on one checkout each number
# their processes from 1. A forked process keeps its parent's token, and its own number.
_TEMPORARY = ".tmp-{}-{}-{}"
_RUN = secrets.token_hex(4)
_KEPT_FILES = re.compile(
    "|".join(
        re.escape(name).replace(re.escape("{}"), "[0-9a-f]{16}")
        for name in (CHECK_INDEX, CHECKED_POSTMORTEMS, CHECKED_CHANGES, OTHER_PAGES, SITE_FILES)
    )
)
# The start of a sealed file's first line, before its HMAC.
_SEALED = b"pmkb-sealed"
# `_TEMPORARY`'s names, and the name in each; also those without a token, of earlier versions.
_BEING_WRITTEN = re.compile(r"\.tmp-\d+-(?:[0-9a-f]{8}-)?(.*)")

# What pmkb keeps that no run has used for this long is removed: cache entries, and the files of
# settings or configurations no longer built.
UNUSED_FOR_SECONDS = 14 * 24 * 3600
# A file still being written this long after it was last written to was left by a run that
# stopped part way: writing one takes seconds.
ABANDONED_AFTER_SECONDS = 3600


def write_whole(path: Path, data: bytes | Iterable[bytes]) -> bool:
    """Write `data` (or its parts, one after the other, as they come) to `path` under another
    name, then rename it: a run stopped half way, or two runs at once, never leave a partial
    file under the real name. False when the folder cannot be written, which only means the
    next run does more."""
    temporary = being_written(path)
    written = False
    try:
        with temporary.open("wb") as out:
            for part in [data] if isinstance(data, bytes) else data:
                out.write(part)
        os.replace(temporary, path)
        written = True
    except OSError:  # on Windows, also: another run has the file open
        pass
    finally:
        if not written:  # failed, or stopped part way (Ctrl-C): nothing of it is left
            with suppress(OSError):
                temporary.unlink()
    return written


def being_written(path: Path, pid: int | None = None) -> Path:
    """The name `write_whole` in the process `pid` (by default, this one; else one it forked)
    writes `path` under."""
    return path.with_name(_TEMPORARY.format(os.getpid() if pid is None else pid, _RUN, path.name))


def written_under(name: str) -> str | None:
    """The name of the file that `write_whole` is (or was, if stopped) writing under the name
    `name` (one of `being_written`'s, of this version or an earlier one); None if it is not
    such a name."""
    found = _BEING_WRITTEN.fullmatch(name)
    return None if found is None else found.group(1)


def write_kept(
    file: Path, key: str, format_: int, files: dict[str, Any], secret: bytes | None = None
) -> bool:
    """Save per-file entries under `key`, as `kept_files` reads them back; with `secret`, sealed
    (a first line holding an HMAC of the rest under it), as `sealed_files` reads them back."""
    with suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
    # One call, then one write: `json.dump` to a file writes it piece by piece, slower.
    data = json.dumps({"format": format_, "key": key, "files": files}).encode("utf-8")
    if secret is not None:
        data = b"%s %s\n%s" % (_SEALED, _seal(secret, data).encode(), data)
    return write_whole(file, data)


def kept_files(file: Path, key: str, format_: int) -> dict[str, Any] | None:
    """The per-file entries a JSON file of `format_` keeps under `key`; None when it is missing,
    unreadable, of another format or for another key."""
    return sealed_files(file, key, format_, None)[0]


def sealed_files(
    file: Path, key: str, format_: int, secret: bytes | None
) -> tuple[dict[str, Any] | None, bool]:
    """As `kept_files`, and whether the file was sealed with `secret` (never without one)."""
    data = read_kept(file)
    if data is None:
        return None, False
    sealed = False
    if data.startswith(_SEALED + b" "):
        head, _, data = data.partition(b"\n")
        found = head[len(_SEALED) + 1 :]
        sealed = secret is not None and hmac.compare_digest(found, _seal(secret, data).encode())
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):  # nested past what Python reads
        return None, False
    if not (
        isinstance(parsed, dict)
        and parsed.get("format") == format_
        and parsed.get("key") == key
        and isinstance(parsed.get("files"), dict)
    ):
        return None, False
    files: dict[str, Any] = parsed["files"]
    return files, sealed


def read_kept(file: Path) -> bytes | None:
    """The bytes of `file`; None when it cannot be read or is not a regular file: a cache folder
    anyone fills can hold a named pipe, or a link to /dev/zero, which would be waited on for
    ever, or fill the memory."""
    try:
        with open(file, "rb", opener=_without_waiting) as kept:
            return kept.read() if stat.S_ISREG(os.fstat(kept.fileno()).st_mode) else None
    except OSError:
        return None


def _without_waiting(path: str, flags: int) -> int:
    """Open as `open` asks, without waiting for a named pipe's writer."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _seal(secret: bytes, data: bytes) -> str:
    return hmac.new(secret, data, sha256).hexdigest()


def mark_used(kept: Path) -> None:
    """Record that a run used `kept` (read it and found it valid): `remove_unused` leaves it."""
    with suppress(OSError):
        os.utime(kept)


def remove_unused(
    kept: Path, others: str, needed: Callable[[Path], bool] = lambda other: False
) -> None:
    """Remove the files beside `kept` named like `others` (a glob pattern) that no run has used
    (written, or read: `mark_used`) for UNUSED_FOR_SECONDS: those of settings or configurations
    gone. A file `needed` says is still needed stays, however old. And any of pmkb's files that a
    run stopped part way through writing (`write_whole`) left behind."""
    now = time.time()
    for other in kept.parent.glob(others):
        # Only names pmkb gives: a cache folder inside the postmortems folder may hold a team's
        # `other-pages-outage.md`.
        if not _named_as_kept(other.name):
            continue
        with suppress(OSError):
            if (
                other != kept
                and other.stat().st_mtime < now - UNUSED_FOR_SECONDS
                and not needed(other)
            ):
                other.unlink()
    # What a run killed while it wrote (the machine stopped, `kill -9`) left under the name
    # `write_whole` writes under, of any of these files: nothing else ever removes it.
    for other in kept.parent.glob(".tmp-*"):
        written = written_under(other.name)
        if written is None or not _named_as_kept(written):
            continue
        with suppress(OSError):
            if other.stat(follow_symlinks=False).st_mtime < now - ABANDONED_AFTER_SECONDS:
                other.unlink()


def _named_as_kept(name: str) -> bool:
    return _KEPT_FILES.fullmatch(name) is not None or name == OTHER_PAGES_BEFORE


def is_kept(path: Path, cache: Path) -> bool:
    """Whether the file `path` is one pmkb keeps in its cache folder `cache` (or is writing)."""
    if path.parent == cache:
        return _KEPT_FILES.fullmatch(written_under(path.name) or path.name) is not None
    return path.is_relative_to(cache / CONVERTED_PAGES) or path.is_relative_to(
        cache / FINISHED_PAGES
    )
