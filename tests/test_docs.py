"""The documentation cannot drift from the code: every code, option and key is documented, and
the configurations shown in the adoption guide are valid."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FRONT, Result, make_kb
from pmkb.findings import RULES
from pmkb.schema import ACTION_FIELDS, FIELDS
from pmkb.settings import OPTIONS, load_settings

DOCS = Path(__file__).resolve().parent.parent / "docs"
REFERENCE = (DOCS / "reference.md").read_text(encoding="utf-8")
ADOPTING = (DOCS / "adopting.md").read_text(encoding="utf-8")

_YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.M | re.S)


def _section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _plugin_configs(text: str) -> list[dict[str, Any]]:
    """The pmkb options of every YAML block in `text` that lists the plugin."""
    configs = []
    for block in _YAML_BLOCK.findall(text):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "plugins" in data:
            entries = [e["pmkb"] for e in data["plugins"] if isinstance(e, dict) and "pmkb" in e]
            assert len(entries) == 1, f"expected one pmkb entry in:\n{block}"
            configs.append(dict(entries[0] or {}))
    return configs


GOOGLE = _plugin_configs(_section(ADOPTING, "### Google SRE-book template"))
PAGERDUTY = _plugin_configs(_section(ADOPTING, "### PagerDuty template"))


@pytest.mark.parametrize("code", sorted(RULES))
def test_reference_documents_every_finding_code(code: str) -> None:
    assert re.search(rf"^### {code}$", REFERENCE, re.M), f"no `### {code}` section"


@pytest.mark.parametrize("name", [o.name for o in OPTIONS])
def test_reference_documents_every_option(name: str) -> None:
    assert f"| `{name}` |" in REFERENCE, f"option `{name}` is not in the options table"
    assert re.search(rf"^ +{name}:", REFERENCE, re.M), f"option `{name}` is not in the snippet"


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_reference_documents_every_front_matter_key(name: str) -> None:
    assert f"| `{name}` |" in REFERENCE


@pytest.mark.parametrize("name", [f.name for f in ACTION_FIELDS])
def test_reference_documents_every_action_item_key(name: str) -> None:
    table = _section(REFERENCE, "### Action items")
    assert f"| `{name}` |" in table


def test_reference_snippet_shows_the_defaults(tmp_path: Path) -> None:
    (options,) = _plugin_configs(_section(REFERENCE, "## Plugin options"))
    assert load_settings(options, tmp_path) == load_settings({}, tmp_path)


def test_google_configuration_is_valid(tmp_path: Path) -> None:
    assert GOOGLE, "no pmkb configuration in the Google SRE-book section"
    for options in GOOGLE:
        settings = load_settings(options, tmp_path)
        assert "Contributing factors" in settings.required_sections
        assert "Root Causes" in settings.section_aliases["Contributing factors"]


def test_pagerduty_configuration_is_valid(tmp_path: Path) -> None:
    assert PAGERDUTY, "no pmkb configuration in the PagerDuty section"
    for options in PAGERDUTY:
        load_settings(options, tmp_path)


GOOGLE_BODY = """\

## Summary

A flag change made checkout fail for card payments for 20 minutes.

## Impact

About 300 orders failed.

## Root Causes

The flag service applied the change to every store at once.

## Trigger

A flag flip at 14:00 UTC.

## Resolution

The flag was turned off.

## Detection

The checkout error alert.

## Action Items

Tracked in the front matter.

## Lessons Learned

### What went well

The alert fired within five minutes.

### What went wrong

The flag had no staged rollout.

## Timeline

- 14:00 UTC — Flag turned on.
- 14:05 UTC — Alert fired.
- 14:20 UTC — Flag turned off.

## Supporting information

Dashboards.
"""


def test_google_configuration_accepts_a_google_style_postmortem(
    tmp_path: Path, check_json: Callable[..., Result]
) -> None:
    (options,) = GOOGLE
    make_kb(tmp_path, {"postmortems/2026-03-12-flag.md": FRONT + GOOGLE_BODY}, options)
    result = check_json("--strict")
    assert result.code == 0, result.out
    assert result.data["findings"] == []


def test_google_configuration_requires_its_sections(
    tmp_path: Path, check_json: Callable[..., Result]
) -> None:
    (options,) = GOOGLE
    body = GOOGLE_BODY.replace("## Detection\n\nThe checkout error alert.\n", "")
    make_kb(tmp_path, {"postmortems/2026-03-12-flag.md": FRONT + body}, options)
    result = check_json()
    assert result.code == 1
    assert [f[3] for f in result.found] == ["PMK301"]
    assert "Detection" in result.messages[0]
