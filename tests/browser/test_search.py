"""The faceted search (`search: auto`) in Chromium: the header's search box leads to the search
page, a word found only in one incident's timeline finds it (at 1,000 incidents too, first, for
a few hundred kB), a service filter narrows the results, the URL keeps the query and filters,
results show their facts and highlighted text, accents fold as the index's words do, and nothing
a postmortem writes becomes markup. Screenshots land in tests/artifacts/screenshots/ as
search-*.png, light and dark, desktop and phone.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import BODY_TEMPLATE, build, make_project, postmortem

from .served import REPO, served

with contextlib.suppress(ImportError):  # without Playwright, the `browser` fixture says why
    from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response

WORD = "zanzibarquux"  # only in the timeline of TITLE
TITLE = "Token service rejects tokens"
# The index files a first query may download, at most.
FIRST_QUERY_BUDGET = 300_000
ACCENTED = "Le réseau naïf du café"  # found by "reseau", "NAIF", "café"


def _body(timeline_line: str, summary: str = "A short summary of what happened.") -> str:
    return BODY_TEMPLATE.format(summary=summary).replace(
        "- 10:05 UTC — Alert fires.", f"- 10:05 UTC — {timeline_line}"
    )


@pytest.fixture(scope="module")
def search_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small knowledge base with the faceted search, built and served; its address."""
    root = tmp_path_factory.mktemp("search-site")
    postmortems = {
        "sidecar.md": postmortem(
            TITLE,
            "2024-03-02",
            services=["payments"],
            factors=["config-change"],
            severity="SEV1",
            body=_body(f"The {WORD} sidecar rejects every token."),
        ),
        # Shares the word "sidecar", and a service: the filter and the word must both count.
        "other.md": postmortem(
            "Checkout restarts under load",
            "2023-05-04",
            services=["checkout"],
            factors=["traffic-surge"],
            body=_body(
                f"The sidecar restarts; `<img src=x onerror=alert(1)>` is logged. {ACCENTED}."
            ),
        ),
        "draft.md": postmortem(
            "Draft about the same token service",
            "2024-06-01",
            status="draft",
            body=_body(f"The {WORD} sidecar again."),
        ),
    }
    # Material's palette follows the browser's colour scheme, as the example site's does.
    palette = [
        {"media": "(prefers-color-scheme: light)", "scheme": "default"},
        {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
    ]
    features = ["content.action.edit", "navigation.instant"]  # as the example site has
    theme = {"name": "material", "features": features, "palette": palette}
    make_project(root, postmortems, mkdocs={"theme": theme}, site=True)
    result = build(root, strict=True)
    assert result.returncode == 0, result.stderr
    with served(root / "site") as site:
        yield site.url


@pytest.fixture
def tab(browser: Browser, search_site: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.route(lambda url: not url.startswith(search_site), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def _titles(page: Page) -> list[str]:
    return page.locator(".pmkb-result__title").all_inner_texts()


def test_header_search_finds_a_timeline_word_and_filters_by_service(
    tab: Page, search_site: str
) -> None:
    downloaded: list[int] = []

    def on_response(response: Response) -> None:
        if "/search/index/" in response.url:
            downloaded.append(len(response.body()))

    tab.goto(search_site)
    box = tab.locator("input.md-search__input")
    expect(box).to_have_attribute("placeholder", "Search (Enter: every incident)")
    box.click()
    box.fill(WORD)
    tab.on("response", on_response)
    box.press("Enter")

    # The header's box leads to the search page, the query in its URL.
    tab.wait_for_url("**/search/?query=" + WORD)
    expect(tab.locator(".pmkb-search__status")).to_have_text("1 result")
    assert _titles(tab) == [TITLE]  # the draft with the same word is not found
    assert sum(downloaded) <= FIRST_QUERY_BUDGET, sum(downloaded)

    result = tab.locator(".pmkb-result").first
    expect(result.locator("mark")).to_have_text([WORD])
    expect(result.locator(".pmkb-result__excerpt")).to_contain_text(f"The {WORD} sidecar rejects")
    expect(result.locator(".pmkb-result__facts")).to_contain_text("SEV1")
    expect(result.locator(".pmkb-result__facts")).to_contain_text("2024-03-02")
    expect(result.locator(".pmkb-chip")).to_have_text(["Payments", "Configuration change"])
    result.locator(".pmkb-result__title").click()
    tab.wait_for_url("**/incidents/sidecar/")
    tab.go_back()

    # A word both incidents have, then a service filter: only that service's incident is left.
    tab.locator("#pmkb-search-q").fill("sidecar")
    expect(tab.locator(".pmkb-search__status")).to_have_text("2 results")
    tab.locator("select[name=service]").select_option("Checkout")
    expect(tab.locator(".pmkb-search__status")).to_have_text("1 result")
    assert _titles(tab) == ["Checkout restarts under load"]
    query = parse_qs(urlsplit(tab.url).query)
    assert query == {"query": ["sidecar"], "service": ["Checkout"]}

    # The URL is the search: opened anew, it shows the same results.
    shared = tab.url
    tab.goto("about:blank")
    tab.goto(shared)
    expect(tab.locator(".pmkb-search__status")).to_have_text("1 result")
    expect(tab.locator("select[name=service]")).to_have_value("Checkout")
    assert _titles(tab) == ["Checkout restarts under load"]


@pytest.mark.parametrize("typed", ["reseau", "NAIF", "café", "cafes"])
def test_accents_and_case_fold_as_the_index_does(tab: Page, search_site: str, typed: str) -> None:
    tab.goto(search_site + "search/?query=" + typed)
    expect(tab.locator(".pmkb-search__status")).to_have_text("1 result")
    expect(tab.locator(".pmkb-result__excerpt mark").first).to_have_text(
        re.compile("réseau|naïf|café")
    )


def test_a_chip_filters_and_text_from_a_postmortem_stays_text(tab: Page, search_site: str) -> None:
    tab.goto(search_site + "search/?query=onerror")
    expect(tab.locator(".pmkb-search__status")).to_have_text("1 result")
    excerpt = tab.locator(".pmkb-result__excerpt")
    expect(excerpt).to_contain_text("<img src=x")
    assert tab.locator(".pmkb-search__results img").count() == 0
    # A factor chip filters by that factor.
    tab.locator(".pmkb-result .pmkb-chip", has_text="Traffic surge").click()
    expect(tab.locator("select[name=factor]")).to_have_value("Traffic surge")
    assert parse_qs(urlsplit(tab.url).query)["factor"] == ["Traffic surge"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_search_page_screenshots(
    browser: Browser, search_site: str, screenshots: Path, scheme: str, width: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if scheme == "dark" else "light",
    )
    try:
        page = context.new_page()
        page.goto(search_site + "search/?query=sidecar")
        scheme_shown = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme_shown == ("slate" if scheme == "dark" else "default")
        expect(page.locator(".pmkb-search__status")).to_have_text("2 results")
        expect(page.locator(".pmkb-search__more")).to_be_hidden()  # all results are shown
        # Nothing of the form or the results reaches past the phone's screen.
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow
        page.screenshot(path=screenshots / f"search-{scheme}-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """The benchmark's synthetic knowledge base of 1,000 postmortems, one timeline given a word
    no other page has; its address, that incident's title and one of its factors' names."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    root = tmp_path_factory.mktemp("search-1000") / "kb"
    project = generate(root, 1000)
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text("utf-8").replace("search: compact", "search: auto"), newline="\n"
    )
    published = [p for p in project.files if p not in project.drafts]
    chosen = published[len(published) // 2]
    text = chosen.read_text("utf-8")
    at = text.index("## Timeline\n") + len("## Timeline\n")
    line_end = text.index("\n", text.index("- ", at))
    chosen.write_text(
        text[:line_end] + f" The {WORD} relay stalls." + text[line_end:], "utf-8", newline="\n"
    )
    title = re.search(r"^title: (.*)$", text, re.M)[1].strip("'\"")  # type: ignore[index]
    result = build(root, strict=False)
    assert result.returncode == 0, result.stderr
    page = json.loads(next((root / "site" / "search" / "index" / "d").glob("0.json")).read_text())
    assert page["url"].startswith("incidents/")
    factor = _first_factor(root / "site", chosen.stem)
    with served(root / "site") as site:
        yield site.url, title, factor


def _first_factor(site: Path, stem: str) -> str:
    for path in (site / "search" / "index" / "d").glob("*.json"):
        page = json.loads(path.read_text("utf-8"))
        if page["url"].endswith(f"/{stem}/"):
            return str(page["filters"]["factor"][0])
    raise AssertionError(stem)


def test_a_timeline_word_finds_its_incident_first_among_1000(
    browser: Browser, large_site: tuple[str, str, str]
) -> None:
    address, title, factor = large_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(lambda url: not url.startswith(address), lambda route: route.abort())
    downloaded: list[int] = []
    try:
        page = context.new_page()
        page.goto(address + "search/")
        page.on(
            "response",
            lambda r: downloaded.append(len(r.body())) if "/search/index/" in r.url else None,
        )
        page.locator("#pmkb-search-q").fill(WORD)
        expect(page.locator(".pmkb-search__status")).to_have_text("1 result")
        assert _titles(page) == [title]
        first_query = sum(downloaded)
        assert first_query <= FIRST_QUERY_BUDGET, first_query
        # A common word, then a factor filter with it: fewer results, the incident still in.
        page.locator("#pmkb-search-q").fill("relay stalls")
        expect(page.locator(".pmkb-result__title").first).to_have_text(title)
        page.locator("select[name=factor]").select_option(factor)
        expect(page.locator(".pmkb-result__title").first).to_have_text(title)
        page.locator("#pmkb-search-q").fill("")
        status = page.locator(".pmkb-search__status")
        expect(status).to_have_text(re.compile(r"^\d+ results?$"))
        shown = int(status.inner_text().split()[0])
        assert 1 <= shown < 1000
        print(f"first query: {first_query} bytes")
    finally:
        context.close()
