"""What checking one postmortem needs to know of all the others, kept between `pmkb check` runs.

Checking one file (a pre-commit hook, an editor) must still see every other file's id, for ids
used twice and pages that would be one file of the site. Reading and checking thousands of files
for that took seconds. The index keeps each file's id, status and whether it is withheld, with
the file's identity on disk (inode, size, modification and change times): a file whose identity
changed is read and checked again. On Linux and macOS the change time is set by the system on
every write and no tool can set it back, so an edit is never missed; on Windows that field is the
creation time, and an edit that keeps a file's size and sets its modification time back would go
unseen until the file changes again. A fresh checkout (CI) has new times and starts from scratch,
so an index committed to the repository is never trusted there either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..findings import finding
from ..kept import kept_files, write_kept
from ..model import Postmortem

FORMAT = 1
# A file changed less than this before it was read may change again within the same tick of the
# file system's clock and keep its identity (git's "racily clean" files): it is not known by its
# identity, and the next run reads it again.
SETTLED_NS = 2_000_000_000
K = TypeVar("K", bound=Sequence[int])  # a file's identity, as a list or a tuple


def identity(path: Path) -> list[int] | None:
    """A file's identity on disk: what changes whenever its content can have changed."""
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def settled(known: K | None, read_at: int) -> K | None:
    """A file's identity `known`, taken before it was read at `read_at` (`time.time_ns()`), if
    the file was last changed long enough before that the identity can stand for what was read;
    None if not, or if there was none."""
    if known is None or read_at - max(known[2], known[3]) <= SETTLED_NS:
        return None
    return known


@dataclass
class CheckIndex:
    """Per postmortem file (by its path as findings show it): its identity, id and standing."""

    file: Path
    key: str  # what else the entries depend on: the settings, pmkb's version
    entries: dict[str, list[object]]
    changed: bool = False

    @classmethod
    def read(cls, file: Path, key: str) -> CheckIndex:
        """The index in `file`, or an empty one if it is missing, unreadable or for another key."""
        return cls(file, key, kept_files(file, key, FORMAT) or {})

    def stub(self, path: Path, display: str) -> Postmortem | None:
        """The postmortem as far as other files' checks need it, if the file is unchanged."""
        entry = self.entries.get(display)
        if not (isinstance(entry, list) and len(entry) == 4):
            return None
        known, ident, status, withheld = entry
        if (
            known != identity(path)
            or not isinstance(ident, str)
            or not isinstance(status, str)
            or not isinstance(withheld, bool)
        ):
            return None
        return Postmortem(
            id=ident,
            path=path,
            display=display,
            title="",
            date=None,
            severity="",
            status=status,
            services=(),
            factors=(),
            # Only its code is read: a body too costly to convert keeps the file off the site.
            findings=(finding(display, 1, 1, "PMK015", "withheld"),) if withheld else (),
        )

    def record(self, pm: Postmortem, known: list[int] | None, read_at: int) -> None:
        """Keep what a full check of `pm` found, for the next run: its file's identity `known`,
        taken before the file was read at `read_at`, or none if the file had just changed."""
        self.keep(pm, settled(known, read_at))

    def keep(self, pm: Postmortem, known: list[int] | None) -> None:
        """Keep what checking `pm` found, with the identity its check stands for (settled, see
        `record`; None: none)."""
        withheld = any(f.code == "PMK015" for f in pm.findings)
        entry: list[object] = [known, pm.id, pm.status, withheld]
        if self.entries.get(pm.display) != entry:
            self.entries[pm.display] = entry
            self.changed = True

    def write(self, displays: set[str]) -> None:
        """Save the index, without the files that are gone; a folder that cannot be written
        only means the next run reads more."""
        gone = [d for d in self.entries if d not in displays]
        for display in gone:
            del self.entries[display]
        if not (self.changed or gone):
            return
        write_kept(self.file, self.key, FORMAT, self.entries)
