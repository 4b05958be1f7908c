"""pmkb's HTML blocks held out of the Markdown parser: the page MkDocs would have made, faster."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from pmkb import held

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CARD = """<div class="pmkb-card">
<p class="pmkb-card__badges"><span class="pmkb-sev pmkb-sev--1">SEV1</span></p>
<dl class="pmkb-facts"><dt>Date</dt><dd>2024-03-01</dd></dl>
</div>"""
RELATED = """<ul class="pmkb-related">
<li><a href="../pm-0002/">Cache &amp; queue</a> <small class="pmkb-why">same factor</small></li>
</ul>"""
CHART = """<figure class="pmkb-chart"><svg aria-labelledby="volume-title"><title id="volume-title">Incidents</title></svg></figure>"""

PAGES = {
    "the blocks of an incident page": f"""<h1 class="pmkb-title">Cache stampede</h1>

{CARD}

## Summary

The cache *expired* at once; see [the runbook](runbook.md) and [missing](#nowhere).

- one
- two

## Related incidents

{RELATED}
""",
    "a chart with anchors in it": f"# Trends\n\n{CHART}\n\n[to the chart](#volume-title)\n",
    "a block inside a fenced code block": f"""# Code

```html
<p>first</p>

{CARD}

```

{RELATED}
""",
    "a block md_in_html converts": '<div class="pmkb-note" markdown="1">\n**bold**\n</div>\n',
    "a bare markdown attribute": '<div class="pmkb-note">\n<div markdown>\n*it*\n</div>\n</div>\n',
    "the word markdown in a block": '<p class="pmkb-lead">A markdown <em>outage</em>.</p>\n',
    "an element closed after blank lines": '<div class="pmkb-wrap">\n<div>\n</div>\n\nIn *it*.\n\n</div>\n',
    "an element never closed": '<div class="pmkb-open">\n\nAfter *it*.\n',
    "a closed element after one never closed": f'<div class="pmkb-open">\n\n{RELATED}\n',
    "a placeholder written by hand": "<!--pmkb-held-0000000000000000-0-->\n\n<p>x</p>\n",
}


def _config(tmp_path: Path) -> MkDocsConfig:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "runbook.md").write_text("# Runbook\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nmarkdown_extensions:\n  - admonition\n  - attr_list\n  - md_in_html\n"
        "  - tables\n  - toc:\n      permalink: true\n  - pymdownx.superfences\n"
    )
    return load_config(str(tmp_path / "mkdocs.yml"))


def _converted(config: MkDocsConfig, markdown: str, render: object) -> tuple[object, ...]:
    files = Files([File("runbook.md", config.docs_dir, config.site_dir, True)])
    path = Path(config.docs_dir) / "incidents" / "pm-0001.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(markdown)
    file = File("incidents/pm-0001.md", config.docs_dir, config.site_dir, True)
    files.append(file)
    page = Page(None, file, config)
    page.read_source(config)
    page = copy.copy(page)
    logger = logging.getLogger("mkdocs")
    records: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Kept(logging.INFO)
    logger.addHandler(handler)
    try:
        render(page, config, files)  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    return page.content, str(page.toc), page.present_anchor_ids, page.title, page.markdown, records


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_converts_to_the_same_html_toc_anchors_and_messages(
    tmp_path: Path, name: str
) -> None:
    config = _config(tmp_path)
    markdown = PAGES[name]
    assert _converted(config, markdown, held.render_page) == _converted(
        config, markdown, Page.render
    )


def test_only_balanced_top_level_elements_are_held() -> None:
    page = PAGES["the blocks of an incident page"]
    text, blocks = held.hold(page)
    assert blocks == ['<h1 class="pmkb-title">Cache stampede</h1>', CARD, RELATED]
    assert "pmkb-card" not in text and "## Summary" in text and "- one" in text
    assert held.hold(PAGES["a block md_in_html converts"])[1] == []
    assert held.hold(PAGES["a bare markdown attribute"])[1] == []
    assert len(held.hold(PAGES["the word markdown in a block"])[1]) == 1
    assert held.hold(PAGES["an element never closed"])[1] == []
    # Python-Markdown keeps the rest of the page as raw HTML: nothing after it is held.
    assert held.hold(PAGES["a closed element after one never closed"])[1] == []
    # As Python-Markdown reads raw HTML: to the closing tag, across blank lines.
    assert held.hold(PAGES["an element closed after blank lines"])[1] == [
        PAGES["an element closed after blank lines"].rstrip("\n")
    ]


def test_a_placeholder_that_does_not_come_back_once_means_converting_the_usual_way() -> None:
    text, blocks = held.hold(f"{CARD}\n\n{RELATED}\n")
    first, second = text.split("\n\n")
    assert held.restore(f"{first}\n{second}", blocks) == f"{CARD}\n{RELATED}\n"
    assert held.restore(first, blocks) is None  # one lost (escaped inside code, say)
    assert held.restore(f"{first}{first}{second}", blocks) is None  # one twice
