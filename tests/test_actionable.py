"""Action items that name no concrete change (PMK211): what is reported and, above all, what is
not. The good titles are the kind real postmortems hold; the warning must stay silent on them."""

from __future__ import annotations

import pytest

from pmkb.read.actionable import exhorts, vague_action

EXHORTATIONS = [
    "Be more careful with failovers",
    "Be careful",
    "We should be more careful when deploying",
    "Everyone must remember to renew certificates",
    "Pay more attention to the dashboards",
    "Double-check the config before deploys",
    "Double check DNS changes",
    "Don't forget to drain the node first",
    "Make sure this doesn't happen again",
    "Ensure it never happens again",
    "Always think twice before running migrations",
    "Please take extra care with production",
    "Communicate better",
]

VAGUE = [
    "Improve monitoring",
    "Improve testing",
    "Better monitoring and visibility",
    "Better alerting",
    "Investigate the issue",
    "Investigate",
    "Look into it",
    "Review our processes",
    "Increase test coverage",
    "Prevent this from happening again",
    "Fix the root cause",
]

# Concrete ones, including titles that start with a vague verb but say what, where and how much.
CONCRETE = [
    "Require a second approver for manual failovers",
    "Page on checkout 5xx above 2% for 5 minutes",
    "Add a dry-run flag to the cleanup tool",
    "Improve the checkout alert to page at 2% errors",
    "Investigate Redis eviction under load",
    "Review the retry policy of the payments client",
    "Better monitoring of OOM kills in pods",
    "Look into liveness probe covering the Fluentd metrics endpoint",
    "Increase the connection pool to 50",
    "Fix the alert",
    "Document the rollover process",
    "Automate the certificate renewal check",
    "Set producer idempotence explicitly in inventory-sync",
    "Consider pushing node logs to Loki with limited retention",
    "Be explicit about the timeout in the client",  # "be" + a concrete change
    "Double the disk of the log nodes",
    "",
]


@pytest.mark.parametrize("title", EXHORTATIONS)
def test_exhortations_are_reported(title: str) -> None:
    assert vague_action(title) == "exhortation"


@pytest.mark.parametrize("title", VAGUE)
def test_vague_improvements_are_reported(title: str) -> None:
    assert vague_action(title) == "vague"


@pytest.mark.parametrize("title", CONCRETE)
def test_concrete_action_items_are_not_reported(title: str) -> None:
    assert vague_action(title) is None


# Lessons (PMK403): only the exhortations to take care; a direction for a change is a lesson.
EXHORTING_LESSONS = [
    "Be more careful.",
    "We should be more careful when making changes at the end of the day.",
    "Everyone must pay more attention to the dashboards.",
    "Always double-check the target host.",
    "Remember to drain the node first.",
    "Don't forget the dry run.",
    "Think twice before running migrations by hand.",
]
LESSONS = [
    "A staged rollout limits how far a bad value travels.",
    "Be more explicit about timeouts in the client config.",
    "Carefully staged rollouts would have limited the impact.",
    "Paying for a second region is cheaper than this outage was.",
    "We learnt that the runbook did not cover a partial failover.",
    "",
]


@pytest.mark.parametrize("sentence", EXHORTING_LESSONS)
def test_exhorting_lessons_are_found(sentence: str) -> None:
    assert exhorts(sentence)


@pytest.mark.parametrize("sentence", LESSONS)
def test_lessons_that_teach_are_not(sentence: str) -> None:
    assert not exhorts(sentence)
