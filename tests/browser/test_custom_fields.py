"""The example's custom field in Chromium: `customer_impact` on the header card, light and dark,
at desktop and phone widths, inside the card and without axe-core violations; the incidents
table and the search page filter by it."""

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

GATEWAY = "incidents/2024-03-12-gateway-certificate-expired/"
# The example's only incident that reached every customer.
ALL = ["Public API unreachable after gateway TLS certificate expired"]
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_card_shows_the_customer_impact(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site.url + GATEWAY, scheme)
    card = page.locator(".pmkb-card")
    label = card.locator(".pmkb-card__rows dt", has_text="Customer impact")
    value = label.locator("xpath=following-sibling::dd[1]")
    assert label.is_visible() and value.is_visible()
    assert value.inner_text() == "all"
    box, inside = value.bounding_box(), card.bounding_box()
    assert box and inside
    assert inside["x"] <= box["x"] and box["x"] + box["width"] <= inside["x"] + inside["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    problems = unexpected(violations(page))
    assert not problems, "\n".join(problems)
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    card.screenshot(path=screenshots / f"custom-field-card-{name}-{scheme}.png")


def _shown_titles(page: Page) -> list[str]:
    rows = page.locator("table[data-pmkb-table] tbody tr:visible .pmkb-incident-title a")
    return sorted(rows.all_inner_texts())


def test_the_incidents_table_filters_by_customer_impact(page: Page, site: Site) -> None:
    page.goto(site.url + "incidents/")
    select = "[data-pmkb-filters] select[name=customer_impact]"
    page.select_option(select, label="all")
    assert _shown_titles(page) == ALL
    assert parse_qs(urlsplit(page.url).query) == {"customer_impact": ["all"]}
    page.select_option(select, label="some")
    assert len(_shown_titles(page)) == 4


def test_the_search_page_filters_by_customer_impact(page: Page, site: Site) -> None:
    page.goto(site.url + "search/?customer_impact=all")
    expect(page.locator(".pmkb-search__status")).to_have_text("1 result")
    expect(page.locator("select[name=customer_impact]")).to_have_value("all")
    expect(page.locator(".pmkb-result__title")).to_have_text(ALL)
