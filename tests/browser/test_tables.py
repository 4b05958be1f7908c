"""Action-item tables with real trackers' long addresses and titles, and charts, in Chromium
at desktop and phone widths: no word of an incident's title or an action breaks mid-word, a
ticket's name stays inside its own column, chart labels stay readable on a phone, and each
chart's "Data" toggle and table stay inside the content column.
Screenshots land in tests/artifacts/screenshots/ as tables-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import SITE_FACTORS, build, make_project, postmortem

from .served import Site, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TITLES = [
    "Intermittent authentication failures during certificate rotation",
    "Elasticsearch cluster unavailable after misconfigured shard allocation",
    "Payments",
]
LINKS = [
    "https://github.com/kubernetes-sigs/cluster-api-provider-openstack/issues/41926",
    "https://lists.debian.org/debian-devel-announce/2010/01/msg00012210.html",
    "https://acme.atlassian.net/jira/software/c/projects/RELIABILITY/boards/17?selectedIssue=RELIABILITY-2031",
    "https://tracker.example.com/" + "very-long-ticket-slug-" * 6,
]
ACTION = "Add a pre-flight validation step to the configuration deployment pipeline"
WIDTHS = {"desktop": 1280, "phone": 390}

# For each cell of the columns named, the words that the browser laid out on more than one line
# (a hyphen is a fair place for a line break: `team-platform` may wrap after `team-`).
BROKEN_WORDS = """(names) => {
  const table = document.querySelector("table.pmkb-actions");
  const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
  const columns = names.map(n => heads.indexOf(n));
  const broken = [];
  for (const row of table.tBodies[0].rows) {
    for (const column of columns) {
      const walker = document.createTreeWalker(row.cells[column], NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/[^\\s-]+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
          if (tops.size > 1) broken.push(match[0]);
        }
      }
    }
  }
  return broken;
}"""
# Ticket links that reach past their own cell.
OVERFLOWING_TICKETS = """() => [...document.querySelectorAll("td.pmkb-ticket a")]
  .filter(a => a.getBoundingClientRect().right > a.closest("td").getBoundingClientRect().right + 0.5)
  .map(a => a.textContent)"""


@contextmanager
def _opened(
    browser: Browser, site: Site, path: str, width: str = "desktop", scheme: str = "light"
) -> Iterator[Page]:
    """`path` of the site, loaded at one of WIDTHS in a colour scheme; nothing from elsewhere."""
    context = browser.new_context(
        viewport={"width": WIDTHS[width], "height": 900},
        color_scheme="dark" if scheme == "dark" else "light",
    )
    context.route(lambda url: not site.is_local(url), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(site.url + path)
        page.wait_for_load_state("load")
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def tracker_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("tables-browser")
    postmortems = {
        f"case-{n}.md": postmortem(
            title,
            f"2025-0{n + 1}-10",
            extra={
                "action_items": [
                    {
                        "title": ACTION,
                        "owner": "team-platform-reliability",
                        "status": "open",
                        "due": "2025-06-01",
                        "link": link,
                    }
                    for link in LINKS
                ]
            },
        )
        for n, title in enumerate(TITLES)
    }
    # One incident touching every service, with a long factor name, as real archives have.
    factors = {
        **SITE_FACTORS,
        "cert-expiry": {"name": "Certificate or credential expiry", "category": "Change"},
    }
    postmortems["case-wide.md"] = postmortem(
        "Card payments declined after the payment provider's client certificate expired",
        "2025-05-10",
        services=["checkout", "payments", "search"],
        factors=["cert-expiry", "missing-alert", "traffic-surge"],
    )
    make_project(root, postmortems, factors=factors, site=True)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    with served(root / "site") as site:
        yield site


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_action_item_tables_wrap_without_breaking_words(
    browser: Browser, tracker_site: Site, screenshots: Path, width: str, scheme: str
) -> None:
    with _opened(browser, tracker_site, "action-items/", width, scheme) as page:
        names = page.locator("table.pmkb-actions td.pmkb-ticket a").all_text_contents()
        assert "kubernetes-sigs/cluster-api-provider-openstack#41926" in names
        assert "RELIABILITY-2031" in names
        assert page.evaluate(BROKEN_WORDS, ["Action", "Incident", "Owner"]) == []
        assert page.evaluate(OVERFLOWING_TICKETS) == []
        page.screenshot(
            path=screenshots / f"tables-action-items-{width}-{scheme}.png", full_page=True
        )


def test_chart_labels_stay_readable_on_a_phone(
    browser: Browser, tracker_site: Site, screenshots: Path
) -> None:
    with _opened(browser, tracker_site, "trends/", "phone") as page:
        heights = page.locator("svg.pmkb-svg text").evaluate_all(
            "texts => texts.map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 9, heights  # scaled to 390 px they were 4 px
        page.screenshot(path=screenshots / "tables-trends-phone-light.png", full_page=True)


def test_a_service_page_incident_table_fits_a_desktop_page(
    browser: Browser, tracker_site: Site
) -> None:
    with _opened(browser, tracker_site, "services/checkout/", "desktop") as page:
        overflow = page.locator(".pmkb-table-wrap").evaluate_all(
            "wraps => wraps.map(w => w.scrollWidth - w.clientWidth)"
        )
        assert overflow and max(overflow) <= 0, overflow


# Each chart's "Data" toggle (its disclosure marker included) and, opened, its table: how far
# each reaches past the content column on either side, in CSS pixels.
DATA_OUTSIDE_COLUMN = """() => {
  const column = document.querySelector("article.md-content__inner").getBoundingClientRect();
  const out = [];
  for (const details of document.querySelectorAll("details.pmkb-data")) {
    details.open = true;
    const summary = details.querySelector("summary");
    const box = summary.getBoundingClientRect();
    const marker = getComputedStyle(summary, "::before");
    const markerLeft = marker.position === "absolute" ? box.left + parseFloat(marker.left) : box.left;
    // A table wider than the column may scroll inside its disclosure: what shows is clipped.
    const table = details.querySelector("table").getBoundingClientRect();
    const clip = ["auto", "scroll"].includes(getComputedStyle(details).overflowX)
      ? details.getBoundingClientRect() : table;
    const left = Math.min(box.left, markerLeft, Math.max(table.left, clip.left));
    const right = Math.max(box.right, Math.min(table.right, clip.right));
    if (left < column.left - 0.5 || right > column.right + 0.5)
      out.push([summary.textContent, Math.round(column.left - left), Math.round(right - column.right)]);
  }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("path", ["trends/", "services/checkout/"])
def test_chart_data_toggles_sit_inside_the_content_column(
    browser: Browser, tracker_site: Site, screenshots: Path, path: str, width: str, scheme: str
) -> None:
    with _opened(browser, tracker_site, path, width, scheme) as page:
        assert page.locator("details.pmkb-data").count() > 0
        assert page.evaluate(DATA_OUTSIDE_COLUMN) == []
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        name = path.strip("/").replace("/", "-")
        page.screenshot(
            path=screenshots / f"tables-data-{name}-{width}-{scheme}.png", full_page=True
        )


def test_the_header_cards_line_for_search_is_not_shown(
    browser: Browser, tracker_site: Site
) -> None:
    """The card's one line of text is for search indexes: the page shows the card once."""
    with _opened(browser, tracker_site, "incidents/case-wide/", "desktop") as page:
        line = page.locator(".pmkb-card__text")
        assert line.count() == 1 and "· Services: Checkout, Payments, Product search ·" in (
            line.text_content() or ""
        )
        assert line.is_hidden()
        shown = page.locator(".pmkb-card").inner_text()
        assert "DATE" in shown.upper() and "·" not in shown


# The example's palettes: the light and dark schemes follow the browser's preference.
PALETTES = [
    {"media": "(prefers-color-scheme: light)", "scheme": "default", "primary": "black"},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate", "primary": "black"},
]
PAGED_DAYS = ["2026-02-01", "2025-11-20", "2025-06-02", "2025-06-01", "2025-01-05", "2024-12-31", "2024-03-03", "2024-01-01"]  # fmt: skip


def _paged_project(root: Path, search: str) -> Path:
    """Eight incidents in pages of three, the first two years on checkout, the rest on search."""
    postmortems = {
        f"{day}.md": postmortem(
            f"Incident of {day}",
            day,
            services=["checkout" if day >= "2025" else "search"],
            factors=["config-change", "missing-alert", "traffic-surge"],
        )
        for day in PAGED_DAYS
    }
    options = {"listing_page_size": 3, "search": search}
    theme = {"name": "material", "features": ["navigation.instant"], "palette": PALETTES}
    make_project(root, postmortems, site=True, options=options, mkdocs={"theme": theme})
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The incidents table in pages, with the search page."""
    with served(_paged_project(tmp_path_factory.mktemp("paged"), "auto") / "site") as site:
        yield site


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_page_of_the_incidents_table_fits_and_has_no_axe_violation(
    browser: Browser, paged_site: Site, screenshots: Path, width: str, scheme: str
) -> None:
    from .test_accessibility import unexpected, violations

    with _opened(browser, paged_site, "incidents/page/2/", width, scheme) as page:
        expected = "slate" if scheme == "dark" else "default"
        assert page.locator("body").get_attribute("data-md-color-scheme") == expected
        nav = page.locator('nav[aria-label="Incidents pages"]')
        assert nav.locator("a").all_text_contents() == ["Previous", "1", "2", "3", "Next"]
        assert nav.locator('[aria-current="page"]').text_content() == "2"
        # The pagination, the years and the filters wrap inside the page; only the table scrolls.
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        problems = unexpected(violations(page))
        assert not problems, "\n".join(problems)
        page.screenshot(path=screenshots / f"tables-incidents-page-{width}-{scheme}.png", full_page=True)  # fmt: skip


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_the_filters_of_a_page_search_every_incident(
    browser: Browser, paged_site: Site, script: bool
) -> None:
    """A plain form: without JavaScript too, it sends the search page the names it filters by."""
    context = browser.new_context(java_script_enabled=script)
    context.route(lambda url: not paged_site.is_local(url), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(paged_site.url + "incidents/page/3/")
        form = "form[data-pmkb-search-filters]"
        page.select_option(f"{form} select[name=service]", label="Checkout")
        page.select_option(f"{form} select[name=year]", "2025")
        page.click(f"{form} button[type=submit]")
        page.wait_for_url("**/search/**")
        url = urlsplit(page.url)
        assert url.path == "/search/"
        assert parse_qs(url.query) == {"service": ["Checkout"], "year": ["2025"]}
    finally:
        context.close()


def test_a_link_to_the_table_filtered_by_id_goes_on_to_the_search_page(
    browser: Browser, paged_site: Site
) -> None:
    with _opened(browser, paged_site, "incidents/?service=checkout&factor=missing-alert&x=1") as page:  # fmt: skip
        page.wait_for_url("**/search/**")
        assert page.url == paged_site.url + "search/?service=Checkout&factor=Missing+alert"


def test_without_the_search_page_the_filters_count_this_page_only(
    browser: Browser, tmp_path: Path
) -> None:
    root = _paged_project(tmp_path, "full")
    with served(root / "site") as site, _opened(browser, site, "incidents/page/2/?service=checkout") as page:  # fmt: skip
        shown = page.locator("[data-pmkb-filters] output").text_content()
        assert shown == "2 of 3 incidents on this page"
        assert page.locator("[data-pmkb-table] tbody tr:visible").count() == 2
