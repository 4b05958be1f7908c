"""Recorded reviews: `reviewers` and `reviewed` checked by `pmkb check` (PMK121, PMK122, PMK209),
agreed on by `pmkb schema`, the `review_required_for` option validated; and on a built site the
header card, the incidents table's Review filter, the search page's facet, the trends page's time
to review and the exports.
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest

from helpers import (
    BODY,
    BODY_TEMPLATE,
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
from pmkb.read import validate

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
            # A near miss is reviewed by its severity too.
            "near-miss.md": with_keys("kind: near-miss\n"),
        },
        options=REQUIRED,
    )
    result = check_json()
    assert result.code == 1
    assert result.found == [
        (A, *STATUS, "PMK121", "error"),
        ("postmortems/b.md", *STATUS, "PMK121", "error"),
        ("postmortems/c.md", *STATUS, "PMK121", "error"),
        ("postmortems/near-miss.md", *STATUS, "PMK121", "error"),
    ]
    a, b, c, _ = result.messages
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
    assert f"{option_at(tmp_path, 'review_required_for')}: error PMK601 {message}" in (
        result.out + result.err
    )


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
    assert_schema_and_check_agree(run, SCHEMA_CASES)


# ---------------------------------------------------------------------------------------------
# A built site. The knowledge base (build date 2025-11-25; SEV1 and SEV2 must be reviewed):
#   R1 2025-01-10 SEV1 published, reviewed 2025-01-17 ( 7 days)
#   R2 2025-02-03 SEV2 published, reviewed 2025-02-13 (10 days)
#   R3 2025-03-05 SEV1 published, reviewed 2025-04-04 (30 days)
#   R4 2025-04-08 SEV2 published, reviewed 2025-04-12 ( 4 days)
#   R5 2025-05-20 SEV3 published, reviewed 2025-06-01 (12 days): not required, but recorded
#   NM 2025-05-05 SEV1 near miss, reviewed 2025-05-06 ( 1 day): in no figure of incidents
#   W1 2025-06-10 SEV2 in review, no review yet: awaiting one
#   S1 2025-06-15 SEV3 published, no review: none required
#   S2 2025-06-20 SEV3 published, reviewers but no day: no review recorded, none required
# Days to review per quarter of the incident (nearest-rank 90th percentile):
#   2025 Q1: 7, 10, 30 -> median 10, p90 30 (rank ceil(0.9 * 3) = 3)
#   2025 Q2: 4, 12     -> median 8 (the mean of the middle two), p90 12 (rank ceil(1.8) = 2)
#   overall: 4, 7, 10, 12, 30 -> median 10, p90 30 (rank ceil(4.5) = 5); with the near miss's
#   1 day it would be a median of 8.5.

EPOCH = BUILD_EPOCH  # 2025-11-25
R1, R2, R3, R4, R5 = (f"2025-0{m}-review-{n}" for n, m in enumerate((1, 2, 3, 4, 5), 1))
NM, W1, S1 = "2025-05-near-miss", "2025-06-awaiting", "2025-06-not-required"
S2 = "2025-06-names-only"


def reviewed(day: str, reviewers: list[str] | None = None) -> dict[str, object]:
    return {"reviewers": reviewers or ["Ines Carvalho"], "reviewed": date.fromisoformat(day)}


def knowledge_base() -> dict[str, str]:
    return {
        f"{R1}.md": postmortem("Checkout down", "2025-01-10", severity="SEV1",
                               extra=reviewed("2025-01-17", ["Ines Carvalho", "Daniel Okafor"])),
        f"{R2}.md": postmortem("Payments slow", "2025-02-03", severity="SEV2",
                               extra=reviewed("2025-02-13")),
        f"{R3}.md": postmortem("Search empty", "2025-03-05", severity="SEV1",
                               extra=reviewed("2025-04-04")),
        f"{R4}.md": postmortem("Orders stuck", "2025-04-08", severity="SEV2",
                               extra=reviewed("2025-04-12")),
        f"{R5}.md": postmortem("Slow images", "2025-05-20", severity="SEV3",
                               extra=reviewed("2025-06-01")),
        f"{NM}.md": postmortem("Certificate renewed in time", "2025-05-05", severity="SEV1",
                               extra={"kind": "near-miss", **reviewed("2025-05-06")}),
        f"{W1}.md": postmortem("Checkout errors", "2025-06-10", severity="SEV2",
                               status="in-review"),
        f"{S1}.md": postmortem("Slow search", "2025-06-15", severity="SEV3"),
        f"{S2}.md": postmortem("Slow basket", "2025-06-20", severity="SEV3",
                               extra={"reviewers": ["Ines Carvalho"]}),
    }  # fmt: skip


def built(root: Path, **options: object) -> Path:
    make_project(
        root, knowledge_base(), options={**REQUIRED, **options}, mkdocs=SITE_URL, site=True
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


SITE_URL = {"site_url": "https://kb.example/"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory.mktemp("reviews"))


def text(fragment: str) -> str:
    """HTML as a reader sees it: tags dropped, entities read, spaces collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(table: str) -> list[list[str]]:
    return [
        [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def test_the_card_shows_who_reviewed_and_when(site: Path) -> None:
    card = read(site, f"incidents/{R1}/index.html")
    assert "<dt>Reviewed</dt><dd>by Ines Carvalho, Daniel Okafor on 2025-01-17</dd></dl>" in card
    # The line search indexes read the card by.
    assert "· Reviewed by Ines Carvalho, Daniel Okafor on 2025-01-17</p>" in card
    for unreviewed in (W1, S1):
        assert "<dt>Reviewed</dt>" not in read(site, f"incidents/{unreviewed}/index.html")


def test_the_incidents_table_filters_reviewed_and_awaiting(site: Path) -> None:
    listing = read(site, "incidents/index.html")
    select = re.search(r'<select name="review"[^>]*>(.*?)</select>', listing, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1])
    assert options == [("", "All"), ("reviewed", "Reviewed"), ("awaiting", "Awaiting review")]
    marked = dict(
        (ident, review)
        for review, ident in re.findall(
            r'data-review="([^"]*)">\s*<td[^>]*>[^<]*</td>\s*<td[^>]*><a href="[^"]*/([^/"]+)/"',
            listing,
        )
    )
    assert marked == {
        R1: "reviewed", R2: "reviewed", R3: "reviewed", R4: "reviewed", R5: "reviewed",
        NM: "reviewed", W1: "awaiting", S1: "", S2: "",
    }  # fmt: skip


def test_no_review_filter_until_there_is_something_to_filter(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": postmortem("Checkout down", "2025-01-10")}, site=True)
    assert build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    listing = read(tmp_path, "incidents/index.html")
    assert '<select name="severity"' in listing
    assert '<select name="review"' not in listing


def facets(site: Path) -> dict[str, list[list[object]]]:
    script = read(site, "assets/pmkb/pmkb-search.js")
    found = re.search(r"const FACETS = (.*);", script)
    assert found is not None
    return {name: values for name, _, values in json.loads(found[1])}


def test_the_search_page_has_the_same_review_facet(site: Path) -> None:
    # Drafts are not indexed, but the incident in review is.
    assert facets(site)["review"] == [["Reviewed", 6], ["Awaiting review", 1]]
    found = json.loads(read(site, "search/index/f/review.json"))
    pages = {}
    for path in sorted((site / "site" / "search" / "index" / "d").glob("*.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        pages[page["url"]] = page["filters"].get("review")
    assert pages[f"incidents/{W1}/"] == ["Awaiting review"]
    assert pages[f"incidents/{R1}/"] == ["Reviewed"]
    assert pages[f"incidents/{S1}/"] == []
    assert sorted(found) == ["Awaiting review", "Reviewed"]


def test_a_split_table_sends_the_facets_value(tmp_path: Path) -> None:
    root = built(tmp_path, listing_page_size=3)
    listing = read(root, "incidents/index.html")
    select = re.search(r'<select name="review">(.*?)</select>', listing, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"(?: data-key="([^"]*)")?>', select[1])
    assert options == [("", ""), ("Reviewed", "reviewed"), ("Awaiting review", "awaiting")]
    # The search page knows each value the form sends.
    assert {value for value, _ in facets(root)["review"]} == {"Reviewed", "Awaiting review"}


def test_the_trends_page_shows_days_to_review_per_quarter(site: Path) -> None:
    html = read(site, "trends/index.html")
    section = html[html.index('id="time-to-review"') : html.index('id="contributing-factors')]
    assert (
        "The days from an incident's date to its review ( reviewed ), for the published "
        "incidents that record one: 5 of 7."
    ) in text(section)
    assert (
        "Days from incident to published review per quarter, by the quarter of the incident; "
        "quarters without a reviewed incident are left out. All reviewed incidents: median 10 "
        "days, 90th percentile 30 days (5 incidents)."
    ) in text(section)
    table = re.search(r'<details class="pmkb-data">.*?</details>', section, re.S)
    assert table is not None
    assert rows(table[0]) == [
        ["Quarter", "Reviewed incidents", "Median", "90th percentile"],
        ["2025 Q1", "3", "10 days", "30 days"],
        ["2025 Q2", "2", "8 days", "12 days"],
    ]
    # The bars' tooltips say the same.
    tooltips = re.findall(r"<title>(2025 Q[^<]*)</title>", section)
    assert tooltips == [
        "2025 Q1: 10 d median",
        "2025 Q1: 30 d 90th percentile",
        "2025 Q2: 8 d median",
        "2025 Q2: 12 d 90th percentile",
    ]


def test_the_trends_page_says_how_to_record_reviews(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": postmortem("Checkout down", "2025-01-10")}, site=True)
    assert build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    assert (
        "No published incident records when it was reviewed: add reviewers and reviewed to a "
        "postmortem's front matter to chart the time from incident to review."
    ) in text(read(tmp_path, "trends/index.html"))


def test_exports_carry_the_review(site: Path) -> None:
    records = {r["id"]: r for r in json.loads(read(site, "incidents.json"))["incidents"]}
    assert (records[R1]["reviewers"], records[R1]["reviewed"]) == (
        ["Ines Carvalho", "Daniel Okafor"],
        "2025-01-17",
    )
    assert (records[S1]["reviewers"], records[S1]["reviewed"]) == ([], None)
    rows_ = {r["id"]: r for r in csv.DictReader(io.StringIO(read(site, "incidents.csv")))}
    assert (rows_[R1]["reviewers"], rows_[R1]["reviewed"]) == (
        "Ines Carvalho;Daniel Okafor",
        "2025-01-17",
    )
    assert (rows_[S1]["reviewers"], rows_[S1]["reviewed"]) == ("", "")


EXTERNAL_SUMMARY = """
## External summary

Some customers could not check out for half an hour.
"""


def test_a_public_site_names_no_reviewer(tmp_path: Path) -> None:
    # Reviewers are people of the company, as authors are: internal, whatever the postmortem.
    public = postmortem(
        "Checkout down",
        "2025-01-10",
        severity="SEV1",
        extra={"visibility": "public", **reviewed("2025-01-17", ["Quentin Reviewerson"])},
        body=EXTERNAL_SUMMARY + BODY_TEMPLATE.format(summary="Internal summary."),
    )
    services = {**SITE_SERVICES, "checkout": {**SITE_SERVICES["checkout"], "visibility": "public"}}
    make_project(
        tmp_path,
        {"a.md": public},
        services=services,
        options={**REQUIRED, "audience": "public"},
        mkdocs=SITE_URL,
        site=True,
    )
    result = build(tmp_path, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    assert "Some customers could not check out" in read(tmp_path, "incidents/a/index.html")
    leaked = [
        path.relative_to(tmp_path / "site").as_posix()
        for path in sorted((tmp_path / "site").rglob("*"))
        if path.is_file() and b"Reviewerson" in path.read_bytes()
    ]
    assert leaked == []
