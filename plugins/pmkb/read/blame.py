"""Blame language: phrases that judge a person where a postmortem should describe the system."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .sections import Section

_PEOPLE = "Name the condition that made the action reasonable at the time: a missing guardrail, an unclear signal, time pressure."
_HINDSIGHT = "Say what the system made hard or easy (e.g. 'the runbook did not cover X'); hindsight counterfactuals judge people."
_CARE = "Describe the workload, tooling and information people had instead of judging their care."
_FAULT = "Describe the contributing conditions; a postmortem assigns no fault."
_MEMORY = "Describe what relied on memory and how a check or automation could carry it."

# Each phrase is a regular expression, matched case-insensitively on whole words. The look-arounds
# keep out what public postmortems showed to be false positives: systems that "should have retried",
# "git blame", "blame-free", "reduce the risk of human error", "the fault of the disk". A phrase
# with look-behinds opens with a look-ahead for its own words, which fails at once on any other
# word: the look-behinds, a dozen at a time, are then tried only where the phrase stands.
_SYSTEM_SUBJECT = "".join(
    f"(?<!\\b{word} )"
    for word in (
        "it",
        "this",
        "that",
        "system",
        "job",
        "alert",
        "failover",
        "service",
        "check",
        "cache",
        "process",
        "query",
        "request",
        "build",
        "deploy",
        "test",
        "script",
    )
)
_COMPONENT = "disk|drive|file|node|host|server|switch|network|service|system|database|config|configuration|dependency|library|code|test|load balancer|cache|cluster"
_SLIP = "Describe the step that let a slip through: the missing confirmation, dry run, review or guardrail."
_PROCEDURE = "Describe what made the procedure hard to follow or easy to skip: its length, its place, the pressure of the moment."
# People who act in postmortems. A person doing something "mistakenly" or "accidentally" judges
# them; a script or job doing it describes the system, and is left alone. Up to two words may
# stand between the person and the adverb ("an operator at OWASA accidentally"), but not a
# possessive: "the engineer's script accidentally deleted" is the script's doing.
_PERSON = "engineers?|operators?|developers?|admins?|administrators?|sres?|on-?call(?:ers?)?|employees?|(?:team |staff )?members?|staff|personnel|technicians?|contractors?|someone|somebody|he|she|who"
_BY_MISTAKE = "mistakenly|accidentally|accidently|inadvertently|incorrectly|wrongly|erroneously|unintentionally|carelessly"
DEFAULT_PHRASES: Mapping[str, str] = {
    r"(?=human[- ]error)(?<!risk of )(?<!chance of )(?<!prone to )(?<!reduce )(?<!reducing )(?<!eliminate )(?<!prevent )(?<!avoid )(?<!minimise )(?<!minimize )human[- ]error": _PEOPLE,
    r"pilot error|human mistake": _PEOPLE,
    rf"(?:{_PERSON})(?: [a-z][a-z0-9-]*){{0,2}},? (?:{_BY_MISTAKE})": _PEOPLE,
    # "made a typo", "made a simple mistake", "made two errors": people make these, systems do not.
    r"made (?:a|an|one|two|three|several|some|multiple|the same) (?:[a-z-]+ )?(?:typo|mistake|error|slip|blunder)s?": _SLIP,
    rf"(?:typo|mistake|error|slip)s? (?:made )?by (?:an? |the |one |our )?(?:{_PERSON})": _SLIP,
    r"(?=fat)(?<!prevent )(?<!avoid )(?<!against )(?<!reduce )(?<!risk of )fat[- ]?finger(?:ed|ing|s)?(?! (?:protection|check|guard|safeguard)s?\b)": _SLIP,
    r"rookie mistake|honest mistake|(?:his|her|their) (?:own )?(?:mistake|fault|carelessness|negligence)": _SLIP,
    r"(?:did not|didn't|failed to|neglected to|forgot to|chose not to) follow(?: the| our| their| its| a)?(?: [a-z-]+){0,2} (?:runbook|playbook|procedure|process|instruction|checklist|protocol|guideline|step)s?": _PROCEDURE,
    r"(?:did not|didn't|failed to|forgot to|neglected to|without) double[- ]?check(?:ed|ing)?": _SLIP,
    r"neglected to|lapse (?:in|of) (?:judge?ment|attention)|(?:not|wasn't|weren't) paying attention": _CARE,
    r"operator error": _PEOPLE,
    # Not "assumed user error": a first guess the postmortem goes on to correct.
    r"(?=user error)(?<!assumed )(?<!suspected )user error(?! (?:message|rate|code|response|page|count|budget)s?\b)": _PEOPLE,
    r"(?=should)"
    + _SYSTEM_SUBJECT
    + r"(?:should|shouldn't|should not)(?: have|'ve)(?= (?:known|seen|caught|noticed|checked|double-checked|verified|tested|reviewed|read|looked|asked|realized|realised|waited|escalated|paid attention|thought|run|done|made|taken|been (?:caught|more careful|aware|noticed))\b)": _HINDSIGHT,
    r"careless(?:ly|ness)?": _CARE,
    r"negligen(?:t|ce|tly)": _CARE,
    r"reckless(?:ly|ness)?": _CARE,
    r"sloppy": _CARE,
    r"lack of attention": _CARE,
    r"without being thorough": _CARE,
    r"inexperienced?": _CARE,
    r"misguided": _CARE,
    r"dropped the ball": _CARE,
    rf"(?:the )?fault of(?! (?:the |a |an |our |their |its )?(?:{_COMPONENT})\b)": _FAULT,
    r"(?:engineer|operator|developer|admin|sre|on-?call|person|team|member|reviewer|manager|he|she|they|someone|who|we|you|i)(?:'s)? (?:was|is|were|are|be|being|been) (?:partly |partially |solely )?at fault": _FAULT,
    r"(?=(?:to )?blame)(?<!git )(?<!\Wno )(?<!\Wnot )(?<!without )(?<!assign )(?<!assigning )(?<!assigns )(?<!not to )(?:to )?blame[ds]?(?!-?(?:less|free|aware)|[ -](?:culture|game)s?\b)": _FAULT,
    # "forgotten" only as a verb ("had forgotten"): "a forgotten offer" names a thing, no one.
    r"forgot(?![- ]password)|(?:had|has|have|was|were|been|is|are|got) forgotten": _MEMORY,
}

# Every default phrase contains one of these; keep it in step with DEFAULT_PHRASES.
_KEYWORDS = (
    "human error",
    "human-error",
    "pilot error",
    "accidentally",
    "accidently",
    "inadvertently",
    "incorrectly",
    "wrongly",
    "erroneously",
    "unintentionally",
    # As specific as the phrases allow: a word common in incident prose ("made ", " by ",
    # "fat" in "fatal", "double" in "doubled", " follow" in "follow-up") let most sections
    # through to the line-by-line scan, which then took most of a check's time.
    "typo",
    "slip",
    "blunder",
    "error by",
    "errors by",
    "error made by",
    "errors made by",
    # "made an error": the other nouns of that phrase are key words of their own.
    "made a",
    "made one",
    "made two",
    "made three",
    "made several",
    "made some",
    "made multiple",
    "made the same",
    "fat-finger",
    "fat finger",
    "fatfinger",
    "mistake",
    "not follow",
    "n't follow",
    "to follow",
    "double-check",
    "double check",
    "doublecheck",
    "neglected to",
    "lapse ",
    "paying attention",
    "operator error",
    "user error",
    "should have",
    "should've",
    "shouldn't have",
    "should not have",
    "should not've",
    "shouldn't've",
    "careless",
    "negligen",
    "reckless",
    "sloppy",
    "lack of attention",
    "without being thorough",
    "inexperienc",
    "misguided",
    "dropped the ball",
    "fault",
    "blame",
    "forgot",
)

_HANDLE = re.compile(r"(?<![\w.@/`])@[A-Za-z0-9][A-Za-z0-9_-]*")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# A link target runs to the next `]` or `<` at most (as well as to `)`, `>` or a space): were it
# allowed to cross them, a line of `](` or `<http://x ` repeated would be scanned from each one
# to its end, in time the square of its length (8 s for 64 KiB).
_LINK_TARGET = re.compile(r"\]\([^)\s\]]*\)|<https?://[^<>]*>|https?://\S+")


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
        # The team's own phrases come first, so their suggestion wins where both match.
        phrases = {
            re.escape(p.strip()): suggestion or _FAULT for p, suggestion in (extra or {}).items()
        }
        phrases.update((p, s) for p, s in DEFAULT_PHRASES.items() if p not in phrases)
        self._suggestions = list(phrases.values())
        alternatives = "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(phrases))
        # A word that every match contains, to rule out clean text with one quick search.
        # A phrase with no word left once folded (a lone combining dot) has the empty key word,
        # which every text holds: it is never screened out.
        extra_words = (
            max(_folded(p).split(), key=len, default="") for p in (extra or {}) if p.strip()
        )
        self._screen = re.compile(_one_pass(sorted({*_KEYWORDS, *extra_words})))
        # Every default phrase starts with a letter, and each team phrase with its first
        # character: testing that first, as one character class, spares trying every phrase at
        # every space and punctuation mark (a line of spaces is scanned twenty times faster).
        # The first character in all its cases: under IGNORECASE, a class that holds `a-z` and a
        # letter beyond U+FFFF (`𐐀`) does not match that letter's other case.
        firsts = "".join(
            sorted(
                re.escape(case)
                for first in {p.strip()[0] for p in extra or {} if p.strip()}
                for case in {first, first.lower(), first.upper(), first.casefold()}
            )
        )
        self._source = rf"(?<![\w-])(?=[a-z{firsts}])(?:{alternatives})(?![\w])"

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # Compiled when a line may hold a phrase: most files hold none, and compiling it took
        # 7 ms of every `pmkb check FILE`.
        return re.compile(self._source, re.IGNORECASE)

    def scan_line(self, text: str, line: int, col_offset: int = 0) -> Iterator[BlameHit]:
        cleaned = _prose(text)
        for match in self._pattern.finditer(cleaned):
            # The phrase's group encloses any group within it, so it is the last one closed: one
            # look-up, where searching every phrase's group cost one step per phrase per match.
            index = int(str(match.lastgroup)[1:])
            yield BlameHit(
                line, col_offset + match.start() + 1, match.group(0), self._suggestions[index]
            )

    def may_match(self, text: str) -> bool:
        """False when no phrase can occur in the text: a quick test before the line-by-line scan."""
        return self._screen.search(_folded(text)) is not None

    def scan_section(self, section: Section) -> Iterator[BlameHit]:
        # Most sections hold none of the phrases' key words; one search over the text rules them out.
        if not self.may_match(section.text):
            return
        for offset, text in enumerate(section.lines):
            if not section.code[offset] and self.may_match(text):
                yield from self.scan_line(text, section.first_line + offset)


def _folded(text: str) -> str:
    """The text as the screen compares it: any two characters that re.IGNORECASE takes for one
    another fold alike. `str.lower` does not: it leaves the long s (U+017F, matched as `s`) and
    the dotless i (U+0131, matched as `i`), turns a dotted capital I (U+0130) into `i` and a
    combining dot, and a capital sigma into one of two sigmas by what follows it. A Turkish team's
    phrase in capitals, or `careless` with a long s, passed the screen in silence."""
    folded = text.casefold()  # as fast as lower() on ASCII, which most text is
    if folded.isascii():
        return folded
    return folded.replace("\u0131", "i").replace("\u0307", "")


_DEPTH = 32  # longer than any of _KEYWORDS

# How common each character is in English prose, in percent of its letters (the usual table; a
# space after every fifth letter or so). A character not listed (a digit, a letter of another
# script, the punctuation of a team's phrase) counts as rarer than any.
_FREQUENCY: dict[str, float] = {
    " ": 20, "e": 12.7, "t": 9.1, "a": 8.2, "o": 7.5, "i": 7.0, "n": 6.7, "s": 6.3, "h": 6.1,
    "r": 6.0, "d": 4.3, "l": 4.0, "c": 2.8, "u": 2.8, "m": 2.4, "w": 2.4, "f": 2.2, "g": 2.0,
    "y": 2.0, "p": 1.9, "b": 1.5, "-": 1.5, "v": 0.98, "k": 0.77, "'": 0.5, "j": 0.15,
    "x": 0.15, "q": 0.095, "z": 0.074,
}  # fmt: skip


def _often(char: str) -> float:
    """How common `char` is in prose, by the table above."""
    return _FREQUENCY.get(char, 0.01)


def _one_pass(words: list[str]) -> str:
    """A pattern that finds any of `words` in one pass over the text. Each word is looked for from
    one of its rarer characters, its anchor: `re` skips to the next character of a set in a tight
    loop and tries a match only there. From the words' first letters, which cover most letters, it
    tried one at nearly every character: 29 ns a character on 5,000 postmortems, 7 from anchors.
    After its anchor each word's rest is written as a tree of their common beginnings, and where a
    rest ends a look-behind checks the word's whole text (a look-behind for each word first, tried
    in turn at every anchor, took twice as long). Only literal text: linear in the text."""
    # Text that holds a word holds its beginning: the first _DEPTH characters find it as well,
    # and bound the tree's depth. A team phrase of 500 letters nested the pattern (and `written`)
    # past the recursion limit, and `pmkb check` stopped on a RecursionError.
    words = sorted({word[:_DEPTH] for word in words})
    if "" in words:  # every text holds the empty word
        return ""
    anchors = _anchors(words)
    trees: dict[str, dict[str, Any]] = {}
    for word in words:
        anchor = min((char for char in word if char in anchors), key=_often)
        at = word.index(anchor)
        node = trees.setdefault(anchor, {})
        for char in word[at + 1 :]:
            node = node.setdefault(char, {})
        node.setdefault("", []).append(word[:at])

    def written(node: dict[str, Any], matched: str) -> str:
        befores: list[str] = node.get("", [])
        if "" in befores:  # a word that starts at its anchor ends here: whatever follows, found
            return ""
        # Words that end here are parted by the character before their anchor first: one
        # look-behind for it rules out its whole group (the seven words in `-ly`, anchored at `y`,
        # need an `l` behind it: 6.6 ns a character where one look-behind for each word took 7.2).
        groups: dict[str, list[str]] = {}
        for before in befores:
            groups.setdefault(before[-1], []).append(f"(?<={re.escape(before + matched)})")
        branches = [
            checks[0]
            if len(checks) == 1
            else f"(?<={re.escape(last + matched)})(?:{'|'.join(checks)})"
            for last, checks in sorted(groups.items())
        ]
        branches += [
            re.escape(char) + written(rest, matched + char)
            for char, rest in sorted(node.items())
            if char
        ]
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return "|".join(re.escape(anchor) + written(trees[anchor], anchor) for anchor in sorted(trees))


def _anchors(words: list[str]) -> set[str]:
    """Characters such that every word holds one, together as rare in prose as a greedy choice
    finds them: the most words for the least frequency first, then those no longer needed
    dropped."""
    holders: dict[str, set[str]] = {}
    for word in words:
        for char in word:
            holders.setdefault(char, set()).add(word)
    # Greedy, lazily: covering words only lowers a character's worth, so one whose worth, counted
    # again, still leads every other's last count leads them all (2,000 phrases in Chinese took
    # a second where every character was counted again for each choice).
    left = set(words)
    worths = [(-len(held) / _often(char), char) for char, held in holders.items()]
    heapq.heapify(worths)
    chosen: list[str] = []
    while left:
        _, char = heapq.heappop(worths)
        worth = (-len(holders[char] & left) / _often(char), char)
        if worths and worth > worths[0]:
            heapq.heappush(worths, worth)
            continue
        chosen.append(char)
        left -= holders[char]
    # One chosen early may be needed no more once later ones are: the commonest go first. With
    # the key words, an apostrophe, `k` and `x` went, and `g l m p u y` stayed.
    covers = dict.fromkeys(words, 0)
    for char in chosen:
        for word in holders[char]:
            covers[word] += 1
    for char in sorted(chosen, key=_often, reverse=True):
        if all(covers[word] > 1 for word in holders[char]):
            chosen.remove(char)
            for word in holders[char]:
                covers[word] -= 1
    return set(chosen)


def _prose(text: str) -> str:
    """The line with inline code and link targets blanked out, so columns stay where they were."""
    blank = lambda m: " " * len(m.group(0))  # noqa: E731
    return _LINK_TARGET.sub(blank, _INLINE_CODE.sub(blank, text))


def handle_mentions(section: Section) -> Iterator[BlameHit]:
    """`@handle` mentions: naming a person in the contributing factors points at them."""
    for offset, text in enumerate(section.lines):
        if section.code[offset] or "@" not in text:
            continue
        cleaned = _prose(text)
        for match in _HANDLE.finditer(cleaned):
            yield BlameHit(
                section.first_line + offset,
                match.start() + 1,
                match.group(0),
                "Describe the condition, not the person: e.g. 'a limit change reached production without a staged rollout'.",
            )
