"""Hostile lines take time in proportion to their length, in every step that reads contributors' text.

A regular expression that backtracks, or a loop that rescans what it has read, takes time in the
square of a line's length: one 160 KB line of `<!--` repeated once made `pmkb check` take 20 s.
Each case here times a step on a line of 256 KiB and on one of 1 MiB (the largest file pmkb
reads), and asks that the large one take under LIMIT seconds and about four times the small one.
Linear code takes under a second for any case on a slow machine; quadratic code takes minutes.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from helpers import BODY, FRONT, make_project
from pmkb import cli
from pmkb.read.actionable import vague_action
from pmkb.read.blame import BlameMatcher, handle_mentions
from pmkb.read.catalog import load_catalog
from pmkb.read.knowledge import load
from pmkb.read.sections import parse_sections, parse_timeline
from pmkb.read.source import MAX_BYTES, read_source
from pmkb.read.validate import _exhortations
from pmkb.read.yamlread import YamlProblem, load_located
from pmkb.settings import Settings, load_settings
from pmkb.site.pages.incident import incident_page
from pmkb.site.render import Renderer
from pmkb.urls import Site

SMALL = 256 * 1024
LARGE = MAX_BYTES - 4096  # bytes of the hostile line: with the rest of the file, under the cap
LIMIT = 5.0  # seconds of CPU for any one step on the large line
# A step over this long has failed already; it is stopped rather than left to run for minutes.
DEADLINE = 3 * LIMIT

# Each family repeats one unit: the openers of Markdown and HTML constructs never closed (a
# regex looking for the close scans from each opener to the end of the line), runs that a
# pattern can split in many ways, the start of a blame phrase that never completes.
UNITS = {
    "comment": "<!--",
    "bracket": "[",
    "link-target": "](",
    "empty-link": "[](",
    "image": "![",
    "backtick": "`",
    "star": "*",
    "underscore": "_",
    "backslash": "\\",
    "words": "a ",
    "should": "should ",
    "blame": "blame ",
    # Starts of the phrases that allow words between their parts: a person and an adverb, "made
    # a ... typo", "did not follow the ... runbook".
    "person": "engineer ",
    "made": "made a ",
    "follow": "did not follow the ",
    "fat": "fat ",
    "sentences": "a. ",
    "colon": ":",
    "list": "- ",
    "hash": "#",
    "autolink": "<http://x ",
    "tag": "<a ",
    "handle": "@a ",
}
FAMILIES = [*UNITS, "spaces", "combining"]
# `blame ` repeated is a finding per word; the scan is timed by itself below, and in a whole file
# the cost is that of writing 170,000 findings.
WHOLE_FILE_FAMILIES = [f for f in FAMILIES if f != "blame"]


def hostile(family: str, size: int) -> str:
    """A line of at most `size` UTF-8 bytes from `family`."""
    if family == "spaces":  # a run of spaces and then something else
        return "x" + " " * (size - 2) + "y"
    if family == "combining":  # one letter and a run of combining acute accents (2 bytes each)
        return "a" + "\u0301" * ((size - 1) // 2)
    unit = UNITS[family]
    return unit * (size // len(unit.encode()))


def quoted(text: str) -> str:
    """`text` as a single-quoted YAML scalar, so that the checker gets to see it."""
    return "'" + text.replace("'", "''") + "'"


# Where the line stands in a postmortem that is otherwise valid.
PLACES: dict[str, Callable[[str], str]] = {
    # Prose of the summary: split into sections, scanned for blame (the line names one), and
    # turned into plain text for the page's description.
    "body": lambda line: (
        FRONT + BODY.replace("A config change", f"Blame {line}\n\nA config change")
    ),
    "heading": lambda line: FRONT + BODY.replace("## Impact", f"## Impact {line}"),
    "value": lambda line: (
        FRONT.replace("title: Checkout errors", f"title: {quoted(line)} #") + BODY
    ),
    # An explicit key (`? key`) may be of any length; a plain `key:` is refused after 1024 characters.
    "key": lambda line: FRONT.replace("status:", f"? {quoted(line)}\n: x\nstatus:") + BODY,
}


class _Overran(BaseException):
    """Raised in a step that ran past DEADLINE; no `except Exception` of the code under test stops it."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Stop the block after `seconds` of CPU time (where the system has interval timers)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def overran(signum: int, frame: FrameType | None) -> None:
        raise _Overran(f"still running after {seconds:.0f} s of CPU")

    previous = signal.signal(signal.SIGPROF, overran)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def timed(step: Callable[[], Any], most: float = DEADLINE) -> tuple[float, Any]:
    """CPU seconds `step` takes (stopped after `most`) and what it returns: CPU time, so that
    other work on a busy machine does not count against the step (pmkb does it in one process)."""
    start = time.process_time()
    with deadline(most):
        result = step()
    return time.process_time() - start, result


@dataclass
class Timings:
    """Seconds per step, on the small and on the large line."""

    small: dict[str, float]
    large: dict[str, float]

    def check(self) -> None:
        for step, large in self.large.items():
            small = self.small[step]
            assert large < LIMIT, f"{step}: {large:.2f} s on {LARGE:,} bytes"
            # Linear: four times the text, about four times the time; quadratic would be sixteen.
            assert large < 8 * small + 1.0, f"{step}: {small:.3f} s, then {large:.3f} s: not linear"


@dataclass
class Base:
    """A knowledge base with one postmortem, `x.md`, whose text each case replaces."""

    root: Path
    settings: Settings

    @property
    def file(self) -> Path:
        return self.root / "postmortems" / "x.md"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    root = make_project(tmp_path_factory.mktemp("linear"), {"x.md": FRONT + BODY})
    return Base(root, load_settings({}, root))


def run_file(base: Base, text: str, most: float = DEADLINE) -> dict[str, float]:
    """Seconds to read, check (as `pmkb check` does), load and render a postmortem of `text`;
    each step is stopped after `most` seconds."""
    base.file.write_text(text, encoding="utf-8", newline="\n")
    assert len(text.encode()) <= MAX_BYTES
    seconds: dict[str, float] = {}
    seconds["read_source"], source = timed(lambda: read_source(base.file, "x.md"), most)
    # Read whole, so that the checker gets the text: not refused as too large or as bad YAML.
    assert source.readable, [f.message[:100] for f in source.findings]
    seconds["pmkb check"], report = timed(lambda: _pmkb_check(base.root), most)
    assert "findings" in json.loads(report)
    seconds["load"], kb = timed(lambda: load(base.settings), most)
    (pm,) = kb.postmortems
    renderer = Renderer(kb, Site(base.settings), date(2026, 11, 25))
    seconds["render"], _ = timed(lambda: incident_page(renderer.context, pm), most)
    return seconds


def _pmkb_check(root: Path) -> str:
    """What `pmkb check --format json` prints, run in `root`."""
    out = io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stdout(out):
        cli.main(["check", "--format", "json"])
    return out.getvalue()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("family", WHOLE_FILE_FAMILIES)
def test_a_postmortem_is_read_checked_and_rendered_in_linear_time(
    base: Base, family: str, place: str
) -> None:
    Timings(
        run_file(base, PLACES[place](hostile(family, SMALL))),
        run_file(base, PLACES[place](hostile(family, LARGE))),
    ).check()


def _text_steps(line: str) -> dict[str, float]:
    """Seconds for each step that reads a body's text, on `line` where each kind of line starts."""
    seconds: dict[str, float] = {}
    for where, body in {
        "line": f"## Summary\n\n{line}\n",
        "heading": f"## {line}\n\ntext\n",
        "item": f"## Timeline\n\n- {line}\n",
    }.items():
        seconds[f"parse_sections ({where})"], sections = timed(lambda b=body: parse_sections(b, 1))
        seconds[f"is_empty ({where})"], _ = timed(lambda s=sections: [x.is_empty() for x in s])
        seconds[f"parse_timeline ({where})"], _ = timed(
            lambda s=sections: [parse_timeline(x, None) for x in s]
        )
    matcher = BlameMatcher({"rookie mistake": "Describe the missing guardrail."})
    (section,) = parse_sections(f"## Contributing factors\n\nBlame {line}\n", 1)
    seconds["scan_section"], _ = timed(lambda: list(matcher.scan_section(section)))
    seconds["handle_mentions"], _ = timed(lambda: list(handle_mentions(section)))
    (lessons,) = parse_sections(f"## Lessons learned\n\n{line}\n", 1)
    seconds["lesson exhortations"], _ = timed(lambda: list(_exhortations(lessons)))
    # An action item's title (PMK211), as it is and after a vague verb, which reads every word.
    seconds["vague_action"], _ = timed(lambda: vague_action(line))
    seconds["vague_action (improve)"], _ = timed(lambda: vague_action(f"Improve {line}"))
    return seconds


@pytest.mark.parametrize("family", FAMILIES)
def test_sections_and_blame_language_take_linear_time(family: str) -> None:
    Timings(_text_steps(hostile(family, SMALL)), _text_steps(hostile(family, LARGE))).check()


def _yaml_steps(line: str) -> dict[str, float]:
    """Seconds to read `line` as plain YAML, as a value and as an explicit key (`? key`, of any
    length). Plain scalars are scanned apart from quoted ones, and typed by pattern; some of
    these lines are no YAML at all (`title: Checkout [[[`), and finding that out is timed too."""
    seconds: dict[str, float] = {}
    texts = {
        "value": f"\ntitle: Checkout {line}\n",
        "key": f"\n? {line}\n: x\n",
        # YAML errors get a hint (PMK005), found by reading the lines again: a quote never
        # closed, text after a closing quote.
        "open-quote": f'\ntitle: "Checkout {line}\n',
        "after-quote": f'\ntitle: "Checkout" {line}\n',
    }
    for where, text in texts.items():
        seconds[f"load_located ({where})"], _ = timed(lambda t=text: _located(t))
    return seconds


def _located(text: str) -> Any:
    try:
        return load_located(text)
    except YamlProblem as problem:
        return problem


@pytest.mark.parametrize("family", FAMILIES)
def test_plain_yaml_is_read_in_linear_time(family: str) -> None:
    Timings(_yaml_steps(hostile(family, SMALL)), _yaml_steps(hostile(family, LARGE))).check()


def _catalog_steps(base: Base, line: str) -> dict[str, float]:
    """Seconds to load catalogs with `line` as a service id and name and as a factor's category."""
    services = base.settings.services_file
    factors = base.settings.factors_file
    kept = services.read_bytes(), factors.read_bytes()
    try:
        services.write_text(
            f"{quoted(line)}:\n  name: x\nok:\n  name: {quoted(line)}\n", newline="\n"
        )
        factors.write_text(
            f"ok:\n  name: x\n  category: {quoted(line)}\n  aliases: [{quoted(line)}]\n",
            newline="\n",
        )
        settings = load_settings({"factor_categories": ["Change", "Detection"]}, base.root)
        seconds, _ = timed(
            lambda: load_catalog(
                services, factors, settings.display_path, settings.factor_categories
            )
        )
    finally:
        services.write_bytes(kept[0])
        factors.write_bytes(kept[1])
    return {"load_catalog": seconds}


@pytest.mark.parametrize("family", FAMILIES)
def test_catalogs_are_read_in_linear_time(base: Base, family: str) -> None:
    Timings(
        _catalog_steps(base, hostile(family, SMALL // 2)),
        _catalog_steps(base, hostile(family, LARGE // 2)),
    ).check()


# Files of many short lines: one step per line or per heading, not one per pair of them. The
# headings differ: the same one repeated is a finding each time, and a report of 100,000
# findings takes seconds to write however it is made.
LINES = {
    "level-2 headings": "## Part {}\n",
    "setext headings": "Part {}\n-------\n",
    "timeline entries": "- 10:00 Step {}\n",
    "comment openers": "<!-- {}\n",
}


def many_lines(kind: str, size: int) -> str:
    """Lines of `kind`, numbered, to `size` bytes at most."""
    lines: list[str] = []
    length = 0
    while length + len(line := LINES[kind].format(len(lines))) <= size:
        lines.append(line)
        length += len(line)
    return "".join(lines)


@pytest.mark.parametrize("kind", LINES)
def test_many_lines_take_linear_time(base: Base, kind: str) -> None:
    def text(size: int) -> str:
        return FRONT + BODY.replace("## Timeline\n\n", "## Timeline\n\n" + many_lines(kind, size))

    Timings(run_file(base, text(SMALL)), run_file(base, text(LARGE))).check()


# YAML 1.1 reads `1:30:00` as the int 5400 (base 60), and PyYAML builds one by multiplying by 60
# for each group of digits: in time the square of the number's length. And no message can show
# an int of over 4,300 digits: str() of it raises ValueError, and `pmkb check` stops there.
def test_a_long_base_60_number_is_read_in_linear_time(base: Base) -> None:
    number = "1" + ":1" * (SMALL // 2)
    text = FRONT.replace("title: Checkout errors after a config change", f"title: {number}")
    # Each step takes a few hundredths of a second in linear time; it is stopped after one.
    run_file(base, text + BODY, most=1.0)


@pytest.mark.parametrize(
    ("body_line", "message"),
    [
        ("[" * 5_000, "5,000 `[` and `<` in one paragraph"),
        ("<a " * 5_000, "5,000 `[` and `<` in one paragraph"),
        ("## Heading " + "\t" * 2_000, "a heading line of 2,011 characters"),
    ],
)
def test_a_body_too_costly_to_convert_is_reported_and_withheld(
    tmp_path: Path, body_line: str, message: str
) -> None:
    text = (FRONT + BODY).replace("## Impact", body_line + "\n\n## Impact", 1)
    make_project(tmp_path, files={"postmortems/slow.md": text})
    kb = load(load_settings({}, tmp_path))
    (found,) = [f for f in kb.all_findings if f.code == "PMK015"]
    assert found.path == "postmortems/slow.md" and message in found.message
    assert found.line == text.splitlines().index(body_line) + 1
    assert kb.rejected == {"postmortems/slow.md"}
    assert [pm.display for pm in kb.published] == []


def test_a_long_real_postmortem_costs_far_less_than_the_limit() -> None:
    from pmkb.read.validate import MAX_CONVERSION_COST

    paragraph = "See [the runbook](https://example.com/r) and <https://example.com/x>. " * 40
    body = "\n\n".join([paragraph] * 200)
    cost = sum((b.count("[") + b.count("<")) ** 2 for b in body.split("\n\n"))
    assert cost * 10 < MAX_CONVERSION_COST
