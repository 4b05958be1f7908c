"""Pages' converted HTML kept on disk between builds, found by what the HTML depends on.

A generated page whose Markdown, conversion settings and site files are those of an earlier build
is not converted again: its HTML, table of contents, anchors and the messages its conversion logged
come from the cache. The entry's name is the digest of all it depends on, so an entry is either
right or never found. What is read is checked (its own name and a digest of its content) and
anything else is a miss, never an error: the cache is a folder anyone can write to, and the HTML
read from it is sanitized like freshly converted HTML.
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
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from markdown.util import get_installed_extensions
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from ..digests import code_digest, digest, files_digest
from ..kept import UNUSED_FOR_SECONDS

# Bumped whenever what an entry holds, or how it is read, changes.
FORMAT = b"pmkb-conversion-cache 3\n"  # 2: the HTML after a line of JSON; 3: search entries
# Extensions whose output depends on files other than the page: their pages are always converted.
READS_OTHER_FILES = frozenset(
    {"pymdownx.snippets", "pymdownx.b64", "markdown_include.include", "mdx_include"}
)
# A used entry's modification time is set to now when it is older than this: the clean-up needs
# no finer time, and setting it on every read was a write to the disk for every page of a build.
TOUCHED_EVERY_SECONDS = 24 * 3600
CLEANED_EVERY_SECONDS = 24 * 3600
CLEANED = ".cleaned"  # the file whose modification time says when the folder was last looked over
# The distributions whose versions can change how Markdown is converted, and their top-level
# packages; any other code an extension brings is known by its files (see `extension_code`).
CONVERTERS = ("pmkb", "mkdocs", "markdown", "pymdown-extensions", "mkdocs-material", "pygments")
_VERSIONED = frozenset({"pmkb", "mkdocs", "markdown", "pymdownx", "material", "pygments"})


class Unstable(Exception):
    """A setting has no form that stays the same from one build to the next."""


@dataclass(frozen=True)
class Converted:
    """What converting one page's Markdown gave, besides the Markdown itself."""

    html: str
    toc: list[dict[str, Any]]  # the table of contents as nested AnchorLink attributes
    anchors: list[str]  # the ids a link can point to on the page
    links: dict[str, dict[str, str]] | None  # links to other pages' anchors, by page src_uri
    records: list[tuple[str, int, str]]  # what the conversion logged: logger, level, message
    # A finished page's front matter (see FinishedPages); a converted page has none.
    front_matter: str | None = None
    # A finished page's compact search entry, if the site has them: made from what the page is.
    search: str | None = None

    def table_of_contents(self) -> TableOfContents:
        """The page's table of contents, as the conversion made it."""
        return TableOfContents([_anchor(item) for item in self.toc])


def converted_page(
    html: str,
    page: Page,
    records: list[tuple[str, int, str]],
    finishing: Finishing | None = None,
) -> Converted:
    """What converting `page` to `html` gave, as the caches keep it; with `finishing`, as a
    finished page."""
    links = page.links_to_anchors
    return Converted(
        html,
        toc_items(page.toc),
        sorted(page.present_anchor_ids or ()),
        None if links is None else {target.src_uri: dict(found) for target, found in links.items()},
        records,
        None if finishing is None else finishing.front_matter,
        None if finishing is None else finishing.search,
    )


class Finishing(NamedTuple):
    """What a finished page's entry needs besides the conversion: its name, the page's front
    matter and its compact search entry (None without one)."""

    key: str
    front_matter: str
    search: str | None


def toc_items(toc: Iterable[AnchorLink]) -> list[dict[str, Any]]:
    """A table of contents as plain data, every attribute of each entry kept."""
    items = []
    for link in toc:
        item = {k: v for k, v in vars(link).items() if k != "children"}
        item["children"] = toc_items(link.children)
        items.append(item)
    return items


def _anchor(item: Mapping[str, Any]) -> AnchorLink:
    link = AnchorLink(item["title"], item["id"], item["level"])
    for key, value in item.items():
        if key != "children":
            setattr(link, key, value)
    link.children = [_anchor(child) for child in item["children"]]
    return link


class ConversionCache:
    """A folder of converted pages for one build's conversion settings (`build_key`)."""

    def __init__(self, folder: Path, build_key: str, *, listed: bool = True) -> None:
        self.folder = folder
        self.build_key = build_key
        # With `listed`, the entries' names, listed at the first lookup: most lookups of a first
        # build find nothing, and a failed open per page cost more than listing the folder. A
        # `serve` rebuild looks up a few pages, and opens them.
        self.listed = listed
        self.names: set[str] | None = None
        self.shards: set[str] = set()  # the shard folders made, or found, in this build

    def seal(self, payload: bytes) -> str:
        """What an entry's header line holds after its name: the digest of its content."""
        return sha256(payload).hexdigest()

    def key(self, src_uri: str, url: str, markdown: str) -> str:
        """The name of the entry for this page's Markdown under this build's settings."""
        return digest(self.build_key, src_uri, url, markdown)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key[2:]

    def get(self, key: str) -> Converted | None:
        """The entry named `key`, if there is one and it is whole and well-formed."""
        if self.listed and self.names is None:
            self.names = {shard + name for shard, name in _entries(self.folder)}
        if self.names is not None and key not in self.names:
            return None
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                data = handle.read()
                touched = os.fstat(handle.fileno()).st_mtime
        except OSError:
            return None
        converted = self._usable(_parsed(data, key, self.seal))
        if converted is None:
            # Damaged, cut short by a build that stopped while writing it, or forged: removed,
            # so that the page, converted again, is written in its place.
            with suppress(OSError):
                path.unlink()
        elif time.time() - touched > TOUCHED_EVERY_SECONDS:
            with suppress(OSError):
                os.utime(path)  # used: kept by the next clean-up
        return converted

    def _usable(self, found: Converted | None) -> Converted | None:
        """What of an entry read whole and well-formed can be used: all of it, here."""
        return found

    def put(self, key: str, converted: Converted) -> None:
        """Store an entry; a folder that cannot be written only means the next build converts."""
        payload = packed(converted)
        data = FORMAT + f"{key} {self.seal(payload)}\n".encode() + payload
        # Each shard folder is made once a build: at thousands of pages, the calls cost more than
        # the data. The folder known by its name and the entry by its path as text: making and
        # hashing Path objects, and a JSON encoder (`packed`), for every entry were a ninth of
        # the time an entry took to write (90 -> 80 us, most of the rest the system's).
        shard = os.path.join(self.folder, key[:2])
        if key[:2] not in self.shards:
            with suppress(OSError):
                os.makedirs(shard, exist_ok=True)
                self.shards.add(key[:2])
        # Written under its own name, not under another and then renamed: the entry's digest
        # already tells a whole entry from one cut short, and at thousands of pages the second
        # name cost a third of the cache's writing. An entry there already is another process's
        # of the same page, hence the same bytes.
        with suppress(OSError), open(os.path.join(shard, key[2:]), "xb") as out:
            out.write(data)

    def remove_unused(self, now: float | None = None) -> int:
        """Remove entries no build has used for a while, unless the folder was looked over in the
        last day; how many were removed."""
        now = time.time() if now is None else now
        marker = self.folder / CLEANED
        with suppress(OSError):
            # A time ahead of the clock (a clock set back, a copied cache) is no recent look.
            if now - CLEANED_EVERY_SECONDS < marker.stat().st_mtime <= now:
                return 0
        # The look stats every entry, a tenth of a second at thousands of pages.
        limit = now - UNUSED_FOR_SECONDS
        removed = 0
        for shard, name in _entries(self.folder):
            path = self.folder / shard / name
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        with suppress(OSError):
            marker.touch()
            os.utime(marker, (now, now))
        return removed


class FinishedPages(ConversionCache):
    """Incident pages as a build finished them: sanitized HTML with pmkb's own blocks in place,
    and the front matter. A page whose postmortem, related incidents and settings (its
    `inputs`) are those of an earlier build is then neither rendered, converted nor sanitized.

    pmkb's blocks are trusted HTML that no sanitizer could pass, so an entry is only used if
    this machine wrote it: its header holds an HMAC of its content under a key kept outside the
    project (`secret`), never in the cache folder a pull request or a shared CI cache can fill.
    A fresh CI runner has a new key and uses none of these entries; the conversion cache, whose
    HTML is sanitized again when read, still serves it.
    """

    def __init__(self, folder: Path, build_key: str, secret: bytes, *, listed: bool = True) -> None:
        super().__init__(folder, build_key, listed=listed)
        self.secret = secret

    def seal(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, sha256).hexdigest()

    def _usable(self, found: Converted | None) -> Converted | None:
        return found if found is not None and found.front_matter is not None else None


def machine_secret(folder: Path) -> bytes | None:
    """This user's key for sealing finished pages, kept in `folder` (readable by the user alone);
    None when there is none yet, or it cannot be read. The first call on a machine makes the key
    and still answers None: that build can find no finished page, and on a CI runner, a new
    machine every time, it would write them for no one (a tenth of a cold build)."""
    path = folder / "finished-pages.key"
    try:
        found = path.read_bytes()
    except FileNotFoundError:
        found = None
    except OSError:
        return None
    if found is not None:
        if len(found) == 32:
            return found
        # Not a key as this function writes it (on Windows, one written before it was written in
        # binary mode could have grown): made again, as on a new machine, not refused for ever.
        with suppress(OSError):
            path.unlink()
    with suppress(OSError):  # another build made it first, or the folder is read-only
        folder.mkdir(parents=True, exist_ok=True)
        # Through `open`, which asks for binary mode on Windows too: a descriptor from
        # `os.open` alone writes each line feed of the key there as two bytes.
        with open(path, "xb", opener=_private) as out:
            out.write(secrets.token_bytes(32))
    return None


def _private(path: str, flags: int) -> int:
    """Open a new file as `open` asks, readable and writable by its owner alone."""
    return os.open(path, flags, 0o600)


def _entries(folder: Path) -> Iterator[tuple[str, str]]:
    """Each entry's shard folder and file name; names, not paths: a warm build lists thousands."""
    try:
        shards = list(os.scandir(folder))
    except OSError:
        return
    for shard in shards:
        if len(shard.name) == 2 and shard.is_dir(follow_symlinks=False):
            try:
                yield from ((shard.name, e.name) for e in os.scandir(shard.path) if e.is_file())
            except OSError:
                continue


def _parsed(data: bytes, key: str, seal: Callable[[bytes], str]) -> Converted | None:
    header, _, rest = data.partition(b"\n")
    if header + b"\n" != FORMAT:
        return None
    line, _, payload = rest.partition(b"\n")
    if not hmac.compare_digest(line, f"{key} {seal(payload)}".encode()):
        return None
    return unpacked(payload)


# One encoder for every entry: `json.dumps` with an option makes a new one each call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def packed(converted: Converted) -> bytes:
    """A converted page as an entry's content, or a worker's answer: one line of JSON for all
    but the HTML, then the HTML as it is. Neither compressed nor escaped into JSON: for a 15 kB
    page that took 0.18 ms to write and 0.13 ms to read back, now 0.02 and 0.03, for entries
    3.5 times the size (a CI cache is compressed as a whole anyway)."""
    fields = [converted.toc, converted.anchors, converted.links, converted.records]
    if converted.front_matter is not None:
        fields += [converted.front_matter, converted.search]
    # JSON without indentation has no line break outside its strings, and none inside them.
    head = _JSON.encode(fields).encode("utf-8", "surrogatepass")
    return head + b"\n" + converted.html.encode("utf-8", "surrogatepass")


def unpacked(payload: bytes) -> Converted | None:
    """What `packed` made, if `payload` is whole and every value has its type."""
    head, newline, body = payload.partition(b"\n")
    try:
        value = json.loads(head.decode("utf-8", "surrogatepass"))
        toc, anchors, links, records, *more = value
        html = body.decode("utf-8", "surrogatepass")
    except (ValueError, TypeError):
        return None
    front_matter, search = more if len(more) == 2 else (None, None)
    if not (
        newline
        and len(more) in (0, 2)
        and (front_matter is None or isinstance(front_matter, str))
        and (search is None or isinstance(search, str))
        and _is_toc(toc)
        and isinstance(anchors, list)
        and all(isinstance(a, str) for a in anchors)
        and (links is None or _is_links(links))
        and isinstance(records, list)
        and all(_is_record(r) for r in records)
    ):
        return None
    found = [(n, lv, m) for n, lv, m in records]
    return Converted(html, toc, anchors, links, found, front_matter, search)


def _is_toc(items: object) -> bool:
    # Themes write a title and an id into the page as they are: Python-Markdown's `toc` writes
    # titles as escaped text and ids as slugs, and an entry holding anything else is not its work.
    return isinstance(items, list) and all(
        isinstance(item, dict)
        and isinstance(item.get("title"), str)
        and "<" not in item["title"]
        and isinstance(item.get("id"), str)
        and not _UNSAFE_IN_ID.search(item["id"])
        and isinstance(item.get("level"), int)
        and _is_toc(item.get("children"))
        for item in items
    )


_UNSAFE_IN_ID = re.compile(r"[\s\"'<>&`]")


def _is_links(links: object) -> bool:
    return isinstance(links, dict) and all(
        isinstance(target, dict) and all(isinstance(v, str) for v in target.values())
        for target in links.values()
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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def build_key(
    extensions: Iterable[object],
    extension_configs: Mapping[str, object],
    settings: Mapping[str, object],
    plugins: Iterable[str],
    files: Iterable[tuple[str, str]],
    log_levels: Iterable[int],
) -> str:
    """The digest of everything but the page that a conversion depends on.

    Raises Unstable when a setting has no lasting form (an object known only by its address), or
    when an extension reads files besides the page: then no page can be looked up.
    """
    modules = [_extension_module(e) for e in extensions]
    if READS_OTHER_FILES.intersection(modules):
        raise Unstable("an extension reads other files: " + ", ".join(sorted(modules)))
    versions = {name: _version(name) for name in CONVERTERS}
    parts = [
        FORMAT.decode(),
        sys.version,
        versions,
        code_digest(),  # pmkb's own files: a finished page holds what its templates wrote
        [_stable(e) for e in extensions],
        _stable(extension_configs),
        extension_code(modules, extension_configs),
        _stable(settings),
        sorted(plugins),
        sorted(files),
        list(log_levels),  # a quieter build logs, and so records, less
    ]
    return digest(json.dumps(parts, sort_keys=True))


def conversion_key(
    config: MkDocsConfig, files: Iterable[File], plugins: Iterable[str], log_levels: Iterable[int]
) -> str:
    """`build_key` for pages converted under `config`, linking to `files`, with these plugins
    (see `plugin_versions`) and the recorded loggers at these levels."""
    return build_key(
        config.markdown_extensions,
        config.mdx_configs,
        {"use_directory_urls": config.use_directory_urls, "validation": config.validation},
        plugins,
        ((f.src_uri, f.url) for f in files),
        log_levels,
    )


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
    for module in sorted(modules - _VERSIONED):
        places = _module_files(module)
        found[module] = digest(*(files_digest(place) for place in places)) if places else ""
    return found


def _code_modules(value: object) -> set[str]:
    """The top-level modules of the functions and classes a setting names."""
    if isinstance(value, Mapping):
        return set().union(*(_code_modules(v) for v in value.values()))
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(_code_modules(v) for v in value))
    if callable(value) and isinstance(module := getattr(value, "__module__", None), str):
        return {module.partition(".")[0]}
    return set()


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


def _stable(value: object) -> object:
    """A form of a setting that is the same in every build with the same configuration."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_stable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}:{value.__qualname__}"
    configs = getattr(value, "getConfigs", None)  # a Python-Markdown extension instance
    if callable(configs):
        return [f"{type(value).__module__}:{type(value).__qualname__}", _stable(configs())]
    shown = repr(value)
    if " at 0x" in shown:
        raise Unstable(shown)
    return f"{type(value).__module__}:{type(value).__qualname__}:{shown}"


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
    """

    def __init__(self, *, passes_on: bool = True) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[tuple[str, int, str]] | None = None
        self.last: logging.LogRecord | None = None
        self.passes_on = passes_on

    def emit(self, record: logging.LogRecord) -> None:
        if record is self.last:
            return  # the same message, on its way up from MkDocs' logger to the root
        self.last = record
        if self.records is not None:
            self.records.append((record.name, record.levelno, record.getMessage()))
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
