"""Where each generated page lives, and the relative links between pages."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True)
class Site:
    """The site's layout: page source paths to URLs, as MkDocs maps them."""

    settings: Settings
    directory_urls: bool = True

    def incident(self, ident: str) -> str:
        return f"{self.settings.incidents_path}/{ident}.md"

    def incidents(self) -> str:
        return f"{self.settings.incidents_path}/index.md"

    def service(self, ident: str) -> str:
        return f"{self.settings.services_path}/{ident}.md"

    def services(self) -> str:
        return f"{self.settings.services_path}/index.md"

    def factor(self, ident: str) -> str:
        return f"{self.settings.factors_path}/{ident}.md"

    def factors(self) -> str:
        return f"{self.settings.factors_path}/index.md"

    def trends(self) -> str:
        return f"{self.settings.trends_path}/index.md"

    def action_items(self) -> str:
        return f"{self.settings.action_items_path}/index.md"

    def asset(self, name: str) -> str:
        return f"assets/pmkb/{name}"

    def url(self, src: str) -> str:
        """The URL path (relative to the site root) MkDocs gives a source file."""
        if not src.endswith(".md"):
            return src
        stem = src[:-3]
        folder, name = posixpath.split(stem)
        if name == "index":
            return f"{folder}/" if folder else ""
        if self.directory_urls:
            return f"{stem}/"
        return f"{stem}.html"

    def link(self, from_src: str, to_src: str) -> str:
        """A relative link from one page (or asset) to another: up to the site root, then down."""
        target = self.url(to_src)
        if not self.directory_urls and (target.endswith("/") or not target):
            target += "index.html"
        return self.root(from_src) + target or "./"

    def root(self, from_src: str) -> str:
        """The relative path from a page up to the site root: `../../` or empty."""
        source = self.url(from_src)
        folder = source if source.endswith("/") or not source else posixpath.dirname(source) + "/"
        return "../" * folder.count("/")
