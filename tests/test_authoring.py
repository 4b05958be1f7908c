"""Writing postmortems as pull requests: `pmkb new`, `check --changed-since`, `--format github`
annotations and the JSON Schema of `pmkb schema`."""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from helpers import (
    BODY,
    FRONT,
    SERVICES,
    VALID,
    Result,
    Runner,
    as_json,
    catalog_text,
    make_project,
    symlink,
)
from pmkb.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from pmkb.findings import Finding, Level

REPO = Path(__file__).resolve().parent.parent
NEW = "postmortems/2026/2026-03-12-checkout-errors-after-a-database-failover.md"
GUIDANCE = "> **Guidance:**"


@pytest.fixture(autouse=True)
def not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is not a terminal and nothing may prompt, unless a test says otherwise."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    def no_input(prompt: str = "") -> str:
        raise AssertionError(f"unexpected prompt {prompt!r}")

    monkeypatch.setattr(builtins, "input", no_input)


def new(
    run: Runner, *extra: str, title: str = "Checkout errors after a database failover"
) -> Result:
    return run(
        "new",
        title,
        "--service",
        "checkout",
        "--service",
        "payments",
        "--factor",
        "config-change",
        "--factor",
        "missing-alert",
        "--severity",
        "SEV2",
        "--date",
        "2026-03-12",
        *extra,
    )


def guidance_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(GUIDANCE)]


def front_matter(text: str) -> dict[str, Any]:
    front = text.split("---\n", 2)[1]
    data = yaml.safe_load(front)
    assert isinstance(data, dict)
    return data


# `pmkb new`: where the file goes and what it holds.

EXPECTED_NEW = """\
---
title: Checkout errors after a database failover
date: 2026-03-12
severity: SEV2
status: draft
services: [checkout, payments]
contributing_factors: [config-change, missing-alert]
authors: [Ines Carvalho, Daniel Okafor]
started:  # YYYY-MM-DDTHH:MM:SSZ
detected:  # YYYY-MM-DDTHH:MM:SSZ
mitigated:  # YYYY-MM-DDTHH:MM:SSZ
resolved:  # YYYY-MM-DDTHH:MM:SSZ
action_items: []
# - {title: ..., owner: team-..., status: open, due: YYYY-MM-DD, link: https://...}
---

## Summary

> **Guidance:** Two or three sentences: what users saw, for how long, and what ended it.

## Impact

> **Guidance:** Who was affected and how much: customers, requests, orders, minutes, regions. \
Numbers beat adjectives.

## Timeline

> **Guidance:** One list item per event, each starting with its time: \
`- 14:02 UTC — Checkout error alert fires`. Note what responders knew at each point, not only \
what they did.

## Contributing factors

> **Guidance:** The conditions that made the incident possible: gaps in tooling, signals, \
process or design. Describe what the system allowed or made hard, not who did what; ask why \
each action made sense at the time.

## Lessons learned

> **Guidance:** What surprised you, what went well, and what the organisation will do \
differently. Each action item in the front matter should trace back to something here.
"""


def test_new_writes_the_draft_at_year_date_slug(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = new(run, "--author", "Ines Carvalho", "--author", "Daniel Okafor")
    assert result.code == EXIT_OK, result.err
    assert result.err == ""
    assert result.out == (
        f"Created {NEW}: replace each `> **Guidance:**` line, then run `pmkb check`.\n"
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md")) == [NEW]
    # Byte for byte: UTF-8 with LF line ends on every platform (text mode writes CRLF on Windows).
    assert (tmp_path / NEW).read_bytes() == EXPECTED_NEW.encode("utf-8")


def test_new_front_matter_values(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    assert new(run).code == EXIT_OK
    assert front_matter((tmp_path / NEW).read_text(encoding="utf-8")) == {
        "title": "Checkout errors after a database failover",
        "date": date(2026, 3, 12),
        "severity": "SEV2",
        "status": "draft",
        "services": ["checkout", "payments"],
        "contributing_factors": ["config-change", "missing-alert"],
        "authors": [],
        "started": None,
        "detected": None,
        "mitigated": None,
        "resolved": None,
        "action_items": [],
    }


def test_new_has_every_configured_section_with_guidance(tmp_path: Path, run: Runner) -> None:
    sections = ["Summary", "Trigger", "Resolution", "Timeline"]
    make_project(tmp_path, options={"required_sections": sections, "severities": ["SEV-1"]})
    result = run(
        "new", "Outage", "--service", "checkout", "--factor", "config-change", "--severity", "SEV-1"
    )
    assert result.code == EXIT_OK, result.err
    (path,) = (tmp_path / "postmortems").rglob("*.md")
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == sections
    body = text.split("---\n", 2)[2]
    for heading, block in zip(sections, re.split(r"^## .+$", body, flags=re.M)[1:], strict=True):
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(GUIDANCE + " "), heading
    assert "## Trigger\n\n> **Guidance:** Replace this with the section's content.\n" in text


def test_new_slug_of_an_awkward_title(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = new(run, title='  Café: checkout   500s — after the "v2" rollout!  ')
    assert result.code == EXIT_OK, result.err
    path = tmp_path / "postmortems/2026/2026-03-12-cafe-checkout-500s-after-the-v2-rollout.md"
    meta = front_matter(path.read_text(encoding="utf-8"))
    assert meta["title"] == 'Café: checkout 500s — after the "v2" rollout!'


def test_new_date_defaults_to_the_build_date(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2026, 11, 20, 9).timestamp())))
    result = run("new", "Outage", "--service", "checkout", "--factor", "config-change")
    assert result.code == EXIT_USAGE  # no severity
    result = run(
        "new", "Outage", "--service", "checkout", "--factor", "config-change", "--severity", "SEV4"
    )
    assert result.code == EXIT_OK, result.err
    assert (tmp_path / "postmortems/2026/2026-11-20-outage.md").is_file()


def test_new_refuses_to_overwrite(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={NEW: "my work\n"})
    result = new(run)
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err == f"pmkb new: {NEW} already exists; not overwriting it\n"
    assert (tmp_path / NEW).read_text(encoding="utf-8") == "my work\n"


def test_new_unknown_ids_with_did_you_mean(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = run(
        "new", "Outage", "--service", "chekout", "--factor", "config-chnage", "--severity", "sev2"
    )
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err.splitlines() == [
        "pmkb new: unknown service `chekout` (did you mean `checkout`?)",
        "pmkb new: unknown contributing factor `config-chnage` (did you mean `config-change`?)",
        "pmkb new: severity must be one of SEV1, SEV2, SEV3, SEV4 (did you mean `SEV2`?)",
    ]
    assert not (tmp_path / "postmortems/2026").exists()


def test_new_misspelt_alias_is_suggested(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = run(
        "new",
        "Outage",
        "--service",
        "checkout",
        "--factor",
        "misconfigration",
        "--severity",
        "SEV3",
    )
    assert result.code == EXIT_USAGE
    assert result.err == (
        "pmkb new: unknown contributing factor `misconfigration` "
        "(did you mean `misconfiguration`?)\n"
    )


def test_new_without_anything_lists_every_problem(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = run("new", "--date", "2026-02-30")
    assert result.code == EXIT_USAGE
    assert result.err.splitlines() == [
        "pmkb new: a title is required",
        "pmkb new: name at least one service with --service",
        "pmkb new: name at least one contributing factor with --factor",
        "pmkb new: severity must be one of SEV1, SEV2, SEV3, SEV4",
        "pmkb new: --date '2026-02-30' is not a YYYY-MM-DD date",
    ]


def test_new_alias_is_written_as_the_canonical_id(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = run(
        "new",
        "Outage",
        "--service",
        "checkout",
        "--factor",
        "misconfiguration",
        "--factor",
        "missing-alert",
        "--factor",
        "config-change",
        "--severity",
        "SEV3",
        "--date",
        "2026-03-12",
    )
    assert result.code == EXIT_OK, result.err
    text = (tmp_path / "postmortems/2026/2026-03-12-outage.md").read_text(encoding="utf-8")
    assert "contributing_factors: [config-change, missing-alert]\n" in text
    assert "misconfiguration" not in text
    codes = {f[3] for f in run("check", "--format", "json").found}
    assert codes == {"PMK303"}  # no PMK111 (alias) or PMK114 (listed twice)


def test_new_with_a_broken_catalog_exits_2(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, services="- not a mapping\n")
    result = new(run)
    assert result.code == EXIT_USAGE
    assert "PMK502" in result.err
    assert not (tmp_path / NEW).exists()


# The new file fails `pmkb check` until it is filled in.

FILLED = {
    "Summary": "A database failover left checkout without connections for 20 minutes.",
    "Impact": "About 300 orders failed.",
    "Timeline": "- 14:00 UTC — Database failover.\n- 14:05 UTC — Alert fired.\n"
    "- 14:20 UTC — Connection pool restarted.",
    "Contributing factors": "The connection pool kept connections to the old primary.",
    "Lessons learned": "A failover drill would have shown the stale pool.",
}


def fill_section(text: str, section: str) -> str:
    pattern = re.compile(rf"(## {re.escape(section)}\n\n){re.escape(GUIDANCE)} .*\n")
    filled, count = pattern.subn(lambda m: m.group(1) + FILLED[section] + "\n", text)
    assert count == 1, section
    return filled


def test_new_file_fails_check_on_each_guidance_line_until_replaced(
    tmp_path: Path, run: Runner
) -> None:
    make_project(tmp_path)
    assert new(run).code == EXIT_OK
    path = tmp_path / NEW
    text = path.read_text(encoding="utf-8")
    assert guidance_lines(text) == [19, 23, 27, 31, 35]
    for section in [*FILLED, None]:
        result = run("check", "--format", "json")
        assert result.found == [(NEW, n, 1, "PMK303", "error") for n in guidance_lines(text)]
        assert result.code == (EXIT_FINDINGS if guidance_lines(text) else EXIT_OK)
        if section is not None:
            text = fill_section(text, section)
            path.write_text(text, encoding="utf-8", newline="\n")
    assert guidance_lines(text) == []


def test_new_file_passes_strict_check_once_filled_in(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    assert new(run).code == EXIT_OK
    path = tmp_path / NEW
    text = path.read_text(encoding="utf-8")
    for section in FILLED:
        text = fill_section(text, section)
    text = text.replace("status: draft\n", "status: published\n")
    for key, value in [
        ("started", "2026-03-12T14:00:00Z"),
        ("detected", "2026-03-12T14:05:00Z"),
        ("mitigated", "2026-03-12T14:20:00Z"),
        ("resolved", "2026-03-12T16:10:00+01:00"),
    ]:
        text = text.replace(f"{key}:  # YYYY-MM-DDTHH:MM:SSZ\n", f"{key}: {value}\n")
    path.write_text(text, encoding="utf-8", newline="\n")
    result = run("check", "--strict")
    assert result.lines == ["Checked 1 postmortem file(s): 0 error(s), 0 warning(s)."]
    assert result.code == EXIT_OK


# `pmkb new` asks for what is missing when standard input is a terminal.


class Terminal:
    """Answers prompts in order and records them."""

    def __init__(self, *answers: str | None) -> None:
        self.answers: Iterator[str | None] = iter(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        answer = next(self.answers)
        if answer is None:
            raise EOFError
        return answer


def at_terminal(monkeypatch: pytest.MonkeyPatch, *answers: str | None) -> Terminal:
    terminal = Terminal(*answers)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr(builtins, "input", terminal)
    return terminal


TODAY = str(int(datetime(2026, 3, 20, 9, tzinfo=UTC).timestamp()))
TIMES_HINT = "(HH:MM UTC or YYYY-MM-DDTHH:MM+01:00; Enter to fill in later): "
PROMPTS = {
    "title": "Title: ",
    "date": "Date [2026-03-20]: ",
    "kind": "Kind (incident, near-miss) [incident]: ",
    "services": "Services (checkout, payments): ",
    "factors": "Contributing factors (config-change, missing-alert): ",
    "severity": "Severity (SEV1, SEV2, SEV3, SEV4): ",
    "status": "Status (draft, in-review, published) [draft]: ",
    "started": f"Impact started {TIMES_HINT}",
    "detected": f"Detected {TIMES_HINT}",
    "mitigated": f"Mitigated {TIMES_HINT}",
    "resolved": f"Resolved {TIMES_HINT}",
}


def test_new_prompts_at_a_terminal(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY)
    terminal = at_terminal(
        monkeypatch,
        "  Checkout errors after a database failover ",
        "2026-03-12",
        "",  # an incident
        "checkout, payments",
        "misconfiguration,missing-alert",
        "SEV2",
        "",  # draft
        "14:00",
        "2026-03-12T14:05:00Z",
        "2026-03-12T15:20:00+01:00",
        "",  # not resolved yet
    )
    result = run("new")
    assert result.code == EXIT_OK, result.err
    assert result.err == ""
    assert terminal.prompts == list(PROMPTS.values())
    text = (tmp_path / NEW).read_text(encoding="utf-8")
    meta = front_matter(text)
    assert meta["title"] == "Checkout errors after a database failover"
    assert meta["date"] == date(2026, 3, 12)
    assert meta["services"] == ["checkout", "payments"]
    assert meta["contributing_factors"] == ["config-change", "missing-alert"]
    assert meta["severity"] == "SEV2"
    assert meta["status"] == "draft"
    # As people write them; a time given as HH:MM is UTC on the incident's date.
    assert (
        "started: 2026-03-12T14:00:00Z\n"
        "detected: 2026-03-12T14:05:00Z\n"
        "mitigated: 2026-03-12T15:20:00+01:00\n"
        "resolved:  # YYYY-MM-DDTHH:MM:SSZ\n"
    ) in text
    found = run("check", "--format", "json").found
    assert {f[3] for f in found} == {"PMK303"}  # only the guidance lines: the times are valid


def test_new_prompts_only_for_what_is_missing(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    terminal = at_terminal(monkeypatch, "SEV1", "")
    result = run(
        "new", "Outage", "--service", "checkout", "--factor", "config-change",
        "--date", "2026-03-12", "--status", "in-review", "--kind", "incident",
        "--started", "10:00", "--detected", "10:05", "--mitigated", "10:30",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert terminal.prompts == [PROMPTS["severity"], PROMPTS["resolved"]]
    text = (tmp_path / "postmortems/2026/2026-03-12-outage.md").read_text(encoding="utf-8")
    assert "status: in-review\n" in text and "mitigated: 2026-03-12T10:30:00Z\n" in text


def test_new_times_given_as_hh_mm_fall_on_the_date_answered(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY)
    terminal = at_terminal(monkeypatch, "2026-03-12", "", "")
    result = run(
        "new", "Outage", "--service", "checkout", "--factor", "config-change", "--severity", "SEV2",
        "--status", "draft", "--started", "10:00", "--detected", "10:05", "--mitigated", "10:30",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert terminal.prompts == [PROMPTS["date"], PROMPTS["kind"], PROMPTS["resolved"]]
    text = (tmp_path / "postmortems/2026/2026-03-12-outage.md").read_text(encoding="utf-8")
    assert "started: 2026-03-12T10:00:00Z\n" in text  # not on today, 2026-03-20


def test_new_asks_again_only_the_wrong_answer_offering_what_it_meant(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY)
    terminal = at_terminal(
        monkeypatch,
        "",  # no title
        "Checkout errors after a database failover",
        "2026-3-12",
        "2026-04-30",
        "2026-03-12",
        "incidnet",
        "",  # takes the suggestion
        "chekout, payments",
        "",  # takes the suggestion
        "config-chnage",
        "missing-alert",  # typed instead of the suggestion
        "sev2",
        "",
        "publshed",
        "draft",
        "14:00",
        "13:55",  # before the start
        "14:05",
        "25:00",
        "14:30",
        "2026-03-12T16:00",  # no zone
        "",
    )
    result = run("new")
    assert result.code == EXIT_OK, result.err
    p = PROMPTS
    assert terminal.prompts == [
        p["title"],
        p["title"],
        p["date"],
        p["date"],
        p["date"],
        p["kind"],
        "Kind (incident, near-miss) [incident]: ",
        p["services"],
        "Services (checkout, payments) [checkout, payments]: ",
        p["factors"],
        "Contributing factors (config-change, missing-alert) [config-change]: ",
        p["severity"],
        "Severity (SEV1, SEV2, SEV3, SEV4) [SEV2]: ",
        p["status"],
        "Status (draft, in-review, published) [published]: ",
        p["started"],
        p["detected"],
        p["detected"],
        p["mitigated"],
        p["mitigated"],
        p["resolved"],
        p["resolved"],
    ]
    assert result.err.splitlines() == [
        "pmkb new: a title is required",
        "pmkb new: `2026-3-12` is not a YYYY-MM-DD date",
        "pmkb new: 2026-04-30 is after today (2026-03-20)",
        "pmkb new: kind must be one of incident, near-miss (did you mean `incident`?)",
        "pmkb new: unknown service `chekout` (did you mean `checkout`?)",
        "pmkb new: unknown contributing factor `config-chnage` (did you mean `config-change`?)",
        "pmkb new: severity must be one of SEV1, SEV2, SEV3, SEV4 (did you mean `SEV2`?)",
        "pmkb new: status must be one of draft, in-review, published (did you mean `published`?)",
        "pmkb new: `detected` (2026-03-12T13:55:00Z) is before `started` (2026-03-12T14:00:00Z)",
        "pmkb new: `25:00` is not a time: write HH:MM (UTC) or a date-time such as 2026-03-12T14:02:00Z",
        "pmkb new: `2026-03-12T16:00` has no time zone; add `Z` or an offset such as `+01:00`",
    ]
    meta = front_matter((tmp_path / NEW).read_text(encoding="utf-8"))
    assert meta["title"] == "Checkout errors after a database failover"
    assert meta["date"] == date(2026, 3, 12)
    assert meta["services"] == ["checkout", "payments"]
    assert meta["contributing_factors"] == ["missing-alert"]
    assert meta["severity"] == "SEV2"
    assert meta["status"] == "draft"
    assert meta["detected"] == datetime(2026, 3, 12, 14, 5, tzinfo=UTC)
    assert meta["mitigated"] == datetime(2026, 3, 12, 14, 30, tzinfo=UTC)
    assert meta["resolved"] is None


def test_new_stops_at_end_of_input_and_writes_nothing(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    terminal = at_terminal(monkeypatch, "Outage", "", "", "checkout", None)
    result = run("new")
    assert result.code == EXIT_USAGE
    assert terminal.prompts[-1] == PROMPTS["factors"]
    assert result.err == "\npmkb new: stopped; nothing was written\n"
    assert not (tmp_path / "postmortems/2026").exists()


def test_new_at_a_terminal_reports_wrong_options_before_asking_anything(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    terminal = at_terminal(monkeypatch)
    result = run("new", "--service", "chekout", "--started", "noon")
    assert result.code == EXIT_USAGE
    assert terminal.prompts == []
    assert result.err.splitlines() == [
        "pmkb new: unknown service `chekout` (did you mean `checkout`?)",
        "pmkb new: `noon` is not a time: write HH:MM (UTC) or a date-time such as 2026-03-12T14:02:00Z",
    ]


def test_new_does_not_prompt_without_a_terminal(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = run("new", "Outage")  # the autouse fixture fails the test on any prompt
    assert result.code == EXIT_USAGE
    assert "name at least one service" in result.err


# `pmkb new` for near misses and for severities with lighter templates.

EXPECTED_NEAR_MISS = """\
---
title: Card certificate renewed two days before expiry
date: 2026-03-12
kind: near-miss
severity: SEV3
status: draft
services: [payments]
contributing_factors: [missing-alert]
authors: []
action_items: []
# - {title: ..., owner: team-..., status: open, due: YYYY-MM-DD, link: https://...}
---

## Summary

> **Guidance:** Two or three sentences: what almost happened, how it was caught, and what kept \
it from reaching users.

## Timeline

> **Guidance:** One list item per event, each starting with its time: \
`- 06:00 UTC — Expiry alert pages the on-call`. Note how it was noticed and what people knew at \
each point.

## Lessons learned

> **Guidance:** What surprised you, what went well, and what the organisation will do \
differently. Each action item in the front matter should trace back to something here.
"""
NEAR_MISS_FILE = "postmortems/2026/2026-03-12-card-certificate-renewed-two-days-before-expiry.md"
NEAR_MISS_ARGS = (
    "new", "Card certificate renewed two days before expiry", "--kind", "near-miss",
    "--service", "payments", "--factor", "missing-alert", "--severity", "SEV3",
    "--date", "2026-03-12",
)  # fmt: skip


def test_new_near_miss_writes_its_kind_its_sections_and_no_impact_times(
    tmp_path: Path, run: Runner
) -> None:
    make_project(tmp_path)
    result = run(*NEAR_MISS_ARGS)
    assert result.code == EXIT_OK, result.err
    assert (tmp_path / NEAR_MISS_FILE).read_bytes() == EXPECTED_NEAR_MISS.encode("utf-8")
    # What the template asks for is what the check requires: only its guidance is reported.
    found = run("check", "--format", "json").found
    assert found == [(NEAR_MISS_FILE, line, 1, "PMK303", "error") for line in (16, 20, 24)]


def test_new_near_miss_keeps_the_times_it_is_given(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    assert run(*NEAR_MISS_ARGS, "--detected", "06:00").code == EXIT_OK
    text = (tmp_path / NEAR_MISS_FILE).read_text(encoding="utf-8")
    assert "\ndetected: 2026-03-12T06:00:00Z\n" in text
    assert not re.search(r"^(started|mitigated|resolved):", text, re.M)


def test_new_unknown_kind_is_refused_with_a_suggestion(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    result = new(run, "--kind", "near miss")
    assert result.code == EXIT_USAGE
    assert result.err == (
        "pmkb new: kind must be one of incident, near-miss (did you mean `near-miss`?)\n"
    )
    assert not (tmp_path / "postmortems/2026").exists()


def test_new_writes_the_sections_its_severity_requires(tmp_path: Path, run: Runner) -> None:
    light = ["Summary", "Timeline", "Lessons learned"]
    make_project(tmp_path, options={"required_sections_for": {"SEV4": light}})
    assert new(run, title="Light").code == EXIT_OK  # SEV2: every section
    assert run("new", "Lighter", "--service", "checkout", "--factor", "config-change",
               "--severity", "SEV4", "--date", "2026-03-12").code == EXIT_OK  # fmt: skip
    # A near miss without an entry of its own takes its severity's list, or the default one.
    assert run(*NEAR_MISS_ARGS).code == EXIT_OK
    folder = tmp_path / "postmortems/2026"

    def headings(name: str) -> list[str]:
        return re.findall(r"^## (.+)$", (folder / name).read_text(encoding="utf-8"), re.M)

    assert headings("2026-03-12-light.md") == [
        "Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned"
    ]  # fmt: skip
    assert headings("2026-03-12-lighter.md") == light
    assert headings(Path(NEAR_MISS_FILE).name) == headings("2026-03-12-light.md")


def test_new_near_miss_at_a_terminal_is_not_asked_for_times(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY)
    terminal = at_terminal(
        monkeypatch, "Certificate renewed in time", "2026-03-12", "near_miss", "", "payments",
        "missing-alert", "SEV3", "",
    )  # fmt: skip
    result = run("new")
    assert result.code == EXIT_OK, result.err
    p = PROMPTS
    assert terminal.prompts == [
        p["title"], p["date"], p["kind"], "Kind (incident, near-miss) [near-miss]: ",
        p["services"], p["factors"], p["severity"], p["status"],
    ]  # fmt: skip
    assert result.err == (
        "pmkb new: kind must be one of incident, near-miss (did you mean `near-miss`?)\n"
    )
    text = (tmp_path / "postmortems/2026/2026-03-12-certificate-renewed-in-time.md").read_text(
        encoding="utf-8"
    )
    assert front_matter(text)["kind"] == "near-miss"
    assert re.findall(r"^## (.+)$", text, re.M) == ["Summary", "Timeline", "Lessons learned"]


# `pmkb check --changed-since REF` in a real git repository.

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def commit(git: Callable[..., str], message: str) -> None:
    git("add", "-A")
    git("commit", "-q", "-m", message)


def broken(severity: str = "P1") -> str:
    return VALID.replace("severity: SEV2", f"severity: {severity}")


@needs_git
def test_changed_since_reports_only_changed_and_added_files(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    make_project(
        tmp_path,
        files={
            "postmortems/2025/changed.md": VALID,
            "postmortems/2025/untouched-broken.md": broken(),
            "postmortems/2025/deleted.md": VALID,
            "postmortems/2025/renamed.md": VALID,
            "postmortems/2025/uncommitted.md": VALID,
            "postmortems/README.md": "# About these postmortems\n",
        },
    )
    commit(git, "base")
    git("checkout", "-q", "-b", "feature")
    (tmp_path / "postmortems/2025/changed.md").write_text(
        broken("P2"), encoding="utf-8", newline="\n"
    )
    (tmp_path / "postmortems/2026").mkdir()
    (tmp_path / "postmortems/2026/added.md").write_text(
        VALID.replace("[checkout]", "[chekout]"), encoding="utf-8", newline="\n"
    )
    (tmp_path / "postmortems/2025/deleted.md").unlink()
    git("mv", "postmortems/2025/renamed.md", "postmortems/2026/renamed.md")
    (tmp_path / "postmortems/README.md").write_text(
        "# Changed, not a postmortem\n", encoding="utf-8", newline="\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/index.md").write_text(
        "# Not in the knowledge base\n", encoding="utf-8", newline="\n"
    )
    commit(git, "feature")
    # The base branch moves on: its own changes are not the pull request's.
    git("checkout", "-q", "main")
    (tmp_path / "postmortems/2025/on-main.md").write_text(
        broken("P4"), encoding="utf-8", newline="\n"
    )
    commit(git, "main moves on")
    git("checkout", "-q", "feature")
    # Not committed: an untracked file and an uncommitted change count too.
    (tmp_path / "postmortems/2026/untracked.md").write_text(
        broken("P3"), encoding="utf-8", newline="\n"
    )
    (tmp_path / "postmortems/2025/uncommitted.md").write_text(
        broken("P5"), encoding="utf-8", newline="\n"
    )

    result = run("check", "--format", "json", "--changed-since", "main")
    assert result.found == [
        ("postmortems/2025/changed.md", 4, 11, "PMK107", "error"),
        ("postmortems/2025/uncommitted.md", 4, 11, "PMK107", "error"),
        ("postmortems/2026/added.md", 6, 12, "PMK109", "error"),
        ("postmortems/2026/untracked.md", 4, 11, "PMK107", "error"),
        # Not checked as a postmortem: ignored, as the full check says (on the folder).
        ("postmortems/README.md", 1, 1, "PMK011", "info"),
    ]
    assert result.data["files"] == 5  # with renamed.md, which has no findings
    assert result.code == EXIT_FINDINGS
    assert result.err == ""

    everything = run("check", "--format", "json")
    assert ("postmortems/2025/untouched-broken.md", 4, 11, "PMK107", "error") in everything.found


@needs_git
def test_changed_since_reports_a_postmortem_turned_into_a_link_as_the_full_check_does(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    # Git says the file changed type (`T`): it is neither added, modified nor deleted.
    git("init", "-q", "-b", "main")
    make_project(tmp_path, files={"postmortems/a.md": VALID, "elsewhere/b.md": VALID})
    commit(git, "base")
    (tmp_path / "postmortems/a.md").unlink()
    symlink(tmp_path / "postmortems/a.md", tmp_path / "elsewhere/b.md")
    commit(git, "a link now")
    link = ("postmortems/a.md", 1, 1, "PMK010", "warning")
    assert link in run("check", "--format", "json").found
    assert run("check", "--format", "json", "--changed-since", "HEAD~1").found == [link]


@needs_git
def test_a_link_that_leads_to_itself_is_reported_however_the_check_reaches_it(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    # Before Python 3.13, resolving such a link raised: a pull request adding one stopped the
    # check with a traceback.
    git("init", "-q", "-b", "main")
    make_project(tmp_path, files={"postmortems/a.md": VALID, "docs/index.md": "# Home\n"})
    commit(git, "base")
    symlink(tmp_path / "postmortems/loop.md", Path("loop.md"))
    symlink(tmp_path / "docs/loop.md", Path("loop.md"))
    commit(git, "two loops")
    loop = ("postmortems/loop.md", 1, 1, "PMK010", "warning")
    for named in ([], ["postmortems/loop.md"], ["--changed-since", "HEAD~1"]):
        result = run("check", "--format", "json", *named)
        assert (result.found, result.err) == ([loop], ""), named


@needs_git
@pytest.mark.parametrize("named", [[], ["--config", "mkdocs.public.yml"]])
def test_changed_since_checks_everything_once_pmkbs_options_changed(
    tmp_path: Path, run: Runner, git: Callable[..., str], named: list[str]
) -> None:
    # A pull request that makes SEV2 postmortems need a review fails every SEV2 postmortem
    # without one, though it changes none of them: in mkdocs.yml, or in the file a site's
    # configuration inherits (as `pmkb init`'s public site inherits mkdocs.yml).
    git("init", "-q", "-b", "main")
    public = "INHERIT: mkdocs.yml\nsite_name: Public\n"
    make_project(
        tmp_path, files={"postmortems/a.md": VALID, "mkdocs.public.yml": public}, options={}
    )
    commit(git, "base")
    config = tmp_path / "mkdocs.yml"
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    written["plugins"] = [{"pmkb": {"review_required_for": ["SEV2"]}}]
    config.write_text(yaml.safe_dump(written), encoding="utf-8", newline="\n")
    everything = run("check", "--format", "json", *named)
    assert [f[3] for f in everything.found] == ["PMK121"]
    changed = run("check", "--format", "json", "--changed-since", "HEAD", *named)
    assert (changed.found, changed.code) == (everything.found, EXIT_FINDINGS)


@needs_git
def test_changed_since_reads_file_names_as_git_writes_them(
    tmp_path: Path, run: Runner, git: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Git writes paths as UTF-8; Windows would decode its output in the code page (cp1252).
    from pmkb import git as git_runner

    git("init", "-q", "-b", "main")
    make_project(tmp_path, files={"postmortems/base.md": VALID})
    commit(git, "base")
    (tmp_path / "postmortems/café-outage.md").write_text(broken(), encoding="utf-8", newline="\n")
    commit(git, "an accent")
    real = subprocess.run

    def as_on_windows(*args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("text", False):
            kwargs["encoding"] = "cp1252"
        return real(*args, **kwargs)

    monkeypatch.setattr(git_runner.subprocess, "run", as_on_windows)
    result = run("check", "--format", "json", "--changed-since", "HEAD~1")
    assert ("postmortems/café-outage.md", 4, 11, "PMK107", "error") in result.found
    assert {path for path, *_ in result.found} == {"postmortems/café-outage.md"}


@needs_git
def test_changed_since_with_nothing_changed(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    make_project(tmp_path, files={"postmortems/untouched-broken.md": broken()})
    commit(git, "base")
    result = run("check", "--changed-since", "HEAD")
    assert result.lines == ["Checked 0 postmortem file(s): 0 error(s), 0 warning(s)."]
    assert result.code == EXIT_OK


@needs_git
@pytest.mark.parametrize(
    ("existing", "added", "reported"),
    [
        ("postmortems/2025/outage.md", "postmortems/2026/outage.md", "postmortems/2026/outage.md"),
        # The older file keeps the id, so the finding lands on the untouched file: still shown.
        ("postmortems/2026/outage.md", "postmortems/2024/outage.md", "postmortems/2026/outage.md"),
    ],
    ids=["on-the-added-file", "on-the-untouched-file"],
)
def test_changed_since_reports_a_duplicate_id_with_an_unchanged_file(
    tmp_path: Path, run: Runner, git: Callable[..., str], existing: str, added: str, reported: str
) -> None:
    git("init", "-q", "-b", "main")
    make_project(
        tmp_path,
        files={
            existing: VALID,
            # An old conflict between two untouched files is not the pull request's.
            "postmortems/2020/old.md": VALID,
            "postmortems/2021/old.md": VALID,
        },
    )
    commit(git, "base")
    git("checkout", "-q", "-b", "feature")
    (tmp_path / added).parent.mkdir(exist_ok=True)
    (tmp_path / added).write_text(VALID, encoding="utf-8", newline="\n")
    commit(git, "add a postmortem")
    result = run("check", "--format", "json", "--changed-since", "main")
    assert result.found == [(reported, 1, 1, "PMK112", "error")]
    owner = added if reported != added else existing
    assert result.messages == [
        f"id `outage` is already used by {owner}; this file is not published"
    ]
    assert result.code == EXIT_FINDINGS


@needs_git
def test_changed_since_still_reports_catalog_errors(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    make_project(
        tmp_path, files={"postmortems/a.md": VALID}, services=catalog_text(SERVICES) + "Bad:\n"
    )
    commit(git, "base")
    git("checkout", "-q", "-b", "feature")
    (tmp_path / "postmortems/b.md").write_text(VALID, encoding="utf-8", newline="\n")
    commit(git, "add b")
    result = run("check", "--format", "json", "--changed-since", "main")
    assert result.found == [("postmortems/services.yml", 7, 1, "PMK506", "error")]
    assert result.data["files"] == 1
    assert result.code == EXIT_FINDINGS


@needs_git
def test_changed_since_in_a_subfolder_of_the_repository(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    project = tmp_path / "kb"
    make_project(project, files={"postmortems/a.md": VALID}, options={})
    make_project(tmp_path / "other", files={"postmortems/a.md": VALID})
    commit(git, "base")
    (project / "postmortems/a.md").write_text(broken(), encoding="utf-8", newline="\n")
    (tmp_path / "other/postmortems/a.md").write_text(broken(), encoding="utf-8", newline="\n")
    result = run("check", "--format", "json", "--changed-since", "HEAD", cwd=project)
    assert result.found == [("postmortems/a.md", 4, 11, "PMK107", "error")]


@needs_git
def test_changed_since_a_bad_ref_exits_2(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    git("init", "-q", "-b", "main")
    make_project(tmp_path, files={"postmortems/a.md": VALID})
    commit(git, "base")
    result = run("check", "--changed-since", "origin/nope")
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err == (
        "pmkb: --changed-since origin/nope: `origin/nope` is not a commit of this repository "
        "(in a shallow clone, fetch the history: `fetch-depth: 0` with actions/checkout)\n"
    )
    result = run("check", "--changed-since=--all")
    assert result.code == EXIT_USAGE
    assert result.err == "pmkb: --changed-since --all: `--all` is not a git ref\n"


@needs_git
def test_changed_since_in_a_shallow_clone_says_to_fetch_the_history(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    # What actions/checkout gives without `fetch-depth: 0`: each branch's last commit alone.
    source = tmp_path / "source"
    source.mkdir()
    git("init", "-q", "-b", "main", cwd=source)
    make_project(source, files={"postmortems/a.md": VALID})
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "base", cwd=source)
    git("checkout", "-q", "-b", "feature", cwd=source)
    (source / "postmortems/b.md").write_text(VALID, encoding="utf-8", newline="\n")
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "feature", cwd=source)
    git("checkout", "-q", "main", cwd=source)
    (source / "postmortems/c.md").write_text(VALID, encoding="utf-8", newline="\n")
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "main moves on", cwd=source)
    git("clone", "-q", "--depth", "1", "--no-single-branch", "-b", "feature",
        source.as_uri(), "clone")  # fmt: skip
    result = run("check", "--changed-since", "origin/main", cwd=tmp_path / "clone")
    assert result.code == EXIT_USAGE
    assert result.err.startswith("pmkb: --changed-since origin/main: no common ancestor of ")
    assert result.err.endswith(
        "(this clone is shallow: fetch the history: `fetch-depth: 0` with actions/checkout)\n"
    )


@needs_git
def test_changed_since_outside_a_repository_exits_2(
    tmp_path: Path, run: Runner, git: Callable[..., str]
) -> None:
    make_project(tmp_path, files={"postmortems/a.md": VALID})
    result = run("check", "--changed-since", "main")
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err.startswith("pmkb: --changed-since main: fatal: not a git repository")


def test_changed_since_without_git_exits_2(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, files={"postmortems/a.md": VALID})
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    result = run("check", "--changed-since", "main")
    assert result.code == EXIT_USAGE
    assert result.err.startswith("pmkb: --changed-since main: cannot run git: ")


# `--format github`: workflow commands, exactly.


def test_github_annotation_line_exactly(tmp_path: Path, run: Runner) -> None:
    text = FRONT.replace("services: [checkout]\n", "services:\n- chekout\n") + BODY
    make_project(tmp_path, files={"postmortems/x.md": text})
    result = run("check", "--format", "github")
    assert result.lines == [
        "::error file=postmortems/x.md,line=7,col=3,title=pmkb PMK109::PMK109 unknown service "
        "`chekout` (did you mean `checkout`?)",
        "Checked 1 postmortem file(s): 1 error(s), 0 warning(s).",
    ]
    assert result.code == EXIT_FINDINGS


def test_github_annotation_escapes_percent_comma_and_colon_in_the_file(
    tmp_path: Path, run: Runner
) -> None:
    text = FRONT.replace("services: [checkout]\n", "id: odd\nservices: [che%kout]\n") + BODY
    make_project(tmp_path, files={"postmortems/50%,a:b.md": text})
    result = run("check", "--format", "github")
    assert result.lines == [
        "::error file=postmortems/50%25%2Ca%3Ab.md,line=7,col=12,title=pmkb PMK109::PMK109 "
        "unknown service `che%25kout` (did you mean `checkout`?)",
        "Checked 1 postmortem file(s): 1 error(s), 0 warning(s).",
    ]


@pytest.mark.parametrize(
    ("level", "command"),
    [(Level.ERROR, "error"), (Level.WARNING, "warning"), (Level.INFO, "notice")],
)
def test_github_annotation_commands_and_escaping(level: Level, command: str) -> None:
    f = Finding("a%b,c:d\re\nf.md", 3, 4, "PMK101", level, "100% sure: a,b\r\nnext")
    assert f.format_github() == (
        f"::{command} file=a%25b%2Cc%3Ad%0De%0Af.md,line=3,col=4,title=pmkb PMK101::"
        "PMK101 100%25 sure: a,b%0D%0Anext"
    )


# Output in any encoding: text from postmortems can hold any character.


@pytest.mark.parametrize("form", ["text", "json", "github"])
def test_redirected_output_is_utf8_whatever_the_code_page(tmp_path: Path, form: str) -> None:
    text = FRONT.replace("services: [checkout]\n", "services:\n- chekout→\n") + BODY
    make_project(tmp_path, files={"postmortems/x.md": text})
    # What Windows gives a redirected stdout: its ANSI code page, which has no arrow.
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, "-m", "pmkb.cli", "check", "--format", form],
        cwd=tmp_path,
        capture_output=True,
        env=env,
        check=False,
    )
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
    assert result.returncode == EXIT_FINDINGS
    assert "`chekout→`" in result.stdout.decode("utf-8")


def test_a_terminal_without_utf8_shows_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    from pmkb import cli

    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    raw = io.BytesIO()
    terminal = Terminal(raw, encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", terminal)
    cli._unicode_output()
    print("chekout→ café", file=terminal, end="")
    terminal.flush()
    assert raw.getvalue() == b"chekout\\u2192 caf\xe9"  # its encoding kept, the rest escaped


# `pmkb schema`: a JSON Schema that agrees with the checks.


def schema_of(run: Runner, cwd: Path | None = None) -> dict[str, Any]:
    result = run("schema", cwd=cwd)
    assert result.code == EXIT_OK, result.err
    schema = json.loads(result.out)
    assert isinstance(schema, dict)
    return schema


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def example_postmortems() -> list[Path]:
    return sorted(
        p
        for p in (REPO / "postmortems").rglob("*.md")
        if p.name.lower() not in ("readme.md", "index.md")
    )


def test_schema_is_a_valid_json_schema(run: Runner) -> None:
    schema = schema_of(run, cwd=REPO)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    validator(schema)
    assert schema["required"] == [
        "title",
        "date",
        "severity",
        "status",
        "services",
        "contributing_factors",
    ]


def test_schema_lists_the_catalog_ids_and_aliases(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, options={"severities": ["P1", "P2"]})
    props = schema_of(run)["properties"]
    assert props["services"]["items"]["enum"] == ["checkout", "payments"]
    assert props["contributing_factors"]["items"]["enum"] == [
        "config-change",
        "misconfiguration",
        "missing-alert",
    ]
    assert props["severity"]["enum"] == ["P1", "P2"]


def test_schema_accepts_every_example_postmortem(run: Runner) -> None:
    check = validator(schema_of(run, cwd=REPO))
    paths = example_postmortems()
    assert len(paths) > 30
    for path in paths:
        meta = as_json(front_matter(path.read_text(encoding="utf-8")))
        errors = [e.message for e in check.iter_errors(meta)]
        assert errors == [], path.relative_to(REPO).as_posix()


def test_schema_accepts_a_new_draft(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    check = validator(schema_of(run))
    assert new(run).code == EXIT_OK
    meta = as_json(front_matter((tmp_path / NEW).read_text(encoding="utf-8")))
    assert meta["started"] is None
    assert [e.message for e in check.iter_errors(meta)] == []


# Each broken front matter is rejected by the schema and reported by `pmkb check`.
BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing-title": (lambda m: m.pop("title"), "PMK101"),
    "blank-title": (lambda m: m.update(title="   "), "PMK115"),
    "bad-severity": (lambda m: m.update(severity="P1"), "PMK107"),
    "bad-status": (lambda m: m.update(status="final"), "PMK108"),
    "unknown-service": (lambda m: m.update(services=["chekout"]), "PMK109"),
    "unknown-factor": (lambda m: m.update(contributing_factors=["config-chnage"]), "PMK110"),
    "no-services": (lambda m: m.update(services=[]), "PMK101"),
    "services-as-text": (lambda m: m.update(services="checkout"), "PMK102"),
    "bad-date-format": (lambda m: m.update(date="12/03/2026"), "PMK104"),
    "impossible-date": (lambda m: m.update(date="2026-02-30"), "PMK104"),
    "time-without-zone": (lambda m: m.update(detected="2026-03-12T14:05:00"), "PMK105"),
    "id-not-a-slug": (lambda m: m.update(id="Outage 1"), "PMK113"),
    "action-item-bad-status": (
        lambda m: m.update(action_items=[{"title": "x", "owner": "y", "status": "finished"}]),
        "PMK203",
    ),
    "action-item-without-owner": (
        lambda m: m.update(action_items=[{"title": "x", "status": "open"}]),
        "PMK202",
    ),
    "action-item-bad-due": (
        lambda m: m.update(action_items=[{"title": "x", "owner": "y", "status": "open", "due": 3}]),
        "PMK204",
    ),
    "action-item-javascript-link": (
        lambda m: m.update(
            action_items=[
                {"title": "x", "owner": "y", "status": "open", "link": "javascript:alert(1)"}
            ]
        ),
        "PMK205",
    ),
}


def valid_meta() -> dict[str, Any]:
    meta = front_matter(VALID)
    meta.update(
        authors=["Ines Carvalho"],
        started="2026-03-12T14:00:00Z",
        detected="2026-03-12T14:05:00+00:00",
        mitigated=None,
        action_items=[
            {
                "title": "Stage config rollouts",
                "owner": "team-platform",
                "status": "open",
                "due": "2026-04-30",
                "link": "https://tracker.example/PLAT-1",
            }
        ],
    )
    result = as_json(meta)
    assert isinstance(result, dict)
    return result


def write_meta(tmp_path: Path, meta: dict[str, Any]) -> None:
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    (tmp_path / "postmortems/a.md").write_text(
        f"---\n{front}---\n{BODY}", encoding="utf-8", newline="\n"
    )


def test_valid_front_matter_passes_the_schema_and_the_check(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path)
    check = validator(schema_of(run))
    meta = valid_meta()
    assert [e.message for e in check.iter_errors(meta)] == []
    write_meta(tmp_path, meta)
    result = run("check", "--format", "json", "--strict")
    assert result.found == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_front_matter_is_rejected_by_the_schema_and_the_check(
    tmp_path: Path, run: Runner, name: str
) -> None:
    make_project(tmp_path)
    check = validator(schema_of(run))
    meta = valid_meta()
    breaks, code = BROKEN[name]
    breaks(meta)
    assert not check.is_valid(meta)
    write_meta(tmp_path, meta)
    result = run("check", "--format", "json")
    assert code in [f[3] for f in result.found if f[4] == "error"]


def test_schema_without_catalogs_does_not_enumerate_ids(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, services=None, factors=None)
    schema = schema_of(run)
    assert "enum" not in schema["properties"]["services"]["items"]
    assert validator(schema).is_valid(valid_meta())


def test_a_closed_pipe_is_not_a_traceback(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(builtins, "print", closed)
    assert run("schema").code == EXIT_FINDINGS
