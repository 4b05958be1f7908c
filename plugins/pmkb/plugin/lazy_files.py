"""Incident pages as MkDocs files whose Markdown is rendered when it is first read."""

from __future__ import annotations

from collections.abc import Callable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, InclusionLevel


class RenderedOnRead(File):
    """A generated file whose text comes from `render` each time it is read, until it is set.

    MkDocs reads a page's file once, in its page loop. Rendering each incident page there, not
    all of them before the loop, means the build never holds every incident's Markdown at once.
    Anyone else reading the file (a plugin in `on_files`, say) gets the same text.
    """

    render: Callable[[], str] | None = None

    @classmethod
    def of(
        cls,
        config: MkDocsConfig,
        src_uri: str,
        render: Callable[[], str],
        inclusion: InclusionLevel,
    ) -> RenderedOnRead:
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
