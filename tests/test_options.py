"""pmkb's options are declared once, in `PmkbConfig`: MkDocs validates the plugin's options with
it, the CLI validates `mkdocs.yml` with it, and both report the same findings."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from helpers import VALID, Runner, make_project, option_at
from pmkb.plugin import PmkbPlugin
from pmkb.settings import (
    LISTING_OPTIONS,
    PmkbConfig,
    Settings,
    SettingsError,
    UrlPath,
    documented_options,
    load_settings,
    validated,
    with_docs_dir,
)

# Loading a MkDocs configuration in this process imports MkDocs' and Material's own modules.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NAMES = [o.name for o in documented_options()]


def problems(options: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, message) of each finding validating `options` gives."""
    with pytest.raises(SettingsError) as caught:
        validated(options)
    return [(f.code, f.message) for f in caught.value.findings]


# 1. One declaration.


@pytest.mark.parametrize("option", documented_options(), ids=lambda o: o.name)
def test_every_option_has_a_docstring_and_a_documented_type(option: Any) -> None:
    assert option.doc.strip(), f"no docstring under `{option.name}` in PmkbConfig"
    assert option.shown


def test_settings_has_a_field_for_every_option_and_no_other() -> None:
    from_mkdocs = {"root", "docs_dir", "directory_urls"}
    assert {f.name for f in fields(Settings)} - from_mkdocs == set(NAMES)


def test_the_plugin_validates_with_pmkb_config() -> None:
    assert PmkbPlugin.config_class is PmkbConfig
    assert [key for key, _ in PmkbPlugin.config_scheme] == NAMES


def test_listing_options_are_the_url_path_options() -> None:
    declared = [key for key, option in PmkbConfig._schema if isinstance(option, UrlPath)]
    assert list(LISTING_OPTIONS) == declared
    assert LISTING_OPTIONS["incidents_path"] == "incidents listing"


def test_no_options_means_the_declared_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, tmp_path)
    for option in documented_options():
        value = getattr(settings, option.name)
        if isinstance(option.default, list):
            assert value == tuple(option.default), option.name
        elif option.default == "":  # a catalog beside the postmortems
            assert value == settings.postmortems_dir / f"{option.name.removesuffix('_file')}.yml"
        elif option.name in ("postmortems_dir", "cache_dir"):
            assert value == (tmp_path / option.default).resolve()
        elif option.name == "workers":
            assert value is None  # `auto`: one per CPU
        elif option.name == "custom_fields":
            assert value == ()  # declared as CustomField, none by default
        else:
            assert value == option.default, option.name


def test_validating_leaves_the_defaults_alone() -> None:
    first = validated({"severities": ["P1"], "section_aliases": {"Impact": "User impact"}})
    assert first.severities == ["P1"]
    second = validated({})
    assert second.severities == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert second.section_aliases == {}


# 2. Values, as both outlets read them.


def test_an_option_without_a_value_keeps_its_default(tmp_path: Path) -> None:
    assert load_settings({"related_limit": None, "search": None}, tmp_path) == load_settings(
        {}, tmp_path
    )


def test_unquoted_off_is_off_where_off_is_a_choice() -> None:
    assert validated({"blame_language": False}).blame_language == "off"
    assert problems({"search": False}) == [("PMK601", "option `search` must be a str, not bool")]


def test_a_single_heading_is_a_list_of_one() -> None:
    assert validated({"section_aliases": {"Impact": "User impact"}}).section_aliases == {
        "Impact": ["User impact"]
    }


@pytest.mark.parametrize("written", ["kb", "kb/", "./kb", "kb/./"])
def test_listing_paths_are_read_in_one_form(written: str) -> None:
    assert validated({"incidents_path": written}).incidents_path == "kb"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"postmortems_dir": 5}, "option `postmortems_dir` must be a str, not int"),
        ({"trust_html": "yes"}, "option `trust_html` must be a bool, not str"),
        ({"severities": "SEV1"}, "option `severities` must be a list, not str"),
        ({"blame_phrases": ["x"]}, "option `blame_phrases` must be a dict, not list"),
        ({"related_limit": True}, "option `related_limit` must be a positive whole number, not True"),
        ({"recurrence_count": "3"}, "option `recurrence_count` must be a positive whole number, not '3'"),
        ({"search": "fast"}, "option `search` must be one of auto, faceted, full, compact, not 'fast'"),
        ({"factor_categories": [1]}, "option `factor_categories` must be a list of non-empty strings"),
        ({"section_aliases": {1: "x"}}, "option `section_aliases` maps a section name to a list of headings"),
        ({"blame_phrases": {" ": "x"}}, "option `blame_phrases` maps a phrase to a suggested rewording (both strings)"),
        ({"trends_path": "a/../b"}, "option `trends_path` must be a relative URL path inside the site, not 'a/../b'"),
        ({"trends_path": "a\\b"}, "option `trends_path` must be a relative URL path inside the site, not 'a\\\\b'"),
        ({"trends_path": ""}, "option `trends_path` must be a relative URL path inside the site, not ''"),
    ],
)  # fmt: skip
def test_pmkb_words_its_own_messages(options: dict[str, Any], message: str) -> None:
    assert problems(options) == [("PMK601", message)]


def test_every_problem_is_reported_at_once_unknown_options_first() -> None:
    found = problems(
        {
            "related_limit": 0,
            "sevrities": ["P1"],
            "severities": [],
            "services_path": "incidents",
            "factors_path": "/abs",
        }
    )
    assert found == [
        ("PMK601", "unknown pmkb option `sevrities` (did you mean `severities`?)"),
        ("PMK601", "option `severities` must list at least one severity"),
        ("PMK601", "option `factors_path` must be a relative URL path inside the site, not '/abs'"),
        ("PMK601", "option `related_limit` must be a positive whole number, not 0"),
        (
            "PMK603",
            "option `services_path` is `incidents`, as is `incidents_path`: the services listing "
            "and the incidents listing would both be `incidents/index.md`",
        ),
    ]


def test_a_listing_on_the_site_root_is_pmk603() -> None:
    ((code, message),) = problems({"trends_path": "./"})
    assert code == "PMK603"
    assert message.startswith("option `trends_path` is './', the site's root: the trends page")
    assert message.endswith("give it a folder such as `trends`")


def test_an_unknown_option_that_is_not_a_string() -> None:
    assert problems({5: "x"}) == [("PMK601", "unknown pmkb option `5`")]


# 3. MkDocs validates the plugin's options through PmkbConfig.


def _mkdocs_config(root: Path, options: dict[str, Any]) -> Path:
    make_project(root, site=True, theme="mkdocs", options=options)
    return root / "mkdocs.yml"


def test_mkdocs_reports_bad_options_as_pmkb_findings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _mkdocs_config(tmp_path, {"blame_langauge": "warn", "related_limit": 0})
    with caplog.at_level(logging.WARNING, logger="mkdocs"), pytest.raises(Abort):
        load_config(str(path))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "Config value 'plugins': "
        f"Plugin 'pmkb' option 'blame_langauge': {option_at(tmp_path, 'blame_langauge')}: error "
        "PMK601 unknown pmkb option `blame_langauge` (did you mean `blame_language`?)\n"
        f"Plugin 'pmkb' option 'related_limit': {option_at(tmp_path, 'related_limit')}: error "
        "PMK601 option `related_limit` must be a positive whole number, not 0"
    ]
    # The unknown option is pmkb's error, not also MkDocs' warning.
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_the_plugin_and_the_cli_resolve_the_same_settings(tmp_path: Path) -> None:
    options = {
        "blame_language": "error",
        "incidents_path": "./kb/incidents/",
        "section_aliases": {"Impact": "User impact"},
        "related_limit": None,
    }
    path = _mkdocs_config(tmp_path, options)
    config = load_config(str(path))
    plugin = config.plugins["pmkb"]
    plugin.on_config(config)
    written = yaml.safe_load(path.read_text(encoding="utf-8"))["plugins"][1]["pmkb"]
    assert written == options
    assert plugin.settings == with_docs_dir(load_settings(written, tmp_path), tmp_path / "docs")
    assert plugin.settings.incidents_path == "kb/incidents"


@pytest.mark.parametrize(
    ("written", "jobs"), [("auto", None), (0, 1), (1, 1), (3, 3)], ids=["auto", "0", "1", "3"]
)
def test_workers_sets_how_many_processes_read_the_files(
    tmp_path: Path, written: object, jobs: int | None
) -> None:
    settings = load_settings({"workers": written}, tmp_path)
    assert settings.jobs == (jobs if jobs is not None else (os.cpu_count() or 1))


@pytest.mark.parametrize("written", [-1, True, "all", 1.5])
def test_workers_is_auto_or_a_whole_number(written: object) -> None:
    assert problems({"workers": written}) == [
        (
            "PMK601",
            "option `workers` must be `auto` or a whole number of processes (0 for none), "
            f"not {written!r}",
        )
    ]


def test_workers_0_reads_every_file_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.process

    from pmkb import parallel
    from pmkb.read.knowledge import load

    files = {f"pm-{i:04d}.md": VALID for i in range(parallel.PARALLEL_FROM + 5)}
    make_project(tmp_path, files)
    started: list[int] = []
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as if no other thread ran
    monkeypatch.setattr(
        multiprocessing.process.BaseProcess,
        "start",
        lambda *args, **kwargs: started.append(1) or pytest.fail("a worker process was started"),
    )
    settings = load_settings({"workers": 0}, tmp_path)
    kb = load(settings, jobs=settings.jobs)
    assert len(kb.postmortems) == parallel.PARALLEL_FROM + 5 and started == []


@pytest.mark.parametrize("written", ["true", "false", "!ENV [PMKB_ENABLED, true]"])
def test_mkdocs_generic_enabled_switch_is_not_an_unknown_option(
    tmp_path: Path, run: Runner, written: str
) -> None:
    # MkDocs gives every plugin an `enabled` switch and takes it out before the plugin sees its
    # options; `pmkb check` reads mkdocs.yml itself and must do the same.
    make_project(tmp_path, {"a.md": VALID})
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: T\nplugins:\n  - pmkb:\n      enabled: {written}\n",
        encoding="utf-8",
        newline="\n",
    )
    result = run("check")
    assert (result.code, result.out.splitlines()[-1]) == (
        0,
        "Checked 1 postmortem file(s): 0 error(s), 0 warning(s).",
    ), result.out + result.err


def test_an_enabled_switch_that_is_not_a_boolean_is_reported(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, {"a.md": VALID})
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: T\nplugins:\n  - pmkb:\n      enabled: sometimes\n",
        encoding="utf-8",
        newline="\n",
    )
    result = run("check")
    assert result.code == 2
    assert result.err.strip() == (
        "mkdocs.yml:4:7: error PMK601 option `enabled` must be true or false, not 'sometimes'"
    )
