"""The listing, catalog, trend and export pages, kept from the build that last made them.

They are made from every postmortem but its body (`Renderer.other_inputs`): after an edit to a
body, the next build, or `serve` rebuild, takes them as they were instead of making them again
(1.7 s at 5,000 postmortems). They hold pmkb's own HTML blocks, which no sanitizer would pass, so
the file that keeps them between builds is sealed like finished pages, with this machine's key
(see `FinishedPages`): a file a pull request or another machine's CI cache put there is not used.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import partial
from hashlib import sha256
from itertools import zip_longest
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import InclusionLevel

from ..digests import code_digest, digest
from ..kept import (
    OTHER_PAGES_BEFORE,
    being_written,
    mark_used,
    read_kept,
    remove_unused,
    write_whole,
)
from ..parallel import Beside
from ..site.blocks import stable, unstable
from ..site.pages.base import GeneratedPage
from .lazy_files import RenderedOnRead

# Bumped whenever what the file holds, or how it is read, changes.
FORMAT = b"pmkb-other-pages 2\n"


class OtherPages:
    """The pages last made: with `remember`, in memory for `serve`'s next rebuild (a one-off
    build lets each page go once MkDocs holds it, tens of megabytes at thousands of
    postmortems); and, once `keep_in` names a file and this machine has a key, on disk for the
    next build."""

    def __init__(self, *, remember: bool = False) -> None:
        self.remember = remember
        self.file: Path | None = None
        self.secret = b""
        self.last: tuple[str, tuple[GeneratedPage, ...]] | None = None

    def keep_in(self, file: Path, secret: bytes | None) -> None:
        """Keep the pages in `file` too, sealed with `secret` (None: in memory only)."""
        self.file = file if secret is not None else None
        self.secret = secret or b""

    def pages(
        self, inputs: str, make: Callable[[], list[GeneratedPage]], *, beside: bool = False
    ) -> list[GeneratedPage] | Beside[list[GeneratedPage]]:
        """The pages made from `inputs` (a digest of all they are made from): kept, or made by
        `make` and kept; with `beside`, made and kept by a forked process while the build goes
        on (see `LaterPages`)."""
        key = digest(code_digest(), inputs)  # pmkb's templates make the pages too
        if self.last is not None and self.last[0] == key:
            return list(self.last[1])
        found = self._read(key)
        if found is None and beside and not self.remember:
            making = partial(self._made, key, make)
            return Beside(making, stopped=self._part_written_removed)
        made = list(found) if found is not None else self._made(key, make)
        self.last = (key, tuple(made)) if self.remember else None
        return made

    def _made(self, key: str, make: Callable[[], list[GeneratedPage]]) -> list[GeneratedPage]:
        made = make()
        self._write(key, tuple(made))
        return made

    def _part_written_removed(self, pid: int) -> None:
        """The file a worker stopped part way (a build that failed, or gave up waiting) was
        writing: under its own name, which no later build writes or removes again."""
        if self.file is not None:
            with suppress(OSError):
                being_written(self.file, pid).unlink(missing_ok=True)

    def _read(self, key: str) -> tuple[GeneratedPage, ...] | None:
        if self.file is None:
            return None
        data = read_kept(self.file)
        if data is None:
            return None
        # Another key (what the pages are made from changed) is told from the first line, before
        # the seal of 20 MB is checked: a `serve` rebuild after a title's edit reads it so.
        if not data.startswith(FORMAT + key.encode() + b"\n"):
            return None
        signed, _, seal = data.removesuffix(b"\n").rpartition(b"\n")
        mac = hmac.new(self.secret, memoryview(data)[: len(signed) + 1], sha256)
        if not hmac.compare_digest(seal, mac.hexdigest().encode()):
            return None
        try:
            found = tuple(_pages(memoryview(data)[: len(signed)], len(FORMAT) + len(key) + 1))
        except (ValueError, TypeError, IndexError):
            return None
        mark_used(self.file)  # not removed as another configuration's old file
        return found

    def _write(self, key: str, pages: tuple[GeneratedPage, ...]) -> None:
        if self.file is None:
            return
        # Placeholders as every build writes them: each build draws its own (see `blocks`).
        if any(stable(p.content) is None for p in pages):
            return  # an author's text holds that form: these pages are made again each build
        # A folder that cannot be written only means the next build makes the pages again.
        with suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
        if write_whole(self.file, self._lines(key, pages)):
            # The files of configurations no build has used for a while, and that of earlier
            # versions.
            remove_unused(self.file, OTHER_PAGES_BEFORE + "*")

    def _lines(self, key: str, pages: tuple[GeneratedPage, ...]) -> Iterator[bytes]:
        """The file, a part at a time: its format, the key, then each page (a line of its fields
        and its texts' lengths, then the texts as they are), and the seal of all that, written as
        it is made (at thousands of postmortems, the pages are 20 MB). The texts are not JSON
        strings: escaping 20 MB on each write and reading it back took most of the file's time
        (a warm build after an addition at 5,000 postmortems wrote it in 0.12 s)."""
        head = FORMAT + key.encode() + b"\n"
        mac = hmac.new(self.secret, head, sha256)
        yield head
        for p in pages:
            content = stable(p.content)
            assert content is not None  # as `_write` found
            texts = [t.encode("utf-8") for t in (content, p.search or "", *p.blocks)]
            fields = [p.src, p.kind, p.source_path and str(p.source_path), p.in_nav,
                      p.search is not None, [len(t) for t in texts]]  # fmt: skip
            for part in (json.dumps(fields, ensure_ascii=False).encode("utf-8") + b"\n", *texts):
                mac.update(part)
                yield part
        mac.update(b"\n")
        yield b"\n" + mac.hexdigest().encode() + b"\n"


def _pages(data: memoryview, at: int) -> Iterator[GeneratedPage]:
    """The pages `_lines` wrote into `data` (the file but its seal), from offset `at`."""
    whole = data.obj
    assert isinstance(whole, bytes)
    while at < len(data):
        end = whole.index(b"\n", at, len(data))
        src, kind, source_path, in_nav, searched, lengths = json.loads(data[at:end].tobytes())
        at = end + 1
        texts = []
        for length in lengths:
            if not isinstance(length, int) or length < 0 or at + length > len(data):
                raise ValueError("a text runs past the file's end")
            texts.append(str(data[at : at + length], "utf-8"))
            at += length
        content, search, *blocks = texts
        if not (
            isinstance(src, str)
            and isinstance(kind, str)
            and (source_path is None or isinstance(source_path, str))
            and isinstance(in_nav, bool)
            and isinstance(searched, bool)
        ):
            raise TypeError("not a page")
        path = None if source_path is None else Path(source_path)
        found = search if searched else None
        yield GeneratedPage(src, unstable(content), kind, path, in_nav, found, tuple(blocks))


class LaterPages:
    """The listing, catalog, trend and export pages while a forked process makes them (see
    `OtherPages.pages`), as files MkDocs reads when its loop reaches them: after the incident
    pages, by which time they are made. A build after an addition at 5,000 postmortems waited
    0.55 s for them, and 0.1 s more to keep them, before MkDocs read its first page.

    Filed from `Renderer.other_plan`; the first file read takes every page's text, and hands
    each page to `blocks_kept` for its HTML blocks."""

    def __init__(
        self,
        making: Beside[list[GeneratedPage]],
        plan: list[tuple[str, str, bool]],
        blocks_kept: Callable[[GeneratedPage], None],
    ) -> None:
        self.making: Beside[list[GeneratedPage]] | None = making
        self.plan, self.blocks_kept = plan, blocks_kept
        self.srcs = {src for src, _, _ in plan}
        self.files: dict[str, RenderedOnRead] = {}

    def planned(self) -> list[GeneratedPage]:
        """The pages as they are filed: each without its text, which `file` reads later."""
        return [GeneratedPage(src, "", kind, in_nav=in_nav) for src, kind, in_nav in self.plan]

    def file(self, config: MkDocsConfig, src: str, inclusion: InclusionLevel) -> RenderedOnRead:
        made = RenderedOnRead.of(config, src, partial(self._text, src), inclusion)
        self.files[src] = made
        return made

    def close(self) -> None:
        """Stop making them: the build failed."""
        if self.making is not None:
            self.making.close()
            self.making = None

    def _text(self, src: str) -> str:
        if self.making is not None:
            making, self.making = self.making, None
            made = making.result()
            shown = [(p.src, p.kind, p.in_nav, p.source_path, p.search) for p in made]
            planned = [(*page, None, None) for page in self.plan]
            if shown != planned:
                # Files MkDocs has already placed in the navigation: a fault of pmkb's own.
                wrong = next((m, p) for m, p in zip_longest(shown, planned) if m != p)
                raise PluginError(f"pmkb: a page made is not as planned: {wrong[0]} {wrong[1]}")
            for page in made:
                self.blocks_kept(page)
                filed = self.files[page.src]
                if filed.render is None:
                    continue  # another plugin set its text since (in `on_files`, say): it stands
                # UTF-8, as MkDocs holds every generated file's content (see `_files_added`).
                filed.content_bytes = page.content.encode("utf-8")
        file = self.files[src]
        if file.render is not None:  # read again after the pages failed to be made
            raise PluginError("pmkb: the listing pages could not be made")
        return file.content_string
