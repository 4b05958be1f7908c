"""`pmkb actions`: the action items to follow up and the stuck postmortems, as text, JSON and an
issue body, and the reminders workflow that keeps one GitHub issue up to date with them.

Every run is dated 2026-03-01 by SOURCE_DATE_EPOCH; the expected days were counted by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import Runner, actionlint, make_project, postmortem
from pmkb.analyse.reminders import MARKDOWN_LIMIT, md_text

EPOCH = "1772323200"  # 2026-03-01T00:00:00Z
ZW = "\u200b"
TEMPLATE = (
    Path(__file__).resolve().parent.parent
    / "plugins"
    / "pmkb"
    / "cli"
    / "init_files"
    / "workflows"
    / "reminders.yml"
)


def item(
    title: str, owner: str, status: str, due: str | None = None, **more: str
) -> dict[str, Any]:
    found: dict[str, Any] = {"title": title, "owner": owner, "status": status, **more}
    if due:
        found["due"] = date.fromisoformat(due)
    return found


POSTMORTEMS = {
    "2026/a.md": postmortem(
        "Checkout errors after a config change",
        "2026-01-10",
        extra={
            "action_items": [
                item("Stage config rollouts", "team-payments", "open", "2026-02-01"),
                item("Alert on checkout error rate", "team-payments", "in-progress", "2026-03-10"),
                item("Write a runbook", "Alice", "done", "2026-01-20"),
                item("Review timeouts", "team-search", "open"),
            ]
        },
    ),
    "2026/b.md": postmortem(
        "Card payments declined",
        "2026-02-20",
        services=["payments"],
        status="in-review",
        extra={
            "action_items": [
                item(
                    "Retry declined cards",
                    "team-payments",
                    "open",
                    "2026-02-25",
                    link="https://github.com/example/kb/issues/12",
                )
            ]
        },
    ),
    # A draft: its action item is nobody's commitment yet, and its title is unreviewed.
    "2026/c.md": postmortem(
        "Acme Corp lost orders",
        "2026-01-01",
        status="draft",
        extra={"action_items": [item("Call Acme's CTO", "acme-liaison", "open", "2026-01-15")]},
    ),
    "2026/d.md": postmortem("Search slow", "2026-01-05", status="in-review"),
}


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return make_project(tmp_path, POSTMORTEMS)


# ---- Text --------------------------------------------------------------------------------------


def test_text_lists_open_items_soonest_due_first_then_the_stuck_postmortems(
    run: Runner, kb: Path
) -> None:
    result = run("actions", cwd=kb)
    assert result.code == 0, result.err
    assert result.lines == [
        "2026-02-01   overdue 28d   team-payments: Stage config rollouts [a]",
        "2026-02-25   overdue 4d    team-payments: Retry declined cards [b]",
        "2026-03-10   in-progress   team-payments: Alert on checkout error rate [a]",
        "no due date  open          team-search: Review timeouts [a]",
        "",
        "Stuck more than 14 days after the incident:",
        "  postmortems/2026/c.md  draft, 59 days: Acme Corp lost orders",
        "  postmortems/2026/d.md  in-review, 55 days: Search slow",
        "",
        "As of 2026-03-01: 4 action item(s), 2 overdue; 2 postmortem(s) stuck.",
    ]


def test_overdue_lists_only_items_past_their_due_date(run: Runner, kb: Path) -> None:
    result = run("actions", "--overdue", "--no-stuck", cwd=kb)
    assert result.code == 0
    assert result.lines == [
        "2026-02-01   overdue 28d   team-payments: Stage config rollouts [a]",
        "2026-02-25   overdue 4d    team-payments: Retry declined cards [b]",
        "",
        "As of 2026-03-01: 2 action item(s), 2 overdue; 0 postmortem(s) stuck.",
    ]


def test_the_date_comes_from_source_date_epoch(
    run: Runner, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772409600")  # a day later: 2026-03-02
    result = run("actions", "--overdue", "--no-stuck", cwd=kb)
    assert result.lines[0] == "2026-02-01   overdue 29d   team-payments: Stage config rollouts [a]"
    assert result.lines[-1].startswith("As of 2026-03-02:")


def test_nothing_to_list_says_so(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    make_project(tmp_path, {"a.md": postmortem("Quiet", "2026-02-27")})
    result = run("actions", cwd=tmp_path)
    assert (result.code, result.lines) == (
        0,
        ["As of 2026-03-01: 0 action item(s), 0 overdue; 0 postmortem(s) stuck."],
    )


# ---- Filters -----------------------------------------------------------------------------------


def _titles(result: Any) -> list[str]:
    return [i["title"] for i in result.data["action_items"]]


def test_due_within_lists_items_due_in_that_many_days(run: Runner, kb: Path) -> None:
    # 2026-03-10 is 9 days away: within 14d and 2w, not within 8d.
    assert _titles(run("actions", "--due-within", "14d", "--format", "json", cwd=kb)) == [
        "Alert on checkout error rate"
    ]
    assert _titles(run("actions", "--due-within", "2w", "--format", "json", cwd=kb)) == [
        "Alert on checkout error rate"
    ]
    assert _titles(run("actions", "--due-within", "8d", "--format", "json", cwd=kb)) == []
    both = run("actions", "--overdue", "--due-within", "9d", "--format", "json", cwd=kb)
    assert _titles(both) == [
        "Stage config rollouts",
        "Retry declined cards",
        "Alert on checkout error rate",
    ]


def test_owner_and_service_filters(run: Runner, kb: Path) -> None:
    # Owners match whatever their case; several --owner options add up.
    assert _titles(run("actions", "--owner", "TEAM-SEARCH", "--format", "json", cwd=kb)) == [
        "Review timeouts"
    ]
    assert _titles(
        run(
            "actions",
            "--owner",
            "team-search",
            "--owner",
            "alice",
            "--all",
            "--format",
            "json",
            cwd=kb,
        )
    ) == ["Write a runbook", "Review timeouts"]
    payments = run("actions", "--service", "payments", "--format", "json", cwd=kb).data
    assert [i["title"] for i in payments["action_items"]] == ["Retry declined cards"]
    assert payments["stuck"] == []  # c and d are checkout's


def test_all_includes_done_items(run: Runner, kb: Path) -> None:
    data = run("actions", "--all", "--format", "json", cwd=kb).data
    assert [(i["title"], i["status"]) for i in data["action_items"]] == [
        ("Write a runbook", "done"),
        ("Stage config rollouts", "open"),
        ("Retry declined cards", "open"),
        ("Alert on checkout error rate", "in-progress"),
        ("Review timeouts", "open"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--owner", "team-paymnts"],
            "pmkb actions: no action item is owned by `team-paymnts` (did you mean `team-payments`?)",
        ),
        # A draft's owner is unknown, and never suggested: drafts' items are not listed.
        (["--owner", "acme-liaison"], "pmkb actions: no action item is owned by `acme-liaison`"),
        (
            ["--service", "paymnts"],
            "pmkb actions: unknown service `paymnts` (did you mean `payments`?)",
        ),
    ],
)
def test_an_unknown_owner_or_service_is_a_usage_error(
    run: Runner, kb: Path, args: list[str], message: str
) -> None:
    result = run("actions", *args, cwd=kb)
    assert (result.code, result.out, result.err.splitlines()) == (2, "", [message])


@pytest.mark.parametrize("value", ["14", "abc", "-3d", "3x", "", "1.5d", "999999d"])
def test_a_bad_due_within_is_a_usage_error(run: Runner, kb: Path, value: str) -> None:
    result = run("actions", f"--due-within={value}", cwd=kb)
    assert result.code == 2
    assert result.out == ""
    assert f"argument --due-within: {value!r} is not a period" in result.err


def test_due_within_reaching_past_the_year_9999_is_no_error(
    run: Runner, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402214400")  # 9999-12-31
    result = run("actions", "--due-within", "99999w", "--no-stuck", cwd=kb)
    assert (result.code, result.lines) == (
        0,
        ["As of 9999-12-31: 0 action item(s), 0 overdue; 0 postmortem(s) stuck."],
    )


# ---- JSON --------------------------------------------------------------------------------------


def test_json_has_every_field(run: Runner, kb: Path) -> None:
    data = run("actions", "--overdue", "--format", "json", cwd=kb).data
    assert data == {
        "as_of": "2026-03-01",
        "action_items": [
            {
                "title": "Stage config rollouts",
                "owner": "team-payments",
                "status": "open",
                "due": "2026-02-01",
                "days_overdue": 28,
                "link": None,
                "incident": {
                    "id": "a",
                    "title": "Checkout errors after a config change",
                    "path": "postmortems/2026/a.md",
                    "status": "published",
                },
            },
            {
                "title": "Retry declined cards",
                "owner": "team-payments",
                "status": "open",
                "due": "2026-02-25",
                "days_overdue": 4,
                "link": "https://github.com/example/kb/issues/12",
                "incident": {
                    "id": "b",
                    "title": "Card payments declined",
                    "path": "postmortems/2026/b.md",
                    "status": "in-review",
                },
            },
        ],
        "stuck_after_days": 14,
        "stuck": [
            {
                "path": "postmortems/2026/c.md",
                "title": "Acme Corp lost orders",
                "status": "draft",
                "date": "2026-01-01",
                "days": 59,
            },
            {
                "path": "postmortems/2026/d.md",
                "title": "Search slow",
                "status": "in-review",
                "date": "2026-01-05",
                "days": 55,
            },
        ],
    }


def test_stuck_after_days_is_an_option(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    make_project(tmp_path, POSTMORTEMS, options={"stuck_after_days": 56})
    data = run("actions", "--format", "json", cwd=tmp_path).data
    assert [(s["path"], s["days"]) for s in data["stuck"]] == [("postmortems/2026/c.md", 59)]
    assert data["stuck_after_days"] == 56


def test_drafts_items_stay_out_even_when_drafts_are_published(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    make_project(tmp_path, POSTMORTEMS, options={"publish_drafts": True})
    result = run("actions", "--all", "--format", "json", cwd=tmp_path)
    assert "Call Acme" not in result.out
    assert [s["path"] for s in result.data["stuck"]] == [
        "postmortems/2026/c.md",
        "postmortems/2026/d.md",
    ]


# ---- Markdown for the issue --------------------------------------------------------------------


def test_markdown_is_the_issue_body(run: Runner, kb: Path) -> None:
    result = run("actions", "--overdue", "--format", "markdown", cwd=kb)
    assert result.code == 0
    assert result.out == "\n".join(
        [
            "Action items as of 2026-03-01, from the postmortems in review or published.",
            "",
            "| Due | Owner | Action item | Postmortem |",
            "| --- | --- | --- | --- |",
            "| 2026-02-01 (28 days overdue) | team-payments | Stage config rollouts"
            " | Checkout errors after a config change (postmortems/2026/a.md) |",
            "| 2026-02-25 (4 days overdue) | team-payments | Retry declined cards"
            f" [example/kb#{ZW}12](<https://github.com/example/kb/issues/12>)"
            " | Card payments declined (postmortems/2026/b.md) |",
            "",
            "Postmortems still in draft or in review 14 days after the incident"
            " (drafts by path only):",
            "",
            "- postmortems/2026/c.md: draft, 59 days",
            "- postmortems/2026/d.md: in-review, 55 days: Search slow",
            "",
            "2 action item(s), 2 overdue; 2 postmortem(s) stuck."
            " Written by `pmkb actions`: edit the postmortems, not this issue.",
            "",
        ]
    )
    # The draft's title and action item are nowhere in it.
    assert "Acme" not in result.out


def test_markdown_with_nothing_to_list(run: Runner, kb: Path) -> None:
    result = run(
        "actions",
        "--owner",
        "team-search",
        "--overdue",
        "--no-stuck",
        "--format",
        "markdown",
        cwd=kb,
    )
    assert result.lines == [
        "Action items as of 2026-03-01, from the postmortems in review or published.",
        "",
        "No action items to list.",
        "",
        "0 action item(s), 0 overdue; 0 postmortem(s) stuck."
        " Written by `pmkb actions`: edit the postmortems, not this issue.",
    ]


def test_markdown_text_cannot_mention_reference_or_inject_html() -> None:
    hostile = "@everyone <img src=x onerror=alert(1)> a | b #12 [x](http://e) *y* `z` a\\b & c\nd"
    assert md_text(hostile) == (
        f"@{ZW}everyone &lt;img src=x onerror=alert(1)&gt; a \\| b #{ZW}12 \\[x\\](http://e)"
        " \\*y\\* \\`z\\` a\\\\b &amp; c d"
    )


def test_a_hostile_action_item_stays_in_its_table_cell(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    hostile = item("@everyone <img src=x> | x", "@org/oncall", "open", "2026-02-28")
    make_project(
        tmp_path,
        {"a.md": postmortem("<b>Hi</b> @alice", "2026-02-27", extra={"action_items": [hostile]})},
    )
    result = run("actions", "--format", "markdown", cwd=tmp_path)
    row = result.lines[4]
    assert row == (
        f"| 2026-02-28 (1 day overdue) | @{ZW}org/oncall | @{ZW}everyone &lt;img src=x&gt; \\| x"
        f" | &lt;b&gt;Hi&lt;/b&gt; @{ZW}alice (postmortems/a.md) |"
    )
    assert "<" not in result.out
    # Four cells: five pipes that are not escaped.
    assert row.replace("\\|", "").count("|") == 5


def test_a_long_list_is_cut_to_fit_an_issue(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    many = [
        item(f"Item {n} " + "x" * 300, "team-payments", "open", "2026-02-01") for n in range(400)
    ]
    make_project(tmp_path, {"a.md": postmortem("Many", "2026-02-27", extra={"action_items": many})})
    result = run("actions", "--format", "markdown", cwd=tmp_path)
    assert len(result.out) <= MARKDOWN_LIMIT
    shown = sum(line.startswith("| 2026-02-01") for line in result.lines)
    assert 0 < shown < 400
    assert f"{400 - shown} more not shown: run `pmkb actions`." in result.lines
    assert result.lines[-1].startswith("400 action item(s), 400 overdue;")


# ---- The reminders workflow --------------------------------------------------------------------


def test_the_workflow_passes_actionlint(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows" / "reminders.yml"
    target.parent.mkdir(parents=True)
    shutil.copyfile(TEMPLATE, target)
    result = actionlint(tmp_path, [".github/workflows/reminders.yml"])
    assert result.returncode == 0, result.stdout + result.stderr


def _step() -> dict[str, Any]:
    flow = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert flow[True] == {"schedule": [{"cron": "0 7 * * 1"}], "workflow_dispatch": None}
    assert flow["permissions"] == {"contents": "read", "issues": "write"}
    (step,) = [s for s in flow["jobs"]["remind"]["steps"] if "gh issue" in s.get("run", "")]
    return dict(step)


# A stand-in for GitHub's CLI: records each command line and answers `gh issue list` with what
# the test says the repository holds (the `--jq` output: "NUMBER STATE", or nothing).
FAKE_GH = """\
import json, os, sys
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["issue", "list"]:
    print(os.environ["GH_FOUND"])
"""

LIST = [
    "issue", "list", "--label", "pmkb-reminders", "--state", "all", "--limit", "1",
    "--json", "number,state", "--jq", '.[] | "\\(.number) \\(.state)"',
]  # fmt: skip


def _run_step(root: Path, found: str) -> tuple[list[list[str]], str]:
    """Run the workflow's script in `root` with the fake gh; the gh command lines and body.md."""
    if sys.platform == "win32" or not shutil.which("bash") or not shutil.which("jq"):
        pytest.skip("the workflow's script runs in bash with jq, as on GitHub's Ubuntu runners")
    step = _step()
    bin_dir = root.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8", newline="\n")
    gh.chmod(0o755)
    log = root.parent / "gh.log"
    log.write_text("", encoding="utf-8", newline="\n")
    env = {
        **os.environ,
        **{k: str(v) for k, v in step["env"].items()},
        "GH_TOKEN": "not-a-token",
        "GH_LOG": str(log),
        "GH_FOUND": found,
        "SOURCE_DATE_EPOCH": EPOCH,
        # The fake gh first, then this interpreter's `pmkb`.
        "PATH": os.pathsep.join(
            [str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
    }
    assert "${{" not in step["run"]  # every value comes through `env`, none pasted into the script
    done = subprocess.run(
        ["bash", "-c", step["run"]], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return calls, (root / "body.md").read_text(encoding="utf-8")


def test_the_workflow_opens_the_issue_the_first_time(tmp_path: Path) -> None:
    root = make_project(tmp_path / "kb", POSTMORTEMS)
    calls, body = _run_step(root, "")
    assert calls == [
        LIST,
        ["label", "create", "pmkb-reminders", "--force", "--description", "Reminders written by pmkb actions"],
        ["issue", "create", "--title", "Overdue postmortem action items", "--label", "pmkb-reminders", "--body-file", "body.md"],
    ]  # fmt: skip
    assert body.startswith("Action items as of 2026-03-01")
    assert "| 2026-02-01 (28 days overdue) | team-payments | Stage config rollouts |" in body
    assert "Alert on checkout error rate" not in body  # due, not overdue
    assert "Acme" not in body


def test_the_workflow_updates_the_open_issue(tmp_path: Path) -> None:
    root = make_project(tmp_path / "kb", POSTMORTEMS)
    calls, _ = _run_step(root, "7 OPEN")
    assert calls == [LIST, ["issue", "edit", "7", "--body-file", "body.md"]]


def test_the_workflow_reopens_the_closed_issue(tmp_path: Path) -> None:
    root = make_project(tmp_path / "kb", POSTMORTEMS)
    calls, _ = _run_step(root, "7 CLOSED")
    assert calls == [
        LIST,
        ["issue", "reopen", "7"],
        ["issue", "edit", "7", "--body-file", "body.md"],
    ]


def test_the_workflow_closes_the_issue_when_nothing_is_left(tmp_path: Path) -> None:
    root = make_project(tmp_path / "kb", {"a.md": postmortem("Quiet", "2026-02-27")})
    calls, body = _run_step(root, "7 OPEN")
    assert calls == [
        LIST,
        ["issue", "edit", "7", "--body-file", "body.md"],
        ["issue", "close", "7", "--comment", "Nothing is overdue and no postmortem is stuck."],
    ]
    assert "No action items to list." in body


@pytest.mark.parametrize("found", ["", "7 CLOSED"])
def test_the_workflow_opens_nothing_when_nothing_is_listed(tmp_path: Path, found: str) -> None:
    root = make_project(tmp_path / "kb", {"a.md": postmortem("Quiet", "2026-02-27")})
    calls, _ = _run_step(root, found)
    assert calls == [LIST]


def test_stuck_postmortems_are_those_the_audience_may_read(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    restricted = POSTMORTEMS["2026/d.md"].replace(
        "status: in-review", "status: in-review\nvisibility: restricted"
    )
    assert restricted != POSTMORTEMS["2026/d.md"]
    make_project(tmp_path, {**POSTMORTEMS, "2026/d.md": restricted})
    data = run("actions", "--format", "json", cwd=tmp_path).data
    assert [s["path"] for s in data["stuck"]] == ["postmortems/2026/c.md"]
    make_project(
        tmp_path, {**POSTMORTEMS, "2026/d.md": restricted}, options={"audience": "restricted"}
    )
    data = run("actions", "--format", "json", cwd=tmp_path).data
    assert [s["path"] for s in data["stuck"]] == ["postmortems/2026/c.md", "postmortems/2026/d.md"]
