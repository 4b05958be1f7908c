"""`pmkb import`: archives in other shapes written as pmkb postmortems, by the mappings that
docs/adopting.md ships, never overwriting a file and never losing a word of the source.

The sources are small files written here in the shapes of two public archives: a folder of
YAML-front-matter postmortems (icco/postmortems) and reports in Google's SRE-book layout.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import FACTORS, SERVICES, Runner, make_project
from pmkb.imports.mapping import MAPPED_FIELDS

DOCS = Path(__file__).resolve().parent.parent / "docs"
ADOPTING = (DOCS / "adopting.md").read_text(encoding="utf-8")


def _yaml_block(heading: str) -> str:
    """The first YAML block under `heading` in docs/adopting.md."""
    start = ADOPTING.index(heading + "\n")
    block = re.search(r"^```yaml\n(.*?)^```", ADOPTING[start:], re.M | re.S)
    assert block, f"no YAML block under {heading}"
    return block[1]


ARCHIVE_MAPPING = _yaml_block("### A folder of YAML-front-matter postmortems")
SRE_MAPPING = _yaml_block("### Reports in Google's SRE-book layout")
GOOGLE_OPTIONS = yaml.safe_load(_yaml_block("### Google SRE-book template"))["plugins"][1]["pmkb"]

# In the shape of icco/postmortems' data/*.md (the words are ours).
ARCHIVE_FILE = """\
---
uuid: 5d0e4f1c-0000-4000-8000-000000000001
url: https://status.example/incidents/42
title: Checkout outage after a config push
categories:
- config-change
keywords:
- config
- rollout
company: Checkout
product: Card checkout
start_time: 2024-03-12T14:02:00Z
end_time: 2024-03-12T15:40:00+01:00
summary: A config push reached every store at once and card checkout failed.
---

The config service pushed a new payment timeout to every store within a minute.
Card checkout failed until the value was reverted.
"""


def _front(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    data = yaml.safe_load(text[4 : text.index("\n---\n", 4)])
    assert isinstance(data, dict)
    return data


def _setup(tmp_path: Path, sources: dict[str, str | bytes], mapping: str = "") -> Path:
    """A knowledge base in kb/ (the test catalogs), an archive in archive/, the mapping in map.yml."""
    make_project(tmp_path / "kb")
    for name, content in sources.items():
        path = tmp_path / "archive" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (tmp_path / "map.yml").write_text(mapping, encoding="utf-8", newline="\n")
    return tmp_path / "kb"


def test_a_yaml_archive_is_imported_by_the_documented_mapping(
    tmp_path: Path, run: Runner, check_json: Runner
) -> None:
    kb = _setup(tmp_path, {"5d0e4f1c.md": ARCHIVE_FILE}, ARCHIVE_MAPPING)
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert result.code == 0, result.out + result.err
    target = kb / "postmortems/2024/2024-03-12-checkout-outage-after-a-config-push.md"
    assert (
        f"wrote {target.relative_to(kb).as_posix()} (from ../archive/5d0e4f1c.md)" in result.lines
    )
    assert "Read 1 file(s): 1 written, 0 imported before, 0 skipped." in result.lines
    front = _front(target)
    # pmkb's key order, times in pmkb's form (UTC as Z), the company a catalog id.
    assert list(front) == [
        "title",
        "date",
        "severity",
        "status",
        "services",
        "contributing_factors",
        "started",
        "resolved",
    ]
    text = target.read_text(encoding="utf-8")
    assert "\nstarted: 2024-03-12T14:02:00Z\n" in text
    assert "\nresolved: 2024-03-12T15:40:00+01:00\n" in text
    assert front["services"] == ["checkout"]
    assert front["contributing_factors"] == ["config-change"]
    assert front["status"] == "in-review"
    body = text.split("\n---\n", 1)[1]
    assert body.startswith("\nThe config service pushed a new payment timeout")
    assert "## Summary\n\nA config push reached every store at once" in body
    # What no pmkb key takes is kept, word for word, under one section.
    kept = yaml.safe_load(body.split("## Imported front matter\n\n```yaml\n")[1].split("```")[0])
    assert kept == {
        "uuid": "5d0e4f1c-0000-4000-8000-000000000001",
        "url": "https://status.example/incidents/42",
        "keywords": ["config", "rollout"],
        "product": "Card checkout",
    }
    # The report's check: what the body lacks, and nothing else.
    assert "pmkb check on the 1 file(s) written: 4 error(s), 0 warning(s);" in result.out
    assert "  PMK301 x4 A required section is missing." in result.lines
    checked = check_json(cwd=kb)
    assert {code for *_, code, _ in checked.found} == {"PMK301"}


SRE_REPORT = """\
# Search Outage Postmortem

## Date

2025-10-21

## Authors

* avery
* jordan

## Status

Complete, action items in progress

## Summary

Search returned errors for 66 minutes while interest in a new catalogue peaked.

## Impact

About 1.2 million queries failed; no orders were lost.

## Root Causes

A resource leak when queries failed, under load well above plan.

## Trigger

A new catalogue term that no index held.

## Resolution

Traffic went to a spare cluster and capacity was added.

## Detection

The error-rate alert paged the on-call engineer.

## Action Items

| Action Item | Type | Owner | Bug |
| ----------- | ---- | ----- | --- |
| Write a runbook section for cascading failures | mitigate | avery | n/a **DONE** |
| Close the file-descriptor leak in ranking | prevent | jordan | [SRCH-17](https://tracker.example/SRCH-17) **TODO** |

## Lessons Learned

### What went well

The alert fired within two minutes.

### What went wrong

The spare cluster took 20 minutes to warm.

### Where we got lucky

Orders use another service.

## Timeline

2025-10-21 (*all times UTC*)

| Time  | Description |
| ----- | ----------- |
| 14:51 | Catalogue announced; search traffic rises |
| 14:53 | **OUTAGE BEGINS** -- error rate above 50% |
| 15:57 | **OUTAGE ENDS** -- traffic on the spare cluster |

## Supporting information

Dashboards.
"""


def test_an_sre_book_report_is_imported_by_the_documented_mapping(
    tmp_path: Path, run: Runner, check_json: Runner
) -> None:
    kb = _setup(tmp_path, {"search-outage.md": SRE_REPORT}, SRE_MAPPING)
    (kb / "mkdocs.yml").write_text(
        yaml.safe_dump({"site_name": "KB", "plugins": [{"pmkb": GOOGLE_OPTIONS}]}),
        encoding="utf-8",
        newline="\n",
    )
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert result.code == 0, result.out + result.err
    target = kb / "postmortems/2025/2025-10-21-search-outage-postmortem.md"
    front = _front(target)
    assert front["title"] == "Search Outage Postmortem"
    assert str(front["date"]) == "2025-10-21"
    assert front["authors"] == ["avery", "jordan"]
    assert front["status"] == "published"
    assert front["severity"] == "SEV2"
    assert front["action_items"] == [
        {
            "title": "Write a runbook section for cascading failures",
            "owner": "avery",
            "status": "done",
        },
        {
            "title": "Close the file-descriptor leak in ranking",
            "owner": "jordan",
            "status": "open",
            "link": "https://tracker.example/SRCH-17",
        },
    ]
    text = target.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    # Date, authors and status went to the front matter; the Type column keeps the table.
    assert headings == [
        "Summary",
        "Impact",
        "Contributing factors",
        "Trigger",
        "Resolution",
        "Detection",
        "Action Items",
        "Lessons Learned",
        "Timeline",
        "Supporting information",
    ]
    assert "- 14:53 — **OUTAGE BEGINS** -- error rate above 50%\n" in text
    assert "| Time  | Description |" not in text
    assert (
        "../archive/search-outage.md:40:1: info PMK705 action items lifted, and the section"
        " left in the body: column `Type` has no pmkb key"
    ) in result.lines
    # With the Google options, what is left is what this layout never has.
    checked = check_json(cwd=kb)
    assert [code for *_, code, _ in checked.found] == ["PMK101", "PMK101"]
    assert all("services" in m or "contributing_factors" in m for m in checked.messages)


def test_a_second_run_changes_nothing_and_an_edited_file_is_never_overwritten(
    tmp_path: Path, run: Runner
) -> None:
    second = ARCHIVE_FILE.replace("uuid: 5d0e4f1c-0000-4000-8000-000000000001", "uuid: other")
    kb = _setup(tmp_path, {"a.md": ARCHIVE_FILE, "b.md": second}, ARCHIVE_MAPPING)
    first = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    folder = kb / "postmortems/2024"
    names = sorted(p.name for p in folder.iterdir())
    # Same day, same title: the second source is numbered, in the order of the paths.
    assert names == [
        "2024-03-12-checkout-outage-after-a-config-push-2.md",
        "2024-03-12-checkout-outage-after-a-config-push.md",
    ]
    assert "uuid: other" in (folder / names[0]).read_text(encoding="utf-8")
    before = {p: p.read_bytes() for p in folder.iterdir()}
    again = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert again.code == 0
    assert "Read 2 file(s): 0 written, 2 imported before, 0 skipped." in again.lines
    assert {p: p.read_bytes() for p in folder.iterdir()} == before
    edited = folder / names[1]
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8", newline="\n"
    )
    third = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    shown = edited.relative_to(kb).as_posix()
    assert f"skipped ../archive/a.md: {shown} exists; not overwritten" in third.lines
    assert edited.read_text(encoding="utf-8").endswith("\nEdited.\n")
    assert first.code == third.code == 0


def test_toml_and_json_front_matter_are_read(tmp_path: Path, run: Runner) -> None:
    toml = """\
+++
title = "Payments slow after a deploy"
date = 2024-05-02T09:30:00Z
services = ["payments"]
factors = ["missing-alert"]
+++

## Summary

Payments took 20 s.
"""
    json = """\
{
  "title": "Checkout errors at night",
  "date": "2024-06-07",
  "services": ["checkout"],
  "tags": ["night"]
}

Body text.
"""
    mapping = "fields:\n  contributing_factors: factors\n"
    kb = _setup(tmp_path, {"hugo.md": toml, "docusaurus.md": json}, mapping)
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert result.code == 0, result.out
    hugo = _front(kb / "postmortems/2024/2024-05-02-payments-slow-after-a-deploy.md")
    assert (str(hugo["date"]), hugo["services"], hugo["contributing_factors"]) == (
        "2024-05-02",
        ["payments"],
        ["missing-alert"],
    )
    night = kb / "postmortems/2024/2024-06-07-checkout-errors-at-night.md"
    assert _front(night)["services"] == ["checkout"]
    assert "```yaml\ntags: [night]\n```" in night.read_text(encoding="utf-8")


def test_bad_sources_are_reported_and_the_rest_imported(tmp_path: Path, run: Runner) -> None:
    good = "---\ntitle: Fine\ndate: 2024-01-02\n---\n\nText.\n"
    kb = _setup(
        tmp_path,
        {
            "a-latin1.md": b"---\ntitle: Caf\xe9\n---\n",
            "b-yaml.md": "---\ntitle: ok\ndate: [2024\n---\n",
            "c-open.md": "---\ntitle: never closed\n",
            "d-list.md": "---\n- a\n- b\n---\n",
            "e-alias.md": "---\na: &x [*x]\n---\n",
            "f-good.md": good,
            "notes.txt": "not markdown",
            "README.md": "# The archive\n",
            ".hidden.md": good,
        },
    )
    result = run("import", "../archive", cwd=kb)
    assert result.code == 1
    out = result.lines
    assert (
        "../archive/a-latin1.md:2:11: error PMK001 invalid UTF-8 (byte 0xe9); save the file as UTF-8"
        in out
    )
    assert any(
        line.startswith("../archive/b-yaml.md:4:1: error PMK702 invalid YAML") for line in out
    )
    assert (
        "../archive/c-open.md:1:1: error PMK702 the front matter opened on line 1 is never closed"
        in out
    )
    assert (
        "../archive/d-list.md:1:1: error PMK702 the front matter is a list, not a mapping of keys"
        " to values"
    ) in out
    assert (
        "../archive/e-alias.md:1:1: error PMK702 the front matter is nested too deeply or refers to"
        " itself (YAML aliases)"
    ) in out
    assert "wrote postmortems/2024/2024-01-02-fine.md (from ../archive/f-good.md)" in out
    assert "skipped ../archive/notes.txt: not a Markdown file" in out
    assert "skipped ../archive/README.md: a folder's README or index page, not a postmortem" in out
    assert "skipped ../archive/.hidden.md: hidden (its name or a folder's starts with a dot)" in out
    assert "Read 9 file(s): 1 written, 0 imported before, 8 skipped." in out


def test_a_bad_mapping_is_reported_where_it_is_and_nothing_imported(
    tmp_path: Path, run: Runner
) -> None:
    mapping = """\
fields:
  sevrity: priority
time_zone: Mars/Olympus
values:
  status: {final: done}
action_items:
  section: Action Items
  statuses: {closed: finished}
"""
    kb = _setup(tmp_path, {"a.md": ARCHIVE_FILE}, mapping)
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert result.code == 2
    assert result.err.splitlines() == [
        "../map.yml:2:3: error PMK701 unknown key `sevrity` in `fields` (did you mean `severity`?)"
        f" (known: {', '.join(MAPPED_FIELDS)})",
        "../map.yml:5:19: error PMK701 `values.status` maps `final` to `done`, not one of draft,"
        " in-review, published",
        "../map.yml:3:12: error PMK701 `time_zone` is `Mars/Olympus`: write `UTC`, an offset such"
        " as `+01:00`, or a zone name such as `Europe/Paris`",
        "../map.yml:8:22: error PMK701 `action_items.statuses` maps `closed` to `finished`, not one"
        " of open, in-progress, done, wont-do",
        "pmkb import: the mapping has problems; nothing was imported",
    ]
    assert not list((kb / "postmortems").rglob("*.md"))


def test_unknown_services_get_a_suggestion_or_join_the_catalog(
    tmp_path: Path, run: Runner, check_json: Runner
) -> None:
    source = ARCHIVE_FILE.replace("company: Checkout", "company: Chekout").replace(
        "- config-change", "- Config drift"
    )
    kb = _setup(tmp_path, {"a.md": source}, ARCHIVE_MAPPING)
    result = run("import", "../archive", "--mapping", "../map.yml", "--dry-run", cwd=kb)
    assert (
        "../archive/a.md:10:1: warning PMK704 service `Chekout` (id `chekout`) is not in the"
        " catalog (did you mean `checkout`?): map it under the mapping's `values: services:`, or"
        " add it with --add-to-catalog"
    ) in result.lines
    assert any(
        "contributing factor `Config drift` (id `config-drift`)" in line for line in result.lines
    )
    assert not list((kb / "postmortems").rglob("*.md")), "--dry-run wrote a file"
    services_before = (kb / "postmortems/services.yml").read_text(encoding="utf-8")
    added = run("import", "../archive", "--mapping", "../map.yml", "--add-to-catalog", cwd=kb)
    assert "added service `chekout` (Chekout) to postmortems/services.yml" in added.lines
    assert (
        "added contributing factor `config-drift` (Config drift) to postmortems/factors.yml"
        in added.lines
    )
    assert not any("PMK704" in line for line in added.lines)
    services = yaml.safe_load((kb / "postmortems/services.yml").read_text(encoding="utf-8"))
    assert services == {**SERVICES, "chekout": {"name": "Chekout"}}
    assert (kb / "postmortems/services.yml").read_text(encoding="utf-8").startswith(services_before)
    factors = yaml.safe_load((kb / "postmortems/factors.yml").read_text(encoding="utf-8"))
    assert factors == {**FACTORS, "config-drift": {"name": "Config drift", "category": "Imported"}}
    assert not {"PMK109", "PMK110"} & {code for *_, code, _ in check_json(cwd=kb).found}
    again = run("import", "../archive", "--mapping", "../map.yml", "--add-to-catalog", cwd=kb)
    assert not any(line.startswith("added") for line in again.lines)


@pytest.mark.parametrize(
    ("written", "zone", "expected"),
    [
        ("12/03/2024 14:05", "Europe/Paris", "2024-03-12T14:05:00+01:00"),
        ("12/03/2024 14:05", "UTC", "2024-03-12T14:05:00Z"),
        ("2024-03-12T14:05:00-05:00", "Europe/Paris", "2024-03-12T14:05:00-05:00"),
    ],
)
def test_times_are_read_by_the_mapping_s_formats_and_zone(
    tmp_path: Path, run: Runner, written: str, zone: str, expected: str
) -> None:
    mapping = f"fields:\n  started: opened\n  date: opened\ntime_zone: {zone}\ndate_formats: ['%d/%m/%Y %H:%M']\n"
    source = f"---\ntitle: Timed\nopened: '{written}'\n---\n\nText.\n"
    kb = _setup(tmp_path, {"a.md": source}, mapping)
    assert run("import", "../archive", "--mapping", "../map.yml", cwd=kb).code == 0
    text = (kb / "postmortems/2024/2024-03-12-timed.md").read_text(encoding="utf-8")
    assert f"\nstarted: {expected}\n" in text


def test_a_value_that_cannot_be_converted_is_kept_and_reported(tmp_path: Path, run: Runner) -> None:
    source = "---\ntitle: Undated\nwhen: sometime in March\n---\n\nText.\n"
    kb = _setup(tmp_path, {"a.md": source}, "fields:\n  date: when\n")
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    assert (
        "../archive/a.md:3:1: warning PMK703 `when: sometime in March` cannot be read as `date`,"
        " a date; it is kept under `## Imported front matter` (add its format to the mapping's"
        " `date_formats`)"
    ) in result.lines
    text = (kb / "postmortems/undated.md").read_text(encoding="utf-8")
    assert "```yaml\nwhen: sometime in March\n```" in text
    assert "  PMK101 x4 A required front-matter key is missing." in result.lines


def test_sources_inside_the_postmortems_folder_are_not_imported_again(
    tmp_path: Path, run: Runner
) -> None:
    kb = _setup(tmp_path, {})
    (kb / "postmortems/old.md").write_text("---\ntitle: Old\n---\n", encoding="utf-8", newline="\n")
    result = run("import", "postmortems", cwd=kb)
    assert "skipped postmortems/old.md: already inside the postmortems folder" in result.lines


# In the shape of dfds/postmortems: no front matter, a dated timeline table, lists of items.
LISTED_REPORT = """\
# Nodes went NotReady

## Summary

Two nodes stopped answering and were replaced.

# Executive Summary

A level-1 section, as some templates write them.

## Timeline

All times in UTC.

| Time             | Event                         |
| :--------------- | ----------------------------- |
| 2024-03-13 HH:mm | Short event description.      |
| 2024-03-13 10:01 | Node entered NotReady state.  |
| 2024-03-14 09:20 | Incident closed.              |

## Action Items

- [x] Move the agent to the monitoring node group
- Alert on cluster bandwidth above its baseline

## Stats

- Category: Kubernetes
"""


def test_a_report_without_front_matter_takes_its_date_and_items_from_the_body(
    tmp_path: Path, run: Runner
) -> None:
    kb = _setup(tmp_path, {"PM2024-001 - Nodes.md": LISTED_REPORT}, SRE_MAPPING)
    result = run("import", "../archive", "--mapping", "../map.yml", cwd=kb)
    target = kb / "postmortems/2024/2024-03-13-nodes-went-notready.md"
    front = _front(target)
    assert front["action_items"] == [
        {"title": "Move the agent to the monitoring node group", "status": "done"},
        {"title": "Alert on cluster bandwidth above its baseline", "status": "open"},
    ]
    text = target.read_text(encoding="utf-8")
    assert re.findall(r"^#+ .+$", text, re.M) == [
        "## Summary",
        "## Summary",
        "## Timeline",
        "## Stats",
    ]
    assert "- 2024-03-13 10:01 — Node entered NotReady state.\n" in text
    # The placeholder row is kept for its author to correct, and said so.
    assert "- 2024-03-13 HH:mm — Short event description.\n" in text
    assert (
        "../archive/PM2024-001 - Nodes.md:15:1: info PMK705 1 timeline row(s) do not start with"
        " a time; written as list items for you to correct"
    ) in result.lines


def test_a_source_that_does_not_exist_is_an_error(tmp_path: Path, run: Runner) -> None:
    kb = _setup(tmp_path, {"a.md": "---\ntitle: Fine\n---\n"})
    result = run("import", "../archiv", "../archive", cwd=kb)
    assert result.code == 1
    assert result.lines[:3] == [
        "skipped ../archiv: no such file or folder",
        "wrote postmortems/fine.md (from ../archive/a.md)",
        "../archiv:1:1: error PMK012 no such file or folder",
    ]


def test_files_converted_in_several_processes_are_those_of_one(tmp_path: Path, run: Runner) -> None:
    # From 400 files on, sources are read and converted in worker processes; four share each
    # title and date, and are numbered in the order of their paths all the same.
    sources = {
        f"{n:03d}.md": f"---\ntitle: Incident {n % 100}\ndate: 2024-01-0{n % 4 + 1}\n---\n\nText {n}.\n"
        for n in range(400)
    }
    kb = _setup(tmp_path, sources)
    make_project(tmp_path / "kb1")
    assert run("import", "../archive", "--jobs", "2", cwd=kb).code == 0
    assert run("import", "../archive", "--jobs", "1", cwd=tmp_path / "kb1").code == 0

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in (root / "postmortems").rglob("*.md")
        }

    assert len(files(kb)) == 400
    assert b"Text 399." in files(kb)["postmortems/2024/2024-01-04-incident-99-4.md"]
    assert files(kb) == files(tmp_path / "kb1")


def test_out_writes_into_another_folder(tmp_path: Path, run: Runner) -> None:
    kb = _setup(tmp_path, {"a.md": "---\ntitle: Fine\ndate: 2024-01-02\n---\n\nText.\n"})
    result = run("import", "../archive", "--out", "batch-2024", cwd=kb)
    assert "wrote batch-2024/2024/2024-01-02-fine.md (from ../archive/a.md)" in result.lines
    assert not list((kb / "postmortems").rglob("*.md"))


def test_a_copy_of_a_source_is_skipped_as_the_same_postmortem(tmp_path: Path, run: Runner) -> None:
    text = "---\ntitle: Fine\ndate: 2024-01-02\n---\n\nText.\n"
    kb = _setup(tmp_path, {"a.md": text, "copy/a.md": text})
    for _ in range(2):
        result = run("import", "../archive", cwd=kb)
        assert (
            "skipped ../archive/copy/a.md: the same postmortem as ../archive/a.md,"
            " postmortems/2024/2024-01-02-fine.md"
        ) in result.lines


def test_kept_front_matter_with_a_code_fence_stays_inside_its_block(
    tmp_path: Path, run: Runner
) -> None:
    source = "---\ntitle: Fenced\ndate: 2024-01-02\nnote: |\n  ```\n  kept\n  ````\n---\n\nText.\n"
    kb = _setup(tmp_path, {"a.md": source})
    run("import", "../archive", cwd=kb)
    text = (kb / "postmortems/2024/2024-01-02-fenced.md").read_text(encoding="utf-8")
    block = text.split("## Imported front matter\n\n")[1]
    assert block.startswith("`````yaml\n") and block.endswith("`````\n")
    assert yaml.safe_load(block.split("\n", 1)[1].rsplit("`````", 1)[0]) == {
        "note": "```\nkept\n````\n"
    }


def test_toml_and_json_errors_are_reported_where_they_are(tmp_path: Path, run: Runner) -> None:
    kb = _setup(
        tmp_path,
        {
            "hugo.md": '+++\ntitle = "ok"\ndate = = 2024\n+++\n',
            "site.md": '{\n  "title": "ok",\n  "date": 2024-\n}\n',
        },
    )
    result = run("import", "../archive", cwd=kb)
    assert result.code == 1
    found = [line for line in result.lines if "PMK702" in line]
    assert [line.split(" error ")[0] for line in found] == [
        "../archive/hugo.md:3:8:",
        "../archive/site.md:3:15:",
    ]
    assert found[0].endswith("invalid TOML front matter: Invalid value")
    assert "invalid JSON front matter: Expecting ',' delimiter" in found[1]
