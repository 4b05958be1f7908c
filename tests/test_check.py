"""`pmkb check` and the validator: exact findings (path, line, col, code, level) for each rule.

Line numbers refer to the files built from helpers' FRONT and BODY: the front matter keys stand
on lines 2-7 and its closing `---` on line 8; `## Summary` is on line 10, `## Impact` on 14,
`## Timeline` on 18 (entries on 20-22), `## Contributing factors` on 24, `## Lessons learned` on 28.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers import (
    BODY,
    FACTORS,
    FACTORS_FILE,
    FRONT,
    SERVICES,
    SERVICES_FILE,
    VALID,
    A,
    Result,
    Runner,
    catalog_text,
    make_project,
    option_at,
    symlink,
    with_keys,
)
from pmkb.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from pmkb.findings import RULES, Finding, Level
from pmkb.read import knowledge
from pmkb.read.source import MAX_BYTES, read_source
from pmkb.settings import load_settings

REPO = Path(__file__).resolve().parent.parent


def swap(old: str, new: str, text: str = VALID) -> str:
    """The text with the one occurrence of `old` replaced."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def body_swap(old: str, new: str) -> str:
    return FRONT + swap(old, new, BODY)


def check_file(
    tmp_path: Path,
    check_json: Runner,
    text: str | bytes,
    options: dict[str, object] | None = None,
) -> Result:
    make_project(tmp_path, files={A: text}, options=options)
    return check_json()


def located(findings: list[Finding]) -> list[tuple[str, int, int, str, str]]:
    return [(f.path, f.line, f.col, f.code, f.level.value) for f in findings]


# The example knowledge base and the basics of the output.


def test_example_knowledge_base_has_no_errors(check_json: Runner) -> None:
    result = check_json(cwd=REPO)
    errors = [f for f in result.data["findings"] if f["level"] == "error"]
    assert errors == []
    assert result.data["errors"] == 0
    assert result.code == EXIT_OK
    assert result.data["files"] > 0


def test_valid_postmortem_has_no_findings(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    result = run("check")
    assert result.lines == ["Checked 1 postmortem file(s): 0 error(s), 0 warning(s)."]
    assert result.code == EXIT_OK
    assert result.err == ""


def test_text_format_prints_path_line_col_level_code_message(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: swap("severity: SEV2", "severity: P1")})
    result = run("check")
    assert result.lines == [
        "postmortems/a.md:4:11: error PMK107 `severity: P1` is not one of SEV1, SEV2, SEV3, SEV4",
        "Checked 1 postmortem file(s): 1 error(s), 0 warning(s).",
    ]
    assert result.code == EXIT_FINDINGS


def test_json_format_structure(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: with_keys("sevrity: SEV2\n"), "postmortems/b.md": ""})
    result = check_json()
    assert result.data == {
        "files": 2,
        "errors": 1,
        "warnings": 1,
        "findings": [
            {
                "path": "postmortems/a.md",
                "line": 8,
                "col": 1,
                "code": "PMK103",
                "level": "warning",
                "message": "unknown key `sevrity` (did you mean `severity`?)",
            },
            {
                "path": "postmortems/b.md",
                "line": 1,
                "col": 1,
                "code": "PMK002",
                "level": "error",
                "message": "the file is empty",
            },
        ],
        "postmortems": [
            {
                "path": "postmortems/a.md",
                "id": "a",
                "visibility": "internal",
                "audiences": ["internal", "restricted"],
            }
        ],
    }
    assert result.code == EXIT_FINDINGS


def test_github_format_prints_annotations(tmp_path: Path, run: Runner) -> None:
    text = swap("Checkout failed for 20 minutes.", "Checkout failed: human error.")
    make_project(
        tmp_path, files={A: swap("severity: SEV2", "severity: P1", text), "postmortems/x.png": b"x"}
    )
    result = run("check", "--format", "github")
    assert result.lines == [
        "::notice file=postmortems,line=1,col=1,title=pmkb PMK011::PMK011 ignored 1 file(s) "
        "that are not postmortems: postmortems/x.png",
        "::error file=postmortems/a.md,line=4,col=11,title=pmkb PMK107::PMK107 "
        "`severity: P1` is not one of SEV1, SEV2, SEV3, SEV4",
        "::warning file=postmortems/a.md,line=16,col=18,title=pmkb PMK401::PMK401 blame "
        "language: `human error`. Name the condition that made the action reasonable at the "
        "time: a missing guardrail, an unclear signal, time pressure.",
        "Checked 1 postmortem file(s): 1 error(s), 1 warning(s).",
    ]
    assert result.code == EXIT_FINDINGS


def test_github_format_escapes_commas_in_file_and_percent_in_message(
    tmp_path: Path, run: Runner
) -> None:
    make_project(tmp_path, files={"postmortems/a,b.md": with_keys("zzz%: 1\n")})
    result = run("check", "--format", "github")
    assert result.lines[:2] == [
        "::error file=postmortems/a%2Cb.md,line=1,col=1,title=pmkb PMK113::PMK113 the file "
        "name `a,b` is not a lowercase slug; rename the file or set `id:`",
        "::warning file=postmortems/a%2Cb.md,line=8,col=1,title=pmkb PMK103::PMK103 "
        "unknown key `zzz%25`",
    ]


def test_summary_line_counts_errors_and_warnings_but_not_info(tmp_path: Path, run: Runner) -> None:
    make_project(
        tmp_path,
        files={
            A: with_keys("zzz: 1\n"),
            "postmortems/b.md": "",
            "postmortems/c.md": "# no front matter\n",
            "postmortems/notes.txt": "x",
        },
    )
    result = run("check")
    assert result.lines[-1] == "Checked 3 postmortem file(s): 2 error(s), 1 warning(s)."


# Exit codes and --strict.


def test_warnings_only_exit_0(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, with_keys("zzz: 1\n"))
    assert result.found == [(A, 8, 1, "PMK103", "warning")]
    assert result.code == EXIT_OK


def test_strict_turns_warnings_into_exit_1(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: with_keys("zzz: 1\n")})
    result = run("check", "--strict")
    assert result.lines == [
        "postmortems/a.md:8:1: warning PMK103 unknown key `zzz`",
        "Checked 1 postmortem file(s): 0 error(s), 1 warning(s).",
    ]
    assert result.code == EXIT_FINDINGS


def test_strict_ignores_info_findings(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID, "postmortems/graph.png": b"\x89PNG"})
    result = run("check", "--strict")
    assert result.code == EXIT_OK
    assert result.lines[-1] == "Checked 1 postmortem file(s): 0 error(s), 0 warning(s)."


def test_errors_exit_1(tmp_path: Path, check_json: Runner) -> None:
    assert check_file(tmp_path, check_json, "").code == EXIT_FINDINGS


@pytest.mark.parametrize(
    "args",
    [[], ["check", "--format", "xml"], ["nonsense"], ["check", "--no-such-flag"]],
    ids=["no-command", "bad-format", "unknown-command", "unknown-flag"],
)
def test_usage_errors_exit_2(tmp_path: Path, run: Runner, args: list[str]) -> None:
    make_project(tmp_path, files={A: VALID})
    result = run(*args)
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert "usage: pmkb" in result.err


# Checking only named paths.


def test_named_file_reports_only_that_file(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path, files={A: swap("severity: SEV2", "severity: P1"), "postmortems/b.md": ""}
    )
    result = check_json("postmortems/b.md")
    assert result.found == [("postmortems/b.md", 1, 1, "PMK002", "error")]
    assert result.data["files"] == 1


def test_named_folder_reports_only_files_under_it(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={
            "postmortems/2024/a.md": "",
            "postmortems/2025/b.md": "",
            "postmortems/2025/c.md": "",
        },
    )
    result = check_json("postmortems/2025")
    assert result.found == [
        ("postmortems/2025/b.md", 1, 1, "PMK002", "error"),
        ("postmortems/2025/c.md", 1, 1, "PMK002", "error"),
    ]
    assert result.data["files"] == 2


def test_named_paths_still_report_catalog_problems(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={A: VALID, "postmortems/b.md": ""},
        services=catalog_text(SERVICES) + "Bad Id:\n",
    )
    result = check_json("postmortems/a.md")
    assert result.found == [(SERVICES_FILE, 7, 1, "PMK506", "error")]


def test_named_file_outside_the_knowledge_base_is_checked(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(tmp_path, files={A: VALID, "drafts/x.md": swap("severity: SEV2", "severity: P9")})
    result = check_json("drafts/x.md")
    assert result.found == [("drafts/x.md", 4, 11, "PMK107", "error")]
    assert result.data["files"] == 1


def test_named_folder_outside_the_knowledge_base_has_its_files_checked(
    tmp_path: Path, check_json: Runner
) -> None:
    # As naming each of them would: not "Checked 0 postmortem file(s)" and a pass. Read as the
    # postmortems folder is: `.markdown` too, no README, links and hidden files reported.
    make_project(
        tmp_path,
        files={
            A: VALID,
            "drafts/x.md": swap("severity: SEV2", "severity: P9"),
            "drafts/later/y.MARKDOWN": VALID,
            "drafts/README.md": "# Drafts\n\nWork in progress.\n",
            "drafts/.hidden.md": "not read",
            "drafts/notes.txt": "not Markdown",
            "docs/index.md": "# Home\n",
            "elsewhere/z.md": VALID,
        },
        options={},  # a mkdocs.yml, whose docs_dir is `docs`
    )
    symlink(tmp_path / "drafts" / "linked.md", tmp_path / "elsewhere" / "z.md")
    result = check_json("drafts")
    assert sorted(result.found) == [
        ("drafts", 1, 1, "PMK011", "info"),
        ("drafts/.hidden.md", 1, 1, "PMK014", "info"),
        ("drafts/linked.md", 1, 1, "PMK010", "warning"),
        ("drafts/x.md", 4, 11, "PMK107", "error"),
    ]
    (ignored,) = [m for m in result.messages if m.startswith("ignored")]
    assert "drafts/README.md, drafts/notes.txt" in ignored
    assert result.data["files"] == 2
    assert result.code == EXIT_FINDINGS
    # A folder named twice, or in another named folder, is read once.
    for twice in (["drafts", "drafts"], ["drafts", "drafts/later"]):
        again = check_json(*twice)
        assert sorted(again.found) == sorted(result.found) and again.data["files"] == 2
    # The pages of docs_dir are no postmortems, and the whole project is the full check, also
    # named through a link (macOS reaches /tmp through one, `$PWD` may too).
    assert check_json("docs").data["files"] == 0
    assert check_json(".").data["files"] == 1
    # A folder reached through a link in the project: the link is reported, not followed, and
    # what it leads to is not quoted (CI logs are public).
    (tmp_path / "elsewhere" / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere" / "sub" / "x.md").write_text(
        swap("severity: SEV2", "severity: TOKEN-hunter2"), encoding="utf-8", newline="\n"
    )
    symlink(tmp_path / "notes", tmp_path / "elsewhere")
    linked = check_json("notes/sub")
    assert [f[3] for f in linked.found] == ["PMK010"] and "hunter2" not in linked.out
    real = make_project(
        tmp_path / "real" / "kb", files={A: VALID, "README.md": "# About\n"}, options={}
    )
    symlink(tmp_path / "link", tmp_path / "real")
    named = check_json(str(tmp_path / "link" / "kb"), cwd=real)
    assert (named.found, named.data["files"]) == ([], 1)
    # ... and a link in the project is one, however the path to it is spelt: the outermost
    # folder that leads to the project is the project (not a link in it back to it).
    symlink(real / "other", tmp_path / "elsewhere")
    linked = check_json(str(tmp_path / "link" / "kb" / "other" / "sub"), cwd=real)
    assert [f[3] for f in linked.found] == ["PMK010"] and "hunter2" not in linked.out
    (real / "drafts").mkdir()
    (real / "drafts" / ".hidden.md").write_text("not read", encoding="utf-8", newline="\n")
    symlink(real / "drafts" / "loop", real)
    looped = check_json(str(tmp_path / "link" / "kb" / "drafts" / "loop" / A), cwd=real)
    assert [(f[0], f[3]) for f in looped.found] == [(f"drafts/loop/{A}", "PMK010")]
    assert check_json(f"drafts/loop/{A}", cwd=real).found == looped.found
    # Its findings are on the paths the project gives them, as when named from inside it.
    outside = check_json(str(tmp_path / "link" / "kb" / "drafts"), cwd=real)
    assert sorted((f[0], f[3]) for f in outside.found) == [
        ("drafts/.hidden.md", "PMK014"),
        ("drafts/loop", "PMK010"),
    ]


def test_named_missing_file_is_pmk012(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    result = check_json("postmortems/missing.md")
    assert result.found == [("postmortems/missing.md", 1, 1, "PMK012", "error")]
    assert result.messages == ["cannot read the file: No such file or directory"]
    assert result.code == EXIT_FINDINGS


def test_named_catalog_is_not_checked_as_a_postmortem(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    result = check_json(SERVICES_FILE)
    assert result.found == []
    assert result.code == EXIT_OK


# Files: reading and splitting them (PMK001-PMK013).


BAD_INPUTS: dict[str, tuple[bytes, list[tuple[int, int, str, str]]]] = {
    "empty": (b"", [(1, 1, "PMK002", "error")]),
    "only-blank-lines": (b"  \n\n", [(1, 1, "PMK002", "error")]),
    "no-front-matter": (b"# Outage\n", [(1, 1, "PMK003", "error")]),
    "unclosed-front-matter": (b"---\ntitle: x\n", [(1, 1, "PMK004", "error")]),
    "invalid-yaml": (
        b"---\ntitle: ok\ndate: 2026-03-12\nsummary: Outage: part 2\n---\n",
        [(4, 16, "PMK005", "error")],
    ),
    "invalid-utf8": (b"---\ntitle: ok\nsev\xffrity: x\n---\n", [(3, 4, "PMK001", "error")]),
    "nul-byte": (b"---\ntitle: x\n\x00\n", [(3, 1, "PMK001", "error")]),
    "front-matter-list": (b"---\n- title\n---\n", [(2, 1, "PMK006", "error")]),
    "front-matter-scalar": (b"---\njust text\n---\n", [(2, 1, "PMK006", "error")]),
    "front-matter-empty": (b"---\n---\nbody\n", [(2, 1, "PMK006", "error")]),
    "alias-bomb": (
        b"---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\n"
        b"d: [*c, *c, *c, *c]\n---\n",
        [(2, 4, "PMK013", "error")],
    ),
    "recursive-alias": (b"---\na: &x [*x]\n---\n", [(2, 4, "PMK013", "error")]),
    "nested-41-deep": (
        b"---\ntitle: " + b"[" * 41 + b"]" * 41 + b"\n---\n",
        [(2, 47, "PMK013", "error")],
    ),
    "unhashable-key": (b"---\n? [a, b]\n: x\n---\n", [(2, 3, "PMK005", "error")]),
    "python-tag": (b"---\ntitle: !!python/object:os.system x\n---\n", [(2, 8, "PMK005", "error")]),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_located_finding(tmp_path: Path, check_json: Runner, name: str) -> None:
    data, expected = BAD_INPUTS[name]
    result = check_file(tmp_path, check_json, data)
    assert result.found == [(A, *e) for e in expected]
    assert result.code == EXIT_FINDINGS


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_raises_no_exception_from_load(tmp_path: Path, name: str) -> None:
    data, expected = BAD_INPUTS[name]
    make_project(tmp_path, files={A: data})
    try:
        kb = knowledge.load(load_settings({}, tmp_path))
    except Exception as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{name}: {type(exc).__name__} escaped: {exc}")
    assert kb.postmortems == ()
    assert [s.display for s in kb.unreadable] == [A]
    assert [(f.line, f.col, f.code, f.level.value) for f in kb.all_findings] == expected


def test_invalid_yaml_message_names_the_problem(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, BAD_INPUTS["invalid-yaml"][0])
    assert result.messages == [
        "front matter: a colon and a space inside the summary start a new key: quote the "
        'summary: `summary: "Outage: part 2"` (YAML: mapping values are not allowed in this '
        "context)"
    ]


# The YAML mistakes people make most, each located where it is made and with a hint that names
# its cause and quotes the text: the parser's own message names only the symptom.
YAML_MISTAKES: dict[str, tuple[str, tuple[int, int], str]] = {
    "colon-in-title": (
        "title: Checkout down: part 2\n",
        (2, 21),
        "a colon and a space inside the title start a new key: quote the title: "
        '`title: "Checkout down: part 2"` (YAML: mapping values are not allowed in this context)',
    ),
    "colon-in-title-with-quotes": (
        'title: The "fast" path: down\n',
        (2, 23),
        "a colon and a space inside the title start a new key: quote the title: "
        "`title: 'The \"fast\" path: down'` (YAML: mapping values are not allowed in this context)",
    ),
    "colon-in-action-item": (
        "action_items:\n  - title: Alerting: add a page\n    owner: x\n    status: open\n",
        (3, 20),
        "a colon and a space inside the title start a new key: quote the title: "
        '`title: "Alerting: add a page"` (YAML: mapping values are not allowed in this context)',
    ),
    "tab-indentation": (
        "services:\n\t- checkout\n",
        (3, 1),
        "indent with spaces: YAML does not allow tabs in indentation (YAML: found character "
        "that cannot start any token)",
    ),
    "unclosed-double-quote": (
        'title: "Checkout down\nseverity: SEV2\n',
        (2, 8),
        'the `"` opened here is never closed: end the value with `"` on the same line '
        "(YAML: found unexpected end of stream)",
    ),
    "text-after-closing-quote": (
        'title: "Checkout" is down\n',
        (2, 8),
        'the title goes on after its closing `"`: quote the whole value, or quote it with '
        'single quotes if it holds a `"` (YAML: did not find expected key)',
    ),
    "apostrophe-in-single-quotes": (
        "title: 'Checkout's down'\n",
        (2, 8),
        "the title goes on after its closing `'`: quote the whole value, write an apostrophe "
        "inside single quotes twice (`'It''s down'`) (YAML: did not find expected key)",
    ),
    "unclosed-list": (
        "services: [checkout, payments\nseverity: SEV2\n",
        (2, 11),
        "the `[` opened here is never closed: end the list with `]`, or quote an item that "
        "holds a comma, `[` or `]` (YAML: did not find expected ',' or ']')",
    ),
    "value-starting-with-at": (
        "title: '@checkout down'\nowner: @team-web\n",
        (3, 8),
        '`@` is reserved in YAML: quote the owner: `owner: "@team-web"` (YAML: found character '
        "that cannot start any token)",
    ),
    "value-starting-with-star": (
        "title: *Checkout* down\n",
        (2, 8),
        "a value starting with `*` is read as an alias: quote the title: "
        '`title: "*Checkout* down"` (YAML: did not find expected alphabetic or numeric character)',
    ),
}


@pytest.mark.parametrize("name", list(YAML_MISTAKES))
def test_yaml_mistakes_get_a_hint(tmp_path: Path, check_json: Runner, name: str) -> None:
    lines, where, message = YAML_MISTAKES[name]
    result = check_file(tmp_path, check_json, f"---\n{lines}---\n{BODY}")
    assert result.found == [(A, *where, "PMK005", "error")]
    assert result.messages == [f"front matter: {message}"]


def test_yaml_errors_without_a_common_cause_keep_the_parser_message(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(tmp_path, check_json, "---\ntitle: x\n- a\n---\n")
    assert result.found == [(A, 3, 1, "PMK005", "error")]
    assert result.messages == ["front matter: did not find expected key"]


def test_invalid_utf8_message_names_the_byte(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, BAD_INPUTS["invalid-utf8"][0])
    assert result.messages == ["invalid UTF-8 (byte 0xff); save the file as UTF-8"]


def test_invalid_utf8_column_counts_characters(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, "---\ntitle: é".encode() + b"\xff\n---\n")
    assert result.found == [(A, 2, 9, "PMK001", "error")]


def test_front_matter_kind_is_named(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, BAD_INPUTS["front-matter-list"][0])
    assert result.messages == ["the front matter is a list, not a mapping of keys to values"]


def test_alias_bomb_message(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, BAD_INPUTS["alias-bomb"][0])
    assert result.messages == ["front matter: YAML anchors and aliases are not supported here"]


def test_deep_nesting_message(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, BAD_INPUTS["nested-41-deep"][0])
    assert result.messages == ["front matter: nested more than 40 levels deep"]


def test_nesting_40_deep_is_accepted_as_yaml(tmp_path: Path, check_json: Runner) -> None:
    # The root mapping is level 1, so 39 brackets make 40 levels: only the type is wrong.
    text = swap("title: Checkout errors after a config change", "title: " + "[" * 39 + "]" * 39)
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 2, 8, "PMK102", "error")]


def test_very_deep_nesting_is_pmk013(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, "---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n")
    assert [(f[3], f[4]) for f in result.found] == [("PMK013", "error")]


def test_very_deep_nesting_raises_no_exception(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, "---\nt: " + "{a: " * 100_000 + "}" * 100_000 + "\n")
    assert result.data["errors"] == 1
    assert result.code == EXIT_FINDINGS


def test_file_over_1_mib_is_not_read(tmp_path: Path, check_json: Runner) -> None:
    data = VALID.encode()
    data += b"x" * (MAX_BYTES + 1 - len(data))
    result = check_file(tmp_path, check_json, data)
    assert result.found == [(A, 1, 1, "PMK007", "error")]
    assert result.messages == [
        "1,048,577 bytes is more than the 1,048,576 pmkb reads; "
        "link large logs instead of pasting them"
    ]


def test_file_of_exactly_1_mib_is_read(tmp_path: Path, check_json: Runner) -> None:
    data = VALID.encode()
    data += b"\n" * (MAX_BYTES - len(data))
    result = check_file(tmp_path, check_json, data)
    assert result.found == []


def test_byte_order_mark_is_a_warning_and_the_file_is_read(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(tmp_path, check_json, b"\xef\xbb\xbf" + with_keys("zzz: 1\n").encode())
    assert result.found == [(A, 1, 1, "PMK008", "warning"), (A, 8, 1, "PMK103", "warning")]
    assert result.code == EXIT_OK


def test_byte_order_mark_does_not_shift_yaml_columns(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, b"\xef\xbb\xbf---\ntitle: ok: no\n---\n")
    assert result.found == [(A, 1, 1, "PMK008", "warning"), (A, 2, 10, "PMK005", "error")]


def test_crlf_is_a_warning_and_later_lines_are_right(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("zzz: 1\n", swap("- 14:05 UTC", "- 13:05 UTC", BODY))
    result = check_file(tmp_path, check_json, text.replace("\n", "\r\n").encode())
    assert result.found == [
        (A, 1, 1, "PMK009", "warning"),
        (A, 8, 1, "PMK103", "warning"),
        (A, 22, 1, "PMK305", "error"),
    ]


def test_crlf_yaml_error_line(tmp_path: Path, check_json: Runner) -> None:
    text = b"---\r\ntitle: ok\r\ndate: 2026-03-12\r\nsummary: Outage: part 2\r\n---\r\n"
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 1, 1, "PMK009", "warning"), (A, 4, 16, "PMK005", "error")]


def test_front_matter_may_close_with_dots(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("").replace("\n---\n\n## Summary", "\n...\n\n## Summary")
    assert "\n...\n" in text
    assert check_file(tmp_path, check_json, text).found == []


def test_read_source_never_raises_for_a_folder(tmp_path: Path) -> None:
    source = read_source(tmp_path, "x")
    assert located(source.findings) == [("x", 1, 1, "PMK012", "error")]
    assert source.meta is None


# The postmortems folder: symlinks, other files, duplicates.


def test_symlinked_file_is_reported_not_followed(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={"archive/old.md": ""})
    symlink(tmp_path / "postmortems/old.md", tmp_path / "archive/old.md")
    result = check_json()
    assert result.found == [("postmortems/old.md", 1, 1, "PMK010", "warning")]
    assert result.messages == ["symbolic link: not followed"]
    assert result.data["files"] == 0


def test_symlinked_folder_is_reported_not_followed(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={"archive/old.md": ""})
    symlink(tmp_path / "postmortems/old", tmp_path / "archive")
    result = check_json()
    assert result.found == [("postmortems/old", 1, 1, "PMK010", "warning")]
    assert result.messages == ["symbolic link to a folder: not followed"]


def test_dangling_symlink_is_reported(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    symlink(tmp_path / "postmortems/gone.md", tmp_path / "nowhere.md")
    result = check_json()
    assert result.found == [("postmortems/gone.md", 1, 1, "PMK010", "warning")]


def test_other_files_are_listed_once_as_info(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={
            A: VALID,
            "postmortems/graph.png": b"\x89PNG",
            "postmortems/README.md": "# About\n",
            "postmortems/2025/data.csv": "a,b\n",
            "postmortems/.hidden.md": "",
        },
    )
    result = check_json()
    assert result.found == [
        ("postmortems", 1, 1, "PMK011", "info"),
        ("postmortems/.hidden.md", 1, 1, "PMK014", "info"),
    ]
    assert result.messages[0] == (
        "ignored 3 file(s) that are not postmortems: postmortems/README.md, "
        "postmortems/graph.png, postmortems/2025/data.csv"
    )
    assert result.code == EXIT_OK


def test_markdown_extension_is_a_postmortem(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={"postmortems/a.markdown": ""})
    assert check_json().found == [("postmortems/a.markdown", 1, 1, "PMK002", "error")]


def test_duplicate_ids_across_folders(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path, files={"postmortems/2024/outage.md": VALID, "postmortems/2025/outage.md": VALID}
    )
    result = check_json()
    assert result.found == [("postmortems/2025/outage.md", 1, 1, "PMK112", "error")]
    assert result.messages == [
        "id `outage` is already used by postmortems/2024/outage.md; this file is not published"
    ]


def test_duplicate_explicit_ids(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        files={A: with_keys("id: outage\n"), "postmortems/b.md": with_keys("id: outage\n")},
    )
    kb = knowledge.load(load_settings({}, tmp_path))
    assert located(kb.all_findings) == [("postmortems/b.md", 1, 1, "PMK112", "error")]
    assert kb.rejected == frozenset({"postmortems/b.md"})
    assert [pm.display for pm in kb.published] == [A]


def test_missing_postmortems_folder(tmp_path: Path, check_json: Runner) -> None:
    result = check_json()
    assert result.found == [
        (FACTORS_FILE, 1, 1, "PMK501", "error"),
        (SERVICES_FILE, 1, 1, "PMK501", "error"),
        ("postmortems", 1, 1, "PMK501", "error"),
    ]


def test_run_inside_the_project_says_where_its_configuration_is(
    tmp_path: Path, run: Runner
) -> None:
    # From postmortems/2025/, say: no mkdocs.yml there, so the defaults, and no folder to read.
    make_project(tmp_path, files={"postmortems/2025/a.md": VALID}, options={})
    inside = tmp_path / "postmortems" / "2025"
    hint = (
        f"pmkb: no mkdocs.yml here; the project's is {tmp_path / 'mkdocs.yml'}: run pmkb in "
        f"{tmp_path}, or give its mkdocs.yml with --config\n"
    )
    missing = (
        "postmortems:1:1: error PMK501 the postmortems folder does not exist (option "
        "`postmortems_dir`)"
    )
    result = run("check", cwd=inside)
    assert result.code == EXIT_FINDINGS
    assert result.err == hint and missing in result.out.splitlines()
    # Not figures of an empty knowledge base: there is none to count.
    result = run("stats", cwd=inside)
    assert result.code == EXIT_FINDINGS
    assert (result.out, result.err) == ("", hint + missing + "\n")
    # Given a configuration, it is the one meant: no guess.
    (inside / "kb.yml").write_text("site_name: x\n", encoding="utf-8", newline="\n")
    assert run("check", "--config", "kb.yml", cwd=inside).err == ""
    # A site above that does not use pmkb is not the project's.
    (tmp_path / "mkdocs.yml").write_text("site_name: Docs\n", encoding="utf-8", newline="\n")
    assert run("check", cwd=inside).err == ""


# Front matter (PMK101-PMK115).


FRONT_MATTER_CASES = {
    "missing-key": (
        with_keys("").replace("severity: SEV2\n", ""),
        (1, 1, "PMK101", "error"),
        "missing required key `severity`",
    ),
    "key-without-value": (
        swap("title: Checkout errors after a config change", "title:"),
        (1, 1, "PMK101", "error"),
        "missing required key `title`",
    ),
    "empty-list": (
        swap("services: [checkout]", "services: []"),
        (6, 11, "PMK101", "error"),
        "`services` lists nothing; name at least one",
    ),
    "comma-text-instead-of-list": (
        swap("services: [checkout]", "services: checkout, payments"),
        (6, 11, "PMK102", "error"),
        "`services` must be a list: `services: [checkout, payments]`",
    ),
    "mapping-instead-of-list": (
        swap("services: [checkout]", "services: {a: 1}"),
        (6, 11, "PMK102", "error"),
        "`services` must be a list, not a mapping",
    ),
    "number-in-id-list": (
        swap("services: [checkout]", "services: [checkout, 3]"),
        (6, 22, "PMK102", "error"),
        "`services` entries must be ids, not `3`",
    ),
    "list-title": (
        swap("title: Checkout errors after a config change", "title: [a]"),
        (2, 8, "PMK102", "error"),
        "`title` must be text, not a list",
    ),
    "unknown-key": (
        with_keys("sevrity: SEV2\n"),
        (8, 1, "PMK103", "warning"),
        "unknown key `sevrity` (did you mean `severity`?)",
    ),
    "slash-date": (
        swap("date: 2026-03-12", "date: 12/03/2026"),
        (3, 7, "PMK104", "error"),
        "`date: 12/03/2026` is not a date; write YYYY-MM-DD",
    ),
    "impossible-date": (
        swap("date: 2026-03-12", "date: 2026-13-01"),
        (3, 7, "PMK104", "error"),
        "`date: 2026-13-01` is not a date; write YYYY-MM-DD",
    ),
    "date-time-as-date": (
        swap("date: 2026-03-12", "date: 2026-03-12T10:00:00Z"),
        (3, 7, "PMK104", "error"),
        "`date: 2026-03-12T10:00:00+00:00` is not a date; write YYYY-MM-DD",
    ),
    "time-without-zone": (
        with_keys("detected: 2026-03-12 14:05\n"),
        (8, 11, "PMK105", "error"),
        "`detected: 2026-03-12 14:05` has no time zone; add `Z` or an offset such as `+01:00`",
    ),
    "yaml-timestamp-without-zone": (
        with_keys("detected: 2026-03-12T14:05:00\n"),
        (8, 11, "PMK105", "error"),
        "`detected: 2026-03-12T14:05:00` has no time zone; add `Z` or an offset such as `+01:00`",
    ),
    "date-as-time": (
        with_keys("detected: 2026-03-12\n"),
        (8, 11, "PMK105", "error"),
        "`detected: 2026-03-12` is not an ISO 8601 date-time such as 2026-03-12T08:02:00Z",
    ),
    "times-out-of-order": (
        with_keys(
            "started: 2026-03-12T14:00:00Z\ndetected: 2026-03-12T14:05:00Z\n"
            "mitigated: 2026-03-12T14:01:00Z\nresolved: 2026-03-12T15:00:00Z\n"
        ),
        (10, 12, "PMK106", "error"),
        "`mitigated` (2026-03-12T14:01:00+00:00) is before `detected` (2026-03-12T14:05:00+00:00)",
    ),
    "severity-off-scale": (
        swap("severity: SEV2", "severity: P1"),
        (4, 11, "PMK107", "error"),
        "`severity: P1` is not one of SEV1, SEV2, SEV3, SEV4",
    ),
    "severity-lowercase": (
        swap("severity: SEV2", "severity: sev2"),
        (4, 11, "PMK107", "error"),
        "`severity: sev2` is not one of SEV1, SEV2, SEV3, SEV4 (did you mean `SEV2`?)",
    ),
    "status-unknown": (
        swap("status: published", "status: final"),
        (5, 9, "PMK108", "error"),
        "`status: final` is not one of draft, in-review, published",
    ),
    "status-misspelt": (
        swap("status: published", "status: publishd"),
        (5, 9, "PMK108", "error"),
        "`status: publishd` is not one of draft, in-review, published (did you mean `published`?)",
    ),
    "unknown-service": (
        swap("services: [checkout]", "services: [chekout]"),
        (6, 12, "PMK109", "error"),
        "unknown service `chekout` (did you mean `checkout`?)",
    ),
    "unknown-factor": (
        swap("contributing_factors: [config-change]", "contributing_factors: [config-chnage]"),
        (7, 24, "PMK110", "error"),
        "unknown contributing factor `config-chnage` (did you mean `config-change`?)",
    ),
    "misspelt-alias": (
        swap("contributing_factors: [config-change]", "contributing_factors: [misconfiguraton]"),
        (7, 24, "PMK110", "error"),
        "unknown contributing factor `misconfiguraton` (did you mean `misconfiguration`?)",
    ),
    "factor-alias": (
        swap("contributing_factors: [config-change]", "contributing_factors: [misconfiguration]"),
        (7, 24, "PMK111", "warning"),
        "`misconfiguration` is an alias of factor `config-change`; write `config-change`",
    ),
    "path-id": (
        with_keys("id: ../secrets\n"),
        (8, 5, "PMK113", "error"),
        "id `../secrets` must be a lowercase slug (a-z, 0-9, `-`, `_`, `.`) "
        "and may not leave the site",
    ),
    "id-with-space": (
        with_keys("id: Big Outage\n"),
        (8, 5, "PMK113", "error"),
        "id `Big Outage` must be a lowercase slug (a-z, 0-9, `-`, `_`, `.`) "
        "and may not leave the site",
    ),
    "service-twice": (
        swap("services: [checkout]", "services: [checkout, payments, checkout]"),
        (6, 32, "PMK114", "warning"),
        "`checkout` is listed twice in `services`",
    ),
    "empty-title": (
        swap("title: Checkout errors after a config change", 'title: ""'),
        (2, 8, "PMK115", "error"),
        "`title` is empty",
    ),
    "author-not-text": (
        with_keys("authors: [Ann, 3]\n"),
        (8, 16, "PMK102", "error"),
        "`authors` entries must be names, not `3`",
    ),
}


@pytest.mark.parametrize("name", list(FRONT_MATTER_CASES))
def test_front_matter_finding(tmp_path: Path, check_json: Runner, name: str) -> None:
    text, where, message = FRONT_MATTER_CASES[name]
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, *where)]
    assert result.messages == [message]
    expected_exit = EXIT_FINDINGS if where[3] == "error" else EXIT_OK
    assert result.code == expected_exit


def test_alias_is_accepted_as_the_canonical_factor(tmp_path: Path) -> None:
    text = swap("contributing_factors: [config-change]", "contributing_factors: [misconfiguration]")
    make_project(tmp_path, files={A: text})
    kb = knowledge.load(load_settings({}, tmp_path))
    (pm,) = kb.postmortems
    assert pm.factors == ("config-change",)
    assert kb.published == (pm,)


def test_alias_and_canonical_id_together_are_listed_twice(
    tmp_path: Path, check_json: Runner
) -> None:
    text = swap(
        "contributing_factors: [config-change]",
        "contributing_factors: [config-change, misconfiguration]",
    )
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 7, 39, "PMK111", "warning"), (A, 7, 39, "PMK114", "warning")]


def test_file_name_that_is_not_a_slug(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={"postmortems/Big Outage.md": VALID})
    result = check_json()
    assert result.found == [("postmortems/Big Outage.md", 1, 1, "PMK113", "error")]
    assert result.messages == [
        "the file name `Big Outage` is not a lowercase slug; rename the file or set `id:`"
    ]


def test_times_in_different_zones_compare_as_instants(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("started: 2026-03-12T14:00:00Z\ndetected: 2026-03-12T15:05:00+01:00\n")
    assert check_file(tmp_path, check_json, text).found == []


def test_custom_severity_scale(tmp_path: Path, check_json: Runner) -> None:
    text = swap("severity: SEV2", "severity: P2")
    assert check_file(tmp_path, check_json, text, {"severities": ["P1", "P2"]}).found == []


# Action items (PMK201-PMK206).

ITEM = "action_items:\n  - title: Fix the alert\n    owner: team-web\n    status: open\n"

ACTION_ITEM_CASES = {
    "plain-text-item": (
        "action_items:\n  - fix the alert\n",
        (9, 5, "PMK201", "error"),
        "an action item must be a mapping with title, owner and status, not `fix the alert`",
    ),
    "no-owner": (
        "action_items:\n  - title: Fix the alert\n    status: open\n",
        (9, 5, "PMK202", "error"),
        "action item lacks `owner`",
    ),
    "blank-title": (
        "action_items:\n  - title: '  '\n    owner: team-web\n    status: open\n",
        (9, 5, "PMK202", "error"),
        "action item lacks `title`",
    ),
    "closed-status": (
        ITEM.replace("status: open", "status: closed"),
        (11, 13, "PMK203", "error"),
        "action item status `closed` is not one of open, in-progress, done, wont-do",
    ),
    "misspelt-status": (
        ITEM.replace("status: open", "status: opne"),
        (11, 13, "PMK203", "error"),
        "action item status `opne` is not one of open, in-progress, done, wont-do "
        "(did you mean `open`?)",
    ),
    "due-not-a-date": (
        ITEM + "    due: next week\n",
        (12, 10, "PMK204", "error"),
        "action item `due: next week` is not a date; write YYYY-MM-DD",
    ),
    "javascript-link": (
        ITEM + "    link: javascript:alert(1)\n",
        (12, 11, "PMK205", "error"),
        "action item link `javascript:alert(1)` is not an http(s) URL: it is a `javascript:` "
        "URL; write the ticket's `https://` address",
    ),
    "link-with-quote": (
        ITEM + "    link: 'https://x.example/a\"b'\n",
        (12, 11, "PMK205", "error"),
        'action item link `https://x.example/a"b` is not an http(s) URL: it holds a quote at '
        "character 20",
    ),
    # A long link is shortened in its middle, but never where the fault is.
    "long-link-with-a-space": (
        ITEM
        + "    link: https://tracker.example/browse/platform/"
        + "x" * 40
        + "/OPS 12/comments\n",
        (12, 11, "PMK205", "error"),
        "action item link `https://tracker.example/browse/plat…xxxxxxxxxxxxxxxxxx/OPS 12/"
        "comments` is not an http(s) URL: it holds a space at character 85",
    ),
    "long-link-with-a-space-in-the-middle": (
        ITEM + "    link: https://tracker.example/" + "a" * 40 + "/x y/" + "b" * 40 + "\n",
        (12, 11, "PMK205", "error"),
        "action item link `https://tracker.e…aaaaaaaaaaaaaaa/x y/bbbbbbbbbbbbbb…bbbbbbbbbbbbbbbbb` "
        "is not an http(s) URL: it holds a space at character 67",
    ),
    "link-without-scheme": (
        ITEM + "    link: tracker.example/OPS-12\n",
        (12, 11, "PMK205", "error"),
        "action item link `tracker.example/OPS-12` is not an http(s) URL: it is a URL with no "
        "`https://`; write the ticket's `https://` address",
    ),
    "link-without-host": (
        ITEM + "    link: https:///OPS-12\n",
        (12, 11, "PMK205", "error"),
        "action item link `https:///OPS-12` is not an http(s) URL: it names no host",
    ),
    # urlsplit raises ValueError on an IPv6 literal left open: no traceback, a finding.
    "link-with-an-open-bracket": (
        ITEM + "    link: 'http://[::1/x'\n",
        (12, 11, "PMK205", "error"),
        "action item link `http://[::1/x` is not an http(s) URL: its host holds `[`, which a "
        "link's host may not",
    ),
    "link-not-text": (
        ITEM + "    link: 12\n",
        (12, 11, "PMK205", "error"),
        "action item link must be an http(s) URL, not `12`",
    ),
    "exhortation": (
        ITEM.replace("Fix the alert", "Be more careful with failovers"),
        (9, 12, "PMK211", "warning"),
        "action item `Be more careful with failovers` asks people to take more care, which "
        "changes no system: name the change that makes the slip hard to make or quick to catch "
        "(a check, a confirmation, automation)",
    ),
    "vague-improvement": (
        ITEM.replace("Fix the alert", "Improve monitoring"),
        (9, 12, "PMK211", "warning"),
        "action item `Improve monitoring` names no concrete change: say what will change, where, "
        "and how you will know it is done (e.g. `Page on checkout 5xx above 2% for 5 minutes`)",
    ),
    "unknown-key": (
        ITEM + "    assignee: team-web\n",
        (12, 5, "PMK206", "warning"),
        "unknown action-item key `assignee`",
    ),
    "owner-not-text": (
        ITEM.replace("owner: team-web", "owner: 5"),
        (10, 12, "PMK102", "error"),
        "action item `owner` must be text, not `5`",
    ),
    "not-a-list": (
        "action_items: fix it\n",
        (8, 15, "PMK102", "error"),
        "`action_items` must be a list: `action_items: [fix it]`",
    ),
}


@pytest.mark.parametrize("name", list(ACTION_ITEM_CASES))
def test_action_item_finding(tmp_path: Path, check_json: Runner, name: str) -> None:
    extra, where, message = ACTION_ITEM_CASES[name]
    result = check_file(tmp_path, check_json, with_keys(extra))
    assert result.found == [(A, *where)]
    assert result.messages == [message]


def test_flow_style_action_item_is_located(tmp_path: Path, check_json: Runner) -> None:
    text = with_keys("action_items: [{title: Fix the alert, status: open}]\n")
    assert check_file(tmp_path, check_json, text).found == [(A, 8, 16, "PMK202", "error")]


def test_complete_action_item_is_kept(tmp_path: Path) -> None:
    extra = ITEM + "    due: 2026-12-01\n    link: https://tracker.example/OPS-12\n"
    make_project(tmp_path, files={A: with_keys(extra)})
    kb = knowledge.load(load_settings({}, tmp_path))
    assert kb.all_findings == []
    (item,) = kb.postmortems[0].action_items
    assert (item.title, item.owner, item.status, item.link, item.line) == (
        "Fix the alert",
        "team-web",
        "open",
        "https://tracker.example/OPS-12",
        9,
    )


# Sections (PMK301-PMK306).


def test_missing_section_is_reported_at_the_last_heading(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(
        tmp_path, check_json, body_swap("## Impact\n\nCheckout failed for 20 minutes.\n\n", "")
    )
    assert result.found == [(A, 24, 1, "PMK301", "error")]
    assert result.messages == ["missing section `## Impact`"]


def test_no_sections_at_all(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, FRONT + "\nJust text.\n")
    assert result.found == [(A, 9, 1, "PMK301", "error")] * 5
    assert result.messages == [
        "missing section `## Contributing factors`",
        "missing section `## Impact`",
        "missing section `## Lessons learned`",
        "missing section `## Summary`",
        "missing section `## Timeline`",
    ]


def test_heading_inside_a_code_fence_is_not_a_section(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, body_swap("## Impact\n", "```\n## Impact\n```\n"))
    assert result.found == [(A, 30, 1, "PMK301", "error")]


def test_setext_heading_is_a_section(tmp_path: Path, check_json: Runner) -> None:
    assert (
        check_file(tmp_path, check_json, body_swap("## Impact\n", "Impact\n------\n")).found == []
    )


def test_headings_match_case_insensitively(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("## Lessons learned", "## LESSONS LEARNED ##")
    assert check_file(tmp_path, check_json, text).found == []


def test_empty_section(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("A staged rollout limits how far a bad value travels.\n", "")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 28, 1, "PMK302", "error")]
    assert result.messages == ["section `Lessons learned` is empty"]


def test_section_with_only_a_comment_is_empty(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("Checkout failed for 20 minutes.", "<!-- TODO -->")
    assert check_file(tmp_path, check_json, text).found == [(A, 14, 1, "PMK302", "error")]


# Kinds (PMK117) and the sections each kind or severity requires.

IMPACT = "## Impact\n\nCheckout failed for 20 minutes.\n\n"
FACTORS_SECTION = (
    "## Contributing factors\n\nThe config service pushed the change to every store at once.\n\n"
)
# BODY without Impact and Contributing factors: what a near miss needs by default. With FRONT,
# `## Lessons learned`, the last heading, stands on line 20.
LIGHT = swap(FACTORS_SECTION, "", swap(IMPACT, "", BODY))
NEAR_MISS = with_keys("kind: near-miss\n", LIGHT)  # `## Lessons learned` on line 21
LIGHTER = ["Summary", "Timeline", "Lessons learned"]


def test_a_near_miss_needs_only_summary_timeline_and_lessons(
    tmp_path: Path, check_json: Runner
) -> None:
    assert check_file(tmp_path, check_json, NEAR_MISS).found == []


def test_an_incident_with_a_near_miss_s_sections_misses_two(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(tmp_path, check_json, FRONT + LIGHT)
    assert result.found == [(A, 20, 1, "PMK301", "error")] * 2
    assert result.messages == [
        "missing section `## Contributing factors`",
        "missing section `## Impact`",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("near miss", "`kind: near miss` is not one of incident, near-miss (did you mean `near-miss`?)"),
        ("near_miss", "`kind: near_miss` is not one of incident, near-miss (did you mean `near-miss`?)"),
        ("Incident", "`kind: Incident` is not one of incident, near-miss (did you mean `incident`?)"),
        ("outage", "`kind: outage` is not one of incident, near-miss"),
        ("[near-miss]", "`kind: ['near-miss']` is not one of incident, near-miss (did you mean `near-miss`?)"),
    ],
)  # fmt: skip
def test_unknown_kind_is_reported_with_a_suggestion(
    tmp_path: Path, check_json: Runner, value: str, message: str
) -> None:
    result = check_file(tmp_path, check_json, with_keys(f"kind: {value}\n"))
    assert result.found == [(A, 8, 7, "PMK117", "error")]
    assert result.messages == [message]


def test_a_postmortem_of_unknown_kind_is_checked_as_an_incident(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(tmp_path, check_json, with_keys("kind: nearmiss\n", LIGHT))
    assert [f[3] for f in result.found] == ["PMK117", "PMK301", "PMK301"]


@pytest.mark.parametrize("line", ["kind:\n", "kind: incident\n"])
def test_an_empty_kind_or_incident_is_an_incident(
    tmp_path: Path, check_json: Runner, line: str
) -> None:
    assert check_file(tmp_path, check_json, with_keys(line)).found == []
    assert [f[3] for f in check_file(tmp_path, check_json, with_keys(line, LIGHT)).found] == [
        "PMK301",
        "PMK301",
    ]


def test_a_draft_near_miss_s_missing_section_is_noted(tmp_path: Path, check_json: Runner) -> None:
    text = swap("status: published", "status: draft", NEAR_MISS)
    text = swap("## Timeline\n", "## What happened\n", text)
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 1, "PMK301", "info")]
    assert result.messages == [
        "missing section `## Timeline` (required once the status is in-review)"
    ]


def test_a_severity_can_require_fewer_sections(tmp_path: Path, check_json: Runner) -> None:
    options = {"required_sections_for": {"SEV2": LIGHTER}}
    assert check_file(tmp_path, check_json, FRONT + LIGHT, options).found == []
    sev3 = swap("severity: SEV2", "severity: SEV3", FRONT + LIGHT)
    assert [f[3] for f in check_file(tmp_path, check_json, sev3, options).found] == ["PMK301"] * 2


def test_a_kind_s_sections_come_before_its_severity_s(tmp_path: Path, check_json: Runner) -> None:
    options = {"required_sections_for": {"near-miss": ["Summary"], "SEV2": ["Summary", "Impact"]}}
    assert check_file(tmp_path, check_json, NEAR_MISS, options).found == []
    result = check_file(tmp_path, check_json, FRONT + LIGHT, options)
    assert result.messages == ["missing section `## Impact`"]


def test_without_a_near_miss_entry_a_near_miss_needs_every_section(
    tmp_path: Path, check_json: Runner
) -> None:
    result = check_file(tmp_path, check_json, NEAR_MISS, {"required_sections_for": {}})
    assert result.found == [(A, 21, 1, "PMK301", "error")] * 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"required_sections_for": {"near_miss": LIGHTER}},
            "option `required_sections_for` names `near_miss`: neither a kind (near-miss) nor one "
            "of the `severities` (SEV1, SEV2, SEV3, SEV4) (did you mean `near-miss`?)",
        ),
        (
            {"required_sections_for": {"sev4": LIGHTER}},
            "option `required_sections_for` names `sev4`: neither a kind (near-miss) nor one of "
            "the `severities` (SEV1, SEV2, SEV3, SEV4) (did you mean `SEV4`?)",
        ),
        (
            {"severities": ["P1", "P2"], "required_sections_for": {"SEV2": LIGHTER}},
            "option `required_sections_for` names `SEV2`: neither a kind (near-miss) nor one of "
            "the `severities` (P1, P2)",
        ),
        (
            {"required_sections_for": {"incident": LIGHTER}},
            "option `required_sections_for` names `incident`: the default kind, whose sections "
            "are `required_sections`",
        ),
        (
            {"required_sections_for": {"SEV4": "Summary"}},
            "option `required_sections_for` maps a kind or a severity to a list of section "
            "names, not `SEV4: 'Summary'`; for example `{near-miss: [Summary, Timeline]}`",
        ),
        (
            {"required_sections_for": {"SEV4": ["Summary", ""]}},
            "option `required_sections_for` maps a kind or a severity to a list of section "
            "names, not `SEV4: ['Summary', '']`; for example `{near-miss: [Summary, Timeline]}`",
        ),
        (
            {"required_sections_for": [LIGHTER]},
            "option `required_sections_for` must be a dict, not list",
        ),
    ],
    ids=["kind", "severity-case", "own-severities", "incident", "text", "blank", "list"],
)
def test_invalid_required_sections_for_exits_2(
    tmp_path: Path, run: Runner, options: dict[str, object], message: str
) -> None:
    make_project(tmp_path, files={A: VALID}, options=options)
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err == f"{option_at(tmp_path, 'required_sections_for')}: error PMK601 {message}\n"


def test_template_guidance_left_in(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "Checkout failed for 20 minutes.", "> **Guidance:** Who was affected?\n\nCheckout failed."
    )
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 16, 1, "PMK303", "error")]
    assert result.messages == ["template guidance left in `Impact`: replace it with what happened"]


def test_template_guidance_in_a_code_fence_is_fine(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "Checkout failed for 20 minutes.", "```\n> **Guidance:** x\n```\n\nCheckout failed."
    )
    assert check_file(tmp_path, check_json, text).found == []


def test_duplicate_section_heading(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("## Lessons learned", "## Timeline\n\nMore.\n\n## Lessons learned")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 28, 1, "PMK306", "warning")]
    assert result.messages == ["section `Timeline` appears twice (first on line 18)"]


# Timeline (PMK304, PMK305).


def test_timeline_entry_without_a_time(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("- 14:05 UTC — Alert fired.", "- around lunch the alert fired")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 3, "PMK304", "error")]
    assert result.messages == [
        "timeline entry starts with `around`, not a time: start the entry with `HH:MM` or "
        "`YYYY-MM-DD HH:MM`"
    ]


# What people type for a time, quoted, with how to write it when its shape says.
UNREADABLE_TIMES = {
    "14.43": "timeline entry starts with `14.43`, not a time: write `14:43`",
    "9h05": "timeline entry starts with `9h05`, not a time: write `09:05`",
    "1600": "timeline entry starts with `1600`, not a time: write `16:00`",
    "**1600**": "timeline entry starts with `1600`, not a time: write `16:00`",
    "2460": "timeline entry starts with `2460`, not a time: start the entry with `HH:MM` or "
    "`YYYY-MM-DD HH:MM`",
    "22025-03-18 14:05": "timeline entry starts with `22025-03-18`, not a date in the form "
    "YYYY-MM-DD: start the entry with `HH:MM` or `YYYY-MM-DD HH:MM`",
    "18/03/2026 14:05": "timeline entry starts with `18/03/2026`, not a date in the form "
    "YYYY-MM-DD: start the entry with `HH:MM` or `YYYY-MM-DD HH:MM`",
    "2026-03-12 —": "timeline entry starts with the date `2026-03-12` but no time: write "
    "`2026-03-12 HH:MM`",
}


@pytest.mark.parametrize("written", list(UNREADABLE_TIMES))
def test_unreadable_timeline_time_is_quoted(
    tmp_path: Path, check_json: Runner, written: str
) -> None:
    text = body_swap("- 14:05 UTC — Alert fired.", f"- {written} Alert fired.")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 3, "PMK304", "error")]
    assert result.messages == [UNREADABLE_TIMES[written]]


def test_timeline_entry_with_an_impossible_time(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("- 14:05 UTC — Alert fired.", "- 25:05 UTC — Alert fired.")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 3, "PMK304", "error")]
    assert result.messages == ["`25:05` is not a valid date and time"]


def test_timeline_entry_with_an_impossible_date(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("- 14:05 UTC — Alert fired.", "- 2026-02-30 14:05 UTC — Alert fired.")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 3, "PMK304", "error")]
    assert result.messages == ["`2026-02-30 14:05` is not a valid date and time"]


def test_timeline_out_of_order(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("- 14:00 UTC — Config", "- 14:10 UTC — Config")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 1, "PMK305", "error")]
    assert result.messages == ["timeline entry at 14:05 comes after one at 14:10 (line 20)"]


def test_timeline_rolls_over_midnight(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "- 14:00 UTC — Config change deployed.\n- 14:05 UTC — Alert fired.\n- 14:20",
        "- 23:50 UTC — Config change deployed.\n- 00:10 UTC — Alert fired.\n- 00:20",
    )
    assert check_file(tmp_path, check_json, text).found == []


def test_timeline_explicit_dates_out_of_order(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "- 14:00 UTC — Config change deployed.\n- 14:05 UTC — Alert fired.\n- 14:20",
        "- 2026-03-13 00:10 UTC — Deployed.\n- 2026-03-12 23:50 UTC — Alert.\n- 23:55",
    )
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 21, 1, "PMK305", "error")]
    assert result.messages == [
        "timeline entry at 2026-03-12 23:50 comes after one at 2026-03-13 00:10 (line 20)"
    ]


def test_timeline_out_of_order_by_a_mistyped_year_shows_the_dates(
    tmp_path: Path, check_json: Runner
) -> None:
    text = body_swap(
        "- 14:00 UTC — Config change deployed.\n- 14:05 UTC — Alert fired.\n- 14:20",
        "- 2026-03-12 13:46 UTC — Deployed.\n- 2025-03-12 13:54 UTC — Alert.\n- 2026-03-12 14:20",
    )
    result = check_file(tmp_path, check_json, text)
    # And the entry is a year away from the incident's date (PMK307, tests/test_limits.py).
    assert result.found == [(A, 21, 1, "PMK305", "error"), (A, 21, 1, "PMK307", "warning")]
    assert result.messages[0] == (
        "timeline entry at 2025-03-12 13:54 comes after one at 2026-03-12 13:46 (line 20)"
    )


def test_timeline_ignores_nested_items_and_code(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "- 14:05 UTC — Alert fired.",
        "- **14:05** Alert fired.\n  - a detail without a time\n\n```\n- not a time\n```\n",
    )
    assert check_file(tmp_path, check_json, text).found == []


def test_timeline_rollover_past_the_last_date_is_pmk304(tmp_path: Path, check_json: Runner) -> None:
    text = swap("date: 2026-03-12", "date: 9999-12-31")
    text = swap("- 14:00 UTC", "- 23:50 UTC", text)
    text = swap("- 14:05 UTC", "- 00:10 UTC", text)
    text = swap("- 14:20 UTC", "- 00:20 UTC", text)
    result = check_file(tmp_path, check_json, text)
    assert result.found == [
        (A, 3, 7, "PMK209", "warning"),  # a date after the build date
        (A, 21, 3, "PMK304", "error"),
        (A, 22, 3, "PMK304", "error"),
    ]
    assert result.messages[1:] == ["the timeline runs past the last representable date"] * 2


# Blame language (PMK401, PMK402, PMK403).


def test_blame_phrases_are_warnings_with_columns(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "Checkout failed for 20 minutes.",
        "It was caused by human error. We should have caught it.\n"
        "He forgot the flag; it was careless and the team was blamed.",
    )
    result = check_file(tmp_path, check_json, text)
    assert result.found == [
        (A, 16, 18, "PMK401", "warning"),
        (A, 16, 34, "PMK401", "warning"),
        (A, 17, 4, "PMK401", "warning"),
        (A, 17, 28, "PMK401", "warning"),
        (A, 17, 54, "PMK401", "warning"),
    ]
    assert [m.split(".")[0] for m in result.messages] == [
        "blame language: `human error`",
        "blame language: `should have`",
        "blame language: `forgot`",
        "blame language: `careless`",
        "blame language: `blamed`",
    ]
    assert result.code == EXIT_OK


@pytest.mark.parametrize(
    "prose",
    [
        "This is a blameless review.",
        "A blame-free culture helps.",
        "Write to human.error@example.com or ops@example.com.",
        "The log showed `human error` as the reason code.",
        "See https://wiki.example/human-error and [notes](https://x.example/forgot).",
        "The flag should have a default.",
    ],
    ids=["blameless", "blame-free", "email", "inline-code", "link-target", "should-have-noun"],
)
def test_not_blame_language(tmp_path: Path, check_json: Runner, prose: str) -> None:
    text = body_swap("Checkout failed for 20 minutes.", prose)
    assert check_file(tmp_path, check_json, text).found == []


def test_lessons_that_only_exhort_are_pmk403(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap(
        "A staged rollout limits how far a bad value travels.",
        "A staged rollout limits how far a bad value travels. We should be more careful.\n\n"
        "- Always double-check the target host before a restore.\n"
        "- Be more explicit about timeouts in the client config.\n"
        "\n```\nbe careful\n```",
    )
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 30, 54, "PMK403", "warning"), (A, 32, 3, "PMK403", "warning")]
    assert result.messages == [
        "lesson `We should be more careful.` asks people to take more care: say what will make "
        "the slip hard to make or quick to catch, or what the team learnt about the system",
        "lesson `Always double-check the target host before a restore.` asks people to take more "
        "care: say what will make the slip hard to make or quick to catch, or what the team "
        "learnt about the system",
    ]
    # The blame_language option governs it with PMK401 and PMK402.
    assert check_file(tmp_path, check_json, text, {"blame_language": "off"}).found == []


def test_blame_in_a_code_fence_is_ignored(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("Checkout failed for 20 minutes.", "```\nhuman error\n```\n\nIt failed.")
    assert check_file(tmp_path, check_json, text).found == []


def test_blame_in_the_title(tmp_path: Path, check_json: Runner) -> None:
    text = swap("Checkout errors after a config change", "Outage from human error")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 2, 20, "PMK401", "warning")]
    assert result.messages[0].startswith("blame language in the title: `human error`. ")


def test_blame_in_a_quoted_title_column(tmp_path: Path, check_json: Runner) -> None:
    text = swap("Checkout errors after a config change", '"Outage from human error"')
    assert check_file(tmp_path, check_json, text).found == [(A, 2, 21, "PMK401", "warning")]


def test_blame_in_a_multiline_title_line(tmp_path: Path, check_json: Runner) -> None:
    text = swap("Checkout errors after a config change", "Outage\n  from human error")
    assert check_file(tmp_path, check_json, text).found == [(A, 3, 8, "PMK401", "warning")]


# Titles that read as blame only as YAML gives them: no line of the file holds the phrase as
# written, so it is reported at the value, quoted as the page shows it.
@pytest.mark.parametrize(
    ("title", "phrase"),
    [
        (r'"Checkout down after human\x20error"', "human error"),
        (r'"Checkout down after human\u0020error"', "human error"),
        ('"Outage caused by human \\\n    error"', "human error"),
        (">-\n    Outage caused by human\n    error", "human error"),
        ("Outage caused by human\n    error", "human error"),
        ("'Outage caused by human\n    error'", "human error"),
        ("'The deploy didn''t follow the runbook'", "didn't follow the runbook"),
    ],
    ids=["x20", "u0020", "escaped-break", "folded", "plain", "single-quoted", "quote-escape"],
)
def test_blame_in_a_title_as_yaml_gives_it(
    tmp_path: Path, check_json: Runner, title: str, phrase: str
) -> None:
    text = swap("Checkout errors after a config change", title)
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 2, 8, "PMK401", "warning")]
    assert result.messages[0].startswith(f"blame language in the title: `{phrase}`. ")


def test_blame_in_a_title_once_each(tmp_path: Path, check_json: Runner) -> None:
    # The phrase as written keeps its column, the escaped one is at the value, neither twice.
    text = swap("Checkout errors after a config change", r'"Human error, then human\x20error"')
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 2, 8, "PMK401", "warning"), (A, 2, 9, "PMK401", "warning")]
    assert [m.split("`")[1] for m in result.messages] == ["human error", "Human error"]


def test_blame_in_a_comment_after_the_title_is_not_the_titles(
    tmp_path: Path, check_json: Runner
) -> None:
    text = swap("Checkout errors after a config change", "Checkout errors  # human error?")
    assert check_file(tmp_path, check_json, text).found == []


@pytest.mark.parametrize(
    "title",
    [
        r'"Outage after human\x20error"  # was: human error',
        ">-\n  Outage after human\n  error\n# human error",
    ],
    ids=["escape", "folded"],
)
def test_blame_in_a_title_is_at_the_value_not_in_a_comment_after_it(
    tmp_path: Path, check_json: Runner, title: str
) -> None:
    # The title's phrase, made by an escape or folding, is at the value: the comment's phrase
    # as written is not the title's.
    text = swap("Checkout errors after a config change", title)
    assert check_file(tmp_path, check_json, text).found == [(A, 2, 8, "PMK401", "warning")]


def test_blame_before_the_first_section(tmp_path: Path, check_json: Runner) -> None:
    text = FRONT + "\n# Outage\n\nIt was human error.\n" + BODY
    assert check_file(tmp_path, check_json, text).found == [(A, 12, 8, "PMK401", "warning")]


def test_blame_language_error_level(tmp_path: Path, check_json: Runner) -> None:
    text = swap("The config service", "@jsmith: human error. The config service")
    result = check_file(tmp_path, check_json, text, {"blame_language": "error"})
    assert result.found == [(A, 26, 1, "PMK402", "error"), (A, 26, 10, "PMK401", "error")]
    assert result.code == EXIT_FINDINGS


def test_blame_language_off(tmp_path: Path, check_json: Runner) -> None:
    text = swap("The config service", "@jsmith: human error. The config service")
    result = check_file(tmp_path, check_json, text, {"blame_language": "off"})
    assert result.found == []


def test_extra_blame_phrases(tmp_path: Path, check_json: Runner) -> None:
    text = swap("Checkout failed for 20 minutes.", "Someone dropped the ball.")
    result = check_file(
        tmp_path, check_json, text, {"blame_phrases": {"dropped the ball": "Describe the gap."}}
    )
    assert result.found == [(A, 16, 9, "PMK401", "warning")]
    assert result.messages == ["blame language: `dropped the ball`. Describe the gap."]


def test_handle_in_contributing_factors(tmp_path: Path, check_json: Runner) -> None:
    text = swap("The config service", "As @jsmith saw, the config service")
    result = check_file(tmp_path, check_json, text)
    assert result.found == [(A, 26, 4, "PMK402", "warning")]
    assert result.messages == [
        "`@jsmith` names a person in the contributing factors. Describe the condition, not the "
        "person: e.g. 'a limit change reached production without a staged rollout'."
    ]


def test_handle_outside_contributing_factors_is_fine(tmp_path: Path, check_json: Runner) -> None:
    text = swap("Checkout failed for 20 minutes.", "We paged @oncall at 14:05.")
    assert check_file(tmp_path, check_json, text).found == []


def test_emails_code_and_links_in_contributing_factors_are_not_handles(
    tmp_path: Path, check_json: Runner
) -> None:
    text = swap(
        "The config service",
        "Mail ops@example.com, see `@bot` and [the org](https://github.com/@org). The config service",
    )
    assert check_file(tmp_path, check_json, text).found == []


def test_handle_in_an_indented_code_block_is_ignored(tmp_path: Path, check_json: Runner) -> None:
    text = swap("every store at once.", "every store at once.\n\n    git log --author=@jsmith")
    assert check_file(tmp_path, check_json, text).found == []


# Catalogs (PMK501-PMK506).


def catalog_findings(tmp_path: Path, check_json: Runner, **catalogs: str | bytes | None) -> Result:
    make_project(tmp_path, files={A: VALID}, **catalogs)
    return check_json()


def test_missing_services_catalog(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(tmp_path, check_json, services=None)
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK501", "error"), (A, 6, 12, "PMK109", "error")]
    assert result.messages[0] == "cannot read the catalog: No such file or directory"


def test_missing_factors_catalog(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(tmp_path, check_json, factors=None)
    assert result.found == [(FACTORS_FILE, 1, 1, "PMK501", "error"), (A, 7, 24, "PMK110", "error")]


@pytest.mark.parametrize("text", ["", "# nothing yet\n"], ids=["empty", "only-a-comment"])
def test_empty_catalog(tmp_path: Path, check_json: Runner, text: str) -> None:
    result = catalog_findings(tmp_path, check_json, services=text)
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK502", "error"), (A, 6, 12, "PMK109", "error")]
    assert result.messages[0] == "the catalog is empty: list ids with their details"


def test_malformed_catalog_yaml(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(
        tmp_path, check_json, services="checkout:\n  name: Checkout: the shop\n"
    )
    assert result.found == [
        (SERVICES_FILE, 2, 17, "PMK502", "error"),
        (A, 6, 12, "PMK109", "error"),
    ]
    assert result.messages[0] == (
        "invalid YAML: a colon and a space inside the name start a new key: quote the name: "
        '`name: "Checkout: the shop"` (YAML: mapping values are not allowed in this context)'
    )


def test_catalog_that_is_a_list(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(tmp_path, check_json, services="- checkout\n- payments\n")
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK502", "error"), (A, 6, 12, "PMK109", "error")]
    assert result.messages[0] == (
        "the catalog must map ids to details, e.g. `checkout: {name: Checkout}`"
    )


def test_catalog_with_aliases_is_refused(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(tmp_path, check_json, services="a: &a {name: A}\nb: [*a, *a]\n")
    assert result.found == [(SERVICES_FILE, 1, 4, "PMK502", "error"), (A, 6, 12, "PMK109", "error")]


def test_catalog_entry_that_is_not_a_mapping(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(
        tmp_path, check_json, services=catalog_text(SERVICES) + "search: Search\n"
    )
    assert result.found == [(SERVICES_FILE, 7, 1, "PMK503", "error")]
    assert result.messages == ["`search` must map to details such as `{name: ...}`"]


def test_catalog_entry_without_a_name(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(
        tmp_path, check_json, services=catalog_text(SERVICES) + "search:\n  owner: x\n"
    )
    assert result.found == [(SERVICES_FILE, 7, 1, "PMK503", "error")]
    assert result.messages == ["`search` needs a `name`"]


def test_catalog_entry_with_an_unknown_field(tmp_path: Path, check_json: Runner) -> None:
    text = catalog_text(SERVICES) + "search:\n  name: Search\n  ownr: x\n"
    result = catalog_findings(tmp_path, check_json, services=text)
    assert result.found == [(SERVICES_FILE, 9, 3, "PMK503", "error")]
    assert result.messages == [
        "`search` has an unknown field `ownr` (did you mean `owner`?) (known: name, owner, "
        "description, visibility)"
    ]


def test_catalog_field_that_is_not_text(tmp_path: Path, check_json: Runner) -> None:
    text = catalog_text(SERVICES) + "search:\n  name: Search\n  owner: [team-a, team-b]\n"
    result = catalog_findings(tmp_path, check_json, services=text)
    assert result.found == [(SERVICES_FILE, 9, 10, "PMK503", "error")]
    assert result.messages == ["`search.owner` must be text, not a list"]


def test_factor_aliases_holding_a_number(tmp_path: Path, check_json: Runner) -> None:
    text = (
        catalog_text(FACTORS)
        + "bad-config:\n  name: Bad config\n  category: Change\n  aliases: [bad, 5]\n"
    )
    result = catalog_findings(tmp_path, check_json, factors=text)
    assert result.found == [(FACTORS_FILE, 11, 12, "PMK503", "error")]
    assert result.messages == [
        "`bad-config.aliases` must be a list of names, not a list holding `5`"
    ]


def test_factor_without_a_category(tmp_path: Path, check_json: Runner) -> None:
    text = catalog_text(FACTORS) + "runbook-gap:\n  name: Runbook gap\n"
    result = catalog_findings(tmp_path, check_json, factors=text)
    assert result.found == [(FACTORS_FILE, 8, 1, "PMK503", "error")]
    assert result.messages == ["`runbook-gap` needs a `category`"]


def test_factor_aliases_not_a_list(tmp_path: Path, check_json: Runner) -> None:
    text = (
        catalog_text(FACTORS)
        + "bad-config:\n  name: Bad config\n  category: Change\n  aliases: {a: 1}\n"
    )
    result = catalog_findings(tmp_path, check_json, factors=text)
    assert result.found == [(FACTORS_FILE, 11, 12, "PMK503", "error")]
    assert result.messages == ["`bad-config.aliases` must be a list of names, not a mapping"]


def test_unknown_factor_category(tmp_path: Path, check_json: Runner) -> None:
    make_project(
        tmp_path,
        files={A: VALID},
        factors=catalog_text(FACTORS).replace("Detection", "Detecton"),
        options={"factor_categories": ["Change", "Detection"]},
    )
    result = check_json()
    assert result.found == [(FACTORS_FILE, 5, 1, "PMK504", "error")]
    assert result.messages == [
        "`missing-alert` has category `Detecton`, not one of the configured "
        "`factor_categories` (did you mean `Detection`?)"
    ]


def test_any_category_without_factor_categories(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(
        tmp_path, check_json, factors=catalog_text(FACTORS).replace("Detection", "Any")
    )
    assert result.found == []


def test_duplicate_alias(tmp_path: Path, check_json: Runner) -> None:
    text = (
        catalog_text(FACTORS)
        + "bad-config:\n  name: Bad config\n  category: Change\n  aliases: [misconfiguration]\n"
    )
    result = catalog_findings(tmp_path, check_json, factors=text)
    assert result.found == [(FACTORS_FILE, 8, 1, "PMK505", "error")]
    assert result.messages == [
        "alias `misconfiguration` of `bad-config` is already an alias of `config-change`"
    ]


def test_alias_that_is_another_factors_id(tmp_path: Path, check_json: Runner) -> None:
    text = (
        catalog_text(FACTORS)
        + "bad-config:\n  name: Bad config\n  category: Change\n  aliases: [missing-alert]\n"
    )
    result = catalog_findings(tmp_path, check_json, factors=text)
    assert result.found == [(FACTORS_FILE, 8, 1, "PMK505", "error")]
    assert result.messages == ["alias `missing-alert` of `bad-config` is already an id"]


@pytest.mark.parametrize("key", ["Checkout Service", "42", "-dash"])
def test_bad_catalog_id(tmp_path: Path, check_json: Runner, key: str) -> None:
    result = catalog_findings(
        tmp_path, check_json, services=catalog_text(SERVICES) + f"{key}:\n  name: X\n"
    )
    assert result.found == [(SERVICES_FILE, 7, 1, "PMK506", "error")]
    assert result.messages == [f"id `{key}` must be a lowercase slug (a-z, 0-9, `-`, `_`, `.`)"]


def test_catalog_with_a_byte_order_mark(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(
        tmp_path, check_json, services=b"\xef\xbb\xbf" + catalog_text(SERVICES).encode()
    )
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK008", "warning")]


def test_binary_catalog(tmp_path: Path, check_json: Runner) -> None:
    result = catalog_findings(tmp_path, check_json, services=b"checkout:\x00")
    assert result.found == [(SERVICES_FILE, 1, 1, "PMK001", "error"), (A, 6, 12, "PMK109", "error")]


def test_catalogs_are_not_listed_as_other_files(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    result = check_json()
    assert result.found == []
    assert result.data["files"] == 1


# Configuration (PMK601) and section aliases.


def test_unknown_option_suggests_the_right_one(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID}, options={"blame_langauge": "warn"})
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err.endswith(
        f"{option_at(tmp_path, 'blame_langauge')}: error PMK601 unknown pmkb option "
        "`blame_langauge` (did you mean `blame_language`?)\n"
    )
    assert len(result.err.splitlines()) == 1


@pytest.mark.parametrize(
    ("plugins", "found"),
    [
        # YAML reads them as keys of the list's item, beside `pmkb`, which would then get none.
        (
            "  - search\n  - pmkb:\n    postmortems_dir: kb\n",
            "5:5: error PMK601 `postmortems_dir` is written beside `pmkb:`, not under it: indent "
            "pmkb's options deeper than `pmkb:`",
        ),
        # In the mapping `pmkb init` writes, outdented: read as a plugin MkDocs does not have.
        (
            "  search: {}\n  pmkb:\n  related_limit: 3\n",
            "5:3: error PMK601 `related_limit` is written as a plugin, beside `pmkb:`: indent "
            "pmkb's options deeper than `pmkb:`",
        ),
        # Two plugins in one item of the list: pmkb would have been read as absent.
        (
            "  - search:\n    pmkb:\n      related_limit: 3\n",
            "4:5: error PMK601 `search` and `pmkb` are one item of the list of plugins: begin "
            "each plugin with `- `",
        ),
    ],
    ids=["beside-in-a-list", "beside-in-a-mapping", "one-item"],
)
def test_options_written_beside_the_plugin_are_reported_where_they_are(
    tmp_path: Path, run: Runner, plugins: str, found: str
) -> None:
    # Each is a file MkDocs refuses; `pmkb check` passed it, with pmkb's defaults.
    config = f"site_name: x\nplugins:\n{plugins}"
    make_project(tmp_path, files={A: VALID, "mkdocs.yml": config})
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err == f"mkdocs.yml:{found}\n"


def test_an_unusable_configuration_is_reported_in_the_format_asked_for(
    tmp_path: Path, run: Runner
) -> None:
    # A workflow reads annotations, a script the JSON document: not a line on stderr alone.
    make_project(tmp_path, files={A: VALID}, options={"blame_language": "loud"})
    where = option_at(tmp_path, "blame_language")
    result = run("check", "--format", "json")
    assert result.code == EXIT_USAGE
    document = json.loads(result.out)
    line, col = (int(n) for n in where.split(":")[1:])
    assert document["files"] == 0 and document["errors"] == 1 and document["postmortems"] == []
    assert [(f["path"], f["line"], f["col"], f["code"]) for f in document["findings"]] == [
        ("mkdocs.yml", line, col, "PMK601")
    ]
    result = run("check", "--format", "github")
    assert result.code == EXIT_USAGE
    assert result.out.startswith(
        f"::error file=mkdocs.yml,line={line},col={col},title=pmkb PMK601::PMK601 option "
    )


def test_bad_blame_language_value_exits_2(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID}, options={"blame_language": "loud"})
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err.endswith(
        f"{option_at(tmp_path, 'blame_language')}: error PMK601 option `blame_language` must be "
        "one of error, warn, off, not 'loud'\n"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"related_limit": 0}, "option `related_limit` must be a positive whole number, not 0"),
        ({"publish_drafts": "maybe"}, "option `publish_drafts` must be a bool, not str"),
        ({"severities": []}, "option `severities` must list at least one severity"),
        (
            {"required_sections": ["Summary", ""]},
            "option `required_sections` must be a list of non-empty strings",
        ),
        (
            {"section_aliases": {"Impact": [1]}},
            "option `section_aliases` maps a section name to a list of headings",
        ),
        (
            {"blame_phrases": {"oops": 1}},
            "option `blame_phrases` maps a phrase to a suggested rewording (both strings)",
        ),
        (
            {"incidents_path": "/abs"},
            "option `incidents_path` must be a relative URL path inside the site, not '/abs'",
        ),
    ],
    ids=["int", "bool", "severities", "sections", "aliases", "phrases", "url-path"],
)
def test_invalid_option_exits_2(
    tmp_path: Path, run: Runner, options: dict[str, object], message: str
) -> None:
    make_project(tmp_path, files={A: VALID}, options=options)
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err.endswith(
        f"{option_at(tmp_path, next(iter(options)))}: error PMK601 {message}\n"
    )


def test_invalid_mkdocs_yaml_exits_2(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID, "mkdocs.yml": "site_name: x\nplugins:\n  - pmkb: {\n"})
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err.endswith(
        "mkdocs.yml:4:1: error PMK601 invalid YAML: did not find expected node content\n"
    )


def test_missing_config_file_exits_2(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID})
    result = run("check", "--config", "nope.yml")
    assert result.code == EXIT_USAGE
    assert result.err == (
        "nope.yml:1:1: error PMK601 cannot read the configuration: No such file or directory\n"
    )


def test_config_findings_use_a_relative_path(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID}, options={"blame_language": "loud"})
    result = run("check")
    assert result.err.startswith(f"{option_at(tmp_path, 'blame_language')}: error PMK601 ")
    assert result.err.startswith("mkdocs.yml:")


def test_mkdocs_yml_with_python_name_and_env_tags_loads(tmp_path: Path, check_json: Runner) -> None:
    config = (
        "site_name: x\n"
        "markdown_extensions:\n"
        "  - pymdownx.superfences:\n"
        "      custom_fences:\n"
        "        - name: mermaid\n"
        "          class: mermaid\n"
        "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
        "plugins:\n"
        "  - search\n"
        "  - pmkb:\n"
        "      blame_language: error\n"
        "  - other:\n"
        "      token: !ENV [HOME, fallback]\n"
    )
    text = swap("Checkout failed for 20 minutes.", "Checkout failed: human error.")
    make_project(tmp_path, files={A: text, "mkdocs.yml": config})
    result = check_json()
    assert result.found == [(A, 16, 18, "PMK401", "error")]
    assert result.code == EXIT_FINDINGS


def test_plugins_as_a_mapping(tmp_path: Path, check_json: Runner) -> None:
    config = "site_name: x\nplugins:\n  pmkb:\n    severities: [P1, P2]\n"
    make_project(tmp_path, files={A: VALID, "mkdocs.yml": config})
    assert check_json().found == [(A, 4, 11, "PMK107", "error")]


def test_config_flag_points_at_another_project(tmp_path: Path, check_json: Runner) -> None:
    make_project(tmp_path / "kb", files={A: swap("severity: SEV2", "severity: P1")}, options={})
    result = check_json("--config", str(tmp_path / "kb/mkdocs.yml"))
    assert result.found == [(A, 4, 11, "PMK107", "error")]


def test_unquoted_blame_language_off(tmp_path: Path, check_json: Runner) -> None:
    config = "site_name: x\nplugins:\n  - pmkb:\n      blame_language: off\n"
    text = swap("Checkout failed for 20 minutes.", "Checkout failed: human error.")
    make_project(tmp_path, files={A: text, "mkdocs.yml": config})
    result = check_json()
    assert result.code == EXIT_OK
    assert result.found == []


def test_pmkb_options_that_are_a_list_exit_2(tmp_path: Path, run: Runner) -> None:
    make_project(
        tmp_path, files={A: VALID, "mkdocs.yml": "site_name: x\nplugins:\n  - pmkb: [a]\n"}
    )
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err.startswith("mkdocs.yml:1:1: error PMK601 ")


def test_plugins_that_is_a_number_exits_2(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: VALID, "mkdocs.yml": "site_name: x\nplugins: 5\n"})
    result = run("check")
    assert result.code == EXIT_USAGE
    assert result.err.startswith("mkdocs.yml:1:1: error PMK601 ")
    assert len(result.err.splitlines()) == 1


SRE_BODY = """\

## Summary

Shakespeare Search was down for 66 minutes during a period of very high interest.

## Impact

An estimated 1.21B queries were lost; no revenue impact.

## Root Causes

Cascading failure due to combination of exceptionally high load and a resource leak.

## Trigger

Latent bug triggered by a sudden increase in traffic.

## Resolution

Directed traffic to a sacrificial cluster and added 10x capacity.

## Detection

Borgmon detected a high level of HTTP 500s and paged on-call.

## Lessons Learned

### What went well

Monitoring quickly alerted us to a high rate of 500s.

## Timeline

2015-10-21 (all times UTC)

- **14:51** News reports that a new sonnet has been discovered
- **14:53** Traffic to Shakespeare search increases by 88x
- **15:01** INCIDENT BEGINS: search backends start melting down under load
- **16:00** INCIDENT ENDS
"""

SRE_OPTIONS: dict[str, object] = {
    "required_sections": [
        "Summary",
        "Impact",
        "Contributing factors",
        "Trigger",
        "Resolution",
        "Detection",
        "Lessons learned",
        "Timeline",
    ],
    "section_aliases": {"Contributing factors": ["Root Causes"]},
}


def test_sre_book_headings_pass_with_section_aliases(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, FRONT + SRE_BODY, SRE_OPTIONS)
    assert result.found == []
    assert result.code == EXIT_OK


def test_sre_book_headings_fail_without_section_aliases(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, FRONT + SRE_BODY)
    assert result.found == [(A, 40, 1, "PMK301", "error")]
    assert result.messages == ["missing section `## Contributing factors`"]


def test_sre_book_missing_section_is_reported(tmp_path: Path, check_json: Runner) -> None:
    text = FRONT + swap(
        "## Detection\n\nBorgmon detected a high level of HTTP 500s and paged on-call.\n\n",
        "",
        SRE_BODY,
    )
    result = check_file(tmp_path, check_json, text, SRE_OPTIONS)
    assert result.found == [(A, 36, 1, "PMK301", "error")]
    assert result.messages == ["missing section `## Detection`"]


def test_aliased_contributing_factors_section_checks_handles(
    tmp_path: Path, check_json: Runner
) -> None:
    text = FRONT + swap("Cascading failure", "@jsmith saw a cascading failure", SRE_BODY)
    result = check_file(tmp_path, check_json, text, SRE_OPTIONS)
    assert result.found == [(A, 20, 1, "PMK402", "warning")]


def test_section_alias_given_as_a_single_string(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("## Impact", "## User impact")
    options = {"section_aliases": {"Impact": "User impact"}}
    assert check_file(tmp_path, check_json, text, options).found == []


def test_heading_and_its_alias_together_are_a_duplicate(tmp_path: Path, check_json: Runner) -> None:
    text = body_swap("## Lessons learned", "## User impact\n\nMore.\n\n## Lessons learned")
    result = check_file(
        tmp_path, check_json, text, {"section_aliases": {"Impact": ["User impact"]}}
    )
    assert result.found == [(A, 28, 1, "PMK306", "warning")]
    assert result.messages == ["section `User impact` appears twice (first on line 14)"]


# The rules table itself.


def test_every_rule_has_a_stable_code_and_level() -> None:
    assert all(code == rule.code for code, rule in RULES.items())
    assert all(code.startswith("PMK") and len(code) == 6 for code in RULES)
    assert {rule.level for rule in RULES.values()} == {Level.ERROR, Level.WARNING, Level.INFO}


def test_findings_print_the_rule_level_by_default(tmp_path: Path, check_json: Runner) -> None:
    result = check_file(tmp_path, check_json, with_keys("zzz: 1\n"))
    (found,) = result.found
    assert found[4] == RULES[found[3]].level.value == "warning"


def test_json_output_is_valid_json_with_unicode(tmp_path: Path, run: Runner) -> None:
    make_project(tmp_path, files={A: swap("severity: SEV2", "severity: SÉV2")})
    result = run("check", "--format", "json")
    assert "SÉV2" in result.out
    assert json.loads(result.out)["findings"][0]["message"].startswith("`severity: SÉV2`")


def test_the_benchmarks_synthetic_postmortems_pass_the_check(tmp_path: Path, run: Runner) -> None:
    # benchmarks/generate.py promises files with no finding, against the example's catalogs,
    # which change with the example (a restricted service, for one, must not be drawn).
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    project = generate(tmp_path / "kb", 300)
    result = run("check", cwd=project.root)
    assert result.code == 0, result.out
    assert "0 error(s), 0 warning(s)" in result.out


def test_team_blame_phrases_in_turkish_capitals(tmp_path: Path, check_json: Runner) -> None:
    # `\u0130NSAN HATASI` lowercases to a dotted i with a combining dot, and holds no key word of
    # `insan hatas\u0131` (a dotless i): the screen passed the title the phrase matches.
    text = swap("Checkout errors after a config change", "K\u00f6k neden \u0130NSAN HATASI")
    options = {"blame_phrases": {"insan hatas\u0131": "X."}}
    result = check_file(tmp_path, check_json, text, options)
    assert result.found == [(A, 2, 18, "PMK401", "warning")]
    assert result.messages == ["blame language in the title: `\u0130NSAN HATASI`. X."]
