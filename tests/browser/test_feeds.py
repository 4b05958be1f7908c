"""The Atom feeds on the example site, in Chromium: a service's and a factor's page show a link to
their feed, named for what it follows, inside the content column at desktop and phone widths in
both colour schemes, and the browser fetches the feed it leads to; the feeds a page's head
announces load as well. Screenshots land in tests/artifacts/screenshots/ as feeds-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .served import Site

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGES = {
    "service": ("services/checkout/", "service", "feed-service-checkout.xml"),
    "factor": ("factors/config-change/", "contributing factor", "feed-factor-config-change.xml"),
}
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_service_and_factor_pages_link_to_their_feed(
    page: Page,
    site: Site,
    console_errors: list[str],
    screenshots: Path,
    kind: str,
    scheme: str,
    width: str,
) -> None:
    path, what, feed = PAGES[kind]
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    page.goto(site.url + path)
    link = page.get_by_role(
        "link", name=f"Subscribe to new postmortems of this {what} (Atom feed)", exact=True
    )
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    box, column = link.bounding_box(), page.locator("article").bounding_box()
    assert box is not None and column is not None
    assert column["x"] <= box["x"] and box["x"] + box["width"] <= column["x"] + column["width"]
    assert link.get_attribute("type") == "application/atom+xml"
    # The feed icon before the words is drawn, in the link's colour.
    icon = link.evaluate(
        "a => { const s = getComputedStyle(a, '::before');"
        " return [parseFloat(s.width), s.maskImage || s.webkitMaskImage, s.backgroundColor,"
        " getComputedStyle(a).color]; }"
    )
    assert icon[0] > 8 and icon[1].startswith("url(") and icon[2] == icon[3]
    href = link.evaluate("a => a.href")
    assert href == site.url + feed
    response = page.request.get(href)
    assert response.ok and response.body().startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    link.screenshot(path=screenshots / f"feeds-{kind}-{scheme}-{width}.png", animations="disabled")
    assert not console_errors, "\n".join(console_errors)


def test_the_feeds_a_page_announces_load(page: Page, site: Site) -> None:
    page.goto(site.url + "incidents/2024-11-29-black-friday-checkout-saturation/")
    hrefs = page.eval_on_selector_all(
        'head link[rel="alternate"][type="application/atom+xml"]', "links => links.map(l => l.href)"
    )
    assert hrefs[0] == site.url + "feed.xml"
    assert site.url + "feed-service-checkout.xml" in hrefs and len(hrefs) > 3
    for href in hrefs:
        response = page.request.get(href)
        assert response.ok, href
        assert b'<feed xmlns="http://www.w3.org/2005/Atom">' in response.body()
