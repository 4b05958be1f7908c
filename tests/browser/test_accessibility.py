"""axe-core in Chromium on every kind of page pmkb makes, light and dark, desktop and phone.

axe-core is the engine behind most automated accessibility audits; its rules that run by default
(WCAG 2.x A and AA, and Deque's best practices) run here on each page as a reader gets it, after
pmkb.js has drawn the filters. A violation fails the test with the rule, the element and axe's
message (for contrast: both colours and the ratio), unless it is one of KNOWN_MATERIAL below:
Material's own markup that neither pmkb's styles nor the palettes pmkb ships can change.

Pages: the example knowledge base (the repository's own mkdocs.yml and its palette) and the site
`pmkb init` writes (its palette, Material's defaults otherwise), the latter with a postmortem in
review that has an error, so that its page carries the in-review banner and the problems box.
axe-core comes vendored in the `axe-playwright-python` package (a dev dependency).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from helpers import build

from .conftest import SOURCE_DATE_EPOCH
from .served import VIEWPORT, Site, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

INCIDENT = "incidents/2025-10-22-event-bus-broker-disk/"  # in review, overdue action items
EXAMPLE_PAGES = {
    "home": "",
    "incidents": "incidents/",
    "incident": INCIDENT,
    "services": "services/",
    "service": "services/checkout/",
    "factors": "factors/",
    "factor": "factors/config-change/",
    "trends": "trends/",
    "action-items": "action-items/",
}
INIT_PROBLEMS = "incidents/2026-11-20-example-problems/"
INIT_PAGES = {
    "home": "",
    "incidents": "incidents/",
    "incident": INIT_PROBLEMS,
    "service": "services/example-service/",
    "trends": "trends/",
    "action-items": "action-items/",
}
WIDTHS = {"desktop": 1280, "phone": 390}

# Violations in Material's own markup, by rule and by the element's selector as axe names it. Each
# is checked to still occur: if Material fixes one, the entry must go (see test_known_exceptions).
KNOWN_MATERIAL = {
    # The search overlay is a role="dialog" without an accessible name; Material writes that
    # element and sets no label on it, and a name can only be added by script.
    ("aria-dialog-name", ".md-search"),
    # The footer's "Made with Material for MkDocs" line: Material's footer colours (#7f7f7f on
    # #171717, 4.47:1) belong to its theme and are the same whatever palette a site picks.
    ("color-contrast", ".md-copyright"),
}


def axe_script() -> str:
    """axe-core's script, as the `axe-playwright-python` package vendors it."""
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:
        reason = "axe-playwright-python is not installed (pip install -e '.[dev]')"
        if "CI" in os.environ:
            pytest.fail(f"{reason}; CI is set, so the accessibility tests must run", pytrace=False)
        pytest.skip(reason)
    return AXE_SCRIPT


def violations(page: Page) -> list[tuple[str, str, str]]:
    """axe-core's violations on the page as it is: (rule, element's selector, message)."""
    page.evaluate(axe_script())
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            checks = node["any"] + node["all"] + node["none"]
            message = checks[0]["message"] if checks else violation["help"]
            found.append((violation["id"], " ".join(node["target"]), message))
    return found


def open_page(page: Page, url: str, scheme: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    # The palette switches with the browser's preference; a dark test that got the light scheme
    # would pass without testing anything.
    expected = "slate" if scheme == "dark" else "default"
    assert page.locator("body").get_attribute("data-md-color-scheme") == expected


def unexpected(found: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"{rule} at {target}: {message}"
        for rule, target, message in found
        if (rule, target) not in KNOWN_MATERIAL
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", EXAMPLE_PAGES.values(), ids=EXAMPLE_PAGES.keys())
def test_example_pages_have_no_violation(
    page: Page, site: Site, scheme: str, width: int, path: str
) -> None:
    page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
    open_page(page, site.url + path, scheme)
    problems = unexpected(violations(page))
    assert not problems, f"{len(problems)} axe-core violations:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def init_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site `pmkb init --yes` writes, plus a postmortem in review whose timeline is out of
    order, built without --strict as a team would preview it: banner and problems box shown."""
    root = tmp_path_factory.mktemp("init-kb")
    subprocess.run(
        [sys.executable, "-m", "pmkb.cli", "init", "--yes"],
        cwd=root,
        check=True,
        capture_output=True,
        # The example is dated a week before "today": the build's day, not the clock's.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )
    example = next((root / "postmortems").rglob("*-example-config-change.md"))
    text = example.read_text(encoding="utf-8")
    for old, new in [
        ("title: Example service errors", "title: Example problems box, errors"),
        ("date: 2026-11-18", "date: 2026-11-20"),
        ("status: published", "status: in-review"),
        ("- 14:20 UTC", "- 13:20 UTC"),  # before the entry above it: an error, PMK305
    ]:
        assert old in text, f"the example postmortem of `pmkb init` has no {old!r} any more"
        text = text.replace(old, new, 1)
    (example.parent / "2026-11-20-example-problems.md").write_text(
        text, encoding="utf-8", newline="\n"
    )
    result = build(root, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    assert result.returncode == 0, result.stderr
    with served(root / "site") as site:
        yield site
    shutil.rmtree(root / "site", ignore_errors=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", INIT_PAGES.values(), ids=INIT_PAGES.keys())
def test_init_site_pages_have_no_violation(
    browser: Browser, init_site: Site, scheme: str, path: str
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport=VIEWPORT)
    context.route(lambda url: not init_site.is_local(url), lambda route: route.abort())
    try:
        page = context.new_page()
        open_page(page, init_site.url + path, scheme)
        if path == INIT_PROBLEMS:  # what this page is here for
            assert page.locator(".pmkb-problems").count() == 1
            assert page.locator(".pmkb-banner").count() == 1
        problems = unexpected(violations(page))
    finally:
        context.close()
    assert not problems, f"{len(problems)} axe-core violations:\n" + "\n".join(problems)


def test_known_exceptions_still_occur(page: Page, site: Site) -> None:
    """Each exception is still a violation on the home page: one that Material has fixed must
    leave the list, so the list never hides more than it has to."""
    open_page(page, site.url, "light")
    found = {(rule, target) for rule, target, _ in violations(page)}
    assert found >= KNOWN_MATERIAL, f"no longer violations: {KNOWN_MATERIAL - found}"
