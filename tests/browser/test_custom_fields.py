"""The example's custom field in Chromium: `customer_impact` on the header card, light and dark,
at desktop and phone widths, inside the card and without axe-core violations; the incidents
table and the search page filter by it."""

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

GATEWAY = "incidents/2024-03-12-gateway-certificate-expired/"
# The example's only incident that reached every customer.
ALL = ["Public API unreachable after gateway TLS certificate expired"]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_card_shows_the_customer_impact(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    shot = screenshots / f"custom-field-card-{name}-{scheme}.png"
    assert card_row(page, site, GATEWAY, "Customer impact", scheme, width, shot) == "all"


def test_the_incidents_table_filters_by_customer_impact(page: Page, site: Site) -> None:
    page.goto(site.url + "incidents/")
    select = "[data-pmkb-filters] select[name=customer_impact]"
    page.select_option(select, label="all")
    assert shown_titles(page) == ALL
    assert parse_qs(urlsplit(page.url).query) == {"customer_impact": ["all"]}
    page.select_option(select, label="some")
    assert len(shown_titles(page)) == 4


def test_the_search_page_filters_by_customer_impact(page: Page, site: Site) -> None:
    page.goto(site.url + "search/?customer_impact=all")
    expect(page.locator(".pmkb-search__status")).to_have_text("1 result")
    expect(page.locator("select[name=customer_impact]")).to_have_value("all")
    expect(page.locator(".pmkb-result__title")).to_have_text(ALL)
