"""Blame language: phrases that judge a person where a postmortem should describe the system."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .sections import Section

_PEOPLE = "Name the condition that made the action reasonable at the time: a missing guardrail, an unclear signal, time pressure."
_HINDSIGHT = "Say what the system made hard or easy (e.g. 'the runbook did not cover X'); hindsight counterfactuals judge people."
_CARE = "Describe the workload, tooling and information people had instead of judging their care."
_FAULT = "Describe the contributing conditions; a postmortem assigns no fault."
_MEMORY = "Describe what relied on memory and how a check or automation could carry it."

# Each phrase is a regular expression, matched case-insensitively on whole words.
DEFAULT_PHRASES: Mapping[str, str] = {
    r"human error": _PEOPLE,
    r"operator error": _PEOPLE,
    r"user error": _PEOPLE,
    r"(?:should|shouldn't|should not)(?: have|'ve)(?= \w+ed\b| known| seen| caught| noticed| checked| been caught| done| made| run| taken)": _HINDSIGHT,
    r"careless(?:ly|ness)?": _CARE,
    r"negligen(?:t|ce|tly)": _CARE,
    r"reckless(?:ly|ness)?": _CARE,
    r"sloppy": _CARE,
    r"lack of attention": _CARE,
    r"(?:the )?fault of": _FAULT,
    r"at fault": _FAULT,
    r"(?:to )?blame[ds]?(?!-?(?:less|free))": _FAULT,
    r"forgot(?:ten)?": _MEMORY,
}

_HANDLE = re.compile(r"(?<![\w.@/`])@[A-Za-z0-9][A-Za-z0-9_-]*")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<https?://[^>]*>|https?://\S+")


@dataclass(frozen=True)
class BlameHit:
    """One phrase found: file line, 1-based column, the text and the suggested rewording."""

    line: int
    col: int
    text: str
    suggestion: str


class BlameMatcher:
    """Finds the configured phrases in prose, skipping code and link targets."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        phrases = dict(DEFAULT_PHRASES)
        for phrase, suggestion in (extra or {}).items():
            phrases[re.escape(phrase.strip())] = suggestion or _FAULT
        self._suggestions = list(phrases.values())
        alternatives = "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(phrases))
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w])", re.IGNORECASE)

    def scan_line(self, text: str, line: int, col_offset: int = 0) -> Iterator[BlameHit]:
        cleaned = _LINK_TARGET.sub(
            lambda m: " " * len(m.group(0)), _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)
        )
        for match in self._pattern.finditer(cleaned):
            index = int(next(k for k, v in match.groupdict().items() if v is not None)[1:])
            yield BlameHit(
                line, col_offset + match.start() + 1, match.group(0), self._suggestions[index]
            )

    def scan_section(self, section: Section) -> Iterator[BlameHit]:
        for offset, text in enumerate(section.lines):
            if not section.code[offset]:
                yield from self.scan_line(text, section.first_line + offset)


def handle_mentions(section: Section) -> Iterator[BlameHit]:
    """`@handle` mentions: naming a person in the contributing factors points at them."""
    for offset, text in enumerate(section.lines):
        if section.code[offset]:
            continue
        cleaned = _LINK_TARGET.sub(
            lambda m: " " * len(m.group(0)), _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)
        )
        for match in _HANDLE.finditer(cleaned):
            yield BlameHit(
                section.first_line + offset,
                match.start() + 1,
                match.group(0),
                "Describe the condition, not the person: e.g. 'a limit change reached production without a staged rollout'.",
            )
