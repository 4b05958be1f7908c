"""Custom fields: the `custom_fields` option validated (PMK601, with did-you-mean), postmortems'
values checked by `pmkb check` with located findings (PMK102, PMK104, PMK123, PMK124) and
agreed on by `pmkb schema`; on a built site the header card, the incidents table's filter, the
search page's facet and the exports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from helpers import BODY, FRONT, A, Runner, as_json, make_project, with_keys
from pmkb.read.yamlread import load_located

FIELDS: dict[str, Any] = {
    "customer_impact": {
        "type": "enum",
        "values": ["none", "some", "all"],
        "required_from": "published",
        "card": True,
        "filter": True,
        "label": "Customer impact",
    },
    "revenue_lost": {"type": "number", "card": True},
    "jira_epic": {"type": "text"},
    "detected_by": {"type": "list", "filter": True},
    "postmortem_meeting": {"type": "date", "required_from": "in-review"},
}
OPTIONS = {"custom_fields": FIELDS}
# FRONT's `status: published` value: line 5, column 9. Keys added by with_keys start on line 8.
STATUS = (5, 9)
SET = "customer_impact: some\npostmortem_meeting: 2026-03-16\n"


# ---------------------------------------------------------------------------------------------
# pmkb check


def test_declared_fields_are_read_and_their_values_checked(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(
        tmp_path,
        {
            "a.md": with_keys(
                "customer_impact: sme\n"  # line 8
                "revenue_lost: lots\n"
                "jira_epic: {key: OPS-1}\n"
                "detected_by: 12\n"
                "postmortem_meeting: next tuesday\n"
            ),
            "good.md": with_keys(
                SET + "revenue_lost: 12000.5\njira_epic: OPS-77\ndetected_by: [alert, customer]\n"
            ),
        },
        options=OPTIONS,
    )
    result = check_json()
    assert result.code == 1
    assert result.found == [
        (A, 8, 18, "PMK123", "error"),
        (A, 9, 15, "PMK102", "error"),
        (A, 10, 12, "PMK102", "error"),
        (A, 11, 14, "PMK102", "error"),
        (A, 12, 21, "PMK104", "error"),
    ]
    assert result.messages == [
        "`customer_impact: sme` is not one of none, some, all (did you mean `some`?)",
        "`revenue_lost` must be a number, not `lots`",
        "`jira_epic` must be text, not a mapping",
        "`detected_by` must be a list, not `12`",
        "`postmortem_meeting: next tuesday` is not a date; write YYYY-MM-DD",
    ]


def test_a_field_is_required_from_its_status_on(tmp_path: Path, check_json: Runner) -> None:
    in_review = with_keys("").replace("status: published", "status: in-review")
    make_project(
        tmp_path,
        {
            "a.md": FRONT + BODY,  # published: both missing
            "in-review.md": in_review,  # only the meeting is required yet
            "draft.md": with_keys("").replace("status: published", "status: draft"),
            "empty.md": with_keys("customer_impact:\npostmortem_meeting: 2026-03-16\n"),
            "set.md": with_keys(SET),
        },
        options=OPTIONS,
    )
    result = check_json()
    assert result.found == [
        (A, *STATUS, "PMK124", "error"),
        (A, *STATUS, "PMK124", "error"),
        ("postmortems/empty.md", *STATUS, "PMK124", "error"),
        ("postmortems/in-review.md", 5, 9, "PMK124", "error"),
    ]
    assert result.messages[0] == (
        "`status: published` needs the custom field `customer_impact` (required from "
        "`published`); add `customer_impact:` with its value"
    )
    assert "`postmortem_meeting` (required from `in-review`)" in result.messages[-1]


def test_a_custom_field_is_not_unknown_and_a_misspelt_one_is_suggested(
    tmp_path: Path, check_json: Runner
) -> None:
    make_project(
        tmp_path,
        {"a.md": with_keys(SET + "custmer_impact: all\n")},
        options=OPTIONS,
    )
    result = check_json()
    assert result.found == [(A, 10, 1, "PMK103", "warning")]
    assert result.messages == ["unknown key `custmer_impact` (did you mean `customer_impact`?)"]
    # Without the declaration, the same keys are unknown.
    make_project(tmp_path, {"a.md": with_keys("customer_impact: some\n")}, options={})
    assert check_json().found == [(A, 8, 1, "PMK103", "warning")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"impact": {"type": "txt"}},
         "`impact` has `type: txt`, not one of text, number, date, enum, list "
         "(did you mean `text`?)"),
        ({"impact": {"type": "text", "lable": "Impact"}},
         "`impact` has an unknown key `lable` (did you mean `label`?)"),
        ({"severity": {"type": "text"}},
         "declares `severity`, a key pmkb already reads; name the field otherwise"),
        ({"impact": {"type": "enum"}},
         "`impact` is an enum and needs `values`, a list of words (quote `yes`, `no` and "
         "numbers): `values: [none, some, all]`"),
        ({"impact": {"type": "text", "required_from": "publshed"}},
         "`impact` has `required_from: publshed`, not one of draft, in-review, published "
         "(did you mean `published`?)"),
        ({"impact": {"type": "text", "card": "yes please"}},
         "`impact` has `card: yes please`: write `true` or `false`"),
        ({"Customer Impact": {"type": "text"}},
         "names a field `Customer Impact`: a field's name is lowercase letters, digits and `_`, "
         "starting with a letter"),
        ({"impact": "text"},
         "declares `impact` as `text`: write a mapping such as `{type: text}`"),
    ],
)  # fmt: skip
def test_the_option_is_validated(
    tmp_path: Path, run: Runner, fields: dict[str, Any], message: str
) -> None:
    make_project(tmp_path, {"a.md": FRONT + BODY}, options={"custom_fields": fields})
    result = run("check")
    assert result.code == 2
    assert f"mkdocs.yml:1:1: error PMK601 option `custom_fields` {message}" in (
        result.out + result.err
    )


def test_the_option_reports_every_field_at_once(tmp_path: Path, run: Runner) -> None:
    fields = {"a": {"type": "enum", "values": []}, "b": {"typ": "text"}, "ok": {"type": "list"}}
    make_project(tmp_path, {"a.md": FRONT + BODY}, options={"custom_fields": fields})
    result = run("check")
    output = result.out + result.err
    assert "`a` is an enum and needs `values`" in output
    assert "`b` has an unknown key `typ` (did you mean `type`?)" in output
    assert "`ok`" not in output


# ---------------------------------------------------------------------------------------------
# pmkb schema agrees with pmkb check


SCHEMA_CASES = {
    "all-set": (SET + "revenue_lost: 12000\njira_epic: OPS-77\ndetected_by: [alert]\n", True),
    "text-number": (SET + "jira_epic: 1234\n", True),
    "list-of-one": (SET + "detected_by: alert\n", True),
    "float": (SET + "revenue_lost: 0.5\n", True),
    "empty-optional": (SET + "revenue_lost:\njira_epic:\n", True),
    "missing-required": ("postmortem_meeting: 2026-03-16\n", False),
    "empty-required": ("customer_impact:\npostmortem_meeting: 2026-03-16\n", False),
    "enum-other": ("customer_impact: most\npostmortem_meeting: 2026-03-16\n", False),
    "enum-number": ("customer_impact: 3\npostmortem_meeting: 2026-03-16\n", False),
    "number-text": (SET + "revenue_lost: lots\n", False),
    "number-bool": (SET + "revenue_lost: true\n", False),
    "date-words": ("customer_impact: some\npostmortem_meeting: soon\n", False),
    "list-mapping": (SET + "detected_by: {a: b}\n", False),
    "list-item-number": (SET + "detected_by: [3]\n", False),
    "text-blank": (SET + "jira_epic: '  '\n", False),
}


def test_schema_and_check_agree_on_custom_fields(tmp_path: Path, run: Runner) -> None:
    files = {f"{name}.md": with_keys(extra) for name, (extra, _) in SCHEMA_CASES.items()}
    make_project(tmp_path, files, options=OPTIONS)
    schema = json.loads(run("schema").out)
    assert schema["properties"]["customer_impact"]["enum"] == ["none", "some", "all", None]
    assert schema["properties"]["revenue_lost"]["type"] == ["number", "null"]
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
