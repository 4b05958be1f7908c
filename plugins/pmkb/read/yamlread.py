"""Safe YAML reading that remembers where each key and item came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..findings import shorten

# The C loader parses about ten times faster; construction stays in Python either way.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 40

Mark = tuple[int, int]


class LocatedDict(dict[Any, Any]):
    """A mapping that knows the line and column of each key and each value."""

    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]
    # Where each value ends: the line and column just after it (a comment after it is not it).
    value_ends: dict[Any, Mark]

    def __init__(self) -> None:
        super().__init__()
        self.key_marks = {}
        self.value_marks = {}
        self.value_ends = {}


class LocatedList(list[Any]):
    """A sequence that knows the line and column of each item."""

    marks: list[Mark]

    def __init__(self) -> None:
        super().__init__()
        self.marks = []


class YamlProblem(Exception):
    """YAML that cannot be read; `line` and `col` are 1-based, relative to the YAML text."""

    def __init__(self, message: str, line: int, col: int, *, structural: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.col, self.structural = message, line, col, structural


def _mark(node: yaml.Node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # An impossible date such as 2024-13-01 stays text, so the checker can say where it is.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

# A long int scalar stays text: PyYAML builds YAML 1.1 base-60 ints (`1:30:00`) in time the
# square of their length, and str() of an int of over 4,300 digits raises ValueError.
_MAX_INT_CHARS = 100


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    if len(node.value) > _MAX_INT_CHARS:
        return loader.construct_scalar(node)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _build(loader: _Loader, node: yaml.Node, depth: int, seen: set[int]) -> Any:
    """Values from the composed nodes, refusing aliases of collections and deep nesting.

    Built here rather than by PyYAML's constructor: it is several times faster, keeps every
    mark, and the depth and alias checks cost nothing extra.
    """
    if depth > MAX_DEPTH:
        raise YamlProblem(
            f"nested more than {MAX_DEPTH} levels deep", *_mark(node), structural=True
        )
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        constructor = loader.yaml_constructors.get(node.tag)
        if constructor is None:
            raise YamlProblem(
                f"could not determine a constructor for the tag {node.tag!r}", *_mark(node)
            )
        return constructor(loader, node)
    if id(node) in seen:
        raise YamlProblem(
            "YAML anchors and aliases are not supported here", *_mark(node), structural=True
        )
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
        loader.flatten_mapping(node)
        data = LocatedDict()
        for key_node, value_node in node.value:
            key = _key(loader, key_node, depth + 1, seen)
            if key in data:
                first = next(k for k in data if k == key)
                same = "" if str(first) == str(key) else f" `{first}`"
                raise YamlProblem(
                    f"duplicate key `{key}` (first{same} on line {data.key_marks[first][0]})",
                    *_mark(key_node),
                )
            data[key] = _build(loader, value_node, depth + 1, seen)
            data.key_marks[key] = _mark(key_node)
            data.value_marks[key] = _mark(value_node)
            data.value_ends[key] = value_node.end_mark.line + 1, value_node.end_mark.column + 1
        return data
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        items = LocatedList()
        for item in node.value:
            items.append(_build(loader, item, depth + 1, seen))
            items.marks.append(_mark(item))
        return items
    raise YamlProblem(f"could not determine a constructor for the tag {node.tag!r}", *_mark(node))


@dataclass(frozen=True)
class Key:
    """A mapping key that is not text, such as `1:`, `true:` or `2024-01-01:`, shown as written.

    Its type is part of it, as in YAML: built as plain values, `1`, `1.0` and `true` are equal in
    Python, so `1:` and `true:` would be taken for one key written twice. No key pmkb knows is
    one of these, so the checks report it where it stands (an unknown key, a catalog id that is
    not a slug), quoting its text.
    """

    kind: str
    value: Any
    text: str = field(compare=False)

    def __str__(self) -> str:
        return self.text


def _key(loader: _Loader, node: yaml.Node, depth: int, seen: set[int]) -> Any:
    value = _build(loader, node, depth, seen)
    if isinstance(value, str):
        return value
    if not isinstance(node, yaml.ScalarNode):
        raise YamlProblem("a key must be a plain value", *_mark(node))
    return Key(type(value).__name__, value, node.value)


def load_located(text: str) -> Any:
    """Parse one YAML document into plain values, `LocatedDict` and `LocatedList`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, 1, set())
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:
            raise YamlProblem(
                f"nested more than {MAX_DEPTH} levels deep", line, col, structural=True
            ) from None
        opened = exc.context_mark
        hint = syntax_hint(
            text.split("\n"),
            problem,
            exc.context or "",
            (line, col),
            (opened.line + 1, opened.column + 1) if opened else None,
        )
        if hint is not None:
            message, (line, col) = hint
            problem = f"{message} (YAML: {problem})"
        raise YamlProblem(problem, line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc).splitlines()[0], 1, 1) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise YamlProblem(f"unreadable value: {exc}", 1, 1) from None
    except RecursionError:
        raise YamlProblem(
            f"nested more than {MAX_DEPTH} levels deep", 1, 1, structural=True
        ) from None
    finally:
        loader.dispose()


# YAML syntax errors people make in front matter, and what to do about them. The parser's own
# message names the symptom ("mapping values are not allowed in this context") where the cause
# is a title with a colon in it; these hints name the cause, quote the text and, where another
# place says more, point there (the quote that was opened, not the end of the file it ran to).
# Plain string operations, not regular expressions: the lines are contributors' text.
_OPENERS = {"flow sequence": "[", "flow mapping": "{"}
_CLOSERS = {"[": "]", "{": "}"}
_NOT_A_START = {
    "@": "`@` is reserved in YAML",
    "`": "a backquote is reserved in YAML",
    "*": "a value starting with `*` is read as an alias",
    "&": "a value starting with `&` is read as an anchor",
    "!": "a value starting with `!` is read as a tag",
    "%": "a value starting with `%` is read as a directive",
}


def syntax_hint(
    lines: list[str],
    problem: str,
    context: str,
    at: tuple[int, int],
    opened: tuple[int, int] | None,
) -> tuple[str, tuple[int, int]] | None:
    """For a YAML syntax error at `at` (1-based line and column in `lines`), what likely caused
    it and how to fix it, with the place to report it; None when no common cause fits."""
    line, col = at
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    if "\t" in indent or "tab" in problem:
        tab_line = line if "\t" in indent else _first_tab_indent(lines, line)
        if tab_line is not None:
            tab_col = lines[tab_line - 1].index("\t") + 1
            return "indent with spaces: YAML does not allow tabs in indentation", (
                tab_line,
                tab_col,
            )
    if "quoted scalar" in context and opened is not None:
        q_line, q_col = opened
        quote = lines[q_line - 1][q_col - 1 : q_col] if q_line <= len(lines) else '"'
        return (
            f"the `{quote}` opened here is never closed: end the value with `{quote}` on the "
            "same line",
            opened,
        )
    for kind, opener in _OPENERS.items():
        if kind in context and opened is not None:
            closer = _CLOSERS[opener]
            return (
                f"the `{opener}` opened here is never closed: end the list with `{closer}`, or "
                f"quote an item that holds a comma, `{opener}` or `{closer}`",
                opened,
            )
    key, value = _key_value(text)
    if "mapping values are not allowed" in problem and key is not None and value:
        if value[0] not in "'\"" and (": " in value or value.endswith(":")):
            return (
                f"a colon and a space inside the {key} start a new key: quote the {key}: {_quoted(key, value)}",
                at,
            )
        if indent:
            return (
                "this line is indented more than the key above it: keys of one mapping start in one column",
                at,
            )
    if key is not None and value[:1] in ("'", '"') and "expected" in problem:
        quote = value[0]
        start = len(text) - len(value)
        if col - 1 > start:
            inner = (
                "write an apostrophe inside single quotes twice (`'It''s down'`)"
                if quote == "'"
                else 'or quote it with single quotes if it holds a `"`'
            )
            return (
                f"the {key} goes on after its closing `{quote}`: quote the whole value, {inner}",
                (line, start + 1),
            )
    if key is not None and value[:1] in _NOT_A_START:
        reason = _NOT_A_START[value[0]]
        value_col = len(text) - len(value) + 1
        return f"{reason}: quote the {key}: {_quoted(key, value)}", (line, value_col)
    return None


def _first_tab_indent(lines: list[str], before: int) -> int | None:
    """The last line up to `before` whose indentation holds a tab, if any."""
    for number in range(min(before, len(lines)), 0, -1):
        text = lines[number - 1]
        if "\t" in text[: len(text) - len(text.lstrip(" \t"))]:
            return number
    return None


def _key_value(text: str) -> tuple[str | None, str]:
    """A `key: value` line's key and value (after a `- ` of a list item), or (None, "")."""
    body = text.strip(" \t")
    if body.startswith("- "):
        body = body[2:].lstrip(" ")
    colon = body.find(": ")
    if colon <= 0 or body[0] in "'\"#[{":
        return None, ""
    return body[:colon].strip(), body[colon + 2 :].strip(" \t")


def _quoted(key: str, value: str) -> str:
    """`key: "value"` as it would parse, the value shortened in the middle."""
    if '"' in value and "'" not in value:
        return f"`{key}: '{shorten(value, 80)}'`"
    shown = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'`{key}: "{shorten(shown, 80)}"`'
