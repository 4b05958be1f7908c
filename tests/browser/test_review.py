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

from .cards import WIDTHS, card_row, shown_titles
from .served import Site

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


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_card_shows_who_reviewed_and_when(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    shot = screenshots / f"review-card-{name}-{scheme}.png"
    assert (
        card_row(page, site, REVIEWED, "Reviewed", scheme, width, shot)
        == "by Marcus Lindqvist on 2025-01-30"
    )


def test_the_incidents_table_lists_those_awaiting_review(page: Page, site: Site) -> None:
    page.goto(site.url + "incidents/")
    page.select_option("[data-pmkb-filters] select[name=review]", label="Awaiting review")
    assert shown_titles(page) == AWAITING
    assert parse_qs(urlsplit(page.url).query) == {"review": ["awaiting"]}
    page.select_option("[data-pmkb-filters] select[name=review]", label="Reviewed")
    # The example's published SEV1 and SEV2 postmortems record their reviews: 16 on the internal
    # site, the restricted one not.
    assert len(shown_titles(page)) == 16


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
