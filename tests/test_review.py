"""Recorded reviews: `reviewers` and `reviewed` checked by `pmkb check` (PMK121, PMK122, PMK209),
agreed on by `pmkb schema`, the `review_required_for` option validated; and on a built site the
header card, the incidents table's Review filter, the search page's facet, the trends page's time
to review and the exports.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from helpers import BODY, FRONT, A, Runner, as_json, make_project, with_keys
from pmkb.read import validate
from pmkb.read.yamlread import load_located

REQUIRED = {"review_required_for": ["SEV1", "SEV2"]}
REVIEW = "reviewers: [Ines Carvalho, Daniel Okafor]\nreviewed: 2026-03-19\n"
# FRONT's `status: published` value: line 5, column 9. Keys added by with_keys start on line 8.
STATUS = (5, 9)


# ---------------------------------------------------------------------------------------------
# pmkb check


def test_a_published_postmortem_of_a_listed_severity_must_record_a_review(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(
        tmp_path,
        {
            "a.md": FRONT + BODY,  # SEV2, published, no review
            "b.md": with_keys("reviewers: [Ines Carvalho]\n"),
            "c.md": with_keys("reviewed: 2026-03-19\n"),
            "reviewed.md": with_keys(REVIEW),
            "sev3.md": with_keys("").replace("SEV2", "SEV3"),
            "in-review.md": with_keys("").replace("status: published", "status: in-review"),
            "draft.md": with_keys("").replace("status: published", "status: draft"),
        },
        options=REQUIRED,
    )
    result = check_json()
    assert result.code == 1
    assert result.found == [
        (A, *STATUS, "PMK121", "error"),
        ("postmortems/b.md", *STATUS, "PMK121", "error"),
        ("postmortems/c.md", *STATUS, "PMK121", "error"),
    ]
    a, b, c = result.messages
    assert a == (
        "`status: published` needs a recorded review for a SEV2 postmortem "
        "(`review_required_for`), and `reviewers` and `reviewed` are missing: add who reviewed "
        "it and when, or keep `status: in-review` until the review"
    )
    assert "and `reviewed` is missing" in b
    assert "and `reviewers` is missing" in c


def test_reviews_are_optional_by_default(tmp_path: Path, check_json: Runner) -> None:
    # An existing knowledge base does not fail its check when pmkb learns about reviews.
    make_project(
        tmp_path,
        {
            "a.md": FRONT + BODY,
            "b.md": with_keys("reviewers: [Ines Carvalho]\n"),
            "c.md": with_keys(REVIEW),
        },
    )
    result = check_json("--strict")
    assert result.code == 0, result.out
    assert result.found == []


def test_a_review_before_the_incident_is_an_error_and_not_used(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(
        tmp_path,
        {"a.md": with_keys("reviewers: [Ines Carvalho]\nreviewed: 2026-02-19\n")},
        options=REQUIRED,
    )
    result = check_json()
    assert result.found == [(A, *STATUS, "PMK121", "error"), (A, 9, 11, "PMK122", "error")]
    required, before = result.messages
    assert "a usable `reviewed` is missing" in required
    assert before == (
        "`reviewed: 2026-02-19` is before the incident's `date` (2026-03-12): a postmortem is "
        "reviewed after its incident; correct the date (the value is not used)"
    )


def test_a_review_after_the_build_date_is_a_warning(
    tmp_path: Path, check_json: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built as on 2026-04-01 (and the wall clock says so too): the day after is allowed for
    # zones east of UTC, as for every date.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1775001600")
    monkeypatch.setattr(validate, "wall_clock_today", lambda: date(2026, 4, 1))
    make_project(
        tmp_path,
        {
            "a.md": with_keys("reviewers: [Ines Carvalho]\nreviewed: 2026-04-03\n"),
            "b.md": with_keys("reviewers: [Ines Carvalho]\nreviewed: 2026-04-02\n"),
        },
        options=REQUIRED,
    )
    result = check_json()
    assert result.code == 0, result.out
    assert result.found == [(A, 9, 11, "PMK209", "warning")]
    assert result.messages == [
        "`reviewed: 2026-04-03` is after today (2026-04-01); check the year and month"
    ]


@pytest.mark.parametrize(
    ("extra", "where", "code", "message"),
    [
        ("reviewers: {lead: Ines}\n", (8, 12), "PMK102", "`reviewers` must be a list, not a mapping"),
        ("reviewers: [Ines, 12]\n", (8, 19), "PMK102", "`reviewers` entries must be names, not `12`"),
        ("reviewed: next week\n", (8, 11), "PMK104", "`reviewed: next week` is not a date; write YYYY-MM-DD"),
        ("reviewed: 2026-02-30\n", (8, 11), "PMK104", "`reviewed: 2026-02-30` is not a date; write YYYY-MM-DD"),
        ("reviewd: 2026-03-19\n", (8, 1), "PMK103", "unknown key `reviewd` (did you mean `reviewed`?)"),
    ],
)  # fmt: skip
def test_malformed_review_fields_are_located(
    tmp_path: Path,
    check_json: Runner,
    extra: str,
    where: tuple[int, int],
    code: str,
    message: str,
) -> None:
    make_project(tmp_path, {"a.md": with_keys(extra)})
    result = check_json()
    assert [(f[1], f[2], f[3]) for f in result.found] == [(*where, code)]
    assert result.messages == [message]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (["sev1"], "option `review_required_for` names `sev1`, not one of the `severities` "
                   "(SEV1, SEV2, SEV3, SEV4) (did you mean `SEV1`?)"),
        (["SEV1", "P2"], "option `review_required_for` names `P2`, not one of the `severities` "
                         "(SEV1, SEV2, SEV3, SEV4)"),
        ("SEV1", "option `review_required_for` must be a list, not str"),
    ],
)  # fmt: skip
def test_the_option_names_severities_of_the_scale(
    tmp_path: Path, run: Runner, written: object, message: str
) -> None:
    make_project(tmp_path, {"a.md": FRONT + BODY}, options={"review_required_for": written})
    result = run("check")
    assert result.code == 2
    assert f"mkdocs.yml:1:1: error PMK601 {message}" in result.out + result.err


def test_the_option_follows_the_configured_scale(tmp_path: Path, check_json: Runner) -> None:
    scale = {"severities": ["P1", "P2", "P3"], "review_required_for": ["P1"]}
    make_project(
        tmp_path,
        {
            "a.md": (FRONT + BODY).replace("SEV2", "P1"),
            "b.md": (FRONT + BODY).replace("SEV2", "P2"),
        },
        options=scale,
    )
    result = check_json()
    assert result.found == [(A, *STATUS, "PMK121", "error")]
    assert "for a P1 postmortem" in result.messages[0]


# ---------------------------------------------------------------------------------------------
# pmkb schema agrees with pmkb check


SCHEMA_CASES = {
    "review": (REVIEW, True),
    "reviewers-only": ("reviewers: [Ines Carvalho]\n", True),
    "empty-fields": ("reviewers:\nreviewed:\n", True),
    "reviewers-mapping": ("reviewers: {lead: Ines}\n", False),
    "reviewer-blank": ("reviewers: ['  ']\n", False),
    "reviewed-words": ("reviewed: next week\n", False),
    "reviewed-time": ("reviewed: 2026-03-19T10:00:00Z\n", False),
    "reviewed-quoted": ("reviewed: '2026-03-19'\n", True),
}


def test_schema_and_check_agree_on_reviews(tmp_path: Path, run: Runner) -> None:
    files = {f"{name}.md": with_keys(extra) for name, (extra, _) in SCHEMA_CASES.items()}
    make_project(tmp_path, files)
    schema = json.loads(run("schema").out)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    found = run("check", "--format", "json").data["findings"]
    for name, (extra, valid) in SCHEMA_CASES.items():
        errors = [
            f["code"]
            for f in found
            if f["path"] == f"postmortems/{name}.md" and f["level"] == "error"
        ]
        meta = as_json(load_located(FRONT.removeprefix("---\n").removesuffix("---\n") + extra))
        schema_errors = [e.message for e in validator.iter_errors(meta)]
        assert (not schema_errors, not errors) == (valid, valid), (name, schema_errors, errors)
