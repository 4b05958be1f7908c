"""The example's near miss in Chromium: its page says "Near miss" where a reader looks first,
with no durations, in both colour schemes and at desktop and phone widths; the trends, service
and factor pages count it apart and lead to it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .served import Site
from .test_accessibility import open_page, unexpected, violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

NEAR_MISS = "incidents/2026-01-20-payments-cert-renewal-near-miss/"
TITLE = "Payment provider certificate renewed with two days to spare"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_near_miss_page_says_so_on_its_card(
    page: Page, site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site.url + NEAR_MISS, scheme)
    card = page.locator(".pmkb-card")
    badge = card.locator(".pmkb-kind--near-miss")
    assert badge.inner_text() == "Near miss" and badge.is_visible()
    # First on the card, before the severity, and inside it, whatever the width.
    box, inside = badge.bounding_box(), card.bounding_box()
    assert box and inside
    assert inside["x"] <= box["x"] and box["x"] + box["width"] <= inside["x"] + inside["width"]
    assert box["x"] < (card.locator(".pmkb-sev").bounding_box() or {"x": 0})["x"]
    facts = card.locator(".pmkb-facts").inner_text().upper()
    assert "IMPACT" in facts and "NONE" in facts
    assert "TIME TO DETECT" not in facts and "DURATION" not in facts
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    problems = unexpected(violations(page))
    assert not problems, "\n".join(problems)
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    page.screenshot(path=screenshots / f"near-miss-{name}-{scheme}.png")


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("trends/", "1 near miss on 2026-01-20: caught before it reached users."),
        ("services/payments/", "1 near miss on this service: caught before it reached users"),
        ("factors/certificate-expiry/", "1 near miss on this factor: caught before it reached users"),
    ],
)  # fmt: skip
def test_pages_count_the_near_miss_apart_and_lead_to_it(
    page: Page, site: Site, path: str, count: str
) -> None:
    page.goto(site.url + path)
    section = page.locator("#near-misses ~ p").first
    assert count in section.inner_text()
    page.locator("#near-misses ~ div.pmkb-table-wrap").first.get_by_role("link", name=TITLE).click()
    page.wait_for_url(site.url + NEAR_MISS)
    assert page.locator(".pmkb-kind--near-miss").inner_text() == "Near miss"
