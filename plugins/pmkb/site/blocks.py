"""pmkb's own HTML blocks, kept out of Markdown conversion and sanitizing, placed back after.

pmkb builds much of each page as HTML, with every value escaped (an incident's header card,
action items and related incidents, the incidents table, the charts). That HTML needs neither
Python-Markdown, which would only parse it to pass it through, nor the sanitizer, which is for
contributors' text and would strip pmkb's forms, data attributes and SVG. So each such block is
kept apart (a template marks it with `{% filter block %}...{% endfilter %}`, an incident page's
are written by `pages.incident_html`), the page's Markdown carries a placeholder paragraph in
its place, and once the page is converted and sanitized the placeholders are swapped for the
blocks: the way Material's tags plugin places its listings, through documented events only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

# Unguessable, so that no postmortem can write a placeholder of its own; letters, digits and
# hyphens only, which Markdown and the sanitizer leave as they are.
_TOKEN = "pmkb-block-" + secrets.token_hex(8) + "-"
# The placeholders' form in what is kept between builds, each of which draws its own token.
_STABLE = "pmkb-block-stable-"
# Searched for by its literal start, which the regex engine finds fast, at thousands of pages.
_PLACEHOLDER = re.compile(re.escape(_TOKEN) + r"(\d+)")


@dataclass(frozen=True)
class Rendered:
    """A generated page's Markdown, with placeholders, and the HTML blocks they stand for."""

    markdown: str
    blocks: tuple[str, ...] = ()

    def inline(self) -> str:
        """The Markdown with each block in place, for a tool that converts the file itself."""
        return fill(self.markdown, self.blocks)


@pass_context
def block(context: Context, html: str) -> Markup:
    """Jinja filter: keep `html` for later and leave its placeholder in the page."""
    blocks: list[str] = context["blocks"]
    blocks.append(str(html).strip("\n"))
    return Markup(placeholder(len(blocks) - 1))


def placeholder(index: int) -> str:
    """The line that stands for block `index` of a page's blocks in its Markdown."""
    return f"{_TOKEN}{index}\n"


def fill(html: str, blocks: tuple[str, ...]) -> str:
    """`html` with each placeholder (with the paragraph Markdown made of it) replaced by its block.

    A placeholder found elsewhere (an author's unclosed code fence swallowed the rest of the page,
    say) is replaced too: the block is pmkb's own escaped HTML wherever it lands.
    """
    if not blocks:
        return html
    parts = _PLACEHOLDER.split(html)  # text, index, text, index, ..., text
    for i in range(1, len(parts), 2):
        # A placeholder alone in a paragraph (as Markdown makes it) takes the paragraph with it.
        if parts[i - 1].endswith("<p>") and parts[i + 1].startswith("</p>"):
            parts[i - 1] = parts[i - 1][:-3]
            parts[i + 1] = parts[i + 1][4:]
        index = int(parts[i])
        parts[i] = blocks[index] if index < len(blocks) else ""
    return "".join(parts)


# A block's first tag, when it carries the attribute by which Material's search leaves an element
# out of its index.
_UNSEARCHED_START = re.compile(r"<([a-z][a-z0-9]*)\b[^>]*\sdata-search-exclude[\s=>]")


def unsearched(blocks: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `blocks` that are one element Material's search leaves out (`data-search-exclude`
    on it): a page the search plugin reads without them is indexed alike, and not parsed whole
    (an incident table of a service's page, 10 ms). pmkb's own HTML: every `<` is one of its
    tags (values are escaped), so counting the element's tags finds where it ends."""
    return tuple(block for block in blocks if _one_unsearched_element(block))


def _one_unsearched_element(block: str) -> bool:
    start = _UNSEARCHED_START.match(block)
    if start is None:
        return False
    depth = 0
    for tag in re.finditer(rf"<(/?){start[1]}\b[^>]*>", block):
        depth += -1 if tag[1] else 1
        if depth == 0:
            return block[tag.end() :].strip() == ""
    return False


def front_matter_block(markdown: str) -> str:
    """The front matter a generated page's Markdown opens with, its `---` lines included; ""
    when it has none."""
    found = _FRONT_MATTER.match(markdown)
    return found.group() if found else ""


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def stable(markdown: str) -> str | None:
    """A page's Markdown with its placeholders written as every build writes them, so that what
    it converts to can be kept between builds; None if the author's own text may make that
    form, which would then become placeholders too."""
    if _may_make_kept_form(markdown):
        return None
    return markdown.replace(_TOKEN, _STABLE)


# The kept form as an author's text can make it: its three words in a row, in any case, with
# anything but letters and digits between them: as it stands, behind escapes that Markdown takes
# out (`pmkb\\-block\\-stable\\-0`), or as a heading's id (`## Pmkb block stable 0`).
_KEPT_FORM_BEFORE = re.compile(r"pmkb[\W_]*block[\W_]*s\Z", re.IGNORECASE)


def _may_make_kept_form(markdown: str) -> bool:
    # Looked for from the last word's tail, which str.find finds fast (7 us a page of 5 kB,
    # where one search of the whole text ignoring case took 30).
    for tail in ("table", "TABLE"):
        at = markdown.find(tail)
        while at != -1:
            if _KEPT_FORM_BEFORE.search(markdown, max(0, at - 40), at):
                return True
            at = markdown.find(tail, at + len(tail))
    return False


def unstable(html: str) -> str:
    """What the Markdown of `stable` converted to, with this build's placeholders back."""
    return html.replace(_STABLE, _TOKEN)


def placeholders_alone(portable: str, html: str) -> bool:
    """Whether the placeholders `html` holds in the form `stable` writes are those of `portable`,
    the Markdown it was converted from: if an author's text made that form some way `stable`
    does not see, the HTML is not kept between builds, nor would its placeholders be told from
    the author's text."""
    return html.count(_STABLE) == portable.count(_STABLE)
