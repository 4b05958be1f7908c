"""Blame language: what is reported and, as important, what is not."""

from __future__ import annotations

import pytest

from pmkb.read.blame import BlameMatcher
from pmkb.read.sections import Section

MATCHER = BlameMatcher()

BLAMING = [
    ("The outage was caused by human error.", "human error"),
    ("Root cause: operator error", "operator error"),
    ("The engineer should have checked the dashboard.", "should have"),
    ("We should have known.", "should have"),
    ("The operator should have run the dry-run first.", "should have"),
    ("It was the fault of the on-call engineer.", "the fault of"),
    ("The operator was at fault.", "operator was at fault"),
    ("We cannot blame luck.", "blame"),
    ("The team is to blame.", "to blame"),
    ("He forgot to renew the certificate.", "forgot"),
    ("A careless change to the limit.", "careless"),
    ("The negligent review let it through.", "negligent"),
    ("They dropped the ball on the renewal.", "dropped the ball"),
    ("An inexperienced engineer ran the migration.", "inexperienced"),
]

SYSTEMIC = [
    "The system should have retried.",
    "The alert should have fired at 14:02.",
    "The nightly job should have run at 02:00.",
    "The failover should have taken 30 seconds.",
    "We run blameless postmortems.",
    "A blame-free review followed.",
    "git blame shows the line is old.",
    "We do not blame individuals.",
    "Checklists reduce the risk of human error.",
    "It was the fault of the disk controller.",
    "We found which file was at fault.",
    "The user error message was unclear.",
    "The /forgot-password page timed out.",
    "Run `git blame` on the file.",
    "See [the history](https://example.com/blame).",
]


@pytest.mark.parametrize(("sentence", "phrase"), BLAMING)
def test_blaming_sentences_are_reported(sentence: str, phrase: str) -> None:
    hits = list(MATCHER.scan_line(sentence, 7))
    assert [h.text.lower() for h in hits] == [phrase.lower()]
    assert hits[0].line == 7 and hits[0].col == sentence.lower().index(phrase.lower()) + 1


@pytest.mark.parametrize("sentence", SYSTEMIC)
def test_systemic_sentences_are_not_reported(sentence: str) -> None:
    assert list(MATCHER.scan_line(sentence, 1)) == []


def test_team_phrases_extend_the_list_and_their_suggestion_wins() -> None:
    matcher = BlameMatcher({"rookie mistake": "Describe the missing guardrail.", "sloppy": "Ours."})
    hits = list(matcher.scan_line("A rookie mistake and a sloppy fix.", 1))
    assert [(h.text, h.suggestion) for h in hits] == [
        ("rookie mistake", "Describe the missing guardrail."),
        ("sloppy", "Ours."),
    ]


@pytest.mark.parametrize(("sentence", "phrase"), BLAMING)
def test_sections_are_scanned_with_the_same_result(sentence: str, phrase: str) -> None:
    # Sections are pre-screened by key word before the full patterns run; the screen must not hide a hit.
    section = Section("Contributing factors", 10, 1, ("Intro line.", sentence), 11, (False, False))
    assert [(h.line, h.text.lower()) for h in MATCHER.scan_section(section)] == [
        (12, phrase.lower())
    ]
