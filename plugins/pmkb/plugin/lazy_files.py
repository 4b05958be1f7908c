"""pmkb's generated files: incident pages rendered when read, and `--dirty` change detection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, InclusionLevel


class PageSource(Protocol):
    """What a page rendered on read is made from (an incident's `IncidentSource`)."""

    def inputs(self) -> str:
        """A digest of what the text is made from: while the text is not rendered, `serve
        --dirty` compares this instead of the text."""

    def head(self) -> str:
        """Its front matter alone, made without the rest of the text: what pmkb gives the page
        (`page.meta`) when its HTML is put in as the page is built."""

    def body(self) -> str:
        """The author's Markdown the text holds: where its links lead is compared too, as
        `inputs` say nothing of the site's other files."""


class GeneratedFile(File):
    """A file pmkb generates, which can tell `mkdocs serve --dirty` that it did not change.

    MkDocs counts every generated file as modified. With `changed` set (by the plugin, in a
    `serve --dirty` session), `is_modified` asks it instead, once a build: it says whether the
    page's content differs from the previous build's. Without it, MkDocs' answer stands.
    """

    changed: Callable[[GeneratedFile], bool] | None = None
    _verdict: bool | None = None

    def take_verdict(self, modified: bool) -> None:
        """Answer `is_modified` so this build, without asking `changed`."""
        self._verdict = modified

    def is_modified(self) -> bool:
        """Whether this file's output may differ from the previous build's (asked with --dirty)."""
        if self.changed is None:
            return super().is_modified()
        if self._verdict is None:
            self._verdict = self.changed(self)
        return self._verdict


class RenderedOnRead(GeneratedFile):
    """A generated file whose text comes from `render` each time it is read, until it is set.

    MkDocs reads a page's file once, in its page loop. Rendering each incident page there, not
    all of them before the loop, means the build never holds every incident's Markdown at once.
    Anyone else reading the file (a plugin in `on_files`, say) gets the same text.
    """

    render: Callable[[], str] | None = None
    # What the text is made from, set by the plugin for an incident page. Kept as one object, and
    # its parts asked for through it: bound methods kept for each of thousands of pages would be
    # as many more objects in every `serve` rebuild for the garbage collector to walk.
    source: PageSource | None = None

    @classmethod
    def of(
        cls,
        config: MkDocsConfig,
        src_uri: str,
        render: Callable[[], str],
        inclusion: InclusionLevel,
    ) -> RenderedOnRead:
        """A file for `src_uri` whose Markdown is `render()`, made when the file is read."""
        file = cls.generated(config, src_uri, content=b"", inclusion=inclusion)
        assert isinstance(file, RenderedOnRead)
        file.render = render
        return file

    @property
    def content_string(self) -> str:
        if self.render is not None:
            return self.render()
        return File.content_string.fget(self)  # type: ignore[attr-defined, no-any-return]

    @content_string.setter
    def content_string(self, value: str) -> None:
        self.render = None
        File.content_string.fset(self, value)  # type: ignore[attr-defined]

    @property
    def content_bytes(self) -> bytes:
        if self.render is not None:
            return self.render().encode("utf-8")
        return File.content_bytes.fget(self)  # type: ignore[attr-defined, no-any-return]

    @content_bytes.setter
    def content_bytes(self, value: bytes) -> None:
        self.render = None
        File.content_bytes.fset(self, value)  # type: ignore[attr-defined]

    def copy_file(self, dirty: bool = False) -> None:
        # MkDocs writes a generated file from the text it holds, not through `content_bytes`:
        # rendered first (an export whose text comes with the listing pages, say).
        if self.render is not None:
            self.content_bytes = self.render().encode("utf-8")
        super().copy_file(dirty)
