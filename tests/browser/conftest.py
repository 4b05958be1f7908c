"""Browser fixtures: the example knowledge base, built once and served over HTTP, and Chromium.

The browser tests skip, with the reason, when Playwright or Chromium is missing and the `CI`
environment variable is unset; with `CI` set they fail instead, so CI cannot pass by skipping.
The browser is the one the system has (Debian's Chromium, or the one `CHROMIUM` names, as the
project's CI workflow does), never one Playwright downloads.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from helpers import build

from .served import REPO, VIEWPORT, Site, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"
SOURCE_DATE_EPOCH = "1795564800"  # 2026-11-25: what "today" is for overdue action items
# Where Chromium or Chrome is, in the order looked for: the path `CHROMIUM` names, Debian's
# package, then the names and places other systems give it.
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_PLACES = {
    "darwin": [
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    ],
    "win32": [
        os.path.join(os.environ.get(folder, ""), "Google", "Chrome", "Application", "chrome.exe")
        for folder in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
        if os.environ.get(folder)
    ],
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example knowledge base of the repository, built with `mkdocs build --strict`."""
    root = tmp_path_factory.mktemp("example-kb")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    for folder in ("docs", "postmortems"):
        shutil.copytree(REPO / folder, root / folder)
    result = build(root, strict=True, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    if result.returncode != 0:
        pytest.fail(f"the example site does not build:\n{result.stderr}", pytrace=False)
    return root / "site"


@pytest.fixture(scope="session")
def site(built_site: Path) -> Iterator[Site]:
    """The built site served by http.server on a free port of 127.0.0.1."""
    with served(built_site) as site:
        yield site


def _unavailable(reason: str) -> NoReturn:
    if "CI" in os.environ:
        pytest.fail(f"{reason}; CI is set, so the browser tests must run", pytrace=False)
    pytest.skip(f"{reason} (set CI=1 to make this a failure)")


def find_chromium() -> str | None:
    """The system's Chromium or Chrome: `CHROMIUM` when set, else the first one found."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named  # named on purpose: used as it is, so that a wrong path fails, not falls back
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in CHROMIUM_PLACES.get(sys.platform, []) if os.path.isfile(p)), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system's Chromium driven by Playwright; never a browser downloaded by Playwright."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    chromium_path = find_chromium()
    if chromium_path is None:
        _unavailable(
            "Chromium is not installed (apt-get install chromium), or set CHROMIUM to its path"
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(
                f"Chromium at {chromium_path} does not start: {exc.message.splitlines()[0]}"
            )
        yield chromium
        chromium.close()


@pytest.fixture
def scheme() -> str:
    """The colour scheme the browser prefers; tests parametrize it with "light" and "dark"."""
    return "light"


@pytest.fixture(scope="session")
def context_for(browser: Browser, site: Site) -> Iterator[Callable[[str], BrowserContext]]:
    """One browser profile per colour scheme, made when first asked for, reaching only the site.

    Requests that leave the site (Google Fonts, the GitHub API for the repository facts) are
    aborted: the tests stay hermetic and fast, and those failures are not the site's.
    """
    made: dict[str, BrowserContext] = {}

    def context(scheme: str) -> BrowserContext:
        if scheme not in made:
            made[scheme] = browser.new_context(
                color_scheme="dark" if scheme == "dark" else "light", viewport=VIEWPORT
            )
            made[scheme].set_default_timeout(10_000)
            made[scheme].route(lambda url: not site.is_local(url), lambda route: route.abort())
        return made[scheme]

    yield context
    for each in made.values():
        each.close()


@pytest.fixture
def console_errors() -> list[str]:
    """JavaScript errors seen by `page`: console errors and uncaught exceptions."""
    return []


@pytest.fixture
def page(
    context_for: Callable[[str], BrowserContext],
    scheme: str,
    site: Site,
    console_errors: list[str],
) -> Iterator[Page]:
    """A new tab preferring `scheme`; its JavaScript errors are collected in `console_errors`."""
    page = context_for(scheme).new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and not site.is_local(source):
            return  # an off-site request that the context aborted on purpose
        console_errors.append(f"console.error: {message.text} ({source})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield page
    page.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
