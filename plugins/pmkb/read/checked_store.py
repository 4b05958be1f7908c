"""Checked postmortems kept between builds and `pmkb check` runs, for the files that did not change.

Reading and checking thousands of postmortems (front matter, sections, timestamps, blame
language) is most of what pmkb adds to a build before any page is made. The store keeps each
checked postmortem, findings and all, with the file's identity on disk (inode, size, modification
and change times, as the check index does: see there why an edit is never missed on Linux and
macOS, and why a fresh checkout trusts nothing it holds). As there, the identity is the one taken
before the file was read, kept only if the file had settled by then: an edit saved while the
file was being checked is never taken for what was checked. An entry is also only used under the
same key: the settings, the catalogs, the build date and the very code of pmkb that checked it.

A fresh checkout (a CI runner, a clone) gives every file a new identity. There, a file is known
by a digest of its bytes instead, which each entry also keeps; but only when the store is sealed
with the key of `cache_key` (this machine's, or the one given to the CI runners that share the
store): whoever can fill the cache folder (a pull request that commits one, say) could otherwise
have any file pass its checks, or a private postmortem published. An identity is no secret but
cannot be foretold, so entries known by it need no seal.

What is read is data, never code (JSON, each value's type checked as it is rebuilt): an entry
that does not rebuild is a file checked again, not an error.
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..digests import content_digest, digest
from ..findings import Finding, Level
from ..kept import (
    CHECKED_CHANGES,
    CHECKED_POSTMORTEMS,
    mark_used,
    remove_unused,
    sealed_files,
    write_kept,
)
from ..model import ActionItem, CustomValue, Postmortem
from .check_index import identity, settled
from .source import read_capped

FORMAT = 3  # 2: section titles in place of headings; 3: the digest of the bytes checked
# A run that changed at most this share of the entries writes only what runs changed since the
# store was written (beside it, `CHECKED_CHANGES`): after an edit to one postmortem of 5,000,
# writing them all again took 0.25 s of a build.
CHANGES_UP_TO = 1 / 8


@dataclass
class CheckedStore:
    """Per postmortem file (by its path as findings show it): its identity, the checked
    postmortem, as JSON, and the digest of the bytes checked (hexadecimal; None when it came
    from a store not sealed with `secret`)."""

    file: Path
    key: str
    entries: dict[str, list[Any]]
    secret: bytes | None = None  # what the store is sealed with when written
    # Whether entries may be known by their digest: all were read sealed with `secret`.
    by_content: bool = False
    changed: bool = False
    made: dict[str, list[Any]] = field(default_factory=dict)
    # The entries of `file` itself, without the changes written beside it.
    base: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, folder: Path, key: str, secret: bytes | None = None) -> CheckedStore:
        """The store for `key` in `folder`, sealed with `secret`. Each key has its own file: a
        build and `pmkb check` read the settings a little differently, and would otherwise undo
        each other's store."""
        return cls.read(folder / CHECKED_POSTMORTEMS.format(digest(key)[:16]), key, secret)

    @classmethod
    def read(cls, file: Path, key: str, secret: bytes | None = None) -> CheckedStore:
        """The store in `file`, or an empty one if it is missing, unreadable or for another key."""
        files, sealed = sealed_files(file, key, FORMAT, secret)
        if files is None:
            return cls(file, key, {}, secret)
        mark_used(file)  # not removed as another key's old store
        entries = dict(files)
        # Each entry holds its file's identity, so changes written beside another store than
        # this one (a run stopped between writing the two) only mean files checked again.
        changes, changes_sealed = sealed_files(_changes(file), key, FORMAT, secret)
        if changes is not None:
            sealed = sealed and changes_sealed
            mark_used(_changes(file))
            made, gone = changes.get("set"), changes.get("gone")
            if isinstance(made, dict) and isinstance(gone, list):
                for display in gone:
                    if isinstance(display, str):
                        entries.pop(display, None)
                entries.update(made)
        return cls(file, key, entries, secret, by_content=sealed, base=files)

    def get(self, path: Path, display: str) -> Postmortem | None:
        """The postmortem as checked before, if its file is unchanged (by its identity, or, in a
        sealed store, by its bytes) and the entry rebuilds."""
        entry = self.entries.get(display)
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        known = identity(path)
        if known is None or entry[0] != known:
            entry = self._by_content(path, display, entry, known)
            if entry is None:
                return None
        elif not self.by_content and entry[2] is not None:
            # Known by its identity alone: the digest beside it, never checked, is not sealed on
            # for a later run to know the file by.
            entry = [entry[0], entry[1], None]
        try:
            pm = _postmortem(entry[1], path, display)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        self.made[display] = entry
        return pm

    def _by_content(
        self, path: Path, display: str, entry: list[Any], known: list[int] | None
    ) -> list[Any] | None:
        """`entry` with the file's identity now, if the store may know files by their bytes and
        the file's are those checked: the next run knows it by its identity again."""
        if not self.by_content or known is None or not isinstance(entry[2], str):
            return None
        read_at = time.time_ns()  # after `known` was taken: see `record`
        data = read_capped(path, display, [])
        if data is None or content_digest(data).hex() != entry[2]:
            return None
        self.changed = True
        return [settled(known, read_at), entry[1], entry[2]]

    def record(self, pm: Postmortem, known: list[int] | None, read_at: int, checked: bytes) -> None:
        """Keep a freshly checked postmortem for the next run, with its file's identity `known`,
        taken before the file was read at `read_at` (none if the file had just changed), and
        `checked`, the `content_digest` of the bytes checked."""
        self.made[pm.display] = [settled(known, read_at), _data(pm), checked.hex()]
        self.changed = True

    def write(self) -> None:
        """Save what this run used and checked; the files gone are left out. A folder that
        cannot be written only means the next run checks more."""
        if not self.changed and self.made.keys() == self.entries.keys():
            return
        # What differs from the store's file: this run's changes, and those of the runs since
        # the file was written (an entry `get` took from the file is the file's very list).
        made = {display: e for display, e in self.made.items() if self.base.get(display) is not e}
        gone = [display for display in self.base if display not in self.made]
        if self.base and len(made) + len(gone) <= len(self.base) * CHANGES_UP_TO:
            changes = {"set": made, "gone": gone}
            write_kept(_changes(self.file), self.key, FORMAT, changes, self.secret)
            return
        if not write_kept(self.file, self.key, FORMAT, self.made, self.secret):
            return
        with suppress(OSError):
            _changes(self.file).unlink(missing_ok=True)
        # The stores of settings or dates no run has used for a while.
        remove_unused(self.file, CHECKED_POSTMORTEMS.format("*"))
        remove_unused(self.file, CHECKED_CHANGES.format("*"))


def _changes(file: Path) -> Path:
    """Where the changes to the store `file` since it was written are kept."""
    return file.with_name(file.name.removesuffix(".json") + ".changes")


def _data(pm: Postmortem) -> dict[str, Any]:
    return {
        "id": pm.id,
        "title": pm.title,
        "date": _day(pm.date),
        "severity": pm.severity,
        "status": pm.status,
        "services": list(pm.services),
        "factors": list(pm.factors),
        "authors": list(pm.authors),
        "times": [_time(getattr(pm, name)) for name in _TIMES],
        "action_items": [
            [a.title, a.owner, a.status, _day(a.due), a.link, a.line] for a in pm.action_items
        ],
        "body": pm.body,
        "body_line": pm.body_line,
        "section_titles": list(pm.section_titles),
        "summary": pm.summary,
        "findings": [
            [f.path, f.line, f.col, f.code, f.level.value, f.message] for f in pm.findings
        ],
        "kind": pm.kind,
        "visibility": pm.visibility,
        "reviewers": list(pm.reviewers),
        "reviewed": _day(pm.reviewed),
        "custom": [[name, *_custom(value)] for name, value in pm.custom],
    }


_TIMES = ("started", "detected", "mitigated", "resolved")


def _postmortem(data: dict[str, Any], path: Path, display: str) -> Postmortem:
    times = [_parsed_time(t) for t in data["times"]]
    if len(times) != len(_TIMES):
        raise ValueError("times")
    return Postmortem(
        id=_str(data["id"]),
        path=path,
        display=display,
        title=_str(data["title"]),
        date=_parsed_day(data["date"]),
        severity=_str(data["severity"]),
        status=_str(data["status"]),
        services=_strs(data["services"]),
        factors=_strs(data["factors"]),
        authors=_strs(data["authors"]),
        started=times[0],
        detected=times[1],
        mitigated=times[2],
        resolved=times[3],
        action_items=tuple(
            ActionItem(_str(t), _str(o), _str(s), _parsed_day(d), _str(k), _int(n))
            for t, o, s, d, k, n in data["action_items"]
        ),
        body=_str(data["body"]),
        body_line=_int(data["body_line"]),
        section_titles=tuple(_str(s) for s in data["section_titles"]),
        summary=_str(data["summary"]),
        findings=tuple(
            Finding(_str(p), _int(line), _int(col), _str(code), Level(level), _str(message))
            for p, line, col, code, level, message in data["findings"]
        ),
        kind=_str(data["kind"]),
        visibility=_str(data["visibility"]),
        reviewers=_strs(data["reviewers"]),
        reviewed=_parsed_day(data["reviewed"]),
        custom=tuple(
            (_str(name), _parsed_custom(kind, value)) for name, kind, value in data["custom"]
        ),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _strs(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError("not a list")
    return tuple(_str(v) for v in values)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parsed_day(value: object) -> date | None:
    return None if value is None else date.fromisoformat(_str(value))


def _time(value: datetime | None) -> str | None:
    # ISO 8601 keeps the offset as written (+02:00 stays +02:00), which pages show.
    return None if value is None else value.isoformat()


def _parsed_time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(_str(value))


def _custom(value: CustomValue) -> tuple[str, object]:
    if isinstance(value, tuple):
        return "list", list(value)
    if isinstance(value, date):
        return "date", value.isoformat()
    return type(value).__name__, value


def _parsed_custom(kind: object, value: object) -> CustomValue:
    if kind == "list":
        return _strs(value)
    if kind == "date":
        return date.fromisoformat(_str(value))
    if kind == "str":
        return _str(value)
    if kind == "int":
        return _int(value)
    if kind == "float" and isinstance(value, float):
        return value
    raise TypeError("not a custom field's value")
