"""Hostile and out-of-range input: reads are bounded, cached parses exact, output safe to
print, and every problem one clear message."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from helpers import (
    BODY,
    SERVICES,
    SERVICES_FILE,
    VALID,
    A,
    Runner,
    build,
    catalog_text,
    make_project,
    postmortem,
    with_keys,
)
from pmkb.analyse.stats import format_figures, headline_figures
from pmkb.clock import ClockError, build_date
from pmkb.findings import Finding, Level, format_json, printable
from pmkb.read import check_index, knowledge, validate
from pmkb.read.knowledge import KnowledgeBase, ParseCache, load
from pmkb.read.source import MAX_BYTES, MAX_CATALOG_BYTES, read_source
from pmkb.settings import load_settings
from pmkb.site.export import FIELDS, action_items_csv, to_csv
from pmkb.urls import Site

EPOCH_2026_03_20 = str(int(datetime(2026, 3, 20, tzinfo=UTC).timestamp()))


# 1. The serve cache: an edit that keeps the size and modification time is still seen.


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` (as long), then put the file's times back as they were."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8", newline="\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_serve_cache_sees_an_edit_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    make_project(tmp_path, files={A: VALID})
    settings = load_settings({}, tmp_path)
    cache = ParseCache()
    assert [pm.id for pm in load(settings, cache).published] == ["a"]

    # The author withdraws the postmortem; a tool restores the modification time.
    _same_size_edit(tmp_path / A, "status: published", "status: draft    ")
    kb = load(settings, cache)
    assert kb.published == ()
    assert [pm.status for pm in kb.postmortems] == ["draft"]
    assert cache.parses == 2


def test_serve_cache_parses_an_unchanged_file_once(tmp_path: Path) -> None:
    make_project(tmp_path, files={A: VALID, "postmortems/b.md": VALID})
    settings = load_settings({}, tmp_path)
    cache = ParseCache()
    first = load(settings, cache)
    (tmp_path / A).touch()  # a new mtime, the same content: nothing to parse again
    second = load(settings, cache)
    assert cache.parses == 2
    assert first.all_findings == second.all_findings


@pytest.mark.skipif(not knowledge.CHANGE_TIME_KEPT, reason="Windows: every file is read again")
def test_serve_cache_reads_again_only_a_file_whose_identity_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files written before the first build, long enough ago that their identity can stand.
    monkeypatch.setattr(check_index, "SETTLED_NS", 0)
    make_project(tmp_path, files={A: VALID, "postmortems/b.md": VALID})
    settings = load_settings({}, tmp_path)
    cache = ParseCache()
    load(settings, cache)
    assert (cache.reads, cache.parses) == (2, 2)
    load(settings, cache)
    assert (cache.reads, cache.parses) == (2, 2)  # neither file is read again

    path = tmp_path / A
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: published", "status: draft"),
        encoding="utf-8",
        newline="\n",
    )
    kb = load(settings, cache)
    assert (cache.reads, cache.parses) == (3, 3)
    assert [pm.status for pm in kb.postmortems] == ["draft", "published"]


def test_serve_cache_reads_a_file_changed_just_before_it_was_read_again(tmp_path: Path) -> None:
    # Written a moment ago: a second write within the same clock tick could keep the file's
    # identity, so the next build reads it again and compares its content.
    make_project(tmp_path, files={A: VALID})
    settings = load_settings({}, tmp_path)
    cache = ParseCache()
    load(settings, cache)
    load(settings, cache)
    assert (cache.reads, cache.parses) == (2, 1)


def test_serve_cache_reports_a_file_that_grew_past_the_limit(tmp_path: Path) -> None:
    make_project(tmp_path, files={A: VALID})
    settings = load_settings({}, tmp_path)
    cache = ParseCache()
    load(settings, cache)
    (tmp_path / A).write_bytes(VALID.encode() + b"x" * (1024 * 1024))
    kb = load(settings, cache)
    assert kb.postmortems == () and [f.code for f in kb.all_findings] == ["PMK007"]


# 2. Size caps: catalogs as well as postmortems; and no file that is not a regular file is read.


def test_catalog_over_the_limit_is_not_parsed(tmp_path: Path, check_json: Runner) -> None:
    # Invalid YAML past the limit: a PMK502 would mean it was parsed.
    data = catalog_text(SERVICES).encode() + b"x: [" * (MAX_CATALOG_BYTES // 4)
    make_project(tmp_path, files={A: VALID}, services=data)
    result = check_json()
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK007", "error"), (A, 6, 12, "PMK109", "error")]
    size = len(data)
    assert result.messages[0] == (
        f"{size:,} bytes is more than the {MAX_CATALOG_BYTES:,} pmkb reads; "
        "the catalog is not read; keep its entries short"
    )


def test_catalog_of_exactly_the_limit_is_read(tmp_path: Path, check_json: Runner) -> None:
    data = catalog_text(SERVICES).encode()
    data += b"\n" * (MAX_CATALOG_BYTES - len(data))
    make_project(tmp_path, files={A: VALID}, services=data)
    assert check_json().found == []


def test_a_file_that_grew_once_looked_at_is_read_to_the_limit_and_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmkb.read import source

    real = os.fstat

    def looked_at_when_small(fd: int) -> os.stat_result:
        found = real(fd)
        return os.stat_result((*found[:6], 10, *found[7:10]))  # st_size: 10 bytes

    monkeypatch.setattr(source.os, "fstat", looked_at_when_small)
    path = tmp_path / "a.md"
    grown = VALID.encode() + b"x" * (200 * 1024)
    path.write_bytes(grown)
    assert source.read_capped(path, "a.md", []) == grown  # read whole, past its size then
    path.write_bytes(grown + b"x" * MAX_BYTES)
    findings: list[Finding] = []
    assert source.read_capped(path, "a.md", findings) is None
    assert [f.code for f in findings] == ["PMK007"]
    assert f"{MAX_BYTES + 1:,} bytes is more than" in findings[0].message  # read no further


def _in_thread(function: Callable[[], object], timeout: float = 10) -> object:
    """`function()`, failing the test (not hanging it) if it blocks."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(function()), daemon=True)
    worker.start()
    worker.join(timeout)
    assert result, "blocked: reading a named pipe waits for a writer forever"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_reported_not_waited_on(tmp_path: Path) -> None:
    make_project(tmp_path, files={A: VALID})
    os.mkfifo(tmp_path / "postmortems" / "pipe.md")
    os.remove(tmp_path / SERVICES_FILE)
    os.mkfifo(tmp_path / SERVICES_FILE)
    settings = load_settings({}, tmp_path)
    kb = _in_thread(lambda: load(settings))
    assert isinstance(kb, KnowledgeBase)
    found = [(f.path, f.code, f.message) for f in kb.all_findings if f.code != "PMK109"]
    assert found == [
        (SERVICES_FILE, "PMK501", "cannot read the catalog: not a regular file"),
        ("postmortems/pipe.md", "PMK012", "cannot read the file: not a regular file"),
    ]


def test_a_folder_named_like_a_postmortem_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "x.md").mkdir()
    source = read_source(tmp_path / "x.md", "x.md")
    assert [(f.code, f.message) for f in source.findings] == [
        ("PMK012", "cannot read the file: not a regular file")
    ]


# 3. Control characters never reach the terminal as they are.

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7f\x00"


def test_format_text_escapes_controls_in_path_and_message() -> None:
    f = Finding(f"postmortems/{HOSTILE}.md", 2, 3, "PMK107", Level.ERROR, f"`severity: {HOSTILE}`")
    text = f.format_text()
    assert printable(text) == text
    assert not re.search("[\x00-\x1f\x7f-\x9f]", text)
    escaped = r"\x1b]0;owned\x07\x1b[2J\u009b31m\x7f\x00"
    assert text == f"postmortems/{escaped}.md:2:3: error PMK107 `severity: {escaped}`"


# "Trojan Source": text shown right to left from U+202E on, so a log line reads other than it is.
BIDI = "\u202eexe.md\u2066\u2069\u200f\u061c"


def test_bidirectional_formatting_characters_are_shown_escaped_in_every_format() -> None:
    f = Finding(f"postmortems/{BIDI}", 1, 1, "PMK101", Level.ERROR, f"title `{BIDI}`")
    escaped = r"\u202eexe.md\u2066\u2069\u200f\u061c"
    assert f.format_text() == f"postmortems/{escaped}:1:1: error PMK101 title `{escaped}`"
    assert f"file=postmortems/{escaped}," in f.format_github()
    text = format_json([f])
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", text)
    assert json.loads(text) == [f.to_json()]


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


def test_check_text_output_escapes_a_hostile_value_and_file_name(
    tmp_path: Path, run: Runner
) -> None:
    name = "postmortems/a\x1b[31m.md"
    make_project(
        tmp_path, files={name: VALID.replace("severity: SEV2", 'severity: "\\e[2J\\u009b1m"')}
    )
    result = run("check")
    assert result.code == 1
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", result.out)
    assert r"postmortems/a\x1b[31m.md:4:11: error PMK107 `severity: \x1b[2J\u009b1m`" in result.out


def test_stats_text_escapes_controls(tmp_path: Path) -> None:
    make_project(tmp_path, files={A: VALID})
    kb = load(load_settings({}, tmp_path))
    figures = headline_figures(kb, date(2026, 3, 20))
    figures["top_factors"] = [{"id": "x\x1b[2J\x9b", "incidents": 1}]
    figures["by_severity"] = {"SEV\x07": 1}
    text = format_figures(figures)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)
    assert r"x\x1b[2J\u009b 1" in text and r"SEV\x07 1" in text


# 4. SOURCE_DATE_EPOCH: used when valid; otherwise one clear message, no fallback, no traceback.


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc", "is not a number of seconds"),
        ("-1", "is not a number of seconds"),
        ("1.5", "is not a number of seconds"),
        ("\u00b2", "is not a number of seconds"),  # a digit to str.isdigit(), not to int()
        ("99999999999999999", "is out of range (the latest is 253402300799, in 9999)"),
        ("253402300800", "is out of range (the latest is 253402300799, in 9999)"),
    ],
)
def test_unusable_source_date_epoch_is_one_clear_message(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    make_project(tmp_path, files={A: VALID})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    for command in ("check", "stats"):
        result = run(command)
        assert result.code == 2, command
        assert result.out == ""
        assert result.err.splitlines() == [
            f"SOURCE_DATE_EPOCH:1:1: error PMK020 SOURCE_DATE_EPOCH `{value}` {problem}; set it "
            "to the seconds since 1970-01-01 UTC in digits, such as `1764028800`, or unset it "
            "to use today's date"
        ]


def test_a_huge_source_date_epoch_is_refused_quickly_and_shown_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "9" * 100_000)
    with pytest.raises(ClockError) as caught:
        build_date()
    assert "`" + "9" * 37 + "...` is out of range" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("1764028800", date(2025, 11, 25)),
        (" 1764028800\n", date(2025, 11, 25)),
        ("0", date(1970, 1, 1)),
        ("253402300799", date(9999, 12, 31)),
    ],
)
def test_valid_source_date_epoch_sets_the_build_date(
    monkeypatch: pytest.MonkeyPatch, value: str, day: date
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert build_date() == day


def test_empty_source_date_epoch_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", " ")
    assert build_date() == datetime.now(UTC).date()


def test_clock_error_crosses_processes_whole() -> None:
    error = ClockError("abc", "is not a number of seconds")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ClockError)
    assert copy.findings == error.findings and str(copy) == str(error)


def test_the_latest_build_date_checks_without_overflow(
    tmp_path: Path, check_json: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    make_project(tmp_path, files={A: with_keys("started: 2026-03-12T14:00:00Z\n")})
    assert check_json().found == []


# 5. Incident times that parse but cannot be right.


@pytest.fixture
def march_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_03_20)
    # The wall clock too, which "after today" (PMK209) also reads.
    monkeypatch.setattr(validate, "wall_clock_today", lambda: date(2026, 3, 20))


@pytest.mark.usefixtures("march_2026")
def test_a_time_before_1970_is_pmk207(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 0001-01-01T00:00:00Z\nresolved: 2026-03-12T14:20:00Z\n")
    make_project(tmp_path, files={A: text})
    result = check_json()
    assert result.found == [(A, 8, 10, "PMK207", "error")]
    assert result.messages == [
        "`started: 0001-01-01T00:00:00+00:00` is before 1970; correct the year (the value is not used)"
    ]
    (pm,) = load(load_settings({}, tmp_path)).postmortems
    assert pm.started is None and pm.minutes("started", "resolved") is None


@pytest.mark.usefixtures("march_2026")
def test_a_time_over_a_year_after_the_build_date_is_pmk207(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, files={A: with_keys('detected: "2027-03-22T10:00:00+02:00"\n')})
    result = check_json()
    assert result.found == [(A, 8, 11, "PMK207", "error")]
    assert result.messages == [
        "`detected: 2027-03-22T10:00:00+02:00` is more than a year after the build date "
        "(2026-03-20); correct the year (the value is not used)"
    ]


@pytest.mark.usefixtures("march_2026")
def test_the_bounds_themselves_are_plausible(tmp_path: Path, check_json: Runner) -> None:
    # 366 days after the end of the build date, and the first instant of 1970.
    text = with_keys("started: 1970-01-01T00:00:00Z\n")
    make_project(
        tmp_path, files={A: text, "postmortems/b.md": with_keys("started: 2027-03-21T23:59:59Z\n")}
    )
    # Plausible is another matter (PMK209, PMK307: warnings); no error, and the values are used.
    assert [f for f in check_json().found if f[4] == "error"] == []


@pytest.mark.usefixtures("march_2026")
def test_times_spanning_more_than_366_days_are_pmk208(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys(
        "started: 2025-03-12T14:00:00Z\ndetected: 2025-03-12T14:05:00Z\n"
        "resolved: 2026-03-13T14:20:00Z\n"
    )
    make_project(tmp_path, files={A: text})
    result = check_json()
    assert result.found == [(A, 10, 11, "PMK208", "error")]
    assert result.messages == [
        "`resolved` (2026-03-13T14:20:00+00:00) is 366 days after `started` "
        "(2025-03-12T14:00:00+00:00); an incident is not this long: check the years"
    ]


@pytest.mark.usefixtures("march_2026")
def test_times_spanning_exactly_366_days_are_plausible(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 2025-03-12T14:00:00Z\nresolved: 2026-03-13T14:00:00Z\n")
    make_project(tmp_path, files={A: text})
    # Not an error: a warning that the incident is longer than `longest_incident_days`.
    assert [f[3:] for f in check_json().found] == [("PMK210", "warning")]


# 5b. Dates and times that are possible but not plausible: warnings, tuned by options.


@pytest.mark.usefixtures("march_2026")
def test_a_date_before_earliest_year_is_pmk209(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID.replace("date: 2026-03-12", "date: 1999-12-31")})
    result = check_json()
    assert result.found == [(A, 3, 7, "PMK209", "warning")]
    assert result.messages == [
        "`date: 1999-12-31` is before 2000 (`earliest_year`); check the year"
    ]
    (pm,) = load(load_settings({}, tmp_path)).postmortems
    assert pm.date == date(1999, 12, 31)  # a warning: the value is used


@pytest.mark.usefixtures("march_2026")
def test_earliest_year_is_an_option(tmp_path: Path, check_json: Runner) -> None:
    text = VALID.replace("date: 2026-03-12", "date: 1988-03-12")
    make_project(tmp_path, files={A: text}, options={"earliest_year": 1988})
    assert check_json().found == []
    make_project(tmp_path, files={A: text}, options={"earliest_year": 1989})
    assert check_json().found == [(A, 3, 7, "PMK209", "warning")]


@pytest.mark.usefixtures("march_2026")
def test_a_time_before_earliest_year_is_pmk209_and_used(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 1989-03-12T14:00:00Z\n")
    make_project(tmp_path, files={A: text})
    result = check_json()
    # The timeline's entries stand on the `date`, 2026-03-12: 37 years away (PMK307).
    assert result.found == [(A, 8, 10, "PMK209", "warning"), (A, 21, 1, "PMK307", "warning")]
    assert result.messages[0] == (
        "`started: 1989-03-12T14:00:00+00:00` is before 2000 (`earliest_year`); check the year"
    )
    (pm,) = load(load_settings({}, tmp_path)).postmortems
    assert pm.started == datetime(1989, 3, 12, 14, tzinfo=UTC)


@pytest.mark.usefixtures("march_2026")
def test_a_date_after_today_is_pmk209(tmp_path: Path, check_json: Runner) -> None:
    # Today is 2026-03-20; a day of slack after it, for zones east of UTC.
    ahead = VALID.replace("date: 2026-03-12", "date: 2026-03-22")
    make_project(
        tmp_path,
        files={A: ahead, "postmortems/b.md": VALID.replace("2026-03-12", "2026-03-21")},
    )
    result = check_json()
    assert result.found == [(A, 3, 7, "PMK209", "warning")]
    assert result.messages == [
        "`date: 2026-03-22` is after today (2026-03-20); check the year and month"
    ]


@pytest.mark.usefixtures("march_2026")
def test_a_time_after_today_is_pmk209(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 2026-03-22T00:00:00Z\n")
    late = with_keys("started: 2026-03-21T23:59:59Z\n")
    make_project(tmp_path, files={A: text, "postmortems/b.md": late})
    result = check_json()
    assert result.found == [(A, 8, 10, "PMK209", "warning")]
    assert result.messages == [
        "`started: 2026-03-22T00:00:00+00:00` is after today (2026-03-20); check the year and month"
    ]


def test_a_build_pinned_to_an_older_date_reports_no_later_postmortem(
    tmp_path: Path, check_json: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SOURCE_DATE_EPOCH of 2026-03-20 (a rebuild of an old release, a test) and a wall clock
    # of 2026-12-02: a postmortem of June is not in the future.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_03_20)
    monkeypatch.setattr(validate, "wall_clock_today", lambda: date(2026, 12, 2))
    june = VALID.replace("2026-03-12", "2026-06-12")
    december = VALID.replace("2026-03-12", "2026-12-04")
    make_project(tmp_path, files={A: june, "postmortems/b.md": december})
    result = check_json()
    assert result.found == [("postmortems/b.md", 3, 7, "PMK209", "warning")]
    assert result.messages == [
        "`date: 2026-12-04` is after today (2026-12-02); check the year and month"
    ]


@pytest.mark.usefixtures("march_2026")
def test_a_resolve_time_two_months_after_the_repair_is_pmk210(
    tmp_path: Path, check_json: Runner
) -> None:
    text = with_keys(
        "started: 2026-01-12T10:00:00Z\nmitigated: 2026-01-12T10:20:00Z\n"
        "resolved: 2026-03-12T11:00:00Z\n"
    ).replace("date: 2026-03-12", "date: 2026-01-12")
    make_project(tmp_path, files={A: text})
    result = check_json()
    assert result.found == [(A, 10, 11, "PMK210", "warning")]
    assert result.messages == [
        "`resolved` (2026-03-12T11:00:00+00:00) is 59 days after `mitigated` "
        "(2026-01-12T10:20:00+00:00): the incident would last 59 days, longer than "
        "`longest_incident_days` (14); check the month and day"
    ]
    make_project(tmp_path, files={A: text}, options={"longest_incident_days": 60})
    assert check_json().found == []


@pytest.mark.usefixtures("march_2026")
def test_a_mistyped_start_is_pmk210_at_the_start(tmp_path: Path, check_json: Runner) -> None:
    # The widest gap is between `started` and `detected`: the finding stands at the later one.
    text = with_keys(
        "started: 2026-02-12T14:00:00Z\ndetected: 2026-03-12T14:05:00Z\n"
        "resolved: 2026-03-12T14:20:00Z\n"
    )
    make_project(tmp_path, files={A: text})
    result = check_json()
    assert result.found == [(A, 9, 11, "PMK210", "warning")]
    assert result.messages[0].startswith(
        "`detected` (2026-03-12T14:05:00+00:00) is 28 days after `started`"
    )


@pytest.mark.usefixtures("march_2026")
def test_fourteen_days_exactly_is_plausible(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 2026-03-01T14:00:00Z\nresolved: 2026-03-15T14:00:00Z\n")
    longer = with_keys("started: 2026-03-01T14:00:00Z\nresolved: 2026-03-15T14:00:01Z\n")
    make_project(tmp_path, files={A: text, "postmortems/b.md": longer})
    assert check_json().found == [("postmortems/b.md", 9, 11, "PMK210", "warning")]


@pytest.mark.usefixtures("march_2026")
def test_over_366_days_is_pmk208_only(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 2025-03-12T14:00:00Z\nresolved: 2026-03-13T14:20:00Z\n")
    make_project(tmp_path, files={A: text})
    assert [f[3] for f in check_json().found] == ["PMK208"]


@pytest.mark.usefixtures("march_2026")
def test_plausibility_options_past_what_dates_hold_are_no_bound(
    tmp_path: Path, check_json: Runner
) -> None:
    # Past year 9999 and past timedelta's range: no traceback, every date is too early.
    text = with_keys("started: 2026-01-01T14:00:00Z\n")
    make_project(
        tmp_path,
        files={A: text},
        options={"earliest_year": 10**12, "longest_incident_days": 10**12},
    )
    assert [f[3] for f in check_json().found] == ["PMK209", "PMK209"]


# Timeline entries far from the incident's times (PMK307).


def _timeline(*entries: str) -> str:
    return BODY.replace(
        "- 14:00 UTC — Config change deployed.\n- 14:05 UTC — Alert fired.\n"
        "- 14:20 UTC — Change reverted.\n",
        "".join(f"- {e}\n" for e in entries),
    )


TIMES = "started: 2026-03-12T14:00:00Z\nresolved: 2026-03-12T14:20:00Z\n"


@pytest.mark.usefixtures("march_2026")
def test_a_timeline_a_year_off_is_pmk307_once(tmp_path: Path, check_json: Runner) -> None:
    body = _timeline(
        "2025-03-12 14:00 UTC — Deployed.", "2025-03-12 14:05 UTC — Alert.", "14:20 UTC — Reverted."
    )
    make_project(tmp_path, files={A: with_keys(TIMES, body)})
    result = check_json()
    assert result.found == [(A, 22, 1, "PMK307", "warning")]
    assert result.messages == [
        "timeline entry at 2025-03-12 14:00 is 365 days before `started` (2026-03-12 14:00) "
        "(and 2 more): check its date or the incident's"
    ]


@pytest.mark.usefixtures("march_2026")
def test_a_timeline_entry_in_year_one_is_pmk307(tmp_path: Path, check_json: Runner) -> None:
    body = _timeline(
        "0001-03-12 13:58 UTC — Deployed.",
        "2026-03-12 14:05 UTC — Alert.",
        "14:20 UTC — Reverted.",
    )
    make_project(tmp_path, files={A: with_keys(TIMES, body)})
    result = check_json()
    assert result.found == [(A, 22, 1, "PMK307", "warning")]
    assert result.messages == [
        "timeline entry at 0001-03-12 13:58 is 739,616 days before `started` "
        "(2026-03-12 14:00): check its date or the incident's"
    ]


@pytest.mark.usefixtures("march_2026")
def test_a_lead_up_entry_weeks_before_is_not_reported(tmp_path: Path, check_json: Runner) -> None:
    # The change that planted the bug, three weeks before; the fix, a month after.
    body = _timeline(
        "2026-02-19 09:00 UTC — Dependency update merged.",
        "2026-03-12 14:05 UTC — Alert.",
        "2026-03-12 14:20 UTC — Reverted.",
        "2026-04-14 10:00 UTC — Fix released.",
    )
    make_project(tmp_path, files={A: with_keys(TIMES, body)})
    assert check_json().found == []


@pytest.mark.usefixtures("march_2026")
def test_most_of_a_timeline_weeks_away_is_pmk307(tmp_path: Path, check_json: Runner) -> None:
    # `date` says 2026-03-12 and records no times; the time-only entries stand on it, and the
    # dated ones a month later: two of three entries away.
    body = _timeline(
        "14:00 UTC — Deployed.", "2026-04-12 14:05 UTC — Alert.", "14:20 UTC — Reverted."
    )
    make_project(tmp_path, files={A: with_keys("", body)})
    result = check_json()
    assert result.found == [(A, 21, 1, "PMK307", "warning")]
    assert result.messages == [
        "timeline entry at 2026-04-12 14:05 is 30 days after the incident's `date` "
        "(2026-03-12) (and 1 more): check its date or the incident's"
    ]
    # With a longer bound, a month is plausible.
    make_project(tmp_path, files={A: with_keys("", body)}, options={"longest_incident_days": 31})
    assert check_json().found == []


# 6. YAML keys that are not text.


def test_keys_one_and_true_are_two_keys_not_duplicates(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: with_keys("1: a\ntrue: b\n1.0: c\n'1': d\n")})
    result = check_json()
    assert result.found == [
        (A, 8, 1, "PMK103", "warning"),
        (A, 9, 1, "PMK103", "warning"),
        (A, 10, 1, "PMK103", "warning"),
        (A, 11, 1, "PMK103", "warning"),
    ]
    assert result.messages == [
        "unknown key `1`",
        "unknown key `true`",
        "unknown key `1.0`",
        "unknown key `1`",
    ]


def test_keys_of_one_value_written_two_ways_are_duplicates(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, files={A: with_keys("true: a\nTrue: b\n")})
    result = check_json()
    assert result.found == [(A, 9, 1, "PMK005", "error")]
    assert result.messages == ["front matter: duplicate key `True` (first `true` on line 8)"]


def test_catalog_ids_one_and_true_are_each_reported(tmp_path: Path, check_json: Runner) -> None:
    services = catalog_text(SERVICES) + "1:\n  name: One\ntrue:\n  name: Yes\n"
    make_project(tmp_path, files={A: VALID}, services=services)
    result = check_json()
    assert result.found == [
        (SERVICES_FILE, 7, 1, "PMK506", "error"),
        (SERVICES_FILE, 9, 1, "PMK506", "error"),
    ]
    assert [m.split(" must")[0] for m in result.messages] == ["id `1`", "id `true`"]


# 7. CSV exports: no cell, and no part of a joined cell, starts a formula.

ATTACKS = ['=HYPERLINK("http://x.example","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _formula_parts(text: str) -> list[str]:
    """The cells of an export that a spreadsheet (or splitting a cell) would run."""
    rows = list(csv.reader(io.StringIO(text)))
    bad = []
    for row in rows[1:]:
        for cell in row:
            parts = [cell, *re.split(r"[,;\t\r\n]\s*", cell)[1:]]
            bad.extend(p for p in parts if p[:1] in ("=", "+", "-", "@", "\t", "\r"))
    return bad


def test_incidents_csv_neutralises_every_cell_and_every_joined_part() -> None:
    record: dict[str, object] = {name: None for name in FIELDS}
    record.update(
        id="a", title=ATTACKS[0], severity="+SEV1", status="@published",
        services=["checkout", "=cmd|' /C calc'!A0"], contributing_factors=["-x"],
        authors=["Ann", *ATTACKS, "Bo, =HYPERLINK(\"http://x.example\")", "Cy;@SUM(A1)"],
        minutes_to_detect=-5, action_items=2, url="=url",
    )  # fmt: skip
    text = to_csv([record])
    assert _formula_parts(text) == []
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["authors"] == (
        "Ann;'=HYPERLINK(\"http://x.example\",\"y\");'+1+1;'-2+3;'@SUM(A1);'\t'=1;'\r'=1;"
        "Bo, '=HYPERLINK(\"http://x.example\");Cy;'@SUM(A1)"
    )
    assert row["title"] == "'" + ATTACKS[0]
    assert row["minutes_to_detect"] == "'-5"


def test_action_items_csv_neutralises_every_cell(tmp_path: Path) -> None:
    items = "".join(
        f"  - {{title: {json.dumps(a)}, owner: {json.dumps(a)}, status: open}}\n" for a in ATTACKS
    )
    text = with_keys('title: "=1+1"\naction_items:\n' + items).replace(
        "title: Checkout errors after a config change\n", ""
    )
    make_project(tmp_path, files={A: text})
    settings = load_settings({}, tmp_path)
    kb = load(settings)
    pairs = [(pm, item) for pm in kb.published for item in pm.action_items]
    assert len(pairs) == len(ATTACKS)
    exported = action_items_csv(pairs, Site(settings), date(2026, 3, 20))
    assert _formula_parts(exported) == []
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["incident_title"] for r in rows} == {"'=1+1"}
    assert [r["owner"] for r in rows] == ["'" + " ".join(a.split()) for a in ATTACKS]


@pytest.mark.parametrize("value", ["abc", "99999999999999999"])
def test_a_build_with_an_unusable_source_date_epoch_stops_with_its_finding(
    tmp_path: Path, value: str
) -> None:
    make_project(tmp_path, {"a.md": postmortem("A", "2024-01-01")}, site=True)
    result = build(tmp_path, env={"SOURCE_DATE_EPOCH": value})
    assert result.returncode != 0
    assert "PMK020" in result.stderr and f"`{value}`" in result.stderr
    assert "Traceback" not in result.stderr
