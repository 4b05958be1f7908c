"""Custom fields: the `custom_fields` option validated (PMK601, with did-you-mean), postmortems'
values checked by `pmkb check` with located findings (PMK102, PMK104, PMK123, PMK124) and
agreed on by `pmkb schema`; on a built site the header card, the incidents table's filter, the
search page's facet and the exports.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import (
    BODY,
    BUILD_EPOCH,
    FRONT,
    SITE_SERVICES,
    A,
    Runner,
    assert_schema_and_check_agree,
    build,
    make_project,
    option_at,
    postmortem,
    read,
    with_keys,
)
from pmkb.model import Postmortem
from pmkb.read.audience import public_view
from pmkb.settings import load_settings
from pmkb.site import export, search_index

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
PUBLIC_SERVICES = {k: {**v, "visibility": "public"} for k, v in SITE_SERVICES.items()}


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
         "declares `severity`, a key pmkb already reads or exports; name the field otherwise"),
        ({"url": {"type": "text"}},
         "declares `url`, a key pmkb already reads or exports; name the field otherwise"),
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
    assert (
        f"{option_at(tmp_path, 'custom_fields')}: error PMK601 option `custom_fields` {message}"
        in (result.out + result.err)
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
    schema = assert_schema_and_check_agree(run, SCHEMA_CASES)
    assert schema["properties"]["customer_impact"]["enum"] == ["none", "some", "all", None]
    assert schema["properties"]["revenue_lost"]["type"] == ["number", "null"]


def test_the_reference_example_is_a_valid_declaration(tmp_path: Path, run: Runner) -> None:
    reference = (Path(__file__).parent.parent / "docs" / "reference.md").read_text("utf-8")
    section = reference[reference.index("### Custom fields") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n", 8)]
    (entry,) = yaml.safe_load(block)["plugins"]
    assert entry["pmkb"]["custom_fields"] == FIELDS
    make_project(tmp_path, {"a.md": with_keys(SET)}, options=entry["pmkb"])
    assert run("check").code == 0


# ---------------------------------------------------------------------------------------------
# A built site:
#   a 2025-03-10 SEV1: customer_impact all, revenue_lost 12000, detected_by [customer, alert]
#   b 2025-04-02 SEV2: customer_impact some, revenue_lost 0.5, jira_epic OPS-<b>7</b>
#   c 2025-05-20 SEV3: customer_impact none, detected_by [alert]
#   d 2025-06-01 SEV3 in review: no customer_impact yet, detected_by [synthetic check]

EPOCH = BUILD_EPOCH  # 2025-11-25
MEETING = {"postmortem_meeting": date(2025, 7, 1)}


def knowledge_base() -> dict[str, str]:
    return {
        "a.md": postmortem("Checkout down", "2025-03-10", severity="SEV1", extra={
            "customer_impact": "all", "revenue_lost": 12000,
            "detected_by": ["customer", "alert"], **MEETING}),
        "b.md": postmortem("Payments slow", "2025-04-02", extra={
            "customer_impact": "some", "revenue_lost": 0.5, "jira_epic": "OPS-<b>7</b>",
            **MEETING}),
        "c.md": postmortem("Search empty", "2025-05-20", severity="SEV3", extra={
            "customer_impact": "none", "detected_by": ["alert"], **MEETING}),
        "d.md": postmortem("Orders stuck", "2025-06-01", severity="SEV3", status="in-review",
                           extra={"detected_by": ["synthetic check"], **MEETING}),
    }  # fmt: skip


def built(root: Path, **options: object) -> Path:
    make_project(root, knowledge_base(), options={**OPTIONS, **options}, site=True)
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory.mktemp("custom"))


def card(root: Path, ident: str) -> str:
    page = read(root, f"incidents/{ident}/index.html")
    found = re.search(r'<dl class="pmkb-card__rows"[^>]*>(.*?)</dl>', page, re.S)
    assert found is not None
    return found[1]


def test_the_card_shows_the_fields_declared_for_it(site: Path) -> None:
    assert card(site, "a").endswith(
        "<dt>Customer impact</dt><dd>all</dd><dt>Revenue lost</dt><dd>12000</dd>"
    )
    assert card(site, "b").endswith(
        "<dt>Customer impact</dt><dd>some</dd><dt>Revenue lost</dt><dd>0.5</dd>"
    )
    # Not on the card: the epic, the list, the meeting; and nothing for a field not set.
    for ident in "abcd":
        rows = card(site, ident)
        assert "Jira epic" not in rows and "Detected by" not in rows and "meeting" not in rows
    assert "Customer impact" not in card(site, "d") and "Revenue lost" not in card(site, "c")
    # The line search indexes read the card by.
    assert "· Customer impact: all · Revenue lost: 12000</p>" in read(
        site, "incidents/a/index.html"
    )


def test_the_exports_have_a_column_per_field(site: Path) -> None:
    records = {r["id"]: r for r in json.loads(read(site, "incidents.json"))["incidents"]}
    custom = ["customer_impact", "revenue_lost", "jira_epic", "detected_by", "postmortem_meeting"]
    assert list(records["a"])[-6:] == ["url", *custom]
    assert [records["a"][k] for k in custom] == [
        "all", 12000, None, ["customer", "alert"], "2025-07-01",
    ]  # fmt: skip
    assert records["b"]["jira_epic"] == "OPS-<b>7</b>"
    assert records["b"]["revenue_lost"] == 0.5
    table = list(csv.reader(io.StringIO(read(site, "incidents.csv"))))
    assert table[0][-6:] == ["url", *custom]
    by_id = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert [by_id["a"][k] for k in custom] == ["all", "12000", "", "customer;alert", "2025-07-01"]
    assert by_id["d"]["customer_impact"] == ""


def test_a_text_field_is_escaped_on_the_card(tmp_path: Path) -> None:
    fields = {"jira_epic": {"type": "text", "card": True, "label": "Epic <i>"}}
    hostile = postmortem(
        "Checkout down", "2025-03-10", extra={"jira_epic": "<script>alert(1)</script>"}
    )
    make_project(tmp_path, {"a.md": hostile}, options={"custom_fields": fields}, site=True)
    assert build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    rows = card(tmp_path, "a")
    assert "<dt>Epic &lt;i&gt;</dt><dd>&lt;script&gt;alert(1)&lt;/script&gt;</dd>" in rows
    assert "<script>alert" not in read(tmp_path, "incidents/a/index.html")


def test_a_public_site_shows_only_the_fields_declared_public(tmp_path: Path) -> None:
    fields = {
        "customer_impact": {"type": "enum", "values": ["none", "some"], "card": True,
                            "public": True},
        "revenue_lost": {"type": "number", "card": True},
    }  # fmt: skip
    pm = postmortem(
        "Checkout down",
        "2025-03-10",
        extra={"visibility": "public", "customer_impact": "some", "revenue_lost": 31337},
        body=BODY + "\n## External summary\n\nCheckout failed for twenty minutes.\n",
    )
    options = {"custom_fields": fields, "audience": "public"}
    make_project(tmp_path, {"a.md": pm}, options=options, site=True, services=PUBLIC_SERVICES)
    result = build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    assert card(tmp_path, "a").endswith("<dt>Customer impact</dt><dd>some</dd>")
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".js", ".xml"):
            text = path.read_text("utf-8")
            assert "31337" not in text and "revenue_lost" not in text, path


def select(listing: str, name: str) -> list[tuple[str, str]]:
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', listing, re.S)
    assert found is not None, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found[1])


def marked(listing: str, name: str) -> dict[str, str]:
    """Each row's `data-<name>`, by the incident it links to."""
    return {
        ident: value
        for value, ident in re.findall(
            rf'<tr[^>]* data-{name}="([^"]*)"[^>]*>\s*<td[^>]*>[^<]*</td>\s*'
            r'<td[^>]*><a href="[^"]*/([^/"]+)/"',
            listing,
        )
    }


def test_the_incidents_table_filters_by_the_fields_declared_filters(site: Path) -> None:
    listing = read(site, "incidents/index.html")
    # An enum's values in the order declared, of those some incident has.
    assert select(listing, "customer_impact") == [
        ("", "All"), ("none", "none"), ("some", "some"), ("all", "all"),
    ]  # fmt: skip
    assert marked(listing, "customer_impact") == {"a": "all", "b": "some", "c": "none", "d": ""}
    # A list's items, alphabetically; a row lists its keys between spaces.
    assert select(listing, "detected_by") == [
        ("", "All"), ("alert", "alert"), ("customer", "customer"),
        ("synthetic%20check", "synthetic check"),
    ]  # fmt: skip
    assert marked(listing, "detected_by") == {
        "a": " customer alert ", "b": "  ", "c": " alert ", "d": " synthetic%20check ",
    }  # fmt: skip
    assert "<label>Customer impact<select" in listing
    # Not declared filters.
    assert '<select name="revenue_lost"' not in listing
    assert '<select name="jira_epic"' not in listing


def facets(site: Path) -> dict[str, tuple[str, list[list[object]]]]:
    script = read(site, "assets/pmkb/pmkb-search.js")
    found = re.search(r"const FACETS = (.*);", script)
    assert found is not None
    return {name: (label, values) for name, label, values in json.loads(found[1])}


def test_the_search_page_has_a_facet_per_filter_field(site: Path) -> None:
    found = facets(site)
    assert list(found)[-2:] == ["customer_impact", "detected_by"]
    assert found["customer_impact"] == ("Customer impact", [["none", 1], ["some", 1], ["all", 1]])
    assert found["detected_by"] == (
        "Detected by",
        [["alert", 2], ["customer", 1], ["synthetic check", 1]],
    )
    pages = {}
    for path in sorted((site / "site" / "search" / "index" / "d").glob("*.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        pages[page["url"]] = page["filters"]
    assert pages["incidents/a/"]["detected_by"] == ["customer", "alert"]
    assert pages["incidents/b/"]["customer_impact"] == ["some"]
    assert pages["incidents/d/"]["customer_impact"] == []
    assert "revenue_lost" not in pages["incidents/a/"]


def test_a_split_table_sends_the_facets_value(tmp_path: Path) -> None:
    root = built(tmp_path, listing_page_size=2)
    listing = read(root, "incidents/index.html")
    found = re.search(r'<select name="detected_by">(.*?)</select>', listing, re.S)
    assert found is not None
    options = re.findall(r'<option value="([^"]*)"(?: data-key="([^"]*)")?>', found[1])
    assert options == [
        ("", ""), ("alert", ""), ("customer", ""), ("synthetic check", "synthetic%20check"),
    ]  # fmt: skip
    # The search page knows each value the form sends.
    sent = {value for value, _ in options if value}
    assert sent == {value for value, _ in facets(root)["detected_by"][1]}


def test_no_field_takes_the_name_of_an_export_column_or_a_filter(
    tmp_path: Path, run: Runner
) -> None:
    names = [*export.FIELDS, *(name for name, _ in search_index.FACETS)]
    fields = {name: {"type": "text"} for name in names}
    make_project(tmp_path, {"a.md": FRONT + BODY}, options={"custom_fields": fields})
    result = run("check")
    assert result.code == 2
    for name in names:
        assert f"declares `{name}`, a key pmkb already reads or exports" in result.err, name


# ---------------------------------------------------------------------------------------------
# The example knowledge base

REPO = Path(__file__).resolve().parent.parent
GATEWAY = "2024-03-12-gateway-certificate-expired"


def test_the_example_shows_customer_impact(tmp_path: Path) -> None:
    for folder in ("docs", "postmortems"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    result = build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    assert card(tmp_path, GATEWAY).endswith("<dt>Customer impact</dt><dd>all</dd>")
    listing = read(tmp_path, "incidents/index.html")
    assert select(listing, "customer_impact") == [
        ("", "All"), ("none", "none"), ("some", "some"), ("all", "all"),
    ]  # fmt: skip
    values = marked(listing, "customer_impact")
    assert values[GATEWAY] == "all"
    assert sorted(v for v in values.values() if v) == [
        "all",
        "none",
        "some",
        "some",
        "some",
        "some",
    ]
    assert facets(tmp_path)["customer_impact"] == (
        "Customer impact",
        [["none", 1], ["some", 4], ["all", 1]],
    )


def test_odd_values_are_reported_or_kept_whole(tmp_path: Path, check_json: Runner) -> None:
    huge = "9" * 400
    make_project(
        tmp_path,
        {
            "a.md": with_keys(SET + "revenue_lost: .nan\n"),  # line 10
            "b.md": with_keys(SET + f"revenue_lost: {huge}\n"),
            "c.md": with_keys(SET + "detected_by: [alert, {a: b}, '  ']\n"),
        },
        options=OPTIONS,
    )
    result = check_json()
    # Past 100 digits YAML's number stays text (read.yamlread): reported, and quoted shortened.
    assert result.found == [
        (A, 10, 15, "PMK102", "error"),
        ("postmortems/b.md", 10, 15, "PMK102", "error"),
        ("postmortems/c.md", 10, 22, "PMK102", "error"),
        ("postmortems/c.md", 10, 30, "PMK102", "error"),
    ]
    assert result.messages[:2] == [
        "`revenue_lost` must be a number, not `nan`",
        f"`revenue_lost` must be a number, not `{'9' * 30}…{'9' * 29}`",
    ]


def test_filter_values_and_labels_are_escaped(tmp_path: Path) -> None:
    fields = {
        "detected_by": {"type": "list", "filter": True, "label": "<b>Detected</b>"},
        "revenue_lost": {"type": "number", "filter": True},
    }
    hostile = '"><img src=x onerror=alert(1)>'
    pm = postmortem(
        "Checkout down",
        "2025-03-10",
        extra={"detected_by": [hostile, "=cmd"], "revenue_lost": int("9" * 99)},
    )
    make_project(tmp_path, {"a.md": pm}, options={"custom_fields": fields}, site=True)
    result = build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    listing = read(tmp_path, "incidents/index.html")
    assert "<img src=x" not in listing and "<b>Detected" not in listing
    assert "<label>&lt;b&gt;Detected&lt;/b&gt;<select" in listing
    assert select(listing, "revenue_lost") == [("", "All"), ("9" * 99, "9" * 99)]
    assert [text for _, text in select(listing, "detected_by")][1:] == sorted(
        ["=cmd", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"]
    )
    assert facets(tmp_path)["detected_by"][1] == [[hostile, 1], ["=cmd", 1]]
    # A spreadsheet runs no formula from the export.
    table = list(csv.reader(io.StringIO(read(tmp_path, "incidents.csv"))))
    assert table[1][table[0].index("detected_by")].endswith(";'=cmd")


# ---------------------------------------------------------------------------------------------
# pmkb new


def test_new_writes_the_custom_fields_blank_with_what_they_take(
    tmp_path: Path, run: Runner
) -> None:
    make_project(tmp_path, options=OPTIONS)  # its mkdocs.yml lists the fields alphabetically
    args = ["Checkout errors", "--service", "checkout", "--factor", "config-change"]
    result = run("new", *args, "--severity", "SEV2", "--date", "2026-03-12")
    assert result.code == 0, result.err
    text = (tmp_path / "postmortems/2026/2026-03-12-checkout-errors.md").read_text("utf-8")
    assert (
        "resolved:  # YYYY-MM-DDTHH:MM:SSZ\n"
        "customer_impact:  # none | some | all; required from published\n"
        "detected_by:  # [..., ...]\n"
        "jira_epic:  # text\n"
        "postmortem_meeting:  # YYYY-MM-DD; required from in-review\n"
        "revenue_lost:  # a number\n"
        "action_items: []\n"
    ) in text
    # A draft may leave them blank; in review, the meeting is required.
    found = run("check", "--format", "json").data["findings"]
    assert [f for f in found if f["code"].startswith("PMK1")] == []  # the sections' guidance aside
    in_review = text.replace("status: draft", "status: in-review")
    (tmp_path / "postmortems/2026/2026-03-12-checkout-errors.md").write_text(
        in_review, "utf-8", newline="\n"
    )
    codes = [f["code"] for f in run("check", "--format", "json").data["findings"]]
    assert "PMK124" in codes


def test_public_view_keeps_only_the_public_fields(tmp_path: Path) -> None:
    fields = {
        "customer_impact": {"type": "enum", "values": ["none", "some"], "public": True},
        "revenue_lost": {"type": "number"},
    }
    settings = load_settings({"custom_fields": fields}, tmp_path)
    pm = Postmortem(
        id="a", path=tmp_path / "a.md", display="a.md", title="A", date=None, severity="SEV2",
        status="published", services=(), factors=(),
        custom=(("customer_impact", "some"), ("revenue_lost", 31337)),
    )  # fmt: skip
    assert public_view(pm, settings).custom == (("customer_impact", "some"),)
    assert public_view(pm, settings).custom_value("revenue_lost") is None
