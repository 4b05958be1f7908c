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
from collections.abc import Callable
from contextlib import suppress
from hashlib import sha256
from pathlib import Path

from ..digests import code_digest, digest
from ..kept import write_whole
from ..site.blocks import stable, unstable
from ..site.pages.base import GeneratedPage

# Bumped whenever what the file holds, or how it is read, changes.
FORMAT = b"pmkb-other-pages 1\n"


class OtherPages:
    """The pages last made, in memory for `serve`'s next rebuild and, once `keep_in` names a
    file and this machine has a key, on disk for the next build."""

    def __init__(self) -> None:
        self.file: Path | None = None
        self.secret = b""
        self.last: tuple[str, tuple[GeneratedPage, ...]] | None = None

    def keep_in(self, file: Path, secret: bytes | None) -> None:
        """Keep the pages in `file` too, sealed with `secret` (None: in memory only)."""
        self.file = file if secret is not None else None
        self.secret = secret or b""

    def pages(self, inputs: str, make: Callable[[], list[GeneratedPage]]) -> list[GeneratedPage]:
        """The pages made from `inputs` (a digest of all they are made from): kept, or made by
        `make` now and kept."""
        key = digest(code_digest(), inputs)  # pmkb's templates make the pages too
        if self.last is None or self.last[0] != key:
            found = self._read(key)
            if found is None:
                found = tuple(make())
                self._write(key, found)
            self.last = (key, found)
        return list(self.last[1])

    def _read(self, key: str) -> tuple[GeneratedPage, ...] | None:
        if self.file is None:
            return None
        try:
            data = self.file.read_bytes()
        except OSError:
            return None
        header, _, rest = data.partition(b"\n")
        seal, _, payload = rest.partition(b"\n")
        if header + b"\n" != FORMAT or not hmac.compare_digest(seal, self._seal(payload)):
            return None
        try:
            kept = json.loads(payload)
            if kept["key"] != key:
                return None
            return tuple(_page(row) for row in kept["pages"])
        except (ValueError, TypeError, KeyError):
            return None

    def _write(self, key: str, pages: tuple[GeneratedPage, ...]) -> None:
        if self.file is None:
            return
        # Placeholders as every build writes them: each build draws its own (see `blocks`).
        contents = [stable(p.content) for p in pages]
        if None in contents:
            return  # an author's text holds that form: these pages are made again each build
        rows = [
            [p.src, content, p.kind, p.source_path and str(p.source_path), p.in_nav, p.search,
             list(p.blocks)]
            for p, content in zip(pages, contents, strict=True)
        ]  # fmt: skip
        payload = json.dumps({"key": key, "pages": rows}, ensure_ascii=False).encode("utf-8")
        # A folder that cannot be written only means the next build makes the pages again.
        with suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
        write_whole(self.file, FORMAT + self._seal(payload) + b"\n" + payload)

    def _seal(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, sha256).hexdigest().encode()


def _page(row: list[object]) -> GeneratedPage:
    src, content, kind, source_path, in_nav, search, blocks = row
    if not (
        isinstance(src, str)
        and isinstance(content, str)
        and isinstance(kind, str)
        and (source_path is None or isinstance(source_path, str))
        and isinstance(in_nav, bool)
        and (search is None or isinstance(search, str))
        and isinstance(blocks, list)
        and all(isinstance(b, str) for b in blocks)
    ):
        raise TypeError("not a page")
    path = None if source_path is None else Path(source_path)
    return GeneratedPage(src, unstable(content), kind, path, in_nav, search, tuple(blocks))
