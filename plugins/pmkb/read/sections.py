"""The Markdown body's level-2 sections and the timeline's entries, with file line numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# Only the opening run of `#`s is matched here; the title and its closing `#`s are found by
# stripping (`_atx`). A regex that also matched the title and closing run, such as
# `(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`, tries the closing run at every character of the title
# and rescans the spaces after it each time: a heading whose title holds a long run of spaces
# took time in the square of the run (45 s for 64 KiB).
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-*+>]|\d+[.)])(?:\s|$)")
GUIDANCE = re.compile(r"^\s*>\s*\*\*Guidance:?\*\*")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d+[.)])[ \t]")
_BULLETS = ("- ", "* ", "+ ", "-\t", "*\t", "+\t")


@dataclass(frozen=True)
class Section:
    """A level-2 section: its heading and the lines under it up to the next heading of level 1 or 2."""

    title: str
    line: int  # file line of the heading
    col: int
    lines: tuple[str, ...]  # the content lines
    first_line: int  # file line of lines[0]
    code: tuple[bool, ...]  # True for each content line inside a fenced code block

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def is_empty(self) -> bool:
        return not without_comments(self.text).strip()


def canonical_names(
    required: Iterable[str], aliases: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """Each heading (lowercase) that stands for a section of another name, with that name
    (lowercase): the required sections as named, and the headings `section_aliases` give."""
    names = {name.lower(): name.lower() for name in required}
    for name, alternatives in aliases.items():
        for alternative in alternatives:
            names[alternative.lower()] = name.lower()
    return names


def without_comments(text: str) -> str:
    """The text with its HTML comments (`<!--` to the first `-->` after it) taken out.

    An unclosed `<!--` stays as text. Written with `str.find` rather than the regex `<!--.*?-->`:
    that regex scans from every `<!--` to the end of the text when no `-->` follows, so a line of
    `<!--` repeated took time in the square of its length (5.6 s for 64 KiB).
    """
    pieces: list[str] = []
    start = 0
    while (opening := text.find("<!--", start)) != -1:
        closing = text.find("-->", opening + 4)
        if closing == -1:
            break  # no `-->` after this `<!--`, so none after any later one either
        pieces.append(text[start:opening])
        start = closing + 3
    pieces.append(text[start:])
    return "".join(pieces)


def _atx(line: str) -> tuple[int, str] | None:
    """An ATX heading's level and title (its closing `#`s and the spaces around it removed)."""
    opening = _ATX_OPEN.match(line)
    if opening is None:
        return None
    title = line[opening.end() :].strip(" \t")
    # A closing run of `#`s counts only after a space or tab: `## C#` is titled `C#`, and so,
    # as before, is a title of `#`s only (`## ###` is titled `###`).
    bare = title.rstrip("#")
    if bare != title and bare[-1:] in (" ", "\t"):
        title = bare.rstrip(" \t")
    return len(opening.group(1)), title.strip()


def parse_sections(body: str, body_line: int) -> list[Section]:
    """Split a Markdown body into its level-2 sections, ignoring headings inside code.

    Text before the first level-2 heading, if any, comes first as a section with an empty title.
    """
    lines = body.split("\n")
    heads, in_code = _headings_and_code(lines)
    sections: list[Section] = []
    first_h2 = next((index for index, level, _ in heads if level == 2), len(lines))
    if any(line.strip() for line in lines[:first_h2]):
        sections.append(
            Section("", body_line, 1, tuple(lines[:first_h2]), body_line, tuple(in_code[:first_h2]))
        )
    for (index, level, title), end in zip(heads, _section_ends(heads, len(lines)), strict=True):
        if level != 2:
            continue
        start = index + 1
        if start < len(lines) and _SETEXT.match(lines[start]) and lines[index].strip() == title:
            start += 1  # setext underline
        col = len(lines[index]) - len(lines[index].lstrip()) + 1
        sections.append(
            Section(
                title,
                body_line + index,
                col,
                tuple(lines[start:end]),
                body_line + start,
                tuple(in_code[start:end]),
            )
        )
    return sections


def _headings_and_code(lines: list[str]) -> tuple[list[tuple[int, int, str]], list[bool]]:
    """The headings outside code as (index, level, title), and for each line whether it is code.

    One pass over the lines carrying the fence and list state from line to line; the cheap tests
    (empty line, bullet, prose) come first because they decide most lines.
    """
    in_code = [False] * len(lines)
    heads: list[tuple[int, int, str]] = []  # (index, level, title)
    fence = ""
    in_list = False
    for i, line in enumerate(lines):
        if fence:
            in_code[i] = True
            if line.strip().startswith(fence):
                fence = ""
            continue
        if not line:
            continue  # an empty line changes nothing
        blank_before = i == 0 or not lines[i - 1].strip()
        if line[:2] in _BULLETS and line[2:].strip():
            in_list = True  # a list item with text: no heading, fence or code starts like this
            continue
        if line[:1].isalpha():
            # Most lines are prose: no heading, fence, list item or code can start with a letter.
            if blank_before:
                in_list = False
            continue
        if _INDENTED.match(line) and not in_list and (blank_before or in_code[i - 1]):
            in_code[i] = True  # an indented code block
            continue
        if line.strip():
            if _LIST_ITEM.match(line):
                in_list = True
            elif blank_before and not line[:1].isspace():
                in_list = False
        match = _FENCE.match(line)
        if match:
            fence = match.group(1)[0] * 3
            in_code[i] = True
            continue
        atx = _atx(line)
        if atx:
            heads.append((i, *atx))
            in_list = False
            continue
        setext = _SETEXT.match(line)
        if setext and i > 0 and lines[i - 1].strip() and not in_code[i - 1]:
            previous = lines[i - 1]
            if not _LIST_OR_QUOTE.match(previous) and not _ATX_OPEN.match(previous):
                level = 1 if setext.group(1).startswith("=") else 2
                if heads and heads[-1][0] == i - 1:
                    continue
                heads.append((i - 1, level, previous.strip()))
    return heads, in_code


def _section_ends(heads: list[tuple[int, int, str]], line_count: int) -> list[int]:
    """For each heading, the index of the line its section ends before: the next of level 1 or 2."""
    # One backward pass: searching `heads[n + 1 :]` for each heading took time in the square of
    # their number.
    ends: list[int] = []
    end = line_count
    for index, level, _ in reversed(heads):
        ends.append(end)
        if level <= 2:
            end = index
    ends.reverse()
    return ends


_TIME = re.compile(
    r"^(?P<wrap>\*\*|__|`)?(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
)
_ITEM = re.compile(r"^( {0,1})(?:[-*+]|\d+[.)])[ \t]+(.*)$")


@dataclass(frozen=True)
class TimelineEntry:
    """A top-level timeline list item that starts with a time."""

    line: int
    when: datetime  # naive; the date is the incident's date unless the entry gives one
    text: str
    dated: bool = False  # the entry gives its date itself


@dataclass(frozen=True)
class TimelineProblem:
    """A timeline list item that does not start with a valid time."""

    line: int
    col: int
    message: str


def parse_timeline(
    section: Section, day: date | None
) -> tuple[list[TimelineEntry], list[TimelineProblem]]:
    """Read the timeline's entries; time-only entries roll over midnight when time jumps back >12h."""
    entries: list[TimelineEntry] = []
    problems: list[TimelineProblem] = []
    current = day or date(2000, 1, 1)
    for offset, line in enumerate(section.lines):
        if section.code[offset]:
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        text = item.group(2)
        file_line = section.first_line + offset
        col = item.start(2) + 1
        match = _TIME.match(text)
        if not match:
            problems.append(TimelineProblem(file_line, col, _not_a_time(text)))
            continue
        try:
            clock = time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
            explicit = date.fromisoformat(match["date"]) if match["date"] else None
        except ValueError:
            problems.append(
                TimelineProblem(
                    file_line, col, f"`{match.group(0).strip('*_`')}` is not a valid date and time"
                )
            )
            continue
        if explicit:
            current = explicit
        when = datetime.combine(current, clock)
        if (
            not explicit
            and entries
            and when < entries[-1].when
            and entries[-1].when - when > timedelta(hours=12)
        ):
            try:
                current += timedelta(days=1)
                when += timedelta(days=1)
            except OverflowError:
                problems.append(
                    TimelineProblem(
                        file_line, col, "the timeline runs past the last representable date"
                    )
                )
                continue
        entries.append(
            TimelineEntry(
                file_line,
                when,
                text[match.end() :].strip(" *_`\u2014\u2013-:"),
                dated=explicit is not None,
            )
        )
    return entries, problems


# The shapes of times people type that are not `HH:MM`, each with how to write it. Matched on
# the entry's first word only (at most 40 characters), so their cost is bounded.
_DOTTED = re.compile(r"(\d{1,2})[.h](\d{2})")  # 14.43, 14h43
_RUN_TOGETHER = re.compile(r"(\d{1,2})(\d{2})")  # 1600
_DATE_LIKE = re.compile(r"\d+[-/.]\d+[-/.]\d+")  # 22025-03-18, 18/03/2025
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _not_a_time(text: str) -> str:
    """What PMK304 says of an entry that does not start with a time: its first word, quoted,
    and how to write it when its shape says what was meant."""
    word = text.split(None, 1)[0] if text.strip() else ""
    word = word.strip("*_`")[:40].rstrip(",;:")
    shown = f"`{word}`" if word else "nothing"
    advice = "start the entry with `HH:MM` or `YYYY-MM-DD HH:MM`"
    clock = _DOTTED.fullmatch(word) or _RUN_TOGETHER.fullmatch(word)
    if clock is not None:
        hour, minute = clock.groups()
        if int(hour) < 24 and int(minute) < 60:
            return (
                f"timeline entry starts with {shown}, not a time: write `{int(hour):02}:{minute}`"
            )
    if _ISO_DAY.fullmatch(word):
        return f"timeline entry starts with the date {shown} but no time: write `{word} HH:MM`"
    if _DATE_LIKE.fullmatch(word):
        return f"timeline entry starts with {shown}, not a date in the form YYYY-MM-DD: {advice}"
    return f"timeline entry starts with {shown}, not a time: {advice}"
