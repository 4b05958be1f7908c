"""Trend pages, action-item tracking and the exports, checked against figures worked out by hand.

Every expected number below was computed by hand from the definitions in the docstrings of
pmkb.analyse.trends, pmkb.analyse.analysis and pmkb.site.export; none is computed by calling the code under test.
The sites are built with SOURCE_DATE_EPOCH=1764028800, so the build's "today" is 2025-11-25.
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    BODY_TEMPLATE,
    BUILD_EPOCH,
    SITE_FACTORS,
    Runner,
    build,
    make_project,
    postmortem,
    read,
)
from pmkb.analyse.stats import format_figures
from pmkb.analyse.trends import Distribution, percentile, periods, recurrences, window
from pmkb.model import ActionItem, Postmortem
from pmkb.site.pages.text import ticket

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REPO = Path(__file__).resolve().parent.parent
EPOCH = BUILD_EPOCH  # 2025-11-25T00:00:00Z
SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------------------------------------
# Helpers


def pm(ident: str, day: str, factors: tuple[str, ...] = ("config-change",)) -> Postmortem:
    """A bare published postmortem for the pure functions of pmkb.analyse.trends."""
    return Postmortem(
        id=ident, path=Path(f"{ident}.md"), display=f"{ident}.md", title=ident,
        date=date.fromisoformat(day), severity="SEV2", status="published",
        services=("checkout",), factors=factors,
    )  # fmt: skip


def t(text: str) -> datetime:
    """An aware date-time for front matter; a bare `YYYY-MM-DDTHH:MM` is UTC."""
    return datetime.fromisoformat(text if "+" in text[10:] else text + "+00:00")


def times(started: str, detected: str, mitigated: str, resolved: str) -> dict[str, datetime]:
    return {
        "started": t(started),
        "detected": t(detected),
        "mitigated": t(mitigated),
        "resolved": t(resolved),
    }


def item(title: str, owner: str, status: str, due: str | None = None) -> dict[str, str]:
    found = {"title": title, "owner": owner, "status": status}
    if due:
        found["due"] = due
    return found


def svgs(html: str) -> list[str]:
    """pmkb's charts on a page (the theme's icons are SVG too, without a pmkb-svg class)."""
    return [s for s in re.findall(r"<svg\b.*?</svg>", html, re.S) if 'class="pmkb-svg"' in s[:300]]


def all_svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[str]:
    """The titles of the data bars: rects with a pmkb-fill class and a nested <title>."""
    found = []
    for rect in root.iter(f"{SVG}rect"):
        classes = rect.get("class", "").split()
        title = rect.find(f"{SVG}title")
        if any(c.startswith("pmkb-fill") for c in classes) and title is not None:
            found.append(title.text or "")
    return found


def check_bar_geometry(root: ET.Element) -> None:
    """Every data bar lies inside the chart's view box and has a positive size."""
    _, _, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    for rect in root.iter(f"{SVG}rect"):
        if rect.find(f"{SVG}title") is None:
            continue
        x, y = float(rect.get("x", "nan")), float(rect.get("y", "nan"))
        w, h = float(rect.get("width", "nan")), float(rect.get("height", "nan"))
        assert w > 0 and h > 0, rect.attrib
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, rect.attrib


def chart_text(root: ET.Element, tag: str) -> str:
    child = root.find(f"{SVG}{tag}")
    assert child is not None, f"no <{tag}> in the chart"
    return child.text or ""


def section(html: str, start_id: str, end_id: str) -> str:
    """The HTML between two headings, found by their ids."""
    match = re.search(rf'id="{start_id}".*?id="{end_id}"', html, re.S)
    assert match is not None, (start_id, end_id)
    return match.group(0)


def recurring(html: str) -> str:
    """The inside of the trends page's list of recurring factors."""
    match = re.search(r'<ul class="pmkb-recurring">(.*)</ul>', html, re.S)
    assert match is not None
    return match.group(1)


def cells(row: str) -> list[str]:
    return [
        htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]


def lead(html: str) -> str:
    """The text of a generated page's lead paragraph."""
    match = re.search(r'<p class="pmkb-lead">(.*?)</p>', html, re.S)
    assert match is not None
    return htmllib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def table_rows(fragment: str) -> list[list[str]]:
    return [cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)]


# ---------------------------------------------------------------------------------------------
# percentile(), Distribution.of, periods()


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # The textbook nearest-rank example.
        ([15, 20, 35, 40, 50], 0, 15),
        ([15, 20, 35, 40, 50], 5, 15),
        ([15, 20, 35, 40, 50], 30, 20),
        ([15, 20, 35, 40, 50], 40, 20),
        ([15, 20, 35, 40, 50], 50, 35),
        ([15, 20, 35, 40, 50], 100, 50),
        # Unsorted input; 90% of 4 values is 3.6, so rank 4.
        ([40, 10, 30, 20], 90, 40),
        ([40, 10, 30, 20], 50, 20),
        # 90% of 10 values is exactly rank 9; of 11 values, 9.9, so rank 10.
        (list(range(1, 11)), 90, 9),
        (list(range(1, 12)), 90, 10),
        (list(range(1, 21)), 90, 18),
        (list(range(1, 31)), 10, 3),
        ([7], 90, 7),
    ],
)
def test_percentile_is_nearest_rank(values: list[int], p: float, expected: int) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (list(range(1, 101)), 7, 7),  # 7% of 100 values is exactly 7 values
        (list(range(1, 51)), 14, 7),  # 14% of 50 is exactly 7
        (list(range(1, 26)), 28, 7),  # 28% of 25 is exactly 7
    ],
)
def test_percentile_whole_rank_is_not_rounded_up(
    values: list[int], p: float, expected: int
) -> None:
    assert percentile(values, p) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([30, 5, 12], Distribution(3, 12.0, 30.0)),  # odd: the middle value
        ([40, 10, 30, 20], Distribution(4, 25.0, 40.0)),  # even: mean of the two middle values
        ([2, 6, 14, 90], Distribution(4, 10.0, 90.0)),
        (list(range(1, 11)), Distribution(10, 5.5, 9.0)),
        (list(range(1, 12)), Distribution(11, 6.0, 10.0)),
        ([7], Distribution(1, 7.0, 7.0)),
        ([], Distribution(0, None, None)),
    ],
)
def test_distribution_count_median_and_p90(values: list[int], expected: Distribution) -> None:
    assert Distribution.of(values) == expected


def labels(spans: list[Any]) -> list[str]:
    return [p.label for p in spans]


def test_periods_are_monthly_with_gaps_and_cross_the_year() -> None:
    incidents = [pm("b", "2025-02-03"), pm("a", "2024-11-20")]
    assert labels(periods(incidents)) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [p.start for p in periods(incidents)] == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1),
    ]  # fmt: skip


def test_periods_of_one_incident_and_of_none() -> None:
    assert labels(periods([pm("a", "2024-06-30")])) == ["2024-06"]
    assert periods([]) == []


def test_periods_stay_monthly_for_exactly_three_years() -> None:
    # 2021-01-01 to 2024-01-01 is 1095 days: three years, not more.
    found = periods([pm("a", "2021-01-01"), pm("b", "2024-01-01")])
    assert len(found) == 37
    assert labels(found)[:2] == ["2021-01", "2021-02"] and labels(found)[-1] == "2024-01"
    assert not any(p.quarterly for p in found)


def test_periods_turn_quarterly_past_three_years() -> None:
    # 1096 days: one day past three years.
    found = periods([pm("a", "2021-01-01"), pm("b", "2024-01-02"), pm("c", "2022-05-05")])
    assert labels(found) == [
        "2021 Q1", "2021 Q2", "2021 Q3", "2021 Q4", "2022 Q1", "2022 Q2", "2022 Q3",
        "2022 Q4", "2023 Q1", "2023 Q2", "2023 Q3", "2023 Q4", "2024 Q1",
    ]  # fmt: skip
    assert found[5].start == date(2022, 4, 1)


def test_periods_quarterly_on_request() -> None:
    found = periods([pm("a", "2024-02-10"), pm("b", "2024-12-31"), pm("c", "2025-01-01")], True)
    assert labels(found) == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4", "2025 Q1"]


# ---------------------------------------------------------------------------------------------
# recurrences()


def episodes(found: list[Any]) -> list[tuple[str, list[str], str, str]]:
    return [
        (r.factor, [p.id for p in r.incidents], r.first.isoformat(), r.last.isoformat())
        for r in found
    ]


def test_three_incidents_within_ninety_days_are_one_episode() -> None:
    # 2024-01-01 to 2024-03-31 is 31 + 29 + 30 = 90 days: within the window.
    incidents = [pm("a", "2024-01-01"), pm("b", "2024-02-15"), pm("c", "2024-03-31")]
    assert episodes(recurrences(incidents, 3, 90)) == [
        ("config-change", ["a", "b", "c"], "2024-01-01", "2024-03-31")
    ]


def test_three_incidents_spread_over_ninety_one_days_are_no_episode() -> None:
    # 2024-01-01 to 2024-04-01 is 31 + 29 + 31 = 91 days.
    incidents = [pm("a", "2024-01-01"), pm("b", "2024-02-15"), pm("c", "2024-04-01")]
    assert recurrences(incidents, 3, 90) == []
    # Two incidents are never enough with the default count.
    assert recurrences([pm("a", "2024-01-01"), pm("b", "2024-01-02")], 3, 90) == []


def test_overlapping_windows_merge_into_one_episode() -> None:
    # a-c span 79 days and b-d span 79 days; the windows share b and c: one episode of four.
    incidents = [
        pm("d", "2024-04-29"), pm("a", "2024-01-01"), pm("c", "2024-03-20"), pm("b", "2024-02-10"),
    ]  # fmt: skip
    assert episodes(recurrences(incidents, 3, 90)) == [
        ("config-change", ["a", "b", "c", "d"], "2024-01-01", "2024-04-29")
    ]


def test_separate_episodes_stay_separate_newest_first() -> None:
    incidents = [
        pm("a", "2024-01-01"), pm("b", "2024-01-15"), pm("c", "2024-02-01"),
        pm("d", "2024-09-01"), pm("e", "2024-09-10"), pm("f", "2024-09-20"),
    ]  # fmt: skip
    assert episodes(recurrences(incidents, 3, 90)) == [
        ("config-change", ["d", "e", "f"], "2024-09-01", "2024-09-20"),
        ("config-change", ["a", "b", "c"], "2024-01-01", "2024-02-01"),
    ]


def test_recurrence_is_per_factor() -> None:
    incidents = [
        pm("a", "2024-01-01", ("config-change", "missing-alert")),
        pm("b", "2024-01-20", ("missing-alert",)),
        pm("c", "2024-02-01", ("config-change", "missing-alert")),
        pm("d", "2024-02-02", ("traffic-surge",)),
    ]
    assert episodes(recurrences(incidents, 3, 90)) == [
        ("missing-alert", ["a", "b", "c"], "2024-01-01", "2024-02-01")
    ]


def test_recurrence_count_and_window_are_configurable() -> None:
    incidents = [
        pm("a", "2024-01-01"), pm("b", "2024-01-31"),  # 30 days apart
        pm("c", "2024-03-05"), pm("d", "2024-04-05"),  # b-c 34 days, c-d 31 days
        pm("e", "2024-06-01", ("missing-alert",)), pm("f", "2024-06-20", ("missing-alert",)),
        pm("g", "2024-07-10", ("missing-alert",)),  # e-f 19 days, f-g 20 days: windows overlap
    ]  # fmt: skip
    assert episodes(recurrences(incidents, 2, 30)) == [
        ("missing-alert", ["e", "f", "g"], "2024-06-01", "2024-07-10"),
        ("config-change", ["a", "b"], "2024-01-01", "2024-01-31"),
    ]
    # With the defaults (3 within 90 days): a-c span 64 days and b-d 65 days: one episode.
    assert episodes(recurrences(incidents, 3, 90)) == [
        ("missing-alert", ["e", "f", "g"], "2024-06-01", "2024-07-10"),
        ("config-change", ["a", "b", "c", "d"], "2024-01-01", "2024-04-05"),
    ]
    # Four within 60 days: a-d span 95 days, so config-change no longer recurs.
    assert recurrences(incidents, 4, 60) == []


# ---------------------------------------------------------------------------------------------
# Overdue


TODAY = date(2025, 11, 25)


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("open", date(2025, 11, 24), True),
        ("in-progress", date(2025, 1, 1), True),
        ("open", date(2025, 11, 25), False),  # due today
        ("in-progress", date(2025, 11, 25), False),
        ("open", date(2025, 11, 26), False),
        ("open", None, False),
        ("done", date(2024, 1, 1), False),
        ("wont-do", date(2024, 1, 1), False),
    ],
)
def test_overdue_as_of_a_date(status: str, due: date | None, overdue: bool) -> None:
    assert ActionItem("x", "team", status, due).is_overdue(TODAY) is overdue


# ---------------------------------------------------------------------------------------------
# A small knowledge base, built once.
#
# Incidents (today is 2025-11-25); minutes to detect / mitigate / resolve:
#   I1 2025-01-25 SEV1 checkout,payments  config-change                4 /  40 /  120
#   I2 2025-02-20 SEV2 checkout           traffic-surge,config-change  10 /  60 /  180
#   I3 2025-03-15 SEV3 search             missing-alert                30 /  45 /   50
#   I4 2025-04-02 SEV2 payments           missing-alert                90 / 100 /  239
#   I5 2025-04-20 SEV4 checkout           config-change                 2 /  20 /   25
#   I7 2025-05-10 SEV3 payments (in-review) missing-alert          14 /  35 / 1500
#   I6 2025-06-30 SEV2 search,checkout    traffic-surge                 6 /  31 /   95
#   I8 2025-08-19 SEV1 payments           traffic-surge                (no times)
#   draft 2025-03-01: never published.

I1 = "2025-01-25-checkout-config"
I2 = "2025-02-20-checkout-surge"
I3 = "2025-03-15-search-empty"
I4 = "2025-04-02-payments-unnoticed"
I5 = "2025-04-20-checkout-phones"
I7 = "2025-05-10-payments-timeouts"
I6 = "2025-06-30-search-stock"
I8 = "2025-08-19-payments-saturated"
DRAFT = "2025-03-01-secret-draft"

TITLES = {
    I1: "Checkout failed after a *config* push & rollback <fast>",
    I2: "Checkout slow during the winter sale",
    I3: "Search returned empty results",
    I4: "=1+1 payment errors went unnoticed",
    I5: "+44 phone numbers rejected at checkout",
    I7: "Payments timeouts after a config change",
    I6: "-1 stock shown in search",
    I8: "Payments saturated on a bank holiday",
}

TRENDS_SERVICES = {
    "checkout": {"name": "Checkout", "owner": "team-payments", "description": "Basket."},
    "payments": {"name": "Payments", "owner": "team-payments", "description": "Cards."},
    "search": {"name": "Search & browse", "owner": "team-discovery", "description": "Search."},
    "identity": {"name": "Identity", "owner": "team-identity", "description": "Sign-in."},
}

NO_TIMES = {"started": None, "detected": None, "mitigated": None, "resolved": None}


def small_kb() -> dict[str, str]:
    return {
        f"2025/{I1}.md": postmortem(
            TITLES[I1], "2025-01-25", services=["checkout", "payments"], factors=["config-change"], severity="SEV1",
            extra={**times("2025-01-25T10:00", "2025-01-25T10:04", "2025-01-25T10:40", "2025-01-25T12:00"),
                   "action_items": [item("Validate config units", "team-payments", "done", "2025-02-01"),
                                    item("Add a config canary", "team-payments", "done", "2025-02-15")]},
        ),
        f"2025/{I2}.md": postmortem(
            TITLES[I2], "2025-02-20", services=["checkout"], factors=["traffic-surge", "config-change"], severity="SEV2",
            extra={**times("2025-02-20T10:00", "2025-02-20T11:10+01:00", "2025-02-20T11:00", "2025-02-20T13:00"),
                   "action_items": [item("Autoscale checkout pods", "team-payments", "open", "2025-03-01"),
                                    item("Load test before every sale", "team-discovery", "wont-do", "2025-01-01")]},
        ),
        f"2025/{I3}.md": postmortem(
            TITLES[I3], "2025-03-15", services=["search"], factors=["missing-alert"], severity="SEV3",
            extra={**times("2025-03-15T10:00", "2025-03-15T10:30", "2025-03-15T10:45", "2025-03-15T10:50"),
                   "authors": ["@search-oncall", "Bo Lee"],
                   "action_items": [item("Alert on empty search results", "team-discovery", "in-progress", "2025-11-24"),
                                    item("Write a reindex runbook", "team-discovery", "open", "2025-11-25"),
                                    item("Add search dashboards", "team-discovery", "done", "2025-04-01")]},
        ),
        f"2025/{I4}.md": postmortem(
            TITLES[I4], "2025-04-02", services=["payments"], factors=["missing-alert"], severity="SEV2",
            extra={**times("2025-04-02T10:00", "2025-04-02T11:30", "2025-04-02T11:40", "2025-04-02T13:59"),
                   "action_items": [item("Page on payment errors", "team-payments", "open")]},
        ),
        f"2025/{I5}.md": postmortem(
            TITLES[I5], "2025-04-20", services=["checkout"], factors=["config-change"], severity="SEV4",
            extra=times("2025-04-20T10:00", "2025-04-20T10:02", "2025-04-20T10:20", "2025-04-20T10:25"),
        ),
        f"2025/{I7}.md": postmortem(
            TITLES[I7], "2025-05-10", services=["payments"], factors=["missing-alert"], severity="SEV3",
            status="in-review",
            extra={**times("2025-05-10T10:00", "2025-05-10T10:14", "2025-05-10T10:35", "2025-05-11T11:00"),
                   "action_items": [item("Raise the gateway timeout", "team-payments", "done", "2025-05-20"),
                                    item("Review timeout settings", "Ana Ruiz", "open", "2025-06-01")]},
        ),
        f"2025/{I6}.md": postmortem(
            TITLES[I6], "2025-06-30", services=["search", "checkout"], factors=["traffic-surge"], severity="SEV2",
            extra={**times("2025-06-30T10:00", "2025-06-30T10:06", "2025-06-30T10:31", "2025-06-30T11:35"),
                   "action_items": [item("Cache stock counts", "team-discovery", "done"),
                                    item("Shard the search index", "team-discovery", "done"),
                                    item("Rewrite search from scratch", "team-discovery", "wont-do", "2025-07-01")]},
        ),
        f"2025/{I8}.md": postmortem(
            TITLES[I8], "2025-08-19", services=["payments"], factors=["traffic-surge"], severity="SEV1",
            extra={**NO_TIMES, "action_items": [item("Buy more capacity", "team-payments", "wont-do", "2025-09-01")]},
        ),
        f"2025/{DRAFT}.md": postmortem(
            "Secret draft", "2025-03-01", services=["checkout"], factors=["config-change"], severity="SEV1",
            status="draft", extra={"action_items": [item("Secret draft item", "team-payments", "open", "2025-01-01")]},
        ),
    }  # fmt: skip


def build_small(root: Path) -> Path:
    make_project(root, small_kb(), services=TRENDS_SERVICES, factors=SITE_FACTORS, site=True)
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small(tmp_path_factory.mktemp("trends-kb"))


@pytest.fixture(scope="module")
def trends(site: Path) -> str:
    return read(site, "trends/index.html")


@pytest.fixture(scope="module")
def actions(site: Path) -> str:
    return read(site, "action-items/index.html")


# ---------------------------------------------------------------------------------------------
# The trends page


def test_trends_lead_counts_published_incidents_only(trends: str) -> None:
    assert "8 published incidents from 2025-01-25 to 2025-08-19." in trends
    assert "Secret draft" not in trends


def test_volume_chart_is_monthly_by_severity_with_gaps(trends: str) -> None:
    chart = parse_svg(svgs(trends)[0])
    assert chart_text(chart, "title") == "Incidents per month by severity"
    assert chart_text(chart, "desc") == (
        "8 incidents over 8 months. Busiest: 2025-04 (2), 2025-01 (1), 2025-02 (1)."
    )
    assert bars(chart) == [
        "2025-01: 1 SEV1", "2025-02: 1 SEV2", "2025-03: 1 SEV3", "2025-04: 1 SEV2",
        "2025-04: 1 SEV4", "2025-05: 1 SEV3", "2025-06: 1 SEV2", "2025-08: 1 SEV1",
    ]  # fmt: skip
    figure = re.search(r'<figure class="pmkb-chart">.*?</figure>', trends, re.S)
    assert figure is not None
    assert table_rows(figure.group(0)) == [
        ["Month", "SEV1", "SEV2", "SEV3", "SEV4", "Total"],
        ["2025-01", "1", "0", "0", "0", "1"],
        ["2025-02", "0", "1", "0", "0", "1"],
        ["2025-03", "0", "0", "1", "0", "1"],
        ["2025-04", "0", "1", "0", "1", "2"],
        ["2025-05", "0", "0", "1", "0", "1"],
        ["2025-06", "0", "1", "0", "0", "1"],
        ["2025-07", "0", "0", "0", "0", "0"],
        ["2025-08", "1", "0", "0", "0", "1"],
    ]


def test_time_table_per_quarter(trends: str) -> None:
    wrap = section(trends, "time-to-detect-mitigate-and-resolve", "contributing-factors-over-time")
    table = re.search(r'<table class="pmkb-table">.*?</table>', wrap, re.S)
    assert table is not None
    assert table_rows(table.group(0))[1:] == [
        # Q1: detect 4,10,30  mitigate 40,45,60  resolve 50,120,180
        [
            "2025 Q1",
            "3",
            "10 min",
            "30 min",
            "3",
            "45 min",
            "1 h 00 min",
            "3",
            "2 h 00 min",
            "3 h 00 min",
        ],
        # Q2: detect 2,6,14,90  mitigate 20,31,35,100  resolve 25,95,239,1500
        [
            "2025 Q2",
            "4",
            "10 min",
            "1 h 30 min",
            "4",
            "33 min",
            "1 h 40 min",
            "4",
            "2 h 47 min",
            "1 d 1 h",
        ],
        # Q3: I8 recorded no times
        ["2025 Q3", "0", "—", "—", "0", "—", "—", "0", "—", "—"],
    ]


def test_time_charts_describe_the_overall_distribution(trends: str) -> None:
    charts = {chart_text(c, "title"): c for c in map(parse_svg, svgs(trends))}
    # Over all 7 timed incidents: detect 2,4,6,10,14,30,90; mitigate 20,31,35,40,45,60,100;
    # resolve 25,50,95,120,180,239,1500. Median is the 4th value, p90 the 7th (ceil 6.3).
    # Q2's mitigate median is (31 + 35) / 2 = 33 and resolve median (95 + 239) / 2 = 167.
    expected = {
        "detect": ("10", "90", "10 min", "1 h 30 min",
                   ["2025 Q1: 10 min median", "2025 Q1: 30 min 90th percentile",
                    "2025 Q2: 10 min median", "2025 Q2: 1 h 30 min 90th percentile"]),
        "mitigate": ("40", "100", "40 min", "1 h 40 min",
                     ["2025 Q1: 45 min median", "2025 Q1: 1 h 00 min 90th percentile",
                      "2025 Q2: 33 min median", "2025 Q2: 1 h 40 min 90th percentile"]),
        "resolve": ("120", "1500", "2 h 00 min", "1 d 1 h",
                    ["2025 Q1: 2 h 00 min median", "2025 Q1: 3 h 00 min 90th percentile",
                     "2025 Q2: 2 h 47 min median", "2025 Q2: 1 d 1 h 90th percentile"]),
    }  # fmt: skip
    for name, (median, p90, median_text, p90_text, titles) in expected.items():
        chart = charts[f"Time to {name} per quarter"]
        assert chart_text(chart, "desc") == (
            f"Median and 90th percentile minutes to {name} per quarter. Over all incidents: "
            f"median {median}, 90th percentile {p90} minutes, from 7 incidents."
        )
        assert bars(chart) == titles
        assert (
            f"Time to {name} per quarter: median and 90th percentile, on a logarithmic scale. "
            f"All incidents: median {median_text}, 90th percentile {p90_text} (7 incidents)."
            "</figcaption>"
        ) in trends


def test_recurring_factors_on_the_trends_page(trends: str) -> None:
    assert "appears in 3 or more incidents within 90 days." in trends
    listed = recurring(trends)
    found = re.findall(
        r'title="Contributing factor: ([\w-]+)">.*?<strong>(\d+) incidents</strong> between (\S+) and (\S+):',
        listed,
    )
    # missing-alert: I3, I4, I7 span 31 + 25 = 56 days. config-change: I1, I2, I5 span
    # 31 + 28 + 26 = 85 days. The episode that ended last comes first.
    assert found == [
        ("missing-alert", "3", "2025-03-15", "2025-05-10"),
        ("config-change", "3", "2025-01-25", "2025-04-20"),
    ]
    items = re.findall(r'<li><a href="\.\./incidents/([\w-]+)/">', listed)
    assert items == [I3, I4, I7, I1, I2, I5]


def test_factors_per_quarter_and_pairs(trends: str) -> None:
    wrap = section(trends, "most-frequent-factors-per-quarter", "services-and-factorservice-pairs")
    rows = re.findall(r"<tr><td class=\"pmkb-nowrap\">(.*?)</tr>", wrap, re.S)
    found = [
        (
            re.match(r"[^<]+", r).group(0),  # type: ignore[union-attr]
            re.findall(r'<td class="pmkb-num">(\d+)</td>', r),
            re.findall(
                r'title="Contributing factor: ([\w-]+)">[^<]*</a><span class="pmkb-count">(\d+)', r
            ),
        )
        for r in rows
    ]
    assert found == [
        ("2025 Q1", ["3"], [("config-change", "2"), ("missing-alert", "1"), ("traffic-surge", "1")]),
        ("2025 Q2", ["4"], [("missing-alert", "2"), ("config-change", "1"), ("traffic-surge", "1")]),
        ("2025 Q3", ["1"], [("traffic-surge", "1")]),
    ]  # fmt: skip
    pairs = re.search(r'id="services-and-factorservice-pairs".*', trends, re.S)
    assert pairs is not None
    found_pairs = re.findall(
        r'title="Contributing factor: ([\w-]+)">.*?title="Service: ([\w-]+)">.*?<td class="pmkb-num">(\d+)</td>',
        pairs.group(0),
    )
    assert found_pairs == [
        ("config-change", "checkout", "3"),
        ("missing-alert", "payments", "2"),
        ("traffic-surge", "checkout", "2"),
    ]


def test_every_chart_on_the_trends_page_is_valid_accessible_svg(trends: str) -> None:
    for text in all_svgs(trends):  # the theme's icons too
        ET.fromstring(text)
    found = svgs(trends)
    assert len(found) == 5  # volume, three time charts, services
    ids = [parse_svg(text).get("aria-labelledby") for text in found]
    assert ids == [
        "volume-title volume-desc", "time-detect-title time-detect-desc",
        "time-mitigate-title time-mitigate-desc", "time-resolve-title time-resolve-desc",
        "services-title services-desc",
    ]  # fmt: skip
    for text in found:
        check_bar_geometry(parse_svg(text))
        chart = parse_svg(text)
        assert chart_text(chart, "title").strip()
        assert chart_text(chart, "desc").strip()
        ids = (chart.get("aria-labelledby") or "").split()
        assert ids == [
            chart.find(f"{SVG}title").get("id"),  # type: ignore[union-attr]
            chart.find(f"{SVG}desc").get("id"),  # type: ignore[union-attr]
        ]
    # volume 8, detect/mitigate/resolve 4 each (Q3 has no times), services 3
    assert [len(bars(parse_svg(s))) for s in found] == [8, 4, 4, 4, 3]


def test_services_chart(trends: str) -> None:
    chart = parse_svg(svgs(trends)[-1])
    assert chart_text(chart, "title") == "Incidents per service"
    assert chart_text(chart, "desc") == (
        "Services with the most incidents: Checkout: 4, Payments: 4, Search & browse: 2."
    )
    assert bars(chart) == [
        "Checkout: 4 incidents", "Payments: 4 incidents", "Search & browse: 2 incidents",
    ]  # fmt: skip


SERVICE_CHARTS = {
    # quarters 2025 Q1, Q2, Q3 (the knowledge base's whole span)
    "checkout": ("Checkout", "4 incidents. 2025 Q1: 2, 2025 Q2: 2.", ["2025 Q1: 2 incidents", "2025 Q2: 2 incidents"]),
    "payments": ("Payments", "4 incidents. 2025 Q1: 1, 2025 Q2: 2, 2025 Q3: 1.",
                 ["2025 Q1: 1 incidents", "2025 Q2: 2 incidents", "2025 Q3: 1 incidents"]),
    "search": ("Search & browse", "2 incidents. 2025 Q1: 1, 2025 Q2: 1.", ["2025 Q1: 1 incidents", "2025 Q2: 1 incidents"]),
}  # fmt: skip
FACTOR_CHARTS = {
    "config-change": ("Configuration change", "3 incidents. 2025 Q1: 2, 2025 Q2: 1.",
                      ["2025 Q1: 2 incidents", "2025 Q2: 1 incidents"]),
    "missing-alert": ("Missing alert", "3 incidents. 2025 Q1: 1, 2025 Q2: 2.",
                      ["2025 Q1: 1 incidents", "2025 Q2: 2 incidents"]),
    "traffic-surge": ("Traffic surge", "3 incidents. 2025 Q1: 1, 2025 Q2: 1, 2025 Q3: 1.",
                      ["2025 Q1: 1 incidents", "2025 Q2: 1 incidents", "2025 Q3: 1 incidents"]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("page", "expected"),
    [(f"services/{k}/index.html", v) for k, v in SERVICE_CHARTS.items()]
    + [(f"factors/{k}/index.html", v) for k, v in FACTOR_CHARTS.items()],
)
def test_service_and_factor_history_charts(
    site: Path, page: str, expected: tuple[str, str, list[str]]
) -> None:
    name, desc, titles = expected
    html = read(site, page)
    for text in all_svgs(html):  # the theme's icons too
        ET.fromstring(text)
    found = svgs(html)
    assert len(found) == 1
    chart = parse_svg(found[0])
    check_bar_geometry(chart)
    assert chart_text(chart, "title") == f"Incidents per quarter: {name}"
    assert chart_text(chart, "desc") == desc
    assert bars(chart) == titles


def test_service_without_incidents_has_no_chart(site: Path) -> None:
    assert svgs(read(site, "services/identity/index.html")) == []


def test_charts_are_byte_for_byte_deterministic(
    site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    again = build_small(tmp_path_factory.mktemp("trends-kb-again"))
    pages = [
        "trends/index.html",
        "action-items/index.html",
        *(f"services/{s}/index.html" for s in TRENDS_SERVICES),
        *(f"factors/{f}/index.html" for f in SITE_FACTORS),
    ]
    for page in pages:
        first, second = read(site, page), read(again, page)
        assert svgs(first) == svgs(second), page
        assert first == second, page
    for name in ("incidents.json", "incidents.csv"):
        assert (site / "site" / name).read_bytes() == (again / "site" / name).read_bytes()


# ---------------------------------------------------------------------------------------------
# The action-items page


def test_action_items_lead_counts(actions: str) -> None:
    # 14 items: open I2a I3b I4a I7b; in progress I3a; done I1a I1b I3c I7a I6a I6b;
    # won't do I2b I6c I8a. The draft's item is not counted.
    # (How "wont-do" is worded is left to test_wont_do_is_written_with_an_apostrophe.)
    assert re.fullmatch(
        r"14 action items from published postmortems, as of 2025-11-25: "
        r"4 open, 1 in progress, 6 done, 3 won'?t do\.",
        lead(actions),
    )
    assert "Secret draft" not in actions


def test_wont_do_is_written_with_an_apostrophe(actions: str) -> None:
    assert lead(actions).endswith("6 done, 3 won't do.")
    headings = re.findall(r"<h3[^>]*>(.*?)</h3>", actions)
    assert htmllib.unescape(headings[-1]).strip() == "Won't do (3)"
    assert "wont do" not in htmllib.unescape(re.sub(r"<[^>]+>", "", actions)).lower()


def test_overdue_items_listed_first_oldest_due_first(actions: str) -> None:
    assert actions.index('id="overdue"') < actions.index('id="by-status"')
    overdue = section(actions, "overdue", "completion-over-time")
    assert "3 open or in-progress items past their due date, oldest first." in overdue
    rows = table_rows(overdue)
    assert rows[0] == ["Status", "Action", "Owner", "Due", "Incident", "Ticket"]
    assert rows[1:] == [
        ["open", "Autoscale checkout pods", "team-payments", "2025-03-01 overdue", TITLES[I2], "—"],
        ["open", "Review timeout settings", "Ana Ruiz", "2025-06-01 overdue", TITLES[I7], "—"],
        ["in progress", "Alert on empty search results", "team-discovery", "2025-11-24 overdue", TITLES[I3], "—"],
    ]  # fmt: skip
    # due today, done past due, won't-do past due and undated items are not overdue
    for title in (
        "Write a reindex runbook",
        "Validate config units",
        "Load test before every sale",
        "Buy more capacity",
        "Page on payment errors",
    ):
        assert title not in overdue


def test_only_overdue_rows_are_flagged_in_the_status_tables(actions: str) -> None:
    by_status = actions[actions.index('id="by-status"') :]
    flagged = re.findall(
        r'<tr class="pmkb-overdue">\s*<td>.*?</td>\s*<td[^>]*>(.*?)</td>', by_status
    )
    assert sorted(flagged) == [
        "Alert on empty search results", "Autoscale checkout pods", "Review timeout settings",
    ]  # fmt: skip
    headings = re.findall(r"<h3[^>]*>(.*?)</h3>", by_status)
    assert [h.strip() for h in headings[:3]] == [
        "Open (4)", "In progress (1)", "Done (6)",
    ]  # fmt: skip
    assert re.fullmatch(r"Won'?t do \(3\)", htmllib.unescape(headings[3]).strip(), re.I)


def test_by_owner_counts(actions: str) -> None:
    wrap = section(actions, "by-owner", "by-status")
    assert table_rows(wrap)[1:] == [
        ["Ana Ruiz", "1", "0", "0", "0", "1"],
        ["team-discovery", "1", "1", "3", "2", "1"],
        ["team-payments", "2", "0", "3", "1", "1"],
    ]


def test_completion_rate_per_quarter_excludes_wont_do(actions: str) -> None:
    # Q1 (I1, I2, I3): done 3 of 6 counted (I2's won't-do left out).
    # Q2 (I4, I5, I7, I6): done 3 of 5 (I6's won't-do left out). Q3 (I8): its only item is won't-do.
    wrap = section(actions, "completion-over-time", "follow-through-by-contributing-factor")
    chart = parse_svg(svgs(wrap)[0])
    assert chart_text(chart, "title") == "Action items done, by quarter of the incident"
    assert chart_text(chart, "desc") == (
        "Share of action items done (won't-do excluded) per quarter of the incident: "
        "2025 Q1: 3 of 6, 2025 Q2: 3 of 5."
    )
    assert bars(chart) == ["2025 Q1: 50% % done", "2025 Q2: 60% % done"]
    assert table_rows(wrap) == [
        ["Quarter", "Done", "Counted", "% done"],
        ["2025 Q1", "3", "6", "50%"],
        ["2025 Q2", "3", "5", "60%"],
        ["2025 Q3", "0", "0", "—"],
    ]


def test_follow_through_lists_factors_that_came_back_after_completed_work(actions: str) -> None:
    wrap = section(actions, "follow-through-by-contributing-factor", "by-owner")
    rows = re.findall(r"<tr><td>(.*?)</tr>", wrap, re.S)
    found = [
        (
            re.search(r'title="Contributing factor: ([\w-]+)"', r).group(1),  # type: ignore[union-attr]
            re.findall(r'<a href="\.\./incidents/([\w-]+)/">', r),
        )
        for r in rows
    ]
    # I1 had every item done; config-change came back in I2 and I5.
    # missing-alert came back in I4 and I7, but I3 (and I4) still have open items: not listed.
    # traffic-surge: I2 and I6 each have items not done (won't-do is not done).
    assert found == [
        ("config-change", [I2, I1]),
        ("config-change", [I5, I1]),
    ]
    for other in (I4, I7, I8):
        assert f"incidents/{other}/" not in wrap


# ---------------------------------------------------------------------------------------------
# Export

EXPECTED = {
    # id: (severity, status, date, detect, mitigate, resolve, items, open, overdue)
    I8: ("SEV1", "published", "2025-08-19", None, None, None, 1, 0, 0),
    I6: ("SEV2", "published", "2025-06-30", 6, 31, 95, 3, 0, 0),
    I7: ("SEV3", "in-review", "2025-05-10", 14, 35, 1500, 2, 1, 1),
    I5: ("SEV4", "published", "2025-04-20", 2, 20, 25, 0, 0, 0),
    I4: ("SEV2", "published", "2025-04-02", 90, 100, 239, 1, 1, 0),
    I3: ("SEV3", "published", "2025-03-15", 30, 45, 50, 3, 2, 1),
    I2: ("SEV2", "published", "2025-02-20", 10, 60, 180, 2, 1, 1),
    I1: ("SEV1", "published", "2025-01-25", 4, 40, 120, 2, 0, 0),
}
# What each incident page's header card shows for the durations.
PAGE_DURATIONS = {
    I8: ("—", "—", "—"),
    I6: ("6 min", "31 min", "1 h 35 min"),
    I7: ("14 min", "35 min", "1 d 1 h"),
    I5: ("2 min", "20 min", "25 min"),
    I4: ("1 h 30 min", "1 h 40 min", "3 h 59 min"),
    I3: ("30 min", "45 min", "50 min"),
    I2: ("10 min", "1 h 00 min", "3 h 00 min"),
    I1: ("4 min", "40 min", "2 h 00 min"),
}


@pytest.fixture(scope="module")
def exported(site: Path) -> list[dict[str, Any]]:
    data = json.loads(read(site, "incidents.json"))
    assert data["version"] == 1
    records: list[dict[str, Any]] = data["incidents"]
    return records


def test_json_has_one_record_per_published_incident(exported: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in exported] == list(EXPECTED)  # newest first, no draft
    for r in exported:
        sev, status, day, detect, mitigate, resolve, n, n_open, n_overdue = EXPECTED[r["id"]]
        assert r["title"] == TITLES[r["id"]]
        assert (r["severity"], r["status"], r["date"]) == (sev, status, day), r["id"]
        assert (r["minutes_to_detect"], r["minutes_to_mitigate"], r["minutes_to_resolve"]) == (
            detect, mitigate, resolve,
        ), r["id"]  # fmt: skip
        assert (r["action_items"], r["action_items_open"], r["action_items_overdue"]) == (
            n, n_open, n_overdue,
        ), r["id"]  # fmt: skip


def test_json_record_fields(exported: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in exported}
    assert by_id[I2] == {
        "id": I2, "title": TITLES[I2], "date": "2025-02-20", "kind": "incident", "severity": "SEV2", "status": "published",
        "services": ["checkout"], "contributing_factors": ["traffic-surge", "config-change"], "authors": [],
        "reviewers": [], "reviewed": None, "started": "2025-02-20T10:00:00+00:00", "detected": "2025-02-20T11:10:00+01:00",
        "mitigated": "2025-02-20T11:00:00+00:00", "resolved": "2025-02-20T13:00:00+00:00",
        "minutes_to_detect": 10, "minutes_to_mitigate": 60, "minutes_to_resolve": 180,
        "minutes_from": "started", "action_items": 2, "action_items_open": 1, "action_items_overdue": 1,
        "url": f"incidents/{I2}/",
    }  # fmt: skip
    assert by_id[I3]["authors"] == ["@search-oncall", "Bo Lee"]
    assert by_id[I8]["started"] is None and by_id[I8]["resolved"] is None
    assert by_id[I8]["minutes_from"] is None


def test_export_urls_point_to_incident_pages_showing_the_same_values(
    site: Path, exported: list[dict[str, Any]]
) -> None:
    for r in exported:
        assert r["url"] == f"incidents/{r['id']}/"
        page = site / "site" / r["url"] / "index.html"
        assert page.is_file(), r["url"]
        html = page.read_text(encoding="utf-8")
        title = re.search(r'<h1 class="pmkb-title">(.*?)</h1>', html, re.S)
        assert title is not None and htmllib.unescape(title.group(1)) == r["title"]
        sev = re.search(r'<span class="pmkb-sev pmkb-sev--\d">(.*?)</span>', html)
        assert sev is not None and sev.group(1) == r["severity"]
        assert f"<dt>Date</dt><dd>{r['date']}</dd>" in html
        detect, mitigate, resolve = PAGE_DURATIONS[r["id"]]
        assert f"<dt>Time to detect</dt><dd>{detect}</dd>" in html
        assert f"<dt>Time to mitigate</dt><dd>{mitigate}</dd>" in html
        assert f"<dt>Duration</dt><dd>{resolve}</dd>" in html  # from start to resolution
        assert html.count('class="pmkb-overdue"') == r["action_items_overdue"]


def test_csv_matches_json_and_neutralises_formulas(site: Path) -> None:
    text = read(site, "incidents.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == list(EXPECTED)
    by_id = {r["id"]: r for r in rows}
    assert by_id[I4]["title"] == "'=1+1 payment errors went unnoticed"
    assert by_id[I5]["title"] == "'+44 phone numbers rejected at checkout"
    assert by_id[I6]["title"] == "'-1 stock shown in search"
    assert by_id[I3]["authors"] == "'@search-oncall;Bo Lee"
    assert by_id[I1]["title"] == TITLES[I1]
    assert by_id[I1]["services"] == "checkout;payments"
    assert by_id[I2]["contributing_factors"] == "traffic-surge;config-change"
    assert by_id[I7]["minutes_to_resolve"] == "1500"
    assert by_id[I8]["minutes_to_detect"] == "" and by_id[I8]["started"] == ""
    assert by_id[I2]["detected"] == "2025-02-20T11:10:00+01:00"
    assert by_id[I3]["action_items_overdue"] == "1"
    assert by_id[I6]["url"] == f"incidents/{I6}/"
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@"), row["id"]


def test_drafts_never_reach_the_exports(site: Path) -> None:
    for name in ("incidents.json", "incidents.csv"):
        data = read(site, name)
        assert DRAFT not in data and "Secret draft" not in data


# ---------------------------------------------------------------------------------------------
# pmkb stats


def run_stats(
    root: Path, monkeypatch: pytest.MonkeyPatch, run: Runner, *args: str, epoch: str = EPOCH
) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = run("stats", *args, cwd=root)
    assert result.code == 0
    assert result.err == ""
    return result.out


def test_stats_text_matches_the_pages(
    site: Path, trends: str, actions: str, monkeypatch: pytest.MonkeyPatch, run: Runner
) -> None:
    out = run_stats(site, monkeypatch, run)
    assert out.splitlines() == [
        "Published incidents  8 of 9 postmortems (2025-01-25 to 2025-08-19), 1 draft(s) held back",
        "By severity          SEV1 2, SEV2 3, SEV3 2, SEV4 1",
        "Time to detect       median 10 min, p90 90 min (n=7)",
        "Time to mitigate     median 40 min, p90 100 min (n=7)",
        "Time to resolve      median 120 min, p90 1500 min (n=7)",
        "Top factors          config-change 3, missing-alert 3, traffic-surge 3",
        "Top services         checkout 4, payments 4, search 2",
        # Folded at 100 columns between episodes, under the first one.
        "Recurring factors    missing-alert (3 from 2025-03-15 to 2025-05-10),",
        "                     config-change (3 from 2025-01-25 to 2025-04-20)",
        "Action items         14: 4 open, 1 in progress, 6 done, 3 won't do; 3 overdue as of 2025-11-25",
    ]
    # The same figures as the pages show.
    assert "8 published incidents from 2025-01-25 to 2025-08-19." in trends
    assert "All incidents: median 10 min, 90th percentile 1 h 30 min (7 incidents)." in trends
    assert re.search(
        r"as of 2025-11-25: 4 open, 1 in progress, 6 done, 3 won'?t do\.", lead(actions)
    )
    assert "3 open or in-progress items past their due date" in actions


def test_stats_json_matches_the_pages(
    site: Path, monkeypatch: pytest.MonkeyPatch, run: Runner
) -> None:
    figures = json.loads(run_stats(site, monkeypatch, run, "--format", "json"))
    assert figures == {
        "as_of": "2025-11-25",
        "postmortems": 9,
        "published": 8,
        "near_misses": 0,
        "drafts_held_back": 1,
        "first": "2025-01-25",
        "last": "2025-08-19",
        "by_severity": {"SEV1": 2, "SEV2": 3, "SEV3": 2, "SEV4": 1},
        "minutes": {
            "detect": {"count": 7, "median": 10.0, "p90": 90.0},
            "mitigate": {"count": 7, "median": 40.0, "p90": 100.0},
            "resolve": {"count": 7, "median": 120.0, "p90": 1500.0},
        },
        "top_factors": [
            {"id": "config-change", "incidents": 3},
            {"id": "missing-alert", "incidents": 3},
            {"id": "traffic-surge", "incidents": 3},
        ],
        "top_services": [
            {"id": "checkout", "incidents": 4},
            {"id": "payments", "incidents": 4},
            {"id": "search", "incidents": 2},
        ],
        "recurring_factors": [
            {"id": "missing-alert", "incidents": 3, "first": "2025-03-15", "last": "2025-05-10"},
            {"id": "config-change", "incidents": 3, "first": "2025-01-25", "last": "2025-04-20"},
        ],
        "action_items": {
            "open": 4, "in-progress": 1, "done": 6, "wont-do": 3, "total": 14, "overdue": 3,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("epoch", "as_of", "overdue"),
    [
        # 2025-03-02: only "Autoscale checkout pods" (due 2025-03-01) is late.
        ("1740873600", "2025-03-02", 1),
        (BUILD_EPOCH, "2025-11-25", 3),
        # 2025-11-26: "Write a reindex runbook", due 2025-11-25, is late too.
        ("1764115200", "2025-11-26", 4),
    ],
)
def test_stats_overdue_follows_source_date_epoch(
    site: Path, monkeypatch: pytest.MonkeyPatch, run: Runner, epoch: str, as_of: str, overdue: int
) -> None:
    figures = json.loads(run_stats(site, monkeypatch, run, "--format", "json", epoch=epoch))
    assert figures["as_of"] == as_of
    assert figures["action_items"]["overdue"] == overdue


# ---------------------------------------------------------------------------------------------
# A knowledge base over more than three years, with its own recurrence settings.
#
#   L1 2020-03-10 config-change   L2 2020-04-09 config-change (30 days later: recurs)
#   L3 2021-06-01 config-change   L4 2021-07-02 config-change (31 days later: does not)
#   L5 2023-05-01, L6 2023-05-20 (SEV1), L7 2023-06-10 missing-alert (19 and 21 days: one episode)
#   L8 2024-01-05 traffic-surge


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("long-kb")
    specs = [
        ("2020-03-10", "config-change", "SEV2"),
        ("2020-04-09", "config-change", "SEV2"),
        ("2021-06-01", "config-change", "SEV2"),
        ("2021-07-02", "config-change", "SEV2"),
        ("2023-05-01", "missing-alert", "SEV2"),
        ("2023-05-20", "missing-alert", "SEV1"),
        ("2023-06-10", "missing-alert", "SEV2"),
        ("2024-01-05", "traffic-surge", "SEV2"),
    ]
    make_project(
        root,
        {
            f"{day}-incident.md": postmortem(f"Incident of {day}", day, factors=[f], severity=s)
            for day, f, s in specs
        },
        options={"recurrence_count": 2, "recurrence_window_days": 30},
        site=True,
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def test_long_knowledge_base_counts_per_quarter(long_site: Path) -> None:
    html = read(long_site, "trends/index.html")
    assert "<h2" in html and "Incidents per quarter" in html
    chart = parse_svg(svgs(html)[0])
    assert chart_text(chart, "title") == "Incidents per quarter by severity"
    # 2020 Q1 to 2024 Q1: 17 quarters.
    assert chart_text(chart, "desc") == (
        "8 incidents over 17 quarters. Busiest: 2023 Q2 (3), 2020 Q1 (1), 2020 Q2 (1)."
    )
    assert bars(chart) == [
        "2020 Q1: 1 SEV2", "2020 Q2: 1 SEV2", "2021 Q2: 1 SEV2", "2021 Q3: 1 SEV2",
        "2023 Q2: 1 SEV1", "2023 Q2: 2 SEV2", "2024 Q1: 1 SEV2",
    ]  # fmt: skip
    figure = re.search(r'<figure class="pmkb-chart">.*?</figure>', html, re.S)
    assert figure is not None
    rows = table_rows(figure.group(0))
    assert rows[0] == ["Quarter", "SEV1", "SEV2", "SEV3", "SEV4", "Total"]
    assert [r[0] for r in rows[1:]] == [
        f"{y} Q{q}" for y in (2020, 2021, 2022, 2023) for q in (1, 2, 3, 4)
    ] + ["2024 Q1"]
    assert rows[1 + 13] == ["2023 Q2", "1", "2", "0", "0", "3"]
    assert rows[1 + 8] == ["2022 Q1", "0", "0", "0", "0", "0"]


def test_long_knowledge_base_uses_configured_recurrence(long_site: Path) -> None:
    html = read(long_site, "trends/index.html")
    assert "appears in 2 or more incidents within 30 days." in html
    listed = recurring(html)
    found = re.findall(
        r'title="Contributing factor: ([\w-]+)">.*?<strong>(\d+) incidents</strong> between (\S+) and (\S+):',
        listed,
    )
    assert found == [
        ("missing-alert", "3", "2023-05-01", "2023-06-10"),
        ("config-change", "2", "2020-03-10", "2020-04-09"),
    ]
    for text in svgs(html):
        chart = parse_svg(text)
        assert chart_text(chart, "title") and chart_text(chart, "desc")


# ---------------------------------------------------------------------------------------------
# The example knowledge base in this repository


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    result = build(root, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def test_example_trends_page_lists_recurring_factors(example: Path) -> None:
    html = read(example, "trends/index.html")
    listed = recurring(html)
    found = re.findall(
        r'title="Contributing factor: ([\w-]+)">.*?<strong>(\d+) incidents</strong> between (\S+) and (\S+):',
        listed,
    )
    # retry-storm: 2025-02-11, 2025-03-04, 2025-04-15 (63 days); 2024-11-29 to 2025-03-04 is 95.
    assert ("retry-storm", "3", "2025-02-11", "2025-04-15") in found
    # config-change: 2025-05-20, 2025-06-24, 2025-08-07 (79 days).
    assert ("config-change", "3", "2025-05-20", "2025-08-07") in found
    for text in svgs(html):
        chart = parse_svg(text)
        assert chart_text(chart, "title") and chart_text(chart, "desc")


# ---------------------------------------------------------------------------------------------
# Lists that would grow with the history are bounded per factor


@pytest.fixture(scope="module")
def busy_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Fourteen config-change incidents two days apart, every one with its action item done: one
    # recurrence of 14 incidents, and 13 comebacks after completed follow-up work.
    root = tmp_path_factory.mktemp("busy-kb")
    done = {"action_items": [{"title": "Stage the rollout", "owner": "team-a", "status": "done"}]}
    days = [date(2025, 3, 1 + 2 * n).isoformat() for n in range(14)]
    make_project(
        root,
        {f"{d}-change.md": postmortem(f"Change of {d}", d, extra=done) for d in days},
        site=True,
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def test_a_long_recurrence_lists_its_latest_ten_incidents(busy_site: Path) -> None:
    html = read(busy_site, "trends/index.html")
    listed = recurring(html)
    assert "<strong>14 incidents</strong> between 2025-03-01 and 2025-03-27" in listed
    shown = re.findall(r'<li><a href="\.\./incidents/(2025-03-\d\d)-change/">', listed)
    assert shown == [f"2025-03-{9 + 2 * n:02d}" for n in range(10)]
    assert "The latest 10 of 14;" in listed
    assert '<a href="../incidents/?factor=config-change">all incidents with this factor</a>' in html


def test_follow_through_shows_the_latest_ten_comebacks_per_factor(busy_site: Path) -> None:
    actions = read(busy_site, "action-items/index.html")
    wrap = section(actions, "follow-through-by-contributing-factor", "by-owner")
    assert "13 comebacks in all; each factor shows its 10 most recent." in wrap
    rows = re.findall(r"<tr><td>(.*?)</tr>", wrap, re.S)
    came_back = [re.search(r"incidents/(2025-03-\d\d)-change/", r).group(1) for r in rows]  # type: ignore[union-attr]
    assert came_back == [f"2025-03-{9 + 2 * n:02d}" for n in range(10)]


# ---------------------------------------------------------------------------------------------
# Sparse histories: a few incidents decades older than the rest
#
# S0..S29: every 34 days from 2023-01-10 (S29 is 2025-09-22), alternately checkout and payments.
# Two outliers: 1970-06-01 (checkout) and 1999-03-10 (search, its only incident). 2023 Q1 to
# 2025 Q3 is 11 quarters; 1970 Q2 to 2025 Q3 would be 222.

SPARSE_DAYS = [date.fromordinal(date(2023, 1, 10).toordinal() + 34 * i) for i in range(30)]


def sparse_kb(outliers: bool = True) -> dict[str, str]:
    files = {
        f"{day}-s{i}.md": postmortem(
            f"Incident {i}", day.isoformat(), services=["checkout" if i % 2 else "payments"]
        )
        for i, day in enumerate(SPARSE_DAYS)
    }
    if outliers:
        files["1970-06-01-old.md"] = postmortem("The 1970 outage", "1970-06-01")
        files["1999-03-10-y2k.md"] = postmortem("Y2K rehearsal", "1999-03-10", services=["search"])
    return files


@pytest.fixture(scope="module")
def sparse_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("sparse-kb"), sparse_kb(), site=True)
    result = build(root, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


BULK = [d.isoformat() for d in SPARSE_DAYS]


@pytest.mark.parametrize(
    ("days", "since", "until"),
    [
        # Two outliers out of 32, decades before a three-year bulk.
        (["1970-06-01", "1999-03-10", *BULK], "2023-01-10", None),
        # A year typed as 2052, and as 2205, after the same bulk.
        ([*BULK, "2052-04-01", "2205-04-01"], None, "2025-09-22"),
        # Both at once: each end judged on the rest without the other's outliers.
        (["0202-01-01", *BULK, "2052-04-01"], "2023-01-10", "2025-09-22"),
        # A gap of two years or less never splits the history.
        (["2020-01-01", "2021-12-31", "2022-01-01", "2022-06-01", "2022-12-31"], None, None),
        # A three-year gap shorter than the rest's ten-year span: a long history, kept whole.
        (["2010-01-01", *(f"{y}-06-01" for y in range(2013, 2024))], None, None),
        ([*(f"{y}-06-01" for y in range(2010, 2021)), "2024-01-01"], None, None),
        # More than a fifth of the incidents before the gap: history, not outliers.
        (["1990-01-01", "1991-01-01", "2024-01-01", "2024-02-01", "2024-03-01"], None, None),
        # A single mistyped year in a small archive.
        (["0202-05-01", "2024-01-01", "2024-02-01"], "2024-01-01", None),
        (["1970-06-01", "2024-01-01"], None, None),
        ([], None, None),
    ],
)
def test_time_axes_leave_out_outliers_far_from_the_rest(
    days: list[str], since: str | None, until: str | None
) -> None:
    found = window([date.fromisoformat(d) for d in days])
    assert found.since == (date.fromisoformat(since) if since else None)
    assert found.until == (date.fromisoformat(until) if until else None)


def test_trends_chart_the_bulk_and_note_earlier_incidents(sparse_site: Path) -> None:
    html = read(sparse_site, "trends/index.html")
    assert lead(html).startswith("32 published incidents from 1970-06-01 to 2025-09-22.")
    note = re.search(r'<p class="pmkb-muted pmkb-left-out">(.*?)</p>', html, re.S)
    assert note is not None
    assert htmllib.unescape(re.sub(r"<[^>]+>", "", note.group(1))) == (
        "The charts start at 2023-01-10: 2 earlier incidents are left out, so that the time axis"
        " does not stretch back to 1970. In the incidents table: 1970 (1), 1999 (1)."
    )
    assert '<a href="../incidents/?year=1970">1970</a>' in note.group(1)
    assert '<a href="../incidents/?year=1999">1999</a>' in note.group(1)
    volume = parse_svg(svgs(html)[0])
    assert chart_text(volume, "title") == "Incidents per month by severity"
    assert chart_text(volume, "desc").startswith("30 incidents over 33 months.")
    assert len(bars(volume)) == 30
    # Tables list quarters that had incidents, and only in the window: no rows of dashes.
    quarters = [f"{y} Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)][:11]
    tables = re.findall(
        r'<table class="pmkb-table">\s*<thead><tr><th>Quarter</th>.*?</table>', html, re.S
    )
    assert len(tables) == 2  # time to detect/mitigate/resolve, most frequent factors
    for table in tables:
        assert [r[0] for r in table_rows(table)[1:]] == quarters
    assert "1970" not in "".join(svgs(html)) and "1999" not in "".join(svgs(html))


def test_service_pages_chart_the_window_and_note_their_earlier_incidents(
    sparse_site: Path,
) -> None:
    checkout = read(sparse_site, "services/checkout/index.html")
    chart = parse_svg(svgs(checkout)[0])
    assert chart_text(chart, "desc").startswith("15 incidents. 2023 Q1: 1,")
    data = re.search(r'<details class="pmkb-data">.*?</details>', checkout, re.S)
    assert data is not None and len(table_rows(data.group(0))) == 1 + 11
    assert '<a href="../../incidents/?service=checkout&amp;year=1970">1970</a> (1)' in checkout
    # A service whose only incident is older than the axes gets the note and no empty chart.
    search = read(sparse_site, "services/search/index.html")
    assert svgs(search) == []
    assert "1 earlier incident is left out" in search
    assert '<a href="../../incidents/?service=search&amp;year=1999">1999</a> (1)' in search
    assert "Y2K rehearsal" in search


def test_a_mistyped_later_year_is_left_out_too(tmp_path: Path) -> None:
    files = {**sparse_kb(outliers=False), "typo.md": postmortem("Typo", "2205-04-01")}
    files["1970-06-01-old.md"] = postmortem("The 1970 outage", "1970-06-01")
    root = make_project(tmp_path, files, site=True)
    result = build(root, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    html = read(root, "trends/index.html")
    note = re.search(r'<p class="pmkb-muted pmkb-left-out">(.*?)</p>', html, re.S)
    assert note is not None
    assert htmllib.unescape(re.sub(r"<[^>]+>", "", note.group(1))) == (
        "The charts cover 2023-01-10 to 2025-09-22: 2 incidents are left out, so that the time"
        " axis does not stretch back to 1970 and on to 2205. In the incidents table: 1970 (1),"
        " 2205 (1)."
    )
    labels = [t.text or "" for t in parse_svg(svgs(html)[0]).iter(f"{SVG}tspan")]
    assert labels[0].startswith("2023") and labels[-1].startswith("2025")
    checkout = read(root, "services/checkout/index.html")
    assert "so that the time axis does not stretch back to 1970 and on to 2205" in checkout


def test_outliers_do_not_grow_the_site(sparse_site: Path, tmp_path: Path) -> None:
    root = make_project(tmp_path, sparse_kb(outliers=False), site=True)
    assert build(root, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    for page in ("trends/index.html", "services/checkout/index.html", "action-items/index.html"):
        with_outliers, without = len(read(sparse_site, page)), len(read(root, page))
        # The note and the incident's own rows are all the outliers add: about a kilobyte.
        assert with_outliers - without < 2000, page


# ---------------------------------------------------------------------------------------------
# Durations from the best available start
#
#   D1 2025-03-03: detected 10:20, mitigated 11:00, resolved 12:15, no start: 40 / 115 from detection
#   D2 2025-03-10: started 09:00 ... resolved 10:00: 5 / 30 / 60 from the start
#   D3 2025-03-17: resolved only: no duration at all

DETECTION_ONLY = "2025-03-03-detected"


def detection_kb() -> dict[str, str]:
    return {
        f"{DETECTION_ONLY}.md": postmortem(
            "Noticed late", "2025-03-03",
            extra={"started": None, "detected": t("2025-03-03T10:20"),
                   "mitigated": t("2025-03-03T11:00"), "resolved": t("2025-03-03T12:15")},
        ),
        "2025-03-10-started.md": postmortem(
            "Started on time", "2025-03-10", services=["payments"],
            extra=times("2025-03-10T09:00", "2025-03-10T09:05", "2025-03-10T09:30", "2025-03-10T10:00"),
        ),
        "2025-03-17-resolved.md": postmortem(
            "Only resolved", "2025-03-17",
            extra={**NO_TIMES, "resolved": t("2025-03-17T10:00")},
        ),
    }  # fmt: skip


@pytest.fixture(scope="module")
def detection_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("detection-kb"), detection_kb(), site=True)
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def test_incident_without_a_start_is_measured_from_detection(detection_site: Path) -> None:
    html = read(detection_site, f"incidents/{DETECTION_ONLY}/index.html")
    assert "<dt>Duration from detection</dt><dd>1 h 55 min</dd>" in html
    assert "<dt>Time to detect</dt><dd>—</dd>" in html
    assert "<dt>Time to mitigate from detection</dt><dd>40 min</dd>" in html
    assert "durations are measured from detection" in html
    other = read(detection_site, "incidents/2025-03-10-started/index.html")
    assert "<dt>Duration</dt><dd>1 h 00 min</dd>" in other
    assert "measured from detection" not in other


def test_incidents_table_marks_durations_from_detection(detection_site: Path) -> None:
    html = read(detection_site, "incidents/index.html")
    durations = {r[1]: r[-1] for r in table_rows(html)[1:] if len(r) == 6}
    assert durations == {
        "Noticed late": "≥ 1 h 55 min", "Started on time": "1 h 00 min", "Only resolved": "—",
    }  # fmt: skip
    assert "≥ Measured from detection: no start of impact was recorded" in html
    # Without such an incident the table carries no footnote.
    payments = read(detection_site, "services/payments/index.html")
    assert "Started on time" in payments and "Measured from detection" not in payments


def test_trends_and_exports_say_which_start_was_used(detection_site: Path) -> None:
    trends = read(detection_site, "trends/index.html")
    assert "or from detection for the 1 incident that records no start" in trends
    charts = {chart_text(c, "title"): chart_text(c, "desc") for c in map(parse_svg, svgs(trends))}
    # resolve: 115 and 60, median 87.5 (shown 88); detect: D2's 5 alone.
    assert (
        "median 88, 90th percentile 115 minutes, from 2 incidents"
        in charts["Time to resolve per quarter"]
    )
    assert "from 1 incident." in charts["Time to detect per quarter"]
    records = {
        r["title"]: r for r in json.loads(read(detection_site, "incidents.json"))["incidents"]
    }
    late = records["Noticed late"]
    assert (late["minutes_from"], late["minutes_to_detect"]) == ("detected", None)
    assert (late["minutes_to_mitigate"], late["minutes_to_resolve"]) == (40, 115)
    assert records["Started on time"]["minutes_from"] == "started"
    assert records["Only resolved"]["minutes_from"] is None
    rows = {
        r["title"]: r for r in csv.DictReader(io.StringIO(read(detection_site, "incidents.csv")))
    }
    assert (rows["Noticed late"]["minutes_from"], rows["Noticed late"]["minutes_to_resolve"]) == (
        "detected", "115",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Ticket names of action items


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/acme/payments/issues/41926", "acme/payments#41926"),
        ("https://github.com/acme/payments/pull/7/", "acme/payments#7"),
        ("https://github.example.com/acme/payments/issues/3", "acme/payments#3"),
        ("https://codeberg.org/forgejo/forgejo/pulls/12", "forgejo/forgejo#12"),
        ("https://gitlab.com/acme/infra/ops/-/issues/3", "acme/infra/ops#3"),
        ("https://gitlab.example.com/team/proj/-/merge_requests/45", "team/proj!45"),
        ("https://acme.atlassian.net/browse/OPS-123", "OPS-123"),
        ("https://jira.example.com/jira/browse/PAY_2-9", "PAY_2-9"),
        ("https://tracker.larkspur.example/IDN-204", "IDN-204"),
        ("https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=OPS-77", "OPS-77"),
        ("https://linear.app/acme/issue/ENG-123/fix-the-retry-storm", "ENG-123"),
        ("https://bugzilla.mozilla.org/show_bug.cgi?id=123456", "bugzilla.mozilla.org #123456"),
        ("https://lists.debian.org/debian-devel/2010/01/msg012210.html", "lists.debian.org/…/msg012210.html"),
        ("https://www.tracker.example.com/41926", "tracker.example.com/41926"),
        ("https://example.com/", "example.com"),
        ("https://wiki.example.com/x/a-very-long-page-name-about-the-retry-storm-follow-up",
         "wiki.example.com/…/a-very-long-pag…-storm-follow-up"),
        ("https://wiki.example.com/Caf%C3%A9%20runbook", "wiki.example.com/Café runbook"),
    ],
)  # fmt: skip
def test_tickets_get_readable_names(url: str, name: str) -> None:
    assert ticket(url) == name


def test_action_items_tables_show_ticket_names_and_keep_the_address(tmp_path: Path) -> None:
    long_url = "https://tracker.example.com/projects/reliability/tickets/" + "x" * 80
    items = [
        {**item("Page on payment errors", "team-payments", "open", "2025-01-01"),
         "link": "https://github.com/acme/payments/issues/41926"},
        {**item("Rewrite the runbook", "team-payments", "open"), "link": long_url},
    ]  # fmt: skip
    root = make_project(
        tmp_path,
        {"a.md": postmortem("Payments failed", "2025-03-01", extra={"action_items": items})},
        site=True,
    )
    assert build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    html = read(root, "action-items/index.html")
    github = (
        '<td class="pmkb-ticket"><a href="https://github.com/acme/payments/issues/41926">'
        "acme/payments#41926</a></td>"
    )
    assert github in html
    assert (
        f'<a href="{long_url}">tracker.example.com/…/xxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxx</a>' in html
    )
    incident = read(root, "incidents/a/index.html")
    assert f'<a href="{long_url}">tracker.example.com/…/' in incident


# ---------------------------------------------------------------------------------------------
# Empty states and chart readability
#
# E1..E3 in March 2025, no times recorded and no action items; one draft with both.


def ticks(chart: ET.Element) -> list[tuple[float, str]]:
    """The y axis: each grid line's y and its label."""
    lines = [
        float(g.get("y1", "nan")) for g in chart.iter(f"{SVG}line") if g.get("class") == "pmkb-grid"
    ]
    labels = [t.text or "" for t in chart.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    return list(zip(lines, labels, strict=True))


@pytest.fixture(scope="module")
def bare_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        f"2025-03-{day:02d}-e.md": postmortem(f"Bare {day}", f"2025-03-{day:02d}", extra=NO_TIMES)
        for day in (3, 10, 17)
    }
    root = make_project(tmp_path_factory.mktemp("bare-kb"), files, site=True)
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return root


def test_time_charts_without_times_say_what_to_record(bare_site: Path) -> None:
    html = read(bare_site, "trends/index.html")
    titles = [chart_text(parse_svg(s), "title") for s in svgs(html)]
    assert titles == ["Incidents per month by severity", "Incidents per service"]
    for text in (
        "No incident records both when impact started and when it was detected: add started"
        " and detected to a postmortem&#39;s front matter to chart the time to detect.",
        "No incident records when it was mitigated along with when it started or was detected:"
        " add mitigated, and started or detected, to chart the time to mitigate.",
        "No incident records when it was resolved along with when it started or was detected:"
        " add resolved, and started or detected, to chart the time to resolve.",
    ):
        assert f'<p class="pmkb-empty">{text}</p>' in html
    assert "To detect: n" not in html  # no table of dashes


def test_action_items_page_without_items_says_how_to_add_them(bare_site: Path) -> None:
    html = read(bare_site, "action-items/index.html")
    assert svgs(html) == []
    assert (
        '<p class="pmkb-empty">No action items yet: list the follow-up work of a postmortem under'
        " action_items in its front matter, and the share done per quarter shows here.</p>"
    ) in html
    assert '<p class="pmkb-empty">No action items yet, so nobody owns any.</p>' in html
    assert "<th>Owner</th>" not in html


def test_a_knowledge_base_without_published_incidents_draws_no_chart(tmp_path: Path) -> None:
    draft = postmortem("Only a draft", "2025-03-03", status="draft")
    root = make_project(tmp_path, {"draft.md": draft}, site=True)
    assert build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    html = read(root, "trends/index.html")
    assert svgs(html) == []
    assert "No published incidents yet: they are counted here by month or quarter" in html
    assert "No published incidents yet, so no service has any." in html
    assert "No published incidents yet: their contributing factors are counted here" in html
    assert "<th>Quarter</th>" not in html
    incidents = read(root, "incidents/index.html")
    assert (
        "No published incidents yet: a postmortem is listed here once its status is published."
        in incidents
    )
    assert "<table" not in incidents and "data-pmkb-filters" not in incidents


def test_a_single_period_draws_a_bar_not_a_block(bare_site: Path) -> None:
    chart = parse_svg(svgs(read(bare_site, "trends/index.html"))[0])
    widths = [
        float(r.get("width", "nan"))
        for r in chart.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    ]
    assert len(widths) == 1 and widths[0] <= 64 * 0.7


def test_axes_cover_the_data_with_units(trends: str, actions: str) -> None:
    charts = {chart_text(c, "title"): c for c in map(parse_svg, svgs(trends) + svgs(actions))}
    # The longest bar, resolve's p90 of 1500 minutes, is just over a day: the axis reaches a week.
    assert [label for _, label in ticks(charts["Time to resolve per quarter"])] == [
        "1 min", "10 min", "1 h", "6 h", "1 d", "1 wk",
    ]  # fmt: skip
    # Detection's longest, 90 minutes: the axis reaches 6 hours.
    assert [label for _, label in ticks(charts["Time to detect per quarter"])][-1] == "6 h"
    for title, chart in charts.items():
        top = min(y for y, _ in ticks(chart))
        for rect in chart.iter(f"{SVG}rect"):
            if rect.find(f"{SVG}title") is not None:
                assert float(rect.get("y", "nan")) >= top - 0.05, (title, rect.attrib)
    # A share done runs from 0 % to 100 %, whatever the quarters reached.
    completion = charts["Action items done, by quarter of the incident"]
    assert [label for _, label in ticks(completion)] == ["0%", "25%", "50%", "75%", "100%"]


def test_stats_folds_and_caps_long_lists() -> None:
    episodes = [
        {"id": f"factor-number-{n}", "incidents": 3, "first": "2025-01-01", "last": "2025-02-01"}
        for n in range(8)
    ]
    figures = {
        "as_of": "2025-11-25", "postmortems": 40, "published": 40, "near_misses": 0,
        "drafts_held_back": 0,
        "first": "2025-01-01", "last": "2025-10-01", "by_severity": {"SEV1": 40},
        "minutes": {"detect": {"count": 0, "median": None, "p90": None}},
        "top_factors": [], "top_services": [], "recurring_factors": episodes,
        "action_items": {"total": 0, "open": 0, "in-progress": 0, "done": 0, "wont-do": 0, "overdue": 0},
    }  # fmt: skip
    lines = format_figures(figures).splitlines()
    assert max(len(line) for line in lines) <= 100
    start = next(i for i, line in enumerate(lines) if line.startswith("Recurring factors"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Action items"))
    listed = " ".join(line.strip() for line in lines[start:end])
    assert "factor-number-4 (3 from 2025-01-01 to 2025-02-01)" in listed
    assert "factor-number-5" not in listed
    assert listed.endswith("and 3 more (--format json lists all)")
    assert lines[start + 1].startswith(" " * 21 + "factor-number-")


# ---------------------------------------------------------------------------------------------
# A postmortem with its own action-items section (another template's)


def own_section_body(heading: str) -> str:
    return BODY_TEMPLATE.format(summary="A short summary.") + (
        f"\n## {heading}\n\n| Action | Owner |\n| --- | --- |\n| Add a canary | team-payments |\n"
    )


def h2s(html: str) -> list[str]:
    """The article's level-2 headings, as a reader sees them."""
    article = html[html.index("<article") : html.index("</article>")]
    return [
        htmllib.unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "").strip()
        for h in re.findall(r"<h2[^>]*>(.*?)</h2>", article, re.S)
    ]


def test_a_postmortem_with_its_own_action_items_has_one_list_of_that_name(tmp_path: Path) -> None:
    tracked = {"action_items": [item("Add a canary", "team-payments", "open")]}
    root = make_project(
        tmp_path,
        {
            "both.md": postmortem("Both", "2025-03-01", extra=tracked, body=own_section_body("Action Items")),
            "own.md": postmortem("Own only", "2025-03-02", body=own_section_body("Action items:")),
            "alias.md": postmortem("Alias", "2025-03-03", extra=tracked, body=own_section_body("Repair items")),
            "plain.md": postmortem("Plain", "2025-03-04"),
        },
        options={"section_aliases": {"Action items": ["Repair items"]}},
        site=True,
    )  # fmt: skip
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    sections = ["Summary", "Impact", "Timeline", "Contributing factors", "Lessons learned"]
    both = read(root, "incidents/both/index.html")
    assert h2s(both) == [*sections, "Action Items", "Tracked action items", "Related incidents"]
    assert "the “Action Items” section above is its authors' own account of them." in both
    own = read(root, "incidents/own/index.html")
    assert h2s(own) == [*sections, "Action items:", "Related incidents"]
    assert "No action items were recorded." not in own
    alias = read(root, "incidents/alias/index.html")
    assert h2s(alias) == [*sections, "Repair items", "Tracked action items", "Related incidents"]
    plain = read(root, "incidents/plain/index.html")
    assert h2s(plain) == [*sections, "Action items", "Related incidents"]
    assert "No action items were recorded." in plain


def test_time_table_leaves_out_measures_no_incident_recorded(tmp_path: Path) -> None:
    # Detected 10:20 and resolved 12:15, nothing else: only time to resolve, from detection.
    extra = {**NO_TIMES, "detected": t("2025-03-03T10:20"), "resolved": t("2025-03-03T12:15")}
    root = make_project(tmp_path, {"a.md": postmortem("A", "2025-03-03", extra=extra)}, site=True)
    assert build(root, strict=True, env={"SOURCE_DATE_EPOCH": EPOCH}).returncode == 0
    html = read(root, "trends/index.html")
    wrap = section(html, "time-to-detect-mitigate-and-resolve", "contributing-factors-over-time")
    table = re.search(r'<table class="pmkb-table">.*?</table>', wrap, re.S)
    assert table is not None
    assert table_rows(table.group(0)) == [
        ["Quarter", "To resolve: n", "median", "p90"],
        ["2025 Q1", "1", "1 h 55 min", "1 h 55 min"],
    ]


def test_charts_without_a_legend_leave_no_blank_band(site: Path, trends: str) -> None:
    charts = [parse_svg(s) for s in svgs(read(site, "services/checkout/index.html")) + svgs(trends)]
    for chart in charts:
        height = float((chart.get("viewBox") or "").split()[3])
        lowest = max(
            float(t.get("y", "0")) + sum(float(s.get("dy", "0")) for s in t.iter(f"{SVG}tspan"))
            for t in chart.iter(f"{SVG}text")
        )
        # The last line of text (labels, or the legend) sits within 12 units of the bottom.
        assert height - 12 <= lowest <= height, chart_text(chart, "title")
