"""The example's public site (mkdocs.public.yml) in Chromium: a public incident page shows its
external summary and nothing internal, light and dark, on a desktop and a phone, without axe-core
violations; the listing, services and search know only the public postmortems."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers import build

from .conftest import SOURCE_DATE_EPOCH
from .served import REPO, Site, served
from .test_accessibility import open_page, unexpected, violations

with contextlib.suppress(ImportError):  # without Playwright, the `browser` fixture says why
    from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PUBLIC = "incidents/2024-03-12-gateway-certificate-expired/"
TITLE = "Public API unreachable after gateway TLS certificate expired"
EXTERNAL = "A security certificate that lets your browser and our apps confirm"
# Words of the same postmortem that stay internal: its internal summary, an author, a ticket.
INTERNAL_WORDS = ["wildcard TLS certificate", "Femi Adebayo", "EDGE-201", "team-edge"]
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def public_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example's public site, built with `mkdocs build --strict -f mkdocs.public.yml`."""
    root = tmp_path_factory.mktemp("example-public")
    for name in ("mkdocs.yml", "mkdocs.public.yml"):
        shutil.copy(REPO / name, root / name)
    for folder in ("docs", "docs-public", "postmortems"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "mkdocs.yml").rename(root / "internal.yml")
    # `build` builds the mkdocs.yml of a folder: the public one, inheriting the internal one.
    text = (root / "mkdocs.public.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        text.replace("INHERIT: mkdocs.yml", "INHERIT: internal.yml"), newline="\n"
    )
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    if result.returncode != 0:
        pytest.fail(f"the public example site does not build:\n{result.stderr}", pytrace=False)
    with served(root / "site-public") as site:
        yield site


@pytest.fixture
def public_tab(browser: Browser, public_site: Site, scheme: str) -> Iterator[Page]:
    """A tab on the public site preferring `scheme`, reaching nothing else."""
    context = browser.new_context(color_scheme="dark" if scheme == "dark" else "light")
    context.set_default_timeout(10_000)
    context.route(lambda url: not public_site.is_local(url), lambda route: route.abort())
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_public_page_shows_its_external_summary_and_nothing_internal(
    public_tab: Page, public_site: Site, screenshots: Path, scheme: str, width: int
) -> None:
    public_tab.set_viewport_size({"width": width, "height": 900})
    open_page(public_tab, public_site.url + PUBLIC, scheme)
    content = public_tab.locator("article")
    assert public_tab.locator("h1").inner_text() == TITLE
    text = content.inner_text()
    assert EXTERNAL in text
    for word in INTERNAL_WORDS:
        assert word not in public_tab.content(), word
    headings = content.locator("h2").all_inner_texts()
    assert [h.strip("¶ \n") for h in headings] == ["Related incidents"]
    # The summary is the first thing after the card, and readable: it fits the width.
    summary = content.locator("p", has_text=EXTERNAL)
    card = content.locator(".pmkb-card")
    card_box, summary_box = card.bounding_box(), summary.bounding_box()
    assert card_box and summary_box and card_box["y"] < summary_box["y"]
    assert summary_box["x"] + summary_box["width"] <= width
    assert public_tab.evaluate("document.documentElement.scrollWidth <= innerWidth")
    problems = unexpected(violations(public_tab))
    assert not problems, "\n".join(problems)
    name = "desktop" if width == WIDTHS["desktop"] else "phone"
    public_tab.screenshot(path=screenshots / f"public-incident-{name}-{scheme}.png", full_page=True)


def test_the_public_site_lists_and_finds_only_public_postmortems(
    public_tab: Page, public_site: Site
) -> None:
    public_tab.goto(public_site.url + "incidents/")
    rows = public_tab.locator("table tbody tr")
    assert rows.count() == 2
    listed = rows.all_inner_texts()
    assert any(TITLE in row for row in listed)
    assert any("Order confirmation emails delayed" in row for row in listed)
    public_tab.goto(public_site.url + "services/")
    services = public_tab.locator("article").inner_text()
    for shown in ("API gateway", "Mobile API", "Storefront", "Notifications"):
        assert shown in services
    for hidden in ("Support console", "Payments", "Checkout"):
        assert hidden not in services
    # Search finds the incident by its external summary's words, and by none of the internal
    # text (factor and service pages, which are public, may hold any of the words).
    public_tab.goto(public_site.url + "search/?query=certificate&kind=Incident")
    status = public_tab.locator(".pmkb-search__status")
    expect(status).to_have_text("1 result")
    expect(public_tab.locator(".pmkb-result__title")).to_have_text([TITLE])
    for word in ("wildcard", "session", "Adebayo"):
        public_tab.goto(public_site.url + f"search/?query={word}&kind=Incident")
        expect(status).to_have_text("0 results")
