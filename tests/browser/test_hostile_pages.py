"""Hostile postmortems opened in Chromium: the pages load, and nothing their authors wrote runs.

Every payload calls `alert`, `confirm`, `prompt`, `print` or `fetch`; the page is opened with
those replaced by recorders before any script of the page runs, and with listeners on the
console, on dialogs and on uncaught errors. Each element is then focused and hovered, so that
handlers waiting for focus or the mouse would run too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers import build, make_project, postmortem
from test_safe_html import EXTENSIONS, HOSTILE_BODIES, _hostile_body

from .served import Site, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"
RECORDER = """
window.__ran = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = (...args) => { window.__ran.push(name + ":" + args.join(",")); };
}
const realFetch = window.fetch;
window.fetch = (...args) => { window.__ran.push("fetch:" + args[0]); return realFetch(...args); };
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("hostile-browser")
    services = {
        "checkout": {"name": f"Checkout {PAYLOAD}", "description": f"d {PAYLOAD}", "owner": "o"}
    }
    factors = {
        "config-change": {
            "name": f"Config {PAYLOAD}",
            "category": f"Change {PAYLOAD}",
            "description": f"d {PAYLOAD}",
            "aliases": ["<img src=x onerror=alert(3)>"],
        }
    }
    postmortems = {
        f"case-{number:02d}.md": postmortem(
            f"Case {number} {PAYLOAD}\x7f\x9b[31m",
            "2024-01-01",
            body=_hostile_body(snippet),
            extra={"authors": [f"A {PAYLOAD}"]},
        )
        for number, snippet in enumerate(HOSTILE_BODIES.values())
    }
    make_project(
        root,
        postmortems,
        services=services,
        factors=factors,
        markdown_extensions=EXTENSIONS,
        site=True,
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    with served(root / "site") as site:
        yield site


def _pages(site: Site) -> list[str]:
    pages = sorted(
        path.relative_to(site.root).parent.as_posix() + "/"
        for path in Path(site.root).rglob("index.html")
        if path.parent != site.root
    )
    return pages


def test_no_script_of_a_contributor_runs_on_any_page(browser: Browser, hostile_site: Site) -> None:
    context = browser.new_context()
    context.add_init_script(RECORDER)
    context.route(lambda url: not hostile_site.is_local(url), lambda route: route.abort())
    context.set_default_timeout(10_000)
    ran: dict[str, list[str]] = {}
    pages = _pages(hostile_site)
    assert len(pages) > len(HOSTILE_BODIES)
    try:
        page = context.new_page()
        events: list[str] = []
        page.on(
            "dialog", lambda dialog: (events.append(f"dialog {dialog.message}"), dialog.dismiss())
        )
        page.on("pageerror", lambda error: events.append(f"uncaught: {error}"))
        page.on(
            "console",
            lambda message: (
                events.append(f"console: {message.text}")
                # Off-site requests are aborted and `src=x` is missing: failed loads are expected.
                if message.type == "error"
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        for path in pages:
            events.clear()
            page.goto(hostile_site.url + path)
            page.wait_for_load_state("load")
            # Handlers that wait for focus or the mouse: every element of the content gets both.
            page.locator("article *").evaluate_all(
                """elements => elements.forEach(e => {
                    e.dispatchEvent(new FocusEvent("focus"));
                    e.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
                    e.dispatchEvent(new Event("toggle"));
                })"""
            )
            page.wait_for_timeout(50)
            # The search page fetches pmkb's own index from the site: that one is expected.
            own = f"fetch:{hostile_site.url}search/index/"
            recorded = [r for r in page.evaluate("window.__ran") if not r.startswith(own)]
            handlers = page.locator("article *").evaluate_all(
                "els => els.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))"
                ".map(a => e.tagName + ' ' + a.name))"
            )
            problems = [*recorded, *events, *handlers]
            if problems:
                ran[path] = problems
        # The hostile text is still there to read, escaped, on the incident pages.
        page.goto(hostile_site.url + "incidents/case-00/")
        assert "<img src=x onerror=alert(1)>" in page.locator("h1").first.inner_text()
    finally:
        context.close()
    assert ran == {}
