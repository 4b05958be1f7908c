"""An incident page's own HTML (head, card, action items, related incidents), written in Python
rather than by an autoescaping template: every value a postmortem or the options bring is
escaped, so the blocks hold only pmkb's own tags and attributes, whatever the fields say.

Not a build: the blocks `incident_text` makes are parsed as they are, before they are placed."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers import make_project, postmortem
from pmkb.read.knowledge import load
from pmkb.settings import load_settings
from pmkb.site.pages.base import PageContext
from pmkb.site.pages.incident import incident_text
from pmkb.urls import Site

EVIL = "<script>x</script><img src=x onerror=y>&amp;\"'{{ 7 }}{% if %}"
# The tags and attributes pmkb itself writes in an incident page's blocks.
OWN_TAGS = {"h1", "div", "p", "ul", "li", "code", "span", "dl", "dt", "dd", "a", "small", "strong"}
OWN_ATTRIBUTES = {"class", "href", "title", "data-search-exclude", "aria-hidden"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _blocks(tmp_path: Path, options: dict[str, object]) -> dict[str, tuple[str, ...]]:
    pmkb_options: dict[str, object] = {
        "publish_drafts": True,
        "custom_fields": {
            "evil_text": {"type": "text", "card": True, "label": f"Label {EVIL}"},
            "evil_list": {"type": "list", "card": True},
        },
        "section_aliases": {"Action items": [f"To do {EVIL}"]},
        **options,
    }
    body = (
        "## Summary\n\nx\n\n## Impact\n\nx\n\n## Timeline\n\n- x\n\n"
        "## Contributing factors\n\nx\n\n## Lessons learned\n\nx\n\n"
        f"## To do {EVIL}\n\n- own\n"
    )
    hostile = {
        "authors": [f"A {EVIL}", "B & C"],
        "reviewers": [f"R {EVIL}"],
        "reviewed": date(2024, 1, 3),
        "evil_text": f"V {EVIL}",
        "evil_list": [f"L {EVIL}", "&"],
        "action_items": [
            {"title": f"T {EVIL}", "owner": f"O {EVIL}", "status": "open", "due": "2024-01-02"},
            {
                "title": "linked",
                "owner": "o",
                "status": "done",
                "link": "https://tracker.example/browse/ABC-1?a=1&b=2",
            },
            # Percent-encoded markup: the ticket's name is made of the decoded path.
            {
                "title": "encoded",
                "owner": "o",
                "status": "open",
                "link": "https://tracker.example/%3Cu%3Eticket",
            },
        ],
    }
    root = make_project(
        tmp_path,
        {
            # In review, with an error (an unknown service, named in the problems box).
            "evil-<i>&.md": postmortem(
                f"Title {EVIL}",
                "2024-01-01",
                status="in-review",
                severity="SEV3",
                services=["checkout", f"svc{EVIL}"],
                extra=hostile,
                body=body,
            ),
            "near.md": postmortem(
                f"Near {EVIL}", "2024-01-02", status="draft", extra={"kind": "near-miss"}
            ),
        },
    )
    settings = load_settings(pmkb_options, root)
    kb = load(settings)
    ctx = PageContext(kb, Site(settings), date(2024, 6, 1))
    return {pm.id: incident_text(ctx, pm).blocks for pm in kb.published}


@pytest.mark.parametrize("options", [{}, {"search": "compact"}])
def test_every_value_on_an_incident_page_is_escaped(
    tmp_path: Path, options: dict[str, object]
) -> None:
    pages = _blocks(tmp_path, options)
    assert len(pages) == 2
    seen = ""
    assert any(
        'href="https://tracker.example/browse/ABC-1?a=1&amp;b=2"' in block
        for blocks in pages.values()
        for block in blocks
    )
    for blocks in pages.values():
        for block in blocks:
            parser = _Tags()
            parser.feed(block)
            parser.close()
            for tag, attrs in parser.tags:
                assert tag in OWN_TAGS, (tag, block)
                for name, _ in attrs:
                    assert name in OWN_ATTRIBUTES, (name, block)
            seen += "".join(parser.text)
    # Escaped, not dropped: each field's text reads as written.
    for shown in (
        f"Title {EVIL}",
        f"A {EVIL}, B & C",
        f"by R {EVIL} on 2024-01-03",
        f"Label {EVIL}",
        f"V {EVIL}",
        f"L {EVIL}, &",
        f"T {EVIL}",
        f"O {EVIL}",
        f"To do {EVIL}",
        f"svc{EVIL}",
        "pmkb check postmortems/evil-<i>&.md",
        "tracker.example/<u>ticket",
        f"Near {EVIL}",
    ):
        assert shown in seen, shown
