"""Pages' converted HTML kept on disk between builds, found by what the HTML depends on.

A generated page whose Markdown, conversion settings and site files are those of an earlier build
is not converted again: its HTML, table of contents, anchors and the messages its conversion logged
come from the cache. The entry's name is the digest of all it depends on, so an entry is either
right or never found. What is read is checked (its own name, and an HMAC of its content under the
key of `cache_key`: this machine's, or the one CI runners are given) and anything else is a miss,
never an error: the cache is a folder anyone can write to (a pull request can commit a pack past
`.gitignore`), and an entry it did not seal would have a page show what the diff of its
postmortem does not. The HTML read from it is sanitized like freshly converted HTML all the same.
"""

from __future__ import annotations

import hmac
import importlib.util
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import cache, cached_property, partial
from hashlib import sha256
from importlib import metadata
from itertools import chain
from pathlib import Path
from types import CellType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any, BinaryIO, NamedTuple

from markdown.util import get_installed_extensions
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from ..digests import code_digest, digest, files_digest
from ..kept import ABANDONED_AFTER_SECONDS, UNUSED_FOR_SECONDS, write_whole, written_under
from .named_files import MOST_FILES, ChangedHere, TooManyFiles, named_files
from .watched_files import Lookup, WatchedFiles, same_answers

# Bumped whenever what an entry holds, or how it is read, changes.
FORMAT = (
    b"pmkb-conversion-cache 5\n"  # 2: the HTML after a line of JSON; 3: search entries; 4: look-ups;
    # 5: packs open with a sealed header
)
# What a pack's first entry holds: this line, then the pack's seal (see `ConversionCache.header`).
HEADER = b"pmkb-pack\n"
# Extensions whose output depends on files other than the page: their pages are always converted.
READS_OTHER_FILES = frozenset(
    {"pymdownx.snippets", "pymdownx.b64", "markdown_include.include", "mdx_include"}
)
# A pack's name: when it was made (nanoseconds, 16 hex digits), its process, and a random part.
PACK = "{:016x}-{}-{}.pack"
_PACK = re.compile(r"[0-9a-f]{16}-\d+-[0-9a-f]+\.pack")
_LEGACY = re.compile(r"[0-9a-f]{62}")  # an entry of an earlier version, in its shard folder
# An entry read from a pack older than this is written again into the build's own pack, so
# that the clean-up, which removes packs by when they were made, keeps it.
REFRESHED_AFTER_SECONDS = UNUSED_FOR_SECONDS // 2
# The clean-up makes one pack of the packs smaller than this, when there are this many of them:
# a build after a build writes a small one, and each is a file to open.
MERGED_BELOW = 16 * 1024 * 1024
MERGED_FROM = 8
OPEN_PACKS = 32  # the most packs a build keeps open to read from at once
CLEANED_EVERY_SECONDS = 24 * 3600
CLEANED = ".cleaned"  # the file whose modification time says when the folder was last looked over
# The file a build makes to look the folder over alone: two at once (a build while `serve` stops,
# CI jobs on one cache) each merged the same packs, and the second wrote what it found of them.
CLEANING = ".cleaning"
# The distributions whose versions can change how Markdown is converted, and their top-level
# packages; any other code an extension brings is known by its files (see `extension_code`).
CONVERTERS = ("pmkb", "mkdocs", "markdown", "pymdown-extensions", "mkdocs-material", "pygments")
_VERSIONED = frozenset({"pmkb", "mkdocs", "markdown", "pymdownx", "material", "pygments"})


class Unstable(Exception):
    """A setting has no form that stays the same from one build to the next; `level`: how loud
    the build says so (what a user would not expect, at info)."""

    def __init__(self, message: str, level: int = logging.DEBUG) -> None:
        super().__init__(message)
        self.level = level


@dataclass(frozen=True)
class Converted:
    """What converting one page's Markdown gave, besides the Markdown itself."""

    html: str
    toc: list[dict[str, Any]]  # the table of contents as nested AnchorLink attributes
    anchors: list[str]  # the ids a link can point to on the page
    links: dict[str, dict[str, str]] | None  # links to other pages' anchors, by page src_uri
    records: list[tuple[str, int, str]]  # what the conversion logged: logger, level, message
    # The site's files the conversion looked up, with their answers (see watched_files): the
    # entry is for a site whose files answer them alike.
    lookups: list[Lookup]
    # A finished page's front matter (see FinishedPages); a converted page has none.
    front_matter: str | None = None
    # A finished page's compact search entry, if the site has them: made from what the page is.
    search: str | None = None

    def table_of_contents(self) -> TableOfContents:
        """The page's table of contents, as the conversion made it."""
        return TableOfContents([_anchor(item) for item in self.toc])


def converted_page(
    html: str, page: Page, records: list[tuple[str, int, str]], lookups: list[Lookup]
) -> Converted:
    """What converting `page` to `html` gave (what it logged, the files it looked up), as the
    conversion cache keeps it."""
    links = page.links_to_anchors
    return Converted(
        html,
        toc_items(page.toc),
        sorted(page.present_anchor_ids or ()),
        None if links is None else {target.src_uri: dict(found) for target, found in links.items()},
        records,
        lookups,
    )


def finished_page(converted: Converted, html: str, finishing: Finishing) -> Converted:
    """The page `converted` (the conversion cache's entry) as a finished page: its `html` with
    pmkb's blocks in, sanitized, and what `finishing` adds. The rest is the conversion's, made
    once for both entries."""
    return replace(
        converted, html=html, front_matter=finishing.front_matter, search=finishing.search
    )


class Finishing(NamedTuple):
    """What a finished page's entry needs besides the conversion: its name, the page's front
    matter and its compact search entry (None without one)."""

    key: str
    front_matter: str
    search: str | None


def toc_items(toc: Iterable[AnchorLink]) -> list[dict[str, Any]]:
    """A table of contents as plain data: what MkDocs makes each entry of. Whatever a plugin adds
    to an entry later (Material's typeset plugin: HTML its theme writes as it is) is added again
    by that plugin in each build, and never comes from the cache."""
    return [
        {
            "title": link.title,
            "id": link.id,
            "level": link.level,
            "children": toc_items(link.children),
        }
        for link in toc
    ]


def _anchor(item: Mapping[str, Any]) -> AnchorLink:
    link = AnchorLink(item["title"], item["id"], item["level"])
    link.children = [_anchor(child) for child in item["children"]]
    return link


class ConversionCache:
    """A folder of converted pages for one build's conversion settings (`build_key`).

    Entries are appended to packs, files of entries one after the other (each a line with its
    length, then the entry), one pack for each process that writes, named by when it was made.
    At thousands of pages, a file for each entry cost more than converting some of them: making
    a file took a tenth of a millisecond of the system's time (a cold build at 5,000 postmortems
    made 10,000 of them, 1.7 s), appending to one a hundredth.
    """

    # Whether an entry whose seal holds is used as it is. A converted page's table of contents is
    # looked over item by item all the same, as its HTML is sanitized again: should the key leak,
    # a page could show other text, but run no script. A finished page holds pmkb's own HTML,
    # which no sanitizer could pass, and is used as it is (FinishedPages).
    trusted = False

    def __init__(
        self, folder: Path, build_key: str, secret: bytes, files: Files, *, stores: bool = True
    ) -> None:
        self.folder = folder
        self.build_key = build_key
        self.secret = secret
        # False: a build with no key to seal with (a machine's first, a CI runner given none),
        # whose entries no other build could read. It reads and stores none; its workers still
        # convert, and hand their pages back through it.
        self.stores = stores
        # The site's files this build: an entry is used where they answer its look-ups alike.
        self.files = files
        # Where each entry is (its pack, where it starts, its length), from the packs' lines of
        # length, read at the first lookup; a key found twice is the later pack's.
        self.index: dict[str, tuple[str, int, int]] | None = None
        self.indexed: set[str] = set()  # the packs the index holds the entries of
        self.readers: dict[str, BinaryIO] = {}
        self.pack: BinaryIO | None = None  # this process's pack, made at the first entry
        self.pack_name = ""
        self.written = 0
        self.now = time.time()

    @cached_property
    def header(self) -> bytes:
        """This cache's packs' first frame (see `pack_header`)."""
        return pack_header(self.secret)

    def seal(self, key: str, payload: bytes) -> str:
        """What the header line of the entry named `key` holds after its name: an HMAC of its
        name and content (a page's entry filed under another page's name is not that page)."""
        return hmac.new(self.secret, key.encode() + b"\n" + payload, sha256).hexdigest()

    def key(self, src_uri: str, url: str, markdown: str) -> str:
        """The name of the entry for this page's Markdown under this build's settings."""
        return digest(self.build_key, src_uri, url, markdown)

    def get(self, key: str) -> Converted | None:
        """The entry named `key`, if there is one and it is whole and well-formed."""
        if not self.stores:
            return None
        if self.index is None:
            self.index = {}
            self.indexed = set(_packs(self.folder))
            for name in sorted(self.indexed):  # by when they were made
                found, _ = _scan(self.folder / name, self.header)
                self.index.update({k: (name, start, n) for k, (start, n) in found.items()})
        where = self.index.get(key)
        if where is None:
            return None
        name, start, length = where
        data = self._read(name, start, length)
        converted = (
            None if data is None else self._usable(_parsed(data, key, self.seal, self.trusted))
        )
        if converted is not None and not same_answers(self.files, converted.lookups):
            # Made when a file it links to was added, removed or moved since: converted again.
            converted, data = None, None
        if converted is None:
            # Damaged, cut short by a build that stopped while writing it, or forged: the page,
            # converted again, is put after it, and read in its place.
            del self.index[key]
        elif data is not None and _made(name) < self.now - REFRESHED_AFTER_SECONDS:
            # Still used: written again into this process's pack, which the clean-up, going by
            # when a pack was made, keeps longer. Once a week at most for each entry.
            self._append(key, data)
        return converted

    def _read(self, name: str, start: int, length: int) -> bytes | None:
        try:
            reader = self.readers.get(name)
            if reader is None:
                if len(self.readers) >= OPEN_PACKS:  # many small packs: not all open at once
                    self.close_readers()
                # Kept open for the build's next entries from this pack; closed by `close`.
                reader = open(self.folder / name, "rb", buffering=0)  # noqa: SIM115
                self.readers[name] = reader
            reader.seek(start)
            data = reader.read(length)
        except OSError:
            return None
        return data if len(data) == length else None

    def _usable(self, found: Converted | None) -> Converted | None:
        """What of an entry read whole and well-formed can be used: all of it, here."""
        return found

    def put(self, key: str, converted: Converted) -> None:
        """Store an entry; a folder that cannot be written only means the next build converts."""
        payload = packed(converted)
        self._append(key, FORMAT + f"{key} {self.seal(key, payload)}\n".encode() + payload)

    def _append(self, key: str, entry: bytes) -> None:
        if not self.stores:
            return
        if self.pack is None:
            name = PACK.format(time.time_ns(), os.getpid(), secrets.token_hex(4))
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                # Buffered, and flushed entry by entry: a rebuild of `mkdocs serve` reads what the
                # one before wrote, through a reader of its own.
                self.pack = open(self.folder / name, "xb")  # noqa: SIM115
                self.pack.write(self.header)
            except OSError:
                self.written = -1  # no pack: no entry is kept
                return
            self.pack_name = name
            self.indexed.add(name)
            self.written = len(self.header)
        if self.written < 0:
            return
        frame = b"%d\n" % len(entry)
        try:
            self.pack.write(frame + entry)
            self.pack.flush()
        except OSError:
            # A disk full, say: the entries before this one stay, the pack ends here.
            self.written = -1
            return
        if self.index is not None:
            self.index[key] = (self.pack_name, self.written + len(frame), len(entry))
        self.written += len(frame) + len(entry)

    def close(self) -> None:
        """The build has ended: its pack and the packs it read are closed (on Windows, a file
        that is open cannot be removed)."""
        if self.pack is not None:
            with suppress(OSError):
                self.pack.close()
        # `mkdocs serve`'s next build may take this cache again: it stores into a pack of its own.
        self.pack, self.written = None, 0
        self.close_readers()

    def same_as(self, other: ConversionCache) -> bool:
        """Whether `other` is this cache: the same folder, settings and seal."""
        return (self.folder, self.build_key, self.secret) == (
            other.folder,
            other.build_key,
            other.secret,
        )

    def taken_again(self) -> None:
        """`mkdocs serve`'s next build takes this cache: its index is read again if the packs
        are not those it was read from (another build's clean-up merged or removed them, and
        their entries were missed, every page converted again)."""
        if self.index is not None and set(_packs(self.folder)) != self.indexed:
            self.index = None

    def close_readers(self) -> None:
        for reader in self.readers.values():
            with suppress(OSError):
                reader.close()
        self.readers = {}

    def remove_unused(self, now: float | None = None) -> int:
        """Once a day, remove the packs made before any entry in them was last used (those
        older than two weeks: a build writes what it uses of a pack older than a week into its
        own), and make one pack of the small ones; how many packs were removed."""
        if not self.stores:
            return 0
        now = time.time() if now is None else now
        if not _claimed(self.folder / CLEANING):
            return 0  # another build is looking the folder over now
        try:
            return self._looked_over(now)
        finally:
            with suppress(OSError):
                (self.folder / CLEANING).unlink()

    def _looked_over(self, now: float) -> int:
        marker = self.folder / CLEANED
        with suppress(OSError):
            # A time ahead of the clock (a clock set back, a copied cache) is no recent look.
            if now - CLEANED_EVERY_SECONDS < marker.stat().st_mtime <= now:
                return 0
        removed = _removed_legacy(self.folder)
        for entry in _listed(self.folder):
            # A merge that a stopped build left part way: nothing else ever removes it.
            with suppress(OSError):
                if (
                    _PACK.fullmatch(written_under(entry.name) or "")
                    and entry.stat(follow_symlinks=False).st_mtime < now - ABANDONED_AFTER_SECONDS
                ):
                    os.unlink(entry.path)
        kept: list[tuple[str, int]] = []
        for name in sorted(_packs(self.folder)):
            path = self.folder / name
            try:
                # A pack made ahead of the clock (on a machine whose clock ran ahead, or before
                # this one's was set back) cannot tell when its entries were last used: more than
                # a day ahead, it goes as one made too long ago does.
                made = _made(name)
                if made < now - UNUSED_FOR_SECONDS or made > now + CLEANED_EVERY_SECONDS:
                    path.unlink()
                    removed += 1
                    continue
                stat = path.stat()
            except OSError:
                continue
            # Not one another build may still be writing: none is written to for an hour. Nor
            # one made before a week: the merged pack is named as made when the oldest was, and
            # what a build wrote again to keep it would then go with what it kept it from.
            if (
                name != self.pack_name
                and stat.st_mtime < now - 3600
                and _made(name) >= now - REFRESHED_AFTER_SECONDS
            ):
                kept.append((name, stat.st_size))
        small = [name for name, size in kept if size < MERGED_BELOW]
        if len(small) >= MERGED_FROM:
            removed += self._merged(small)
        with suppress(OSError):
            marker.touch()
            os.utime(marker, (now, now))
        return removed

    def _merged(self, names: list[str]) -> int:
        """Write the packs `names` sealed under this cache's key as one, named as made when the
        oldest was; how many went. Their entries are not checked (that is for when they are
        read), only their lengths."""
        ends = {name: _scan(self.folder / name, self.header)[1] for name in names}
        names = [name for name in names if ends[name] > 0]
        if not names:
            return 0
        made = min(map(_made_ns, names))
        merged = self.folder / PACK.format(made, os.getpid(), secrets.token_hex(4))

        def whole(name: str) -> bytes:
            try:
                return (self.folder / name).read_bytes()[len(self.header) : ends[name]]
            except OSError:
                return b""

        if not write_whole(merged, chain([self.header], (whole(name) for name in names))):
            return 0
        gone = 0
        for name in names:
            with suppress(OSError):
                (self.folder / name).unlink()
                gone += 1
        return gone


class FinishedPages(ConversionCache):
    """Incident pages as a build finished them: sanitized HTML with pmkb's own blocks in place,
    and the front matter. A page whose postmortem, related incidents and settings (its
    `inputs`) are those of an earlier build is then neither rendered, converted nor sanitized.

    pmkb's blocks are trusted HTML that no sanitizer could pass: an entry is used as it is,
    which its seal (see the module) allows.
    """

    trusted = True

    def _usable(self, found: Converted | None) -> Converted | None:
        return found if found is not None and found.front_matter is not None else None


def _claimed(claim: Path) -> bool:
    """Whether this process now holds `claim`, a file made only if there was none; one left by a
    build stopped part way, an hour old, is taken over."""
    for _ in range(2):
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                # One ahead of the clock (a clock set back, a copied cache) is no build's now.
                now = time.time()
                if now - ABANDONED_AFTER_SECONDS < claim.stat().st_mtime <= now + 60:
                    return False
                claim.unlink()
            except OSError:
                return False
        except OSError:  # a folder that cannot be written: nothing to look over either
            return False
    return False


def pack_header(secret: bytes) -> bytes:
    """The first frame of a pack sealed with `secret`: HEADER and an HMAC of the format. A pack
    that does not open with it was sealed with another key (another machine's, a CI secret's
    before this one), or by no one (a pull request's): none of its entries could be used, and
    it is not read through, which for a large pack took seconds and hundreds of MiB. Nor can such
    a pack's entries hide a usable one of the same name in an older pack."""
    seal = hmac.new(secret, b"pack\n" + FORMAT, sha256).hexdigest().encode()
    entry = HEADER + seal
    return b"%d\n" % len(entry) + entry


def holds_packs(folder: Path, secret: bytes) -> bool:
    """Whether `folder` holds a pack sealed with `secret`: a build has stored converted pages
    there that a build with that key can use."""
    header = pack_header(secret)
    for name in sorted(_packs(folder), reverse=True):  # the newest first
        with suppress(OSError), open(folder / name, "rb", buffering=0) as pack:
            if _opens_with(pack, header):
                return True
    return False


def _opens_with(pack: BinaryIO, header: bytes) -> bool:
    """Whether the pack open as `pack` (read from its start) opens with `header`."""
    return hmac.compare_digest(pack.read(len(header)), header)


def _packs(folder: Path) -> list[str]:
    """The names of the packs in `folder`."""
    return [e.name for e in _listed(folder) if _PACK.fullmatch(e.name) and _is_file(e)]


def _is_file(entry: os.DirEntry[str]) -> bool:
    # One entry that cannot be looked at is not a pack; the others still are.
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _made_ns(name: str) -> int:
    return int(name[:16], 16)


def _made(name: str) -> float:
    """When the pack `name` was made, in seconds since the epoch."""
    return _made_ns(name) / 1e9


# The most a pack's frame and the start of its entry need, to tell the entry's name.
_HEAD = 12 + 1 + len(FORMAT) + 64 + 1
_SHORTEST = len(FORMAT) + 64 + 1  # an entry's format line, name and the space after it


def _scan(path: Path, header: bytes) -> tuple[dict[str, tuple[int, int]], int]:
    """Where each entry of the pack `path` starts and how long it is, by name, and where its last
    whole entry ends: an entry cut short (a build stopped while writing it) ends the pack. A pack
    that does not open with `header` holds nothing (see `ConversionCache.header`), and ends at 0."""
    found: dict[str, tuple[int, int]] = {}
    end = 0
    with suppress(OSError), open(path, "rb", buffering=0) as pack:
        if not _opens_with(pack, header):
            return found, 0
        size = os.fstat(pack.fileno()).st_size
        end = len(header)
        while end < size:
            pack.seek(end)
            line, newline, rest = pack.read(_HEAD).partition(b"\n")
            if not (newline and line.isdigit() and len(line) <= 12):
                break
            start, length = end + len(line) + 1, int(line)
            # Too short for any entry's name: not written by pmkb, and a pack of millions of
            # such frames would cost every build time to read through.
            if start + length > size or length < _SHORTEST:
                break
            entry = rest[:length]
            if entry.startswith(FORMAT):  # an entry of another format is passed over
                name = entry[len(FORMAT) :].partition(b" ")[0]
                found[name.decode("ascii", "replace")] = (start, length)
            end = start + length
    return found, end


def _removed_legacy(folder: Path) -> int:
    """Remove the entries of earlier versions, a file each in folders named by two hex digits:
    none is read any more. How many were removed."""
    removed = 0
    for shard in _listed(folder):
        if len(shard.name) == 2 and shard.is_dir(follow_symlinks=False):
            for entry in _listed(Path(shard.path)):
                with suppress(OSError):
                    if _is_file(entry) and _LEGACY.fullmatch(entry.name):
                        os.unlink(entry.path)
                        removed += 1
            with suppress(OSError):
                os.rmdir(shard.path)
    return removed


def _listed(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _parsed(
    data: bytes, key: str, seal: Callable[[str, bytes], str], trusted: bool
) -> Converted | None:
    """The entry `key` in `data`, if its seal holds; `trusted`: used as it is (see
    `ConversionCache.trusted`)."""
    header, _, rest = data.partition(b"\n")
    if header + b"\n" != FORMAT:
        return None
    line, _, payload = rest.partition(b"\n")
    if not hmac.compare_digest(line, f"{key} {seal(key, payload)}".encode()):
        return None
    return unpacked(payload, written_here=trusted)


# One encoder for every entry: `json.dumps` with an option makes a new one each call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def packed(converted: Converted) -> bytes:
    """A converted page as an entry's content, or a worker's answer: one line of JSON for all
    but the HTML, then the HTML as it is. Neither compressed nor escaped into JSON: for a 15 kB
    page that took 0.18 ms to write and 0.13 ms to read back, now 0.02 and 0.03, for entries
    3.5 times the size (a CI cache is compressed as a whole anyway)."""
    fields = [
        converted.toc,
        converted.anchors,
        converted.links,
        converted.records,
        converted.lookups,
    ]
    if converted.front_matter is not None:
        fields += [converted.front_matter, converted.search]
    # JSON without indentation has no line break outside its strings, and none inside them.
    head = _JSON.encode(fields).encode("utf-8", "surrogatepass")
    return head + b"\n" + converted.html.encode("utf-8", "surrogatepass")


def unpacked(payload: bytes, *, written_here: bool = False) -> Converted | None:
    """What `packed` made, if `payload` is whole and every value has its type. An entry
    `written_here` (sealed by this machine's pmkb, with the same format) is what this build would
    have made: its table of contents is not looked over item by item (0.2 s of a build after an
    edit at 5,000 postmortems)."""
    head, newline, body = payload.partition(b"\n")
    try:
        value = json.loads(head.decode("utf-8", "surrogatepass"))
        toc, anchors, links, records, lookups, *more = value
        html = body.decode("utf-8", "surrogatepass")
    except (ValueError, TypeError, RecursionError):  # nested past what Python reads
        return None
    front_matter, search = more if len(more) == 2 else (None, None)
    if not (
        newline
        and len(more) in (0, 2)
        and (front_matter is None or isinstance(front_matter, str))
        and (search is None or isinstance(search, str))
        and (_is_toc(toc) if not written_here else isinstance(toc, list))
        and isinstance(anchors, list)
        and all(isinstance(a, str) for a in anchors)
        and (links is None or _is_links(links))
        and isinstance(records, list)
        and all(_is_record(r) for r in records)
        and isinstance(lookups, list)
        and all(_is_lookup(lookup) for lookup in lookups)
    ):
        return None
    found = [(n, lv, m) for n, lv, m in records]
    looked_up = [(path, url, level) for path, url, level in lookups]
    return Converted(html, toc, anchors, links, found, looked_up, front_matter, search)


def _is_toc(items: object, depth: int = 6) -> bool:
    # Themes write a title and an id into the page as they are: Python-Markdown's `toc` writes
    # titles as escaped text and ids as slugs, and an entry holding anything else is not its work.
    # Nor one nested deeper than the six levels of headings: themes render it level by level.
    return (
        isinstance(items, list)
        and (depth > 0 or not items)
        and all(
            isinstance(item, dict)
            and item.keys() == _TOC_KEYS
            and isinstance(item["title"], str)
            and "<" not in item["title"]
            and isinstance(item.get("id"), str)
            and not _UNSAFE_IN_ID.search(item["id"])
            and type(item["level"]) is int
            and _is_toc(item["children"], depth - 1)
            for item in items
        )
    )


_UNSAFE_IN_ID = re.compile(r"[\s\"'<>&`]")
_TOC_KEYS = {"title", "id", "level", "children"}


def _is_links(links: object) -> bool:
    # MkDocs quotes these links in its warnings of anchors not found: none holds what a terminal
    # reads as a command, nor a line break (a log line of its own), as no Markdown link does.
    return isinstance(links, dict) and all(
        isinstance(uri, str)
        and isinstance(target, dict)
        and all(
            isinstance(anchor, str) and isinstance(link, str) and not _IN_LINE.search(anchor + link)
            for anchor, link in target.items()
        )
        and not _IN_LINE.search(uri)
        for uri, target in links.items()
    )


def _is_record(record: object) -> bool:
    # Replayed into the build's log (a CI log, a terminal): an entry whose messages hold control
    # characters, which could rewrite what a terminal shows, is converted again instead.
    return (
        isinstance(record, list)
        and len(record) == 3
        and isinstance(record[0], str)
        and isinstance(record[1], int)
        and logging.NOTSET <= record[1] <= logging.CRITICAL
        and isinstance(record[2], str)
        and not _CONTROL.search(record[0] + record[2])
    )


def _is_lookup(lookup: object) -> bool:
    if not (isinstance(lookup, list) and len(lookup) == 3):
        return False
    path, url, level = lookup
    found = isinstance(url, str) and isinstance(level, int) and not isinstance(level, bool)
    return isinstance(path, str) and (found or url is level is None)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # tabs and line breaks too


def conversion_key(
    config: MkDocsConfig, files: Iterable[File], plugins: Iterable[str], log_levels: Iterable[int]
) -> str:
    """The digest of everything but the page that a conversion depends on, for pages converted
    under `config`, linking to `files`, with these plugins (see `plugin_versions`) and the
    recorded loggers at these levels. Each entry holds what its conversion looked up among
    `files` when they are watched; else the key covers them all (each one's src_uri and URL).

    Raises Unstable when a setting has no lasting form (an object known only by its address), or
    when an extension reads files besides the page: then no page can be looked up.
    """
    extensions = config.markdown_extensions
    modules = [_extension_module(e) for e in extensions]
    if READS_OTHER_FILES.intersection(modules):
        raise Unstable("an extension reads other files: " + ", ".join(sorted(modules)))
    versions = {name: _version(name) for name in CONVERTERS}
    settings = {"use_directory_urls": config.use_directory_urls, "validation": config.validation}
    try:
        made = [_stable(e) for e in extensions], _stable(config.mdx_configs)
        code = extension_code(modules, config.mdx_configs)
        read = named_files(config.mdx_configs, _settings_folders(config))
    except Unstable:
        raise
    except TooManyFiles as exc:
        raise Unstable(
            f"markdown_extensions settings name more than {MOST_FILES} files (`{exc}`)",
            logging.INFO,
        ) from None
    except ChangedHere as exc:
        named = f" ({exc})" if str(exc) else ""
        raise Unstable(
            f"files that markdown_extensions settings name{named} changed while this process "
            "ran, and an extension may still show what it read before: restart `mkdocs serve`",
            logging.INFO,
        ) from None
    except Exception as exc:  # an object of a plugin's own that does not bear looking at
        raise Unstable(f"a setting cannot be compared: {exc!r}") from None
    parts = [
        FORMAT.decode(),
        sys.version,
        versions,
        code_digest(),  # pmkb's own files: a finished page holds what its templates wrote
        *made,
        code,
        read,  # the files the settings name (see named_files)
        _stable(settings),
        sorted(plugins),
        None if isinstance(files, WatchedFiles) else sorted((f.src_uri, f.url) for f in files),
        list(log_levels),  # a quieter build logs, and so records, less
    ]
    return digest(json.dumps(parts, sort_keys=True))


def _settings_folders(config: MkDocsConfig) -> dict[str, Path]:
    """Where extensions find the files their settings name: the working folder, mkdocs.yml's."""
    return {"working": Path.cwd(), "config": Path(config.config_file_path or ".").parent}


def named_files_noted(config: MkDocsConfig) -> None:
    """Note what the build's extension settings name before any page is converted, whether or
    not the cache is used this build (see `named_files`): a `serve` session that turns the cache
    on later must compare with what its extensions read first."""
    with suppress(Exception):  # said, if it matters, when the key is made
        named_files(config.mdx_configs, _settings_folders(config))


def _extension_module(extension: object) -> str:
    """The module a Markdown extension comes from, however it is named: by module, by module and
    class (`pymdownx.b64:B64Extension`), by the short name it is installed under (`toc`), or
    given as an instance."""
    if not isinstance(extension, str):
        return type(extension).__module__
    for entry in get_installed_extensions():
        if entry.name == extension:
            return str(entry.value).partition(":")[0]
    return extension.partition(":")[0]


def extension_code(
    extension_modules: Iterable[str], extension_configs: Mapping[str, object]
) -> dict[str, str]:
    """Per top-level module of the Markdown extensions (`_extension_module`), and of the functions
    their settings name, that CONVERTERS does not version: a digest of its files (see
    `files_digest`). A team's own extension, edited, or another package's, upgraded, converts
    pages differently."""
    modules = {module.partition(".")[0] for module in extension_modules}
    modules |= _code_modules(extension_configs)
    found: dict[str, str] = {}
    # Python's own modules change with its version, which the key holds.
    for module in sorted(modules - _VERSIONED - sys.stdlib_module_names):
        places = _module_files(module)
        found[module] = digest(*(files_digest(place) for place in places)) if places else ""
    return found


def _code_modules(value: object, depth: int = 0, seen: set[int] | None = None) -> set[str]:
    """The top-level modules of the functions and classes a setting names, and of those such a
    function was made with or calls by name (a hook's `slugify` that calls a team module's).
    Each function is looked at once (`seen`): functions that call each other are common."""
    seen = set() if seen is None else seen
    if depth > 20:
        return set()
    if isinstance(value, Mapping):
        return set().union(*(_code_modules(v, depth + 1, seen) for v in value.values()))
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(_code_modules(v, depth + 1, seen) for v in value))
    if isinstance(value, partial):
        return _code_modules([value.func, value.args, value.keywords], depth + 1, seen)
    if isinstance(value, MethodType):
        return _code_modules(value.__func__, depth + 1, seen)
    found: set[str] = set()
    if isinstance(value, FunctionType) and id(value) not in seen:
        for function in _functions_reached(value):
            seen.add(id(function))
            known = function.__globals__
            named = [known[n] for n in _names_read(function.__code__) if n in known]
            found |= set().union(_module_of(function), *(_module_of(v) for v in named))
            found |= _code_modules(_given(function), depth + 1, seen)
    return found | _module_of(value)


def _module_of(value: object) -> set[str]:
    """The top-level module a module, a class or a function is code of (none for data)."""
    if isinstance(value, ModuleType):
        return {value.__name__.partition(".")[0]}
    module = getattr(value, "__module__", None)
    return {module.partition(".")[0]} if callable(value) and isinstance(module, str) else set()


def _module_files(name: str) -> list[Path]:
    """Where the top-level module `name` was, or would be, imported from: a package's folders or
    a module's file (none: not found, or not from files)."""
    module = sys.modules.get(name)
    if module is not None:
        origin, folders = getattr(module, "__file__", None), getattr(module, "__path__", None)
    else:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return []
        if spec is None:
            return []
        origin, folders = spec.origin, spec.submodule_search_locations
    if folders:
        return sorted(Path(folder) for folder in folders)
    return [Path(origin)] if isinstance(origin, str) and os.path.isfile(origin) else []


def _stable(value: object, depth: int = 0) -> object:
    """A form of a setting that is the same in every build with the same configuration, and
    differs where the setting would convert pages differently.

    A function is known by its name and its code's files (see `extension_code`), and by the
    values it was made with: what a closure holds (a `slugify` made from `extra`, say), its
    defaults, and the data its module holds under the names it reads. A bound method and an
    extension given as an instance, by the data their object holds (a hook's
    `MyExtension(mark)` keeping `mark` as it is given). Data that changes as pages convert (a
    memo) makes the key change too: a page is converted again rather than taken from an entry
    made under other settings, and a worker whose data differs declines every page."""
    if depth > 20:
        raise Unstable("a setting nested too deep to compare")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {k: _stable(v, depth + 1) for k, v in sorted(value.items())}
        # Keys of other kinds as themselves, not as text: `1` and `"1"` are two keys.
        pairs = [[_stable(k, depth + 1), _stable(v, depth + 1)] for k, v in value.items()]
        return ["mapping", sorted(pairs, key=lambda pair: json.dumps(pair, sort_keys=True))]
    if isinstance(value, list | tuple | set | frozenset):
        items = [_stable(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, re.Pattern):  # its repr stops at 200 characters
        return ["pattern", repr(value.pattern), value.flags]
    if isinstance(value, FunctionType):
        name = f"{value.__module__}:{value.__qualname__}"
        return [name, _stable(list(_made_with(value)), depth + 1)]
    if isinstance(value, partial):  # `pymdownx.slugs.slugify(case="lower")` makes one
        return ["partial", _stable([value.func, value.args, value.keywords], depth + 1)]
    if isinstance(value, MethodType):
        held = _stable(_data_of(value.__self__), depth + 1)
        return ["method", _stable(value.__func__, depth + 1), held]
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}:{value.__qualname__}"
    configs = getattr(value, "getConfigs", None)  # a Python-Markdown extension instance
    if callable(configs):
        name = f"{type(value).__module__}:{type(value).__qualname__}"
        return [name, _stable(configs(), depth + 1), _stable(_data_of(value), depth + 1)]
    shown = repr(value)
    if " at 0x" in shown:
        raise Unstable(shown)
    return f"{type(value).__module__}:{type(value).__qualname__}:{shown}"


def _made_with(function: FunctionType) -> tuple[object, object, object, dict[str, object]]:
    """What `function` was made with: what its closure holds, its defaults, and the data its
    module holds under the names it reads, itself or through the functions of its module it
    calls (a helper that reads a table a hook fills)."""
    data: dict[str, object] = {}
    for reached in _functions_reached(function):
        known = reached.__globals__
        for name in _names_read(reached.__code__):
            if name in known and _plain(known[name]):
                data[f"{reached.__module__}:{name}"] = known[name]
    cells, defaults, kwdefaults = _given(function)
    return cells, defaults, kwdefaults, data


def _given(function: FunctionType) -> tuple[list[object], object, object]:
    """What `function` was given as it was made: what its closure holds, and its defaults."""
    cells = [cell.cell_contents for cell in function.__closure__ or () if _filled(cell)]
    return cells, function.__defaults__, function.__kwdefaults__


REACHED_AT_MOST = 500  # functions a settings function reaches; past it, the cache is off


def _functions_reached(function: FunctionType) -> list[FunctionType]:
    """`function` and the functions it calls by name, and those they call, each once: the
    functions whose module's data it may read."""
    reached: dict[int, FunctionType] = {}
    waiting = [function]
    while waiting:
        current = waiting.pop()
        if id(current) in reached:
            continue
        if len(reached) == REACHED_AT_MOST:
            raise Unstable(f"a setting's function calls more than {REACHED_AT_MOST} others")
        reached[id(current)] = current
        known = current.__globals__
        for name in sorted(_names_read(current.__code__)):
            found = known.get(name)
            if isinstance(found, FunctionType) and id(found) not in reached:
                waiting.append(found)
    return list(reached.values())


def _names_read(code: CodeType) -> set[str]:
    """The names a code object reads (`co_names` holds the attributes it reads too, such as
    `md.parser`: only those its module holds count), with those of the code made inside it: a
    generator expression or a comprehension is code of its own."""
    names = set(code.co_names)
    for inner in code.co_consts:
        if isinstance(inner, CodeType):
            names |= _names_read(inner)
    return names


def _data_of(instance: object) -> dict[str, object]:
    """The data an object holds in its attributes (not the objects it refers to: a parser, a
    plugin), its settings but for a Python-Markdown extension's `config`, which `getConfigs`
    gives."""
    held = getattr(instance, "__dict__", None)
    if not isinstance(held, dict):
        return {}
    return {k: v for k, v in held.items() if k != "config" and _plain(v)}


def _plain(value: object, depth: int = 0) -> bool:
    """Whether `value` is data alone: text, numbers, patterns and containers of them (a
    `str.maketrans` table, keyed by numbers, included). A module, a class or a function is known
    by its code; an object may hold anything."""
    if depth > 20:
        return False
    if value is None or isinstance(value, bool | int | float | str | bytes | re.Pattern):
        return True
    if isinstance(value, Mapping):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return all(_plain(v, depth + 1) for v in value)
    return False


def _filled(cell: CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell (a name assigned later) raises
    except ValueError:
        return False
    return True


# The loggers a page's conversion may log to: MkDocs' messages stop at its own logger, Markdown
# extensions' reach the root.
RECORDED = ("mkdocs", "")


class Recorder(logging.Handler):
    """Keeps the messages logged while a page converts, to log them again when it is not.

    One handler on each of the RECORDED loggers. A message that reaches both (MkDocs' logger
    passes messages on to the root in a build run from Python) is kept once. Kept or not, a
    message that no other handler takes goes to Python's handler of last resort, as it would
    without this one: a handler on the root, even one that keeps nothing, tells Python not to
    use it (a hook's warnings on its own logger were lost for the whole build, and an
    extension's, while it converted a page, in the build that converted it). Not in a worker
    (`passes_on` False): the build logs what a worker's conversion logged, and had logged what
    the worker's loading of the configuration logs.

    Only the messages of the thread that converts the page are kept: another thread's (`mkdocs
    serve`'s server saying a browser connected, a plugin's pool of threads) are not the page's,
    and, kept with its entry, were logged again by every later build that took it (a warning
    of a moment failed every `--strict` build after it).
    """

    def __init__(self, *, passes_on: bool = True) -> None:
        super().__init__(logging.NOTSET)
        self._records: list[tuple[str, int, str]] | None = None
        self.thread = threading.get_ident()  # the thread whose messages are kept
        self.last: logging.LogRecord | None = None
        self.passes_on = passes_on

    @property
    def records(self) -> list[tuple[str, int, str]] | None:
        """The messages kept since the page's conversion began (None: none is converting)."""
        return self._records

    @records.setter
    def records(self, records: list[tuple[str, int, str]] | None) -> None:
        # Set by the thread about to convert a page.
        self._records = records
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record is self.last:
            return  # the same message, on its way up from MkDocs' logger to the root
        self.last = record
        # `emit` runs in the thread that logged the message.
        if self._records is not None and threading.get_ident() == self.thread:
            self._records.append((record.name, record.levelno, record.getMessage()))
        last = logging.lastResort
        if (
            self.passes_on
            and last is not None
            and record.levelno >= last.level
            and not self._others_take(record)
        ):
            last.handle(record)

    def _others_take(self, record: logging.LogRecord) -> bool:
        """Whether a handler other than this one is on the way from the record's logger up, as
        Python looks for them before it falls back to its last resort."""
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return True
            logger = logger.parent if logger.propagate else None
        return False


def replay(records: Iterable[tuple[str, int, str]]) -> None:
    """Log what a page's conversion logged, as its conversion would."""
    for name, level, message in records:
        logging.getLogger(name).log(level, message)


def plugin_versions(plugins: Mapping[str, object]) -> list[str]:
    """Each plugin of the build, with the distribution and version it comes from; each hook (a
    module MkDocs loads from its path) with its file's digest: a hook may add an extension of its
    own, or name a function of its own in an extension's settings."""
    distributions = _distributions()
    shown: list[str] = []
    for name, plugin in plugins.items():
        if isinstance(plugin, ModuleType):
            origin = getattr(plugin, "__file__", None)
            made = files_digest(Path(origin)) if origin and os.path.isfile(origin) else ""
            shown.append(f"{name}=hook:{made}")
            continue
        package = type(plugin).__module__.partition(".")[0]
        shown.extend(f"{name}={d}=={_version(d)}" for d in sorted(distributions.get(package, [])))
        if package not in distributions:
            shown.append(f"{name}={type(plugin).__module__}")
    return shown


# Looked up once a process, from the plugins' entry points: scanning the files of every installed
# distribution (`packages_distributions`) took a third of a second of each build.
@cache
def _distributions() -> Mapping[str, list[str]]:
    found: dict[str, set[str]] = {}
    for entry in metadata.entry_points(group="mkdocs.plugins"):
        if entry.dist is not None:
            found.setdefault(entry.module.partition(".")[0], set()).add(entry.dist.name)
    return {package: sorted(names) for package, names in found.items()}


@cache
def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except (metadata.PackageNotFoundError, ValueError):
        return ""
