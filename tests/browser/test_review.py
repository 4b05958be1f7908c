"""Recorded reviews in the example site, in Chromium: the header card says who reviewed and when,
light and dark, at desktop and phone widths, inside the card and without axe-core violations;
the incidents table and the search page find the incidents awaiting a review; the trends page
charts the days to review."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from .served import Site
from .test_accessibility import open_page, unexpected, violations

with contextlib.suppress(ImportError):  # without Playwright, the `browser` fixture says why
    from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

REVIEWED = "incidents/2025-01-14-payments-client-cert-expired/"
# The example's SEV1 and SEV2 postmortems still in review, which `review_required_for` names.
AWAITING = [
    "Checkout timeouts from deadlocks in stock reservation",
    "Event bus partitions offline after a broker volume filled",
]
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_card_shows_who_reviewed_and_when(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site.url + REVIEWED, scheme)
    card = page.locator(".pmkb-card")
    label = card.locator(".pmkb-card__rows dt", has_text="Reviewed")
    value = label.locator("xpath=following-sibling::dd[1]")
    assert label.is_visible() and value.is_visible()
    assert value.inner_text() == "by Marcus Lindqvist on 2025-01-30"
    box, inside = value.bounding_box(), card.bounding_box()
    assert box and inside
    assert inside["x"] <= box["x"] and box["x"] + box["width"] <= inside["x"] + inside["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    problems = unexpected(violations(page))
    assert not problems, "\n".join(problems)
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    card.screenshot(path=screenshots / f"review-card-{name}-{scheme}.png")


def _shown_titles(page: Page) -> list[str]:
    rows = page.locator("table[data-pmkb-table] tbody tr:visible .pmkb-incident-title a")
    return sorted(rows.all_inner_texts())


def test_the_incidents_table_lists_those_awaiting_review(page: Page, site: Site) -> None:
    page.goto(site.url + "incidents/")
    page.select_option("[data-pmkb-filters] select[name=review]", label="Awaiting review")
    assert _shown_titles(page) == AWAITING
    assert parse_qs(urlsplit(page.url).query) == {"review": ["awaiting"]}
    page.select_option("[data-pmkb-filters] select[name=review]", label="Reviewed")
    # The example's published SEV1 and SEV2 postmortems record their reviews: 16 on the internal
    # site, the restricted one not.
    assert len(_shown_titles(page)) == 16


def test_the_search_page_filters_by_review(page: Page, site: Site) -> None:
    page.goto(site.url + "search/?review=Awaiting+review")
    expect(page.locator(".pmkb-search__status")).to_have_text("2 results")
    expect(page.locator("select[name=review]")).to_have_value("Awaiting review")
    # Newest first, as the search page lists results without words.
    expect(page.locator(".pmkb-result__title")).to_have_text(AWAITING)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_trends_page_charts_the_days_to_review(
    page: Page, site: Site, screenshots: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site.url + "trends/")
    figure = page.locator("#time-to-review ~ figure.pmkb-chart").first
    figure.scroll_into_view_if_needed()
    assert figure.locator("svg title").first.text_content() == (
        "Days from incident to published review per quarter"
    )
    figure.locator("details.pmkb-data summary").click()
    rows = figure.locator("details.pmkb-data tbody tr")
    assert rows.count() > 4
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    figure.screenshot(path=screenshots / f"review-trends-{name}.png")
