"""A whole import: source files found, converted, written beside the knowledge base's own, and
checked.

Every source file is written, found already imported, or skipped with its reason; none is
passed over in silence. No file is ever overwritten: a postmortem that exists with other text
(edited since it was imported, or another incident of the same day and title) is left alone
and said so, which also makes a second run with the same input change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import yaml

from ..findings import Finding, Level, finding
from ..model import Catalog
from ..parallel import chunked_map
from ..paths import resolved
from ..read.catalog import SLUG, catalog_of
from ..read.knowledge import MARKDOWN, load
from ..settings import Settings
from ..urls import unusable_id
from .convert import Converted, Reference, convert
from .foreign import read_foreign
from .mapping import ImportMapping

Place = Callable[[str, date | None], Path]


@dataclass(frozen=True)
class Outcome:
    """What became of one source file."""

    source: str  # as displayed
    action: str  # written, unchanged (imported before) or skipped
    target: str = ""  # the postmortem, as displayed
    reason: str = ""  # why it was skipped


@dataclass(frozen=True)
class Added:
    """A catalog entry the import added."""

    catalog: str  # the catalog file, as displayed
    key: str  # services or contributing_factors
    id: str
    name: str


@dataclass
class ImportReport:
    """Everything an import did and found, for the report at its end."""

    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about the sources
    added: list[Added] = field(default_factory=list)
    checked: list[Finding] = field(default_factory=list)  # `pmkb check` on the files written

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> bool:
        """Whether some source could not be read at all."""
        return any(f.level is Level.ERROR for f in self.findings)


def source_files(paths: Iterable[Path], settings: Settings, report: ImportReport) -> list[Path]:
    """The Markdown files named, and those under the folders named, sorted within each folder;
    every other file met is reported skipped with its reason."""
    found: list[Path] = []
    own = resolved(settings.postmortems_dir)

    def skip(path: Path, reason: str) -> None:
        report.outcomes.append(Outcome(settings.display_path(path), "skipped", reason=reason))

    for given in paths:
        if given.is_dir():
            candidates = sorted(p for p in given.rglob("*") if not p.is_dir())
        elif given.exists() or given.is_symlink():
            candidates = [given]
        else:
            display = settings.display_path(given.absolute())
            report.findings.append(finding(display, 1, 1, "PMK012", "no such file or folder"))
            skip(given, "no such file or folder")
            continue
        for path in candidates:
            relative = path.relative_to(given) if path != given else Path(path.name)
            if any(part.startswith(".") for part in relative.parts):
                skip(path, "hidden (its name or a folder's starts with a dot)")
            elif path.suffix.lower() not in MARKDOWN:
                skip(path, "not a Markdown file")
            elif path.name.lower() in ("readme.md", "index.md") and path != given:
                skip(path, "a folder's README or index page, not a postmortem")
            elif resolved(path).is_relative_to(own):
                skip(path, "already inside the postmortems folder")
            else:
                found.append(path)
    return found


def run_import(
    settings: Settings,
    mapping: ImportMapping,
    paths: Iterable[Path],
    *,
    place: Place,
    slug: Callable[[str], str],
    add_to_catalog: bool = False,
    dry_run: bool = False,
    jobs: int = 1,
) -> ImportReport:
    """Import the source files under `paths`. `place` gives a postmortem's path from its title
    and date, and `slug` a catalog id from a name, by the rules `pmkb new` follows."""
    report = ImportReport()
    catalog, _ = catalog_of(settings)  # its own problems are `pmkb check`'s to report
    claimed: dict[Path, tuple[str, str]] = {}  # targets of this run: (text, source) of each
    written: list[Path] = []
    references: list[Reference] = []  # services and factors missing from the catalogs
    found = [
        (p, settings.display_path(p.absolute())) for p in source_files(paths, settings, report)
    ]
    # Read and converted in `jobs` processes; written here, in order, so that file names taken
    # in this run are numbered alike on every run.
    converted_all = chunked_map(partial(_convert_chunk, mapping, catalog, slug), found, jobs)
    for (_, display), (converted, problems) in zip(found, converted_all, strict=True):
        report.findings.extend(problems)
        if converted is None:
            reason = problems[0].message if problems else "unreadable"
            report.outcomes.append(Outcome(display, "skipped", reason=reason))
            continue
        report.findings.extend(converted.findings)
        references.extend(converted.unknown)
        outcome, target = _place(converted, place, claimed, settings, display, dry_run)
        report.outcomes.append(outcome)
        if outcome.action == "written" and target is not None:
            written.append(target)
    if add_to_catalog and references:
        first = {(r.key, r.id): r for r in reversed(references)}  # the name first met
        report.added = _add_to_catalogs(
            settings, mapping, list(first.values()), dry_run, report.findings
        )
    added = {(a.key, a.id) for a in report.added}
    report.findings.extend(r.finding for r in references if (r.key, r.id) not in added)
    report.findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    if written and not dry_run:
        report.checked = _checked(settings, written, jobs)
    return report


def _convert_chunk(
    mapping: ImportMapping,
    catalog: Catalog,
    slug: Callable[[str], str],
    files: list[tuple[Path, str]],
) -> list[tuple[Converted | None, list[Finding]]]:
    """Each file read and converted; None, with the reasons, for one that cannot be read."""
    results: list[tuple[Converted | None, list[Finding]]] = []
    for path, display in files:
        source, problems = read_foreign(path, display)
        results.append((convert(source, mapping, catalog, slug) if source else None, problems))
    return results


def _place(
    converted: Converted,
    place: Place,
    claimed: dict[Path, tuple[str, str]],
    settings: Settings,
    display: str,
    dry_run: bool,
) -> tuple[Outcome, Path | None]:
    """Write the postmortem where it belongs, unless a file is there; two sources that would
    share a path in one run are told apart by a number, the same one on every run."""
    base = place(converted.title, converted.day)
    target, number = base, 1
    while target in claimed and claimed[target][0] != converted.text:
        number += 1
        target = base.with_name(f"{base.stem}-{number}{base.suffix}")
    shown = settings.display_path(target)
    if target in claimed:
        reason = f"the same postmortem as {claimed[target][1]}, {shown}"
        return Outcome(display, "skipped", shown, reason), None
    claimed[target] = (converted.text, display)
    if target.exists() or target.is_symlink():
        try:
            same = target.read_text(encoding="utf-8") == converted.text
        except (OSError, UnicodeDecodeError):
            same = False
        if same:
            return Outcome(display, "unchanged", shown), None
        return Outcome(display, "skipped", shown, f"{shown} exists; not overwritten"), None
    if dry_run:
        return Outcome(display, "written", shown), None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # LF line ends on every platform, like every file pmkb writes.
        with target.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(converted.text)
    except OSError as exc:
        return Outcome(
            display, "skipped", shown, f"cannot write {shown}: {exc.strerror or exc}"
        ), None
    return Outcome(display, "written", shown), target


def _add_to_catalogs(
    settings: Settings,
    mapping: ImportMapping,
    unknown: list[Reference],
    dry_run: bool,
    failures: list[Finding],
) -> list[Added]:
    """Append the services and factors the sources name and the catalogs lack; an id that is
    not a usable slug is left for the report's warnings, and a catalog that cannot be written
    to is a finding in `failures`."""
    added: list[Added] = []
    for key, path in (
        ("services", settings.services_file),
        ("contributing_factors", settings.factors_file),
    ):
        entries: dict[str, dict[str, str]] = {}
        for ref in sorted((r for r in unknown if r.key == key), key=lambda r: r.id):
            if not SLUG.match(ref.id) or unusable_id(ref.id) is not None:
                continue
            entry = {"name": ref.name}
            if key == "contributing_factors":
                entry["category"] = mapping.new_factor_category
            entries[ref.id] = entry
        if not entries:
            continue
        text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
        if not dry_run:
            try:
                existing = path.read_text(encoding="utf-8") if path.exists() else ""
                if existing and not existing.endswith("\n"):
                    text = "\n" + text
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                message = f"cannot add {', '.join(entries)} to the catalog: {reason}"
                failures.append(finding(settings.display_path(path), 1, 1, "PMK501", message))
                continue
        shown = settings.display_path(path)
        added.extend(Added(shown, key, ident, entry["name"]) for ident, entry in entries.items())
    return added


def _checked(settings: Settings, written: list[Path], jobs: int) -> list[Finding]:
    """What `pmkb check` says of the files written (their ids checked against every file)."""
    kb = load(settings, jobs=jobs, text=False, only=written)
    shown = {settings.display_path(resolved(p)) for p in written}
    shown |= {settings.display_path(p) for p in written}
    return [f for f in kb.all_findings if f.path in shown]
