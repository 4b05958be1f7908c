"""The example's home page in Chromium: its "on this day" block, as of the tests' build date
(2026-11-25), lists last year's Black Friday incident and the open action items of the
most-linked postmortems, readable in both colour schemes at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .served import Site
from .test_accessibility import open_page, unexpected, violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

LAST_YEAR = "incidents/2025-11-28-black-friday-search-latency/"
TITLE = "Search latency doubled during Black Friday, checkout held"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_home_page_shows_this_week_in_earlier_years(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site.url, scheme)
    heading = page.locator("#this-week-in-earlier-years")
    heading.scroll_into_view_if_needed()
    assert heading.is_visible()
    week = page.locator("ul.pmkb-anniversaries > li")
    assert week.count() == 1  # this year's draft of 23 November is not there
    entry = week.first
    assert entry.locator("strong").inner_text() == "2025"
    assert "2025-11-28 · 1 year ago" in entry.inner_text()
    assert entry.locator(".pmkb-sev").is_visible()
    assert (
        "22 to 28 November in earlier years, as of 2026-11-25"
        in page.locator(".pmkb-on-this-day .pmkb-lead").first.inner_text()
    )

    linked = page.locator("ul.pmkb-linked > li")
    assert 1 <= linked.count() <= 5
    items = page.locator("ul.pmkb-linked ul.pmkb-actions > li")
    assert items.count() >= linked.count()
    statuses = {items.nth(i).locator(".pmkb-item").inner_text() for i in range(items.count())}
    assert statuses <= {"open", "in progress"}
    # Nothing wider than the page, and every title inside the content column.
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    column = page.locator(".md-content").bounding_box()
    box = entry.bounding_box()
    assert column and box and box["x"] + box["width"] <= column["x"] + column["width"] + 1
    problems = unexpected(violations(page))
    assert not problems, "\n".join(problems)
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    heading.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"on-this-day-{name}-{scheme}.png")

    entry.get_by_role("link", name=TITLE).click()
    page.wait_for_url(site.url + LAST_YEAR)
    assert page.locator("h1").first.inner_text() == TITLE
