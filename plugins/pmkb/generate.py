"""`pmkb generate`: the knowledge base as plain files that any Markdown site engine can build.

The pages come from the same renderer as the MkDocs plugin, so both outlets carry the same content.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from .knowledge import KnowledgeBase
from .render import Page, Renderer, asset_pages
from .urls import Site

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Tagged:
    """A YAML value with a tag pmkb does not interpret (`!ENV`, `!!python/name:`), kept as written."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


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
    "site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name",
    "edit_uri", "theme", "markdown_extensions", "extra", "extra_css", "extra_javascript",
    "use_directory_urls", "nav",
)  # fmt: skip


def read_site_config(path: Path) -> dict[str, Any]:
    """The project's mkdocs.yml, keeping tags such as `!!python/name:` for the generated copy."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_KeepTagsLoader)
    return data if isinstance(data, dict) else {}


def site_config(source: dict[str, Any], site: Site, listings: list[Page]) -> dict[str, Any]:
    """A mkdocs.yml for the generated tree: the project's settings, pmkb's assets, and a navigation."""
    config = {key: source[key] for key in _KEPT if key in source}
    config["docs_dir"] = "docs"
    plugins = source.get("plugins") or []
    config["plugins"] = (
        ["search"] if any(_plugin_name(p) == "search" for p in plugins) or not plugins else []
    )
    config["extra_css"] = [*(config.get("extra_css") or []), site.asset("pmkb.css")]
    config["extra_javascript"] = [*(config.get("extra_javascript") or []), site.asset("pmkb.js")]
    nav = list(config.get("nav") or [])
    placed = {_nav_target(item) for item in nav}
    for page in listings:
        if page.src not in placed:
            nav.append({_listing_title(page): page.src})
    if nav:
        config["nav"] = nav
    s = site.settings
    folders = (s.incidents_path, s.services_path, s.factors_path)
    config["not_in_nav"] = "".join(f"/{path}/*.md\n/{path}/*/index.md\n" for path in folders)
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


def _listing_title(page: Page) -> str:
    # The generated listing pages carry their title in their front matter.
    meta = yaml.safe_load(page.content.split("---", 2)[1])
    return str(meta.get("title", page.src))


def generate(
    kb: KnowledgeBase,
    renderer: Renderer,
    out: Path,
    docs_dir: Path | None,
    source_config: dict[str, Any] | None,
    jobs: int = 1,
) -> list[Path]:
    """Write the docs folder (project pages, then generated pages over them) and a mkdocs.yml."""
    site = renderer.site
    docs = out / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    written: list[Path] = []
    if docs_dir is not None and docs_dir.is_dir():
        shutil.copytree(docs_dir, docs, dirs_exist_ok=True)
    pages = renderer.pages(jobs) + asset_pages(site)
    moved = {p.src: _place(p.src, site.directory_urls) for p in pages}
    moved = {src: dest for src, dest in moved.items() if src != dest}
    for src in moved:
        # A project page the generated one replaces (as the plugin does) must not stay beside it.
        (docs / src).unlink(missing_ok=True)
    if moved:
        _relink_project_pages(docs, moved)
    for page in pages:
        target = docs / moved.get(page.src, page.src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.content, encoding="utf-8", newline="\n")
        written.append(target)
    listings = [p for p in pages if p.in_nav]
    config = site_config(source_config or {"site_name": "Postmortems"}, site, listings)
    config_path = out / "mkdocs.yml"
    config_path.write_text(
        yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    written.append(config_path)
    return written


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

        text = path.read_text(encoding="utf-8")
        changed = _LINK_TARGET.sub(relink, text)
        if changed != text:
            path.write_text(changed, encoding="utf-8")
