"""Reading one postmortem file: bytes to text, front matter and body, with line numbers."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..digests import content_digest
from ..findings import Finding, finding
from .yamlread import LocatedDict, YamlProblem, load_located

# The largest files pmkb reads. A postmortem is a few kilobytes; a catalog of 1 MiB holds some
# 9,000 services with descriptions and parses in under a second. Parsing is what is bounded:
# a 40 MB catalog took 38 seconds and 2 GB of memory.
MAX_BYTES = 1024 * 1024
MAX_CATALOG_BYTES = 1024 * 1024
# Opening a named pipe for reading waits for a writer; non-blocking, it opens and is refused below.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_FENCE_OPEN = re.compile(r"^---[ \t]*$")
_FENCE_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")


@dataclass
class SourceFile:
    """A postmortem file split into its front matter and its Markdown body."""

    path: Path
    display: str
    meta: LocatedDict | None = None
    body: str = ""
    body_line: int = 1  # the file line on which the body's first line stands
    front_lines: tuple[
        str, ...
    ] = ()  # the file's lines up to the closing `---`, for locating values
    findings: list[Finding] = field(default_factory=list)
    digest: bytes = b""  # `content_digest` of the bytes read; empty when none could be read

    @property
    def readable(self) -> bool:
        """True when the front matter could be read as a mapping."""
        return self.meta is not None


def decode(data: bytes, display: str, findings: list[Finding]) -> str | None:
    """Bytes to text with LF line ends; None (and a finding) when the bytes are not UTF-8 text."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        findings.append(
            finding(display, line, 1, "PMK001", "binary content (a NUL byte): not a text file")
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(
            finding(
                display,
                1,
                1,
                "PMK008",
                "byte-order mark at the start of the file; save it as UTF-8 without BOM",
            )
        )
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        findings.append(
            finding(
                display,
                line,
                col,
                "PMK001",
                f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            )
        )
        return None
    if "\r" in text:
        line = text.count("\n", 0, text.index("\r")) + 1
        findings.append(
            finding(
                display, line, 1, "PMK009", "Windows (CRLF) line ends; pmkb reads them, but use LF"
            )
        )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split(text: str, source: SourceFile) -> None:
    """Fill `source.meta` and `source.body` from the text, or add the finding that says why not."""
    display = source.display
    if not text.strip():
        source.findings.append(finding(display, 1, 1, "PMK002", "the file is empty"))
        return
    lines = text.split("\n")
    if not _FENCE_OPEN.match(lines[0]):
        source.findings.append(
            finding(
                display, 1, 1, "PMK003", "no front matter: the file must start with a `---` line"
            )
        )
        return
    close = next((i for i in range(1, len(lines)) if _FENCE_CLOSE.match(lines[i])), None)
    if close is None:
        source.findings.append(
            finding(
                display,
                1,
                1,
                "PMK004",
                "the front matter opened on line 1 is never closed with `---`",
            )
        )
        return
    try:
        # A leading newline stands for the opening `---`, so YAML marks are file lines as they are.
        meta: Any = load_located("\n" + "\n".join(lines[1:close]))
    except YamlProblem as exc:
        code = "PMK013" if exc.structural else "PMK005"
        source.findings.append(
            finding(display, exc.line, exc.col, code, f"front matter: {exc.message}")
        )
        return
    if not isinstance(meta, LocatedDict):
        kinds = {
            "LocatedList": "a list",
            "str": "text",
            "int": "a number",
            "float": "a number",
            "bool": "true or false",
        }
        kind = (
            "empty" if meta is None else kinds.get(type(meta).__name__, f"a {type(meta).__name__}")
        )
        source.findings.append(
            finding(
                display,
                2,
                1,
                "PMK006",
                f"the front matter is {kind}, not a mapping of keys to values",
            )
        )
        return
    source.meta = meta
    source.body = "\n".join(lines[close + 1 :])
    source.body_line = close + 2
    source.front_lines = tuple(lines[: close + 1])


def _read_up_to(fd: int, most: int) -> bytes:
    """Up to `most` bytes of an open file. Read with `os.read`: a buffered file object for each
    of thousands of small files cost a third of the time of reading them."""
    chunks: list[bytes] = []
    while most > 0:
        chunk = os.read(fd, most)
        if not chunk:
            break
        chunks.append(chunk)
        most -= len(chunk)
    return b"".join(chunks)


def read_capped(
    path: Path, display: str, findings: list[Finding], *, catalog: bool = False
) -> bytes | None:
    """The file's bytes, or None and a finding: unreadable, not a regular file, or too large.

    The limit holds for what is read, not only for the size the file had when looked at: a file
    that grows in between is still cut off at the limit and refused.
    """
    limit = MAX_CATALOG_BYTES if catalog else MAX_BYTES
    code, noun = ("PMK501", "catalog") if catalog else ("PMK012", "file")
    try:
        fd = os.open(path, _OPEN_FLAGS)
        try:
            info = os.fstat(fd)
            regular = stat.S_ISREG(info.st_mode)
            data = _read_up_to(fd, limit + 1) if regular and info.st_size <= limit else b""
        finally:
            os.close(fd)
    except OSError as exc:
        findings.append(
            finding(display, 1, 1, code, f"cannot read the {noun}: {exc.strerror or exc}")
        )
        return None
    if not regular:
        findings.append(finding(display, 1, 1, code, f"cannot read the {noun}: not a regular file"))
        return None
    size = max(info.st_size, len(data))
    if size > limit:
        advice = (
            "the catalog is not read; keep its entries short"
            if catalog
            else "link large logs instead of pasting them"
        )
        findings.append(
            finding(
                display,
                1,
                1,
                "PMK007",
                f"{size:,} bytes is more than the {limit:,} pmkb reads; {advice}",
            )
        )
        return None
    return data


def parse_source(path: Path, display: str, data: bytes, digest: bytes | None = None) -> SourceFile:
    """Decode and split a postmortem's bytes (whose `content_digest` is `digest`, when the caller
    has it); never raises for bad content."""
    if digest is None:
        digest = content_digest(data)
    source = SourceFile(path=path, display=display, digest=digest)
    text = decode(data, display, source.findings)
    if text is not None:
        split(text, source)
    return source


def read_source(path: Path, display: str) -> SourceFile:
    """Read and split one file; never raises for bad content."""
    findings: list[Finding] = []
    data = read_capped(path, display, findings)
    if data is None:
        return SourceFile(path=path, display=display, findings=findings)
    return parse_source(path, display, data)
