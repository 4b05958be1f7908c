"""Loading a whole knowledge base: every file under the postmortems folder is accounted for."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path

from ..cache_key import cache_secret
from ..clock import build_date
from ..digests import code_digest, content_digest
from ..findings import Finding, finding
from ..kept import CHECK_INDEX, is_kept
from ..model import Catalog, Postmortem, visible_to
from ..parallel import chunked_map, collector_paused
from ..paths import resolved
from ..settings import Settings
from ..urls import Claim, Site, collisions
from .audience import audiences_of, public_view, shown_catalog
from .catalog import catalog_of
from .check_index import CheckIndex, identity, settled
from .checked_store import CheckedStore
from .source import SourceFile, parse_source, read_capped, read_source
from .validate import Checker, wall_clock_today

MARKDOWN = (".md", ".markdown")
# Not searched for hidden Markdown files: version-control metadata holds no postmortems, and
# may hold many thousands of files.
_NOT_SEARCHED = frozenset({".git", ".hg", ".svn"})
_SEARCH_LIMIT = 10_000  # entries looked at in one hidden folder before giving up on it
# See ParseCache: where a file's change time is set on every write.
CHANGE_TIME_KEPT = os.name != "nt"


@dataclass
class ParseCache:
    """Files read and checked, kept between builds (`mkdocs serve` rebuilds), keyed on content.

    A file is known by a hash of its bytes. Size and modification time are no key: an edit can
    keep both (a tool that restores the mtime), and the stale parse would keep a file published
    that its author has made a draft. Where the system sets a file's change time on every write
    and nothing can set it back (Linux, macOS), a file whose identity on disk (see
    `check_index.identity`) is what it was when it was last read is not read again: at 5,000
    postmortems, reading and hashing every file took a sixth of each rebuild. A file changed
    within `check_index.SETTLED_NS` of being read is read again all the same: a second write
    within the same tick of the file system's clock would leave its identity as it was. On
    Windows, where the change time is the creation time, every file is read again.
    """

    # Per file: the hash of its bytes, its path as shown, what was read, and its identity when
    # the read can stand for the next build (None: it cannot).
    entries: dict[Path, tuple[bytes, str, SourceFile, tuple[int, ...] | None]] = field(
        default_factory=dict
    )
    parses: int = 0
    reads: int = 0
    # Checked postmortems, by file: the parse they were checked from, and the result. Valid while
    # what checking reads besides the file (settings, catalogs, dates) is `checked_with`.
    checks: dict[Path, tuple[SourceFile, tuple[Postmortem | None, SourceFile]]] = field(
        default_factory=dict
    )
    checked_with: str = ""

    def read(self, path: Path, display: str) -> SourceFile:
        cached = self.entries.get(path)
        on_disk = identity(path) if CHANGE_TIME_KEPT else None
        # Kept as a tuple of ints, which the garbage collector stops looking at; a list it never does.
        known = tuple(on_disk) if on_disk is not None else None
        if cached is not None and known is not None and cached[3] == known and cached[1] == display:
            return cached[2]
        read_at = time.time_ns()
        findings: list[Finding] = []
        self.reads += 1
        data = read_capped(path, display, findings)
        if data is None:
            self.entries.pop(path, None)
            return SourceFile(path, display, findings=findings)
        digest = content_digest(data)
        # Taken before the read: a write in between changes it, and the next build reads again.
        kept = settled(known, read_at)
        if cached is not None and cached[0] == digest and cached[1] == display:
            self.entries[path] = (*cached[:3], kept)
            return cached[2]
        self.parses += 1
        source = parse_source(path, display, data, digest)
        self.entries[path] = (digest, display, source, kept)
        return source

    def checking_with(self, checker: Checker) -> None:
        """Start a build's checks: those of earlier builds stand if `checker` checks alike.
        Otherwise every file is parsed again: a checked file's parse is not kept (see `checked`)."""
        checked_with = repr(
            (checker.settings, checker.catalog, checker.today, checker.latest_today)
        )
        if checked_with != self.checked_with:
            self.entries, self.checks, self.checked_with = {}, {}, checked_with

    def checked(
        self, checker: Checker, path: Path, display: str
    ) -> tuple[Postmortem | None, SourceFile]:
        """The file read through the cache and checked, or its check from an earlier build when
        neither the file nor what checking depends on (see `checking_with`) has changed since."""
        source = self.read(path, display)
        found = self.checks.get(path)
        if found is not None and found[0] is source:
            return found[1]
        result = _checked(checker, source)
        if result[0] is not None:
            # The parse of a checked file is kept only as the mark of the bytes it was checked
            # from. Its front matter is a tree of located values: at 5,000 postmortems, a third
            # of the objects each `serve` rebuild's full garbage collection traversed (measured:
            # 354k -> 239k objects, 0.37 -> ~0.26 s a collection).
            source = result[1]
            digest, shown, _, kept = self.entries[path]
            self.entries[path] = (digest, shown, source, kept)
        self.checks[path] = (source, result)
        return result

    def keep_only(self, paths: set[Path]) -> None:
        """Forget the files that are gone (deleted or renamed since the last build)."""
        for gone in [p for p in self.entries if p not in paths]:
            del self.entries[gone]
        for gone in [p for p in self.checks if p not in paths]:
            del self.checks[gone]


@dataclass(frozen=True)
class KnowledgeBase:
    """Every postmortem found, with the catalog and all findings, in a stable order."""

    settings: Settings
    catalog: Catalog  # as the site for `settings.audience` shows it
    postmortems: tuple[Postmortem, ...]  # readable ones, sorted by path
    unreadable: tuple[SourceFile, ...]  # files whose front matter could not be read
    findings: tuple[Finding, ...]  # catalog and folder findings, and those of unreadable files
    rejected: frozenset[str] = (
        frozenset()
    )  # displays of postmortems withheld (duplicate id, bad status)
    # Every entry, whatever the audience: what postmortems are checked against.
    full_catalog: Catalog = field(default_factory=Catalog)
    # Findings on one file about a postmortem's (a page of docs_dir whose address an incident
    # page takes): the postmortem's display, so that checking that file alone shows them.
    concerning: Mapping[Finding, str] = field(default_factory=dict)
    # Files of the postmortems folder the walk passed over as no postmortems, in the order its
    # PMK011 lists them: that finding is on the folder, and checking one of them alone shows it.
    ignored: tuple[Path, ...] = ()

    @property
    def all_findings(self) -> list[Finding]:
        items = list(self.findings)
        for pm in self.postmortems:
            items.extend(pm.findings)
        # The catalogs' first: a catalog that cannot be read makes every service or factor a
        # postmortem names unknown, and its own finding, the cause, would come after theirs.
        display = self.settings.display_path
        catalogs = {display(self.settings.services_file), display(self.settings.factors_file)}
        return sorted(
            items, key=lambda f: (f.path not in catalogs, f.path, f.line, f.col, f.code, f.message)
        )

    def is_published(self, pm: Postmortem) -> bool:
        """Whether the site for the settings' audience publishes `pm`."""
        return visible_to(pm.visibility, self.settings.audience) and self.is_publishable(pm)

    def is_publishable(self, pm: Postmortem) -> bool:
        """Whether `pm` is published on the sites of the audiences it is visible to."""
        if pm.display in self.rejected or not pm.status:
            return False
        return pm.status != "draft" or self.settings.publish_drafts

    def audiences(self, pm: Postmortem) -> tuple[str, ...]:
        """The audiences whose sites publish `pm`: none for a draft or a withheld file."""
        return audiences_of(pm.visibility) if self.is_publishable(pm) else ()

    @cached_property
    def published(self) -> tuple[Postmortem, ...]:
        """Published incidents, newest first (worked out once: a build asks several times)."""
        items = [pm for pm in self.postmortems if self.is_published(pm)]
        return tuple(sorted(items, key=lambda pm: pm.sort_key, reverse=True))

    @property
    def drafts(self) -> list[Postmortem]:
        return [
            pm
            for pm in self.postmortems
            if pm.status == "draft" and not self.settings.publish_drafts
        ]

    @property
    def file_count(self) -> int:
        return len(self.postmortems) + len(self.unreadable)


def discover(settings: Settings) -> tuple[list[Path], list[Path], list[Finding]]:
    """Markdown files under the postmortems folder, sorted, and the other files, ignored, in the
    order walked; symlinks and the ignored files reported."""
    root = settings.postmortems_dir
    if not root.is_dir():
        message = "the postmortems folder does not exist (option `postmortems_dir`)"
        return [], [], [finding(settings.display_path(root), 1, 1, "PMK501", message)]
    return markdown_in(root, settings)


def markdown_in(root: Path, settings: Settings) -> tuple[list[Path], list[Path], list[Finding]]:
    """The Markdown files under the folder `root`, sorted, read as the postmortems folder is (no
    README or index, no hidden name, no link followed), and the other files, ignored, in the
    order walked; links, hidden Markdown, unreadable folders and ignored files reported."""
    display = settings.display_path
    catalogs = {settings.services_file, settings.factors_file}
    # Decided on the name first: hashing thousands of new paths to look them up among the
    # catalogs cost a fifth of `pmkb check FILE`'s walk; only a catalog's name needs it.
    catalog_names = {p.name.lower() for p in catalogs}
    cache = settings.cache_dir
    findings: list[Finding] = []
    found: list[Path] = []
    ignored: list[Path] = []
    unlisted: list[tuple[Path, str]] = []
    for base, dirs, files in _walk(root, unlisted):
        findings.extend(_unread_folders(base, dirs, display))
        for entry in files:
            name, path = entry.name, base / entry.name
            lowered = name.lower()
            if (
                name.startswith(".")
                or (lowered in catalog_names and path in catalogs)
                or entry.is_symlink()
            ):
                findings.extend(_unread_file(path, catalogs, display))
            elif lowered.endswith(MARKDOWN) and lowered not in ("readme.md", "index.md"):
                found.append(path)
            # pmkb's own cache may be in the folder: its files are no part of the knowledge base.
            elif cache is None or not is_kept(path, cache):
                ignored.append(path)
    if ignored:
        findings.append(ignored_files(display(root), [display(p) for p in ignored]))
    for folder, reason in unlisted:
        message = f"folder cannot be read ({reason}): its files are neither checked nor published"
        findings.append(finding(display(folder), 1, 1, "PMK012", message))
    return sorted(found), ignored, findings


def _walk(
    root: Path, unlisted: list[tuple[Path, str]]
) -> Iterator[tuple[Path, list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """Like `os.walk(root)` top-down, folders and files sorted by name, not following links nor
    entering hidden folders; with the directory entries, whose link and type answers cost no
    more system calls (at thousands of postmortems, asking each path again took a tenth of a
    second of `pmkb check FILE`). A folder that cannot be listed is added to `unlisted`, with
    why, and passed over."""
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        unlisted.append((root, exc.strerror or type(exc).__name__))
        return
    dirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(entry)
    yield root, dirs, files
    for entry in dirs:
        if not entry.name.startswith(".") and not entry.is_symlink():
            yield from _walk(root / entry.name, unlisted)


def _unread_folders(
    base: Path, dirs: list[os.DirEntry[str]], display: Callable[[Path], str]
) -> list[Finding]:
    """Findings for the folders not walked into: symbolic links, and hidden ones with Markdown."""
    findings: list[Finding] = []
    for entry in dirs:
        if entry.is_symlink():
            message = "symbolic link to a folder: not followed"
            findings.append(finding(display(base / entry.name), 1, 1, "PMK010", message))
        elif entry.name.startswith(".") and _holds_markdown(base / entry.name):
            message = (
                "hidden folder with Markdown files: not read, so they are neither checked "
                "nor published"
            )
            findings.append(finding(display(base / entry.name), 1, 1, "PMK014", message))
    return findings


def _unread_file(path: Path, catalogs: set[Path], display: Callable[[Path], str]) -> list[Finding]:
    """The finding, if any, for a file not read as a postmortem: hidden, a catalog or a link."""
    if path.name.startswith("."):
        if not path.name.lower().endswith(MARKDOWN):
            return []
        message = "hidden file: not read, so it is neither checked nor published"
        return [finding(display(path), 1, 1, "PMK014", message)]
    if path in catalogs:
        return []  # read, or refused when it is a symbolic link, as a catalog
    return [finding(display(path), 1, 1, "PMK010", "symbolic link: not followed")]


def ignored_files(at: str, ignored: list[str]) -> Finding:
    """One finding on `at` naming (the first ten of) the files that are not postmortems."""
    listed = ", ".join(ignored[:10]) + (
        f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
    )
    message = f"ignored {len(ignored)} file(s) that are not postmortems: {listed}"
    return finding(at, 1, 1, "PMK011", message)


def _holds_markdown(folder: Path) -> bool:
    """Whether a hidden folder holds a Markdown file at any depth; a bounded look, not a census."""
    if folder.name in _NOT_SEARCHED:
        return False
    seen = 0
    for _, dirs, files in os.walk(folder):
        if any(name.lower().endswith(MARKDOWN) for name in files):
            return True
        seen += len(dirs) + len(files)
        if seen > _SEARCH_LIMIT:
            return False
        dirs[:] = [d for d in dirs if d not in _NOT_SEARCHED]
    return False


def load(
    settings: Settings,
    cache: ParseCache | None = None,
    jobs: int = 1,
    *,
    text: bool = True,
    only: Collection[Path] | None = None,
    indexes: bool = False,
) -> KnowledgeBase:
    """Read catalogs and postmortems, check everything, and resolve duplicate ids.

    With `jobs` > 1 and enough files, the files are read and checked in that many processes; the
    result is the same, in the same order. With `text=False` each postmortem drops its body,
    section titles and summary once checked (checking needs only the findings and ids): worker
    processes then send back a third of the data. With `only` (and a `cache_dir`), only those
    files are checked in full; every other file unchanged since the last such run is known by
    what the check index kept of it (its id and standing): the findings of `only`'s files are
    those a full load gives them. With `indexes` (`pmkb check`'s full run), a full load writes
    the check index too, for the next such run.
    """
    catalog, findings = catalog_of(settings)
    paths, ignored, folder_findings = discover(settings)
    findings.extend(folder_findings)
    with collector_paused():
        if only is not None and settings.cache_dir is not None:
            chosen = {resolved(p) for p in only}
            results = _checked_or_indexed(settings, catalog, paths, chosen, jobs)
        elif cache is None and settings.cache_dir is not None:
            results = _checked_or_stored(settings, catalog, paths, text, jobs, indexes)
        elif cache is None:
            results = chunked_map(partial(_check_chunk, settings, catalog, text), paths, jobs)
        else:
            checker = Checker(settings, catalog)
            cache.checking_with(checker)
            results = [cache.checked(checker, path, settings.display_path(path)) for path in paths]
            cache.keep_only(set(paths))
    checked: list[Postmortem] = []
    unreadable: list[SourceFile] = []
    for pm, source in results:
        if pm is None:
            unreadable.append(source)
            findings.extend(source.findings)
        else:
            checked.append(pm)
    checked, rejected = _resolve_duplicates(checked)
    rejected |= {pm.display for pm in checked if not pm.status}
    # A body that would take the Markdown converter minutes is never handed to it.
    rejected |= {pm.display for pm in checked if any(f.code == "PMK015" for f in pm.findings)}
    checked, withheld, page_findings, concerning = _page_collisions(
        settings, catalog, checked, rejected
    )
    rejected |= withheld
    findings.extend(page_findings)
    if settings.audience == "public":
        # A public site shows only a public postmortem's public part: the view replaces it here,
        # so that no page, feed, search entry or export can reach the rest.
        checked = [public_view(pm, settings) if pm.visibility == "public" else pm for pm in checked]
    return KnowledgeBase(
        settings,
        shown_catalog(catalog, settings.audience),
        tuple(checked),
        tuple(unreadable),
        tuple(findings),
        frozenset(rejected),
        catalog,
        concerning,
        tuple(ignored),
    )


def _checked_or_indexed(
    settings: Settings, catalog: Catalog, paths: list[Path], only: set[Path], jobs: int
) -> list[tuple[Postmortem | None, SourceFile]]:
    """`only` checked in full, every other file from the check index where it is unchanged."""
    assert settings.cache_dir is not None
    index = CheckIndex.read(settings.cache_dir / CHECK_INDEX, _index_key(settings))
    # Discovered paths are resolved already (the folder is, and links are not followed): they
    # are compared as text, which at thousands of files is much cheaper than as paths.
    named = {str(p) for p in only}
    folders = tuple(p if p.endswith(os.sep) else p + os.sep for p in named)  # `/` ends so
    # Results by position, not in a dict keyed by path: hashing thousands of new Path objects
    # cost a twentieth of `pmkb check FILE`.
    found: list[tuple[Postmortem | None, SourceFile] | None] = [None] * len(paths)
    unknown: list[int] = []
    for at, path in enumerate(paths):
        text = str(path)
        if text in named or text.startswith(folders):  # named, or in a folder named
            unknown.append(at)
            continue
        display = settings.display_path(path)
        stub = index.stub(path, display)
        if stub is None:
            unknown.append(at)
        else:
            found[at] = (stub, SourceFile(path, display))
    # Taken before the files are read: a write in between changes it, and the next run reads again.
    read_at = time.time_ns()
    known = [identity(paths[at]) for at in unknown]
    # The first run, or one after many edits, checks most files: in parallel, as a full check.
    checked = chunked_map(
        partial(_check_chunk, settings, catalog, False), [paths[at] for at in unknown], jobs
    )
    for at, ident, (pm, source) in zip(unknown, known, checked, strict=True):
        if pm is not None:
            index.record(pm, ident, read_at)
        found[at] = (pm, source)
    results = [result for result in found if result is not None]
    index.write({source.display for _, source in results})
    return results


def _index_key(settings: Settings) -> str:
    """What the check index's entries depend on: how a file is read can change with pmkb's
    code, and what is read with the settings."""
    return repr((code_digest(), settings))


def _checked_or_stored(
    settings: Settings,
    catalog: Catalog,
    paths: list[Path],
    text: bool,
    jobs: int,
    indexes: bool,
) -> list[tuple[Postmortem | None, SourceFile]]:
    """Every file checked, or as checked before where it is unchanged (see `checked_store`)."""
    assert settings.cache_dir is not None
    # Without their text (`pmkb check`), the store is a sixth of the size, and its own file: a
    # build never finds a postmortem without its body.
    key = repr((code_digest(), settings, catalog, build_date(), wall_clock_today(), text))
    # A shared key (CI) or this machine's: files are then known by their bytes where their
    # identity is new (a fresh checkout). A key too short to use is the build's to warn of.
    store = CheckedStore.of(settings.cache_dir, key, cache_secret()[0])
    # `pmkb check`'s full run also leaves what `pmkb check FILE` needs to know of every file:
    # else the first such run after it (a pre-commit hook) reads every file again. Only that
    # run: another command's settings (`pmkb stats --audience public`) would replace the index.
    index = (
        CheckIndex.read(settings.cache_dir / CHECK_INDEX, _index_key(settings)) if indexes else None
    )
    display = settings.display_path
    found: dict[Path, tuple[Postmortem | None, SourceFile]] = {}
    unknown: list[Path] = []
    for path in paths:
        shown = display(path)
        pm = store.get(path, shown)
        if pm is None:
            unknown.append(path)
        else:
            found[path] = (pm, SourceFile(path, shown))
    # Taken before the files are read, as for the check index: an edit saved while they are
    # checked leaves the store's entry unused.
    read_at = time.time_ns()
    known = [identity(path) for path in unknown]
    checked = chunked_map(partial(_check_chunk, settings, catalog, text), unknown, jobs)
    for ident, (pm, source) in zip(known, checked, strict=True):
        if pm is not None:
            store.record(pm, ident, read_at, source.digest)
        found[source.path] = (pm, source)
    store.write()
    results = [found[path] for path in paths]
    if index is not None:
        for pm, _ in results:
            if pm is not None:
                # The identity the store knew the file by, or took before checking it: never
                # one an edit made since.
                index.keep(pm, store.made.get(pm.display, [None])[0])
        index.write({source.display for _, source in results})
    return results


def _without_text(pm: Postmortem) -> Postmortem:
    return replace(pm, body="", section_titles=(), summary="")


def _checked(checker: Checker, source: SourceFile) -> tuple[Postmortem | None, SourceFile]:
    pm = checker.check(source)
    # A checked postmortem carries everything later steps need; only unreadable files keep their source.
    # The digest stays: the checked store keeps it, to know the file by on another machine.
    return pm, source if pm is None else SourceFile(
        source.path, source.display, digest=source.digest
    )


def _check_chunk(
    settings: Settings, catalog: Catalog, text: bool, paths: list[Path]
) -> list[tuple[Postmortem | None, SourceFile]]:
    checker = Checker(settings, catalog)
    results = [_checked(checker, read_source(path, settings.display_path(path))) for path in paths]
    if text:
        return results
    return [(pm if pm is None else _without_text(pm), source) for pm, source in results]


def _page_collisions(
    settings: Settings, catalog: Catalog, postmortems: list[Postmortem], rejected: set[str]
) -> tuple[list[Postmortem], set[str], list[Finding], dict[Finding, str]]:
    """Pages that would be one file of the site: each later claim is reported.

    A postmortem whose page would be another page's file is withheld, as a duplicate id is.
    Drafts count too: their page collides the day they are published, and the check says so now.
    Of the findings on docs_dir's files, those whose page an incident page takes are returned
    with that postmortem's display too (see `KnowledgeBase.concerning`).
    """
    site = Site(settings, settings.directory_urls)
    display = settings.display_path
    services, factors = display(settings.services_file), display(settings.factors_file)
    incidents = {
        pm.display: Claim(site.incident(pm.id), f"the incident page of {pm.display}", pm.display)
        for pm in postmortems
        if pm.display not in rejected
    }
    docs, findings = _docs_claims(settings)
    claims = [
        *site.fixed_claims(),
        *(Claim(site.service(i), f"the page of service `{i}`", services) for i in catalog.services),
        *(Claim(site.factor(i), f"the page of factor `{i}`", factors) for i in catalog.factors),
        *incidents.values(),
        *docs,
    ]
    withheld: dict[str, Finding] = {}
    concerning: dict[Finding, str] = {}
    pages = {
        site.output(claim.src).casefold(): claim.display for claim in claims if not claim.in_docs
    }
    for claim, found in collisions(site, claims):
        if claim.in_docs and (page := pages.get(site.output(claim.src).casefold())) is not None:
            concerning[found] = page
        if incidents.get(claim.display) is claim:
            withheld[claim.display] = replace(
                found, message=found.message + "; this file is not published"
            )
        else:
            findings.append(found)
    result = [
        replace(pm, findings=(*pm.findings, withheld[pm.display])) if pm.display in withheld else pm
        for pm in postmortems
    ]
    return result, set(withheld), findings, concerning


def _docs_claims(settings: Settings) -> tuple[list[Claim], list[Finding]]:
    """The files MkDocs reads from docs_dir, and links there that would publish postmortems."""
    docs = settings.docs_dir
    if docs is None or not docs.is_dir():
        return [], []
    display = settings.display_path
    postmortems = settings.postmortems_dir
    claims: list[Claim] = []
    findings: list[Finding] = []
    for folder, dirs, files in os.walk(docs):
        base = Path(folder)
        # MkDocs leaves out dot-names and the top `templates` folder (its default exclude_docs).
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not (base == docs and d == "templates")
        )
        for name in [*dirs, *sorted(files)]:
            path = base / name
            if name.startswith(".") or not path.is_symlink():
                continue
            # MkDocs follows links in docs_dir: one to (or above) the postmortems folder
            # publishes its files as written, drafts included.
            target = resolved(path)
            if target.is_relative_to(postmortems) or postmortems.is_relative_to(target):
                findings.append(
                    finding(
                        display(path),
                        1,
                        1,
                        "PMK602",
                        f"symbolic link in docs_dir to `{display(target)}`, which holds the "
                        f"postmortems folder `{display(postmortems)}` or its files: MkDocs would "
                        f"publish them as written, drafts included; remove the link",
                    )
                )
        for name in sorted(files):
            if name.startswith("."):
                continue
            src = (base / name).relative_to(docs).as_posix()
            claims.append(Claim(src, f"`{src}`", display(base / name), in_docs=True))
    return claims, findings


def _resolve_duplicates(postmortems: list[Postmortem]) -> tuple[list[Postmortem], set[str]]:
    """The first file (by path) keeps a contested id; the others are reported and withheld."""
    first: dict[str, Postmortem] = {}
    result: list[Postmortem] = []
    rejected: set[str] = set()
    for pm in postmortems:
        owner = first.get(pm.id)
        if owner is None:
            first[pm.id] = pm
            result.append(pm)
            continue
        duplicate = finding(
            pm.display,
            1,
            1,
            "PMK112",
            f"id `{pm.id}` is already used by {owner.display}; this file is not published",
        )
        result.append(replace(pm, findings=(*pm.findings, duplicate)))
        rejected.add(pm.display)
    return result, rejected
