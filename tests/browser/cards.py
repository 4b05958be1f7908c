"""What the browser tests of the incident card and the incidents table share: a row of the card
read and checked as a reader sees it, and the titles the table shows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .served import Site
from .test_accessibility import open_page, unexpected, violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTHS = {"desktop": 1280, "phone": 390}


def card_row(
    page: Page, site: Site, path: str, label: str, scheme: str, width: int, shot: Path
) -> str:
    """The value of the card's row `label` on the page at `path`, once the row is seen visible,
    inside the card, the page no wider than the screen and free of axe-core violations; the
    card's screenshot is written to `shot`."""
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site.url + path, scheme)
    card = page.locator(".pmkb-card")
    title = card.locator(".pmkb-card__rows dt", has_text=label)
    value = title.locator("xpath=following-sibling::dd[1]")
    assert title.is_visible() and value.is_visible()
    box, inside = value.bounding_box(), card.bounding_box()
    assert box and inside
    assert inside["x"] <= box["x"] and box["x"] + box["width"] <= inside["x"] + inside["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    problems = unexpected(violations(page))
    assert not problems, "\n".join(problems)
    card.screenshot(path=shot)
    return value.inner_text()


def shown_titles(page: Page) -> list[str]:
    """The titles of the incidents table's rows the filters leave shown, sorted."""
    rows = page.locator("table[data-pmkb-table] tbody tr:visible .pmkb-incident-title a")
    return sorted(rows.all_inner_texts())
