"""pmkb's own HTML blocks come back exactly where their placeholders stood, wherever that is."""

from __future__ import annotations

import markdown
from jinja2 import Environment

from pmkb.site.blocks import Rendered, block, fill, unsearched

TEMPLATE = """# Title

{% filter block %}
<div class="card" data-x="1"><p>{{ name }}</p></div>
{% endfilter %}

{{ body }}

{% filter block %}
<svg><title>{{ name }}</title></svg>
{% endfilter %}
"""


def _render(body: str) -> Rendered:
    env = Environment(autoescape=True)
    env.filters["block"] = block
    blocks: list[str] = []
    text = env.from_string(TEMPLATE).render(name="<b>&", body=body, blocks=blocks)
    return Rendered(text, tuple(blocks))


def test_blocks_are_escaped_kept_out_of_the_markdown_and_placed_back() -> None:
    rendered = _render("Some *text*.")
    assert rendered.blocks == (
        '<div class="card" data-x="1"><p>&lt;b&gt;&amp;</p></div>',
        "<svg><title>&lt;b&gt;&amp;</title></svg>",
    )
    assert "<div" not in rendered.markdown and "<svg" not in rendered.markdown
    html = fill(markdown.markdown(rendered.markdown), rendered.blocks)
    assert html == (
        '<h1>Title</h1>\n<div class="card" data-x="1"><p>&lt;b&gt;&amp;</p></div>\n'
        "<p>Some <em>text</em>.</p>\n<svg><title>&lt;b&gt;&amp;</title></svg>"
    )


def test_a_body_that_swallows_the_rest_of_the_page_still_gets_every_block() -> None:
    rendered = _render("```\nan unclosed fence")
    html = fill(markdown.markdown(rendered.markdown, extensions=["fenced_code"]), rendered.blocks)
    assert html.count("<svg>") == 1 and html.count('<div class="card"') == 1
    assert "pmkb-block-" not in html


def test_inline_puts_the_blocks_into_the_markdown_for_other_tools() -> None:
    rendered = _render("Body.")
    text = rendered.inline()
    assert '<div class="card" data-x="1">' in text and "pmkb-block-" not in text
    assert fill("<p>nothing to place</p>", ()) == "<p>nothing to place</p>"


def test_only_blocks_that_are_one_element_the_search_leaves_out_are_cut_from_what_it_reads() -> (
    None
):
    table = (
        '<div class="pmkb-table-wrap" data-search-exclude>\n<div><table></table></div>\n</div>\n'
    )
    kept = (
        "<div data-search-exclude>Left out</div>\n<p>Indexed after it</p>",  # two elements
        "<div data-search-exclude><div>Left out</div>",  # not closed
        '<div class="pmkb-table-wrap">Indexed</div>',
        '<p class="pmkb-muted">Mentions data-search-exclude in its text</p>',
        "<div data-search-excluded>Another attribute</div>",
    )
    badges = '<p class="pmkb-card__badges" data-search-exclude tabindex="0">SEV1</p>'
    assert unsearched((table, *kept, badges)) == (table, badges)
