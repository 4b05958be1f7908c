"""A source body made a pmkb body: headings renamed, action items lifted, timeline tables made lists.

Sections are found by pmkb's own section reader, so a heading inside a code block is never
renamed, and the text is rebuilt from its lines: whatever is not changed stays as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import ACTION_STATUSES
from ..read.schema import ACTION_FIELD_NAMES
from ..read.sections import Section, parse_sections
from .mapping import ActionItems, ImportMapping, heading_key
from .values import to_date

_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_ROW = re.compile(r"^ {0,3}\|")
_RULE_CELL = re.compile(r"^:?-+:?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d+[.)])(?:[ \t]+(.*))?$")
_CHECKBOX = re.compile(r"^\[([ xX])\][ \t]*")
_WORD = re.compile(r"[\w/#.:-]+")
_MD_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
_URL = re.compile(r"https?://[^\s)\]>]+")
_MARKUP = re.compile(r"^[*_`~]+|[*_`~]+$")
_DATED_ITEM = re.compile(r"^ {0,3}[-*+][ \t]+[*_`]*(\d{4}-\d{2}-\d{2})[ T]\d{1,2}:\d{2}")
_STARTS_WITH_TIME = re.compile(r"^[*_`]*(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}")
TIMELINE = "timeline"


@dataclass
class ImportedBody:
    """The body as pmkb will have it, what was lifted out of it, and notes for the report."""

    text: str
    title: str | None = None  # the leading `# Title`, taken out of the text
    action_items: list[dict[str, Any]] = field(default_factory=list)
    first_day: date | None = None  # of the timeline's first entry that gives a date
    headings: set[str] = field(default_factory=set)  # of its sections, by heading_key, renamed
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, what was left and why)


def section_texts(body: str, body_line: int = 1) -> dict[str, tuple[str, int]]:
    """Each level-2 section's text and heading line, by its heading as mappings compare it."""
    found: dict[str, tuple[str, int]] = {}
    for section in parse_sections(body, body_line):
        if section.title:
            found.setdefault(heading_key(section.title), (section.text.strip(), section.line))
    return found


def import_body(
    body: str, mapping: ImportMapping, body_line: int = 1, taken: frozenset[str] = frozenset()
) -> ImportedBody:
    """The body with its headings renamed by the mapping, its action items lifted into front
    matter where the section held nothing else, and its timeline tables written as lists.
    Sections whose headings are in `taken` became front-matter values, and go."""
    lines = body.split("\n")
    result = ImportedBody("")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    h1 = _H1.match(lines[first]) if first is not None else None
    _sections_at_level_one(lines, mapping)
    if h1 is not None and first is not None and heading_key(h1[1]) in mapping.sections:
        h1 = None  # `# Executive Summary` opening a body is its first section, not its title
    sections = [s for s in parse_sections("\n".join(lines), 1) if s.title]
    edits: list[tuple[int, int, list[str]]] = []  # (start, end, new lines): lines[start:end]
    items = mapping.action_items
    item_headings = {heading_key(h) for h in items.headings} if items else set()
    for section in sections:
        start = section.line - 1
        content_start = section.first_line - 1
        end = content_start + len(section.lines)
        key = heading_key(section.title)
        if key in taken:
            edits.append((start, end, []))
            continue
        name = mapping.sections.get(key, section.title)
        result.headings.add(heading_key(name))
        heading = lines[start:content_start] if name == section.title else [f"## {name}"]
        content = list(section.lines)
        if items is not None and key in item_headings:
            lifted, whole, note = _action_items(section, items, mapping)
            result.action_items.extend(lifted)
            if whole:
                edits.append((start, end, []))
                continue
            if note:
                result.notes.append((body_line + section.line - 1, note))
        if name.lower() == TIMELINE:
            content = _timeline_as_list(content, section, result, body_line)
            result.first_day = result.first_day or _first_day(content)
        edits.append((start, end, heading + content))
    for start, end, new in reversed(edits):
        lines[start:end] = new
    if h1 is not None and first is not None:
        # Taken out last, so that the lines sections were found on are the file's.
        result.title = h1[1].strip()
        del lines[first]
    result.text = "\n".join(lines).strip("\n")
    return result


def _sections_at_level_one(lines: list[str], mapping: ImportMapping) -> None:
    """Make `# Executive Summary` a section when the mapping names it one: some templates put
    their sections at level 1, under a title at level 1 too, and pmkb's sections are level 2."""
    fence = ""
    for i, line in enumerate(lines):
        if fence:
            fence = "" if line.strip().startswith(fence) else fence
            continue
        if opening := _FENCE.match(line):
            fence = opening[1][0] * 3
            continue
        if (h1 := _H1.match(line)) and heading_key(h1[1]) in mapping.sections:
            lines[i] = f"#{line.lstrip()}"


def _first_day(content: list[str]) -> date | None:
    """The date of the first timeline list item that starts with one."""
    for line in content:
        if match := _DATED_ITEM.match(line):
            try:
                return date.fromisoformat(match[1])
            except ValueError:
                continue
    return None


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row, stripped."""
    text = line.strip()
    text = text.removeprefix("|")
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [c.strip() for c in _CELL_SPLIT.split(text)]


def _is_rule(row: list[str]) -> bool:
    return all(_RULE_CELL.match(c.replace(" ", "")) for c in row if c) and any(row)


def _table_at(lines: list[str], start: int) -> tuple[list[str], list[list[str]], int] | None:
    """A table starting at `start`: its header, its rows and the index after it."""
    if start + 1 >= len(lines) or not _TABLE_ROW.match(lines[start]):
        return None
    header, rule = cells(lines[start]), cells(lines[start + 1])
    if not _TABLE_ROW.match(lines[start + 1]) or not _is_rule(rule):
        return None
    rows = []
    end = start + 2
    while end < len(lines) and _TABLE_ROW.match(lines[end]):
        rows.append(cells(lines[end]))
        end += 1
    return header, rows, end


def _plain_cell(text: str) -> str:
    return _MARKUP.sub("", text).strip()


def _action_items(
    section: Section, items: ActionItems, mapping: ImportMapping
) -> tuple[list[dict[str, Any]], bool, str]:
    """The section's items, whether they were all it held (so the section can go), and if not,
    why it stays."""
    if any(section.code):
        return [], False, "the action-items section holds code; left in the body"
    lines = list(section.lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return [], True, ""
    table = _table_at(lines, first)
    if table is not None:
        header, rows, end = table
        lifted, unmapped = _from_table(header, rows, items, mapping)
        rest = [line for line in lines[end:] if line.strip()]
        if rest or unmapped:
            why = (
                f"column `{unmapped}` has no pmkb key"
                if unmapped
                else "it holds more than the table"
            )
            return lifted, False, f"action items lifted, and the section left in the body: {why}"
        return lifted, True, ""
    lifted, whole = _from_list(lines[first:], items)
    if not lifted:
        return [], False, "the action-items section holds no table or list; left in the body"
    if not whole:
        return (
            lifted,
            False,
            "action items lifted, and the section left in the body: it holds more than the list",
        )
    return lifted, True, ""


def _from_table(
    header: list[str], rows: list[list[str]], items: ActionItems, mapping: ImportMapping
) -> tuple[list[dict[str, Any]], str]:
    """Items from table rows, and the name of a column with text that no pmkb key takes."""
    names = [_plain_cell(h).lower() for h in header]
    where: dict[str, int] = {}
    for key in ACTION_FIELD_NAMES:
        index = next((i for i, n in enumerate(names) if n in items.columns.get(key, ())), None)
        if index is not None and index not in where.values():
            where[key] = index
    if "title" not in where:
        where["title"] = next(i for i in range(len(names)) if i not in where.values())
    unmapped = ""
    lifted = []
    for row in rows:
        if not any(_plain_cell(c) for c in row):
            continue
        for i, cell in enumerate(row):
            if i not in where.values() and _plain_cell(cell) and not unmapped:
                unmapped = header[i] if i < len(header) and header[i] else f"{i + 1}"
        found = {key: row[i] if i < len(row) else "" for key, i in where.items()}
        if "status" not in where:
            # Google's SRE book writes the state into the bug column: `Bug 5554823 **TODO**`.
            found["status"] = next(
                (w for c in row for w in _WORD.findall(c) if w.lower() in items.statuses), ""
            )
        if _link_rest(found.get("link", ""), items) and not unmapped:
            unmapped = header[where["link"]]
        item = _item(found, items, mapping)
        if item is not None:
            lifted.append(item)
    return lifted, unmapped


def _link_rest(cell: str, items: ActionItems) -> str:
    """What a link cell says besides its URL and a status word: a bug name, say, that no
    pmkb key takes."""
    rest = _MD_LINK.sub("", cell)
    rest = _URL.sub("", rest)
    words = [w for w in _WORD.findall(rest) if w.lower() not in items.statuses]
    text = " ".join(words)
    return "" if text.lower() in ("", "n/a", "na", "none") else text


def _from_list(lines: list[str], items: ActionItems) -> tuple[list[dict[str, Any]], bool]:
    """Items from a list, and whether the list was all the lines held."""
    lifted = []
    whole = True
    for line in lines:
        if not line.strip():
            continue
        match = _ITEM.match(line)
        if match is None:
            whole = False  # a paragraph, or an item's second line
            continue
        text = (match[1] or "").strip()
        status = ""
        if box := _CHECKBOX.match(text):
            status = "done" if box[1] in "xX" else "open"
            text = text[box.end() :]
        if text:
            lifted.append(_list_item(text, status, items))
    return lifted, whole


def _list_item(text: str, status: str, items: ActionItems) -> dict[str, Any]:
    item: dict[str, Any] = {"title": text}
    if items.owner:
        item["owner"] = items.owner
    item["status"] = status or items.status
    return item


def _item(
    found: dict[str, str], items: ActionItems, mapping: ImportMapping
) -> dict[str, Any] | None:
    title = found.get("title", "").strip()
    if not _plain_cell(title):
        return None
    item: dict[str, Any] = {"title": title}
    owner = _plain_cell(found.get("owner", "")) or items.owner
    if owner:
        item["owner"] = owner
    raw_status = _plain_cell(found.get("status", ""))
    key = raw_status.lower()
    item["status"] = (
        items.statuses.get(key)
        or (key if key in ACTION_STATUSES else "")
        or (raw_status if raw_status else items.status)
    )
    due_text = _plain_cell(found.get("due", ""))
    if due_text:
        day: date | str | None = to_date(due_text, mapping)
        item["due"] = day if day is not None else due_text
    link = found.get("link", "")
    if url := _URL.search(link):
        item["link"] = url[0]
    return item


def _timeline_as_list(
    content: list[str], section: Section, result: ImportedBody, body_line: int
) -> list[str]:
    """Timeline tables whose first column holds times, written as list items pmkb reads."""
    out: list[str] = []
    i = 0
    while i < len(content):
        table = None if section.code[i] else _table_at(content, i)
        if table is None:
            out.append(content[i])
            i += 1
            continue
        _header, rows, end = table
        timed = [r for r in rows if r and _STARTS_WITH_TIME.match(r[0])]
        if not timed:
            out.extend(content[i:end])
            i = end
            continue
        for row in rows:
            first, rest = row[0], [c for c in row[1:] if c]
            if not first and not rest:
                continue
            out.append(f"- {first} — {' — '.join(rest)}" if rest else f"- {first}")
        if len(timed) < len(rows):
            result.notes.append(
                (
                    body_line + section.first_line - 1 + i,
                    f"{len(rows) - len(timed)} timeline row(s) do not start with a time; "
                    "written as list items for you to correct",
                )
            )
        i = end
    return out
