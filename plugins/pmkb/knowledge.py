"""Loading a whole knowledge base: every file under the postmortems folder is accounted for."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .catalog import load_catalog
from .findings import Finding, finding
from .model import Catalog, Postmortem
from .parallel import chunked_map, collector_paused
from .settings import Settings
from .source import SourceFile, read_source
from .validate import Checker

MARKDOWN = (".md", ".markdown")


@dataclass
class ParseCache:
    """Parsed files kept between builds (e.g. across `mkdocs serve` rebuilds), keyed on mtime and size."""

    entries: dict[Path, tuple[int, int, SourceFile]] = field(default_factory=dict)
    parses: int = 0

    def read(self, path: Path, display: str) -> SourceFile:
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = (-1, -1)
        cached = self.entries.get(path)
        if cached and cached[:2] == key and key[0] != -1:
            return cached[2]
        self.parses += 1
        source = read_source(path, display)
        self.entries[path] = (*key, source)
        return source


@dataclass(frozen=True)
class KnowledgeBase:
    """Every postmortem found, with the catalog and all findings, in a stable order."""

    settings: Settings
    catalog: Catalog
    postmortems: tuple[Postmortem, ...]  # readable ones, sorted by path
    unreadable: tuple[SourceFile, ...]  # files whose front matter could not be read
    findings: tuple[Finding, ...]  # catalog and folder findings, and those of unreadable files
    rejected: frozenset[str] = (
        frozenset()
    )  # displays of postmortems withheld (duplicate id, bad status)

    @property
    def all_findings(self) -> list[Finding]:
        items = list(self.findings)
        for pm in self.postmortems:
            items.extend(pm.findings)
        return sorted(items, key=lambda f: (f.path, f.line, f.col, f.code, f.message))

    def is_published(self, pm: Postmortem) -> bool:
        if pm.display in self.rejected or not pm.status:
            return False
        return pm.status != "draft" or self.settings.publish_drafts

    @property
    def published(self) -> list[Postmortem]:
        """Published incidents, newest first."""
        items = [pm for pm in self.postmortems if self.is_published(pm)]
        return sorted(items, key=lambda pm: pm.sort_key, reverse=True)

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


def discover(settings: Settings) -> tuple[list[Path], list[Finding]]:
    """Markdown files under the postmortems folder, sorted; symlinks and other files reported."""
    root = settings.postmortems_dir
    display = settings.display_path
    findings: list[Finding] = []
    if not root.is_dir():
        findings.append(
            finding(
                display(root),
                1,
                1,
                "PMK501",
                "the postmortems folder does not exist (option `postmortems_dir`)",
            )
        )
        return [], findings
    catalogs = {settings.services_file, settings.factors_file}
    found: list[Path] = []
    ignored: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                findings.append(
                    finding(
                        display(base / name),
                        1,
                        1,
                        "PMK010",
                        "symbolic link to a folder: not followed",
                    )
                )
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                findings.append(
                    finding(display(path), 1, 1, "PMK010", "symbolic link: not followed")
                )
            elif path in catalogs:
                continue
            elif path.suffix.lower() in MARKDOWN and name.lower() not in ("readme.md", "index.md"):
                found.append(path)
            else:
                ignored.append(display(path))
    if ignored:
        listed = ", ".join(ignored[:10]) + (
            f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
        )
        findings.append(
            finding(
                display(root),
                1,
                1,
                "PMK011",
                f"ignored {len(ignored)} file(s) that are not postmortems: {listed}",
            )
        )
    return sorted(found), findings


def load(
    settings: Settings, cache: ParseCache | None = None, jobs: int = 1, *, text: bool = True
) -> KnowledgeBase:
    """Read catalogs and postmortems, check everything, and resolve duplicate ids.

    With `jobs` > 1 and enough files, the files are read and checked in that many processes; the
    result is the same, in the same order. With `text=False` each postmortem drops its body,
    headings and summary once checked (checking needs only the findings and ids): worker
    processes then send back a third of the data.
    """
    catalog, findings = load_catalog(
        settings.services_file,
        settings.factors_file,
        settings.display_path,
        settings.factor_categories,
    )
    paths, folder_findings = discover(settings)
    findings.extend(folder_findings)
    with collector_paused():
        if cache is None:
            results = chunked_map(partial(_check_chunk, settings, catalog, text), paths, jobs)
        else:
            checker = Checker(settings, catalog)
            results = [
                _checked(checker, cache.read(path, settings.display_path(path))) for path in paths
            ]
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
    return KnowledgeBase(
        settings, catalog, tuple(checked), tuple(unreadable), tuple(findings), frozenset(rejected)
    )


def _checked(checker: Checker, source: SourceFile) -> tuple[Postmortem | None, SourceFile]:
    pm = checker.check(source)
    # A checked postmortem carries everything later steps need; only unreadable files keep their source.
    return pm, source if pm is None else SourceFile(source.path, source.display)


def _check_chunk(
    settings: Settings, catalog: Catalog, text: bool, paths: list[Path]
) -> list[tuple[Postmortem | None, SourceFile]]:
    checker = Checker(settings, catalog)
    results = [_checked(checker, read_source(path, settings.display_path(path))) for path in paths]
    if text:
        return results
    return [
        (pm if pm is None else replace(pm, body="", headings=(), summary=""), source)
        for pm, source in results
    ]


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
