"""Hostile and out-of-range input: reads are bounded, cached parses exact, output safe to
print, and every problem one clear message."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import BODY, FRONT, VALID, Result, make_kb
from pmkb.findings import Finding, Level, format_json, printable
from pmkb.knowledge import load
from pmkb.settings import load_settings
from pmkb.stats import format_figures, headline_figures

CheckJson = Callable[..., Result]
Run = Callable[..., Result]
A = "postmortems/a.md"
SERVICES_FILE = "postmortems/services.yml"
EPOCH_2026_03_20 = str(int(datetime(2026, 3, 20, tzinfo=UTC).timestamp()))


def with_keys(extra: str, body: str = BODY) -> str:
    """A valid postmortem with `extra` front-matter lines from line 8 on."""
    return FRONT.removesuffix("---\n") + extra + "---\n" + body


# 3. Control characters never reach the terminal as they are.

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7f\x00"


def test_format_text_escapes_controls_in_path_and_message() -> None:
    f = Finding(f"postmortems/{HOSTILE}.md", 2, 3, "PMK107", Level.ERROR, f"`severity: {HOSTILE}`")
    text = f.format_text()
    assert printable(text) == text
    assert not re.search("[\x00-\x1f\x7f-\x9f]", text)
    escaped = r"\x1b]0;owned\x07\x1b[2J\u009b31m\x7f\x00"
    assert text == f"postmortems/{escaped}.md:2:3: error PMK107 `severity: {escaped}`"


def test_format_text_escapes_line_breaks_and_tabs() -> None:
    f = Finding("a.md", 1, 1, "PMK005", Level.ERROR, "one\ntwo\r\tthree")
    assert f.format_text() == r"a.md:1:1: error PMK005 one\x0atwo\x0d\x09three"


def test_format_github_escapes_controls_as_text_does() -> None:
    f = Finding(f"{HOSTILE}.md", 1, 1, "PMK101", Level.WARNING, f"bad {HOSTILE}\nnext")
    line = f.format_github()
    assert not re.search("[\x00-\x1f\x7f-\x9f]", line)
    assert r"file=\x1b]0;owned\x07\x1b[2J\u009b31m\x7f\x00.md," in line
    assert line.endswith(r"::PMK101 bad \x1b]0;owned\x07\x1b[2J\u009b31m\x7f\x00%0Anext")


def test_format_json_is_exact_json_with_every_control_escaped() -> None:
    f = Finding(f"{HOSTILE}.md", 1, 1, "PMK101", Level.ERROR, f"é {HOSTILE}")
    text = format_json([f])
    assert not re.search("[\x00-\x1f\x7f-\x9f]", text.replace("\n", ""))
    assert "é" in text and "\\u009b" in text and "\\u007f" in text
    assert json.loads(text) == [f.to_json()]


def test_check_text_output_escapes_a_hostile_value_and_file_name(tmp_path: Path, run: Run) -> None:
    name = "postmortems/a\x1b[31m.md"
    make_kb(tmp_path, {name: VALID.replace("severity: SEV2", 'severity: "\\e[2J\\u009b1m"')})
    result = run("check")
    assert result.code == 1
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", result.out)
    assert r"postmortems/a\x1b[31m.md:4:11: error PMK107 `severity: \x1b[2J\u009b1m`" in result.out


def test_stats_text_escapes_controls(tmp_path: Path) -> None:
    make_kb(tmp_path, {A: VALID})
    kb = load(load_settings({}, tmp_path))
    figures = headline_figures(kb, date(2026, 3, 20))
    figures["top_factors"] = [{"id": "x\x1b[2J\x9b", "incidents": 1}]
    figures["by_severity"] = {"SEV\x07": 1}
    text = format_figures(figures)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)
    assert r"x\x1b[2J\u009b 1" in text and r"SEV\x07 1" in text
