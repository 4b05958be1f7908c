"""Action items that cannot be acted on: exhortations, and "improve X" with nothing concrete.

The SRE book asks action items to be actionable (a verb and an outcome), specific (one change, in
one place) and bounded (you can tell when it is done). Two kinds of title fail all three and are
common in real postmortems: an exhortation to people ("Be more careful with failovers", "Double-
check the config"), which changes no system, and a vague verb over nothing but generic words
("Improve monitoring", "Investigate the issue", "Better alerting and visibility").

The test is on words, not a regular expression: a title is lowercased and split once, and each
rule looks at its first words or tests each word against a set, in time linear in its length.
It errs on the side of silence: a title naming anything particular ("Improve the checkout alert",
"Investigate Redis eviction", "Review the retry policy") is left alone. See docs/reference.md
(PMK211) for how it was tuned on real action items.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:['\u2019-][a-z0-9]+)*")


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string, as a reader would list them."""
    return frozenset(text.split())


def _by_first_word(
    phrases: tuple[tuple[str, ...], ...],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, tuple[tuple[str, ...], ...]] = {}
    for phrase in phrases:
        index[phrase[0]] = (*index.get(phrase[0], ()), phrase)
    return index


def _starts_with(words: tuple[str, ...], phrases: dict[str, tuple[tuple[str, ...], ...]]) -> bool:
    """Whether `words` start with one of `phrases` (indexed by their first word)."""
    return bool(words) and any(words[: len(p)] == p for p in phrases.get(words[0], ()))


# Who an exhortation is addressed to, and how, before its verb: "We should", "Everyone must",
# "Always", "Please". Skipped before the exhortation is looked for.
_ADDRESSEES = _words(
    "we everyone engineers engineer the team teams people on-call oncall operators all devs "
    "developers staff you i"
)
_MODALS = _words("should must need needs will to shall always please")

# Exhortations: what people are asked to do harder, as the words they start with.
_EXHORTATIONS: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "be careful",
        "be more",
        "be extra",
        "be very",
        "be cautious",
        "be vigilant",
        "be mindful",
        "be aware",
        "be attentive",
        "be diligent",
        "be thorough",
        "pay attention",
        "pay more attention",
        "pay closer attention",
        "pay extra attention",
        "take care",
        "take more care",
        "take extra care",
        "remember to",
        "don't forget",
        "do not forget",
        "never forget",
        "try harder",
        "try to be",
        "try not to",
        "think twice",
        "double-check",
        "double check",
        "avoid mistakes",
        "avoid errors",
        "avoid typos",
        "avoid making",
        "make sure this doesn't",
        "make sure this does not",
        "make sure this never",
        "make sure it doesn't",
        "make sure it does not",
        "make sure it never",
        "ensure this doesn't",
        "ensure this does not",
        "ensure this never",
        "ensure it doesn't",
        "ensure it does not",
        "ensure it never",
        "don't let this",
        "do not let this",
        "communicate better",
        "work harder",
        "stay alert",
        "keep an eye",
    )
)

# The exhortations to take care, which a lesson (PMK403) may not consist of: "Be more careful",
# "We should pay more attention". Not "be more" alone: "be more explicit in the schema" is a
# direction for a change.
_CARE: tuple[tuple[str, ...], ...] = tuple(
    phrase
    for phrase in _EXHORTATIONS
    if phrase[:2] not in (("be", "more"), ("be", "extra"), ("be", "very"))
    and phrase[0] not in ("make", "ensure", "don't", "do", "communicate", "avoid", "work")
) + tuple(
    tuple(phrase.split())
    for phrase in (
        "be more careful",
        "be extra careful",
        "be very careful",
        "be more cautious",
        "be more vigilant",
        "be more mindful",
        "be more thorough",
        "be more diligent",
        "be more attentive",
        "don't forget",
        "do not forget",
    )
)

# Verbs that leave the change open ("improve", "look into") and the words that name nothing in
# particular. A title made of one such verb and only such words names no change.
_VAGUE_VERBS = _words(
    "improve improving improved better enhance increase strengthen review revisit investigate "
    "look consider evaluate re-evaluate reevaluate reassess rethink reflect discuss explore "
    "optimize optimise address handle fix prevent more deeper further"
)
_GENERIC = _words(
    """
    a an the our this that these those it its them their all any some overall general generally
    and or of in on for to with into at from about around across more better further again
    monitoring monitors alerting alerts alarms observability visibility logging logs metrics
    dashboards dashboard testing tests test coverage documentation docs runbooks runbook
    process processes procedure procedures practices communication communications coordination
    reliability resilience stability robustness performance quality security tooling tools
    response responses handling incident incidents issue issues problem problems bug bugs
    root cause causes failure failures outage outages error errors situation things everything
    happening happen recurrence recurring future similar going forward team teams internal
    system systems infrastructure setup approach way ways
    """
)


# Each list of phrases by its first word: a title is compared with the few phrases its first word
# starts, not with all of them (at thousands of postmortems, the scan over every phrase took a
# seventh of checking them).
_EXHORTATIONS_BY_FIRST = _by_first_word(_EXHORTATIONS)
_CARE_BY_FIRST = _by_first_word(_CARE)


def _addressed(text: str) -> tuple[str, ...]:
    """The words of `text` after any "We should", "Everyone must always", "Please"."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    start = 0
    while start < min(len(words), 4) and (words[start] in _ADDRESSEES or words[start] in _MODALS):
        start += 1
    return tuple(words[start:])


def exhorts(sentence: str) -> bool:
    """Whether a sentence asks people to take more care: "Be more careful with failovers"."""
    return _starts_with(_addressed(sentence), _CARE_BY_FIRST)


def vague_action(title: str) -> str | None:
    """Why an action item's title names no concrete change ("exhortation" or "vague"), or None."""
    rest = _addressed(title)
    if _starts_with(rest, _EXHORTATIONS_BY_FIRST):
        return "exhortation"
    if not rest or rest[0] not in _VAGUE_VERBS:
        return None
    # "look into it": the preposition and all after it are generic words.
    tail = rest[1:]
    if all(word in _GENERIC for word in tail):
        return "vague"
    return None
