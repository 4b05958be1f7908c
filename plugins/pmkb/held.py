"""pmkb's pages converted with their HTML blocks kept out of the Markdown parser.

pmkb writes much of each page as HTML it has built and escaped itself (an incident's header
card, action items and related incidents, the table of every incident, the charts), and
Python-Markdown and MkDocs each parse every element of raw HTML in Python, only to pass the
block through unchanged. So before MkDocs converts one of pmkb's pages, each such block is
swapped for a placeholder comment (a raw HTML block too, which comes out as it went in), and
after it, each placeholder is swapped back for its block: the page is the same, byte for byte,
and at thousands of incidents converting their pages takes about a quarter less time. A block
is held only when it is plainly one balanced element at the top level; a placeholder that does
not come back exactly once (a block inside a fenced code block, say) makes the page convert the
usual way.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure import pages
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

# What MkDocs uses to find the anchors in a page's raw HTML, used on the held blocks too; with a
# MkDocs that has no such thing, pages convert the usual way.
_AnchorFinder: Any = getattr(pages, "_HTMLHandler", None)

# Unguessable, so that no postmortem can contain a placeholder of its own.
_PLACEHOLDER = "<!--pmkb-held-" + secrets.token_hex(8) + "-{}-->"
_PLACEHOLDERS = re.compile(re.escape(_PLACEHOLDER).replace(r"\{\}", r"(\d+)"))
_BLOCK = re.compile(r"<(div|ul|ol|p|h1|table|form|figure|dl)[\s>]")
_MARKDOWN_ATTRIBUTE = re.compile(r"<[A-Za-z][^<>]*\smarkdown(?:\s*=|[\s/>])")


def render_page(page: Page, config: MkDocsConfig, files: Files) -> None:
    """`Page.render`, with the page's HTML blocks held out of the conversion."""
    markdown = page.markdown
    assert markdown is not None
    held_markdown, held = hold(markdown)
    if held and _AnchorFinder is not None:
        with kept_records() as records:
            page.markdown = held_markdown
            try:
                Page.render(page, config, files)
            finally:
                page.markdown = markdown
        assert page.content is not None
        content = restore(page.content, held)
        if content is not None:
            page.content = content
            if page.present_anchor_ids is not None:
                page.present_anchor_ids |= _anchors(held)
            for record in records:  # logged only now: a page converted again logs once
                logging.getLogger(record.name).handle(record)
            return
    Page.render(page, config, files)


def hold(markdown: str) -> tuple[str, list[str]]:
    """The Markdown with each top-level HTML block as a placeholder, and the blocks, in order.

    A block runs from a line that opens an element, after a blank line, to the line that closes
    it, across blank lines, as Python-Markdown reads raw HTML.
    """
    blocks = markdown.split("\n\n")
    out: list[str] = []
    held: list[str] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        match = _BLOCK.match(block)
        if match is None:
            out.append(block)
            continue
        tag = match.group(1)
        opens, closes = re.compile(f"<{tag}[\\s>]"), f"</{tag}>"
        parts = [block]
        depth = len(opens.findall(block)) - block.count(closes)
        end = index
        while depth > 0 and end < len(blocks):
            depth += len(opens.findall(blocks[end])) - blocks[end].count(closes)
            parts.append(blocks[end])
            end += 1
        if depth > 0:
            # Open to the end of the page: Python-Markdown keeps the rest as raw HTML. Nothing
            # after it is held, so that a page of unclosed elements costs one pass, not one each.
            out.extend(blocks[index - 1 :])
            break
        text = "\n\n".join(parts)
        html = text.rstrip("\n")
        if depth != 0 or not html.endswith(closes) or _converts_inside(html):
            out.append(block)
            continue
        out.append(_PLACEHOLDER.format(len(held)) + text[len(html) :])
        held.append(html)
        index = end
    return "\n\n".join(out), held


def _converts_inside(html: str) -> bool:
    """Whether md_in_html converts some of the block (an element with a `markdown` attribute)."""
    return " markdown" in html and _MARKDOWN_ATTRIBUTE.search(html) is not None


def restore(html: str, held: list[str]) -> str | None:
    """The converted page with each block back in place; None if any did not come back once."""
    seen: list[int] = []

    def block(match: re.Match[str]) -> str:
        seen.append(int(match.group(1)))
        return held[seen[-1]] if seen[-1] < len(held) else ""

    restored = _PLACEHOLDERS.sub(block, html)
    return restored if sorted(seen) == list(range(len(held))) else None


def _anchors(held: list[str]) -> set[str]:
    found: set[str] = set()
    for html in held:
        if "id=" in html or "name=" in html:
            parser = _AnchorFinder()
            parser.feed(html)
            parser.close()
            found |= parser.present_anchor_ids
    return found


class _Keeper(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if self.records and self.records[-1] is record:
            return  # kept already, on its way up from MkDocs' logger to the root's
        # Arguments may not pickle; the message they make does.
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self.records.append(record)


@contextmanager
def kept_records() -> Iterator[list[logging.LogRecord]]:
    """Hold back what is logged (MkDocs' logger and the root's handlers) instead of emitting it."""
    records: list[logging.LogRecord] = []
    keeper = _Keeper(records)
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]
    saved = [logger.handlers for logger in loggers]
    for logger in loggers:
        logger.handlers = [keeper]
    try:
        yield records
    finally:
        for logger, handlers in zip(loggers, saved, strict=True):
            logger.handlers = handlers
