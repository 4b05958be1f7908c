"""Near misses on built sites and in `pmkb stats`: the same knowledge base is built twice, once
with two of its postmortems marked `kind: near-miss` and once without the mark, and every
figure a reader sees must leave the near misses out in the first and count them in the second.

The knowledge base (build date 2025-11-25); minutes to detect / mitigate / resolve:
  A  2025-01-10 SEV1 checkout           config-change    5 /  30 /  60
  B  2025-02-10 SEV2 payments           missing-alert   10 /  40 /  90
  N1 2025-02-20 SEV1 checkout,payments  config-change  300 / 600 / 900  (near miss)
  C  2025-03-10 SEV3 checkout           config-change   20 /  50 / 120
  N2 2025-03-20 SEV2 payments           missing-alert   (no times)       (near miss)
Counted as incidents, N1 makes config-change recur (3 within 90 days) and N1's 300 minutes
to detect move every percentile.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml

from helpers import (
    BODY,
    BUILD_EPOCH,
    FRONT,
    SITE_FACTORS,
    SITE_SERVICES,
    Runner,
    as_json,
    build,
    make_project,
    postmortem,
    read,
)
from pmkb.read.yamlread import load_located
from pmkb.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
EPOCH = BUILD_EPOCH  # 2025-11-25

A, B, C = "2025-01-10-checkout-down", "2025-02-10-payments-slow", "2025-03-10-checkout-slow"
N1, N2 = "2025-02-20-certificate-renewed-in-time", "2025-03-20-payments-alert-caught"
TITLES = {
    A: "Checkout down after a config push",
    B: "Payments slow without an alert",
    C: "Checkout slow after a config change",
    N1: "Certificate renewed two days before expiry",
    N2: "Payments alert caught a bad deploy in canary",
}


def times(day: str, detect: int, mitigate: int, resolve: int) -> dict[str, datetime]:
    """Impact from 10:00 UTC on `day`, detected, mitigated and resolved that many minutes later."""
    start = datetime.fromisoformat(f"{day}T10:00:00+00:00")
    after = {"started": 0, "detected": detect, "mitigated": mitigate, "resolved": resolve}
    return {name: start + timedelta(minutes=m) for name, m in after.items()}


NO_TIMES = dict.fromkeys(("started", "detected", "mitigated", "resolved"))


def knowledge_base(near_misses: bool) -> dict[str, str]:
    """The postmortems; with `near_misses`, N1 and N2 say `kind: near-miss`."""
    kind = {"kind": "near-miss"} if near_misses else {}
    overdue = {"title": "Alert 45 days before a vendor certificate expires", "owner": "team-payments",
               "status": "open", "due": "2025-03-01"}  # fmt: skip
    return {
        f"2025/{A}.md": postmortem(
            TITLES[A], "2025-01-10", services=["checkout"], factors=["config-change"],
            severity="SEV1", extra=times("2025-01-10", 5, 30, 60),
        ),
        f"2025/{B}.md": postmortem(
            TITLES[B], "2025-02-10", services=["payments"], factors=["missing-alert"],
            severity="SEV2", extra=times("2025-02-10", 10, 40, 90),
        ),
        f"2025/{N1}.md": postmortem(
            TITLES[N1], "2025-02-20", services=["checkout", "payments"], factors=["config-change"],
            severity="SEV1",
            extra={**kind, **times("2025-02-20", 300, 600, 900), "action_items": [overdue]},
        ),
        f"2025/{C}.md": postmortem(
            TITLES[C], "2025-03-10", services=["checkout"], factors=["config-change"],
            severity="SEV3", extra=times("2025-03-10", 20, 50, 120),
        ),
        f"2025/{N2}.md": postmortem(
            TITLES[N2], "2025-03-20", services=["payments"], factors=["missing-alert"],
            severity="SEV2", extra={**kind, **NO_TIMES},
        ),
    }  # fmt: skip


def built(root: Path, near_misses: bool) -> Path:
    make_project(
        root, knowledge_base(near_misses), services=SITE_SERVICES, factors=SITE_FACTORS, site=True
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def near(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site with N1 and N2 as near misses."""
    return built(tmp_path_factory.mktemp("near-misses"), near_misses=True)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site with N1 and N2 as incidents."""
    return built(tmp_path_factory.mktemp("counted"), near_misses=False)


def text(fragment: str) -> str:
    """HTML as a reader sees it: tags dropped, entities read, spaces collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page(root: Path, path: str) -> str:
    """The article of a built page, as text."""
    html = read(root, path)
    return text(html[html.index("<article") : html.index("</article>")])


def rows(table: str) -> list[list[str]]:
    """The rows of an HTML table, each a list of its cells' text."""
    return [
        [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def data_table(html: str, first_header: str) -> list[list[str]]:
    """The data table of a chart, found by its first column's header."""
    for table in re.findall(r'<details class="pmkb-data">.*?</details>', html, re.S):
        found = rows(table)
        if found[0][0] == first_header:
            return found
    raise AssertionError(f"no data table headed {first_header}")


# ---------------------------------------------------------------------------------------------
# The trends page


def test_trends_lead_counts_near_misses_apart(near: Path, counted: Path) -> None:
    assert page(near, "trends/index.html").startswith(
        "Trends 3 published incidents from 2025-01-10 to 2025-03-10, and 2 near misses counted "
        "apart."
    )
    assert page(counted, "trends/index.html").startswith(
        "Trends 5 published incidents from 2025-01-10 to 2025-03-20. What keeps"
    )


def test_volume_by_severity_leaves_near_misses_out(near: Path, counted: Path) -> None:
    header = ["Month", "SEV1", "SEV2", "SEV3", "SEV4", "Total"]
    assert data_table(read(near, "trends/index.html"), "Month") == [
        header,
        ["2025-01", "1", "0", "0", "0", "1"],
        ["2025-02", "0", "1", "0", "0", "1"],
        ["2025-03", "0", "0", "1", "0", "1"],
    ]
    assert data_table(read(counted, "trends/index.html"), "Month") == [
        header,
        ["2025-01", "1", "0", "0", "0", "1"],
        ["2025-02", "1", "1", "0", "0", "2"],
        ["2025-03", "0", "1", "1", "0", "2"],
    ]


def test_time_to_detect_mitigate_and_resolve_leave_near_misses_out(
    near: Path, counted: Path
) -> None:
    trends = page(near, "trends/index.html")
    for name, median, p90 in (("detect", "10 min", "20 min"), ("mitigate", "40 min", "50 min"),
                              ("resolve", "1 h 30 min", "2 h 00 min")):  # fmt: skip
        assert (
            f"Time to {name} per quarter: median and 90th percentile, on a logarithmic scale. "
            f"All incidents: median {median}, 90th percentile {p90} (3 incidents)."
        ) in trends
    assert "All incidents: median 15 min, 90th percentile 5 h 00 min (4 incidents)." in page(
        counted, "trends/index.html"
    )


def test_recurring_factors_and_services_count_incidents_only(near: Path, counted: Path) -> None:
    assert "No factor has recurred within the window." in page(near, "trends/index.html")
    assert "Configuration change 3 incidents between 2025-01-10 and 2025-03-10" in page(
        counted, "trends/index.html"
    )
    service = ["Service", "Incidents"]
    assert data_table(read(near, "trends/index.html"), "Service") == [
        service, ["Checkout", "2"], ["Payments", "1"]
    ]  # fmt: skip
    assert data_table(read(counted, "trends/index.html"), "Service") == [
        service, ["Checkout", "3"], ["Payments", "3"]
    ]  # fmt: skip


def test_trends_page_lists_the_near_misses(near: Path, counted: Path) -> None:
    html = read(near, "trends/index.html")
    section = html[html.index('<h2 id="near-misses"') : html.index("</article>")]
    assert text(section).startswith(
        "Near misses 2 near misses from 2025-02-20 to 2025-03-20: caught before they reached "
        "users. They count in none of the figures above, which are of incidents;"
    )
    assert [r[:3] for r in rows(section)[1:]] == [
        ["2025-03-20", TITLES[N2], "SEV2"],
        ["2025-02-20", TITLES[N1], "SEV1"],
    ]
    assert f'href="../incidents/{N1}/"' in section
    assert "No near miss is recorded." in page(counted, "trends/index.html")


# ---------------------------------------------------------------------------------------------
# Service and factor pages


def card(root: Path, path: str) -> str:
    """The header card of a built page, as text."""
    found = re.search(r'<div class="pmkb-card">.*?</div>', read(root, path), re.S)
    assert found is not None
    return text(found.group(0))


def test_service_page_counts_near_misses_apart(near: Path, counted: Path) -> None:
    assert card(near, "services/payments/index.html").endswith(
        "Incidents SEV1 0 SEV2 1 SEV3 0 SEV4 0 Near misses 2"
    )
    assert card(counted, "services/payments/index.html").endswith(
        "Incidents SEV1 1 SEV2 2 SEV3 0 SEV4 0"
    )
    payments = page(near, "services/payments/index.html")
    assert "2 near misses on this service: caught before they reached users" in payments
    html = read(near, "services/payments/index.html")
    incidents = html[html.index('id="incidents"') : html.index('id="near-misses"')]
    assert [r[1] for r in rows(incidents)[1:]] == [TITLES[B]]
    assert [r[1] for r in rows(html[html.index('id="near-misses"') :])[1:]] == [
        TITLES[N2], TITLES[N1]
    ]  # fmt: skip
    assert "near miss" not in page(counted, "services/payments/index.html")


def test_factor_page_counts_near_misses_apart(near: Path, counted: Path) -> None:
    assert card(near, "factors/config-change/index.html").endswith("Incidents 2 Near misses 1")
    assert card(counted, "factors/config-change/index.html").endswith("Incidents 3")
    factor = page(near, "factors/config-change/index.html")
    assert "1 near miss on this factor: caught before it reached users" in factor
    # Services it touched: incidents only (N1 alone names payments with this factor).
    assert "Services it touched Checkout 2 Factors it occurs with" in factor
    assert "Services it touched Checkout 3 Payments 1" in page(
        counted, "factors/config-change/index.html"
    )


# ---------------------------------------------------------------------------------------------
# The near miss's own page, the other pages, the exports


def test_near_miss_card_says_near_miss_and_shows_no_durations(near: Path, counted: Path) -> None:
    html = read(near, f"incidents/{N1}/index.html")
    assert '<span class="pmkb-kind pmkb-kind--near-miss">Near miss</span>' in html
    shown = card(near, f"incidents/{N1}/index.html")
    assert shown.startswith(
        "Near miss SEV1 Date 2025-02-20 Impact None A near miss: caught before it reached users. "
        "It has no time to detect, mitigate or resolve, and counts in no incident figure."
    )
    assert "Time to detect" not in shown
    assert card(counted, f"incidents/{N1}/index.html").startswith(
        "SEV1 Date 2025-02-20 Duration 15 h 00 min Time to detect 5 h 00 min"
    )
    assert "Near miss" not in read(counted, f"incidents/{N1}/index.html")


def test_near_miss_action_items_are_followed_up(near: Path) -> None:
    actions = page(near, "action-items/index.html")
    assert "Alert 45 days before a vendor certificate expires" in actions
    assert "1 open or in-progress item past its due date" in actions


def test_listing_and_exports_keep_near_misses_without_durations(near: Path) -> None:
    listing = read(near, "incidents/index.html")
    assert re.search(f'href="[^"]*/{N1}/"', listing) and re.search(f'href="[^"]*/{N2}/"', listing)
    records = {r["id"]: r for r in json.loads(read(near, "incidents.json"))["incidents"]}
    assert len(records) == 5
    assert {key: records[N1][key] for key in ("minutes_to_detect", "minutes_to_mitigate",
            "minutes_to_resolve", "minutes_from")} == dict.fromkeys(
        ("minutes_to_detect", "minutes_to_mitigate", "minutes_to_resolve", "minutes_from")
    )  # fmt: skip
    assert records[A]["minutes_to_detect"] == 5


# ---------------------------------------------------------------------------------------------
# pmkb stats


def test_stats_count_near_misses_apart(
    near: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    figures = json.loads(run("stats", "--format", "json", cwd=near).out)
    assert {
        k: figures[k] for k in ("published", "near_misses", "first", "last", "by_severity")
    } == {
        "published": 3,
        "near_misses": 2,
        "first": "2025-01-10",
        "last": "2025-03-10",
        "by_severity": {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 0},
    }
    assert figures["minutes"]["detect"] == {"count": 3, "median": 10.0, "p90": 20.0}
    assert figures["recurring_factors"] == []
    assert figures["action_items"]["overdue"] == 1  # the near miss's item
    lines = run("stats", cwd=near).out.splitlines()
    assert lines[:3] == [
        "Published incidents  3 of 5 postmortems (2025-01-10 to 2025-03-10), 2 near misses, 0 draft(s) held",
        "                     back",
        "By severity          SEV1 1, SEV2 1, SEV3 1, SEV4 0",
    ]


def test_the_example_records_its_near_miss(run: Runner) -> None:
    figures = json.loads(run("stats", "--format", "json", cwd=REPO).out)
    assert figures["near_misses"] == 1
    front = (REPO / "postmortems/2026/2026-01-20-payments-cert-renewal-near-miss.md").read_text(
        encoding="utf-8"
    )
    meta = yaml.safe_load(front.split("---\n")[1])
    assert meta["kind"] == "near-miss"
    assert not {"started", "detected", "mitigated", "resolved"} & set(meta)


# ---------------------------------------------------------------------------------------------
# The schema agrees with the check, and the documented configuration does what it says


@pytest.mark.parametrize(
    ("line", "valid"),
    [
        ("kind: near-miss\n", True),
        ("kind: incident\n", True),
        ("kind:\n", True),
        ("kind: near miss\n", False),
        ("kind: Near-miss\n", False),
        ("kind: 1\n", False),
        ("kind: [near-miss]\n", False),
    ],
)
def test_schema_and_check_agree_on_kind(
    tmp_path: Path, run: Runner, line: str, valid: bool
) -> None:
    front = FRONT.removesuffix("---\n") + line
    make_project(tmp_path, files={"postmortems/a.md": front + "---\n" + BODY})
    schema = json.loads(run("schema").out)
    validator = jsonschema.Draft7Validator(schema)
    meta = as_json(load_located(front.removeprefix("---\n")))
    assert validator.is_valid(meta) is valid
    errors = [f for f in run("check", "--format", "json").data["findings"] if f["level"] == "error"]
    assert (errors == []) is valid, errors


def test_documented_required_sections_do_what_the_reference_says(tmp_path: Path) -> None:
    reference = (REPO / "docs/reference.md").read_text(encoding="utf-8")
    section = reference[reference.index("## Required sections\n") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    (entry,) = yaml.safe_load(block.group(1))["plugins"]
    settings = load_settings(entry["pmkb"], tmp_path)
    every = ("Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned")
    three = ("Summary", "Timeline", "Lessons learned")
    assert settings.sections_required("incident", "SEV1") == every
    assert settings.sections_required("incident", "SEV4") == three
    assert settings.sections_required("near-miss", "SEV1") == three


def test_services_and_factors_listings_count_near_misses_in_a_column_of_their_own(
    near: Path, counted: Path
) -> None:
    def table(root: Path, path: str) -> dict[str, list[str]]:
        html = read(root, path)
        return {r[0]: r[1:] for r in rows(html[html.index("<table") : html.index("</table>")])}

    services = table(near, "services/index.html")
    assert services["Service"][-3:] == ["Incidents", "Last incident", "Near misses"]
    # Checkout: A and C, and N1 apart; Payments: B, and N1 and N2 apart, its last incident B's.
    assert services["Checkout"][-3:] == ["2", "2025-03-10", "1"]
    assert services["Payments"][-3:] == ["1", "2025-02-10", "2"]
    assert table(counted, "services/index.html")["Payments"][-2:] == ["3", "2025-03-20"]
    assert "Near misses" not in read(counted, "services/index.html")
    factors = read(near, "factors/index.html")
    assert '<th class="pmkb-num">Near misses</th>' in factors
    assert "Near misses" not in read(counted, "factors/index.html")
