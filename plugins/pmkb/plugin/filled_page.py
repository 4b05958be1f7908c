"""pmkb's pages whose HTML pmkb puts in itself, without MkDocs converting an empty text first."""

from __future__ import annotations

import logging
from collections.abc import Callable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc


class FilledPage(Page):
    """A page pmkb generates. When pmkb has its HTML already (a finished page, an earlier
    build's conversion, a worker's), it gives MkDocs no Markdown to convert and puts the HTML in
    at the page's content event. MkDocs would still build a Markdown converter with every
    extension to convert that empty text: most of what a warm build spends reading pages (about
    0.4 ms a page). Such a page is rendered as converting no text renders it; every page
    `filled_later` does not claim is rendered by MkDocs.

    Made in `on_files`, as Material's blog makes its posts: MkDocs takes a file's page as it
    finds it there.
    """

    def __init__(
        self, file: File, config: MkDocsConfig, filled_later: Callable[[str], bool]
    ) -> None:
        super().__init__(None, file, config)
        self.filled_later = filled_later

    def render(self, config: MkDocsConfig, files: Files) -> None:
        if self.markdown != "" or not self.filled_later(self.file.src_uri):
            super().render(config, files)
            return
        # What `Page.render` sets converting no text; the content event puts the rest in.
        self.content = ""
        self.toc = get_toc([])
        self.present_anchor_ids = set()
        if _PAGES_LOG.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = {}


# The logger whose level decides whether MkDocs keeps a page's links to anchors (see
# `Page.render`).
_PAGES_LOG = logging.getLogger("mkdocs.structure.pages")
