"""The converted HTML of contributors' text, cut down to an allowlist before it is published.

Postmortems arrive by pull request from many hands and are read by everyone, so what their
Markdown turns into is sanitized as HTML, after conversion, by nh3 (Python bindings to the Rust
crate ammonia, the maintained allowlist sanitizer of the field). Sanitizing the HTML, rather than
guessing at the Markdown before Python-Markdown reads it, sees exactly what the browser will see,
whatever the extensions (attr_list, md_in_html) made of the text.

The allowlist keeps what MkDocs, Material and the usual Markdown extensions produce: headings
with ids and permalinks, highlighted code, tables, admonitions, details, footnotes, task lists,
tabs, abbreviations, images with http(s) or relative sources. It drops script and style
elements with their content, event handlers and every other attribute not listed, comments,
`style` declarations other than a few layout and colour properties (so no `url()`), and any
URL whose scheme is not http, https or mailto.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3

_TAGS = nh3.ALLOWED_TAGS | {"input", "label", "section", "tfoot", "caption"}
_EVERYWHERE = {"class", "id", "title", "lang", "dir", "style"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": _EVERYWHERE,
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height", "loading"},
    "abbr": {"title"},
    "details": {"open"},
    "li": {"value"},
    "ol": {"start", "type"},
    "time": {"datetime"},
    "label": {"for"},
    "div": {"data-tabs"},
    # Task lists (pymdownx.tasklist) and content tabs (pymdownx.tabbed) are made of inputs.
    "input": {"checked", "disabled", "name"},
}
_INPUT_TYPES = {"input": {"type": {"checkbox", "radio"}}}
# Python-Markdown's tables align columns with `style="text-align: ..."`; nothing here can hold a URL.
_STYLE_PROPERTIES = {
    "text-align",
    "vertical-align",
    "width",
    "height",
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "text-decoration",
    "white-space",
}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    tag_attribute_values=_INPUT_TYPES,
    strip_comments=True,
    # Links cannot open new windows (no `target`), so `rel` is left as the author wrote nothing.
    link_rel=None,
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=_STYLE_PROPERTIES,
)


def sanitize(html: str) -> str:
    """`html` with everything outside the allowlist removed."""
    return _CLEANER.clean(html)


# A heading as Python-Markdown writes it, alone on its line; with a permalink when `toc` adds one.
_HEADING = re.compile(
    r'^<h([1-6])(?: id="[^"<>]*")?>(.*?)(?:<a class="headerlink"[^<>]*>[^<>]*</a>)?</h\1>$', re.M
)
_TAG = re.compile(r"(<[^<>]*>)")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def sanitized_markdown(body: str, convert: Callable[[str], str]) -> str:
    """`body` converted by `convert`, sanitized, with its headings written back as Markdown.

    For pages another tool converts (`pmkb generate`): pmkb cannot sanitize what that tool makes,
    so it converts and sanitizes the body itself and hands over HTML, keeping the headings as
    Markdown so that the tool still builds the page's table of contents from them.
    """
    return _HEADING.sub(_markdown_heading, sanitize(convert(body)))


def _markdown_heading(match: re.Match[str]) -> str:
    pieces = _TAG.split(match.group(2))
    # Text between tags is HTML already (entities escaped); only Markdown's own syntax is escaped.
    text = "".join(p if p.startswith("<") else _MARKDOWN_SPECIALS.sub(r"\\\1", p) for p in pieces)
    return f"\n{'#' * int(match.group(1))} {text}\n"
