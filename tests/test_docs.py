"""The documentation cannot drift from the code: every code, option and key is documented, and
the configurations shown in the adoption guide are valid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import FRONT, Runner, make_project
from pmkb.findings import RULES
from pmkb.read.schema import ACTION_FIELDS, FIELDS
from pmkb.settings import Option, documented_options, load_settings

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


# The options table: `| \`name\` | type | default | meaning |`, one row per option.
_ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+) \|$", re.M)
OPTION_ROWS = {
    m[1]: m.groups()[1:] for m in _ROW.finditer(_section(REFERENCE, "## Plugin options"))
}
(SNIPPET,) = _plugin_configs(_section(REFERENCE, "## Plugin options"))


def _first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, on one line."""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    sentence = re.match(r".+?[.!?](?=\s|$)", paragraph)
    assert sentence, f"no sentence in {doc!r}"
    return sentence[0]


def _shown(value: object) -> str:
    """A default as the table shows it: in YAML's flow style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return f"[{', '.join(map(str, value))}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


@pytest.mark.parametrize("option", documented_options(), ids=lambda o: o.name)
def test_reference_documents_every_option(option: Option) -> None:
    assert option.name in OPTION_ROWS, f"option `{option.name}` is not in the options table"
    assert option.name in SNIPPET, f"option `{option.name}` is not in the snippet"


@pytest.mark.parametrize("option", documented_options(), ids=lambda o: o.name)
def test_options_table_is_the_docstrings(option: Option) -> None:
    kind, default, meaning = OPTION_ROWS[option.name]
    assert kind == option.shown
    if option.default == "":
        # An empty default stands for something else, which the docstring names.
        assert default.startswith("`") and default in option.doc, default
    else:
        assert default == f"`{_shown(option.default)}`"
    # The table links to the codes and sections it names; a docstring names them plainly.
    plain = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", meaning)
    assert plain.startswith(_first_sentence(option.doc)), (plain, option.doc)


def test_options_table_has_no_other_rows() -> None:
    assert list(OPTION_ROWS) == [o.name for o in documented_options()]


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_reference_documents_every_front_matter_key(name: str) -> None:
    assert f"| `{name}` |" in REFERENCE


@pytest.mark.parametrize("name", [f.name for f in ACTION_FIELDS])
def test_reference_documents_every_action_item_key(name: str) -> None:
    table = _section(REFERENCE, "### Action items")
    assert f"| `{name}` |" in table


def test_reference_snippet_shows_the_defaults(tmp_path: Path) -> None:
    assert list(SNIPPET) == [o.name for o in documented_options()]
    for option in documented_options():
        assert SNIPPET[option.name] == option.default, option.name
    assert load_settings(SNIPPET, tmp_path) == load_settings({}, tmp_path)


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
    tmp_path: Path, check_json: Runner
) -> None:
    (options,) = GOOGLE
    make_project(tmp_path, {"2026-03-12-flag.md": FRONT + GOOGLE_BODY}, options=options)
    result = check_json("--strict")
    assert result.code == 0, result.out
    assert result.data["findings"] == []


def test_google_configuration_requires_its_sections(tmp_path: Path, check_json: Runner) -> None:
    (options,) = GOOGLE
    body = GOOGLE_BODY.replace("## Detection\n\nThe checkout error alert.\n", "")
    make_project(tmp_path, {"2026-03-12-flag.md": FRONT + body}, options=options)
    result = check_json()
    assert result.code == 1
    assert [f[3] for f in result.found] == ["PMK301"]
    assert "Detection" in result.messages[0]
