"""`pmkb generate`: the knowledge base as plain files that any Markdown site engine can build.

The pages come from the same renderer as the MkDocs plugin, so both outlets carry the same content.

The output folder is replaced as a whole, so it is guarded: pmkb refuses a folder that is or holds
the project's sources, or that holds files it cannot tell it wrote, and it writes the new tree
beside the old one and swaps them, so that a failure half-way leaves the previous output as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import markdown
import yaml

from ..paths import resolved
from ..read.knowledge import KnowledgeBase
from ..read.project import inherited
from ..settings import Settings
from ..urls import Site
from . import search_index
from .blocks import Rendered
from .pages.assets import asset_pages
from .pages.base import GeneratedPage
from .pages.on_this_day import MARKER_NAME, OnThisDay, place
from .render import Renderer
from .safe_html import sanitized_markdown

# In the output folder, the list of the files pmkb wrote there: what the next run may replace.
MARKER = ".pmkb-generated"
_GENERATOR = "pmkb generate"
_ADVICE = "name a new or empty folder, such as build/kb"

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Tagged:
    """A YAML value with a tag pmkb does not interpret (`!ENV`, `!!python/name:`), kept as written."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


def env_value(value: Any) -> Any:
    """`value` as MkDocs reads it where it is an `!ENV` tag (pyyaml-env-tag's rule): the first
    of its variables that is set, else its default (the last item of a list of more than one),
    else None; any other value as it is."""
    if not isinstance(value, Tagged) or value.tag != "!ENV":
        return value
    names = list(value.value) if isinstance(value.value, list) else [value.value]
    default = names.pop() if len(names) > 1 else None  # a copy: the tag is written out as read
    return next((os.environ[str(n)] for n in names if str(n) in os.environ), default)


class _KeepTagsLoader(_Base):  # type: ignore[misc, valid-type]
    pass


def _keep(loader: _KeepTagsLoader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        return Tagged(node.tag, loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return Tagged(node.tag, loader.construct_sequence(node, deep=True))
    return Tagged(node.tag, loader.construct_mapping(node, deep=True))


_KeepTagsLoader.add_multi_constructor("!", _keep)
_KeepTagsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _keep)


class _Dumper(yaml.SafeDumper):
    pass


def _represent(dumper: _Dumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


_Dumper.add_representer(Tagged, _represent)

# The site-wide settings an engine needs; plugins are left out (engines without plugins are the point).
_KEPT = (
    "site_name",
    "site_url",
    "site_description",
    "site_author",
    "copyright",
    "repo_url",
    "repo_name",
    "edit_uri",
    "theme",
    "markdown_extensions",
    "extra",
    "extra_css",
    "extra_javascript",
    "use_directory_urls",
    "nav",
)


def read_site_config(path: Path) -> dict[str, Any]:
    """The project's mkdocs.yml, keeping tags such as `!!python/name:` for the generated copy,
    and the file its `INHERIT:` names merged under it, as MkDocs does (`mkdocs.public.yml`)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_KeepTagsLoader)
    data = inherited(data, path, path.name, loader=_KeepTagsLoader)
    return data if isinstance(data, dict) else {}


def site_config(
    source: dict[str, Any], site: Site, listings: list[GeneratedPage], *, searched: bool = False
) -> dict[str, Any]:
    """A mkdocs.yml for the generated tree: the project's settings, pmkb's assets (the faceted
    search's too, when `searched`), and a navigation."""
    config = {key: source[key] for key in _KEPT if key in source}
    config["docs_dir"] = "docs"
    plugins = source.get("plugins") or []
    config["plugins"] = (
        ["search"] if any(_plugin_name(p) == "search" for p in plugins) or not plugins else []
    )
    css, scripts = ["pmkb.css"], ["pmkb.js"]
    if searched:
        css.append("pmkb-search.css")
        scripts.append("pmkb-search.js")  # after pmkb.js, which it needs
    config["extra_css"] = [*(config.get("extra_css") or []), *map(site.asset, css)]
    config["extra_javascript"] = [
        *(config.get("extra_javascript") or []),
        *map(site.asset, scripts),
    ]
    nav = list(config.get("nav") or [])
    placed = {_nav_target(item) for item in nav}
    for page in listings:
        if page.src not in placed:
            nav.append({_listing_title(page): page.src})
    if nav:
        config["nav"] = nav
    s = site.settings
    folders = (s.incidents_path, s.services_path, s.factors_path)
    config["not_in_nav"] = "".join(f"/{path}/*.md\n/{path}/*/index.md\n" for path in folders) + (
        f"/{s.incidents_path}/page/\n"  # the incidents table's pages after the first
    )
    return config


def _place(src: str, directory_urls: bool) -> str:
    """Where a generated page is written: `incidents/x.md` as `incidents/x/index.md`.

    The renderer writes links relative to each page's URL, as MkDocs serves it. Zensical resolves
    every relative link, raw HTML included, against the source file's folder instead; with
    directory URLs the two differ unless each page is its folder's `index.md`. The URL stays the
    same for MkDocs, so the same links work under both.
    """
    folder, name = posixpath.split(src)
    if not directory_urls or not name.endswith(".md") or name == "index.md":
        return src
    return posixpath.join(folder, name[:-3], "index.md")


def _plugin_name(entry: Any) -> str:
    return next(iter(entry)) if isinstance(entry, dict) and entry else str(entry)


def _nav_target(item: Any) -> str:
    if isinstance(item, dict) and len(item) == 1:
        value = next(iter(item.values()))
        return value if isinstance(value, str) else ""
    return item if isinstance(item, str) else ""


def _listing_title(page: GeneratedPage) -> str:
    # The generated listing pages carry their title in their front matter.
    meta = yaml.safe_load(page.content.split("---", 2)[1])
    return str(meta.get("title", page.src))


class GenerateError(Exception):
    """Why `pmkb generate` stopped, in one line for the user, saying what it left on disk."""


@dataclass(frozen=True)
class Project:
    """The project's own files and folders, which the output folder must never hold or replace."""

    root: Path
    config_file: Path | None
    docs_dir: Path | None
    postmortems_dir: Path
    catalogs: tuple[Path, ...]

    @classmethod
    def of(cls, settings: Settings, docs_dir: Path | None, config_file: Path | None) -> Project:
        """The project of these settings, its docs folder and its mkdocs.yml, if it has them."""
        return cls(
            resolved(settings.root),
            resolved(config_file) if config_file is not None else None,
            resolved(docs_dir) if docs_dir is not None else None,
            resolved(settings.postmortems_dir),
            (resolved(settings.services_file), resolved(settings.factors_file)),
        )


def check_output(out: Path, project: Project) -> Path:
    """`out` resolved, if pmkb may replace it; else GenerateError saying why not and what to do."""
    # Resolved, so that a symlink or `..` cannot hide the project behind another name.
    target = resolved(out)

    def refuse(why: str, advice: str = _ADVICE) -> GenerateError:
        return GenerateError(f"refusing --out {out}: {why}; {advice}")

    if _within(target, project.root) and _within(project.root, target):
        raise refuse("it is the project folder, whose docs and mkdocs.yml would be replaced")
    if _within(project.root, target):
        raise refuse(f"it contains the project folder {project.root}")
    held = (
        ("configuration file", project.config_file),
        ("docs folder", project.docs_dir),
        ("postmortems folder", project.postmortems_dir),
        *(("catalog", path) for path in project.catalogs),
    )
    for what, path in held:
        if path is not None and _within(path, target):
            raise refuse(f"it contains the project's {what} {path}")
    # Inside either folder, the output would be read back as sources on the next build.
    for what, path in (("postmortems", project.postmortems_dir), ("docs", project.docs_dir)):
        if path is not None and _within(target, path):
            raise refuse(
                f"it is inside the project's {what} folder {path}",
                "name a folder outside it, such as build/kb",
            )
    try:
        if os.path.lexists(target) and not target.is_dir():
            raise refuse("it is not a folder")
        if target.is_dir() and _listed(target) is None and any(target.iterdir()):
            raise refuse(
                f"it already holds files that pmkb did not write (it has no {MARKER} file)"
            )
    except OSError as exc:
        raise GenerateError(f"cannot read {out}: {_reason(exc)}") from None
    return target


def generate(
    kb: KnowledgeBase,
    renderer: Renderer,
    out: Path,
    docs_dir: Path | None,
    source_config: dict[str, Any] | None,
    jobs: int = 1,
    *,
    project: Project | None = None,
) -> list[Path]:
    """Write OUT/docs (project pages, then generated pages over them) and OUT/mkdocs.yml.

    The tree is written in a hidden folder beside OUT, then swapped in. Files of the previous
    output that pmkb did not write (a built `site/`, an engine's cache) move into the new one.
    Raises GenerateError, leaving OUT as it was, when OUT is refused or a read or write fails.
    """
    site = renderer.site
    target = check_output(out, project or Project.of(site.settings, docs_dir, None))
    # Everything is rendered before the disk is touched: a rendering error leaves no trace.
    pages = renderer.pages(jobs) + asset_pages(site)
    search = search_index.generated_plan(kb, site, pages)
    if search is not None:
        pages += search_index.search_pages(site, search)
    config = site_config(
        source_config or {"site_name": "Postmortems"},
        site,
        [p for p in pages if p.in_nav],
        searched=search is not None,
    )
    existed = os.path.lexists(target)
    work = _work_folder(target, out, existed)
    swapped = False
    try:
        new = work / "new"
        new.mkdir()
        # Never copied into the tree: the output and the tree itself, which a symlink in the
        # docs folder can reach.
        skip = {_identity(work), *([_identity(target)] if target.is_dir() else [])}
        written = _write_tree(new, pages, docs_dir, site, config, skip)
        _place_on_this_day(new, renderer, set(written))
        if search is not None:
            convert = renderer.context.body or body_converter(source_config or {})
            found = search_index.write_generated_index(new / "docs", search, pages, site, convert)
            written += [f"docs/{rel}" for rel in found]
        files = _files(new)
        (new / MARKER).write_text(_marker_text(files), encoding="utf-8", newline="\n")
        carried = _carried(target, new, out) if existed else []
        _swap(new, target, work / "old", carried)
        swapped = True
    except OSError as exc:
        raise _failure(exc, out, target, work, existed) from None
    finally:
        # After a failed swap that could not be undone, the previous output is in work/old.
        if swapped or not os.path.lexists(work / "old"):
            _remove(work)
    if os.path.lexists(work):
        raise GenerateError(
            f"wrote {out}, but could not delete the previous output, moved to {work}:"
            " delete it by hand"
        )
    return [out / rel for rel in written]


def _work_folder(target: Path, out: Path, existed: bool) -> Path:
    """A new hidden folder beside the output to build the tree in; GenerateError if refused."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GenerateError(
            f"cannot create {os.fsdecode(exc.filename or parent)}: {_reason(exc)}; nothing was written"
        ) from None
    try:
        # Beside the output, so that the final renames stay on one filesystem.
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.pmkb-", dir=parent))
    except OSError as exc:
        raise GenerateError(
            f"cannot write in {parent}: {_reason(exc)} (pmkb writes the new output beside {out}"
            f" before swapping it in); {_unchanged(out, existed)}"
        ) from None


def _write_tree(
    new: Path,
    pages: list[GeneratedPage],
    docs_dir: Path | None,
    site: Site,
    config: dict[str, Any],
    skip: set[tuple[int, int] | str],
) -> list[str]:
    """The output tree in `new`; returns the generated files, relative to it."""
    docs = new / "docs"
    docs.mkdir()
    if docs_dir is not None and docs_dir.is_dir():
        _copy_pages(docs_dir, docs, skip)
    moved = {p.src: _place(p.src, site.directory_urls) for p in pages}
    moved = {src: dest for src, dest in moved.items() if src != dest}
    for src in moved:
        # A project page the generated one replaces (as the plugin does) must not stay beside it.
        (docs / src).unlink(missing_ok=True)
    if moved:
        _relink_project_pages(docs, moved)
    written: list[str] = []
    for page in pages:
        rel = posixpath.join("docs", moved.get(page.src, page.src))
        path = new / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page.inline(), encoding="utf-8", newline="\n")
        written.append(rel)
    (new / "mkdocs.yml").write_text(
        yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
        newline="\n",
    )
    written.append("mkdocs.yml")
    return written


def _copy_pages(source: Path, dest: Path, skip: set[tuple[int, int] | str]) -> None:
    """The project's pages, following symlinks as MkDocs does.

    Contents and times are copied, not modes: a read-only page or folder (a read-only checkout)
    would otherwise make the copy impossible to relink, to write generated pages into, or to delete.
    """
    # Each folder's own and its parents' identities: a symlink back to one of them is a loop.
    chains: dict[str, frozenset[tuple[int, int] | str]] = {}
    for here, folders, names in os.walk(source, onerror=_raise, followlinks=True):
        identity = _identity(Path(here))
        above = chains.get(os.path.dirname(here), frozenset())
        if identity in above or identity in skip:
            folders.clear()
            continue
        chains[here] = above | {identity}
        into = dest / Path(here).relative_to(source)
        into.mkdir(exist_ok=True)
        for name in names:
            src = Path(here, name)
            shutil.copyfile(src, into / name)
            times = os.stat(src)
            os.utime(into / name, ns=(times.st_atime_ns, times.st_mtime_ns))


def _within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or inside it; on macOS, whose file names ignore case, in any
    case (`Postmortems/site` is in `postmortems`, and resolving a path does not give its case).
    Windows' paths compare so already."""
    if path.is_relative_to(folder):
        return True
    return FOLDS_CASE and Path(str(path).casefold()).is_relative_to(str(folder).casefold())


# Whether this system's file names ignore case: macOS's do, unless a volume is made otherwise.
FOLDS_CASE = sys.platform == "darwin"


def _identity(path: Path) -> tuple[int, int] | str:
    info = os.stat(path)
    if info.st_ino == 0:
        # Some network and virtual machines' shared drives number no file: all would be one.
        return os.path.realpath(path)
    return info.st_dev, info.st_ino


def _raise(exc: OSError) -> None:
    raise exc


def _files(folder: Path) -> list[str]:
    """Every file under `folder`, relative to it, sorted."""
    found: list[str] = []
    for here, _folders, names in os.walk(folder, onerror=_raise):
        rel = Path(here).relative_to(folder)
        found.extend((rel / name).as_posix() for name in names)
    return sorted(found)


def _marker_text(files: list[str]) -> str:
    about = (
        f"{_GENERATOR} wrote this folder. Its next run replaces the files listed here"
        " and keeps any others."
    )
    marker = {"generator": _GENERATOR, "about": about, "files": files}
    return json.dumps(marker, indent=1) + "\n"


def _listed(folder: Path) -> set[str] | None:
    """The files an earlier run wrote in `folder`; None without a marker pmkb wrote."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:  # not JSON, not UTF-8: not a marker pmkb wrote
        return None
    if not isinstance(data, dict) or data.get("generator") != _GENERATOR:
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def _carried(old: Path, new: Path, out: Path) -> list[str]:
    """What the previous output holds that pmkb did not write, to move into the new one.

    pmkb deletes only what its marker lists; anything else (a site an engine built there, its
    cache, a note) is kept, moved whole where pmkb wrote nothing inside. One that stands where
    the new output has a file is refused rather than lost.
    """
    listed = _listed(old) or set()
    holding = {posixpath.dirname(rel) for rel in listed}
    for rel in list(holding):
        while rel:
            rel = posixpath.dirname(rel)
            holding.add(rel)
    carried: list[str] = []

    def visit(folder: str) -> None:
        with os.scandir(old / folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            rel = posixpath.join(folder, entry.name) if folder else entry.name
            is_folder = entry.is_dir(follow_symlinks=False)
            if not is_folder and (rel in listed or rel == MARKER):
                continue
            if is_folder and rel in holding:
                visit(rel)
                continue
            there = new / rel
            if not os.path.lexists(there) and not _blocked(new, rel):
                carried.append(rel)
            elif is_folder and there.is_dir() and not there.is_symlink():
                visit(rel)
            else:
                raise GenerateError(
                    f"refusing --out {out}: {out / rel} was not written by pmkb, and the new"
                    f" output has a file there; move it out of {out} and run again"
                )

    visit("")
    return carried


def _blocked(new: Path, rel: str) -> bool:
    """Whether a file in the new tree stands where one of `rel`'s folders would go."""
    parts = rel.split("/")[:-1]
    return any(
        os.path.lexists(new.joinpath(*parts[:n])) and not new.joinpath(*parts[:n]).is_dir()
        for n in range(1, len(parts) + 1)
    )


def _swap(new: Path, target: Path, old: Path, carried: list[str]) -> None:
    """`new` in the place of `target`, with `carried` moved over; on any failure, as it was."""
    had = os.path.lexists(target)
    if had:
        os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        if had:
            os.rename(old, target)
        raise
    done: list[str] = []
    try:
        for rel in carried:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            os.rename(old / rel, target / rel)
            done.append(rel)
    except BaseException:
        for rel in reversed(done):
            os.rename(target / rel, old / rel)
        os.rename(target, new)
        os.rename(old, target)
        raise


def _remove(folder: Path) -> None:
    """Delete a folder that holds only what pmkb wrote, as far as it can."""
    shutil.rmtree(folder, ignore_errors=True)
    if not os.path.lexists(folder):
        return
    # Earlier versions copied the project's pages with their modes: a read-only folder among
    # them stops the deletion of what it holds until it is writable again.
    for here, folders, _names in os.walk(folder):
        for name in [".", *folders]:
            path = os.path.join(here, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)


def _unchanged(out: Path, existed: bool) -> str:
    return f"{out} is unchanged" if existed else "nothing was written"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _failure(exc: OSError, out: Path, target: Path, work: Path, existed: bool) -> GenerateError:
    """One line for a failed read or write, naming the path as the user knows it."""
    paths = [Path(os.fsdecode(n)) for n in (exc.filename2, exc.filename) if n is not None]
    verb, shown = "write", out
    for path in paths:
        if path.is_relative_to(work):
            # work/new/x and work/old/x both stand for OUT/x.
            shown = out.joinpath(*path.relative_to(work).parts[1:])
            break
        if path.is_relative_to(target):
            shown = out / path.relative_to(target)
            break
    else:
        if paths:  # outside the output: a project page being copied
            verb, shown = "read", paths[-1]
    hint = ""
    if exc.errno in (errno.EBUSY, errno.EXDEV):
        hint = (
            " (pmkb replaces the output folder as a whole, so it cannot be a mount point:"
            " name a folder inside it)"
        )
    if os.path.lexists(work / "old"):
        state = f"the previous output is in {work / 'old'}: move it back to {out}"
    else:
        state = _unchanged(out, existed)
    return GenerateError(f"cannot {verb} {shown}: {_reason(exc)}{hint}; {state}")


# A Markdown link's target, inline `](target)` or in a reference definition `[id]: target`.
_LINK_TARGET = re.compile(
    r"(\]\(\s*<?|^ {0,3}\[[^\]\n]+\]:[ \t]*<?)([^\s()<>#?]+\.md)(?=[#?>)\s]|$)", re.M
)


def _relink_project_pages(docs: Path, moved: dict[str, str]) -> None:
    """Point the project's own links to generated pages (`incidents/x.md`) at where they now are."""
    for path in docs.rglob("*.md"):
        here = posixpath.dirname(path.relative_to(docs).as_posix())

        def relink(match: re.Match[str], here: str = here) -> str:
            target = match.group(2)
            if "://" in target or target.startswith("/"):
                return match.group(0)
            dest = moved.get(posixpath.normpath(posixpath.join(here, target)))
            if dest is None:
                return match.group(0)
            return match.group(1) + posixpath.relpath(dest, here or ".")

        try:
            # Line ends kept as they are (newline=""): relinking changes links, nothing else.
            with path.open(encoding="utf-8", newline="") as source:
                text = source.read()
        except UnicodeDecodeError:
            continue  # not text pmkb can relink: copied as it is, for the engine to judge
        changed = _LINK_TARGET.sub(relink, text)
        if changed != text:
            path.write_text(changed, encoding="utf-8", newline="")


def _place_on_this_day(new: Path, renderer: Renderer, generated: set[str]) -> None:
    """The project's pages that place the "on this day" block, with it in place, its HTML
    inline as in the generated pages; the block is made only if one does. Generated pages are
    left alone: a postmortem's body that holds the marker is an author's text, not a placement."""
    docs = new / "docs"
    made: list[OnThisDay] = []

    def block(src: str) -> Rendered:
        if not made:
            made.append(renderer.on_this_day())
        return made[0].rendered(src)

    for path in sorted(docs.rglob("*.md")):
        if path.relative_to(new).as_posix() in generated:
            continue
        try:
            with path.open(encoding="utf-8", newline="") as source:
                text = source.read()
        except UnicodeDecodeError:
            continue  # copied as it is, for the engine to judge
        if MARKER_NAME not in text:
            continue
        placed = place(text, partial(block, path.relative_to(docs).as_posix()))
        if placed is not None:
            path.write_text(placed.inline(), encoding="utf-8", newline="")


def body_converter(source_config: dict[str, Any]) -> Callable[[str], str]:
    """Postmortem bodies converted with the site's Markdown extensions and sanitized.

    The engine that builds the output runs no pmkb code, so what it would make of a body is made
    here, and sanitized, before it is written (see `safe_html.sanitized_markdown`).
    """
    names: list[str] = []
    configs: dict[str, Any] = {}
    for entry in source_config.get("markdown_extensions") or []:
        name, config = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(str(name))
        if isinstance(config, dict):
            configs[str(name)] = config
    try:
        converter = markdown.Markdown(extensions=names, extension_configs=configs)
    except Exception:  # an extension or its options need the engine (a `!!python/name:` value)
        converter = markdown.Markdown(extensions=_FALLBACK_EXTENSIONS)

    def convert(body: str) -> str:
        return sanitized_markdown(body, lambda text: converter.reset().convert(text))

    return convert


# What the body is converted with when the site's own extensions cannot be loaded here.
_FALLBACK_EXTENSIONS = ["admonition", "attr_list", "def_list", "footnotes", "tables", "toc"]
