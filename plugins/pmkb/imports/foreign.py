"""Reading a file of another archive: its front matter in YAML, TOML or JSON (or none), and its body.

python-frontmatter's handlers find, split and parse the front matter; pmkb adds a TOML handler
on the standard library's tomllib (the library's own needs the third-party `toml` package) and
reads YAML with the C loader when there is one. Line numbers are kept only as far as messages
need them: the line of the front matter's error, and of each top-level key.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from ..findings import Finding, Level, finding, shorten
from ..read.source import decode, read_capped

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Deeper than any front matter is written; a structure that refers to itself (YAML aliases) has
# no bottom, and every step after reading walks the values.
_MAX_DEPTH = 40
_MAX_NODES = 100_000
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML in which an impossible date (2024-13-01) stays text: it is reported where it
    is converted, not made the reason the whole file is unreadable."""


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class YamlFront(YAMLHandler):
    """python-frontmatter's YAML handler, reading with pmkb's safe loader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_Loader)


class TomlFront(BaseHandler):
    """TOML front matter between `+++` lines (Hugo), read with the standard library."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str) -> dict[str, Any]:
        return tomllib.loads(fm)


HANDLERS: Sequence[BaseHandler] = (YamlFront(), TomlFront(), JSONHandler())


@dataclass(frozen=True)
class ForeignFile:
    """A source file: its front matter as plain data (empty if it has none) and its body."""

    path: Path
    display: str
    meta: dict[str, Any]
    body: str
    front_lines: tuple[str, ...]  # the file's lines before the body, to locate keys
    body_line: int = 1  # the file line the body's first line stands on

    def key_line(self, key: str) -> int:
        """The line a top-level key is written on (1 if it cannot be found)."""
        pattern = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*[:=]""")
        return next((i + 1 for i, line in enumerate(self.front_lines) if pattern.match(line)), 1)


def read_foreign(path: Path, display: str) -> tuple[ForeignFile | None, list[Finding]]:
    """The file read and split; None, with the reason as findings, when it cannot be."""
    findings: list[Finding] = []
    data = read_capped(path, display, findings)
    text = decode(data, display, findings) if data is not None else None
    # A byte-order mark and CRLF line ends are gone from what is written: no reason to mention.
    findings = [f for f in findings if f.level is Level.ERROR]
    if text is None:
        return None, findings
    lead = len(text) - len(text.lstrip())
    skipped_lines = text.count("\n", 0, lead)
    stripped = text[lead:]
    handler = next((h for h in HANDLERS if h.detect(stripped)), None)
    if handler is None:
        return ForeignFile(path, display, {}, text, ()), findings
    try:
        front, body = handler.split(stripped)
    except ValueError:
        opened = skipped_lines + 1
        message = f"the front matter opened on line {opened} is never closed"
        return None, [finding(display, opened, 1, "PMK702", message)]
    front_start = lead + stripped.find(front.lstrip("{"))
    try:
        meta = handler.load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = text.count("\n", 0, front_start) + (mark.line + 1 if mark else 1)
        col = mark.column + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        return None, [
            finding(display, line, col, "PMK702", f"invalid YAML front matter: {problem}")
        ]
    except json.JSONDecodeError as exc:
        line = skipped_lines + exc.lineno
        return None, [
            finding(display, line, exc.colno, "PMK702", f"invalid JSON front matter: {exc.msg}")
        ]
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = text.count("\n", 0, front_start) + (int(at[1]) if at else 1)
        col = int(at[2]) if at else 1
        message = _TOML_AT.sub("", str(exc)).strip()
        return None, [
            finding(display, line, col, "PMK702", f"invalid TOML front matter: {message}")
        ]
    except (ValueError, TypeError, RecursionError) as exc:
        opened = skipped_lines + 1
        return None, [
            finding(display, opened, 1, "PMK702", f"unreadable front matter: {shorten(str(exc))}")
        ]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        kind = "a list" if isinstance(meta, list) else f"`{shorten(str(meta))}`"
        message = f"the front matter is {kind}, not a mapping of keys to values"
        return None, [finding(display, skipped_lines + 1, 1, "PMK702", message)]
    try:
        plain = _plain(meta, 0, [0])
    except _TooDeep:
        message = "the front matter is nested too deeply or refers to itself (YAML aliases)"
        return None, [finding(display, skipped_lines + 1, 1, "PMK702", message)]
    body_start = len(text) - len(body)
    body_line = text.count("\n", 0, body_start) + 1
    front_lines = tuple(text[:body_start].split("\n"))
    return ForeignFile(path, display, plain, body, front_lines, body_line), findings


class _TooDeep(Exception):
    """The front matter is deeper, or larger, than any written by hand."""


def _plain(value: Any, depth: int, count: list[int]) -> Any:
    """The value as plain lists, dicts with text keys, and scalars; raises _TooDeep past the caps."""
    count[0] += 1
    if depth > _MAX_DEPTH or count[0] > _MAX_NODES:
        raise _TooDeep
    if isinstance(value, dict):
        return {_key(k): _plain(v, depth + 1, count) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1, count) for v in value]
    if value is None or isinstance(value, str | int | float | date):
        return value
    # TOML's times of day, YAML's binary: written out again as text.
    return str(value)


def _key(key: Any) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)
